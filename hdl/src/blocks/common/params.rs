//! Parameter checks at a block's entry. Every block builder checks its
//! parameters before it builds anything, so a bad value comes back as an
//! [`HdlError`] naming the block, the parameter and the allowed range
//! (`module serrano_fifo: depth = 0: must be between 1 and 65536`) rather
//! than as a panic or an error about some internal signal.
//!
//! The messages have the form of golden's configuration errors, and a block
//! whose parameters are a configuration section validates it with golden's
//! own function ([`config`]), so each range is stated once.

use std::ops::RangeInclusive;

use golden::ConfigError;

use crate::core::{HdlError, Result};

/// `value` must lie in `range`.
pub fn check_range(block: &str, name: &str, value: u32, range: RangeInclusive<u32>) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(HdlError::parameter(
            block,
            format!("{name} = {value}: must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// `value` must be a power of two in `range`.
pub fn check_pow2(block: &str, name: &str, value: u32, range: RangeInclusive<u32>) -> Result<()> {
    if range.contains(&value) && value.is_power_of_two() {
        Ok(())
    } else {
        Err(HdlError::parameter(
            block,
            format!("{name} = {value}: must be a power of two between {} and {}", range.start(), range.end()),
        ))
    }
}

/// `value` must be one of `allowed`.
pub fn check_one_of(block: &str, name: &str, value: u32, allowed: &[u32]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        Err(HdlError::parameter(block, format!("{name} = {value}: must be {}", list.join(" or "))))
    }
}

/// The result of golden's validation of a configuration section, as the
/// error of `block`: golden's message already names the field and the range.
pub fn config(block: &str, checked: std::result::Result<(), ConfigError>) -> Result<()> {
    checked.map_err(|e| HdlError::parameter(block, e.to_string()))
}
