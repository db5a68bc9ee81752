//! Elaboration errors. Every rule of the HDL is checked when a module is built,
//! and a broken rule comes back as an [`HdlError`] naming the module and the
//! signal, never as a panic.

use std::fmt;

/// An elaboration error: which module, which signal (when there is one), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HdlError {
    pub module: String,
    pub signal: Option<String>,
    pub message: String,
}

impl fmt::Display for HdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.signal {
            Some(s) => write!(f, "module {}, signal {}: {}", self.module, s, self.message),
            None => write!(f, "module {}: {}", self.module, self.message),
        }
    }
}

impl std::error::Error for HdlError {}

impl HdlError {
    /// A block parameter outside what the block can build: `block` is the
    /// block's name stem (its module name without the parameters, which may be
    /// the bad values), `message` names the parameter and its allowed range.
    pub fn parameter(block: &str, message: impl Into<String>) -> HdlError {
        HdlError { module: block.to_string(), signal: None, message: message.into() }
    }
}

pub type Result<T> = std::result::Result<T, HdlError>;
