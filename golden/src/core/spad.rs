//! The scratchpad: lines of L bytes. It is not reset, so the model tracks
//! which bytes have been written: a program that reads a byte it never wrote
//! depends on power-up contents, and is refused.

/// Scratchpad contents and which bytes are defined.
#[derive(Clone, Debug)]
pub struct Scratchpad {
    line: usize,
    bytes: Vec<u8>,
    defined: Vec<bool>,
    /// When on, every line read (false) and written (true), for tests that
    /// check a command stays inside its footprint.
    pub(super) log: Option<Vec<(bool, u64)>>,
}

impl Scratchpad {
    /// `lines` lines of `line` bytes, none defined.
    pub fn new(lines: u32, line: u32) -> Scratchpad {
        let n = lines as usize * line as usize;
        Scratchpad { line: line as usize, bytes: vec![0; n], defined: vec![false; n], log: None }
    }

    /// Set the whole contents (every byte becomes defined).
    pub fn load_image(&mut self, image: &[u8]) {
        assert_eq!(image.len(), self.bytes.len(), "a scratchpad image has exactly the scratchpad's bytes");
        self.bytes.copy_from_slice(image);
        self.defined.iter_mut().for_each(|d| *d = true);
    }

    /// The contents (bytes never written read as 0 here; they are undefined).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `n` bytes from byte `off` of line `line` on, across lines; `Err(line)`
    /// names the first line with an undefined byte among them.
    pub fn read(&mut self, line: u64, off: u32, n: usize) -> Result<Vec<u8>, u64> {
        let a = line as usize * self.line + off as usize;
        self.note(false, a, n);
        if let Some(i) = self.defined[a..a + n].iter().position(|d| !d) {
            return Err(((a + i) / self.line) as u64);
        }
        Ok(self.bytes[a..a + n].to_vec())
    }

    /// Write `data` from byte `off` of line `line` on (only these bytes: the
    /// byte enables of the RAM's write port).
    pub fn write(&mut self, line: u64, off: u32, data: &[u8]) {
        let a = line as usize * self.line + off as usize;
        self.note(true, a, data.len());
        self.bytes[a..a + data.len()].copy_from_slice(data);
        self.defined[a..a + data.len()].iter_mut().for_each(|d| *d = true);
    }

    fn note(&mut self, write: bool, a: usize, n: usize) {
        if let Some(log) = &mut self.log {
            if n > 0 {
                log.extend(((a / self.line)..=((a + n - 1) / self.line)).map(|l| (write, l as u64)));
            }
        }
    }
}
