//! The layers of `src/`, as data, and the test that holds the code to them.
//!
//! Each top-level module has one layer; a module may import (`crate::…`) its own layer or
//! any layer below it, never one above. The data path reads top to bottom: `main` parses
//! and calls `commands`, which build the engine and the run context; scripts reach the
//! primitives, which go through the effects gate to the clients. The engine registers the
//! primitives and the primitives are handed the run context, so in imports `engine` sits
//! above `primitives` and `context` below them. `cli` is flags as data
//! (no I/O): `commands` and `config` read it, so it sits with the settings, below them.
//! The simulator is reached only from `commands` (the demo site and `runbook sim` start it)
//! and shares nothing with `clients/` or `primitives/`: a misreading of a format on one side
//! then shows up as a failure on the other. A test here fails on any upward import, naming
//! the file, the line and both layers, and on any circle between top-level modules.
//!
//! The scan reads `crate::` paths in code (comment lines are skipped) with a small parser:
//! paths and `use crate::{…}` groups, which is all this tree uses.

/// The layers, top to bottom, and the top-level modules (files or folders of `src/`) in each.
pub const LAYERS: &[(&str, &[&str])] = &[
    ("main", &["main"]),
    // One file per subcommand (`repl/` is one), and what only they use.
    ("commands", &["commands"]),
    // The built-in simulated cloud.
    ("sim", &["sim"]),
    ("engine", &["engine"]),
    ("primitives", &["primitives"]),
    // `RunContext`: the one handle primitives reach (config, site, clients, gate, report).
    ("context", &["context"]),
    // What a run did and how it ended; earlier runs read back.
    ("report", &["report", "outcome", "history"]),
    // The gate, its guards and rules, the frozen identities, the journal, plans.
    ("effects", &["effects"]),
    // The backup format on disk: manifest, captures, seal.
    ("backup", &["backup"]),
    // The invocation's settings: flags, config and secrets, the site, where scripts are found.
    (
        "settings",
        &[
            "config",
            "cli",
            "site",
            "resolve",
            "embedded",
            "maas_profiles",
        ],
    ),
    ("clients", &["clients"]),
    // Small leaves any layer may use.
    (
        "leaves",
        &[
            "diagnostic",
            "stop",
            "limits",
            "term",
            "color",
            "signals",
            "in_flight",
            "layers",
        ],
    ),
];

/// Who may import the simulator.
pub const SIM_USERS: &[&str] = &["commands", "sim"];

/// What the simulator must not import: it is written from the formats on its own.
pub const SIM_SHARES_NOTHING_WITH: &[&str] = &["clients", "primitives"];

/// The layer index (0 = top) and name of a top-level module.
pub fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, modules))| modules.contains(&module))
        .map(|(i, (name, _))| (i, *name))
}

/// The top-level module a file under `src/` belongs to (`None` for `lib.rs`).
pub fn module_of(rel: &str) -> Option<&str> {
    let first = rel.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then_some(name)
}

/// One `crate::` path in a file: its line and its segments.
#[derive(Debug, PartialEq)]
pub struct Import {
    pub line: usize,
    pub path: Vec<String>,
}

/// Every `crate::` path in `text` (and `runbook::` in the binary's `main.rs`), groups
/// expanded to their members.
pub fn imports(text: &str, root: &str) -> Vec<Import> {
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let code = blank_strings(&code);
    let needle = format!("{root}::");
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(found) = code[from..].find(&needle) {
        let start = from + found;
        from = start + needle.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
            continue;
        }
        let line = code[..start].matches('\n').count() + 1;
        for path in paths_at(&code[from..]) {
            out.push(Import { line, path });
        }
    }
    out
}

/// `text` with the insides of string literals (plain and raw) blanked, newlines kept, so a
/// message or a test's sample text that mentions a path is not read as an import.
fn blank_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        // A raw string: r"…", r#"…"#, ...
        if c == 'r' && !after_ident {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) == Some(&'"') {
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let body = i + 2 + hashes;
                let end = (body..chars.len())
                    .find(|&j| chars[j..].starts_with(&close))
                    .unwrap_or(chars.len());
                out.extend(&chars[i..body]);
                out.extend(chars[body..end].iter().map(|&c| blank(c)));
                out.extend(chars.get(end..end + close.len()).unwrap_or(&[]));
                i = end + close.len();
                continue;
            }
        }
        match c {
            '"' => {
                out.push('"');
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        out.push(' ');
                        i += 1;
                    }
                    if let Some(&c) = chars.get(i) {
                        out.push(blank(c));
                    }
                    i += 1;
                }
                if i < chars.len() {
                    out.push('"');
                }
                i += 1;
            }
            // A char literal (`'"'`, `'\\''`) is copied whole; a lifetime (`'a`) is not one.
            '\'' if chars.get(i + 1) == Some(&'\\') || chars.get(i + 2) == Some(&'\'') => {
                let skip = if chars.get(i + 1) == Some(&'\\') {
                    3
                } else {
                    2
                };
                let end = (i + skip..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .unwrap_or(chars.len() - 1);
                out.extend(&chars[i..=end]);
                i = end + 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The paths written at the start of `rest`: `a::b::C` is one; `{a::b, c}` is one per member.
fn paths_at(rest: &str) -> Vec<Vec<String>> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0usize;
        let mut members = Vec::new();
        let mut member = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    members.push(std::mem::take(&mut member));
                    continue;
                }
                _ => {}
            }
            member.push(c);
        }
        members.push(member);
        return members
            .iter()
            .map(|m| segments(m.trim_start()))
            .filter(|p| !p.is_empty())
            .collect();
    }
    let path = segments(rest);
    if path.is_empty() {
        Vec::new()
    } else {
        vec![path]
    }
}

/// `a::b::C…` → `["a", "b", "C"]`, stopping at the first character that ends a path.
fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

/// The broken rules in `files` (`(path under src/, text)`), one line each.
pub fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files {
        let Some(from) = module_of(rel) else { continue };
        let Some((from_rank, from_layer)) = layer_of(from) else {
            out.push(format!(
                "src/{rel}: module `{from}` has no layer in `layers::LAYERS`"
            ));
            continue;
        };
        let root = if from == "main" { "runbook" } else { "crate" };
        for import in imports(text, root) {
            let Some(to) = import.path.first().map(String::as_str) else {
                continue;
            };
            if to == from || to == "self" {
                continue;
            }
            let shown = format!("{root}::{}", import.path.join("::"));
            let Some((to_rank, to_layer)) = layer_of(to) else {
                out.push(format!(
                    "src/{rel}:{}: `{shown}`: module `{to}` has no layer in `layers::LAYERS`",
                    import.line
                ));
                continue;
            };
            if to_rank < from_rank {
                out.push(format!(
                    "src/{rel}:{}: `{from}` (layer `{from_layer}`) imports `{shown}` from layer `{to_layer}`, which is above it",
                    import.line
                ));
            }
            if to == "sim" && !SIM_USERS.contains(&from) {
                out.push(format!(
                    "src/{rel}:{}: `{from}` (layer `{from_layer}`) imports `{shown}`: only {} reach the simulator",
                    import.line,
                    SIM_USERS.join(", ")
                ));
            }
            if from == "sim" && SIM_SHARES_NOTHING_WITH.contains(&to) {
                out.push(format!(
                    "src/{rel}:{}: the simulator imports `{shown}` (layer `{to_layer}`): it shares no code with {}",
                    import.line,
                    SIM_SHARES_NOTHING_WITH.join(" or ")
                ));
            }
        }
    }
    out
}

/// A circle between top-level modules, as `a → b → … → a`, if there is one.
pub fn circle(files: &[(String, String)]) -> Option<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files {
        let Some(from) = module_of(rel) else { continue };
        let root = if from == "main" { "runbook" } else { "crate" };
        for import in imports(text, root) {
            if let Some(to) = import
                .path
                .first()
                .filter(|to| *to != from && *to != "self")
            {
                edges
                    .entry(from.to_string())
                    .or_default()
                    .insert(to.clone());
            }
        }
    }
    // Depth-first search; `path` is the current chain from a start module.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut chain = path[at..].to_vec();
            chain.push(node.to_string());
            return Some(chain.join(" → "));
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, &edges, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every `.rs` file under `src/`, as `(path under src/, text)`.
    fn tree() -> Vec<(String, String)> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, base, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(base).unwrap().display().to_string();
                    out.push((rel, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        walk(&src, &src, &mut out);
        out
    }

    fn file(rel: &str, text: &str) -> Vec<(String, String)> {
        vec![(rel.to_string(), text.to_string())]
    }

    #[test]
    fn src_imports_only_downward() {
        let files = tree();
        assert!(files.len() > 50, "read {} files", files.len());
        let found = violations(&files);
        assert!(found.is_empty(), "upward imports:\n{}", found.join("\n"));
    }

    #[test]
    fn src_has_no_circle_between_top_level_modules() {
        let files = tree();
        assert_eq!(circle(&files), None);
    }

    #[test]
    fn every_top_level_module_has_exactly_one_layer() {
        let mut seen = std::collections::BTreeSet::new();
        for (_, modules) in LAYERS {
            for m in *modules {
                assert!(seen.insert(*m), "`{m}` is in two layers");
            }
        }
        for (rel, _) in tree() {
            if let Some(m) = module_of(&rel) {
                assert!(layer_of(m).is_some(), "src/{rel}: `{m}` has no layer");
            }
        }
    }

    #[test]
    fn an_upward_import_is_named_with_its_file_line_and_both_layers() {
        let found = violations(&file(
            "effects/gate.rs",
            "//! see crate::commands\nuse std::rc::Rc;\nuse crate::report::Report;\n",
        ));
        assert_eq!(
            found,
            ["src/effects/gate.rs:3: `effects` (layer `effects`) imports `crate::report::Report` from layer `report`, which is above it"]
        );
    }

    /// The `crate::` paths `imports` reads in `text`, with their lines.
    fn paths(text: &str) -> Vec<(usize, String)> {
        imports(text, "crate")
            .into_iter()
            .map(|i| (i.line, i.path.join("::")))
            .collect()
    }

    #[test]
    fn groups_paths_and_the_binary_are_read() {
        let text = "use crate::{\n    term,\n    commands::{run, eval},\n};\nfn f() { crate::cli::Cli::x(); let _ = $crate::sim::x; }\n";
        assert_eq!(
            paths(text),
            [
                (1, "term".to_string()),
                (1, "commands".to_string()),
                (5, "cli::Cli::x".to_string())
            ]
        );
        let found = violations(&file("config.rs", "use crate::{site, commands::services};"));
        assert_eq!(
            found,
            ["src/config.rs:1: `config` (layer `settings`) imports `crate::commands::services` from layer `commands`, which is above it"]
        );
        assert!(violations(&file("main.rs", "runbook::commands::dispatch(cli)")).is_empty());
    }

    #[test]
    fn the_simulator_is_reached_only_from_commands_and_reaches_no_client() {
        let found = violations(&file("commands/services.rs", "use crate::sim;"));
        assert!(found.is_empty(), "{found:?}");
        let found = violations(&file("main.rs", "runbook::sim::start()"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("only commands, sim reach the simulator"));
        let found = violations(&file("sim/state.rs", "use crate::clients::maas::Machine;"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("shares no code with clients or primitives"));
    }

    #[test]
    fn paths_inside_strings_are_not_imports() {
        let text = "let a = \"crate::commands\"; let b = r#\"crate::sim \"x\"\"#; let c = '\"';\nuse crate::term;";
        assert_eq!(paths(text), [(2, "term".to_string())]);
    }

    #[test]
    fn a_circle_is_named() {
        let files = vec![
            (
                "site/mod.rs".to_string(),
                "use crate::config::Env;".to_string(),
            ),
            (
                "config.rs".to_string(),
                "use crate::site::Site;".to_string(),
            ),
        ];
        assert_eq!(circle(&files).as_deref(), Some("config → site → config"));
    }
}
