use super::*;
use crate::config::DmaConfig;

fn cfg(data_bits: u32, max_burst: u32) -> DmaConfig {
    DmaConfig { data_bits, max_burst, ..DmaConfig::default() }
}

/// Every legal burst: within 4 KiB, within max_burst, and the bursts
/// cover the segment exactly, in order.
fn check_bursts(addr: u64, len: u64, c: &DmaConfig) {
    let b = c.data_bytes() as u64;
    let v = legalize(addr, len, c);
    let mut a = addr;
    for x in &v {
        assert_eq!(x.addr, a);
        assert!(x.beats() <= c.max_burst);
        let first_page = (x.addr - x.addr % b) / 4096;
        let last_byte = x.addr - x.addr % b + x.beats() as u64 * b - 1;
        assert_eq!(first_page, last_byte / 4096, "{x:?} crosses 4 KiB");
        assert_eq!(x.beats() as u64, (x.addr % b + x.bytes).div_ceil(b));
        assert_eq!(x.size as u64, b.trailing_zeros() as u64);
        a += x.bytes;
    }
    assert_eq!(a, addr + len);
}

#[test]
fn legalizer_examples() {
    let c = cfg(128, 256);
    // 4 KiB aligned: one 256-beat burst.
    let v = legalize(0x1000, 4096, &c);
    assert_eq!(v.iter().map(|b| b.axi()).collect::<Vec<_>>(), [(0x1000, 255, 4)]);
    // Unaligned start and end, crossing a 4 KiB boundary.
    let v = legalize(0x0ff3, 40, &c);
    assert_eq!(v.iter().map(|b| (b.axi(), b.bytes)).collect::<Vec<_>>(), [((0x0ff3, 0, 4), 13), ((0x1000, 1, 4), 27)]);
    // max_burst splits.
    let c = cfg(64, 16);
    let v = legalize(0, 300, &c);
    assert_eq!(v.iter().map(|b| b.axi()).collect::<Vec<_>>(), [(0, 15, 3), (128, 15, 3), (256, 5, 3)]);
    // One byte.
    let v = legalize(0x7, 1, &c);
    assert_eq!(v[0].beat_lanes(8), [(0, 7, 8)]);
}

#[test]
fn legalizer_sweeps() {
    for (bits, mb) in [(64, 256), (128, 256), (128, 7), (512, 256), (256, 1)] {
        let c = cfg(bits, mb);
        for addr in (0..200).chain(4000..4200).chain([0xffff_ff00u64]) {
            for len in [1, 2, 7, 15, 16, 17, 63, 64, 65, 100, 4095, 4096, 4097, 9000] {
                if addr + len <= 1 << 32 {
                    check_bursts(addr, len, &c);
                }
            }
        }
    }
}

#[test]
fn beat_lanes_cover_the_bytes() {
    let c = cfg(128, 256);
    let v = legalize(0x13, 50, &c);
    let lanes = v[0].beat_lanes(16);
    assert_eq!(lanes, [(0x10, 3, 16), (0x20, 0, 16), (0x30, 0, 16), (0x40, 0, 5)]);
}

#[test]
fn validation_codes_in_order() {
    let c = DmaConfig::default();
    let table = vec![0u64; 256];
    let v = |d: Descriptor| validate(&d, &c, &table);
    assert_eq!(v(Descriptor { kind: 4, len: 0, ..Default::default() }), Status::BadKind);
    assert_eq!(v(Descriptor::linear(0, 0)), Status::ZeroLength);
    assert_eq!(v(Descriptor::strided_2d(0, 4, 0, 8)), Status::ZeroLength);
    assert_eq!(v(Descriptor::strided_3d(0, 4, 1, 8, 0, 8)), Status::ZeroLength);
    assert_eq!(v(Descriptor::paged(0, 1, 0, 5)), Status::BadPageShift);
    assert_eq!(v(Descriptor::paged(0, 1, 0, 31)), Status::BadPageShift);
    assert_eq!(v(Descriptor::linear(0xffff_ffff, 1)), Status::Ok);
    assert_eq!(v(Descriptor::linear(0xffff_ffff, 2)), Status::AddrRange);
    assert_eq!(v(Descriptor::strided_2d(0, 16, 3, 0x8000_0000)), Status::AddrRange);
    assert_eq!(v(Descriptor::strided_2d(0, 16, 2, 0x8000_0000)), Status::Ok);
    assert_eq!(v(Descriptor::strided_3d(0, 16, 2, 0x10, 2, 0xffff_fff0)), Status::AddrRange);
    assert_eq!(v(Descriptor::paged(0, 4096, 255, 12)), Status::Ok);
    assert_eq!(v(Descriptor::paged(0, 4097, 255, 12)), Status::TableRange);
    assert_eq!(v(Descriptor::paged(0xffff_f000, 4096, 0, 12)), Status::TableRange);
    let mut t = table.clone();
    t[4] = 0x1800;
    assert_eq!(validate(&Descriptor::paged(0, 4096 * 3, 1, 12), &c, &t), Status::Ok);
    assert_eq!(validate(&Descriptor::paged(0, 4096 * 3 + 1, 1, 12), &c, &t), Status::PageMisaligned);
    assert_eq!(validate(&Descriptor::paged(0, 4096 * 3 + 1, 1, 11), &c, &t), Status::Ok);
}

#[test]
fn paged_segments_follow_the_table() {
    let c = DmaConfig::default();
    let mut t = vec![0u64; 256];
    t[5] = 0x30000;
    t[6] = 0x10000;
    t[7] = 0x20000;
    let d = Descriptor::paged(0x1ff0, 0x1020, 4, 12);
    assert_eq!(validate(&d, &c, &t), Status::Ok);
    assert_eq!(
        segments(&d, &c, &t),
        [
            Segment { addr: 0x30ff0, len: 0x10 },
            Segment { addr: 0x10000, len: 0x1000 },
            Segment { addr: 0x20000, len: 0x10 },
        ]
    );
}

#[test]
fn strided_segments() {
    let c = DmaConfig::default();
    let d = Descriptor::strided_3d(100, 3, 2, 10, 2, 1000);
    let s: Vec<u64> = segments(&d, &c, &[]).iter().map(|s| s.addr).collect();
    assert_eq!(s, [100, 110, 1100, 1110]);
    assert_eq!(d.total_bytes(), 12);
}

#[test]
fn memory_reads_writes_and_copies() {
    let c = DmaConfig::default();
    let mut m = Memory::new(7);
    let fresh = Memory::new(7);
    assert_eq!(m.read_byte(12345), fresh.read_byte(12345));
    let d = Descriptor::strided_2d(0x100, 5, 3, 0x20);
    let data: Vec<u8> = (0..15).collect();
    write_bytes(&mut m, &d, &c, &[], &data, |_| false);
    assert_eq!(read_bytes(&m, &d, &c, &[]), data);
    assert_eq!(m.first_difference(&fresh), Some(0x100));
    // A dropped beat is not written.
    let mut m2 = Memory::new(7);
    write_bytes(&mut m2, &d, &c, &[], &data, |beat| beat == 0x120);
    assert_eq!(m2.read_byte(0x120), fresh.read_byte(0x120));
    assert_eq!(m2.read_byte(0x100), 0);
}

#[test]
fn status_takes_the_first_error() {
    assert_eq!(status_of_responses([0, 1, 0]), Status::Ok);
    assert_eq!(status_of_responses([0, 3, 2]), Status::DecErr);
    assert_eq!(status_of_responses([2, 3]), Status::SlvErr);
    for s in Status::all() {
        assert_eq!(Status::from_code(s.code()), Some(s));
    }
}

#[test]
fn stream_beats_is_the_packet_of_a_valid_descriptor_only() {
    let c = cfg(128, 256);
    let table = vec![0u64; c.table_entries as usize];
    assert_eq!(stream_beats(&Descriptor::linear(0x1003, 1), &c, &table), 1);
    assert_eq!(stream_beats(&Descriptor::linear(0x1003, 16), &c, &table), 1);
    assert_eq!(stream_beats(&Descriptor::linear(0x1003, 17), &c, &table), 2);
    assert_eq!(stream_beats(&Descriptor::strided_2d(0x1000, 10, 3, 100), &c, &table), 2);
    assert_eq!(stream_beats(&Descriptor::linear(0x1000, 0), &c, &table), 0, "rejected: ZERO_LENGTH");
    assert_eq!(stream_beats(&Descriptor { kind: 5, len: 64, ..Default::default() }, &c, &table), 0);
}

#[test]
fn kinds_and_statuses_are_tabulated_once() {
    let values: Vec<u8> = KINDS.iter().map(|k| k.value).collect();
    assert_eq!(values, [KIND_LINEAR, KIND_2D, KIND_3D, KIND_PAGED]);
    assert_eq!(*KINDS_RESERVED.start(), KIND_PAGED + 1);
    for s in Status::all() {
        assert_eq!(Status::from_code(s.code()), Some(s));
        assert!(!s.meaning().is_empty());
        let want = if s == Status::Ok {
            "success"
        } else if s.code() < 0x10 {
            "validation"
        } else {
            "execution"
        };
        assert_eq!(s.class(), want, "{s:?}");
    }
}
