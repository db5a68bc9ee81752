//! Test helpers: Verilog in temp dirs, per-test temp caches seeded with
//! prebuilt Verilator runtime objects (compiling the runtime takes seconds,
//! so it is built once into a persistent store under `CARGO_TARGET_TMPDIR`
//! and copied into each fresh cache).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;
use verilator_sys::Builder;

/// Writes `text` to `<dir>/<name>` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A source dir with one file.
pub fn src(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), name, text);
    (dir, p)
}

fn runtime_store() -> &'static Path {
    static STORE: OnceLock<PathBuf> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verilator-sys-rt-store");
        std::fs::create_dir_all(&store).unwrap();
        let seed = store.join("seed.v");
        let text = "module seed(input wire a, output wire b); assign b = a; endmodule\n";
        if std::fs::read_to_string(&seed).ok().as_deref() != Some(text) {
            std::fs::write(&seed, text).unwrap();
        }
        for trace in [false, true] {
            Builder::new("seed")
                .source(&seed)
                .trace(trace)
                .cache_dir(&store)
                .build()
                .expect("building the runtime seed design");
        }
        store
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let mut done = None;
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_name() == verilator_sys::DONE_FILE {
            done = Some((e.path(), dest));
            continue;
        }
        std::fs::copy(e.path(), dest).unwrap();
    }
    if let Some((src, dest)) = done {
        std::fs::copy(src, dest).unwrap();
    }
}

/// A fresh, empty-but-for-runtime-objects cache root.
pub fn fresh_cache() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    seed_runtime(dir.path());
    dir
}

/// Copies the prebuilt runtime objects into the cache root `root`
/// (created if needed).
pub fn seed_runtime(root: &Path) {
    let store = runtime_store();
    std::fs::create_dir_all(root).unwrap();
    for e in std::fs::read_dir(store).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().starts_with("rt-") {
            copy_dir(&e.path(), &root.join(e.file_name()));
        }
    }
}

/// Runs the `#[ignore]`d test `helper` of the current test binary in a child
/// process with extra environment variables (and optionally another current
/// directory); returns whether it passed and its stdout + stderr.
pub fn run_child_test(helper: &str, env: &[(&str, &std::ffi::OsStr)], cwd: Option<&Path>) -> (bool, String) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", helper, "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    let out = cmd.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The helper returns early (and passes) without its environment: make
    // sure it really ran.
    let ran = text.contains("1 passed") && text.contains("CHILD_RAN");
    (out.status.success() && ran, format!("{}\n{text}", out.status))
}

/// Names of model entries (64 hex digits) in a cache root.
pub fn model_entries(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 64 && n.chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    v.sort();
    v
}

/// All entry names in a cache root.
pub fn all_entries(root: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

pub const COUNTER: &str = r#"
`default_nettype none
module counter(
    input  wire        clk,
    input  wire        rst,
    input  wire        en,
    output reg  [7:0]  q
);
    always @(posedge clk) begin
        if (rst) q <= 8'd0;
        else if (en) q <= q + 8'd1;
    end
endmodule
"#;
