//! The command's errors and its exit codes, shared by every subcommand.
//!
//! Exit codes: 0 success; 1 failure (a tool failed, a simulation mismatched,
//! a design does not fit); 2 bad input (bad arguments, an invalid config, an
//! unreadable or malformed file). A subcommand returns an `anyhow::Error`;
//! one that wraps a [`UsageError`] anywhere in its chain exits 2.

use std::process::ExitCode;

/// An error in what the user gave: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for an error that ended a subcommand.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    if e.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}
