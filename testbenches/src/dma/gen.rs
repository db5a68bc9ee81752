//! Scenarios for the DMA testbench: random descriptors over every kind,
//! length, alignment, stride and page table (for the tests), and the regular
//! patterns of `serrano sim dma` (for measurements).

use golden::dma::{Descriptor, PAGE_SHIFT_MIN};
use golden::DmaConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::axi::mem::{ErrorRegion, MemConfig};
use crate::dma::{Engine, Job, Scenario};

/// Which engines a random scenario uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    Read,
    Write,
    /// Read and write descriptors interleaved, on disjoint memory.
    Both,
    /// Read descriptors whose stream feeds write descriptors of the same length.
    Copy,
}

/// Options of a random scenario.
#[derive(Clone, Copy, Debug)]
pub struct RandomOpts {
    /// Descriptors in all (a copy counts two per pair).
    pub descriptors: usize,
    pub mix: Mix,
    /// How many descriptors of 64 KiB to 1 MiB.
    pub large: usize,
    /// Inject SLVERR/DECERR regions.
    pub errors: bool,
    /// Share of descriptors that are invalid (Both/Read/Write only).
    pub invalid_share: f64,
}

/// Source and destination regions, by address width: disjoint, and in the
/// upper half of a 64-bit space so every address bit is exercised.
pub fn regions(cfg: &DmaConfig) -> ((u64, u64), (u64, u64)) {
    const SIZE: u64 = 32 << 20;
    if cfg.addr_bits == 64 {
        ((0x0123_4567_0000_0000, SIZE), (0xfedc_ba98_0000_0000, SIZE))
    } else {
        ((0x1000_0000, SIZE), (0xc000_0000, SIZE))
    }
}

/// Page bases in the tables are multiples of this, so every page shift up to
/// 14 is aligned; larger shifts meet PAGE_MISALIGNED most of the time.
const TABLE_ALIGN: u64 = 1 << 14;

fn small_len(rng: &mut ChaCha8Rng) -> u32 {
    match rng.gen_range(0..100) {
        0..=59 => rng.gen_range(1..=64),
        60..=84 => rng.gen_range(65..=512),
        85..=96 => rng.gen_range(513..=4096),
        _ => rng.gen_range(4097..=32768),
    }
}

fn make_table(rng: &mut ChaCha8Rng, entries: u32, region: (u64, u64)) -> Vec<u64> {
    let slots = region.1 / TABLE_ALIGN;
    (0..entries)
        .map(|_| {
            let base = region.0 + rng.gen_range(0..slots) * TABLE_ALIGN;
            // A few deliberately misaligned bases.
            if rng.gen_ratio(1, 40) {
                base + 64 * rng.gen_range(1..4)
            } else {
                base
            }
        })
        .collect()
}

/// A random valid-looking descriptor of about `target` bytes (0 = choose) in
/// `region`. Paged descriptors use `table`.
fn random_desc(rng: &mut ChaCha8Rng, region: (u64, u64), table: &[u64], target: u32) -> Descriptor {
    let (base, size) = region;
    let total = if target > 0 { target } else { small_len(rng) };
    let place = |rng: &mut ChaCha8Rng, extent: u64| base + rng.gen_range(0..=size - extent);
    match rng.gen_range(0..100) {
        0..=39 => Descriptor::linear(place(rng, total as u64), total),
        40..=64 => {
            // 2-D: rows of a row-major tile.
            let rows = rng.gen_range(1..=16u16).min(total.max(1) as u16);
            let len = (total / rows as u32).max(1);
            let stride = match rng.gen_range(0..10) {
                0 => 0,
                1 => rng.gen_range(0..=len as u64),
                _ => len as u64 + rng.gen_range(0..=300),
            };
            let extent = (rows as u64 - 1) * stride + len as u64;
            Descriptor::strided_2d(place(rng, extent), len, rows, stride)
        }
        65..=77 => {
            let rows = rng.gen_range(1..=6u16);
            let planes = rng.gen_range(1..=4u16);
            let len = (total / (rows as u32 * planes as u32)).max(1);
            let s1 = len as u64 + rng.gen_range(0..=64);
            let s2 = rows as u64 * s1 + rng.gen_range(0..=512);
            let extent = (planes as u64 - 1) * s2 + (rows as u64 - 1) * s1 + len as u64;
            Descriptor::strided_3d(place(rng, extent), len, rows, s1, planes, s2)
        }
        _ => {
            let shift = match rng.gen_range(0..10) {
                0..=3 => 12,
                4..=8 => rng.gen_range(PAGE_SHIFT_MIN..=14),
                _ => rng.gen_range(15..=17),
            };
            let psize = 1u64 << shift;
            let entries = table.len() as u64;
            let span = entries * psize;
            let off = rng.gen_range(0..psize * 2) % span;
            let len = (total as u64).min(span - off) as u32;
            let last_page = (off + len as u64 - 1) >> shift;
            let tb = rng.gen_range(0..entries - last_page) as u16;
            Descriptor::paged(off, len, tb, shift)
        }
    }
}

/// A descriptor that breaks one rule (kind, length, counts, page shift,
/// address range, table range).
fn invalid_desc(rng: &mut ChaCha8Rng, cfg: &DmaConfig, region: (u64, u64)) -> Descriptor {
    let top = if cfg.addr_bits == 64 { u64::MAX } else { (1u64 << 32) - 1 };
    match rng.gen_range(0..8) {
        0 => Descriptor { kind: rng.gen_range(4..=7), addr: region.0, len: 16, ..Default::default() },
        1 => Descriptor::linear(region.0 + 5, 0),
        2 => Descriptor::strided_2d(region.0, 8, 0, 16),
        3 => Descriptor::strided_3d(region.0, 8, 2, 16, 0, 64),
        4 => Descriptor::paged(0, 64, 0, if rng.gen() { 5 } else { 31 }),
        5 => Descriptor::linear(top - rng.gen_range(0..100), 200),
        6 => Descriptor::strided_2d(region.0, 64, 3, top / 2),
        _ => Descriptor::paged(0, 4096 * 3, (cfg.table_entries - 2) as u16, 12),
    }
}

/// A random scenario over the presets' widths: lengths from 1 byte to 1 MiB
/// (most small, `opts.large` large), every alignment, strides (including 0
/// and overlapping rows), page tables with misaligned entries, invalid
/// descriptors, random latency, back-pressure on every channel, reordering
/// across IDs, and optionally SLVERR/DECERR regions.
pub fn random_scenario(cfg: &DmaConfig, seed: u64, opts: RandomOpts) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sc = Scenario::new(cfg, seed);
    let (src, dst) = regions(cfg);
    sc.rd_table = make_table(&mut rng, cfg.table_entries, src);
    sc.wr_table = make_table(&mut rng, cfg.table_entries, dst);
    sc.mem = MemConfig {
        data_bytes: cfg.data_bytes(),
        read_latency: rng.gen_range(1..=40),
        write_latency: rng.gen_range(1..=40),
        ready_prob: rng.gen_range(0.4..=1.0),
        valid_prob: rng.gen_range(0.4..=1.0),
        reorder: true,
        errors: Vec::new(),
        max_pending: rng.gen_range(2..=64),
        seed: seed ^ 0x3e3e,
        misbehave: None,
    };
    if opts.errors {
        for (region, n) in [(src, 12), (dst, 12)] {
            for _ in 0..n {
                let start = region.0 + rng.gen_range(0..region.1 - 512);
                sc.mem.errors.push(ErrorRegion {
                    start,
                    end: start + rng.gen_range(1..=256),
                    resp: rng.gen_range(2..=3),
                });
            }
        }
    }
    sc.stream_valid_prob = rng.gen_range(0.5..=1.0);
    sc.stream_ready_prob = rng.gen_range(0.5..=1.0);
    sc.copy = opts.mix == Mix::Copy;

    let n = opts.descriptors;
    let units = if sc.copy { n / 2 } else { n };
    let large_at: Vec<usize> = (0..opts.large).map(|_| rng.gen_range(0..units)).collect();
    for u in 0..units {
        let target = if large_at.contains(&u) { rng.gen_range(64 << 10..=1 << 20) } else { 0 };
        match opts.mix {
            Mix::Copy => {
                let rd = random_desc(&mut rng, src, &sc.rd_table, target);
                let rd = if golden::dma::validate(&rd, cfg, &sc.rd_table) == golden::dma::Status::Ok {
                    rd
                } else {
                    let t = rd.total_bytes().clamp(1, 1 << 20) as u32;
                    Descriptor::linear(src.0 + rng.gen_range(0..src.1 - t as u64), t)
                };
                let total = rd.total_bytes() as u32;
                let wr = copy_dest(&mut rng, cfg, dst, &sc.wr_table, total);
                sc.jobs.push(Job::read(rd.with_tag((2 * u) as u16)));
                sc.jobs.push(Job::write(wr.with_tag((2 * u + 1) as u16)));
            }
            mix => {
                let engine = match mix {
                    Mix::Read => Engine::Read,
                    Mix::Write => Engine::Write,
                    _ => {
                        if rng.gen() {
                            Engine::Read
                        } else {
                            Engine::Write
                        }
                    }
                };
                let (region, table) = match engine {
                    Engine::Read => (src, &sc.rd_table),
                    Engine::Write => (dst, &sc.wr_table),
                };
                let d = if target == 0 && rng.gen_bool(opts.invalid_share) {
                    invalid_desc(&mut rng, cfg, region)
                } else {
                    random_desc(&mut rng, region, table, target)
                };
                let d = d.with_tag(u as u16);
                sc.jobs.push(Job { engine, desc: d, stream: None, expect: None });
            }
        }
    }
    sc
}

/// A valid write descriptor of exactly `total` bytes (for a copy's destination).
fn copy_dest(rng: &mut ChaCha8Rng, cfg: &DmaConfig, dst: (u64, u64), table: &[u64], total: u32) -> Descriptor {
    for _ in 0..8 {
        let d = match rng.gen_range(0..3) {
            0 => {
                let divs: Vec<u16> = (1..=16u16).filter(|r| total.is_multiple_of(*r as u32)).collect();
                let rows = divs[rng.gen_range(0..divs.len())];
                let len = total / rows as u32;
                let stride = len as u64 + rng.gen_range(0..=128);
                let extent = (rows as u64 - 1) * stride + len as u64;
                Descriptor::strided_2d(dst.0 + rng.gen_range(0..dst.1 - extent), len, rows, stride)
            }
            1 => {
                let shift = rng.gen_range(PAGE_SHIFT_MIN..=14);
                let psize = 1u64 << shift;
                let off = rng.gen_range(0..psize);
                let last_page = (off + total as u64 - 1) >> shift;
                if last_page >= table.len() as u64 {
                    continue;
                }
                let tb = rng.gen_range(0..table.len() as u64 - last_page) as u16;
                Descriptor::paged(off, total, tb, shift)
            }
            _ => Descriptor::linear(dst.0 + rng.gen_range(0..dst.1 - total as u64), total),
        };
        if golden::dma::validate(&d, cfg, table) == golden::dma::Status::Ok {
            return d;
        }
    }
    Descriptor::linear(dst.0 + rng.gen_range(0..dst.1 - total as u64), total)
}

/// The transfer pattern of `serrano sim dma`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    Linear,
    TwoD,
    Paged,
}

/// The direction of `serrano sim dma`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
    Copy,
}

/// Data beats a measurement moves at least: transfers of `bytes` are issued
/// back to back until this many beats have moved (at most 4096 transfers),
/// so the memory latency paid once at the start and end weighs the same on
/// every data width (256 KiB on a 128-bit bus).
pub const BENCH_BEATS: u64 = 16384;

/// How many transfers of `bytes` a measurement on a `data_bytes` bus issues.
pub fn bench_transfers(bytes: u64, data_bytes: u64) -> u64 {
    (BENCH_BEATS * data_bytes).div_ceil(bytes.max(1)).clamp(1, 4096)
}

/// The measurement scenario of `serrano sim dma`: `bench_transfers(bytes, data_bytes)`
/// transfers of exactly `bytes` each, back to back, at bus-aligned
/// addresses, on an ideal memory (always ready, in order) with `latency`
/// cycles of read and write latency. `linear`: contiguous transfers, one
/// descriptor each; `2d`: a tile of a row-major matrix twice as wide, rows
/// of `min(bytes, 512)` bytes at twice that stride: one 2-D descriptor of
/// the whole rows, and, when `bytes` is not a multiple of the row, a second
/// one of a single shorter last row; `paged`: 4 KiB pages through a
/// shuffled page table, one descriptor each. Copy: the source has the
/// pattern, the destination is linear, one write descriptor per read
/// descriptor (the read engine's packets frame the write engine's). The
/// data and the page table's shuffle come from `seed`.
pub fn bench_scenario(
    cfg: &DmaConfig,
    bytes: u32,
    latency: u32,
    pattern: Pattern,
    direction: Direction,
    seed: u64,
) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sc = Scenario::new(cfg, seed);
    sc.mem = MemConfig::ideal(cfg.data_bytes(), latency);
    sc.mem.seed = seed;
    sc.pop_completions = false;
    sc.copy = direction == Direction::Copy;
    sc.stall_limit = 20_000 + 4 * latency as u64;
    let (src, dst) = regions(cfg);
    let nb = cfg.data_bytes() as u64;
    let count = bench_transfers(bytes as u64, nb);
    // Transfers are placed one after another, each at a bus-aligned address.
    let step = (bytes as u64).div_ceil(nb) * nb;
    // Page tables: a shuffled set of 4 KiB pages.
    let page = 4096u64;
    let pages = (count * step).div_ceil(page) + 1;
    let entries = cfg.table_entries as u64;
    let mut perm: Vec<u64> = (0..pages.max(entries)).collect();
    for i in (1..perm.len()).rev() {
        let j = rng.gen_range(0..=i);
        perm.swap(i, j);
    }
    sc.rd_table = (0..entries).map(|i| src.0 + perm[i as usize] * page).collect();
    sc.wr_table = (0..entries).map(|i| dst.0 + perm[(entries - 1 - i) as usize] * page).collect();
    let row = bytes.min(512);
    let (full_rows, rest) = (bytes / row, bytes % row);
    // The descriptors of transfer `i`, in order.
    let parts = |region: (u64, u64), i: u64, linear_only: bool| -> Vec<Descriptor> {
        let at = i * step;
        match (pattern, linear_only) {
            (Pattern::Linear, _) => vec![Descriptor::linear(region.0 + at, bytes)],
            (Pattern::TwoD, false) => {
                let base = region.0 + 2 * at;
                let mut v = vec![Descriptor::strided_2d(base, row, full_rows as u16, 2 * row as u64)];
                if rest > 0 {
                    v.push(Descriptor::strided_2d(base + 2 * (full_rows * row) as u64, rest, 1, 2 * row as u64));
                }
                v
            }
            (Pattern::Paged, false) => {
                // Logical offsets wrap around the table (pages are reused).
                let span = entries * page;
                let off = at % span;
                let off = if off + bytes as u64 > span { 0 } else { off };
                vec![Descriptor::paged(off, bytes, 0, 12)]
            }
            // A copy's destination: linear, split as the source is, so that
            // each write descriptor takes exactly one read packet.
            (_, true) => {
                let mut v = Vec::new();
                let mut off = 0u64;
                for len in parts_lengths(pattern, bytes) {
                    v.push(Descriptor::linear(region.0 + at + off, len));
                    off += len as u64;
                }
                v
            }
        }
    };
    for i in 0..count {
        match direction {
            Direction::Read | Direction::Write => {
                let (engine, region) =
                    if direction == Direction::Read { (Engine::Read, src) } else { (Engine::Write, dst) };
                for (part, d) in parts(region, i, false).into_iter().enumerate() {
                    let tag = (2 * i + part as u64) as u16;
                    sc.jobs.push(Job { engine, desc: d.with_tag(tag), stream: None, expect: None });
                }
            }
            Direction::Copy => {
                let reads = parts(src, i, false);
                let writes = parts(dst, i, true);
                for (part, (r, w)) in reads.into_iter().zip(writes).enumerate() {
                    let tag = (2 * i + part as u64) as u16;
                    sc.jobs.push(Job::read(r.with_tag(tag)));
                    sc.jobs.push(Job::write(w.with_tag(tag)));
                }
            }
        }
    }
    sc
}

/// The byte counts of the descriptors of one transfer of `bytes` in
/// `pattern` (see [`bench_scenario`]); they add up to `bytes`.
pub fn parts_lengths(pattern: Pattern, bytes: u32) -> Vec<u32> {
    let row = bytes.min(512);
    match pattern {
        Pattern::TwoD if !bytes.is_multiple_of(row) => vec![bytes - bytes % row, bytes % row],
        _ => vec![bytes],
    }
}

/// Descriptors the measurement scenario pushes per transfer and engine.
pub fn bench_descriptors_per_transfer(pattern: Pattern, bytes: u32) -> u64 {
    parts_lengths(pattern, bytes).len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every transfer moves exactly `bytes`, in every pattern and direction,
    /// for sizes on and off the 512-byte row (the 2-D pattern used to move
    /// 512 bytes of a 1000-byte transfer), and a copy's write descriptors
    /// take exactly the read engine's packets.
    #[test]
    fn bench_transfers_move_exactly_their_bytes() {
        let cfg = DmaConfig::default();
        for bytes in [1u32, 7, 511, 512, 513, 1000, 1024, 4096, 5000, (16 << 20) - 1, 16 << 20] {
            for pattern in [Pattern::Linear, Pattern::TwoD, Pattern::Paged] {
                if pattern == Pattern::Paged && bytes as u64 > cfg.table_entries as u64 * 4096 {
                    continue;
                }
                let parts = parts_lengths(pattern, bytes);
                assert_eq!(parts.iter().map(|&b| b as u64).sum::<u64>(), bytes as u64);
                for direction in [Direction::Read, Direction::Write, Direction::Copy] {
                    let sc = bench_scenario(&cfg, bytes, 10, pattern, direction, 1);
                    let count = bench_transfers(bytes as u64, cfg.data_bytes() as u64);
                    let of = |e: Engine| -> Vec<u64> {
                        sc.jobs.iter().filter(|j| j.engine == e).map(|j| j.desc.total_bytes()).collect()
                    };
                    let (reads, writes) = (of(Engine::Read), of(Engine::Write));
                    let moved: u64 =
                        if direction == Direction::Write { writes.iter().sum() } else { reads.iter().sum() };
                    assert_eq!(moved, count * bytes as u64, "{pattern:?} {direction:?} {bytes}");
                    if direction == Direction::Copy {
                        assert_eq!(reads, writes, "{pattern:?} copy of {bytes}: one write per read packet");
                    }
                    for j in &sc.jobs {
                        let table = if j.engine == Engine::Read { &sc.rd_table } else { &sc.wr_table };
                        assert_eq!(
                            golden::dma::validate(&j.desc, &cfg, table),
                            golden::dma::Status::Ok,
                            "{:?}",
                            j.desc
                        );
                    }
                }
            }
        }
    }
}
