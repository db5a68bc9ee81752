//! Random problems for benchmarks and tests without a random-number crate:
//! xorshift64* and the shuffled block tables of a shared page pool.

use golden::tile::gemm::Matrix;

/// xorshift64* (Vigna), seeded so that seed 0 works too.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A matrix of values uniform in `-m..=m` (`m` ≤ 127; 127 is nearly all of int8).
    pub fn matrix(&mut self, rows: usize, cols: usize, m: i64) -> Matrix<i8> {
        let span = 2 * m as u64 + 1;
        let data = (0..rows * cols).map(|_| (((self.next_u64() >> 11) % span) as i64 - m) as i8).collect();
        Matrix::from_vec(rows, cols, data).expect("rows × cols elements")
    }

    /// Block tables for sequences of `pages` pages each, from one pool (with
    /// 3 blocks to spare) handed out in shuffled order: (tables, pool size).
    pub fn block_tables(&mut self, pages: &[usize]) -> (Vec<Vec<u32>>, usize) {
        let pool = pages.iter().sum::<usize>() + 3;
        let mut order: Vec<u32> = (0..pool as u32).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (self.next_u64() % (i as u64 + 1)) as usize);
        }
        let mut next = 0;
        let tables = pages
            .iter()
            .map(|&n| {
                next += n;
                order[next - n..next].to_vec()
            })
            .collect();
        (tables, pool)
    }
}
