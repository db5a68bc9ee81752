//! [`Builder`]: verilate, generate the shim, compile, link, cache.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::cache::{self, EntryState, KeyHasher, Marker, TempDirGuard};
use crate::parse;
use crate::shim::{self, ShimConfig, SHIM_VERSION};
use crate::tools::{self, JobSlots, ToolId, VerilatorInfo};
use crate::{Error, Library};

/// File name of the model shared object inside a cache entry.
pub(crate) const MODEL_SO: &str = "model.so";

/// Optimisation for the model's hot code, the shim and the Verilator runtime.
const OPT_FAST: &str = "-O2";
/// Optimisation for the model's run-once code (constructors, settle, trace
/// declarations); cheaper to compile.
const OPT_SLOW: &str = "-O1";

/// Flags every C++ translation unit gets (model and runtime).
const CXX_COMMON: &[&str] = &["-fPIC", "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-DVL_USER_FINISH"];

/// Configures and runs a model build. See the [crate docs](crate) for the flow.
#[derive(Clone, Debug)]
pub struct Builder {
    top: String,
    sources: Vec<PathBuf>,
    trace: bool,
    x_randomize: bool,
    verilator_args: Vec<String>,
    cxx_args: Vec<String>,
    include_dirs: Vec<PathBuf>,
    dependencies: Vec<PathBuf>,
    cache_dir: Option<PathBuf>,
}

impl Builder {
    /// A build of top module `top` (no sources yet).
    pub fn new(top: &str) -> Builder {
        Builder {
            top: top.to_string(),
            sources: Vec::new(),
            trace: false,
            x_randomize: false,
            verilator_args: Vec::new(),
            cxx_args: Vec::new(),
            include_dirs: Vec::new(),
            dependencies: Vec::new(),
            cache_dir: None,
        }
    }

    /// Adds a Verilog/SystemVerilog source file.
    pub fn source(mut self, path: impl AsRef<Path>) -> Self {
        self.sources.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds several source files.
    pub fn sources<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        self.sources.extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// Builds with `--trace-fst` so that [`Model::trace_to`](crate::Model::trace_to) works.
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// Builds with `--x-assign unique --x-initial unique`, so that X values
    /// (explicit and initial) come from the seed given to
    /// [`Library::instantiate`].
    pub fn x_randomize(mut self, on: bool) -> Self {
        self.x_randomize = on;
        self
    }

    /// Adds an extra Verilator flag (one argv element; call twice for a flag
    /// with a value, e.g. `.verilator_arg("--threads").verilator_arg("2")`).
    /// Part of the cache key. `--build`, `--exe`, `--binary`, `--main`,
    /// `--sc`, `--lib-create` and `-Mdir` are rejected. Passed verbatim:
    /// Verilator runs in the build directory, so paths in flags (`-f`, `-y`,
    /// ...) must be absolute.
    pub fn verilator_arg(mut self, arg: &str) -> Self {
        self.verilator_args.push(arg.to_string());
        self
    }

    /// Adds an extra g++ flag for the model's translation units (not the
    /// shared Verilator runtime). Part of the cache key.
    pub fn cxx_arg(mut self, arg: &str) -> Self {
        self.cxx_args.push(arg.to_string());
        self
    }

    /// Adds an include directory (`-I<dir>` for `` `include `` and module
    /// search). The contents of the regular files directly inside it are
    /// part of the cache key.
    pub fn include_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.include_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Adds a file whose contents should be part of the cache key without
    /// being passed to Verilator (e.g. a file pulled in by a `verilator_arg`).
    pub fn dependency(mut self, path: impl AsRef<Path>) -> Self {
        self.dependencies.push(path.as_ref().to_path_buf());
        self
    }

    /// Uses `dir` as the cache root instead of the default (see
    /// [`default_cache_root`](crate::default_cache_root)). A relative `dir`
    /// is resolved against the current directory when the builder uses it
    /// ([`Builder::build`], [`Builder::cache_root`]), not when it is given.
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cache_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The cache root this builder uses, as an absolute path (unchanged if
    /// it is relative and the current directory cannot be determined).
    pub fn cache_root(&self) -> PathBuf {
        let root = self.cache_dir.clone().unwrap_or_else(cache::default_cache_root);
        cache::absolute(&root).unwrap_or(root)
    }

    /// [`Builder::cache_root`], failing instead of going on with a relative
    /// path: the tools run in other directories than this process.
    fn resolve_cache_root(&self) -> Result<PathBuf, Error> {
        let root = self.cache_dir.clone().unwrap_or_else(cache::default_cache_root);
        cache::absolute(&root)
    }

    /// Verilates, compiles and loads the model, or loads it from the cache.
    pub fn build(&self) -> Result<Library, Error> {
        self.validate()?;
        let vinfo = tools::verilator_info()?;
        let cxx_program = tools::cxx_program();
        let cxx = tools::resolve(&cxx_program)?;
        let sources = self.sources.iter().map(|p| absolute(p)).collect::<Result<Vec<_>, _>>()?;
        let include_dirs = self.include_dirs.iter().map(|p| absolute(p)).collect::<Result<Vec<_>, _>>()?;
        let vargs = self.verilator_args_for(&sources, &include_dirs);

        let key = self.cache_key(&vinfo, &cxx, &vargs, &sources, &include_dirs)?;
        let root = self.resolve_cache_root()?;
        let entry = root.join(&key);
        let prefix = self.prefix();

        if let Cached::Hit(lib) = open_cached(&entry, &self.top) {
            return Ok(lib);
        }
        let lock = cache::key_lock(&entry.to_string_lossy());
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        // Checked again under the lock: another thread may have built or
        // repaired the entry while we waited.
        match open_cached(&entry, &self.top) {
            Cached::Hit(lib) => return Ok(lib),
            Cached::Missing => {}
            Cached::Damaged(reason, marker) => {
                eprintln!("verilator-sys: cache entry {} is damaged ({reason}); rebuilding", entry.display());
                cache::discard(&entry, &model_files(), marker);
            }
        }

        cache::sweep_stale(&root);
        let short = &key[..12];
        let mut tmp = TempDirGuard(Some(cache::make_temp_dir(&root, short)?));
        let mut log = String::new();
        let started = Instant::now();
        self.compile_into(tmp.path(), &root, &vinfo, &cxx, &vargs, &prefix, &mut log)?;
        let _ = writeln!(log, "# total build time: {:.2?}", started.elapsed());
        let log_path = tmp.path().join("build.log");
        std::fs::write(&log_path, &log).map_err(|e| Error::io(&log_path, e))?;
        let shim_version = SHIM_VERSION.to_string();
        let fields = [
            ("top", self.top.as_str()),
            ("prefix", &prefix),
            ("shim_version", &shim_version),
            ("verilator", &vinfo.version),
        ];
        let done = cache::done_text(tmp.path(), &fields, &model_files())?;
        let tmp_path = tmp.disarm();
        cache::publish(&tmp_path, &entry, &done)?;
        // Rebuilt once: from here on, damage is an error, not a retry.
        // (The entry may be another process's, if it published first.)
        require_intact(&entry, &model_files())?;
        Library::load(&entry, &self.top, false)
    }

    fn validate(&self) -> Result<(), Error> {
        if self.top.is_empty() || !self.top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            return Err(Error::Config(format!("invalid top module name `{}`", self.top)));
        }
        if self.sources.is_empty() {
            return Err(Error::Config(format!("no source files given for top module `{}`", self.top)));
        }
        const FORBIDDEN: &[&str] = &["build", "exe", "binary", "main", "sc", "lib-create", "Mdir", "make"];
        for a in &self.verilator_args {
            let bare = a.trim_start_matches('-');
            if a.starts_with('-') && FORBIDDEN.contains(&bare) {
                return Err(Error::Config(format!(
                    "verilator flag `{a}` is managed by verilator-sys and cannot be passed"
                )));
            }
        }
        Ok(())
    }

    /// Value of a user flag (`--name value` or `-name value`).
    fn user_flag_value(&self, name: &str) -> Option<&str> {
        let mut it = self.verilator_args.iter();
        while let Some(a) = it.next() {
            if a.trim_start_matches('-') == name && a.starts_with('-') {
                return it.next().map(String::as_str);
            }
        }
        None
    }

    /// The model class name: `V<top>` unless `--prefix` was given.
    fn prefix(&self) -> String {
        self.user_flag_value("prefix").map(str::to_string).unwrap_or_else(|| format!("V{}", self.top))
    }

    /// The Verilator arguments, except `-Mdir`.
    fn verilator_args_for(&self, sources: &[PathBuf], include_dirs: &[PathBuf]) -> Vec<String> {
        let mut a: Vec<String> = vec!["--cc".into(), "--top-module".into(), self.top.clone()];
        a.push("-O3".into());
        if self.trace {
            a.push("--trace-fst".into());
        }
        if self.x_randomize {
            a.extend(["--x-assign", "unique", "--x-initial", "unique"].map(String::from));
        }
        a.extend(self.verilator_args.iter().cloned());
        for d in include_dirs {
            a.push(format!("-I{}", d.display()));
        }
        a.extend(sources.iter().map(|s| s.display().to_string()));
        a
    }

    fn cache_key(
        &self,
        vinfo: &VerilatorInfo,
        cxx: &ToolId,
        vargs: &[String],
        sources: &[PathBuf],
        include_dirs: &[PathBuf],
    ) -> Result<String, Error> {
        let mut h = KeyHasher::new("verilator-sys model");
        h.str(&SHIM_VERSION.to_string());
        h.str(&vinfo.version);
        h.str(&vinfo.id.key_string());
        h.str(&std::env::var("VERILATOR_ROOT").unwrap_or_default());
        h.str(&cxx.key_string());
        h.str(&self.top);
        h.str(&vargs.len().to_string());
        for a in vargs {
            h.str(a);
        }
        h.str(&self.cxx_args.len().to_string());
        for a in &self.cxx_args {
            h.str(a);
        }
        h.str(OPT_FAST);
        h.str(OPT_SLOW);
        for a in CXX_COMMON {
            h.str(a);
        }
        let hash_file = |h: &mut KeyHasher, p: &Path| -> Result<(), Error> {
            let data = std::fs::read(p).map_err(|e| Error::io(p, e))?;
            h.str(&p.display().to_string());
            h.field(&data);
            Ok(())
        };
        h.str("sources");
        for s in sources {
            hash_file(&mut h, s)?;
        }
        h.str("include dirs");
        for d in include_dirs {
            let rd = std::fs::read_dir(d).map_err(|e| Error::io(d, e))?;
            let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
            files.sort();
            h.str(&d.display().to_string());
            for f in files {
                hash_file(&mut h, &f)?;
            }
        }
        h.str("dependencies");
        for d in &self.dependencies {
            hash_file(&mut h, &absolute(d)?)?;
        }
        Ok(h.finish())
    }

    #[allow(clippy::too_many_arguments)]
    fn compile_into(
        &self,
        dir: &Path,
        root: &Path,
        vinfo: &VerilatorInfo,
        cxx: &ToolId,
        vargs: &[String],
        prefix: &str,
        log: &mut String,
    ) -> Result<(), Error> {
        // 1. Verilate.
        let obj = dir.join("obj");
        let mut args = vargs.to_vec();
        args.extend(["-Mdir".to_string(), obj.display().to_string()]);
        let command = tools::command_line(&vinfo.id.path, &args);
        let t = Instant::now();
        let out = tools::run_capture(
            Command::new(&vinfo.id.path).args(&args).current_dir(dir),
            &vinfo.id.path.display().to_string(),
        )?;
        let output = tools::combined_output(&out);
        let _ = writeln!(log, "$ {command}\n{output}# ({:.2?})", t.elapsed());
        if !out.status.success() {
            return Err(Error::Verilator { status: out.status.to_string(), command, output });
        }

        // 2. Read what Verilator generated.
        let read = |p: PathBuf| -> Result<String, Error> { std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e)) };
        let mut vars = parse::parse_make_vars(&read(obj.join(format!("{prefix}_classes.mk")))?);
        for (k, v) in parse::parse_make_vars(&read(obj.join(format!("{prefix}.mk")))?) {
            vars.entry(k).or_insert(v);
        }
        let header_path = obj.join(format!("{prefix}.h"));
        let ports = parse::parse_header_ports(&read(header_path.clone())?)
            .map_err(|m| Error::Generated { path: header_path.clone(), message: m })?;
        let var = |name: &str| -> Vec<String> { vars.get(name).cloned().unwrap_or_default() };
        let flag = |name: &str| -> String { var(name).first().cloned().unwrap_or_else(|| "0".to_string()) };
        let trace_fst = flag("VM_TRACE_FST") == "1";
        if self.trace && !trace_fst {
            return Err(Error::Generated {
                path: obj.join(format!("{prefix}_classes.mk")),
                message: "tracing was requested but VM_TRACE_FST is not 1".into(),
            });
        }

        // 3. Compiler flags, following verilated.mk.
        let vroot = tools::verilator_root(vinfo)?;
        let inc = vroot.join("include");
        let mk = parse::parse_make_vars(&read(inc.join("verilated.mk"))?);
        let mkvar = |name: &str, default: &[&str]| -> Vec<String> {
            mk.get(name).cloned().unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };
        let mut base: Vec<String> = vec![format!("-I{}", inc.display()), format!("-I{}", inc.join("vltstd").display())];
        for d in ["VM_COVERAGE", "VM_SC", "VM_TRACE", "VM_TRACE_FST", "VM_TRACE_VCD"] {
            base.push(format!("-D{d}={}", flag(d)));
        }
        base.extend(mkvar("CFG_CXXFLAGS_NO_UNUSED", &[]));
        base.extend(mkvar("CFG_CXXFLAGS_STD", &[]));
        if flag("VM_TIMING") == "1" {
            base.extend(mkvar("CFG_CXXFLAGS_COROUTINES", &["-fcoroutines"]));
        }
        base.extend(var("VM_USER_CFLAGS"));
        base.extend(CXX_COMMON.iter().map(|s| s.to_string()));
        let ldlibs_threads = mkvar("CFG_LDLIBS_THREADS", &["-pthread", "-lpthread", "-latomic"]);

        // 4. The shared runtime objects.
        let mut globals = var("VM_GLOBAL_FAST");
        globals.extend(var("VM_GLOBAL_SLOW"));
        globals.sort();
        globals.dedup();
        let runtime_objs = ensure_runtime(root, vinfo, cxx, &inc, &globals, &base, log)?;

        // 5. The shim and the model's translation units.
        let threads = self.user_flag_value("threads").and_then(|v| v.parse::<u32>().ok()).filter(|&n| n > 1);
        let shim_src = shim::generate(&ShimConfig { prefix, ports: &ports, trace: trace_fst, threads });
        let shim_path = obj.join("vsys_shim.cpp");
        std::fs::write(&shim_path, shim_src).map_err(|e| Error::io(&shim_path, e))?;

        let mut fast = var("VM_CLASSES_FAST");
        fast.extend(var("VM_SUPPORT_FAST"));
        let mut slow = var("VM_CLASSES_SLOW");
        slow.extend(var("VM_SUPPORT_SLOW"));
        // Unity files (as Verilator's own `__ALL.cpp`): one per optimisation
        // level for a normal build; with `--output-split` (VM_PARALLEL_BUILDS)
        // the files are spread over `available_parallelism()` unity files
        // per level, balanced by size, so that all cores are busy without
        // re-parsing the Verilator headers once per tiny file.
        let chunks = if flag("VM_PARALLEL_BUILDS") == "1" { tools::parallelism() } else { 1 };
        let mut fast_groups = group_by_size(&obj, &fast, chunks);
        if fast_groups.is_empty() {
            fast_groups.push(Vec::new());
        }
        fast_groups[0].push("vsys_shim".to_string());
        let slow_groups = group_by_size(&obj, &slow, chunks);
        let mut units: Vec<(PathBuf, &str)> = Vec::new();
        for (kind, groups, opt) in [("fast", &fast_groups, OPT_FAST), ("slow", &slow_groups, OPT_SLOW)] {
            for (i, group) in groups.iter().enumerate() {
                let text: String = group.iter().map(|f| format!("#include \"{f}.cpp\"\n")).collect();
                let path = obj.join(format!("vsys__{kind}_{i}.cpp"));
                std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
                units.push((path, opt));
            }
        }
        let mut model_flags = base.clone();
        model_flags.push(format!("-I{}", obj.display()));
        let jobs: Vec<CompileJob> = units
            .iter()
            .map(|(src, opt)| {
                let object = src.with_extension("o");
                let mut args = model_flags.clone();
                args.push(opt.to_string());
                args.extend(self.cxx_args.iter().cloned());
                args.extend([
                    "-c".to_string(),
                    src.display().to_string(),
                    "-o".to_string(),
                    object.display().to_string(),
                ]);
                CompileJob { what: format!("compiling {}", file_name(src)), args, output: object }
            })
            .collect();
        let objects: Vec<PathBuf> = jobs.iter().map(|j| j.output.clone()).collect();
        run_jobs(cxx, jobs, log)?;

        // 6. Link.
        let map = dir.join("vsys.map");
        std::fs::write(&map, shim::VERSION_SCRIPT).map_err(|e| Error::io(&map, e))?;
        let so = dir.join(MODEL_SO);
        let mut args: Vec<String> = vec!["-shared".into(), "-o".into(), so.display().to_string()];
        args.extend(objects.iter().map(|o| o.display().to_string()));
        args.extend(runtime_objs.iter().map(|o| o.display().to_string()));
        args.extend(self.cxx_args.iter().cloned());
        args.extend([
            "-Wl,-Bsymbolic".to_string(),
            format!("-Wl,--version-script={}", map.display()),
            "-Wl,--no-undefined".to_string(),
        ]);
        args.extend(var("VM_USER_LDFLAGS"));
        args.extend(var("VM_USER_LDLIBS"));
        args.extend(ldlibs_threads);
        run_jobs(cxx, vec![CompileJob { what: "linking the model".into(), args, output: so }], log)?;
        for o in &objects {
            let _ = std::fs::remove_file(o);
        }
        Ok(())
    }
}

/// Splits `files` (names without `.cpp` in `dir`) into at most `n`
/// non-empty groups of similar total size, keeping Verilator's order inside
/// each group.
fn group_by_size(dir: &Path, files: &[String], n: usize) -> Vec<Vec<String>> {
    let n = n.clamp(1, files.len().max(1));
    if files.is_empty() {
        return Vec::new();
    }
    let size = |f: &String| std::fs::metadata(dir.join(format!("{f}.cpp"))).map(|m| m.len()).unwrap_or(0);
    let mut order: Vec<(u64, usize)> = files.iter().map(size).zip(0..).collect();
    order.sort_by(|a, b| b.cmp(a));
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n];
    for (sz, idx) in order {
        let g = groups.iter_mut().min_by_key(|g| g.0).expect("n >= 1 groups");
        g.0 += sz;
        g.1.push(idx);
    }
    groups
        .into_iter()
        .filter(|g| !g.1.is_empty())
        .map(|(_, mut idxs)| {
            idxs.sort_unstable();
            idxs.into_iter().map(|i| files[i].clone()).collect()
        })
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn absolute(p: &Path) -> Result<PathBuf, Error> {
    std::fs::canonicalize(p).map_err(|e| Error::io(p, e))
}

/// The files of a model entry that loading it depends on (the Verilator
/// runtime is linked into the shared object).
fn model_files() -> Vec<String> {
    vec![MODEL_SO.to_string()]
}

/// A model cache entry as found on a lookup.
enum Cached {
    Missing,
    Hit(Library),
    /// Fails verification or loading: why, and the marker that was checked.
    Damaged(String, Option<Marker>),
}

/// Verifies and loads the model entry `entry`. The verification comes first
/// because `dlopen` of a truncated shared object dies with SIGBUS.
fn open_cached(entry: &Path, top: &str) -> Cached {
    match cache::check_entry(entry, &model_files()) {
        EntryState::Missing => Cached::Missing,
        EntryState::Damaged(reason, marker) => Cached::Damaged(reason, marker),
        EntryState::Intact(marker) => match Library::load(entry, top, true) {
            Ok(lib) => Cached::Hit(lib),
            Err(e) => Cached::Damaged(e.to_string(), Some(marker)),
        },
    }
}

/// Fails unless the freshly published entry `dir` verifies.
fn require_intact(dir: &Path, files: &[String]) -> Result<(), Error> {
    let reason = match cache::check_entry(dir, files) {
        EntryState::Intact(_) => return Ok(()),
        EntryState::Missing => "its DONE marker vanished".to_string(),
        EntryState::Damaged(reason, _) => reason,
    };
    Err(Error::io(
        dir,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("cache entry is damaged right after being built ({reason})"),
        ),
    ))
}

/// Compiles (once per cache) the Verilator runtime files into position
/// independent objects and returns their paths.
fn ensure_runtime(
    root: &Path,
    vinfo: &VerilatorInfo,
    cxx: &ToolId,
    inc: &Path,
    globals: &[String],
    base: &[String],
    log: &mut String,
) -> Result<Vec<PathBuf>, Error> {
    let mut h = KeyHasher::new("verilator-sys runtime");
    h.str(&SHIM_VERSION.to_string());
    h.str(&vinfo.version);
    h.str(&vinfo.id.key_string());
    h.str(&cxx.key_string());
    h.str(&inc.display().to_string());
    h.str(OPT_FAST);
    for g in globals {
        h.str(g);
    }
    h.str("flags");
    for f in base {
        h.str(f);
    }
    let key = h.finish();
    let dir = root.join(format!("rt-{key}"));
    let names: Vec<String> = globals.iter().map(|g| format!("{g}.o")).collect();
    let objects: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    if let EntryState::Intact(_) = cache::check_entry(&dir, &names) {
        let _ = writeln!(log, "# runtime objects from cache: {}", dir.display());
        return Ok(objects);
    }
    let lock = cache::key_lock(&dir.to_string_lossy());
    let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    match cache::check_entry(&dir, &names) {
        EntryState::Intact(_) => {
            let _ = writeln!(log, "# runtime objects from cache: {}", dir.display());
            return Ok(objects);
        }
        EntryState::Missing => {}
        EntryState::Damaged(reason, marker) => {
            eprintln!("verilator-sys: cache entry {} is damaged ({reason}); rebuilding", dir.display());
            cache::discard(&dir, &names, marker);
        }
    }
    let mut tmp = TempDirGuard(Some(cache::make_temp_dir(root, &format!("rt-{}", &key[..12]))?));
    let jobs: Vec<CompileJob> = globals
        .iter()
        .map(|g| {
            let src = inc.join(format!("{g}.cpp"));
            let out = tmp.path().join(format!("{g}.o"));
            let mut args = base.to_vec();
            args.push(OPT_FAST.to_string());
            args.extend(["-c".to_string(), src.display().to_string(), "-o".to_string(), out.display().to_string()]);
            CompileJob { what: format!("compiling the Verilator runtime file {g}.cpp"), args, output: out }
        })
        .collect();
    let mut rt_log = String::new();
    run_jobs(cxx, jobs, &mut rt_log)?;
    log.push_str(&rt_log);
    let log_path = tmp.path().join("build.log");
    std::fs::write(&log_path, &rt_log).map_err(|e| Error::io(&log_path, e))?;
    let done = cache::done_text(tmp.path(), &[("globals", &globals.join(" "))], &names)?;
    let tmp_path = tmp.disarm();
    cache::publish(&tmp_path, &dir, &done)?;
    require_intact(&dir, &names)?;
    Ok(objects)
}

struct CompileJob {
    what: String,
    args: Vec<String>,
    output: PathBuf,
}

/// Runs compiler jobs, at most `available_parallelism()` at once in this
/// process (shared with concurrent builds). Stops starting new jobs after
/// the first failure and returns it.
fn run_jobs(cxx: &ToolId, jobs: Vec<CompileJob>, log: &mut String) -> Result<(), Error> {
    let n_jobs = jobs.len();
    let queue = Mutex::new(jobs.into_iter().collect::<std::collections::VecDeque<_>>());
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(String, Result<(), Error>)>> = Mutex::new(Vec::new());
    let workers = tools::parallelism().min(n_jobs).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                let Some(job) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else {
                    break;
                };
                let _slot = JobSlots::global().acquire();
                let command = tools::command_line(&cxx.path, &job.args);
                let t = Instant::now();
                let res = tools::run_capture(Command::new(&cxx.path).args(&job.args), &cxx.path.display().to_string());
                let (entry, result) = match res {
                    Err(e) => (format!("$ {command}\n# {e}\n"), Err(e)),
                    Ok(out) => {
                        let output = tools::combined_output(&out);
                        let entry = format!("$ {command}\n{output}# ({:.2?})\n", t.elapsed());
                        if out.status.success() && job.output.exists() {
                            (entry, Ok(()))
                        } else {
                            (
                                entry,
                                Err(Error::Compiler {
                                    what: job.what.clone(),
                                    status: out.status.to_string(),
                                    command,
                                    output,
                                }),
                            )
                        }
                    }
                };
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).push((entry, result));
            });
        }
    });
    let mut first_err = None;
    for (entry, result) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        log.push_str(&entry);
        if let Err(e) = result {
            first_err.get_or_insert(e);
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
