//! Layout of emitted statements: an expression as nested lists ([`Doc`]),
//! written flat when it fits in [`LINE_WIDTH`](super::LINE_WIDTH) and broken
//! between operands, at any depth, when it does not.

use super::LINE_WIDTH;

/// An expression laid out as nested lists, so that a line too long can be
/// broken between items at any depth.
#[derive(Clone)]
pub(super) enum Doc {
    Text(String),
    /// `open item0 sep0 item1 sep1 ... close`. A separator that starts with a
    /// space is an operator (` + `, ` ? `) and leads the continuation line; any
    /// other (`, `) ends the line it breaks.
    List {
        open: String,
        items: Vec<Doc>,
        seps: Vec<&'static str>,
        close: &'static str,
    },
}

pub(super) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub(super) fn list(open: impl Into<String>, items: Vec<Doc>, sep: &'static str, close: &'static str) -> Doc {
    let seps = vec![sep; items.len().saturating_sub(1)];
    Doc::List { open: open.into(), items, seps, close }
}

impl Doc {
    pub(super) fn flat_len(&self) -> usize {
        match self {
            Doc::Text(t) => t.len(),
            Doc::List { open, items, seps, close } => {
                open.len()
                    + items.iter().map(Doc::flat_len).sum::<usize>()
                    + seps.iter().map(|s| s.len()).sum::<usize>()
                    + close.len()
            }
        }
    }

    pub(super) fn write_flat(&self, out: &mut String) {
        match self {
            Doc::Text(t) => out.push_str(t),
            Doc::List { open, items, seps, close } => {
                out.push_str(open);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(seps[i - 1]);
                    }
                    item.write_flat(out);
                }
                out.push_str(close);
            }
        }
    }

    pub(super) fn flat(&self) -> String {
        let mut s = String::new();
        self.write_flat(&mut s);
        s
    }
}

/// Text being laid out, and the column its last line has reached.
pub(super) struct Lines {
    s: String,
    col: usize,
}

impl Lines {
    pub(super) fn push(&mut self, t: &str) {
        self.s.push_str(t);
        self.col += t.len();
    }

    pub(super) fn newline(&mut self, indent: usize) {
        // No trailing blanks: a line broken after a leading-operator item ends clean.
        while self.s.ends_with(' ') {
            self.s.pop();
        }
        self.s.push('\n');
        self.s.push_str(&" ".repeat(indent));
        self.col = indent;
    }

    /// Lay `d` out from the current column: flat if it fits with `trail`
    /// characters after it, else broken between items. Continuation lines are
    /// indented `indent + 4`. A list's first item continues the list's line
    /// and its last item continues at the list's own indent, so that chains
    /// (`((a | b) | c) | d`, `s0 ? v0 : s1 ? v1 : ...`) stay at one indent
    /// however deep they nest.
    pub(super) fn layout(&mut self, d: &Doc, indent: usize, trail: usize) {
        if self.col + d.flat_len() + trail <= LINE_WIDTH {
            d.write_flat(&mut self.s);
            self.col += d.flat_len();
            return;
        }
        let Doc::List { open, items, seps, close } = d else {
            d.write_flat(&mut self.s);
            self.col += d.flat_len();
            return;
        };
        self.push(open);
        let cont = indent + 4;
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == n;
            let item_trail = if last {
                close.len() + trail
            } else if seps[i].starts_with(' ') {
                0
            } else {
                seps[i].trim_end().len()
            };
            if i == 0 {
                self.layout(item, indent, item_trail);
                continue;
            }
            let sep = seps[i - 1];
            let leads = sep.starts_with(' ');
            if self.col + sep.len() + item.flat_len() + item_trail <= LINE_WIDTH {
                self.push(sep);
            } else if leads {
                self.newline(cont);
                self.push(sep.trim_start());
            } else {
                self.push(sep.trim_end());
                self.newline(cont);
            }
            self.layout(item, if last { indent } else { cont }, item_trail);
        }
        if self.col + close.len() > LINE_WIDTH {
            self.newline(indent);
        }
        self.push(close);
    }
}

/// `prefix`, `d` and `suffix` as one statement whose first line is indented
/// `indent`, broken so that no line is longer than [`LINE_WIDTH`].
pub(super) fn statement(out: &mut String, indent: usize, prefix: &str, d: &Doc, suffix: &str) {
    let mut l = Lines { s: " ".repeat(indent), col: indent };
    l.push(prefix);
    l.layout(d, indent, suffix.len());
    l.push(suffix);
    out.push_str(&l.s);
    out.push('\n');
}
