//! The line editor's helper: Tab completion, signature hints, and the validator that keeps
//! reading lines while the Rhai parser says the entry is unfinished (so a function or a
//! block can be typed naturally).
//!
//! Completion reads a [`Names`] snapshot the loop refreshes after each entry: primitives
//! (with their signatures, from the engine's metadata), Rhai's standard library, session
//! variables and functions, `site.` keys, `:` commands and their arguments.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;

use super::commands::COMMANDS;

/// What completion and hints can offer; refreshed by the loop after each entry.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Primitive name → its signatures (one per overload).
    pub primitives: BTreeMap<String, Vec<String>>,
    /// Rhai's standard library functions.
    pub stdlib: Vec<String>,
    /// Functions defined in the session.
    pub functions: Vec<String>,
    /// Modules imported in the session (`stdlib/` and site modules): alias → functions.
    pub modules: BTreeMap<String, Vec<String>>,
    /// Session variables (`site`, `dry_run` included).
    pub variables: Vec<String>,
    /// The effective site, for `site.` keys.
    pub site: serde_json::Value,
    /// Runbooks `:load` can run, sites `:site` can switch to.
    pub runbooks: Vec<String>,
    pub sites: Vec<String>,
    /// True while the operator answers a question (`:arm`): no completion, no hints.
    pub answering: bool,
}

/// A prefix this long (or longer) of exactly one primitive gets its signature as a hint.
const HINT_MIN_PREFIX: usize = 3;

/// Rhai keywords worth completing.
const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue",
    "return", "throw", "try", "catch", "import", "as", "true", "false",
];

pub struct ReplHelper {
    pub names: Rc<RefCell<Names>>,
    files: FilenameCompleter,
    /// A plain engine: only the syntax matters to the validator.
    parser: rhai::Engine,
}

impl ReplHelper {
    pub fn new(names: Rc<RefCell<Names>>) -> ReplHelper {
        ReplHelper {
            names,
            files: FilenameCompleter::new(),
            parser: rhai::Engine::new_raw(),
        }
    }
}

/// True when `input` is an unfinished Rhai entry: the parser ran out of input (an open
/// brace, bracket, parenthesis or string; a dangling operator) rather than meeting a
/// wrong token before the end.
pub fn is_incomplete(parser: &rhai::Engine, input: &str) -> bool {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.starts_with(':') {
        return false;
    }
    match parser.compile(input) {
        Ok(_) => false,
        Err(err) => {
            use rhai::{LexError, ParseErrorType as P};
            match &*err.0 {
                P::UnexpectedEOF => true,
                // Only a back-tick string may span lines; an open one continues.
                P::BadInput(LexError::UnterminatedString) => input.matches('`').count() % 2 == 1,
                _ => at_end(input, err.position()),
            }
        }
    }
}

/// True when `pos` is past the last non-blank character of `input` (or unknown/EOF).
fn at_end(input: &str, pos: rhai::Position) -> bool {
    let (Some(line), Some(col)) = (pos.line(), pos.position()) else {
        return true;
    };
    let lines: Vec<&str> = input.trim_end().lines().collect();
    match line.cmp(&lines.len()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => col > lines[line - 1].trim_end().chars().count(),
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(&self.parser, ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

/// The identifier-ish word (letters, digits, `_`, `.`) ending at `pos`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.')
        .last()
        .map_or(pos, |(i, _)| i)
}

/// `state` when `before` (the line up to the word being completed) ends in `state::`.
fn module_alias(before: &str) -> Option<&str> {
    let head = before.strip_suffix("::")?;
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)?;
    Some(&head[start..])
}

fn pairs(prefix: &str, candidates: impl IntoIterator<Item = (String, String)>) -> Vec<Pair> {
    let mut out: Vec<Pair> = candidates
        .into_iter()
        .filter(|(display, _)| display.starts_with(prefix))
        .map(|(display, replacement)| Pair {
            display,
            replacement,
        })
        .collect();
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    out
}

impl Names {
    /// Completions for the word `word` of a script line.
    fn script(&self, word: &str) -> (usize, Vec<Pair>) {
        if let Some(dot) = word.rfind('.') {
            // `site.maas.u` → keys of `site.maas` starting with `u`.
            let (path, prefix) = (&word[..dot], &word[dot + 1..]);
            let mut parts = path.split('.');
            if parts.next() != Some("site") {
                return (0, Vec::new());
            }
            let node = parts.try_fold(&self.site, |v, k| v.get(k));
            let keys = node
                .and_then(|v| v.as_object())
                .map(|m| m.keys().map(|k| (k.clone(), k.clone())).collect::<Vec<_>>())
                .unwrap_or_default();
            return (dot + 1, pairs(prefix, keys));
        }
        let calls = self
            .primitives
            .keys()
            .chain(&self.stdlib)
            .chain(&self.functions)
            .map(|n| (n.clone(), format!("{n}(")));
        let plain = self
            .variables
            .iter()
            .cloned()
            .chain(KEYWORDS.iter().map(|k| k.to_string()))
            .map(|n| (n.clone(), n));
        (0, pairs(word, calls.chain(plain)))
    }

    /// Completions for `alias::word`: the functions of the module imported as `alias`.
    fn module(&self, alias: &str, word: &str) -> Vec<Pair> {
        let functions = self.modules.get(alias).into_iter().flatten();
        pairs(word, functions.map(|f| (f.clone(), format!("{f}("))))
    }

    /// Completions for the argument of a `:` command.
    fn argument(&self, command: &str, word: &str) -> Option<Vec<Pair>> {
        let list: Vec<String> = match command {
            ":doc" => self.primitives.keys().cloned().collect(),
            ":load" => self.runbooks.clone(),
            ":site" => self.sites.clone(),
            _ => return None,
        };
        Some(pairs(word, list.into_iter().map(|n| (n.clone(), n))))
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let names = self.names.borrow();
        if names.answering {
            return Ok((pos, Vec::new()));
        }
        if line.trim_start().starts_with(':') {
            let head = line.trim_start();
            let offset = line.len() - head.len();
            return match head[..pos.saturating_sub(offset)].split_once(' ') {
                None => {
                    let commands = COMMANDS
                        .iter()
                        .map(|(c, ..)| (c.to_string(), c.to_string()));
                    Ok((offset, pairs(&line[offset..pos], commands)))
                }
                Some((":save", _)) => self.files.complete(line, pos, ctx),
                Some((command, _)) => {
                    let start = line[..pos].rfind(' ').map_or(pos, |i| i + 1);
                    let found = names
                        .argument(command, &line[start..pos])
                        .unwrap_or_default();
                    Ok((start, found))
                }
            };
        }
        let start = word_start(line, pos);
        if let Some(alias) = module_alias(&line[..start]) {
            return Ok((start, names.module(alias, &line[start..pos])));
        }
        let (offset, found) = names.script(&line[start..pos]);
        Ok((start + offset, found))
    }
}

/// A hint: shown dimmed after the cursor; Right-arrow inserts only `completion`.
pub struct SignatureHint {
    display: String,
    completion: Option<String>,
}

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Names {
    /// The hint for a line ending at `pos`: inside `name(...` the signature of `name`;
    /// typing a prefix (3+ letters) of exactly one primitive, its remaining letters and
    /// signature. Nothing while answering a question or typing a `:` command.
    pub fn hint(&self, line: &str, pos: usize) -> Option<SignatureHint> {
        if self.answering || pos < line.len() || line.trim_start().starts_with(':') {
            return None;
        }
        let start = word_start(line, pos);
        let word = &line[start..pos];
        if word.len() >= HINT_MIN_PREFIX && !word.contains('.') {
            let mut matches = self.primitives.iter().filter(|(n, _)| n.starts_with(word));
            if let (Some((name, sigs)), None) = (matches.next(), matches.next()) {
                let rest = &name[word.len()..];
                return Some(SignatureHint {
                    display: format!("{rest}  {}", sigs.join("  |  ")),
                    completion: (!rest.is_empty()).then(|| rest.to_string()),
                });
            }
        }
        let name = open_call(&line[..pos])?;
        let sigs = self.primitives.get(name)?;
        Some(SignatureHint {
            display: format!("  {}", sigs.join("  |  ")),
            completion: None,
        })
    }
}

/// The function name before the innermost unclosed `(` of `text`.
fn open_call(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let end = i;
                let start = word_start(text, end);
                return (start < end).then(|| &text[start..end]);
            }
            _ => {}
        }
    }
    None
}

impl Hinter for ReplHelper {
    type Hint = SignatureHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<SignatureHint> {
        self.names.borrow().hint(line, pos)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl rustyline::Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let mut primitives = BTreeMap::new();
        primitives.insert(
            "maas_machines".to_string(),
            vec![
                "maas_machines() -> Array".to_string(),
                "maas_machines(hostnames: Array) -> Array".to_string(),
            ],
        );
        primitives.insert(
            "maas_whoami".to_string(),
            vec!["maas_whoami() -> String".to_string()],
        );
        primitives.insert(
            "release".to_string(),
            vec!["release(system_id: &str) -> Map".to_string()],
        );
        Names {
            primitives,
            stdlib: vec!["len".into(), "filter".into()],
            functions: vec!["my_fn".into()],
            modules: BTreeMap::from([(
                "state".to_string(),
                vec!["classify".to_string(), "detect".to_string()],
            )]),
            variables: vec!["machines".into(), "site".into()],
            site: serde_json::json!({"name": "demo", "maas": {"url": "u", "concurrency": 8}}),
            runbooks: vec!["teardown".into(), "verify".into()],
            sites: vec!["demo".into(), "testcloud".into()],
            answering: false,
        }
    }

    fn helper() -> ReplHelper {
        ReplHelper::new(Rc::new(RefCell::new(names())))
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        let h = helper();
        let history = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&history);
        let (start, pairs) = h.complete(line, line.len(), &ctx).unwrap();
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_primitives_variables_and_functions() {
        assert_eq!(
            complete("let x = maas_"),
            (8, vec!["maas_machines(".into(), "maas_whoami(".into()])
        );
        assert_eq!(complete("mach"), (0, vec!["machines".into()]));
        assert_eq!(complete("print(my"), (6, vec!["my_fn(".into()]));
    }

    #[test]
    fn completes_functions_of_imported_modules() {
        assert_eq!(
            complete("let r = state::cl"),
            (15, vec!["classify(".into()])
        );
        assert_eq!(
            complete("state::"),
            (7, vec!["classify(".into(), "detect(".into()])
        );
        assert_eq!(complete("other::cl"), (7, Vec::<String>::new()));
    }

    #[test]
    fn completes_site_keys() {
        assert_eq!(complete("site.ma"), (5, vec!["maas".into()]));
        assert_eq!(
            complete("x = site.maas."),
            (14, vec!["concurrency".into(), "url".into()])
        );
        assert_eq!(complete("site.nope."), (10, vec![]));
    }

    #[test]
    fn completes_commands_and_their_arguments() {
        assert_eq!(complete(":ar"), (0, vec![":arm".into()]));
        assert_eq!(complete(":doc maas_w"), (5, vec!["maas_whoami".into()]));
        assert_eq!(complete(":load te"), (6, vec!["teardown".into()]));
        assert_eq!(complete(":site t"), (6, vec!["testcloud".into()]));
    }

    #[test]
    fn hints_show_signatures() {
        let n = names();
        let h = n.hint("rel", 3).unwrap();
        assert_eq!(h.display(), "ease  release(system_id: &str) -> Map");
        assert_eq!(h.completion(), Some("ease"));
        let h = n.hint("maas_machines(site.targets", 26).unwrap();
        assert!(h.display().contains("maas_machines(hostnames: Array)"));
        assert_eq!(h.completion(), None);
        assert!(n.hint("maas_", 5).is_none(), "two primitives match");
        assert!(n.hint("re", 2).is_none(), "too short a prefix to guess");
        assert!(n.hint("len(x)", 6).is_none());
    }

    #[test]
    fn unfinished_input_continues() {
        let parser = rhai::Engine::new_raw();
        for text in [
            "fn f(x) {",
            "fn f(x) {\n  x + 1",
            "if true {",
            "let a = [1, 2,",
            "foo(1,",
            "let m = #{a: 1,",
            "let s = `multi",
        ] {
            assert!(is_incomplete(&parser, text), "{text:?} should continue");
        }
        for text in [
            "1 + 2",
            "fn f(x) { x }",
            "let a = ;",
            "1 +* 2",
            "let s = \"no newline in here",
            "",
            ":help",
            "let x = 1",
            "}",
        ] {
            assert!(
                !is_incomplete(&parser, text),
                "{text:?} should be submitted"
            );
        }
    }
}
