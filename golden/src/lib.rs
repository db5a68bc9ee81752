//! Serrano's golden models: the specification every RTL block is checked
//! against, bit for bit. Integer arithmetic only; every rounding, wrap and
//! saturation rule is named here and in `docs/numerics.md`. The one place
//! with float data is [`llm`]: a pretrained model's stored weights are
//! floats, and their exact decoding, their int8 quantization and the host's
//! float steps around the core's integer work are defined there.
//!
//! This crate depends on no HDL crate on purpose: it is the spec, not a copy of
//! the RTL.

pub mod attention;
pub mod config;
pub mod core;
pub mod dma;
pub mod layer;
pub mod llm;
pub mod numeric;
pub mod softmax;
pub mod tile;

pub use config::{Config, ConfigError, CoreConfig, DmaConfig, PeConfig, SoftmaxConfig, SystolicConfig};
