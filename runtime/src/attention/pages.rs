//! The KV pages in the scratchpad: page slots, and the chunk loads of a
//! run planned in the order the folds use them, so that loads run ahead of
//! the folds across query blocks and sequences.
//!
//! A run's folds are planned first ([`Pages::use_chunk`], in the order they
//! will be emitted), then emitted: before each fold, [`Loads::upto`] issues
//! the loads it needs and up to [`LOOKAHEAD`] more. A load that takes a slot
//! from another page is never issued before that page's last fold, so a
//! lookahead cannot overwrite a page still to be read.

use golden::dma::Descriptor;

use crate::layout::Region;
use crate::program::ProgramBuilder;

/// Chunks loaded ahead of the one the next fold needs: enough to keep the
/// DMA streaming, few enough that a load waiting in the scoreboard does not
/// hold back the folds behind it (the scoreboard retires in order). A chunk
/// is a whole K page or one column block of a V page (4 KiB and 1 KiB at
/// d = 64 with 64-token pages), so one ahead already covers the memory
/// latency: on the default core at latency 100, decode at context 1,024 took
/// 10,171 cycles with 1, 10,264 with 2 and 10,788 with 4 (batch 16: 151,732,
/// 154,160, 159,868).
pub const LOOKAHEAD: usize = 1;

/// A page: (sequence, 2 × K/V head + 0 for K or 1 for V, page index).
pub type PageKey = (usize, usize, usize);

/// What one fold reads: its slot's first line, and how many of the run's
/// loads must be issued before it.
#[derive(Clone, Copy, Debug)]
pub struct Use {
    pub line: u32,
    pub need: usize,
}

/// One slot: its page, which chunks are loaded, and the last fold that used it.
#[derive(Clone, Debug)]
struct Slot {
    key: PageKey,
    loaded: Vec<bool>,
    last_use: usize,
}

/// Page slots of one region, taken round the ring.
pub struct Slots {
    region: Region,
    page_lines: u32,
    held: Vec<Option<Slot>>,
    next: usize,
}

impl Slots {
    pub fn new(region: Region, page_lines: u32) -> Slots {
        let n = (region.lines / page_lines) as usize;
        Slots { region, page_lines, held: vec![None; n], next: 0 }
    }
}

/// A planned load: descriptor, first line, and the fold it must follow
/// (the last use of the page whose slot it takes).
#[derive(Clone, Copy, Debug)]
struct Load {
    desc: Descriptor,
    line: u32,
    after: Option<usize>,
}

/// The run's loads in fold order, and how many are issued.
#[derive(Default)]
pub struct Loads {
    list: Vec<Load>,
    issued: usize,
}

impl Loads {
    /// Before fold `pos`: issue every load up to `need`, and ahead up to
    /// [`LOOKAHEAD`] more as long as none would overwrite a page fold `pos`
    /// or a later one still reads.
    pub fn upto(&mut self, pb: &mut ProgramBuilder, need: usize, pos: usize) {
        let end = (need + LOOKAHEAD).min(self.list.len());
        while self.issued < end {
            let l = self.list[self.issued];
            if self.issued >= need && l.after.is_some_and(|a| a >= pos) {
                break;
            }
            debug_assert!(l.after.is_none_or(|a| a < pos), "a load would overwrite a page still read");
            pb.dma_load(l.desc, l.line);
            self.issued += 1;
        }
    }

    /// Issue whatever is left.
    pub fn rest(&mut self, pb: &mut ProgramBuilder) {
        self.upto(pb, self.list.len(), usize::MAX);
    }
}

/// The K and V slots and the run's loads, planned fold by fold.
pub struct Pages {
    pub k: Slots,
    pub v: Slots,
    pub loads: Loads,
    pos: usize,
}

impl Pages {
    pub fn new(k: Slots, v: Slots) -> Pages {
        Pages { k, v, loads: Loads::default(), pos: 0 }
    }

    /// Plan the next fold: it reads chunk `chunk` (of `chunks`) of page `key`
    /// from the V slots (`v`) or the K slots. `load` gives the chunk's
    /// descriptor and its first line within the slot, should it need loading.
    pub fn use_chunk(
        &mut self,
        v: bool,
        key: PageKey,
        chunk: usize,
        chunks: usize,
        load: impl FnOnce() -> (Descriptor, u32),
    ) -> Use {
        let pos = self.pos;
        self.pos += 1;
        let s = if v { &mut self.v } else { &mut self.k };
        let (i, after) = match s.held.iter().position(|h| h.as_ref().is_some_and(|h| h.key == key)) {
            Some(i) => (i, None),
            None => {
                let i = s.next;
                s.next = (s.next + 1) % s.held.len();
                let after = s.held[i].as_ref().map(|h| h.last_use);
                s.held[i] = Some(Slot { key, loaded: vec![false; chunks], last_use: pos });
                (i, after)
            }
        };
        let slot = s.held[i].as_mut().expect("just taken");
        slot.last_use = pos;
        let line = s.region.start + i as u32 * s.page_lines;
        if !std::mem::replace(&mut slot.loaded[chunk], true) {
            let (desc, off) = load();
            self.loads.list.push(Load { desc, line: line + off, after });
        }
        Use { line, need: self.loads.list.len() }
    }
}
