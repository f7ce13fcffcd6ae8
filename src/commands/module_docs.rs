//! The stdlib modules' own documentation, for `runbook doc`: each module's `//!` header and
//! each function's `///` comment, read from the file the site would use (its overlay, the
//! root's `stdlib/`, or the built-in copy) — never a hand-kept list.

use anyhow::{anyhow, Result};
use serde::Serialize;

use crate::resolve::{Kind, Resolver};

#[derive(Debug, Clone, Serialize)]
pub struct ModuleDoc {
    /// The import path: `import "state" as state;`.
    pub name: String,
    /// Where the file was found.
    pub file: String,
    pub doc: String,
    pub functions: Vec<ModuleFnDoc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleFnDoc {
    /// `state::detect(run)`: how a runbook calls it after `import "state" as state;`.
    pub signature: String,
    pub name: String,
    pub doc: String,
}

/// `//! text` / `/// text` lines → `text`.
fn strip_doc(lines: &str, marker: &str) -> String {
    lines
        .lines()
        .map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix(marker).unwrap_or(l);
            rest.strip_prefix(' ').unwrap_or(rest).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The documentation of module `name` as `resolver` finds it.
pub fn module(resolver: &Resolver, name: &str) -> Result<ModuleDoc> {
    let file = resolver
        .find(Kind::Module, name)?
        .ok_or_else(|| anyhow!("no module `{name}` for site `{}`", resolver.site))?;
    let engine = crate::engine::bare();
    let scope = crate::engine::constants(rhai::Dynamic::UNIT, false);
    let ast = engine.compile_with_scope(&scope, &file.text).map_err(|e| {
        anyhow!(
            "{}",
            crate::diagnostic::render_parse(&e, &file.display, &file.text).trim_end()
        )
    })?;
    let mut functions: Vec<ModuleFnDoc> = ast
        .iter_functions()
        // Closures compile to `anon$…` functions: not part of the module's interface.
        .filter(|f| f.access != rhai::FnAccess::Private && !f.name.starts_with("anon$"))
        .map(|f| ModuleFnDoc {
            signature: format!("{name}::{}({})", f.name, f.params.join(", ")),
            name: f.name.to_string(),
            doc: strip_doc(&f.comments.join("\n"), "///"),
        })
        .collect();
    functions.sort_by(|a, b| a.signature.cmp(&b.signature));
    Ok(ModuleDoc {
        name: name.to_string(),
        file: file.display,
        doc: strip_doc(ast.doc(), "//!"),
        functions,
    })
}

/// Every module the site can reach, documented.
pub fn all(resolver: &Resolver) -> Result<Vec<ModuleDoc>> {
    resolver
        .list(Kind::Module)
        .into_iter()
        .map(|name| module(resolver, &name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_lines_lose_their_markers() {
        assert_eq!(strip_doc("/// a\n///   b\n///", "///"), "a\n  b");
        assert_eq!(strip_doc("//! x — y\n//!\n//! z", "//!"), "x — y\n\nz");
    }
}
