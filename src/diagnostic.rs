//! Renders Rhai errors for operators: `error: …`, then `--> file:line:col`, the source
//! line with a caret, and the chain through function calls and imported modules
//! (innermost first). The only place that formats script errors.

use std::collections::HashMap;
use std::fmt::Write;

use rhai::{EvalAltResult, ParseError, Position};

/// A parse error in one file.
pub fn render_parse(err: &ParseError, display: &str, text: &str) -> String {
    let msg = strip_position(&err.0.to_string());
    let mut out = format!("error: {msg}\n");
    out.push_str(&location(display, Some(text), err.position()));
    out
}

/// A runtime (or wrapped parse) error of a script with one known source.
pub fn render_one(err: &EvalAltResult, display: &str, text: &str) -> String {
    let mut sources = HashMap::new();
    sources.insert(display.to_string(), text.to_string());
    render(err, display, &sources)
}

/// The message of the innermost error, without position or chain.
pub fn message(err: &EvalAltResult) -> String {
    match innermost(err) {
        // A stop's text, not its type name (Rhai's display of a custom type).
        EvalAltResult::ErrorRuntime(v, _) | EvalAltResult::ErrorTerminated(v, _) => {
            crate::stop::Stop::of_token(v).map_or_else(|| v.to_string(), |s| s.to_string())
        }
        EvalAltResult::ErrorParsing(p, _) => strip_position(&p.to_string()),
        EvalAltResult::ErrorPropertyNotFound(key, _) => format!(
            "the map has no key `{key}` (a typo?); read a key that may be absent with `m.get(\"{key}\")` or `\"{key}\" in m`"
        ),
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "the script exceeded the limit of {} operations (a runaway loop?)",
            crate::limits::MAX_OPERATIONS
        ),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "call depth exceeded the limit of {} (runaway recursion?)",
            crate::limits::MAX_CALL_LEVELS
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            use crate::limits;
            let (thing, limit, unit) = if what.contains("string") {
                ("a string", limits::MAX_STRING_SIZE, "bytes")
            } else if what.contains("map") {
                ("an object map", limits::MAX_MAP_SIZE, "entries")
            } else {
                ("an array", limits::MAX_ARRAY_SIZE, "elements")
            };
            format!("{thing} grew past the limit of {limit} {unit} (a runaway loop?)")
        }
        e => strip_position(&e.to_string()),
    }
}

fn innermost(mut err: &EvalAltResult) -> &EvalAltResult {
    loop {
        match err {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => err = inner,
            e => return e,
        }
    }
}

/// An error raised while running `main` (display name); `sources` maps display names of
/// every loaded script to their text.
pub fn render(err: &EvalAltResult, main: &str, sources: &HashMap<String, String>) -> String {
    let mut frames = Vec::new();
    let mut current = main.to_string();
    let mut e = err;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                frames.push(format!(
                    "in call to `{name}` at {}",
                    position_text(&current, *pos)
                ));
                if !src.is_empty() {
                    current = src.clone();
                }
                e = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                frames.push(format!(
                    "in module `{name}` imported at {}",
                    position_text(&current, *pos)
                ));
                current = name.clone();
                e = inner;
            }
            _ => break,
        }
    }
    let mut out = format!("error: {}\n", message(e));
    out.push_str(&location(
        &current,
        sources.get(&current).map(String::as_str),
        e.position(),
    ));
    for frame in frames.iter().rev() {
        let _ = writeln!(out, "   = {frame}");
    }
    out
}

fn position_text(file: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

fn location(file: &str, text: Option<&str>, pos: Position) -> String {
    let mut out = format!("  --> {}\n", position_text(file, pos));
    if let (Some(text), Some(line)) = (text, pos.line()) {
        if let Some(src) = text.lines().nth(line - 1) {
            let num = line.to_string();
            let pad = " ".repeat(num.len());
            let col = pos.position().unwrap_or(1).max(1);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{num} | {src}");
            let _ = writeln!(out, "{pad} | {}^", " ".repeat(col - 1));
        }
    }
    out
}

/// Rhai's `Display` ends with ` (line N, position M)`; the location is shown separately.
fn strip_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_shows_file_line_col_and_caret() {
        let engine = rhai::Engine::new();
        let text = "let a = 1;\nlet b = (;\n";
        let err = engine.compile(text).unwrap_err();
        let out = render_parse(&err, "x.rhai", text);
        assert!(out.starts_with("error: "), "{out}");
        assert!(out.contains("--> x.rhai:2:"), "{out}");
        assert!(out.contains("2 | let b = (;"), "{out}");
    }

    #[test]
    fn a_missing_map_key_is_named_with_its_place() {
        let mut engine = rhai::Engine::new();
        engine.set_fail_on_invalid_map_property(true);
        let text = "let m = #{ owner: 1 };\nm.ownr == ()\n";
        let err = engine.eval::<bool>(text).unwrap_err();
        let out = render_one(&err, "t.rhai", text);
        assert!(
            out.starts_with("error: the map has no key `ownr` (a typo?)"),
            "{out}"
        );
        assert!(out.contains("--> t.rhai:2:3"), "{out}");
    }

    #[test]
    fn runtime_error_in_function_shows_chain() {
        let engine = rhai::Engine::new();
        let text = "fn f() {\n  throw \"bad\";\n}\nf();\n";
        let mut ast = engine.compile(text).unwrap();
        ast.set_source("m.rhai");
        let err = engine.run_ast(&ast).unwrap_err();
        let out = render_one(&err, "m.rhai", text);
        assert!(out.starts_with("error: bad\n  --> m.rhai:2:3\n"), "{out}");
        assert!(out.contains("   = in call to `f` at m.rhai:4:1"), "{out}");
    }
}
