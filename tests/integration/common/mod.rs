//! The test builder: drives the built `runbook` binary like an operator would.
//!
//! Each [`Test`] owns a temp dir with `root/` (the current directory and default root of
//! the run), `home/` (`$HOME`) and `state/` (`$XDG_STATE_HOME`). The environment is
//! cleared and pinned: only `PATH`, `HOME`, `XDG_STATE_HOME` and what `.env()` adds.
//!
//! ```ignore
//! let sim = SimServer::scenario("dirty").juju("4.0").fault("maas-5xx:0.1").start();
//! let out = Test::new()
//!     .sim(&sim)                                        // MAAS_URL, MAAS_API_KEY, JUJU_BIN
//!     .repo()                                           // --root at this checkout
//!     .site("testcloud")                                // --site testcloud
//!     .set("timeouts.model_gone", "10")                 // --set KEY=VALUE (last one wins)
//!     .args(&["run", "teardown", "--yes"])
//!     .run();
//! ```
//!
//! ```ignore
//! let out = Test::new()
//!     .file("runbooks/hello.rhai", r#"print("hi");"#)   // under root/
//!     .args(&["run", "hello"])
//!     .env("MAAS_URL", "http://127.0.0.1:1/MAAS")
//!     .stdin("openstack\n")                             // default: empty stdin (not a terminal)
//!     .run();
//! out.status(0).stdout_ends_with("hi\n").stdout_has("journal:"); // transcript on stdout
//! let doc = out.json();                                 // stdout parsed as JSON
//! let lines = out.journal_lines();                      // every journal.jsonl under home/ and state/
//! ```
//!
//! `Output` keeps the temp dir alive, so files a run wrote can be inspected afterwards
//! (`out.home()`, `out.root()`, `out.state()`). A `Test` can run again, in the same dirs:
//! the operator typing the same command twice.

#![allow(dead_code)]

use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;

use crate::sim_server::SimServer;

pub mod process;
mod running;
pub mod session;
pub use running::Running;
mod transcript;

pub const BIN: &str = env!("CARGO_BIN_EXE_runbook");
/// The checkout: its `runbooks/`, `sites/` and `stdlib/` are what an operator runs.
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// A test's temp dir: `root/`, `home/` and `state/`, shared by the `Test` and the
/// `Output` of each of its runs (both deref to it: `t.home()`, `out.root()`).
pub struct Dirs(tempfile::TempDir);

impl Dirs {
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// The current directory and default root of a run.
    pub fn root(&self) -> PathBuf {
        self.path().join("root")
    }

    /// `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `$XDG_STATE_HOME`, where runs keep their journals.
    pub fn state(&self) -> PathBuf {
        self.path().join("state")
    }
}

impl Deref for Test {
    type Target = Dirs;
    fn deref(&self) -> &Dirs {
        &self.dir
    }
}

impl Deref for Output {
    type Target = Dirs;
    fn deref(&self) -> &Dirs {
        &self.dir
    }
}

pub struct Test {
    /// Shared with every `Output` of its runs.
    dir: Rc<Dirs>,
    args: Vec<String>,
    /// `--root`, `--site` and the `--set` settings, passed after `args`.
    root: Option<String>,
    site: Option<String>,
    settings: Vec<(String, String)>,
    env: Vec<(String, String)>,
    stdin: String,
    cwd: Option<PathBuf>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Test {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["root", "home", "state"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        Test {
            dir: Rc::new(Dirs(dir)),
            args: Vec::new(),
            root: None,
            site: None,
            settings: Vec::new(),
            env: Vec::new(),
            stdin: String::new(),
            cwd: None,
        }
    }

    /// The operator's `runbook run r` of a runbook `runbooks/r.rhai` holding `text`, in the
    /// test's own root.
    pub fn script(text: &str) -> Test {
        Test::new()
            .file("runbooks/r.rhai", text)
            .args(&["run", "r"])
    }

    /// Write `text` to `root/<rel>` (folders created).
    pub fn file(self, rel: &str, text: &str) -> Test {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Test {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// The checkout's runbooks and sites (`--root` at the repository).
    pub fn repo(mut self) -> Test {
        self.root = Some(REPO.to_string());
        self
    }

    /// `--site NAME`.
    pub fn site(mut self, name: &str) -> Test {
        self.site = Some(name.to_string());
        self
    }

    /// `--set KEY=VALUE`; a later `set` of the same key replaces the earlier one.
    pub fn set(mut self, key: &str, value: &str) -> Test {
        self.settings.retain(|(k, _)| k != key);
        self.settings.push((key.to_string(), value.to_string()));
        self
    }

    /// Against the simulator `sim`: its `MAAS_URL`, `MAAS_API_KEY` and `JUJU_BIN`.
    pub fn sim(self, sim: &SimServer) -> Test {
        self.envs(sim.env())
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Several variables at once, e.g. a simulator's `MAAS_URL`, `MAAS_API_KEY`, `JUJU_BIN`.
    pub fn envs(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Test {
        self.env.extend(vars);
        self
    }

    pub fn stdin(mut self, text: &str) -> Test {
        self.stdin = text.into();
        self
    }

    /// Run from this directory instead of `root/`.
    pub fn cwd(mut self, dir: &Path) -> Test {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// The command, ready to spawn (for tests that signal the process).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args);
        if let Some(root) = &self.root {
            cmd.args(["--root", root]);
        }
        if let Some(site) = &self.site {
            cmd.args(["--site", site]);
        }
        for (k, v) in &self.settings {
            cmd.arg("--set").arg(format!("{k}={v}"));
        }
        cmd.current_dir(self.cwd.clone().unwrap_or_else(|| self.root()))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_STATE_HOME", self.state());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn launch(&self, stdin: Stdio) -> Child {
        self.command()
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runbook")
    }

    /// Runs the command to its end; again and again if called again, in the same dirs.
    pub fn run(&self) -> Output {
        let mut child = self.launch(Stdio::piped());
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(self.stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("wait");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir: Rc::clone(&self.dir),
        }
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub(in crate::common) dir: Rc<Dirs>,
}

impl Output {
    fn show(&self) -> String {
        format!(
            "status {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn status(&self, code: i32) -> &Output {
        assert_eq!(self.code, code, "unexpected exit status\n{}", self.show());
        self
    }

    pub fn stdout_is(&self, text: &str) -> &Output {
        assert_eq!(self.stdout, text, "unexpected stdout\n{}", self.show());
        self
    }

    /// What a run's script printed last: the transcript (header, steps) comes first on
    /// stdout, so `print()` output is its tail.
    pub fn stdout_ends_with(&self, text: &str) -> &Output {
        assert!(
            self.stdout.ends_with(text),
            "stdout does not end with {text:?}\n{}",
            self.show()
        );
        self
    }

    /// Asserts that `stream` (`stdout` or `stderr`) contains `text`, or lacks it.
    fn contains(&self, stream: &str, text: &str, wanted: bool) -> &Output {
        let haystack = if stream == "stdout" {
            &self.stdout
        } else {
            &self.stderr
        };
        let verb = if wanted { "lacks" } else { "has" };
        assert_eq!(
            haystack.contains(text),
            wanted,
            "{stream} {verb} {text:?}\n{}",
            self.show()
        );
        self
    }

    pub fn stdout_has(&self, text: &str) -> &Output {
        self.contains("stdout", text, true)
    }

    pub fn stdout_lacks(&self, text: &str) -> &Output {
        self.contains("stdout", text, false)
    }

    pub fn stderr_has(&self, text: &str) -> &Output {
        self.contains("stderr", text, true)
    }

    pub fn stderr_lacks(&self, text: &str) -> &Output {
        self.contains("stderr", text, false)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{}", self.show()))
    }

    /// Every line of every `journal.jsonl` under the temp dir, parsed.
    pub fn journal_lines(&self) -> Vec<serde_json::Value> {
        journal_lines(self.dir.path())
    }

    /// Every file under `dir`, relative, sorted (to prove nothing was written).
    pub fn files_under(&self, dir: &Path) -> Vec<String> {
        let pattern = format!("{}/**/*", dir.display());
        let mut out: Vec<String> = glob::glob(&pattern)
            .expect("glob")
            .flatten()
            .filter(|p| p.is_file())
            .map(|p| {
                p.strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string()
            })
            .collect();
        out.sort();
        out
    }
}

/// Every line of every `journal.jsonl` under `dir`, parsed.
pub fn journal_lines(dir: &Path) -> Vec<serde_json::Value> {
    let pattern = format!("{}/**/journal.jsonl", dir.display());
    let mut lines = Vec::new();
    for path in glob::glob(&pattern).expect("glob").flatten() {
        for line in std::fs::read_to_string(path).expect("read journal").lines() {
            lines.push(serde_json::from_str(line).expect("journal line is JSON"));
        }
    }
    lines
}

/// `list[i][key]` for each element of the JSON array `list`; panics unless each is a string.
pub fn each_str(list: &serde_json::Value, key: &str) -> Vec<String> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    items
        .iter()
        .map(|item| match item[key].as_str() {
            Some(s) => s.to_string(),
            None => panic!("no string `{key}` in {item}"),
        })
        .collect()
}

/// `item[field]` of each item whose `key` is `value`, where it is a string.
pub fn fields_where(
    items: Vec<serde_json::Value>,
    (key, value): (&str, &str),
    field: &str,
) -> Vec<String> {
    items
        .into_iter()
        .filter(|item| item[key] == value)
        .filter_map(|item| item[field].as_str().map(str::to_string))
        .collect()
}

/// `item[a]` and `item[b]` as `A B` (a missing one empty).
pub fn two_fields(item: &serde_json::Value, a: &str, b: &str) -> String {
    let field = |key: &str| item[key].as_str().unwrap_or("").to_string();
    format!("{} {}", field(a), field(b))
}
