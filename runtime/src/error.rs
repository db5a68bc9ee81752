//! The runtime's errors: bad input named plainly, never a panic.

use std::fmt;

use golden::core::isa::{ErrorCode, IsaError};
use golden::core::{CoreFault, ProgramError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeError {
    /// Shapes, parameters or a configuration the call cannot use.
    Input(String),
    /// A command field that does not fit its encoding.
    Encode(IsaError),
    /// The program's result is undefined (a DRAM race, undefined state).
    Program(ProgramError),
    /// The core stopped on a fault.
    Fault(CoreFault),
    /// The backend itself failed (a simulation that hung, a protocol error).
    Backend(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Input(m) => f.write_str(m),
            RuntimeError::Encode(e) => write!(f, "cannot encode the program: {e}"),
            RuntimeError::Program(e) => write!(f, "invalid program: {e}"),
            RuntimeError::Fault(c) => write!(
                f,
                "the core stopped at command {}: error {:#04x} {} ({}), DMA status {}",
                c.index,
                c.code.code(),
                c.code.name(),
                ErrorCode::meaning(c.code),
                c.dma_status.name()
            ),
            RuntimeError::Backend(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RuntimeError {}

impl From<IsaError> for RuntimeError {
    fn from(e: IsaError) -> Self {
        RuntimeError::Encode(e)
    }
}

impl From<ProgramError> for RuntimeError {
    fn from(e: ProgramError) -> Self {
        RuntimeError::Program(e)
    }
}
