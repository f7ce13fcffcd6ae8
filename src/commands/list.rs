//! `runbook list`: every runbook and module the site can reach, with its one-line purpose
//! and the file that would be used; `runbook show NAME`: that file's source, to copy into a
//! site overlay or read before a run.

use anyhow::{bail, Result};
use serde::Serialize;

use crate::cli::ShowArgs;
use crate::config::Config;
use crate::resolve::{Kind, Resolver, SourceFile};

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub kind: &'static str,
    pub name: String,
    pub purpose: String,
    pub file: String,
}

/// The first line of a script's opening comment, without `// NAME — `.
pub fn purpose(name: &str, text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .take_while(|l| l.starts_with("//"))
        .map(|l| l.trim_start_matches('/').trim_start_matches('!').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    first
        .strip_prefix(name)
        .and_then(|rest| {
            rest.trim_start()
                .strip_prefix('—')
                .or_else(|| rest.trim_start().strip_prefix("- "))
                .or_else(|| rest.trim_start().strip_prefix(':'))
        })
        .unwrap_or(first)
        .trim()
        .to_string()
}

fn entries(resolver: &Resolver) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (kind, word) in [(Kind::Runbook, "runbook"), (Kind::Module, "module")] {
        for name in resolver.list(kind) {
            if let Some(file) = resolver.find(kind, &name)? {
                out.push(Entry {
                    kind: word,
                    purpose: purpose(&name, &file.text),
                    name,
                    file: file.display,
                });
            }
        }
    }
    Ok(out)
}

pub fn list(config: &Config) -> Result<i32> {
    let resolver = config.resolver();
    let entries = entries(&resolver)?;
    if config.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(0);
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for (word, title) in [("runbook", "runbooks"), ("module", "modules")] {
        println!(
            "{title} for site `{}` (`runbook show NAME` prints one):",
            resolver.site
        );
        for e in entries.iter().filter(|e| e.kind == word) {
            println!("  {:<width$}  {}", e.name, e.purpose);
            println!("  {:<width$}    {}", "", e.file);
        }
        println!();
    }
    Ok(0)
}

/// The runbook (else the module) NAME as the site would load it.
fn find(resolver: &Resolver, name: &str) -> Result<(&'static str, SourceFile)> {
    if let Some(file) = resolver.find(Kind::Runbook, name)? {
        return Ok(("runbook", file));
    }
    if let Some(file) = resolver.find(Kind::Module, name)? {
        return Ok(("module", file));
    }
    bail!(
        "no runbook or module `{name}` for site `{}`\nhint: `runbook list` shows what the site can reach",
        resolver.site
    )
}

pub fn show(config: &Config, args: &ShowArgs) -> Result<i32> {
    let resolver = config.resolver();
    let (kind, file) = find(&resolver, &args.name)?;
    // The source alone on stdout (so `> file` copies it); where it came from on stderr.
    print!("{}", file.text);
    if !file.text.ends_with('\n') {
        println!();
    }
    eprintln!(
        "{kind} `{}` from {}; to change it for site `{}` only, copy it to `sites/{}/{}.rhai` under the root",
        args.name, file.display, resolver.site, resolver.site, args.name
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_is_the_first_comment_line_without_the_name() {
        assert_eq!(
            purpose(
                "settle",
                "//! settle — the destroy-model runbook Phase D.\n//!\n//! more"
            ),
            "the destroy-model runbook Phase D."
        );
        assert_eq!(purpose("x", "// does x\nlet a = 1;"), "does x");
        assert_eq!(purpose("x", "let a = 1;"), "");
    }
}
