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
//!    `<cache root>/<key>/DONE` exists, the build is a **cache hit**: the
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
//! # Cache layout
//!
//! The cache root is [`Builder::cache_dir`] if given, else
//! `$VERILATOR_SYS_CACHE_DIR`, else `$CARGO_TARGET_DIR/verilator-cache`, else
//! `<nearest ancestor of the current executable named target>/verilator-cache`,
//! else `./target/verilator-cache` (see [`default_cache_root`]).
//!
//! ```text
//! <root>/<64 hex>/          one model build
//!     obj/                  Verilator's output + vsys_shim.cpp + unity files
//!     model.so              the loaded shared object
//!     vsys.map              linker version script
//!     build.log             every command run, with its output and duration
//!     DONE                  written last; marks the entry complete
//! <root>/rt-<64 hex>/       shared Verilator runtime objects (*.o, build.log, DONE)
//! <root>/.tmp-*/            builds in progress (removed on success or error;
//!                           leftovers of killed builds are swept after a day)
//! ```
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
//! twice but stay correct. Entries are never modified after installation.
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
