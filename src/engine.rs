//! Builds the one Rhai engine a run uses: explicit limits (identical in debug and release),
//! strict variables, the module resolver, every primitive family, and the run context.
//!
//! `site` and `dry_run` reach scripts two ways, both needed: at compile time they are
//! constants in the scope given to `compile_with_scope` (so strict variables accept them,
//! also inside functions and imported modules), and at run time the engine's variable
//! resolver (`Engine::on_var`, consulted before any scope) answers them — so they are
//! readable in the main script, in script functions and in functions of imported modules
//! alike, and `dry_run` follows the gate live (the REPL's `:arm` flips it).

use std::rc::Rc;

use rhai::{Dynamic, Engine, Scope};

use crate::context::RunContext;
use crate::limits;
use crate::primitives;
use crate::resolve::{Resolver, ScriptModules, Sources};
use crate::stop::Stop;

/// An engine with limits, strict variables and every primitive, but no run context:
/// enough to compile (`check`) and to read metadata (`doc`).
pub fn bare() -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits::MAX_OPERATIONS)
        .set_max_call_levels(limits::MAX_CALL_LEVELS)
        .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_FN_EXPR_DEPTH)
        .set_max_string_size(limits::MAX_STRING_SIZE)
        .set_max_array_size(limits::MAX_ARRAY_SIZE)
        .set_max_map_size(limits::MAX_MAP_SIZE)
        .set_max_modules(limits::MAX_MODULES)
        .set_strict_variables(true)
        // A property a map does not have is an error with the script's position, never a
        // silent `()` (a typo such as `m.ownr == ()` would otherwise hold). Optional keys
        // are read with `"key" in m` or `m.get("key")`.
        .set_fail_on_invalid_map_property(true);
    // No optimizer: it would fold the compile-time constants `site` and `dry_run` into the
    // AST, and `dry_run` must follow the gate live (the REPL's `:arm`).
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    primitives::register_all(&mut engine);
    engine
}

/// The script constants `site` and `dry_run`, as a scope for compiling.
pub fn constants(site: Dynamic, dry_run: bool) -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push_constant("site", site);
    scope.push_constant("dry_run", dry_run);
    scope
}

/// The engine of one run.
pub fn build(ctx: Rc<RunContext>, resolver: Resolver, sources: Sources) -> Engine {
    let mut engine = bare();
    let site = rhai::serde::to_dynamic(ctx.site()).unwrap_or(Dynamic::UNIT);
    let dry_run = ctx.gate().is_dry_run();
    engine.set_module_resolver(ScriptModules::new(
        resolver,
        constants(site.clone(), dry_run),
        sources,
    ));
    let c = ctx.clone();
    // `on_var` is marked deprecated only as "volatile API"; it is the one hook consulted
    // before every scope, which is what makes `dry_run` live inside module functions.
    #[allow(deprecated)]
    engine.on_var(move |name, _, context| {
        // A local variable or parameter of the same name shadows the constant.
        if context.scope().contains(name) {
            return Ok(None);
        }
        match name {
            "site" => Ok(Some(site.clone())),
            "dry_run" => Ok(Some(Dynamic::from(c.gate().is_dry_run()))),
            _ => Ok(None),
        }
    });

    let c = ctx.clone();
    engine.on_print(move |s| c.report().print(s));
    let c = ctx.clone();
    engine.on_debug(move |s, src, pos| {
        let at = match (src, pos.line()) {
            (Some(src), Some(l)) => format!("{src}:{l}: "),
            _ => String::new(),
        };
        c.report().diag(&format!("debug: {at}{s}"));
    });
    let c = ctx.clone();
    engine.on_progress(move |ops| {
        if c.interrupted() {
            return Some(Dynamic::from(Stop::Interrupted("interrupted".into())));
        }
        // The clock is read every 1024 operations: cheap, and still within milliseconds.
        if ops % 1024 == 0 {
            return c.over_time().map(Dynamic::from);
        }
        None
    });
    engine.set_default_tag(Dynamic::from(ctx));
    engine
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use crate::effects::journal::Journal;
    use crate::effects::Gate;
    use crate::report::Report;
    use crate::site::Site;

    #[test]
    fn dry_run_follows_the_gate_in_functions_too() {
        let report = Rc::new(Report::new(true));
        let tmp = tempfile::tempdir().unwrap();
        let gate = Gate::new(
            true,
            false,
            false,
            Journal::new(tmp.path(), "r", true),
            report.clone(),
        );
        let ctx = Rc::new(RunContext::new(
            Site::defaults("t"),
            gate,
            "r".into(),
            report,
            crate::config::Env::default(),
            Arc::new(AtomicBool::new(false)),
        ));
        let resolver = Resolver {
            root: tmp.path().to_path_buf(),
            site: "t".into(),
        };
        let engine = build(ctx.clone(), resolver, Rc::new(RefCell::new(HashMap::new())));
        let scope = constants(Dynamic::UNIT, true);
        let ast = engine
            .compile_with_scope(&scope, "fn f() { [dry_run, site.name] } f()")
            .unwrap();
        let v: rhai::Array = engine.eval_ast(&ast).unwrap();
        assert_eq!(v[0].as_bool(), Ok(true));
        assert_eq!(v[1].clone().into_string().unwrap(), "t");
        ctx.gate().set_armed(true);
        let v: rhai::Array = engine.eval_ast(&ast).unwrap();
        assert_eq!(v[0].as_bool(), Ok(false));
    }
}
