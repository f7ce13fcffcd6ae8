//! The state of one REPL session: the run context and engine of the current site, one
//! scope across entries, the functions and imports defined so far, and the entries that
//! succeeded (for `:save`). It evaluates one entry at a time and never prints; the loop
//! (`mod.rs`) decides what the operator sees.
//!
//! The context is built from the same parts as `commands::Session` (site, gate, journal,
//! report, engine) with two REPL differences: the gate starts unarmed (dry-run) but the
//! journal is a file, so effects executed after `:arm` are on record; and Ctrl-C stops the
//! current entry only — its flag is cleared before the next one.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use rhai::{Dynamic, Engine, Position, Scope, AST};

use crate::commands::services::ServiceGuard;
use crate::commands::{build_context, interrupt_flag, ContextMode};
use crate::config::Config;
use crate::context::RunContext;
use crate::resolve::Sources;

/// What one entry did.
pub enum Outcome {
    /// It ran; its value (`()` for statements).
    Value(Dynamic),
    /// It failed to compile or run: the rendered diagnostic.
    Error(String),
    /// Ctrl-C stopped it.
    Interrupted,
}

/// A top-level `import "path" as alias;` of an entry that ran, kept for later entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub path: String,
    pub alias: String,
}

/// One line of the draft `:save` writes: an entry's text, or a note about a `:load`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Entry(String),
    Note(String),
}

pub struct ReplSession {
    pub config: Config,
    ctx: Rc<RunContext>,
    engine: Engine,
    sources: Sources,
    scope: Scope<'static>,
    /// Every function defined by an entry that ran (statements cleared).
    functions: AST,
    /// Function name → the entry (display name) that defined it, for error locations.
    defined_in: HashMap<String, String>,
    imports: Vec<Import>,
    /// Import alias → the public functions of its module (for `alias::` completion).
    module_functions: BTreeMap<String, Vec<String>>,
    saved: Vec<Saved>,
    entries: usize,
    interrupted: Arc<AtomicBool>,
    /// The site's lock, held while armed (one session or run at a time changes a site).
    lock: Option<crate::commands::site_lock::SiteLock>,
    _services: Option<ServiceGuard>,
}

/// Unarmed (the gate plans), but journaled to a file: effects after `:arm` are on record.
const REPL_MODE: ContextMode = ContextMode {
    dry_run: true,
    yes: false,
    json: false,
    journal_file: true,
    run_label: "repl-",
};

impl ReplSession {
    /// A session on `config`'s site: unarmed, empty scope (but `site` and `dry_run`).
    pub fn start(config: &Config) -> Result<ReplSession> {
        let interrupted = interrupt_flag();
        let (ctx, services) = build_context(config, &REPL_MODE, interrupted.clone())?;
        let origins = crate::commands::endpoints::origins(config, services.is_some());
        for line in crate::commands::endpoints::header(&ctx, &origins) {
            eprintln!("{line}");
        }
        let sources: Sources = Rc::new(RefCell::new(HashMap::new()));
        let engine = crate::engine::build(ctx.clone(), config.resolver(), sources.clone());
        let scope = constants(&ctx);
        Ok(ReplSession {
            config: config.clone(),
            ctx,
            engine,
            sources,
            scope,
            functions: AST::empty(),
            defined_in: HashMap::new(),
            imports: Vec::new(),
            module_functions: BTreeMap::new(),
            saved: Vec::new(),
            entries: 0,
            interrupted,
            lock: None,
            _services: services,
        })
    }

    pub fn ctx(&self) -> &RunContext {
        &self.ctx
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn scope(&self) -> &Scope<'static> {
        &self.scope
    }

    pub fn functions(&self) -> &AST {
        &self.functions
    }

    pub fn saved(&self) -> &[Saved] {
        &self.saved
    }

    pub fn imports(&self) -> &[Import] {
        &self.imports
    }

    /// Import alias → the public functions of the module it names.
    pub fn module_functions(&self) -> &BTreeMap<String, Vec<String>> {
        &self.module_functions
    }

    /// Keep the site's lock until the session is disarmed or moves to another site.
    pub fn hold_lock(&mut self, lock: crate::commands::site_lock::SiteLock) {
        self.lock = Some(lock);
    }

    pub fn is_armed(&self) -> bool {
        !self.ctx.gate().is_dry_run()
    }

    /// Arm (execute state-changing calls) or disarm (plan them). Scripts read `dry_run`
    /// from the gate live (`engine.rs`); the scope's constant (what `:scope` shows and the
    /// compiler sees) follows too.
    pub fn set_armed(&mut self, armed: bool) {
        if !armed {
            self.lock = None;
        }
        self.ctx.gate().set_armed(armed);
        self.set_constant("dry_run", Dynamic::from(!armed));
    }

    /// Switch to site `name`: a new context and engine (unarmed); variables and functions
    /// stay, `site` becomes the new site's.
    pub fn switch_site(&mut self, name: &str) -> Result<()> {
        let config = Config {
            site_name: name.to_string(),
            site_is_default: false,
            ..self.config.clone()
        };
        // Build everything for the new site first: on any error the session stays as it was.
        let (ctx, services) = build_context(&config, &REPL_MODE, self.interrupted.clone())?;
        let mut engine = crate::engine::build(ctx.clone(), config.resolver(), self.sources.clone());
        let mut module_functions = BTreeMap::new();
        for import in &self.imports {
            let functions = register_import(&mut engine, import, &self.sources)
                .map_err(|e| anyhow::anyhow!("{}", e.trim_end()))
                .with_context(|| {
                    format!(
                        "`import \"{}\" as {}` does not resolve for site `{name}`",
                        import.path, import.alias
                    )
                })?;
            module_functions.insert(import.alias.clone(), functions);
        }
        // Drop the old site's services (and lock) before keeping the new ones.
        self.lock = None;
        self._services = None;
        self._services = services;
        self.config = config;
        self.ctx = ctx;
        self.engine = engine;
        self.module_functions = module_functions;
        let site = site_value(&self.ctx);
        self.set_constant("site", site);
        self.set_constant("dry_run", Dynamic::from(true));
        self.saved.push(Saved::Note(format!(
            "`:site {name}`: the entries below ran against site `{name}`"
        )));
        Ok(())
    }

    /// Replace a constant of the scope, keeping every other variable in order.
    fn set_constant(&mut self, name: &str, value: Dynamic) {
        let mut scope = Scope::new();
        for (n, constant, v) in self.scope.iter() {
            if n == name {
                scope.push_constant_dynamic(n.to_string(), value.clone());
            } else if constant {
                scope.push_constant_dynamic(n.to_string(), v);
            } else {
                scope.push_dynamic(n.to_string(), v);
            }
        }
        self.scope = scope;
    }

    /// Evaluate one entry typed at the prompt.
    pub fn eval(&mut self, text: &str) -> Outcome {
        self.entries += 1;
        let display = format!("<repl:{}>", self.entries);
        self.run(&display, text, Some(text))
    }

    /// `:load`: run a runbook (a name or a path) in the session scope.
    pub fn load(&mut self, name: &str) -> Result<Outcome> {
        let file = self.config.resolver().runbook(name)?;
        let outcome = self.run(&file.display, &file.text, None);
        if matches!(outcome, Outcome::Value(_)) {
            self.saved.push(Saved::Note(format!(
                "`:load {name}` ran `{}` here",
                file.display
            )));
        }
        Ok(outcome)
    }

    fn run(&mut self, display: &str, text: &str, save: Option<&str>) -> Outcome {
        self.sources
            .borrow_mut()
            .insert(display.to_string(), text.to_string());
        let mut ast = match self.engine.compile_with_scope(&self.scope, text) {
            Ok(ast) => ast,
            Err(e) => return Outcome::Error(crate::diagnostic::render_parse(&e, display, text)),
        };
        ast.set_source(display);
        let mut program = self.functions.merge(&ast);
        program.set_source(display);
        self.interrupted.store(false, Ordering::SeqCst);
        crate::signals::clear();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program);
        let stopped = self.interrupted.swap(false, Ordering::SeqCst);
        let mut defined_in = self.defined_in.clone();
        for f in ast.iter_functions() {
            defined_in.insert(f.name.to_string(), display.to_string());
        }
        match result {
            Ok(value) => {
                self.defined_in = defined_in;
                program.clear_statements();
                self.functions = program;
                for import in top_level_imports(&ast) {
                    // The entry just imported it, so this only fails if the module changed.
                    match register_import(&mut self.engine, &import, &self.sources) {
                        Ok(functions) => {
                            self.module_functions
                                .insert(import.alias.clone(), functions);
                        }
                        Err(e) => return Outcome::Error(e),
                    }
                    self.imports.retain(|i| i.alias != import.alias);
                    self.imports.push(import);
                }
                if let Some(text) = save {
                    self.saved.push(Saved::Entry(text.to_string()));
                }
                Outcome::Value(value)
            }
            Err(_) if stopped => Outcome::Interrupted,
            Err(err) => Outcome::Error(crate::diagnostic::render(
                &attribute(*err, display, &defined_in),
                display,
                &self.sources.borrow(),
            )),
        }
    }

    /// The number of effects planned so far in this session.
    pub fn planned_count(&self) -> usize {
        self.ctx
            .report()
            .document("repl", "", None, None)
            .get("plan")
            .and_then(|p| p.as_array())
            .map_or(0, Vec::len)
    }
}

/// Rhai reports an error inside a script function as coming from the running entry; a
/// session function's body lives in the entry that defined it, so point there instead.
fn attribute(
    err: rhai::EvalAltResult,
    running: &str,
    defined_in: &HashMap<String, String>,
) -> rhai::EvalAltResult {
    match err {
        rhai::EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
            let src = match defined_in.get(&name) {
                Some(entry) if src == running || src.is_empty() => entry.clone(),
                _ => src,
            };
            let inner = attribute(*inner, running, defined_in);
            rhai::EvalAltResult::ErrorInFunctionCall(name, src, inner.into(), pos)
        }
        e => e,
    }
}

/// Make an imported module visible to later entries (also to the compiler, which with
/// strict variables only accepts `alias::name` for modules it knows). Returns the names of
/// the module's public functions.
fn register_import(
    engine: &mut Engine,
    import: &Import,
    sources: &Sources,
) -> std::result::Result<Vec<String>, String> {
    let module = engine
        .module_resolver()
        .resolve(engine, None, &import.path, Position::NONE)
        .map_err(|e| crate::diagnostic::render(&e, "<import>", &sources.borrow()))?;
    let mut functions: Vec<String> = module
        .iter_script_fn_info()
        .filter(|(_, access, ..)| *access == rhai::FnAccess::Public)
        .map(|(_, _, name, ..)| name.to_string())
        .collect();
    functions.sort();
    functions.dedup();
    engine.register_static_module(import.alias.as_str(), module);
    Ok(functions)
}

/// `import "path" as alias;` statements at the top level of `ast`.
fn top_level_imports(ast: &AST) -> Vec<Import> {
    ast.statements()
        .iter()
        .filter_map(|stmt| match stmt {
            rhai::Stmt::Import(x, _) => match &x.0 {
                rhai::Expr::StringConstant(path, _) if !x.1.name.is_empty() => Some(Import {
                    path: path.to_string(),
                    alias: x.1.name.to_string(),
                }),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn site_value(ctx: &RunContext) -> Dynamic {
    rhai::serde::to_dynamic(ctx.site()).unwrap_or(Dynamic::UNIT)
}

fn constants(ctx: &RunContext) -> Scope<'static> {
    crate::engine::constants(site_value(ctx), ctx.gate().is_dry_run())
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn session() -> (tempfile::TempDir, ReplSession) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("stdlib")).unwrap();
        std::fs::write(
            tmp.path().join("stdlib/m.rhai"),
            "fn twice(x) { x * 2 }\nfn mode() { dry_run }\n",
        )
        .unwrap();
        for site in ["one", "two"] {
            let dir = tmp.path().join("sites").join(site);
            std::fs::create_dir_all(&dir).unwrap();
            let text = format!("#{{ name: \"{site}\" }}");
            std::fs::write(dir.join("site.rhai"), text).unwrap();
        }
        std::fs::write(tmp.path().join("sites/one/only.rhai"), "fn here() { 1 }").unwrap();
        let config = Config {
            root: tmp.path().to_path_buf(),
            site_name: "one".into(),
            site_is_default: false,
            sets: vec![],
            json: false,
            env: crate::config::Env::default(),
        };
        let session = ReplSession::start(&config).unwrap();
        (tmp, session)
    }

    fn value(outcome: Outcome) -> Dynamic {
        match outcome {
            Outcome::Value(v) => v,
            Outcome::Error(e) => panic!("error: {e}"),
            Outcome::Interrupted => panic!("interrupted"),
        }
    }

    fn ok(outcome: Outcome) {
        let _ = value(outcome);
    }

    fn error(outcome: Outcome) -> String {
        match outcome {
            Outcome::Error(e) => e,
            _ => panic!("expected an error"),
        }
    }

    #[test]
    fn variables_functions_and_imports_persist() {
        let (_t, mut s) = session();
        ok(s.eval("let x = 40;"));
        assert_eq!(value(s.eval("x + 2")).as_int().unwrap(), 42);
        ok(s.eval("fn inc(a) {\n  a + 1\n}"));
        assert_eq!(value(s.eval("inc(x)")).as_int().unwrap(), 41);
        ok(s.eval("import \"m\" as m;"));
        assert_eq!(value(s.eval("m::twice(x)")).as_int().unwrap(), 80);
        assert_eq!(value(s.eval("site.name")).into_string().unwrap(), "one");
    }

    #[test]
    fn errors_point_into_the_entry_and_into_an_earlier_functions() {
        let (_t, mut s) = session();
        ok(s.eval("let y = 1;"));
        ok(s.eval("fn boom() {\n  throw \"bad thing\";\n}"));
        // (entry, the error exactly: its position names the entry, `<repl:N>`)
        for (entry, want) in [
            (
                "let z = y;\nz.no_such_property()",
                "error: Function not found: no_such_property (i64)\n  --> <repl:3>:2:3\n  |\n2 | z.no_such_property()\n  |   ^\n",
            ),
            (
                "let = ;",
                "error: Expecting name of a variable\n  --> <repl:4>:1:5\n  |\n1 | let = ;\n  |     ^\n",
            ),
            (
                "undefined_variable + 1",
                "error: Undefined variable: undefined_variable\n  --> <repl:5>:1:1\n  |\n1 | undefined_variable + 1\n  | ^\n",
            ),
            // An error inside a function defined earlier shows that entry, then the call.
            (
                "boom()",
                "error: bad thing\n  --> <repl:2>:2:3\n  |\n2 |   throw \"bad thing\";\n  |   ^\n   = in call to `boom` at <repl:6>:1:1\n",
            ),
        ] {
            assert_eq!(error(s.eval(entry)), want, "{entry}");
        }
    }

    #[test]
    fn failed_entries_are_not_saved_and_define_nothing() {
        let (_t, mut s) = session();
        ok(s.eval("let a = 1"));
        error(s.eval("fn never() { 1 }\nthrow \"x\";"));
        error(s.eval("never()"));
        assert_eq!(s.saved(), &[Saved::Entry("let a = 1".into())]);
    }

    #[test]
    fn arming_updates_dry_run_everywhere_and_site_switch_keeps_variables() {
        let (_t, mut s) = session();
        ok(s.eval("import \"m\" as m; let kept = 7;"));
        assert!(value(s.eval("dry_run")).as_bool().unwrap());
        assert!(value(s.eval("m::mode()")).as_bool().unwrap());
        s.set_armed(true);
        assert!(s.is_armed());
        assert!(!value(s.eval("dry_run")).as_bool().unwrap());
        assert!(!value(s.eval("m::mode()")).as_bool().unwrap());
        s.switch_site("two").unwrap();
        assert!(!s.is_armed(), "a new site starts read-only");
        assert_eq!(value(s.eval("site.name")).into_string().unwrap(), "two");
        assert_eq!(value(s.eval("kept + m::twice(1)")).as_int().unwrap(), 9);
        assert!(s.switch_site("nowhere").is_err());
        assert_eq!(value(s.eval("site.name")).into_string().unwrap(), "two");
        // An import only the current site has: switching away fails and changes nothing.
        s.switch_site("one").unwrap();
        ok(s.eval("import \"only\" as only;"));
        let e = format!("{:#}", s.switch_site("two").unwrap_err());
        assert!(
            e.contains("`import \"only\" as only` does not resolve for site `two`"),
            "{e}"
        );
        let here = value(s.eval("site.name + only::here()"));
        assert_eq!(here.into_string().unwrap(), "one1");
        assert!(s.saved().contains(&Saved::Note(
            "`:site two`: the entries below ran against site `two`".into()
        )));
    }
}
