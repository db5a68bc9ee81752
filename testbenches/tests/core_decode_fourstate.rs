//! The core's command decoder in a four-state simulator
//! (`testbenches::fourstate`, Icarus): registers and the page-table copies
//! start as X. After reset, with both tables written, a handful of commands
//! (NOP, a tile LOAD/COMPUTE pair and a COMPUTE without a fold, a linear and
//! a paged DMA_LOAD, a 2-D DMA_STORE, a SOFTMAX past the scratchpad, an
//! unknown opcode, a reserved bit, a fetch error) go through with
//! `dec_ready` low one cycle in three: no control output may be X, no
//! payload X while `dec_valid`, and every error code, DMA status, footprint
//! and amount must be golden's; `cmd_last` must leave as `dec_last`.

use golden::core::isa::{Command, ErrorCode, SoftmaxCmd};
use golden::core::{check, retire_amount, CoreParams};
use golden::dma::{Descriptor, Status};
use golden::Config;
use hdl::blocks::accel::core_decode::core_decode;
use testbenches::fourstate::{FourState, Val};

fn preset(name: &str) -> Config {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../configs/{name}.toml"));
    Config::from_file(&path).unwrap()
}

fn run(name: &str) {
    let p = CoreParams::new(&preset(name)).unwrap();
    let top = core_decode(&p).unwrap();
    let entries = p.dma.table_entries as u64;
    // Page bases aligned to 4 KiB, except entry 1 of the write table.
    let rt: Vec<u64> = (0..entries).map(|i| 0x10_0000 + (i << 12)).collect();
    let wt: Vec<u64> = (0..entries).map(|i| if i == 1 { 0x2_0010 } else { 0x20_0000 + (i << 12) }).collect();
    let lin = Descriptor { kind: 0, addr: 0x1000, len: 40, ..Default::default() };
    let paged = Descriptor { kind: 3, page_shift: 12, table_base: 0, addr: 0x800, len: 0x1800, ..Default::default() };
    let d2 = Descriptor { kind: 1, addr: 0x3000, len: 24, count1: 3, stride1: 64, ..Default::default() };
    let bad_page = Descriptor { table_base: 1, ..paged };
    let lines = p.lines;
    let sm = SoftmaxCmd { rows: 2, len: 8, k: 77, x_stride: 1, y_line: lines - 1, y_stride: 1, ..Default::default() };
    let cmds: Vec<(Command, u8)> = vec![
        (Command::Nop, 0),
        (Command::TileLoad { b_line: 4, b_stride: 2, b_off: 0, k_rows: 2 }, 0),
        (Command::TileCompute { a_line: 0, a_stride: 1, a_off: 0, rows: 3, accumulate: false }, 0),
        (Command::TileCompute { a_line: 0, a_stride: 1, a_off: 0, rows: 3, accumulate: false }, 0),
        (Command::DmaLoad { desc: lin, spad_line: 7 }, 0),
        (Command::DmaLoad { desc: paged, spad_line: 20 }, 0),
        (Command::DmaStore { desc: d2, spad_line: 30 }, 0),
        (Command::DmaStore { desc: bad_page, spad_line: 30 }, 0),
        (Command::Softmax(sm), 0),
        (Command::Barrier, 3),
    ];
    let mut raws: Vec<[u8; 32]> = cmds.iter().map(|(c, _)| c.encode().unwrap()).collect();
    let mut resps: Vec<u8> = cmds.iter().map(|c| c.1).collect();
    let mut unknown = [0u8; 32];
    unknown[0] = 0x7f;
    let mut reserved = Command::Fence.encode().unwrap();
    reserved[31] = 0x80;
    raws.extend([unknown, reserved]);
    resps.extend([0, 0]);

    let mut fs = FourState::new(&format!("{name} core_decode"), &top);
    fs.stall("dec_ready", 3).idle(5);
    for i in 0..entries {
        fs.set(&[
            ("rtbl_we", Val::U(1)),
            ("rtbl_waddr", Val::U(i)),
            ("rtbl_wdata", Val::U(rt[i as usize])),
            ("wtbl_we", Val::U(1)),
            ("wtbl_waddr", Val::U(i)),
            ("wtbl_wdata", Val::U(wt[i as usize])),
        ])
        .idle(1);
    }
    fs.set(&[("rtbl_we", Val::U(0)), ("wtbl_we", Val::U(0))]).idle(3);
    for (i, (raw, resp)) in raws.iter().zip(&resps).enumerate() {
        let lanes = raw.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64).collect();
        fs.send(
            "cmd_valid",
            &[
                ("cmd_data", Val::Lanes(lanes, 32)),
                ("cmd_index", Val::U(i as u64)),
                ("cmd_resp", Val::U(*resp as u64)),
                ("cmd_last", Val::U(i as u64 & 1)),
            ],
        );
    }
    fs.wait_beats("dec_valid", raws.len(), 2_000).idle(10);
    let out = fs.run();

    let beats = out.channel("dec_valid");
    if beats.len() != raws.len() {
        out.fail(&format!("{} commands out, want {}", beats.len(), raws.len()));
    }
    let mut fold = false;
    for (i, (beat, raw)) in beats.iter().zip(&raws).enumerate() {
        let (err, st, fp) = match (resps[i], Command::decode(raw)) {
            (r, _) if r >= 2 => (ErrorCode::AxiFetch.code(), Status::from_resp(r).code(), None),
            (_, Err(golden::core::isa::IsaError::UnknownOpcode(_))) => (ErrorCode::UnknownOpcode.code(), 0, None),
            (_, Err(_)) => (ErrorCode::ReservedBits.code(), 0, None),
            (_, Ok(cmd)) => match check(&cmd, &p, &rt, &wt) {
                Err(f) => (f.code.code(), f.dma_status.code(), None),
                Ok(_) if matches!(cmd, Command::TileLoad { .. }) && fold => (ErrorCode::TileSequence.code(), 0, None),
                Ok(_) if matches!(cmd, Command::TileCompute { .. }) && !fold => {
                    (ErrorCode::TileSequence.code(), 0, None)
                }
                Ok(fp) => {
                    match cmd {
                        Command::TileLoad { .. } => fold = true,
                        Command::TileCompute { .. } => fold = false,
                        _ => {}
                    }
                    (0, 0, Some((fp, retire_amount(&cmd, &p))))
                }
            },
        };
        let ctx = format!("command {i} ({:?})", Command::decode(raw));
        if beat.uint("dec_index") != i as u64 || beat.uint("dec_err") != err as u64 {
            out.fail(&format!("{ctx}: index {}, err {}, want err {err}", beat.uint("dec_index"), beat.uint("dec_err")));
        }
        if beat.uint("dec_last") != i as u64 & 1 {
            out.fail(&format!("{ctx}: last {}, want {}", beat.uint("dec_last"), i & 1));
        }
        if beat.uint("dec_dma_status") != st as u64 {
            out.fail(&format!("{ctx}: dma_status {}, want {st}", beat.uint("dec_dma_status")));
        }
        if let Some((fp, amount)) = fp {
            let iv = |r: &Option<std::ops::Range<u64>>| r.as_ref().map_or((0, 0), |r| (r.start, r.end));
            let want = [iv(&fp.read).0, iv(&fp.read).1, iv(&fp.write).0, iv(&fp.write).1, amount];
            let got = ["dec_rd_lo", "dec_rd_hi", "dec_wr_lo", "dec_wr_hi", "dec_amount"].map(|n| beat.uint(n));
            if got != want {
                out.fail(&format!("{ctx}: footprint and amount {got:?}, want {want:?}"));
            }
        }
    }
    // The run must have met each kind of result it was built for.
    let errs: Vec<u64> = beats.iter().map(|b| b.uint("dec_err")).collect();
    for e in [0, 1, 2, 5, 6, 7, 8] {
        assert!(errs.contains(&e), "{name}: no command ended with err {e}: {errs:?}");
    }
}

#[test]
fn core_decode_is_x_free_on_every_preset() {
    for name in ["default", "large", "tiny"] {
        run(name);
    }
}
