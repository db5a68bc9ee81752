//! Sets of DRAM byte ranges: what DMA_STOREs wrote and DMA_LOADs read since
//! the last BARRIER, to find the DRAM races the hardware does not order.

use std::collections::BTreeMap;

/// Disjoint, merged byte ranges `[start, end)`.
#[derive(Clone, Debug, Default)]
pub struct RangeSet {
    ranges: BTreeMap<u64, u64>,
}

impl RangeSet {
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    /// The first byte of `[start, end)` in the set.
    pub fn first_overlap(&self, start: u64, end: u64) -> Option<u64> {
        // A range that starts before `end` and ends after `start`: the last
        // one starting before `end`, or one starting inside.
        let (&s, &e) = self.ranges.range(..end).next_back()?;
        if e > start {
            let hit = self.ranges.range(..end).rev().take_while(|(_, &e)| e > start).map(|(&s, _)| s).last();
            return Some(hit.unwrap_or(s).max(start));
        }
        None
    }

    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut s, mut e) = (start, end);
        let touching: Vec<(u64, u64)> =
            self.ranges.range(..=end).rev().take_while(|(_, &re)| re >= start).map(|(&a, &b)| (a, b)).collect();
        for (a, b) in touching {
            self.ranges.remove(&a);
            s = s.min(a);
            e = e.max(b);
        }
        self.ranges.insert(s, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_and_merges() {
        let mut r = RangeSet::default();
        r.insert(10, 20);
        r.insert(30, 40);
        assert_eq!(r.first_overlap(0, 10), None);
        assert_eq!(r.first_overlap(20, 30), None);
        assert_eq!(r.first_overlap(15, 35), Some(15));
        assert_eq!(r.first_overlap(0, 100), Some(10));
        assert_eq!(r.first_overlap(39, 41), Some(39));
        r.insert(20, 30);
        assert_eq!(r.ranges.len(), 1);
        assert_eq!(r.first_overlap(25, 26), Some(25));
        r.clear();
        assert_eq!(r.first_overlap(0, u64::MAX), None);
    }
}
