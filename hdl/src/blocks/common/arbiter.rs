//! A round-robin arbiter: the grant logic shared by every block where several
//! clients compete for one resource (a scratchpad bank's port, the AXI read
//! channels). Not a block: a function that adds its state and logic to a module.
//!
//! Among the clients requesting in a cycle, the first after the one granted
//! last (in index order, wrapping) wins, so a client that keeps requesting
//! waits at most `n - 1` cycles, however the others behave. The grant is
//! combinational in the requests (a request granted in its first cycle
//! costs no latency); the only state is the last winner's index.

use crate::blocks::common::lanes::{index_bits, lit};
use crate::core::{cat, mux, Expr, Module, Result, UInt};

/// One arbitration: the one-hot grants (`grant[i]` for `req[i]`) and whether anything was granted.
pub struct Grant {
    pub grant: Vec<Expr>,
    pub any: Expr,
    /// The granted client's index (meaningful when `any`).
    pub index: Expr,
}

/// Grant one of `req` (each a `Bit`), round-robin. `name` prefixes the
/// arbiter's signals. The last winner is remembered when `advance` is 1 and
/// something is granted (a grant the resource could not take is no turn).
pub fn round_robin(m: &mut Module, name: &str, req: &[Expr], advance: &Expr) -> Result<Grant> {
    let n = req.len();
    let ib = index_bits(n as u64);
    if n == 1 {
        let g = m.node(&format!("{name}_grant"), &req[0])?;
        return Ok(Grant { grant: vec![g.clone()], any: g, index: lit(0, 1) });
    }
    let last = m.reg(&format!("{name}_last"), UInt(ib)).reset(n as i128 - 1).doc("the client granted last").build()?;
    // For each possible last winner l, a fixed-priority grant starting at l + 1.
    let mut grant: Vec<Expr> = (0..n).map(|_| lit(0, 1)).collect();
    for l in 0..n {
        let is_l = last.q.cmp_eq(lit(l as u128, ib));
        let mut taken = lit(0, 1);
        for o in 1..=n {
            let c = (l + o) % n;
            let g = &req[c] & !&taken;
            taken = &taken | &req[c];
            grant[c] = mux(&is_l, &g, &grant[c]);
        }
    }
    let grant: Vec<Expr> =
        grant.iter().enumerate().map(|(i, g)| m.node(&format!("{name}_grant{i}"), g)).collect::<Result<_>>()?;
    let refs: Vec<&Expr> = grant.iter().rev().collect();
    let any = m.node(&format!("{name}_any"), cat(&refs).any())?;
    let index = grant.iter().enumerate().skip(1).fold(lit(0, ib), |acc, (i, g)| mux(g, &lit(i as u128, ib), &acc));
    let index = m.node(&format!("{name}_index"), index)?;
    m.set_next(&last, mux(&(&any & advance), &index, &last.q))?;
    Ok(Grant { grant, any, index })
}
