//! Where a runbook, a module or a site file is found: the site overlay, then the shared
//! folder (`runbooks/` for runbooks, `stdlib/` for modules) under the root, then the same
//! paths in the copies built into the binary. A missing file falls through; a file that
//! exists is used (a broken one stops with its own error). Also the Rhai module resolver.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

use crate::embedded;

/// A script's text and the name it is known by in errors (`/root/stdlib/state.rhai`, or
/// `<built-in>/stdlib/state.rhai`).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub display: String,
    pub text: String,
}

/// Every script text loaded in this process, by display name (read by `diagnostic.rs`).
pub type Sources = Rc<RefCell<HashMap<String, String>>>;

#[derive(Debug, Clone)]
pub struct Resolver {
    pub root: PathBuf,
    pub site: String,
}

/// What kind of script is wanted: decides the shared folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Runbook,
    Module,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Runbook => "runbooks",
            Kind::Module => "stdlib",
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
}

impl Resolver {
    /// The relative paths searched for NAME, in order.
    pub fn candidates(&self, kind: Kind, name: &str) -> Vec<String> {
        vec![
            format!("sites/{}/{name}.rhai", self.site),
            format!("{}/{name}.rhai", kind.folder()),
        ]
    }

    /// Find NAME; `Ok(None)` when no candidate exists anywhere.
    pub fn find(&self, kind: Kind, name: &str) -> Result<Option<SourceFile>> {
        if !valid_name(name) {
            bail!(
                "`{name}` is not a valid {} name (letters, digits, `-`, `_`, `.`)",
                kind_word(kind)
            );
        }
        let candidates = self.candidates(kind, name);
        for rel in &candidates {
            if let Some(file) = self.read_disk(rel)? {
                return Ok(Some(file));
            }
        }
        for rel in &candidates {
            if let Some(text) = embedded::get(rel) {
                return Ok(Some(SourceFile {
                    display: format!("<built-in>/{rel}"),
                    text: text.to_string(),
                }));
            }
        }
        Ok(None)
    }

    fn read_disk(&self, rel: &str) -> Result<Option<SourceFile>> {
        let path = self.root.join(rel);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(SourceFile {
                display: path.display().to_string(),
                text,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }

    /// A runbook by name, or a path to a `.rhai` file; the error lists what exists.
    pub fn runbook(&self, name: &str) -> Result<SourceFile> {
        if name.ends_with(".rhai") && (name.contains('/') || Path::new(name).exists()) {
            let text = fs::read_to_string(name)
                .with_context(|| format!("cannot read runbook file `{name}`"))?;
            return Ok(SourceFile {
                display: name.to_string(),
                text,
            });
        }
        match self.find(Kind::Runbook, name)? {
            Some(file) => Ok(file),
            None => {
                let known = self.list(Kind::Runbook);
                let list = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.into_iter().collect::<Vec<_>>().join(", ")
                };
                bail!(
                    "no runbook `{name}` for site `{}` (looked in `{}`, `{}` under `{}` and the built-in copies)\nhint: available runbooks: {list}",
                    self.site,
                    self.candidates(Kind::Runbook, name)[0],
                    self.candidates(Kind::Runbook, name)[1],
                    self.root.display()
                )
            }
        }
    }

    /// Names reachable for KIND (site overlay, shared folder, built-ins), sorted. A file in
    /// the site's folder counts for the kind it is (see [`Resolver::overlay_kind`]).
    pub fn list(&self, kind: Kind) -> BTreeSet<String> {
        let mut names = self.names_in(&format!("{}/", kind.folder()));
        for name in self.names_in(&format!("sites/{}/", self.site)) {
            if name != "site" && self.overlay_kind(&name) == kind {
                names.insert(name);
            }
        }
        names
    }

    /// The `.rhai` names directly in DIR (under the root, and built in).
    fn names_in(&self, dir: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        if let Ok(entries) = fs::read_dir(self.root.join(dir)) {
            for e in entries.flatten() {
                if let Some(n) = rhai_stem(&e.file_name().to_string_lossy()) {
                    names.insert(n);
                }
            }
        }
        for path in embedded::list(dir) {
            let rest = &path[dir.len()..];
            if !rest.contains('/') {
                if let Some(n) = rhai_stem(rest) {
                    names.insert(n);
                }
            }
        }
        names
    }

    /// What `sites/<site>/NAME.rhai` is: the runbook it overrides, else the module it
    /// overrides, else — a file of the site's own — a module when it only defines functions
    /// (and imports or constants), a runbook when it does something.
    pub fn overlay_kind(&self, name: &str) -> Kind {
        if self.names_in("runbooks/").contains(name) {
            return Kind::Runbook;
        }
        if self.names_in("stdlib/").contains(name) {
            return Kind::Module;
        }
        let rel = format!("sites/{}/{name}.rhai", self.site);
        let text = match self.read_disk(&rel) {
            Ok(Some(f)) => f.text,
            _ => embedded::get(&rel).unwrap_or_default().to_string(),
        };
        match Engine::new_raw().compile(&text) {
            Ok(ast) => {
                let only_definitions = ast.statements().iter().all(|s| {
                    matches!(
                        s,
                        rhai::Stmt::Import(..) | rhai::Stmt::Var(..) | rhai::Stmt::Noop(..)
                    )
                });
                if only_definitions && ast.iter_functions().next().is_some() {
                    Kind::Module
                } else {
                    Kind::Runbook
                }
            }
            // A broken file is checked (and its error shown) as a runbook.
            Err(_) => Kind::Runbook,
        }
    }

    /// The `site.rhai` of site NAME (disk, then built-in).
    pub fn site_file(&self, name: &str) -> Result<Option<SourceFile>> {
        if !valid_name(name) {
            bail!("`{name}` is not a valid site name");
        }
        let rel = format!("sites/{name}/site.rhai");
        if let Some(f) = self.read_disk(&rel)? {
            return Ok(Some(f));
        }
        Ok(embedded::get(&rel).map(|t| SourceFile {
            display: format!("<built-in>/{rel}"),
            text: t.to_string(),
        }))
    }

    /// Every site name on disk or built in.
    pub fn sites(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        if let Ok(entries) = fs::read_dir(self.root.join("sites")) {
            for e in entries.flatten() {
                if e.path().join("site.rhai").is_file() {
                    names.insert(e.file_name().to_string_lossy().to_string());
                }
            }
        }
        for path in embedded::list("sites/") {
            if let Some(site) = path
                .strip_prefix("sites/")
                .and_then(|p| p.strip_suffix("/site.rhai"))
            {
                names.insert(site.to_string());
            }
        }
        names
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Runbook => "runbook",
        Kind::Module => "module",
    }
}

fn rhai_stem(file: &str) -> Option<String> {
    file.strip_suffix(".rhai")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The Rhai module resolver: `import "state" as state;` follows [`Resolver::find`] with
/// [`Kind::Module`]. Modules compile with the same constants (`site`, `dry_run`) as the
/// main script so strict variables accept them; each is evaluated once per run.
pub struct ScriptModules {
    pub resolver: Resolver,
    pub constants: Scope<'static>,
    pub sources: Sources,
    cache: RefCell<HashMap<String, Shared<Module>>>,
}

impl ScriptModules {
    pub fn new(resolver: Resolver, constants: Scope<'static>, sources: Sources) -> Self {
        Self {
            resolver,
            constants,
            sources,
            cache: RefCell::new(HashMap::new()),
        }
    }
}

impl ModuleResolver for ScriptModules {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(m) = self.cache.borrow().get(path) {
            return Ok(m.clone());
        }
        let file = match self.resolver.find(Kind::Module, path) {
            Ok(Some(file)) => file,
            Ok(None) => {
                return Err(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos).into())
            }
            Err(e) => {
                return Err(EvalAltResult::ErrorInModule(
                    path.to_string(),
                    format!("{e:#}").into(),
                    pos,
                )
                .into())
            }
        };
        self.sources
            .borrow_mut()
            .insert(file.display.clone(), file.text.clone());
        let mut ast = engine
            .compile_with_scope(&self.constants, &file.text)
            .map_err(|e| EvalAltResult::ErrorInModule(file.display.clone(), e.into(), pos))?;
        ast.set_source(file.display.as_str());
        let scope = self.constants.clone();
        let module = Module::eval_ast_as_new(scope, &ast, engine)
            .map_err(|e| EvalAltResult::ErrorInModule(file.display.clone(), e, pos))?;
        let module: Shared<Module> = module.into();
        self.cache
            .borrow_mut()
            .insert(path.to_string(), module.clone());
        Ok(module)
    }
}
