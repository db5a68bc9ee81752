//! The Serrano core: one accelerator from memory to memory (`docs/isa.md`).
//!
//! Interfaces: one AXI4 master `m_axi_*` (the `[dma]` widths; reads shared
//! by the command fetch and the load engine through [`axi_read_mux`], writes
//! from the store engine), one AXI4-Lite slave `s_axil_*` (the register map
//! of [`core_regs`]), and `irq`.
//!
//! Inside, top to bottom: the register block; the command fetch (ring →
//! commands); the decoder (checks, footprints); the command processor
//! (queues, scoreboard, control commands, faults, head, counters); the load,
//! compute and store engines; and the banked scratchpad they share
//! (writers: load, tile results, softmax results; readers: store, tile
//! activations, tile weights, softmax input).

use golden::core::CoreParams;
use golden::Config;

use crate::blocks::accel::axi_read_mux::axi_read_mux;
use crate::blocks::accel::core_cmdproc::{core_cmdproc_with, Mutant, ID_BITS};
use crate::blocks::accel::core_compute::core_compute;
use crate::blocks::accel::core_decode::core_decode;
use crate::blocks::accel::core_fetch::core_fetch;
use crate::blocks::accel::core_load::core_load;
use crate::blocks::accel::core_regs::core_regs;
use crate::blocks::accel::core_store::core_store;
use crate::blocks::accel::scratchpad::{scratchpad, SpadParams};
use crate::core::{Bundle, Expr, Instance, Module, Result, Role};

/// The counters the command processor and the engines feed, by the
/// register block's `inc_<name>` ports: (counter, instance, port).
const INCREMENTS: &[(&str, &str, &str)] = &[
    ("commands_retired", "cmdproc", "inc_commands_retired"),
    ("dram_bytes_read", "cmdproc", "inc_dram_bytes_read"),
    ("dram_bytes_written", "cmdproc", "inc_dram_bytes_written"),
    ("macs", "cmdproc", "inc_macs"),
    ("softmax_elements", "cmdproc", "inc_softmax_elements"),
    ("fences", "cmdproc", "inc_fences"),
    ("busy_load", "load", "busy"),
    ("busy_tile", "compute", "busy_tile"),
    ("busy_softmax", "compute", "busy_softmax"),
    ("busy_store", "store", "busy"),
    ("stall_load", "load", "stall"),
    ("stall_tile", "compute", "stall_tile"),
    ("stall_softmax", "compute", "stall_softmax"),
    ("stall_store", "store", "stall"),
];

pub fn core_name(cfg: &Config) -> Result<String> {
    let p = params(cfg)?;
    let (s, x) = (&cfg.systolic, &cfg.softmax);
    Ok(format!(
        "serrano_core_r{}c{}d{}_s{}x{}i{}o{}_d{}a{}_k{}b{}",
        s.rows,
        s.cols,
        s.acc_depth,
        x.lanes,
        x.max_len,
        x.in_bits,
        x.out_bits,
        cfg.dma.data_bits,
        cfg.dma.addr_bits,
        p.lines * p.line / 1024,
        p.banks
    ))
}

fn params(cfg: &Config) -> Result<CoreParams> {
    CoreParams::new(cfg).map_err(|e| crate::core::HdlError { module: "serrano_core".into(), signal: None, message: e })
}

/// Named connections as [`Module::instance`] takes them.
fn refs(conns: &[(String, Expr)]) -> Vec<(&str, &Expr)> {
    conns.iter().map(|(n, e)| (n.as_str(), e)).collect()
}

/// Wires named `<prefix><port>` for each port, to close loops between instances.
fn wires(m: &mut Module, child: &Module, prefix: &str, ports: &[&str]) -> Result<Vec<(String, Expr)>> {
    let descs = child.ports();
    ports
        .iter()
        .map(|port| {
            let d =
                descs.iter().find(|d| d.name == *port).unwrap_or_else(|| panic!("{} has no port {port}", child.name()));
            Ok((port.to_string(), m.wire(&format!("{prefix}{port}"), d.ty)?))
        })
        .collect()
}

/// Drive each wire from the instance's output of the same port name.
fn close(m: &mut Module, inst: &Instance, w: &[(String, Expr)]) -> Result<()> {
    for (port, wire) in w {
        m.assign(wire, inst.out(port)?)?;
    }
    Ok(())
}

fn get(w: &[(String, Expr)], port: &str) -> Expr {
    w.iter().find(|(n, _)| n == port).unwrap_or_else(|| panic!("no wire for {port}")).1.clone()
}

/// The core for `cfg` (validated, with a `[core]` section).
pub fn core_top(cfg: &Config) -> Result<Module> {
    core_top_with(cfg, None)
}

/// The core with a mutant command processor (for the tests that must catch it).
pub fn core_top_with(cfg: &Config, mutant: Option<Mutant>) -> Result<Module> {
    let p = params(cfg)?;
    let (a, d, id) = (cfg.dma.addr_bits, cfg.dma.data_bits, cfg.dma.id_bits);
    let name = match mutant {
        None => core_name(cfg)?,
        Some(mu) => format!("{}_mutant_{mu:?}", core_name(cfg)?).to_lowercase(),
    };
    let mut m = Module::new(&name);
    m.doc(
        "Serrano core: command fetch, decoder, command processor, load/compute/store engines and a banked scratchpad",
    );
    m.doc("behind one AXI4 master and one AXI4-Lite slave. See docs/isa.md.");
    let lite = m.bundle_ports(
        "s_axil",
        &Bundle::axi4_lite(crate::blocks::accel::core_regmap::AXIL_ADDR_BITS, 32),
        Role::Slave,
    )?;
    let axi_rd = m.bundle_ports("m_axi", &Bundle::axi4_read(a, d, id), Role::Master)?;
    let axi_wr = m.bundle_ports("m_axi", &Bundle::axi4_write(a, d, id), Role::Master)?;

    let regs_m = core_regs(cfg)?;
    let fetch_m = core_fetch(d, a, id)?;
    let dec_m = core_decode(&p)?;
    let cp_m = core_cmdproc_with(&p, mutant)?;
    let load_m = core_load(&p, ID_BITS)?;
    let comp_m = core_compute(&p, ID_BITS)?;
    let store_m = core_store(&p, ID_BITS)?;
    let spad_m = scratchpad(&SpadParams {
        line_bytes: p.line,
        banks: p.banks,
        lines_per_bank: p.lines_per_bank(),
        writers: 3,
        readers: 4,
    })?;
    let mux_m = axi_read_mux(a, d, id)?;

    // Loops between instances go through wires named after the driving instance.
    let regs_w = wires(
        &mut m,
        &regs_m,
        "regs_",
        &[
            "ring_base",
            "ring_size",
            "tail",
            "clear",
            "faulted",
            "rtbl_we",
            "rtbl_waddr",
            "rtbl_wdata",
            "wtbl_we",
            "wtbl_waddr",
            "wtbl_wdata",
            "axi_cache",
            "axi_prot",
        ],
    )?;
    let cp_w = wires(
        &mut m,
        &cp_m,
        "cp_",
        &[
            "head",
            "stop",
            "dec_flush",
            "dec_ready",
            "lq_valid",
            "lq_id",
            "lq_data",
            "lq_lines",
            "lq_go",
            "lq_kill",
            "cq_valid",
            "cq_id",
            "cq_data",
            "cq_go",
            "cq_kill",
            "sq_valid",
            "sq_id",
            "sq_data",
            "sq_lines",
            "sq_last_bytes",
            "sq_go",
            "sq_kill",
        ],
    )?;
    let fetch_w = wires(&mut m, &fetch_m, "fetch_", &["cmd_valid", "cmd_data", "cmd_index", "cmd_resp"])?;
    let dec_w = wires(&mut m, &dec_m, "dec_", &["cmd_ready"])?;
    let spad_w = wires(
        &mut m,
        &spad_m,
        "spad_",
        &[
            "w0_ready",
            "w1_ready",
            "w2_ready",
            "r0_ready",
            "r0_rvalid",
            "r0_rdata",
            "r1_ready",
            "r1_rvalid",
            "r1_rdata",
            "r2_ready",
            "r2_rvalid",
            "r2_rdata",
            "r3_ready",
            "r3_rvalid",
            "r3_rdata",
        ],
    )?;
    let mux_w = wires(
        &mut m,
        &mux_m,
        "mux_",
        &[
            "s0_arready",
            "s0_rid",
            "s0_rdata",
            "s0_rresp",
            "s0_rlast",
            "s0_rvalid",
            "s1_arready",
            "s1_rid",
            "s1_rdata",
            "s1_rresp",
            "s1_rlast",
            "s1_rvalid",
        ],
    )?;

    // ---- fetch and decode ----
    let mut c: Vec<(String, Expr)> =
        ["ring_base", "ring_size", "tail"].iter().map(|n| (n.to_string(), get(&regs_w, n))).collect();
    c.push(("head".into(), get(&cp_w, "head")));
    c.push(("stop".into(), get(&cp_w, "stop")));
    c.push(("cmd_ready".into(), get(&dec_w, "cmd_ready")));
    for f in ["arready", "rid", "rdata", "rresp", "rlast", "rvalid"] {
        c.push((format!("m_axi_{f}"), get(&mux_w, &format!("s1_{f}"))));
    }
    let fetch = m.instance("u_fetch", &fetch_m, &refs(&c))?;
    close(&mut m, &fetch, &fetch_w)?;
    m.allow_unused(&fetch.out("quiet")?, "the command processor waits on its own state")?;

    let mut c: Vec<(String, Expr)> = fetch_w.iter().map(|(n, e)| (n.clone(), e.clone())).collect();
    for n in ["rtbl_we", "rtbl_waddr", "rtbl_wdata", "wtbl_we", "wtbl_waddr", "wtbl_wdata"] {
        c.push((n.into(), get(&regs_w, n)));
    }
    c.push(("flush".into(), get(&cp_w, "dec_flush")));
    c.push(("clear_fold".into(), get(&regs_w, "clear")));
    c.push(("dec_ready".into(), get(&cp_w, "dec_ready")));
    let dec = m.instance("u_decode", &dec_m, &refs(&c))?;
    close(&mut m, &dec, &dec_w)?;

    // ---- the engines ----
    let queue = |pre: &str, fields: &[&str]| -> Vec<(String, Expr)> {
        fields.iter().map(|f| (format!("q_{f}"), get(&cp_w, &format!("{pre}_{f}")))).collect()
    };
    let mut c = queue("lq", &["valid", "id", "data", "lines"]);
    c.extend([("go".into(), get(&cp_w, "lq_go")), ("kill".into(), get(&cp_w, "lq_kill"))]);
    c.extend(
        [
            ("tbl_we", "rtbl_we"),
            ("tbl_waddr", "rtbl_waddr"),
            ("tbl_wdata", "rtbl_wdata"),
            ("axi_cache", "axi_cache"),
            ("axi_prot", "axi_prot"),
        ]
        .map(|(p, r)| (p.to_string(), get(&regs_w, r))),
    );
    for f in ["arready", "rid", "rdata", "rresp", "rlast", "rvalid"] {
        c.push((format!("m_axi_{f}"), get(&mux_w, &format!("s0_{f}"))));
    }
    c.push(("w_ready".into(), get(&spad_w, "w0_ready")));
    let load = m.instance("u_load", &load_m, &refs(&c))?;

    let mut c = queue("sq", &["valid", "id", "data", "lines", "last_bytes"]);
    c.extend([("go".into(), get(&cp_w, "sq_go")), ("kill".into(), get(&cp_w, "sq_kill"))]);
    c.extend(
        [
            ("tbl_we", "wtbl_we"),
            ("tbl_waddr", "wtbl_waddr"),
            ("tbl_wdata", "wtbl_wdata"),
            ("axi_cache", "axi_cache"),
            ("axi_prot", "axi_prot"),
        ]
        .map(|(p, r)| (p.to_string(), get(&regs_w, r))),
    );
    c.extend(axi_wr.inputs_for("m_axi"));
    c.extend(
        [("r_ready", "r0_ready"), ("r_rvalid", "r0_rvalid"), ("r_rdata", "r0_rdata")]
            .map(|(p, s)| (p.to_string(), get(&spad_w, s))),
    );
    let store = m.instance("u_store", &store_m, &refs(&c))?;

    let mut c = queue("cq", &["valid", "id", "data"]);
    c.extend([("go".into(), get(&cp_w, "cq_go")), ("kill".into(), get(&cp_w, "cq_kill"))]);
    c.push(("clear_fold".into(), get(&regs_w, "clear")));
    for (cl, sp) in [("ra", "r1"), ("rb", "r2"), ("rx", "r3")] {
        for f in ["ready", "rvalid", "rdata"] {
            c.push((format!("{cl}_{f}"), get(&spad_w, &format!("{sp}_{f}"))));
        }
    }
    c.push(("wc_ready".into(), get(&spad_w, "w1_ready")));
    c.push(("wy_ready".into(), get(&spad_w, "w2_ready")));
    let comp = m.instance("u_compute", &comp_m, &refs(&c))?;

    // ---- the command processor ----
    let mut c: Vec<(String, Expr)> = Vec::new();
    for f in
        ["valid", "data", "index", "opcode", "queue", "err", "dma_status", "rd_lo", "rd_hi", "wr_lo", "wr_hi", "amount"]
    {
        c.push((format!("dec_{f}"), dec.out(&format!("dec_{f}"))?));
    }
    c.push(("faulted".into(), get(&regs_w, "faulted")));
    c.push(("ring_size".into(), get(&regs_w, "ring_size")));
    c.push(("tail".into(), get(&regs_w, "tail")));
    for (pre, inst) in [("ld", &load), ("st", &store)] {
        for f in ["valid", "id", "code"] {
            c.push((format!("{pre}_done_{f}"), inst.out(&format!("done_{f}"))?));
        }
    }
    for k in ["a", "b", "c", "y", "q"] {
        for f in ["valid", "id"] {
            c.push((format!("cp_done_{k}_{f}"), comp.out(&format!("done_{k}_{f}"))?));
        }
    }
    c.push(("lq_ready".into(), load.out("q_ready")?));
    c.push(("cq_ready".into(), comp.out("q_ready")?));
    c.push(("sq_ready".into(), store.out("q_ready")?));
    c.push(("ld_busy".into(), load.out("busy")?));
    c.push(("st_busy".into(), store.out("busy")?));
    c.push(("tile_busy".into(), comp.out("busy_tile")?));
    c.push(("softmax_busy".into(), comp.out("busy_softmax")?));
    let cp = m.instance("u_cmdproc", &cp_m, &refs(&c))?;
    close(&mut m, &cp, &cp_w)?;

    // ---- the scratchpad ----
    let mut c: Vec<(String, Expr)> = Vec::new();
    for (k, (inst, pre)) in [(&load, "w"), (&comp, "wc"), (&comp, "wy")].into_iter().enumerate() {
        for f in ["valid", "line", "data", "strb"] {
            c.push((format!("w{k}_{f}"), inst.out(&format!("{pre}_{f}"))?));
        }
    }
    for (k, (inst, pre)) in [(&store, "r"), (&comp, "ra"), (&comp, "rb"), (&comp, "rx")].into_iter().enumerate() {
        for f in ["valid", "line"] {
            c.push((format!("r{k}_{f}"), inst.out(&format!("{pre}_{f}"))?));
        }
    }
    let spad = m.instance("u_spad", &spad_m, &refs(&c))?;
    close(&mut m, &spad, &spad_w)?;

    // ---- the AXI read mux: s0 the load engine, s1 the fetch ----
    let mut c = axi_rd.inputs_for("m_axi");
    for (s, inst) in [("s0", &load), ("s1", &fetch)] {
        for f in [
            "arvalid", "araddr", "arlen", "arsize", "arburst", "arid", "arlock", "arcache", "arprot", "arqos", "rready",
        ] {
            if let Ok(e) = inst.out(&format!("m_axi_{f}")) {
                c.push((format!("{s}_{f}"), e));
            }
        }
    }
    let mx = m.instance("u_rdmux", &mux_m, &refs(&c))?;
    close(&mut m, &mx, &mux_w)?;
    axi_rd.connect(&mut m, &mx, "m_axi")?;
    axi_wr.connect(&mut m, &store, "m_axi")?;

    // ---- the register block ----
    let mut c = lite.inputs_for("s_axil");
    for f in ["head", "busy", "fault_set", "fault_code", "fault_index", "fault_dma", "fence_set"] {
        c.push((f.to_string(), cp.out(f)?));
    }
    let busy = cp.out("busy")?;
    c.push(("inc_cycles".into(), busy));
    c.push(("inc_busy_fetch".into(), !fetch.out("quiet")? | fetch.out("cmd_valid")?));
    c.push(("inc_axi_read_beats".into(), axi_rd.get("rvalid")? & mx.out("m_axi_rready")?));
    for (counter, inst, port) in INCREMENTS {
        let i = match *inst {
            "cmdproc" => &cp,
            "load" => &load,
            "compute" => &comp,
            _ => &store,
        };
        c.push((format!("inc_{counter}"), i.out(port)?));
    }
    c.push(("inc_axi_write_beats".into(), store.out("m_axi_wvalid")? & axi_wr.get("wready")?));
    let regs = m.instance("u_regs", &regs_m, &refs(&c))?;
    close(&mut m, &regs, &regs_w)?;
    lite.connect(&mut m, &regs, "s_axil")?;
    m.output_doc("irq", regs.out("irq")?, "a FENCE was reached (and IRQ_ENABLE)")?;
    Ok(m)
}
