//! The crate's error type.

use std::path::PathBuf;

use crate::Direction;

/// Everything that can go wrong while verilating, compiling, loading or
/// driving a model.
///
/// Tool failures carry the tool's own output verbatim (Verilator's `%Error`
/// lines with file and line numbers, g++ diagnostics), so printing the error
/// is enough for a user to find the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required program (`verilator`, `g++`) could not be started.
    #[error("cannot run `{program}`: {message}")]
    ToolNotFound {
        /// The program that was looked up (name or path).
        program: String,
        /// Why it could not be run.
        message: String,
    },

    /// `verilator` exited with an error (lint, syntax, elaboration, ...).
    #[error("verilator failed ({status}); command: {command}\n{output}")]
    Verilator {
        /// Exit status description.
        status: String,
        /// The command line that was run.
        command: String,
        /// Verilator's combined stderr and stdout.
        output: String,
    },

    /// The C++ compiler or linker failed.
    #[error("g++ failed while {what} ({status}); command: {command}\n{output}")]
    Compiler {
        /// What was being done (e.g. "compiling verilated.cpp").
        what: String,
        /// Exit status description.
        status: String,
        /// The command line that was run.
        command: String,
        /// The compiler's combined stderr and stdout.
        output: String,
    },

    /// The generated files did not look as expected (e.g. an unknown port
    /// declaration in the Verilator header).
    #[error("unexpected Verilator output in {path}: {message}")]
    Generated {
        /// The generated file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },

    /// `dlopen` or symbol lookup failed.
    #[error("cannot load model library {path}: {message}")]
    Load {
        /// The shared object.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },

    /// The model could not be constructed.
    #[error("cannot create model instance of `{top}`")]
    Create {
        /// The top module name.
        top: String,
    },

    /// An I/O error on a file or directory.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The builder was configured inconsistently.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// `Model::port` was asked for a name the model does not have.
    #[error("unknown port `{name}` (the model has: {available})")]
    UnknownPort {
        /// The requested name.
        name: String,
        /// The model's port names, comma separated.
        available: String,
    },

    /// A value has bits set above the port's width.
    #[error("value {value} does not fit in {width}-bit port `{port}`")]
    ValueTooWide {
        /// Port name.
        port: String,
        /// Port width in bits.
        width: u32,
        /// The rejected value, in hexadecimal.
        value: String,
    },

    /// A write to an output port.
    #[error("port `{port}` is an {dir:?} port and cannot be written")]
    WrongDirection {
        /// Port name.
        port: String,
        /// Its direction.
        dir: Direction,
    },

    /// A scalar (`u64`) access to a port wider than 64 bits.
    #[error("port `{port}` is {width} bits wide; use set_wide/get_wide")]
    PortTooWide {
        /// Port name.
        port: String,
        /// Port width in bits.
        width: u32,
    },

    /// Tracing was requested on a model built without `Builder::trace(true)`.
    #[error("model `{top}` was not built with tracing; use Builder::trace(true)")]
    TraceNotEnabled {
        /// The top module name.
        top: String,
    },

    /// The FST writer could not open its file.
    #[error("cannot open FST trace {path}: {message}")]
    Trace {
        /// The trace file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}
