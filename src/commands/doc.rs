//! `runbook doc [NAME]`: the primitive catalogue, generated from the engine's metadata (the
//! Rust doc comments of the plugin modules) — never a hand-kept list — then the stdlib
//! modules' functions from their `///` comments (`module_docs`). The effect class is the
//! family's declaration (`primitives::effect_class`), the one the gate is given.

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::DocArgs;
use crate::commands::module_docs::{self, ModuleDoc};
use crate::config::Config;

#[derive(Debug, Clone, Serialize)]
pub struct FnDoc {
    pub name: String,
    pub signature: String,
    /// `read`, `change`, `destroy`, or `None` when the family declares no class for it.
    pub effect: Option<String>,
    pub doc: String,
}

/// Every function registered by `primitives::register_all` (Rhai's standard library excluded).
pub fn catalogue() -> Result<Vec<FnDoc>> {
    let engine = crate::engine::bare();
    let json = engine
        .gen_fn_metadata_to_json(false)
        .context("cannot read the engine's metadata")?;
    let meta: serde_json::Value =
        serde_json::from_str(&json).context("the engine's metadata is not JSON")?;
    let mut out = Vec::new();
    for f in meta
        .get("functions")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let name = f
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let signature =
            script_signature(f.get("signature").and_then(|v| v.as_str()).unwrap_or(&name));
        let lines: Vec<String> = f
            .get("docComments")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str())
            .flat_map(|block| block.lines().map(str::to_string).collect::<Vec<_>>())
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("///")
                    .strip_prefix(' ')
                    .map(str::to_string)
                    .unwrap_or_else(|| l.trim_start().trim_start_matches("///").to_string())
            })
            .collect();
        let effect = crate::primitives::effect_class(&name).map(|c| c.word().to_string());
        let doc = lines.join("\n").trim().to_string();
        out.push(FnDoc {
            name,
            signature,
            effect,
            doc,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.signature.cmp(&b.signature)));
    Ok(out)
}

/// A signature as a script author reads it: Rhai's metadata shows Rust types
/// (`&str`, `RhaiResult<Array>`, `Result<Dynamic, Box<EvalAltResult>>`); show the
/// script's (`String`, `Array`, `Dynamic`), and no `-> ()`.
pub fn script_signature(rust: &str) -> String {
    let s = rust.replace("&str", "String").replace("&mut ", "");
    let Some(i) = s.rfind(" -> ") else {
        return s;
    };
    let (head, ret) = (&s[..i], s[i + 4..].trim());
    let ret = if let Some(inner) = ret
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix(", Box<EvalAltResult>>"))
    {
        inner
    } else if let Some(inner) = ret
        .strip_prefix("RhaiResultOf<")
        .or_else(|| ret.strip_prefix("RhaiResult<"))
        .and_then(|r| r.strip_suffix('>'))
    {
        inner
    } else if ret == "RhaiResult" {
        "Dynamic"
    } else {
        ret
    };
    if ret == "()" {
        head.to_string()
    } else {
        format!("{head} -> {ret}")
    }
}

pub fn run(config: &Config, args: &DocArgs) -> Result<i32> {
    if let Some(dir) = &args.definitions {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        crate::engine::bare()
            .definitions()
            .with_headers(true)
            .write_to_dir(dir)
            .with_context(|| format!("cannot write definition files into `{}`", dir.display()))?;
        eprintln!("wrote Rhai definition files to `{}`", dir.display());
        return Ok(0);
    }
    let resolver = config.resolver();
    let mut primitives = catalogue()?;
    let mut modules = module_docs::all(&resolver)?;
    if let Some(name) = &args.name {
        select(name, &mut primitives, &mut modules);
        if primitives.is_empty() && modules.is_empty() {
            bail!("no primitive, stdlib module or stdlib function `{name}` for site `{}`\nhint: `runbook doc` lists them all; a module function is `MODULE::NAME`", resolver.site);
        }
    }
    if config.json {
        let doc = serde_json::json!({ "primitives": primitives, "modules": modules });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    if !primitives.is_empty() && args.name.is_none() {
        println!("# Primitives (built into runbook; the effect class in brackets)\n");
    }
    for d in &primitives {
        println!(
            "{}    [{}]",
            d.signature,
            d.effect.as_deref().unwrap_or("NO EFFECT CLASS")
        );
        print_indented(&d.doc);
    }
    if !modules.is_empty() && args.name.is_none() {
        println!("# Stdlib modules (`import \"NAME\" as NAME;`)\n");
    }
    for m in &modules {
        let whole = m.functions.len() > 1 || args.name.as_deref() == Some(m.name.as_str());
        if whole {
            println!("module {}    ({})", m.name, m.file);
            print_indented(&m.doc);
        }
        for f in &m.functions {
            println!("{}    (module `{}`, {})", f.signature, m.name, m.file);
            print_indented(if f.doc.is_empty() {
                "(no `///` comment)"
            } else {
                &f.doc
            });
        }
    }
    Ok(0)
}

/// Keep what NAME names: primitives called NAME; module NAME whole; `MODULE::FN`; or a
/// module function called NAME.
fn select(name: &str, primitives: &mut Vec<FnDoc>, modules: &mut Vec<ModuleDoc>) {
    primitives.retain(|p| p.name == name);
    let (module, function) = match name.split_once("::") {
        Some((m, f)) => (Some(m), Some(f)),
        None => (None, None),
    };
    modules.retain_mut(|m| {
        if module.is_none() && m.name == name {
            return true;
        }
        if module.is_some_and(|want| want != m.name) {
            return false;
        }
        let want = function.unwrap_or(name);
        m.functions.retain(|f| f.name == want);
        !m.functions.is_empty()
    });
}

fn print_indented(text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            println!();
        } else {
            println!("    {line}");
        }
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_read_as_script_types() {
        assert_eq!(
            script_signature("glob(pattern: &str) -> RhaiResult<Array>"),
            "glob(pattern: String) -> Array"
        );
        assert_eq!(
            script_signature("fail(msg: &str) -> RhaiResult<()>"),
            "fail(msg: String)"
        );
        assert_eq!(
            script_signature("release(system_id: &str) -> RhaiResult"),
            "release(system_id: String) -> Dynamic"
        );
        assert_eq!(script_signature("now() -> String"), "now() -> String");
        assert_eq!(
            script_signature(
                "maas_machines(hostnames: Array) -> Result<Dynamic, Box<EvalAltResult>>"
            ),
            "maas_machines(hostnames: Array) -> Dynamic"
        );
        assert_eq!(script_signature("sleep(s: i64)"), "sleep(s: i64)");
    }
}
