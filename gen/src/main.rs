//! `serrano`: generate Serrano's Verilog from a configuration, simulate it
//! against the golden model, and report figures. Every subcommand that prints
//! figures takes `--json`.
//!
//! Exit codes: 0 success, 1 failure (a tool failed, a simulation mismatched),
//! 2 bad input (bad arguments, an invalid config, an unreadable file).

mod area;
mod error;
mod fpga;
mod npy_io;
mod presets;
mod report;
mod sim;
mod verilog;
mod yosys;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(name = "serrano", version, about = "Serrano: an open, inference-first accelerator RTL kit")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the presets (configs/*.toml).
    Presets {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Generate Verilog, manifest.json and a FuseSoC .core file for a configuration.
    Verilog {
        #[command(flatten)]
        source: crate::presets::ConfigArgs,
        /// Output directory [default: verilog_out/<preset or config file stem>]. Replaced as a
        /// whole when everything is written; files in it that serrano did not write are kept.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write into a non-empty --out that holds no serrano output, and replace files in --out
        /// that serrano did not write but that have generated names; no other file is touched.
        #[arg(long)]
        force: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Simulate a block in Verilator against the golden model.
    #[command(subcommand)]
    Sim(sim::SimCmd),
    /// Estimate area with Yosys: transistors per block (generic), or iCE40 / Xilinx 7-series cells.
    Area(area::AreaArgs),
    /// Synthesize, place and route a top on an iCE40 (in a pin-saving board top) and report utilization and Fmax.
    Fpga(fpga::FpgaArgs),
    /// Measure (with --measure) and render the README's results tables.
    Report(report::ReportArgs),
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Presets { json } => {
            let mut rows = Vec::new();
            for name in presets::names() {
                let cfg = presets::load(name)?;
                rows.push(json!({ "name": name, "description": cfg.description, "config": cfg.to_json() }));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let w = presets::names().iter().map(|n| n.len()).max().unwrap_or(0);
                for r in &rows {
                    println!("{:<w$}  {}", r["name"].as_str().unwrap_or(""), r["description"].as_str().unwrap_or(""));
                }
            }
        }
        Cmd::Verilog { source, out, force, json } => {
            let (cfg, origin, stem) = source.resolve()?;
            let out = out.unwrap_or_else(|| PathBuf::from("verilog_out").join(&stem));
            let g = verilog::generate(&cfg, &origin, &stem)?;
            if let Some(note) = verilog::core_name_note(&g, &stem) {
                eprintln!("{note}");
            }
            verilog::write(&g, &out, force)?;
            let s = verilog::summary(&g, &out, &origin);
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                verilog::print_summary(&s);
            }
        }
        Cmd::Sim(cmd) => sim::run(cmd)?,
        Cmd::Area(args) => area::run(&args)?,
        Cmd::Fpga(args) => fpga::run(args)?,
        Cmd::Report(args) => report::run(args)?,
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            error::exit_code(&e)
        }
    }
}
