//! The Serrano core: one accelerator from memory to memory (`docs/isa.md`).
//!
//! Interfaces: one AXI4 master `m_axi_*` (the `[dma]` widths; reads shared
//! by the command fetch and the load engine through [`axi_read_mux`], writes
//! from the store engine), one AXI4-Lite slave `s_axil_*` (the register map
//! of [`core_regs`]), and `irq`.
//!
//! Inside, top to bottom: the register block; the command fetch (ring →
//! commands); the macro expander (TILE_MATMUL → its pairs); the decoder (checks, footprints); the command processor
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
use crate::blocks::accel::core_expand::core_expand;
use crate::blocks::accel::core_fetch::core_fetch;
use crate::blocks::accel::core_load::core_load;
use crate::blocks::accel::core_regs::core_regs;
use crate::blocks::accel::core_store::core_store;
use crate::blocks::accel::scratchpad::{scratchpad, SpadParams};
use crate::core::{Bundle, BundleSig, Expr, Instance, Module, Result, Role};

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
        "serrano_core_r{}c{}d{}_s{}x{}i{}o{}_d{}a{}_k{}b{}{}",
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
        p.banks,
        crate::blocks::accel::core_cmdproc::in_flight_suffix(&p)
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

/// The outputs of each instance that feed instances made before it: wires
/// named after the driving instance (`regs_ring_base`, ...), by port.
struct Loops {
    regs: Vec<(String, Expr)>,
    cp: Vec<(String, Expr)>,
    fetch: Vec<(String, Expr)>,
    exp: Vec<(String, Expr)>,
    dec: Vec<(String, Expr)>,
    spad: Vec<(String, Expr)>,
    mux: Vec<(String, Expr)>,
}

const REGS_LOOP: &[&str] = &[
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
];
const CP_LOOP: &[&str] = &[
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
];
const SPAD_LOOP: &[&str] = &[
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
];
/// An AXI4 read port's slave-side fields.
const AXI_R_IN: [&str; 6] = ["arready", "rid", "rdata", "rresp", "rlast", "rvalid"];

/// The command fetch: the ring from the registers, head and stop from the
/// command processor, AXI reads through the mux's `s1`, commands to the expander.
fn fetch_conns(l: &Loops) -> Vec<(String, Expr)> {
    let mut c: Vec<(String, Expr)> =
        ["ring_base", "ring_size", "tail"].iter().map(|n| (n.to_string(), get(&l.regs, n))).collect();
    c.push(("head".into(), get(&l.cp, "head")));
    c.push(("stop".into(), get(&l.cp, "stop")));
    c.push(("cmd_ready".into(), get(&l.exp, "cmd_ready")));
    for f in AXI_R_IN {
        c.push((format!("m_axi_{f}"), get(&l.mux, &format!("s1_{f}"))));
    }
    c
}

/// The expander: the fetched commands to the decoder, flushed with it.
fn expand_conns(l: &Loops) -> Vec<(String, Expr)> {
    let mut c: Vec<(String, Expr)> = l.fetch.iter().map(|(n, e)| (n.clone(), e.clone())).collect();
    c.push(("flush".into(), get(&l.cp, "dec_flush")));
    c.push(("out_ready".into(), get(&l.dec, "cmd_ready")));
    c
}

/// The decoder: the expanded commands, the page-table copies, flush and clear.
fn decode_conns(l: &Loops, exp: &Instance) -> Result<Vec<(String, Expr)>> {
    let mut c: Vec<(String, Expr)> = Vec::new();
    for f in ["valid", "data", "index", "resp", "last"] {
        c.push((format!("cmd_{f}"), exp.out(&format!("out_{f}"))?));
    }
    for n in ["rtbl_we", "rtbl_waddr", "rtbl_wdata", "wtbl_we", "wtbl_waddr", "wtbl_wdata"] {
        c.push((n.into(), get(&l.regs, n)));
    }
    c.push(("flush".into(), get(&l.cp, "dec_flush")));
    c.push(("clear_fold".into(), get(&l.regs, "clear")));
    c.push(("dec_ready".into(), get(&l.cp, "dec_ready")));
    Ok(c)
}

/// An engine's queue head `q_*` (from queue `pre` of the command processor),
/// `go` and `kill`, and for the DMA engines their page table (`tbl`: `r` or
/// `w`) and AXI attributes.
fn queue_conns(l: &Loops, pre: &str, fields: &[&str], tbl: Option<&str>) -> Vec<(String, Expr)> {
    let mut c: Vec<(String, Expr)> =
        fields.iter().map(|f| (format!("q_{f}"), get(&l.cp, &format!("{pre}_{f}")))).collect();
    c.extend([("go".into(), get(&l.cp, &format!("{pre}_go"))), ("kill".into(), get(&l.cp, &format!("{pre}_kill")))]);
    if let Some(t) = tbl {
        for f in ["we", "waddr", "wdata"] {
            c.push((format!("tbl_{f}"), get(&l.regs, &format!("{t}tbl_{f}"))));
        }
        c.push(("axi_cache".into(), get(&l.regs, "axi_cache")));
        c.push(("axi_prot".into(), get(&l.regs, "axi_prot")));
    }
    c
}

/// The command processor: decoded commands, the latched fault and the ring,
/// every engine's completions, queue pops and activity.
fn cmdproc_conns(
    l: &Loops,
    dec: &Instance,
    load: &Instance,
    store: &Instance,
    comp: &Instance,
) -> Result<Vec<(String, Expr)>> {
    let mut c: Vec<(String, Expr)> = Vec::new();
    for f in [
        "valid",
        "data",
        "index",
        "opcode",
        "queue",
        "err",
        "dma_status",
        "rd_lo",
        "rd_hi",
        "wr_lo",
        "wr_hi",
        "amount",
        "last",
    ] {
        c.push((format!("dec_{f}"), dec.out(&format!("dec_{f}"))?));
    }
    for n in ["faulted", "ring_size", "tail"] {
        c.push((n.into(), get(&l.regs, n)));
    }
    for (pre, inst) in [("ld", load), ("st", store)] {
        for f in ["valid", "id", "code"] {
            c.push((format!("{pre}_done_{f}"), inst.out(&format!("done_{f}"))?));
        }
    }
    for k in ["a", "b", "c", "y", "q"] {
        for f in ["valid", "id"] {
            c.push((format!("cp_done_{k}_{f}"), comp.out(&format!("done_{k}_{f}"))?));
        }
    }
    for (port, inst, out) in [
        ("lq_ready", load, "q_ready"),
        ("cq_ready", comp, "q_ready"),
        ("sq_ready", store, "q_ready"),
        ("ld_busy", load, "busy"),
        ("st_busy", store, "busy"),
        ("tile_busy", comp, "busy_tile"),
        ("softmax_busy", comp, "busy_softmax"),
    ] {
        c.push((port.into(), inst.out(out)?));
    }
    Ok(c)
}

/// The scratchpad's clients: writers load, tile results, softmax results;
/// readers store, activations, weights, softmax input.
fn spad_conns(load: &Instance, comp: &Instance, store: &Instance) -> Result<Vec<(String, Expr)>> {
    let mut c: Vec<(String, Expr)> = Vec::new();
    for (k, (inst, pre)) in [(load, "w"), (comp, "wc"), (comp, "wy")].into_iter().enumerate() {
        for f in ["valid", "line", "data", "strb"] {
            c.push((format!("w{k}_{f}"), inst.out(&format!("{pre}_{f}"))?));
        }
    }
    for (k, (inst, pre)) in [(store, "r"), (comp, "ra"), (comp, "rb"), (comp, "rx")].into_iter().enumerate() {
        for f in ["valid", "line"] {
            c.push((format!("r{k}_{f}"), inst.out(&format!("{pre}_{f}"))?));
        }
    }
    Ok(c)
}

/// The register block's inputs: status from the command processor and the
/// performance counters' increments.
struct CounterSources<'a> {
    cp: &'a Instance,
    fetch: &'a Instance,
    mux: &'a Instance,
    load: &'a Instance,
    comp: &'a Instance,
    store: &'a Instance,
}

fn regs_conns(lite: &BundleSig, rd: &BundleSig, wr: &BundleSig, i: &CounterSources) -> Result<Vec<(String, Expr)>> {
    let mut c = lite.inputs_for("s_axil");
    for f in ["head", "busy", "fault_set", "fault_code", "fault_index", "fault_dma", "fence_set"] {
        c.push((f.to_string(), i.cp.out(f)?));
    }
    c.push(("inc_cycles".into(), i.cp.out("busy")?));
    c.push(("inc_busy_fetch".into(), !i.fetch.out("quiet")? | i.fetch.out("cmd_valid")?));
    c.push(("inc_axi_read_beats".into(), rd.get("rvalid")? & i.mux.out("m_axi_rready")?));
    for (counter, inst, port) in INCREMENTS {
        let src = match *inst {
            "cmdproc" => i.cp,
            "load" => i.load,
            "compute" => i.comp,
            _ => i.store,
        };
        c.push((format!("inc_{counter}"), src.out(port)?));
    }
    c.push(("inc_axi_write_beats".into(), i.store.out("m_axi_wvalid")? & wr.get("wready")?));
    Ok(c)
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
    let exp_m = core_expand(&p)?;
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

    let mux_loop: Vec<String> = ["s0", "s1"].iter().flat_map(|s| AXI_R_IN.map(|f| format!("{s}_{f}"))).collect();
    let mux_loop: Vec<&str> = mux_loop.iter().map(String::as_str).collect();
    let l = Loops {
        regs: wires(&mut m, &regs_m, "regs_", REGS_LOOP)?,
        cp: wires(&mut m, &cp_m, "cp_", CP_LOOP)?,
        fetch: wires(&mut m, &fetch_m, "fetch_", &["cmd_valid", "cmd_data", "cmd_index", "cmd_resp"])?,
        exp: wires(&mut m, &exp_m, "exp_", &["cmd_ready"])?,
        dec: wires(&mut m, &dec_m, "dec_", &["cmd_ready"])?,
        spad: wires(&mut m, &spad_m, "spad_", SPAD_LOOP)?,
        mux: wires(&mut m, &mux_m, "mux_", &mux_loop)?,
    };

    // ---- fetch and decode ----
    let fetch = m.instance("u_fetch", &fetch_m, &refs(&fetch_conns(&l)))?;
    close(&mut m, &fetch, &l.fetch)?;
    m.allow_unused(&fetch.out("quiet")?, "the command processor waits on its own state")?;
    let exp = m.instance("u_expand", &exp_m, &refs(&expand_conns(&l)))?;
    close(&mut m, &exp, &l.exp)?;
    let dec = m.instance("u_decode", &dec_m, &refs(&decode_conns(&l, &exp)?))?;
    close(&mut m, &dec, &l.dec)?;

    // ---- the engines ----
    let mut c = queue_conns(&l, "lq", &["valid", "id", "data", "lines"], Some("r"));
    c.extend(AXI_R_IN.map(|f| (format!("m_axi_{f}"), get(&l.mux, &format!("s0_{f}")))));
    c.push(("w_ready".into(), get(&l.spad, "w0_ready")));
    let load = m.instance("u_load", &load_m, &refs(&c))?;

    let mut c = queue_conns(&l, "sq", &["valid", "id", "data", "lines", "last_bytes"], Some("w"));
    c.extend(axi_wr.inputs_for("m_axi"));
    c.extend(["ready", "rvalid", "rdata"].map(|f| (format!("r_{f}"), get(&l.spad, &format!("r0_{f}")))));
    let store = m.instance("u_store", &store_m, &refs(&c))?;

    let mut c = queue_conns(&l, "cq", &["valid", "id", "data"], None);
    c.push(("clear_fold".into(), get(&l.regs, "clear")));
    for (cl, sp) in [("ra", "r1"), ("rb", "r2"), ("rx", "r3")] {
        for f in ["ready", "rvalid", "rdata"] {
            c.push((format!("{cl}_{f}"), get(&l.spad, &format!("{sp}_{f}"))));
        }
    }
    c.push(("wc_ready".into(), get(&l.spad, "w1_ready")));
    c.push(("wy_ready".into(), get(&l.spad, "w2_ready")));
    let comp = m.instance("u_compute", &comp_m, &refs(&c))?;

    // ---- the command processor and the scratchpad ----
    let cp = m.instance("u_cmdproc", &cp_m, &refs(&cmdproc_conns(&l, &dec, &load, &store, &comp)?))?;
    close(&mut m, &cp, &l.cp)?;
    let spad = m.instance("u_spad", &spad_m, &refs(&spad_conns(&load, &comp, &store)?))?;
    close(&mut m, &spad, &l.spad)?;

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
    close(&mut m, &mx, &l.mux)?;
    axi_rd.connect(&mut m, &mx, "m_axi")?;
    axi_wr.connect(&mut m, &store, "m_axi")?;

    // ---- the register block ----
    let src = CounterSources { cp: &cp, fetch: &fetch, mux: &mx, load: &load, comp: &comp, store: &store };
    let regs = m.instance("u_regs", &regs_m, &refs(&regs_conns(&lite, &axi_rd, &axi_wr, &src)?))?;
    close(&mut m, &regs, &l.regs)?;
    lite.connect(&mut m, &regs, "s_axil")?;
    m.output_doc("irq", regs.out("irq")?, "a FENCE was reached (and IRQ_ENABLE)")?;
    Ok(m)
}
