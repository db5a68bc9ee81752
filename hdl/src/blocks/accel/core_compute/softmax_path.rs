//! The compute engine's softmax side: reader, feed, unit, drain, writer.

use super::*;

/// The softmax path: reader `rx`, the feed, the unit, the drain and writer `wy`.
pub(super) struct SoftmaxPath {
    pub(super) rx: Instance,
    pub(super) feed: Instance,
    pub(super) wyu: Instance,
}

pub(super) fn softmax_path(m: &mut Module, p: &CoreParams, f: &Fields, is: &Issue) -> Result<SoftmaxPath> {
    let (lb, aw) = (p.line, index_bits(p.lines as u64));
    let sp = SoftmaxParams::new(&p.softmax);
    let w = |m: &mut Module, n: &str| m.wire(n, Bit);
    let full = lit(lb as u128, bits_for(lb as u64));
    let sm_rows = f.sm_rows.clone();
    let len = f.len.clone();
    let valid_len = f.valid_len.clone();
    let causal = f.causal.clone();
    let causal_base = f.causal_base.clone();
    let x_line = f.x_line.clone();
    let x_stride = f.x_stride.clone();
    let y_line = f.y_line.clone();
    let y_stride = f.y_stride.clone();
    let k = f.k.clone();
    let x_each = f.x_each.clone();
    let y_each = f.y_each.clone();
    let rx_idle = is.rx_idle.clone();
    let feed_idle = is.feed_idle.clone();
    let wy_idle = is.wy_idle.clone();
    let i_sm = is.i_sm.clone();
    // ---- the softmax path ----
    let x_ready = w(m, "feed_tready")?;
    let rx = reader(
        m,
        "rx",
        lb,
        aw,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_base", &x_line),
            ("cmd_stride", &x_stride),
            ("cmd_inner", &x_each),
            ("cmd_rows", &sm_rows),
            ("cmd_last_bytes", &full),
        ],
        &x_ready,
    )?;
    m.assign(&rx_idle, rx.out("cmd_ready")?)?;
    let sm_in_ready = w(m, "sm_tready")?;
    let feed = m.instance(
        "u_feed",
        &softmax_feed(lb, p.softmax.lanes, p.softmax.in_bits, sp.k_bits)?,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_rows", &sm_rows),
            ("cmd_len", &len),
            ("cmd_valid_len", &valid_len),
            ("cmd_causal", &causal),
            ("cmd_causal_base", &causal_base),
            ("cmd_k", &k),
            ("s_axis_tvalid", &rx.out("m_axis_tvalid")?),
            ("s_axis_tdata", &rx.out("m_axis_tdata")?),
            ("m_axis_tready", &sm_in_ready),
        ],
    )?;
    m.assign(&x_ready, feed.out("s_axis_tready")?)?;
    m.assign(&feed_idle, feed.out("cmd_ready")?)?;
    let drain_ready = w(m, "drain_tready")?;
    let unit = m.instance(
        "u_softmax",
        &softmax(&p.softmax)?,
        &[
            ("s_axis_tvalid", &feed.out("m_axis_tvalid")?),
            ("s_axis_tdata", &feed.out("m_axis_tdata")?),
            ("s_axis_tkeep", &feed.out("m_axis_tkeep")?),
            ("s_axis_tuser", &feed.out("m_axis_tuser")?),
            ("s_axis_tlast", &feed.out("m_axis_tlast")?),
            ("scale_k", &feed.out("scale_k")?),
            ("m_axis_tready", &drain_ready),
        ],
    )?;
    m.assign(&sm_in_ready, unit.out("s_axis_tready")?)?;
    m.allow_unused(&unit.out("overflow")?, "the decoder keeps len within max_len")?;
    let wy_ready = w(m, "wy_tready")?;
    let (s_tvalid, s_tdata) = (unit.out("m_axis_tvalid")?, unit.out("m_axis_tdata")?);
    let (s_tkeep, s_tlast) = (unit.out("m_axis_tkeep")?, unit.out("m_axis_tlast")?);
    let mut drain_conn: Vec<(&str, &Expr)> = vec![
        ("s_axis_tvalid", &s_tvalid),
        ("s_axis_tdata", &s_tdata),
        ("s_axis_tkeep", &s_tkeep),
        ("s_axis_tlast", &s_tlast),
        ("m_axis_tready", &wy_ready),
    ];
    // One flag for the command in the path suffices: a SOFTMAX issues only
    // when the writer `wy` is idle, i.e. after the previous one's last line
    // is written, so no beat of an older command is in the unit or the drain
    // when the flag is loaded. (Were the issue to wait on the feed alone, the
    // flag would have to travel with the rows.)
    let int8 = f.int8_out.as_ref().map(|bit| m.reg("sm_int8_q", Bit).reset(0).enable(&i_sm).d(bit)).transpose()?;
    if let Some(q) = &int8 {
        drain_conn.push(("int8_out", q));
    }
    let drain = m.instance("u_drain", &softmax_drain(lb, p.softmax.lanes, p.softmax.out_bits)?, &drain_conn)?;
    m.assign(&drain_ready, drain.out("s_axis_tready")?)?;
    let (wy, wyu) = writer(
        m,
        "wy",
        lb,
        aw,
        &[
            ("cmd_valid", &i_sm),
            ("cmd_base", &y_line),
            ("cmd_stride", &y_stride),
            ("cmd_inner", &y_each),
            ("cmd_rows", &sm_rows),
        ],
        &[
            ("s_axis_tvalid", &drain.out("m_axis_tvalid")?),
            ("s_axis_tdata", &drain.out("m_axis_tdata")?),
            ("s_axis_tkeep", &drain.out("m_axis_tkeep")?),
        ],
    )?;
    m.assign(&wy_ready, wyu.out("s_axis_tready")?)?;
    m.assign(&wy_idle, wyu.out("cmd_ready")?)?;
    wy.connect(m, &wyu, "w")?;

    Ok(SoftmaxPath { rx, feed, wyu })
}
