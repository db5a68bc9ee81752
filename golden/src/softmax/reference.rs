//! The float64 reference softmax and error statistics against it: for
//! measuring accuracy only, never for the spec's results.

/// float64 softmax of `scale · x` over the valid elements; 0 elsewhere (and
/// everywhere when no element is valid).
pub fn reference(scale: f64, x: &[i64], valid: &[bool]) -> Vec<f64> {
    let m = x.iter().zip(valid).filter(|(_, &v)| v).map(|(&x, _)| x).max();
    let Some(m) = m else {
        return vec![0.0; x.len()];
    };
    let e: Vec<f64> =
        x.iter().zip(valid).map(|(&x, &v)| if v { (scale * (x - m) as f64).exp() } else { 0.0 }).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// Error statistics against float64, in output LSB (units of 2^-O).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorStats {
    pub elements: u64,
    pub sum_err: f64,
    pub max_err: f64,
}

impl ErrorStats {
    /// Add one element: code `y`, float64 probability `r`.
    pub fn add(&mut self, out_bits: u32, y: u32, r: f64) {
        let err = (y as f64 - r * (1u64 << out_bits) as f64).abs();
        self.elements += 1;
        self.sum_err += err;
        self.max_err = self.max_err.max(err);
    }

    pub fn merge(&mut self, o: &ErrorStats) {
        self.elements += o.elements;
        self.sum_err += o.sum_err;
        self.max_err = self.max_err.max(o.max_err);
    }

    pub fn mean(&self) -> f64 {
        if self.elements == 0 {
            0.0
        } else {
            self.sum_err / self.elements as f64
        }
    }
}
