//! Loaded libraries ([`Library`]), instances ([`Model`]) and port handles ([`Port`]).

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::build::MODEL_SO;
use crate::parse::Storage;
use crate::shim::SHIM_VERSION;
use crate::Error;

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `input`.
    Input,
    /// `output`.
    Output,
    /// `inout` (readable and writable).
    InOut,
}

/// Description of one top-level port. Unpacked array ports appear once per
/// element, named `name[i]` (`name[i][j]`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// Verilog name (Verilator's escaping undone, e.g. `a$b`).
    pub name: String,
    /// Width in bits.
    pub width: u32,
    /// Direction.
    pub dir: Direction,
}

#[repr(C)]
struct RawPortMeta {
    name: *const c_char,
    width: u32,
    dir: u32,
    storage: u32,
    words: u32,
}

type Handle = *mut c_void;

#[derive(Clone, Copy)]
struct Api {
    create: unsafe extern "C" fn(u32, u64) -> Handle,
    destroy: unsafe extern "C" fn(Handle),
    eval: unsafe extern "C" fn(Handle) -> u32,
    step: unsafe extern "C" fn(Handle) -> u32,
    port_ptr: unsafe extern "C" fn(Handle, u32) -> *mut c_void,
    time_get: unsafe extern "C" fn(Handle) -> u64,
    time_set: unsafe extern "C" fn(Handle, u64),
    trace_open: unsafe extern "C" fn(Handle, *const c_char) -> u32,
    trace_dump: unsafe extern "C" fn(Handle),
    trace_flush: unsafe extern "C" fn(Handle),
    trace_close: unsafe extern "C" fn(Handle),
}

#[derive(Clone, Copy, Debug)]
struct PortLayout {
    storage: Storage,
    words: u32,
}

struct LibInner {
    api: Api,
    ports: Vec<PortInfo>,
    layout: Vec<PortLayout>,
    by_name: HashMap<String, usize>,
    dir: PathBuf,
    so_path: PathBuf,
    top: String,
    has_trace: bool,
    // Declared last: dropped after everything that may point into it.
    _lib: libloading::Library,
}

/// A built and loaded model shared object. Cheap to clone (`Arc`); the
/// shared object stays loaded while any clone or [`Model`] is alive.
#[derive(Clone)]
pub struct Library {
    inner: Arc<LibInner>,
    cache_hit: bool,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("top", &self.inner.top)
            .field("dir", &self.inner.dir)
            .field("cache_hit", &self.cache_hit)
            .field("ports", &self.inner.ports.len())
            .finish()
    }
}

impl Library {
    pub(crate) fn load(dir: &Path, top: &str, cache_hit: bool) -> Result<Library, Error> {
        let so_path = dir.join(MODEL_SO);
        let load_err = |message: String| Error::Load { path: so_path.clone(), message };
        // SAFETY: the library is one we generated; its initialisers only set
        // up Verilator's runtime statics (private to it: hidden visibility,
        // -Bsymbolic, version script).
        let lib: libloading::Library = unsafe {
            libloading::os::unix::Library::open(
                Some(&so_path),
                libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL,
            )
        }
        .map_err(|e| load_err(e.to_string()))?
        .into();

        macro_rules! sym {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the shim defines the symbol with exactly this signature.
                let s: libloading::Symbol<'_, $ty> = unsafe { lib.get($name) }.map_err(|e| load_err(e.to_string()))?;
                *s
            }};
        }
        let abi_version = sym!(b"vsys_abi_version\0", unsafe extern "C" fn() -> u32);
        // SAFETY: no arguments, returns a constant.
        let abi = unsafe { abi_version() };
        if abi != SHIM_VERSION {
            return Err(load_err(format!("shim ABI version {abi}, expected {SHIM_VERSION} (stale cache entry?)")));
        }
        let api = Api {
            create: sym!(b"vsys_create\0", unsafe extern "C" fn(u32, u64) -> Handle),
            destroy: sym!(b"vsys_destroy\0", unsafe extern "C" fn(Handle)),
            eval: sym!(b"vsys_eval\0", unsafe extern "C" fn(Handle) -> u32),
            step: sym!(b"vsys_step\0", unsafe extern "C" fn(Handle) -> u32),
            port_ptr: sym!(b"vsys_port_ptr\0", unsafe extern "C" fn(Handle, u32) -> *mut c_void),
            time_get: sym!(b"vsys_time_get\0", unsafe extern "C" fn(Handle) -> u64),
            time_set: sym!(b"vsys_time_set\0", unsafe extern "C" fn(Handle, u64)),
            trace_open: sym!(b"vsys_trace_open\0", unsafe extern "C" fn(Handle, *const c_char) -> u32),
            trace_dump: sym!(b"vsys_trace_dump\0", unsafe extern "C" fn(Handle)),
            trace_flush: sym!(b"vsys_trace_flush\0", unsafe extern "C" fn(Handle)),
            trace_close: sym!(b"vsys_trace_close\0", unsafe extern "C" fn(Handle)),
        };
        let port_count = sym!(b"vsys_port_count\0", unsafe extern "C" fn() -> u32);
        let port_meta = sym!(b"vsys_port_meta\0", unsafe extern "C" fn(u32) -> *const RawPortMeta);
        let has_trace = sym!(b"vsys_has_trace\0", unsafe extern "C" fn() -> u32);

        let mut ports = Vec::new();
        let mut layout = Vec::new();
        let mut by_name = HashMap::new();
        // SAFETY: plain queries of the shim's static tables.
        let n = unsafe { port_count() };
        for i in 0..n {
            // SAFETY: i < count, so the shim returns a pointer into its static table.
            let meta =
                unsafe { port_meta(i).as_ref() }.ok_or_else(|| load_err(format!("missing metadata for port {i}")))?;
            // SAFETY: names in the table are NUL-terminated string literals.
            let name = unsafe { CStr::from_ptr(meta.name) }.to_string_lossy().into_owned();
            let dir = match meta.dir {
                0 => Direction::Input,
                1 => Direction::Output,
                2 => Direction::InOut,
                d => return Err(load_err(format!("port {name}: bad direction code {d}"))),
            };
            let storage = Storage::from_code(meta.storage)
                .ok_or_else(|| load_err(format!("port {name}: bad storage code {}", meta.storage)))?;
            if meta.width == 0 || meta.words == 0 {
                return Err(load_err(format!("port {name}: zero width")));
            }
            by_name.insert(name.clone(), ports.len());
            ports.push(PortInfo { name, width: meta.width, dir });
            layout.push(PortLayout { storage, words: meta.words });
        }
        // SAFETY: returns a constant.
        let has_trace = unsafe { has_trace() } != 0;
        Ok(Library {
            inner: Arc::new(LibInner {
                api,
                ports,
                layout,
                by_name,
                dir: dir.to_path_buf(),
                so_path,
                top: top.to_string(),
                has_trace,
                _lib: lib,
            }),
            cache_hit,
        })
    }

    /// True if this build was served from the cache (no verilator/g++ run).
    pub fn cache_hit(&self) -> bool {
        self.cache_hit
    }

    /// The cache entry directory (holds `obj/` with Verilator's output,
    /// `model.so`, `build.log`, `DONE`).
    pub fn build_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Path of the loaded shared object.
    pub fn so_path(&self) -> &Path {
        &self.inner.so_path
    }

    /// Name of the top module.
    pub fn top(&self) -> &str {
        &self.inner.top
    }

    /// True if built with tracing ([`Builder::trace`](crate::Builder::trace)).
    pub fn has_trace(&self) -> bool {
        self.inner.has_trace
    }

    /// The model's ports, in header order.
    pub fn ports(&self) -> &[PortInfo] {
        &self.inner.ports
    }

    /// Creates a model instance with its own `VerilatedContext`.
    ///
    /// `x_seed: Some(seed)` sets the context's random reset mode to 2 and
    /// its seed (folded to 32 bits; equivalent to
    /// `+verilator+rand+reset+2 +verilator+seed+<seed>`) *before* the model
    /// is constructed, so uninitialised state gets seed-dependent random
    /// values (`--x-initial unique`, which is Verilator's default and is
    /// forced by [`Builder::x_randomize`](crate::Builder::x_randomize); that
    /// option also makes explicit `'x` assignments random). The same seed
    /// gives the same values. `None` keeps Verilator's default: all such
    /// values are 0.
    pub fn instantiate(&self, x_seed: Option<u64>) -> Result<Model, Error> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let api = &self.inner.api;
        // SAFETY: shim entry point; returns NULL on failure.
        let raw = unsafe { (api.create)(u32::from(x_seed.is_some()), x_seed.unwrap_or(0)) };
        let handle = NonNull::new(raw).ok_or_else(|| Error::Create { top: self.inner.top.clone() })?;
        let mut ptrs = Vec::with_capacity(self.inner.ports.len());
        for i in 0..self.inner.ports.len() {
            // SAFETY: valid handle, index within the table.
            let p = unsafe { (api.port_ptr)(handle.as_ptr(), i as u32) } as *mut u8;
            if p.is_null() {
                // SAFETY: handle came from create and is destroyed once.
                unsafe { (api.destroy)(handle.as_ptr()) };
                return Err(Error::Create { top: self.inner.top.clone() });
            }
            ptrs.push(p);
        }
        Ok(Model {
            lib: self.inner.clone(),
            handle,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            ptrs,
            status: 0,
            tracing: false,
        })
    }
}

/// A resolved port of one [`Model`]: a raw pointer to the port's storage
/// plus its width and storage type, so that [`Model::set`]/[`Model::get`]
/// are plain memory accesses. Only valid with the model it came from (checked).
#[derive(Clone, Copy, Debug)]
pub struct Port {
    ptr: *mut u8,
    model: u64,
    mask: u64,
    width: u32,
    index: u32,
    words: u32,
    storage: Storage,
    dir: Direction,
}

impl Port {
    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Direction.
    pub fn dir(&self) -> Direction {
        self.dir
    }

    /// Index into [`Library::ports`].
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// Number of 32-bit words of the port's value (`ceil(width / 32)`).
    pub fn words(&self) -> usize {
        self.width.div_ceil(32) as usize
    }
}

/// A live model instance (its own `VerilatedContext`). Dropping it runs
/// `final` blocks, closes any trace and frees the model.
pub struct Model {
    lib: Arc<LibInner>,
    handle: NonNull<c_void>,
    id: u64,
    ptrs: Vec<*mut u8>,
    status: u32,
    tracing: bool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("top", &self.lib.top)
            .field("id", &self.id)
            .field("tracing", &self.tracing)
            .finish()
    }
}

#[cold]
#[inline(never)]
fn foreign_port() -> ! {
    panic!("verilator-sys: Port used with a Model it was not resolved from")
}

fn hex_words(words: &[u32]) -> String {
    let mut s = String::from("0x");
    let mut started = false;
    for w in words.iter().rev() {
        if started {
            s.push_str(&format!("{w:08x}"));
        } else if *w != 0 {
            s.push_str(&format!("{w:x}"));
            started = true;
        }
    }
    if !started {
        s.push('0');
    }
    s
}

impl Model {
    /// The model's ports (same as [`Library::ports`]).
    pub fn ports(&self) -> &[PortInfo] {
        &self.lib.ports
    }

    /// Resolves a port by its Verilog name (or Verilator's escaped C++
    /// name). Do this once, outside hot loops.
    pub fn port(&self, name: &str) -> Result<Port, Error> {
        let idx = match self.lib.by_name.get(name) {
            Some(&i) => i,
            None => {
                let decoded = crate::parse::decode_name(name);
                match self.lib.by_name.get(&decoded) {
                    Some(&i) => i,
                    None => {
                        let all: Vec<&str> = self.lib.ports.iter().map(|p| p.name.as_str()).collect();
                        let mut available = all.iter().take(64).copied().collect::<Vec<_>>().join(", ");
                        if all.len() > 64 {
                            available.push_str(&format!(", ... ({} total)", all.len()));
                        }
                        return Err(Error::UnknownPort { name: name.to_string(), available });
                    }
                }
            }
        };
        let info = &self.lib.ports[idx];
        let layout = self.lib.layout[idx];
        Ok(Port {
            ptr: self.ptrs[idx],
            model: self.id,
            mask: if info.width >= 64 { u64::MAX } else { (1u64 << info.width) - 1 },
            width: info.width,
            index: idx as u32,
            words: layout.words,
            storage: layout.storage,
            dir: info.dir,
        })
    }

    #[inline(always)]
    fn check(&self, p: &Port) {
        if p.model != self.id {
            foreign_port();
        }
    }

    #[inline(always)]
    fn write_u64(p: &Port, v: u64) {
        // SAFETY: `p.ptr` points to this (live, checked) model's storage of
        // the given type; Verilator aligns it naturally, unaligned ops are
        // used anyway as they cost nothing on the targets we support.
        unsafe {
            match p.storage {
                Storage::U8 => p.ptr.write(v as u8),
                Storage::U16 => (p.ptr as *mut u16).write_unaligned(v as u16),
                Storage::U32 => (p.ptr as *mut u32).write_unaligned(v as u32),
                Storage::U64 => (p.ptr as *mut u64).write_unaligned(v),
                Storage::Wide => {
                    let w = p.ptr as *mut u32;
                    w.write_unaligned(v as u32);
                    w.add(1).write_unaligned((v >> 32) as u32);
                    for i in 2..p.words as usize {
                        w.add(i).write_unaligned(0);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn read_u64(p: &Port) -> u64 {
        // SAFETY: see `write_u64`.
        unsafe {
            match p.storage {
                Storage::U8 => u64::from(p.ptr.read()),
                Storage::U16 => u64::from((p.ptr as *const u16).read_unaligned()),
                Storage::U32 => u64::from((p.ptr as *const u32).read_unaligned()),
                Storage::U64 => (p.ptr as *const u64).read_unaligned(),
                Storage::Wide => {
                    let w = p.ptr as *const u32;
                    u64::from(w.read_unaligned()) | (u64::from(w.add(1).read_unaligned()) << 32)
                }
            }
        }
    }

    /// Writes `v` to an input (or inout) port. Bits above the port width are
    /// discarded (masked), as Verilator requires clean inputs. On a port
    /// wider than 64 bits, writes the low 64 bits and clears the rest.
    /// Writing an output port is a logic error (debug assertion; in release
    /// the value is overwritten by the next `eval`). Use [`Model::try_set`]
    /// for checked writes. No FFI call: a masked store through the pointer.
    ///
    /// # Panics
    /// If `p` was resolved from a different model.
    #[inline]
    pub fn set(&mut self, p: Port, v: u64) {
        self.check(&p);
        debug_assert!(
            p.dir != Direction::Output,
            "verilator-sys: set() on output port `{}`",
            self.lib.ports[p.index as usize].name
        );
        Self::write_u64(&p, v & p.mask);
    }

    /// Like [`Model::set`], but returns an error if the port is an output,
    /// is wider than 64 bits, or `v` has bits set above its width.
    pub fn try_set(&mut self, p: Port, v: u64) -> Result<(), Error> {
        self.check(&p);
        let name = || self.lib.ports[p.index as usize].name.clone();
        if p.dir == Direction::Output {
            return Err(Error::WrongDirection { port: name(), dir: p.dir });
        }
        if p.width > 64 {
            return Err(Error::PortTooWide { port: name(), width: p.width });
        }
        if v & !p.mask != 0 {
            return Err(Error::ValueTooWide { port: name(), width: p.width, value: format!("{v:#x}") });
        }
        Self::write_u64(&p, v);
        Ok(())
    }

    /// Writes a signed value in two's complement, truncated to the port
    /// width (sign-extended over all words of a port wider than 64 bits).
    #[inline]
    pub fn set_signed(&mut self, p: Port, v: i64) {
        self.check(&p);
        debug_assert!(p.dir != Direction::Output, "set_signed() on an output port");
        if p.storage == Storage::Wide && v < 0 {
            let w = p.ptr as *mut u32;
            let n = p.words as usize;
            for i in 0..n {
                let word = if i < 2 { ((v as u64) >> (32 * i)) as u32 } else { u32::MAX };
                // SAFETY: i < words of this model's port storage.
                unsafe { w.add(i).write_unaligned(word & top_mask(p.width, i, n)) };
            }
        } else {
            Self::write_u64(&p, (v as u64) & p.mask);
        }
    }

    /// Reads a port (low 64 bits for wider ports). No FFI call.
    ///
    /// # Panics
    /// If `p` was resolved from a different model.
    #[inline]
    pub fn get(&self, p: Port) -> u64 {
        self.check(&p);
        Self::read_u64(&p)
    }

    /// Reads a port as a signed value, sign-extended from the port width
    /// (for ports wider than 64 bits: the low 64 bits, reinterpreted).
    #[inline]
    pub fn get_signed(&self, p: Port) -> i64 {
        let v = self.get(p);
        if p.width >= 64 {
            v as i64
        } else {
            let sh = 64 - p.width;
            ((v << sh) as i64) >> sh
        }
    }

    /// Writes a port of any width from little-endian 32-bit words (word 0 =
    /// bits 31..0). Missing upper words are zero. Errors if the port is an
    /// output or any bit above the port width is set.
    pub fn set_wide(&mut self, p: Port, words: &[u32]) -> Result<(), Error> {
        self.check(&p);
        let name = || self.lib.ports[p.index as usize].name.clone();
        if p.dir == Direction::Output {
            return Err(Error::WrongDirection { port: name(), dir: p.dir });
        }
        let n = p.words();
        let too_wide = words.iter().enumerate().any(|(i, &w)| w & !top_mask(p.width, i, n) != 0);
        if too_wide {
            return Err(Error::ValueTooWide { port: name(), width: p.width, value: hex_words(words) });
        }
        let word = |i: usize| words.get(i).copied().unwrap_or(0);
        if p.storage == Storage::Wide {
            let w = p.ptr as *mut u32;
            for i in 0..p.words as usize {
                // SAFETY: i < words of this model's port storage.
                unsafe { w.add(i).write_unaligned(word(i)) };
            }
        } else {
            Self::write_u64(&p, u64::from(word(0)) | (u64::from(word(1)) << 32));
        }
        Ok(())
    }

    /// Reads a port of any width as little-endian 32-bit words
    /// (`ceil(width / 32)` of them).
    pub fn get_wide(&self, p: Port) -> Vec<u32> {
        let mut out = vec![0; p.words()];
        self.get_wide_into(p, &mut out);
        out
    }

    /// Allocation-free [`Model::get_wide`]: fills `out` (extra words are
    /// zeroed; a short `out` receives the low words only).
    pub fn get_wide_into(&self, p: Port, out: &mut [u32]) {
        self.check(&p);
        if p.storage == Storage::Wide {
            let w = p.ptr as *const u32;
            for (i, o) in out.iter_mut().enumerate() {
                *o = if i < p.words as usize {
                    // SAFETY: i < words of this model's port storage.
                    unsafe { w.add(i).read_unaligned() }
                } else {
                    0
                };
            }
        } else {
            let v = Self::read_u64(&p);
            for (i, o) in out.iter_mut().enumerate() {
                *o = match i {
                    0 => v as u32,
                    1 => (v >> 32) as u32,
                    _ => 0,
                };
            }
        }
    }

    /// Evaluates the model (one FFI call).
    #[inline]
    pub fn eval(&mut self) {
        // SAFETY: live handle.
        self.status = unsafe { (self.lib.api.eval)(self.handle.as_ptr()) };
    }

    /// `eval`, then time += 1, then dump the trace (if one is open).
    #[inline]
    pub fn step(&mut self) {
        // SAFETY: live handle.
        self.status = unsafe { (self.lib.api.step)(self.handle.as_ptr()) };
    }

    /// One clock cycle on `clk`: clk=0, eval, time+=1, dump, clk=1, eval,
    /// time+=1, dump (dumps only while tracing).
    #[inline]
    pub fn tick(&mut self, clk: Port) {
        self.set(clk, 0);
        self.step();
        self.set(clk, 1);
        self.step();
    }

    /// Simulation time (`VerilatedContext::time`).
    pub fn time(&self) -> u64 {
        // SAFETY: live handle.
        unsafe { (self.lib.api.time_get)(self.handle.as_ptr()) }
    }

    /// Sets the simulation time.
    pub fn set_time(&mut self, t: u64) {
        // SAFETY: live handle.
        unsafe { (self.lib.api.time_set)(self.handle.as_ptr(), t) }
    }

    /// True once the design executed `$finish` (or `$stop`/`$fatal`).
    /// A second `$finish` does not exit the process.
    pub fn finished(&self) -> bool {
        self.status & 1 != 0
    }

    /// True once the design reported an error (`$stop`, `$fatal`, ...).
    /// These do not abort the process; check this flag.
    pub fn errored(&self) -> bool {
        self.status & 2 != 0
    }

    /// Opens an FST trace at `path` (replacing any open trace). Subsequent
    /// [`Model::step`]/[`Model::tick`] calls dump to it. Errors if the model
    /// was not built with [`Builder::trace(true)`](crate::Builder::trace).
    pub fn trace_to(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        if !self.lib.has_trace {
            return Err(Error::TraceNotEnabled { top: self.lib.top.clone() });
        }
        let trace_err = |message: String| Error::Trace { path: path.to_path_buf(), message };
        // Check writability here: the FST writer does not report it.
        std::fs::File::create(path).map_err(|e| trace_err(e.to_string()))?;
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| trace_err("path contains a NUL byte".into()))?;
        // SAFETY: live handle, NUL-terminated path.
        match unsafe { (self.lib.api.trace_open)(self.handle.as_ptr(), c.as_ptr()) } {
            0 => {
                self.tracing = true;
                Ok(())
            }
            1 => Err(Error::TraceNotEnabled { top: self.lib.top.clone() }),
            _ => Err(trace_err("the FST writer could not open the file".into())),
        }
    }

    /// Dumps the current values at the current time (if tracing).
    pub fn trace_dump(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.api.trace_dump)(self.handle.as_ptr()) }
    }

    /// Flushes the trace file (if tracing).
    pub fn trace_flush(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.api.trace_flush)(self.handle.as_ptr()) }
    }

    /// Closes the trace file (if tracing). Also done on drop.
    pub fn trace_close(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.api.trace_close)(self.handle.as_ptr()) };
        self.tracing = false;
    }
}

/// Mask of the valid bits of word `i` of an `n`-word value of `width` bits.
#[inline]
fn top_mask(width: u32, i: usize, n: usize) -> u32 {
    if i >= n {
        0
    } else if i + 1 < n || width.is_multiple_of(32) {
        u32::MAX
    } else {
        (1u32 << (width % 32)) - 1
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the handle is live and destroyed exactly once; the library
        // (in `self.lib`) outlives this call.
        unsafe { (self.lib.api.destroy)(self.handle.as_ptr()) }
    }
}
