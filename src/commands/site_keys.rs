//! `runbook check`'s scan for site keys the schema does not have: `site.wipe_osdd` would
//! otherwise only fail when that line runs. It reads `site.K…`, `run.site.K…` and
//! `X.K…` where the file binds `let X = site` or `let X = run.site` (and binds `X` to
//! nothing else), checking each dotted key against [`keys::KEYS`].

use std::collections::{BTreeSet, HashSet};

use rhai::{ASTNode, Expr, Position, Stmt, AST};
use serde_json::Value;

use crate::site::keys;

/// Every key a script can read from `site`, as a JSON tree (`sim`'s too, though only the
/// demo site has it).
fn schema() -> Value {
    keys::defaults_tree(true)
}

/// One problem per unknown site key read in `ast`: `site.<key>` and where.
pub fn unknown(ast: &AST, display: &str) -> Vec<String> {
    let schema = schema();
    let aliases = site_aliases(ast);
    let mut found = BTreeSet::new();
    ast.walk(&mut |path| {
        if let Some(ASTNode::Expr(Expr::Dot(dot, _, _))) = path.last() {
            let chain = match variable_name(&dot.lhs) {
                Some("site") => Some(properties(&dot.rhs)),
                Some("run") => match properties(&dot.rhs).split_first() {
                    Some((first, rest)) if first.0 == "site" => Some(rest.to_vec()),
                    _ => None,
                },
                Some(name) if aliases.contains(name) => Some(properties(&dot.rhs)),
                _ => None,
            };
            if let Some((key, pos)) = chain.and_then(|c| first_unknown(&schema, &c)) {
                found.insert((pos.line().unwrap_or(0), pos.position().unwrap_or(0), key));
            }
        }
        true
    });
    found
        .into_iter()
        .map(|(line, col, key)| {
            format!("error: `site.{key}` is not a site setting (a typo?); `runbook sites keys` lists the settings\n  --> {display}:{line}:{col}\n")
        })
        .collect()
}

fn variable_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Variable(v, _, _) => Some(v.1.as_str()),
        _ => None,
    }
}

/// The property names read in a chain right of a dot, in order, up to the first method
/// call or index (`maas.url` → [maas, url]; `targets.len()` → [targets]).
fn properties(e: &Expr) -> Vec<(String, Position)> {
    match e {
        Expr::Property(p, pos) => vec![(p.2.to_string(), *pos)],
        Expr::Dot(b, _, _) => {
            let mut out = properties(&b.lhs);
            if matches!(b.lhs, Expr::Property(..)) {
                out.extend(properties(&b.rhs));
            }
            out
        }
        Expr::Index(b, _, _) => properties(&b.lhs),
        _ => Vec::new(),
    }
}

/// The first dotted key of `chain` the schema does not have, with its position.
fn first_unknown(schema: &Value, chain: &[(String, Position)]) -> Option<(String, Position)> {
    let mut node = schema;
    let mut dotted = Vec::new();
    for (name, pos) in chain {
        let Value::Object(map) = node else {
            return None; // a value, not a table: what follows is not a site key
        };
        dotted.push(name.as_str());
        match map.get(name) {
            Some(next) => node = next,
            None => return Some((dotted.join("."), *pos)),
        }
    }
    None
}

/// Names the file binds only to the site: `let X = site;` or `let X = run.site;`.
fn site_aliases(ast: &AST) -> HashSet<String> {
    let mut site = HashSet::new();
    let mut other = HashSet::new();
    ast.walk(&mut |path| {
        if let Some(ASTNode::Stmt(Stmt::Var(v, _, _))) = path.last() {
            let (ident, value, _) = v.as_ref();
            let is_site = match value {
                Expr::Variable(..) => variable_name(value) == Some("site"),
                Expr::Dot(b, _, _) => {
                    variable_name(&b.lhs) == Some("run")
                        && matches!(&b.rhs, Expr::Property(p, _) if p.2 == "site")
                }
                _ => false,
            };
            let set = if is_site { &mut site } else { &mut other };
            set.insert(ident.name.to_string());
        }
        true
    });
    site.retain(|name| !other.contains(name));
    site
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(script: &str) -> Vec<String> {
        let engine = rhai::Engine::new();
        unknown(&engine.compile(script).unwrap(), "x.rhai")
    }

    #[test]
    fn known_keys_pass() {
        let script = "let run = #{ site: site }; let cfg = run.site;
            print(site.wipe_osd); print(site.maas.url); print(site.targets.len());
            print(run.site.timeouts.model_gone); print(cfg.osd_disks); print(site.sim.speed);
            print(site.targets[0]);";
        let script = format!("let site = #{{}}; {script}");
        assert_eq!(problems(&script), Vec::<String>::new());
    }

    #[test]
    fn unknown_keys_are_named_with_their_place() {
        let script = "let site = #{};\nlet run = #{};\nlet cfg = run.site;\nprint(site.wipe_osdd);\nprint(site.maas.urll);\nprint(run.site.timeout.x);\nprint(cfg.pointer);\nprint(site.targets.len());\n";
        let got = problems(script);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(
            got[0].contains("`site.wipe_osdd`") && got[0].contains("x.rhai:4:"),
            "{got:?}"
        );
        assert!(
            got[1].contains("`site.maas.urll`") && got[1].contains("x.rhai:5:"),
            "{got:?}"
        );
        assert!(
            got[2].contains("`site.timeout`") && got[2].contains("x.rhai:6:"),
            "{got:?}"
        );
        assert!(
            got[3].contains("`site.pointer`") && got[3].contains("x.rhai:7:"),
            "{got:?}"
        );
    }

    #[test]
    fn a_name_also_bound_to_something_else_is_not_an_alias() {
        let script =
            "let site = #{};\nlet cfg = site;\nlet cfg = #{ other: 1 };\nprint(cfg.other);\n";
        assert_eq!(problems(script), Vec::<String>::new());
    }
}
