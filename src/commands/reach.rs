//! Whether a script can reach a confirmation, read from its source before it runs: a call
//! to a destroy-class primitive (its `Effect: destroy` line, as `runbook doc` reads it) or to
//! `confirm`, in the script or in any module it imports, however deep, in any branch.
//!
//! A run that cannot confirm (no terminal, no `--yes`) and can reach one is bound to be
//! refused; the gate then refuses its first change, so nothing changes before that refusal
//! whether or not the script asks `can_confirm()` itself. The answer errs on the side of
//! "yes": a call in a branch never taken counts, and so does a call the source does not
//! name (`Fn(name)` of a computed name, `eval`, an import of a computed path).

use std::collections::HashSet;

use rhai::{ASTNode, Engine, Expr, FnPtr, Position, Scope, Stmt, AST};

use crate::resolve::{Kind, Resolver};

/// The first call found that needs a confirmation: `` `name` at file:line:col``.
pub fn confirmation(
    engine: &Engine,
    constants: &Scope<'static>,
    resolver: &Resolver,
    display: &str,
    ast: &AST,
) -> Option<String> {
    let needs: HashSet<String> = crate::commands::doc::catalogue()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.effect.as_deref() == Some("destroy"))
        .map(|f| f.name)
        .chain(["confirm".to_string()])
        .collect();
    let mut reach = Reach {
        engine,
        constants,
        resolver,
        needs,
        seen: HashSet::new(),
    };
    reach.file(display, ast)
}

struct Reach<'a> {
    engine: &'a Engine,
    constants: &'a Scope<'static>,
    resolver: &'a Resolver,
    /// The functions whose call needs a confirmation.
    needs: HashSet<String>,
    /// Modules already read (each once; imports may form a circle).
    seen: HashSet<String>,
}

impl Reach<'_> {
    fn file(&mut self, display: &str, ast: &AST) -> Option<String> {
        let at = |pos: Position| match (pos.line(), pos.position()) {
            (Some(l), Some(c)) => format!("{display}:{l}:{c}"),
            _ => display.to_string(),
        };
        let mut found = None;
        let mut imports = Vec::new();
        ast.walk(&mut |path| {
            found = match path.last() {
                Some(ASTNode::Stmt(Stmt::Import(x, pos))) => match &x.0 {
                    Expr::StringConstant(name, _) => {
                        imports.push(name.to_string());
                        None
                    }
                    _ => Some(format!("an import of a computed path at {}", at(*pos))),
                },
                Some(ASTNode::Expr(Expr::FnCall(f, pos)))
                | Some(ASTNode::Expr(Expr::MethodCall(f, pos)))
                | Some(ASTNode::Stmt(Stmt::FnCall(f, pos)))
                    if f.op_token.is_none() =>
                {
                    self.call(&f.name, &f.args, *pos, &at)
                }
                Some(ASTNode::Expr(Expr::DynamicConstant(v, pos))) => v
                    .read_lock::<FnPtr>()
                    .filter(|p| self.needs.contains(p.fn_name()))
                    .map(|p| format!("`{}` at {}", p.fn_name(), at(*pos))),
                _ => None,
            };
            found.is_none()
        });
        found.or_else(|| imports.into_iter().find_map(|name| self.module(&name)))
    }

    /// A call named `name`: one that needs a confirmation, or that calls what the source
    /// does not name.
    fn call(
        &self,
        name: &str,
        args: &[Expr],
        pos: Position,
        at: &dyn Fn(Position) -> String,
    ) -> Option<String> {
        if self.needs.contains(name) {
            return Some(format!("`{name}` at {}", at(pos)));
        }
        match (name, args.first()) {
            ("Fn", Some(Expr::StringConstant(target, _))) => self
                .needs
                .contains(target.as_str())
                .then(|| format!("`{target}` at {}", at(pos))),
            ("Fn" | "eval", _) => Some(format!(
                "`{name}` of what the source does not name at {}",
                at(pos)
            )),
            _ => None,
        }
    }

    fn module(&mut self, name: &str) -> Option<String> {
        if !self.seen.insert(name.to_string()) {
            return None;
        }
        // A module that does not resolve or compile stops the run at its import, before it
        // can call anything.
        let file = self.resolver.find(Kind::Module, name).ok().flatten()?;
        let ast = self
            .engine
            .compile_with_scope(self.constants, &file.text)
            .ok()?;
        self.file(&file.display, &ast)
    }
}
