//! `runbook check`: compile every runbook and module the site can reach (strict
//! variables), and report every problem, naming the file actually used: syntax errors,
//! imports that do not resolve, calls to functions neither registered nor defined, site keys
//! the site schema does not have (`site.wipe_osdd`), and primitives whose doc comment lacks
//! an `Effect:` line.

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use rhai::{Engine, AST};

use crate::cli::CheckArgs;
use crate::config::Config;
use crate::resolve::{Kind, Resolver, SourceFile};
use crate::site::Site;

/// Names callable without being registered or defined.
const BUILTINS: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_fn",
    "is_def_var",
    "eval",
];

struct Checker<'a> {
    engine: Engine,
    resolver: &'a Resolver,
    constants: rhai::Scope<'static>,
    known: HashSet<String>,
    problems: Vec<String>,
    /// Module path → (file display, its public function names), or `None` if unresolved.
    modules: BTreeMap<String, Option<(String, HashSet<String>)>>,
}

impl Checker<'_> {
    fn compile(&mut self, file: &SourceFile) -> Option<AST> {
        match self.engine.compile_with_scope(&self.constants, &file.text) {
            Ok(mut ast) => {
                ast.set_source(file.display.as_str());
                Some(ast)
            }
            Err(e) => {
                self.problems.push(crate::diagnostic::render_parse(
                    &e,
                    &file.display,
                    &file.text,
                ));
                None
            }
        }
    }

    fn module(&mut self, path: &str) -> Option<(String, HashSet<String>)> {
        if let Some(done) = self.modules.get(path) {
            return done.clone();
        }
        self.modules.insert(path.to_string(), None);
        let result = match self.resolver.find(Kind::Module, path) {
            Ok(Some(file)) => self.compile(&file).map(|ast| {
                let fns = ast
                    .iter_functions()
                    .filter(|f| f.access != rhai::FnAccess::Private)
                    .map(|f| f.name.to_string())
                    .collect();
                self.lint(&file, &ast);
                (file.display.clone(), fns)
            }),
            _ => None,
        };
        self.modules.insert(path.to_string(), result.clone());
        result
    }

    fn lint(&mut self, file: &SourceFile, ast: &AST) {
        self.problems
            .extend(crate::commands::site_keys::unknown(ast, &file.display));
        let defined: HashSet<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
        let mut imports = Vec::new();
        let mut calls = Vec::new();
        ast.walk(&mut |path| {
            match path.last() {
                Some(rhai::ASTNode::Stmt(rhai::Stmt::Import(x, pos))) => {
                    if let rhai::Expr::StringConstant(s, _) = &x.0 {
                        imports.push((s.to_string(), x.1.name.to_string(), *pos));
                    }
                }
                Some(rhai::ASTNode::Expr(rhai::Expr::FnCall(f, pos)))
                | Some(rhai::ASTNode::Stmt(rhai::Stmt::FnCall(f, pos)))
                    if f.op_token.is_none() =>
                {
                    let ns = (!f.namespace.is_empty()).then(|| f.namespace.root().to_string());
                    calls.push((ns, f.name.to_string(), *pos));
                }
                _ => {}
            }
            true
        });
        let mut aliases = BTreeMap::new();
        for (path, alias, pos) in imports {
            match self.module(&path) {
                Some(m) => {
                    aliases.insert(alias, m);
                }
                None if !matches!(self.resolver.find(Kind::Module, &path), Ok(Some(_))) => {
                    let c = self.resolver.candidates(Kind::Module, &path);
                    self.problems.push(format!(
                        "error: import `{path}` does not resolve (looked in `{}`, `{}` and the built-in copies)\n  --> {}:{}:{}\n",
                        c[0],
                        c[1],
                        file.display,
                        pos.line().unwrap_or(0),
                        pos.position().unwrap_or(0)
                    ));
                }
                None => {} // the module exists but is broken: its own error is reported
            }
        }
        for (ns, name, pos) in calls {
            let at = format!(
                "{}:{}:{}",
                file.display,
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(0)
            );
            match ns {
                None if !self.known.contains(&name)
                    && !defined.contains(&name)
                    && !name.starts_with("anon$") =>
                {
                    self.problems.push(format!(
                        "error: call to undefined function `{name}`\n  --> {at}\n"
                    ));
                }
                Some(alias) => match aliases.get(&alias) {
                    Some((display, fns)) if !fns.contains(&name) => {
                        self.problems.push(format!("error: module `{alias}` (`{display}`) has no function `{name}`\n  --> {at}\n"));
                    }
                    _ => {}
                },
                None => {}
            }
        }
    }
}

impl<'a> Checker<'a> {
    /// A checker for `site`: the engine's registered functions are the known ones.
    fn new(resolver: &'a Resolver, site: &Site, problems: Vec<String>) -> Checker<'a> {
        let engine = crate::engine::bare();
        let mut known: HashSet<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
        if let Ok(json) = engine.gen_fn_metadata_to_json(true) {
            if let Ok(meta) = serde_json::from_str::<serde_json::Value>(&json) {
                for f in meta
                    .get("functions")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(n) = f.get("name").and_then(|v| v.as_str()) {
                        known.insert(n.to_string());
                    }
                }
            }
        }
        let site_dyn = rhai::serde::to_dynamic(site).unwrap_or(rhai::Dynamic::UNIT);
        Checker {
            engine,
            resolver,
            constants: crate::engine::constants(site_dyn, false),
            known,
            problems,
            modules: BTreeMap::new(),
        }
    }
}

/// The problems `runbook check` would report in one file of `site` (and the modules it
/// imports), rendered; empty when it passes. The REPL's `:save` checks its draft with it.
pub fn check_file(resolver: &Resolver, site: &Site, file: &SourceFile) -> Vec<String> {
    let mut checker = Checker::new(resolver, site, Vec::new());
    if let Some(ast) = checker.compile(file) {
        checker.lint(file, &ast);
    }
    checker.problems
}

pub fn run(config: &Config, args: &CheckArgs) -> Result<i32> {
    let resolver = config.resolver();
    let mut problems = Vec::new();
    let site = match config.load_site() {
        Ok(site) => site,
        Err(e) => {
            problems.push(format!("error: {}\n", crate::commands::chain(&e)));
            Site::defaults(&config.site_name)
        }
    };
    for d in crate::commands::doc::catalogue()? {
        if d.effect.is_none() {
            problems.push(format!(
                "error: primitive `{}` has no effect class declared in its family's `EFFECTS`\n",
                d.signature
            ));
        }
    }
    let mut checker = Checker::new(&resolver, &site, problems);
    let mut files = Vec::new();
    for name in resolver.list(Kind::Runbook) {
        match resolver.find(Kind::Runbook, &name) {
            Ok(Some(file)) => files.push(file),
            Ok(None) => {}
            Err(e) => checker
                .problems
                .push(format!("error: {}\n", crate::commands::chain(&e))),
        }
    }
    for path in &args.files {
        match std::fs::read_to_string(path) {
            Ok(text) => files.push(SourceFile {
                display: path.display().to_string(),
                text,
            }),
            Err(e) => checker.problems.push(format!(
                "error: cannot read runbook `{}`: {e}\n",
                path.display()
            )),
        }
    }
    for file in &files {
        if let Some(ast) = checker.compile(file) {
            checker.lint(file, &ast);
        }
        eprintln!("checked {}", file.display);
    }
    for name in resolver.list(Kind::Module) {
        if let Ok(Some(file)) = resolver.find(Kind::Module, &name) {
            // Modules nobody imports are still compiled: a broken one should show now.
            // (One already checked through an import is not checked again.)
            let _ = checker.module(&name);
            eprintln!("checked {}", file.display);
        }
    }
    // A problem met twice (a module imported by several files) is reported once.
    let mut seen = HashSet::new();
    checker.problems.retain(|p| seen.insert(p.clone()));
    for p in &checker.problems {
        eprint!("{p}");
    }
    if checker.problems.is_empty() {
        eprintln!(
            "ok: {} runbook(s) and {} module(s) for site `{}`",
            files.len(),
            checker.modules.len(),
            config.site_name
        );
        Ok(0)
    } else {
        eprintln!("{} problem(s) found", checker.problems.len());
        Ok(crate::outcome::Ending::Error.exit_code(None))
    }
}
