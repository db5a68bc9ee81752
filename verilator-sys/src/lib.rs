//! Turn Verilog into a running model at run time, from Rust.
//!
//! ```no_run
//! use verilator_sys::Builder;
//! # fn main() -> Result<(), verilator_sys::Error> {
//! let lib = Builder::new("counter").source("rtl/counter.v").build()?;
//! let mut m = lib.instantiate(None)?;
//! let (clk, rst, q) = (m.port("clk")?, m.port("rst")?, m.port("q")?);
//! m.set(rst, 1);
//! m.tick(clk);
//! m.set(rst, 0);
//! for _ in 0..10 {
//!     m.tick(clk);
//! }
//! assert_eq!(m.get(q), 10);
//! # Ok(()) }
//! ```
//!
//! # Flow
//!
//! [`Builder::build`] does:
//!
//! 1. **Key.** A SHA-256 over the source file names and contents (plus the
//!    files of [`Builder::include_dir`]s and [`Builder::dependency`]s), the top
//!    name, every Verilator and g++ flag, the shim generator's
//!    [`SHIM_VERSION`], and the tools' identities: `verilator --version`
//!    output (run at most once per process) plus the resolved paths, sizes
//!    and mtimes of the `verilator` and `g++` executables. If
//!    `<cache root>/<key>/DONE` exists and the entry verifies (see
//!    [damaged entries](#damaged-entries)), the build is a **cache hit**: the
//!    shared object is loaded and nothing else runs (no verilator, no g++).
//! 2. **Verilate.** `verilator --cc --top-module TOP -O3 [--trace-fst]
//!    [--x-assign unique --x-initial unique] <user flags> <sources> -Mdir obj`.
//!    Warnings are fatal (no `-Wno-fatal` unless you pass it); the full
//!    Verilator output is returned in [`Error::Verilator`].
//! 3. **Shim.** The ports are parsed from the generated `obj/V<top>.h`
//!    (`VL_IN8(&a,7,0);`, `VL_OUTW(&w,99,0,4);`, `VL_IN8((&arr)[4],7,0);` ...)
//!    and an `extern "C"` C++ shim is generated: create (own
//!    `VerilatedContext`, optional X seed applied before construction),
//!    destroy, eval, a static port table, a per-instance port pointer table,
//!    time get/set, FST trace open/dump/flush/close. `static_assert`s check
//!    the parsed storage sizes against the real C++ types.
//! 4. **Compile.** Following `verilated.mk` and the generated
//!    `V<top>_classes.mk`/`V<top>.mk` (file lists `VM_CLASSES_*`,
//!    `VM_SUPPORT_*`, `VM_GLOBAL_*`, defines `VM_TRACE*`, `VM_COVERAGE`,
//!    `VM_TIMING`, `VM_USER_*`). The Verilator runtime (`VM_GLOBAL_*`, e.g.
//!    `verilated.cpp`, `verilated_threads.cpp`, `verilated_fst_c.cpp`) is
//!    compiled **once per cache** into `rt-<key>/` and reused by every
//!    model with the same runtime flags. The model's files are compiled as one
//!    unity file per optimisation level (hot code `-O2`, run-once code `-O1`;
//!    with `--output-split`, `available_parallelism()` size-balanced unity
//!    files per level), in parallel, at most `available_parallelism()` g++
//!    processes at a time in the whole process. Everything
//!    is `-fPIC -fvisibility=hidden`; the link is `g++ -shared -Wl,-Bsymbolic`
//!    with a version script exporting only the `vsys_*` shim symbols, so
//!    several loaded models never share Verilator runtime globals.
//! 5. **Load.** `dlopen(RTLD_NOW | RTLD_LOCAL)` of `<cache root>/<key>/model.so`
//!    via `libloading`. A [`Library`] keeps it loaded; any number of
//!    [`Model`]s (of the same or different libraries) may be alive at once.
//!
//! # Cache root and paths
//!
//! The cache root is [`Builder::cache_dir`] if given, else
//! [`default_cache_root`], the first of:
//!
//! 1. `$VERILATOR_SYS_CACHE_DIR`, made absolute against the current directory;
//! 2. `$CARGO_TARGET_DIR/verilator-cache`, made absolute against the current
//!    directory;
//! 3. `<nearest ancestor of the current executable named target>/verilator-cache`;
//! 4. `$XDG_CACHE_HOME/serrano/verilator` (if `XDG_CACHE_HOME` is absolute),
//!    else `$HOME/.cache/serrano/verilator` (if `HOME` is absolute);
//! 5. `<system temp dir>/serrano-verilator-<uid>`.
//!
//! Rules 3 to 5 do not depend on the current directory, so a binary copied
//! or installed elsewhere finds the same cache wherever it is started.
//!
//! Every path verilator-sys hands to Verilator and g++ is absolute: a
//! relative cache root (from [`Builder::cache_dir`] or the environment) is
//! made absolute against the current directory when [`Builder::build`] runs,
//! sources, include directories and dependencies are canonicalized, and tool
//! paths and `VERILATOR_ROOT` are made absolute too. (Verilator runs inside
//! the build directory, so a relative path would point into it.)
//!
//! # Cache layout
//!
//! ```text
//! <root>/<64 hex>/          one model build
//!     obj/                  Verilator's output + vsys_shim.cpp + unity files
//!     model.so              the loaded shared object
//!     vsys.map              linker version script
//!     build.log             every command run, with its output and duration
//!     DONE                  written last; marks the entry complete and records
//!                           the size and SHA-256 of model.so
//! <root>/rt-<64 hex>/       shared Verilator runtime objects (*.o, build.log,
//!                           DONE recording the size and SHA-256 of every *.o)
//! <root>/.tmp-*/            builds in progress and damaged entries being
//!                           removed (`.tmp-trash-*`); removed on success or
//!                           error, leftovers of killed processes are swept
//!                           after a day
//! ```
//!
//! `DONE` is line based: `format=2`, informational `key=value` lines (top,
//! prefix, shim and Verilator versions; the runtime file list), and one
//! `file=<name> <size> <sha256>` line per file the entry's users depend on.
//!
//! # Damaged entries
//!
//! Before a cache entry is used (model or runtime), every file recorded in
//! its `DONE` is checked against the recorded size and SHA-256; this happens
//! *before* `dlopen`, which would kill the process with SIGBUS on a
//! truncated shared object. An entry that fails the check, whose `DONE` is
//! unreadable or in the old format without hashes, or whose model fails to
//! load, is reported on stderr
//! (`verilator-sys: cache entry <path> is damaged (<reason>); rebuilding`),
//! renamed to `<root>/.tmp-trash-*`, deleted, and rebuilt once. If the
//! rebuilt entry fails too, the error is returned.
//!
//! # Concurrency
//!
//! Every build (model or runtime) is assembled in a fresh directory
//! `<root>/.tmp-<key prefix>-<pid>-<thread>-<nanos>-<n>`, `DONE` is written
//! into it last, and it is then `rename`d to its final name in one atomic
//! step. If the rename fails because another thread or process already
//! installed a complete entry, ours is deleted and theirs is used. Readers
//! only ever look at entries containing `DONE`, so a half-written build is
//! never seen. Within one process, builds of the same key additionally wait
//! for each other (no duplicate compiles); across processes they may compile
//! twice but stay correct. Entries are never modified after installation;
//! a damaged one is only ever moved aside as a whole (one `rename`) and
//! replaced by a new build through the same atomic publication. Several
//! threads or processes finding the same damage all rebuild safely; the
//! one that moves the entry aside puts it back if it turns out to be a good
//! entry another process published in the meantime.
//!
//! # Simulation behaviour
//!
//! [`Model::set`]/[`Model::get`] are plain (masked) memory accesses through
//! pointers resolved once by [`Model::port`]; only [`Model::eval`] and the
//! other time/trace methods cross the FFI boundary. `$finish` sets
//! [`Model::finished`] and never exits the process; `$stop`/`$fatal` set
//! [`Model::errored`] instead of aborting. Internal Verilator fatal errors
//! still abort.
//!
//! # Limitations
//!
//! Files pulled in implicitly (`` `include `` from directories not given via
//! [`Builder::include_dir`], `-y` libraries in [`Builder::verilator_arg`]) are
//! not part of the cache key; name them with [`Builder::dependency`].
//! Paths inside [`Builder::verilator_arg`] and [`Builder::cxx_arg`] flags are
//! passed verbatim; since Verilator runs in the build directory, give them
//! as absolute paths.
//! Linux/ELF only (uses `-Bsymbolic`, version scripts, `dlopen` flags).

#![cfg(unix)]

mod build;
mod cache;
mod error;
mod model;
mod parse;
mod shim;
mod tools;

pub use build::Builder;
pub use cache::{default_cache_root, DONE_FILE, ENV_CACHE_DIR};
pub use error::Error;
pub use model::{Direction, Library, Model, Port, PortInfo};
pub use shim::SHIM_VERSION;
pub use tools::{ENV_CXX, ENV_VERILATOR};

/// The output of `verilator --version` (memoized per process).
pub fn verilator_version() -> Result<String, Error> {
    tools::verilator_info().map(|i| i.version)
}
