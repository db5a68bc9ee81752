//! Random commands on every preset: each touches only the scratchpad lines
//! of its footprint (reads inside the read interval, writes inside the write
//! interval), which is what lets the scoreboard compare footprints alone.
//! The seed prints; `SERRANO_SEED=N` reproduces a run.

use std::path::Path;

use super::isa::{Command, SoftmaxCmd};
use super::*;
use crate::config::Config;
use crate::dma::{Descriptor, Memory};
use crate::tile::gemm::Requant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n >= 1).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn u32(&mut self, n: u32) -> u32 {
        self.below(n as u64) as u32
    }
}

fn random_command(rng: &mut Rng, p: &CoreParams, store_addr: &mut u64) -> Command {
    let (r, c, l, lines) = (p.systolic.rows, p.systolic.cols, p.line, p.lines);
    // Mostly in range, sometimes past the end (a SPAD_RANGE fault).
    let line = |rng: &mut Rng| if rng.below(10) == 0 { lines - rng.u32(4) - 1 } else { rng.u32(lines / 2) };
    let stride = |rng: &mut Rng| rng.u32(5);
    let rows = |rng: &mut Rng| 1 + rng.u32(p.systolic.acc_depth.min(40));
    match rng.below(7) {
        0 | 1 => {
            let desc = if rng.below(2) == 0 {
                Descriptor::linear(0x10_0000 + rng.below(4096), 1 + rng.u32(200))
            } else {
                let row = 1 + rng.u32(40);
                Descriptor::strided_2d(
                    0x20_0000 + rng.below(4096),
                    row,
                    1 + rng.below(6) as u16,
                    row as u64 + rng.below(50),
                )
            };
            if rng.below(2) == 0 {
                Command::DmaLoad { desc, spad_line: line(rng) }
            } else {
                *store_addr += 0x1000;
                Command::DmaStore { desc: Descriptor { addr: *store_addr, ..desc }, spad_line: line(rng) }
            }
        }
        2 => Command::TileLoad {
            b_line: line(rng),
            b_stride: stride(rng),
            b_off: rng.u32(l / c),
            k_rows: 1 + rng.u32(r),
        },
        3 => Command::TileCompute {
            a_line: line(rng),
            a_stride: stride(rng),
            a_off: rng.u32(l / r),
            rows: rows(rng),
            accumulate: rng.below(2) == 0,
        },
        4 => {
            let requant = p.systolic.requant && rng.below(2) == 0;
            let row = p.read_row_bytes(requant);
            let slices = if row < l { l / row } else { 1 };
            Command::TileRead {
                c_line: line(rng),
                c_stride: 1 + stride(rng),
                c_off: rng.u32(slices),
                rows: rows(rng),
                requant,
            }
        }
        5 if p.systolic.requant => Command::TileQParam {
            col: if rng.below(2) == 0 { None } else { Some(rng.u32(c)) },
            q: Requant { multiplier: rng.next() as i32, shift: rng.u32(63), zero_point: rng.next() as i8 },
        },
        _ => {
            let len = 1 + rng.u32(100.min(p.softmax.max_len));
            Command::Softmax(SoftmaxCmd {
                x_line: line(rng),
                x_stride: stride(rng),
                y_line: line(rng),
                y_stride: stride(rng),
                rows: 1 + rng.u32(4),
                len,
                valid_len: rng.u32(len + 2),
                causal: rng.below(2) == 0,
                causal_base: rng.u32(len),
                k: 1 + rng.below(1 << 20),
                int8_out: p.softmax.out_bits == 8 && rng.below(2) == 0,
            })
        }
    }
}

#[test]
fn commands_stay_inside_their_footprints() {
    let seed = std::env::var("SERRANO_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xf007);
    println!("SERRANO_SEED={seed}");
    let mut rng = Rng(seed);
    for name in ["tiny", "default", "large"] {
        let path = format!("{}/../configs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let mut core = CoreModel::new(&Config::from_file(Path::new(&path)).unwrap()).unwrap();
        let p = core.params;
        core.load_spad_image(&vec![0; (p.lines * p.line) as usize]);
        // Define every accumulator row, so that any READ or accumulate may run.
        core.acc_defined.iter_mut().for_each(|d| *d = true);
        let mut mem = Memory::new(seed);
        let ring = Ring { base: 0x4000_0000 - 0x1000, size: 2 };
        let (mut store_addr, mut checked) = (0x100_0000u64, 0);
        for _ in 0..3000 {
            let cmd = random_command(&mut rng, &p, &mut store_addr);
            mem.write(ring.base, &cmd.encode().unwrap());
            let fp = check(&cmd, &p, &core.read_table, &core.write_table);
            core.spad.log = Some(Vec::new());
            let st = core.run(&mut mem, ring, 0, 1).unwrap();
            let log = core.spad.log.take().unwrap();
            let inside = |r: &Option<std::ops::Range<u64>>, l: u64| r.as_ref().is_some_and(|r| r.contains(&l));
            match (fp, st.fault) {
                (Ok(fp), None) => {
                    for (write, l) in log {
                        let r = if write { &fp.write } else { &fp.read };
                        assert!(inside(r, l), "{name}: {cmd:?} touches line {l} (write {write}) outside {fp:?}");
                    }
                    checked += 1;
                }
                (_, Some(_)) => {
                    assert!(log.iter().all(|&(w, _)| !w), "{name}: the faulting {cmd:?} wrote the scratchpad");
                    core.clear();
                }
                (Err(f), None) => panic!("{name}: {cmd:?} fails its checks ({f:?}) but ran"),
            }
        }
        assert!(checked > 1000, "{name}: only {checked} commands ran without a fault");
    }
}
