//! `serrano`: generate Serrano's Verilog from a configuration, simulate it
//! against the golden model, and report figures. Every subcommand that prints
//! figures takes `--json`.
//!
//! Exit codes: 0 success, 1 failure (a tool failed, a simulation mismatched),
//! 2 bad input (bad arguments, an invalid config, an unreadable file, an
//! output path that cannot be written).
//!
//! A closed standard output (`serrano presets --json | head -c1`) ends the
//! command quietly with exit code 0: the reader wanted no more. Rust ignores
//! SIGPIPE, so a write returns EPIPE; output goes through
//! [`error::print`], which returns that error to `main`, and a panic hook
//! turns the panic of a `println!` that met it into the same quiet exit, so
//! no subcommand panics on a pipe. (Restoring SIGPIPE's default instead
//! would kill the process with a signal: no exit code at all.)

mod area;
mod error;
mod fpga;
mod npy_io;
mod presets;
mod report;
mod run;
mod sim;
mod verilog;
mod yosys;

use std::io::Write;
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
    /// Run a kernel from memory through the generated core in Verilator, against the golden model.
    #[command(subcommand)]
    Run(run::RunCmd),
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
                error::print(serde_json::to_string_pretty(&rows)?)?;
            } else {
                let w = presets::names().iter().map(|n| n.len()).max().unwrap_or(0);
                for r in &rows {
                    error::print(format_args!(
                        "{:<w$}  {}",
                        r["name"].as_str().unwrap_or(""),
                        r["description"].as_str().unwrap_or("")
                    ))?;
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
        Cmd::Run(cmd) => run::run(cmd)?,
        Cmd::Area(args) => area::run(&args)?,
        Cmd::Fpga(args) => fpga::run(args)?,
        Cmd::Report(args) => report::run(args)?,
    }
    Ok(())
}

/// `println!` and `eprintln!` panic when the reader of the stream has gone;
/// end such a run as a closed pipe should end it (exit 0, nothing more to
/// say), and leave every other panic to the default hook.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p.downcast_ref::<String>().map(String::as_str).or_else(|| p.downcast_ref::<&str>().copied());
        if let Some(m) = msg {
            let printing = m.starts_with("failed printing to stdout") || m.starts_with("failed printing to stderr");
            if printing && m.contains("Broken pipe") {
                std::process::exit(0);
            }
        }
        default(info)
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!: a closed stderr must not turn an error into a panic.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            error::exit_code(&e)
        }
    }
}
