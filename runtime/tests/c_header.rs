//! The C header agrees with the Rust encoder: a C program packs one command
//! of every opcode with the header's `_LSB`/`_WIDTH`/`_MASK` macros (every
//! field by name) and prints the bytes, which must be the runtime's. Needs a
//! C compiler (`cc`, which Verilator needs too).

use std::process::Command as Process;

use golden::core::isa::{render, Command, SoftmaxCmd};
use golden::dma::Descriptor;
use golden::tile::gemm::Requant;

fn commands() -> Vec<Command> {
    vec![
        Command::Nop,
        Command::Barrier,
        Command::Fence,
        Command::DmaLoad {
            desc: Descriptor::strided_3d(0x1234_5678_9abc, 33, 7, 0x8000_0001, 3, 0xffff_fff0),
            spad_line: 0xabcde,
        },
        Command::DmaStore { desc: Descriptor::paged(0x3000, 9000, 511, 12), spad_line: 17 },
        Command::TileLoad { b_line: 0x54321, b_stride: 9, b_off: 3, k_rows: 128 },
        Command::TileCompute { a_line: 0x12345, a_stride: 0x6789a, a_off: 2, rows: 0xbcdef, accumulate: true },
        Command::TileRead { c_line: 0xfffff, c_stride: 1, c_off: 7, rows: 65536, requant: true },
        Command::TileQParam { col: Some(127), q: Requant { multiplier: -123_456_789, shift: 62, zero_point: -7 } },
        Command::TileQParam { col: None, q: Requant { multiplier: i32::MAX, shift: 1, zero_point: 127 } },
        Command::Softmax(SoftmaxCmd {
            x_line: 1,
            x_stride: 2,
            y_line: 0xfffff,
            y_stride: 4,
            rows: 5,
            len: 65536,
            valid_len: 7,
            causal: true,
            causal_base: 9,
            k: 0xab_cdef_0123,
            int8_out: true,
        }),
    ]
}

fn c_program(cmds: &[Command]) -> String {
    let mut s = String::from(
        "#include <stdio.h>\n#include <stdint.h>\n#include \"serrano_core_isa.h\"\n\
         static void set(uint8_t *c, unsigned lsb, unsigned width, uint64_t mask, uint64_t v) {\n\
         \x20   unsigned i;\n    v &= mask;\n\
         \x20   for (i = 0; i < width; i++) {\n\
         \x20       unsigned b = lsb + i;\n\
         \x20       c[b / 8] = (uint8_t)((c[b / 8] & ~(1u << (b % 8))) | (((v >> i) & 1u) << (b % 8)));\n\
         \x20   }\n}\n\
         #define SET(c, P, v) set(c, P##_LSB, P##_WIDTH, P##_MASK, (v))\n\
         static void put(const uint8_t *c) {\n    int i;\n\
         \x20   for (i = 0; i < SERRANO_CORE_CMD_BYTES; i++) printf(\"%02x\", c[i]);\n    printf(\"\\n\");\n}\n\
         int main(void) {\n",
    );
    for (i, c) in cmds.iter().enumerate() {
        let op = c.op().name;
        s.push_str(&format!(
            "    uint8_t c{i}[SERRANO_CORE_CMD_BYTES] = {{0}};\n    c{i}[0] = SERRANO_CORE_OP_{op};\n"
        ));
        for (f, v) in c.values() {
            s.push_str(&format!("    SET(c{i}, SERRANO_CORE_{op}_{}, {v}ull);\n", f.to_ascii_uppercase()));
        }
        s.push_str(&format!("    put(c{i});\n"));
    }
    s.push_str("    return 0;\n}\n");
    s
}

#[test]
fn c_programs_pack_commands_as_the_runtime_does() {
    let cmds = commands();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serrano_core_isa.h"), render::c_header()).unwrap();
    std::fs::write(dir.path().join("pack.c"), c_program(&cmds)).unwrap();
    let exe = dir.path().join("pack");
    let out = Process::new("cc")
        .current_dir(dir.path())
        .args(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "pack.c", "-o"])
        .arg(&exe)
        .output()
        .expect("a C compiler (cc) is installed");
    assert!(out.status.success(), "cc failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let run = Process::new(&exe).output().unwrap();
    let printed = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), cmds.len());
    for (c, line) in cmds.iter().zip(lines) {
        let want: String = c.encode().unwrap().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(line, want, "{c:?}");
    }
}
