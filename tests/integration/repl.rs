//! `runbook repl` driven through a pseudo-terminal, as an operator at a keyboard would:
//! entries and their values, multi-line input, Tab completion, `:` commands, Ctrl-C,
//! history, `:save` → `runbook check`, and errors that say what to do.

use std::time::{Duration, Instant};

use expectrl::Session;

use crate::common::Test;
use crate::sim_server::SimServer;

/// How long any one expected piece of output may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A REPL on a pseudo-terminal. `screen` is everything it printed, with terminal escape
/// sequences and carriage returns removed; `seen` is how far the test has read.
struct Repl {
    session: Session,
    /// The test's root dir, which `says` shows as `<root>`.
    root: String,
    screen: String,
    raw: Vec<u8>,
    seen: usize,
    eof: bool,
}

/// Marks where the line editor starts reading a new entry: it switches bracketed paste
/// on (`ESC [?2004h`) right before drawing a fresh prompt, never for a redraw while typing.
const FRESH: char = '\u{2}';

/// Remove ANSI escape sequences (CSI, OSC, two-byte) and `\r`; bracketed paste on
/// becomes [`FRESH`].
fn strip(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    let mut sequence = String::new();
                    for c in chars.by_ref() {
                        sequence.push(c);
                        if ('\x40'..='\x7e').contains(&c) {
                            break;
                        }
                    }
                    if sequence == "?2004h" {
                        out.push(FRESH);
                    }
                }
                Some(']') => {
                    for c in chars.by_ref() {
                        if c == '\x07' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The end of the first fresh prompt (`SITE (read-only)> ` or `SITE (ARMED)> ` right
/// after [`FRESH`]) in `text`, if any.
fn prompt_end(text: &str) -> Option<usize> {
    text.match_indices(FRESH).find_map(|(i, _)| {
        let rest = &text[i + FRESH.len_utf8()..];
        let (site, after) = rest.split_once(" (")?;
        let valid_site = !site.is_empty()
            && site
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let mode = ["read-only)> ", "ARMED)> "]
            .into_iter()
            .find(|m| after.starts_with(m))?;
        valid_site.then(|| text.len() - after.len() + mode.len())
    })
}

impl Repl {
    /// Start `runbook repl` from `test` (its root, pinned environment) and wait for the prompt.
    fn start(test: &Test) -> Repl {
        let mut session = Session::spawn(test.command()).expect("spawn runbook repl on a pty");
        session
            .get_process_mut()
            .set_window_size(200, 50)
            .expect("set the pty size");
        let mut repl = Repl {
            session,
            root: test.root().display().to_string(),
            screen: String::new(),
            raw: Vec::new(),
            seen: 0,
            eof: false,
        };
        repl.prompt();
        repl
    }

    /// Read what the REPL printed so far; false once it exited.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        loop {
            match self.session.try_read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.eof = true;
                    break;
                }
            }
        }
        self.screen = strip(&String::from_utf8_lossy(&self.raw));
        !self.eof
    }

    /// Wait until `find` locates something in the unread screen; returns the unread text
    /// up to the end of the match and marks it read.
    fn wait(&mut self, what: &str, find: impl Fn(&str) -> Option<usize>) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let alive = self.pump();
            let unread = &self.screen[self.seen..];
            if let Some(end) = find(unread) {
                let text = unread[..end].to_string();
                self.seen += end;
                return text;
            }
            if !alive || Instant::now() > deadline {
                panic!(
                    "the REPL did not show {what} ({})\n--- unread screen:\n{unread}\n--- whole screen:\n{}",
                    if alive { "timed out" } else { "it exited" },
                    self.screen
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Wait for `text`; returns the unread screen up to and including it.
    fn expect(&mut self, text: &str) -> String {
        self.wait(&format!("{text:?}"), |s| {
            s.find(text).map(|i| i + text.len())
        })
    }

    /// Wait for the next fresh prompt; returns what came before it.
    fn prompt(&mut self) -> String {
        self.wait("a fresh prompt", prompt_end)
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("write to the pty");
    }

    /// Type `entry`, press Enter, and return everything printed until the next prompt.
    fn run(&mut self, entry: &str) -> String {
        self.session.send_line(entry).expect("write to the pty");
        self.prompt()
    }

    /// Type `entry`, press Enter: what it printed before the next prompt is exactly
    /// `printed` (the echo of the entry's own line left out, the test's root as `<root>`).
    fn says(&mut self, entry: &str, printed: &str) {
        let shown = self.printed(entry);
        assert_eq!(shown, printed, "after {entry:?}\n{}", self.screen);
    }

    /// Type `entry`, press Enter: what it printed before the next prompt (the echo of the
    /// entry's own line left out, the test's root as `<root>`).
    fn printed(&mut self, entry: &str) -> String {
        let out = self.run(entry);
        let after_echo = out.split_once('\n').map_or("", |(_, rest)| rest);
        let before_prompt = after_echo.rsplit_once(FRESH).map_or(after_echo, |(b, _)| b);
        before_prompt.replace(&self.root, "<root>")
    }

    /// Ctrl-D at the prompt; the REPL must end with status 0.
    fn quit(mut self) {
        self.send("\x04");
        let deadline = Instant::now() + TIMEOUT;
        while self.pump() {
            assert!(Instant::now() < deadline, "the REPL did not exit on Ctrl-D");
            std::thread::sleep(Duration::from_millis(10));
        }
        let status = self
            .session
            .get_process()
            .wait()
            .expect("wait for the REPL");
        assert_eq!(
            format!("{status:?}"),
            format!("Exited(Pid({}), 0)", self.session.get_process().pid()),
            "{}",
            self.screen
        );
    }
}

fn repl_test() -> Test {
    Test::new().args(&["repl"])
}

#[test]
fn a_count_a_multiline_function_and_session_scope() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    assert!(
        repl.screen.contains("read-only until `:arm`"),
        "{}",
        repl.screen
    );
    repl.run("let xs = [3, 1, 2];");
    repl.says("xs.len()", "3\n");
    // An open brace continues the entry on the next line instead of failing.
    repl.send("fn double(x) {\r");
    repl.expect("fn double(x) {\n");
    repl.send("  x * 2\r");
    repl.send("}\r");
    repl.prompt();
    repl.says("double(xs.len() * 7)", "42\n");
    // The first line is the site, cut to the terminal's width.
    let scope = repl.printed(":scope");
    let (_site, rest) = scope.split_once('\n').expect("more than the site");
    assert_eq!(
        rest,
        "const dry_run: bool = true\nxs: array = [3,1,2]\nfn double(x)\n"
    );
    let out = repl.run(":help");
    assert!(out.contains(":save FILE"), "{out}");
    assert!(out.contains(":arm"), "{out}");
    repl.says(":plan", "nothing planned in this session\n");
    repl.quit();
}

#[test]
fn entries_from_a_pipe_run_without_a_terminal() {
    Test::new()
        .args(&["repl"])
        .stdin("let xs = [1, 2, 3];\nfn sum(a) {\n  a.reduce(|s, x| s + x, 0)\n}\nsum(xs)\n:quit\n")
        .run()
        .status(0)
        .stdout_is("6\n")
        .stderr_has("read-only until `:arm`");
}

/// `:arm` from a pipe is refused, like every other typed confirmation: the site name on the
/// next line is just an entry, and the session stays read-only.
#[test]
fn arm_from_a_pipe_is_refused() {
    Test::new()
        .args(&["repl"])
        .stdin(":arm\ndemo\n:quit\n")
        .run()
        .stderr_has("error: not armed: arming needs the site name typed at a terminal, and the REPL's input is not one; the session stays read-only")
        .stderr_lacks("ARMED");
}

#[test]
fn json_flag_is_refused_with_a_pointer_to_eval() {
    Test::new()
        .args(&["--json", "repl"])
        .run()
        .status(2)
        .stderr_has("error: `--json` does not apply to `runbook repl`");
}

#[test]
fn arrays_of_maps_print_as_aligned_tables() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.says(
        r#"[#{name: "a", size: 1}, #{name: "bbb", size: 22}]"#,
        "name  size\n----  ----\na     1\nbbb   22\n(2 rows)\n",
    );
    let out = repl.run(r#"#{b: [1, 2], a: "x"}"#);
    assert!(
        out.contains("{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ]\n}\n"),
        "{out}"
    );
    repl.quit();
}

#[test]
fn tab_completes_commands_site_keys_and_session_names() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.send(":do\t");
    repl.expect(":doc");
    repl.says(" glob", "glob(pattern: String) -> Array    [read]\n    Sorted paths matching a glob pattern (`~/` expands to the home dir). An invalid\n    pattern is an error; no match is an empty array.\n    \n    ```rhai\n    let disks = glob(site.osd_disks);\n    ```\n");

    repl.send("site.ma\t");
    repl.expect("site.maas");
    let out = repl.run(".concurrency");
    assert!(out.starts_with(".concurrency\n"), "{out}");
    assert!(!out.contains("error"), "{out}");

    repl.run("let machine_count = 5;");
    repl.send("machine_c\t");
    repl.expect("machine_count");
    repl.says(" + 1", "6\n");
    repl.quit();
}

#[test]
fn load_runs_a_runbook_and_imports_last_across_entries_and_complete() {
    let test = repl_test()
        .file(
            "runbooks/hello.rhai",
            "let greeting = \"hi\";\nfn shout(s) { s + \"!\" }\n",
        )
        .file("stdlib/words.rhai", "fn twice(s) { s + s }\n");
    let mut repl = Repl::start(&test);
    repl.run(":load hello");
    repl.says("shout(greeting)", "hi!\n");
    repl.run(r#"import "words" as words;"#);
    // Tab completes the functions of a module the session imported.
    repl.send("words::tw\t");
    repl.expect("words::twice(");
    repl.says("greeting)", "hihi\n");
    repl.quit();
}

#[test]
fn save_writes_a_draft_that_runbook_check_accepts() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.run("let n = 2;");
    repl.send("fn twice(x) {\r");
    repl.send("  x * 2\r");
    repl.send("}\r");
    repl.prompt();
    repl.run("let m = twice(n)");
    repl.says("no_such_function(m)", "error: Function not found: no_such_function (i64)\n  --> <repl:4>:1:1\n  |\n1 | no_such_function(m)\n  | ^\n");
    let out = repl.run(":save runbooks/draft.rhai");
    assert!(
        out.contains("saved 3 entries to `runbooks/draft.rhai`"),
        "{out}"
    );
    assert!(!out.contains("warning"), "{out}");
    repl.says(":save runbooks/draft.rhai", "error: `runbooks/draft.rhai` already exists; not overwriting it\nhint: save under another name, or remove it first\n");
    // An entry that leaned on a failed one: the draft is saved, with a warning.
    repl.run(r#"let q = 1; throw "stop here";"#);
    repl.run("q + 1");
    let out = repl.run(":save drafts/leaning.rhai");
    assert!(out.contains("saved 4 entries"), "{out}");
    assert!(
        out.contains("warning: the draft does not compile yet; edit it before running it"),
        "{out}"
    );
    assert!(out.contains("drafts/leaning.rhai:"), "{out}");
    repl.quit();

    let draft = std::fs::read_to_string(test.root().join("runbooks/draft.rhai")).unwrap();
    assert!(draft.contains("let m = twice(n);\n"), "{draft}");
    assert!(!draft.contains("no_such_function"), "{draft}");
    Test::new()
        .cwd(&test.root())
        .args(&["check"])
        .run()
        .status(0)
        .stderr_has("runbooks/draft.rhai")
        .stderr_has("ok: ");
}

#[test]
fn save_warns_as_check_would_about_functions_only_a_load_defined() {
    let test = repl_test().file("runbooks/helpers.rhai", "fn shout(s) { s + \"!\" }\n");
    let mut repl = Repl::start(&test);
    repl.run(":load helpers");
    repl.says(r#"shout("hi")"#, "hi!\n");
    let out = repl.run(":save drafts/loaded.rhai");
    assert!(
        out.contains("check it with `runbook check drafts/loaded.rhai`"),
        "{out}"
    );
    assert!(
        out.contains("warning: the draft does not compile yet; edit it before running it"),
        "{out}"
    );
    assert!(
        out.contains("error: call to undefined function `shout`\n  --> drafts/loaded.rhai:"),
        "{out}"
    );
    repl.quit();
    Test::new()
        .cwd(&test.root())
        .args(&["check", "drafts/loaded.rhai"])
        .run()
        .status(2)
        .stderr_has("error: call to undefined function `shout`");
}

#[test]
fn bad_input_gets_clear_errors() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    let out = repl.run(":frobnicate");
    assert!(
        out.contains("error: unknown command `:frobnicate`"),
        "{out}"
    );
    assert!(out.contains("hint: `:help` lists the commands"), "{out}");
    repl.says(
        ":doc no_such_primitive",
        "error: no primitive `no_such_primitive`\nhint: `runbook doc` lists every primitive\n",
    );
    repl.says(":load no_such_runbook", "error: no runbook `no_such_runbook` for site `demo` (looked in `sites/demo/no_such_runbook.rhai`, `runbooks/no_such_runbook.rhai` under `<root>` and the built-in copies)\nhint: available runbooks: accept, destroy-model, remediate, teardown, verify, wipe-osd\n");
    let out = repl.run(":site nowhere");
    assert!(out.contains("error: still on site `demo`"), "{out}");
    assert!(out.contains("no site `nowhere`"), "{out}");
    repl.says(
        ":save",
        "error: `:save` needs FILE, e.g. `:save draft.rhai`\n",
    );
    repl.says(
        ":plan now",
        "error: `:plan` takes no argument (got `now`)\n",
    );
    // Script errors point into the line typed.
    let out = repl.run("let x = 1;");
    assert_eq!(out.matches("error").count(), 0, "{out}");
    let out = repl.run("x + y");
    assert!(out.contains("error: "), "{out}");
    assert!(out.contains("--> <repl:2>:1:5"), "{out}");
    assert!(out.contains("1 | x + y\n  |     ^"), "{out}");
    repl.quit();
}

#[test]
fn ctrl_c_stops_an_entry_or_clears_the_line_and_the_session_goes_on() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.run("let spins = 0;");
    // The entry says when it runs; only then is Ctrl-C an interrupt of it.
    repl.send("print(\"spinning\"); loop { spins += 1; }\r");
    repl.expect("\nspinning\n");
    repl.send("\x03");
    let out = repl.prompt();
    assert!(out.contains("interrupted (Ctrl-C)"), "{out}");
    repl.says("spins > 0", "true\n");
    // A second interrupted entry works the same (the flag was cleared).
    repl.send("print(\"again\"); loop { spins += 1; }\r");
    repl.expect("\nagain\n");
    repl.send("\x03");
    assert!(repl.prompt().contains("interrupted (Ctrl-C)"));
    // Ctrl-C on an unfinished line throws it away.
    repl.send("if true {\r");
    repl.send("\x03");
    repl.prompt();
    repl.says("1 + 1", "2\n");
    repl.quit();
}

#[test]
fn history_persists_in_the_state_dir_and_a_failed_save_only_warns() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.run("40 + 2");
    repl.quit();
    let history = test.root().join("../state/runbook/repl_history");
    let text = std::fs::read_to_string(&history).expect("history file");
    assert!(text.contains("40 + 2"), "{text}");
    let mut repl = Repl::start(&test);
    repl.says(":history", "    1  40 + 2\n    2  :history\n");
    repl.quit();

    // A state dir that cannot be created: a warning, and the REPL works on.
    let blocked = repl_test();
    let file = blocked.root().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let blocked = blocked.env("XDG_STATE_HOME", file.to_str().unwrap());
    let mut repl = Repl::start(&blocked);
    let out = repl.run("1 + 1");
    assert!(
        out.contains("warning: cannot save the REPL history"),
        "{out}"
    );
    assert!(out.contains("\n2\n"), "{out}");
    let out = repl.run("2 + 2");
    assert!(!out.contains("warning"), "warned once: {out}");
    repl.quit();
}

#[test]
fn arm_asks_for_the_site_name_and_disarm_goes_back() {
    let test = repl_test();
    let mut repl = Repl::start(&test);
    repl.send(":arm\r");
    let shown = repl.expect("type the site name to arm this session [demo]: ");
    assert!(shown.contains("site:            demo"), "{shown}");
    assert!(shown.contains("MAAS:"), "{shown}");
    assert!(shown.contains("Juju controller:"), "{shown}");
    repl.says(
        "yes",
        "error: not armed: typed `yes`, expected `demo`; the session stays read-only\n",
    );
    repl.says("dry_run", "true\n");

    repl.send(":arm\r");
    repl.expect("[demo]: ");
    repl.says(
        "demo",
        "ARMED: state-changing calls now run against site `demo`; `:disarm` to go back\n",
    );
    assert!(repl.screen[repl.seen - 20..].contains("demo (ARMED)> "));
    repl.says("dry_run", "false\n");
    repl.run(":disarm");
    assert!(repl.screen[repl.seen - 20..].contains("demo (read-only)> "));
    repl.quit();
}

/// An armed session holds the site's lock: a second session (same state dir) is not armed,
/// told which one holds it, until the first disarms.
#[test]
fn a_second_session_cannot_arm_while_another_is_armed() {
    let test = repl_test();
    let mut first = Repl::start(&test);
    first.send(":arm\r");
    first.expect("[demo]: ");
    first.says(
        "demo",
        "ARMED: state-changing calls now run against site `demo`; `:disarm` to go back\n",
    );
    let mut second = Repl::start(&test);
    let out = second.run(":arm");
    for said in [
        "error: not armed: refused: run ",
        "-repl-",
        "`runbook repl, armed`",
        "is already changing site `demo`; one run at a time may change a site",
    ] {
        assert!(out.contains(said), "`{said}` not in\n{out}");
    }
    second.says("dry_run", "true\n");
    first.run(":disarm");
    second.send(":arm\r");
    second.expect("type the site name to arm this session [demo]: ");
    second.says(
        "demo",
        "ARMED: state-changing calls now run against site `demo`; `:disarm` to go back\n",
    );
    first.quit();
    second.quit();
}

// ---- Against the simulated cloud (`runbook sim serve`) ----

const LAB_SITE: &str = r#"#{
    name: "lab",
    models: ["openstack"],
    targets: ["openstack0", "openstack1", "openstack2", "openstack3", "capi-mgmt"],
}"#;

/// A REPL on site `lab` pointed at `sim` through the environment, as an operator would.
fn lab(sim: &SimServer) -> Test {
    let mut test = repl_test()
        .file("sites/lab/site.rhai", LAB_SITE)
        .args(&["--site", "lab"]);
    test = test.envs(sim.env());
    test
}

fn releases(sim: &SimServer) -> Vec<serde_json::Value> {
    sim.log()
        .into_iter()
        .filter(|e| e["request"].as_str().unwrap_or("").contains("op=release"))
        .collect()
}

/// `maas_machines()` of scenario `dirty` as the REPL shows it.
const MACHINES_TABLE: &str = "hostname           system_id  status    owner  power  locked
-----------------  ---------  --------  -----  -----  ------
juju-controller-0  hk84nd     Deployed  admin  on     false
openstack0         jnn7x2     Deployed  admin  on     false
openstack1         kq495n     Deployed  admin  on     false
openstack2         mshcdb     Deployed  admin  on     false
openstack3         nw0em0     Deployed  admin  on     false
capi-mgmt          pydhwk     Deployed  admin  on     false
alice-build0       q1tk48     Deployed  alice  on     false
alice-build1       r39nbx     Deployed  alice  on     false
alice-db0          s5prjh     Deployed  alice  on     false
(9 rows)
";

#[test]
fn simulator_machines_as_a_count_and_a_table() {
    let sim = SimServer::start("dirty");
    let test = lab(&sim);
    let mut repl = Repl::start(&test);
    repl.says("maas_machines().len()", "9\n");
    repl.says("maas_machines()", MACHINES_TABLE);

    // Tab completes a primitive's name; the hint line does not get in the way.
    repl.send("maas_who\t");
    repl.expect("maas_whoami(");
    repl.says(")", "admin\n");
    repl.quit();
    assert!(!sim.changed());
}

#[test]
fn unarmed_release_is_planned_shown_and_changes_nothing() {
    let sim = SimServer::start("dirty");
    let test = lab(&sim);
    let mut repl = Repl::start(&test);
    // Nothing is frozen yet: the gate refuses, saying to detect first.
    repl.says(
        r#"release(maas_machines(["openstack0"])[0].system_id)"#,
        "error: refused by guard `release.frozen`: nothing was frozen by a state detection in this run; run the detection first (`state::detect(run)`, which calls `detect_cloud()`)\n  --> <repl:1>:1:1\n  |\n1 | release(maas_machines([\"openstack0\"])[0].system_id)\n  | ^\n",
    );
    repl.run("detect_cloud();");
    repl.run(r#"let m = maas_machines(["openstack0"])[0];"#);
    let id = sim.system_id("openstack0");
    let out = repl.run("release(m.system_id)");
    assert!(
        out.contains(&format!("plan  POST machines/{id}/?op=release")),
        "{out}"
    );
    assert!(out.contains("\"planned\": true"), "{out}");
    assert!(
        out.contains("read-only: 1 state-changing call was planned, not executed"),
        "{out}"
    );
    // The plan names the machine, the run (its id varies) and the MAAS it goes to.
    let plan = repl.printed(":plan");
    let head = format!("\ndry-run plan (1 effect; nothing was changed):\n  1. [destroy] POST machines/{id}/?op=release comment=\"runbook run ");
    let tail = format!("\" erase=false (MAAS {}/api/2.0/)\n", sim.maas_url);
    assert!(plan.starts_with(&head) && plan.ends_with(&tail), "{plan}");
    // Guards hold unarmed too: a machine outside `site.targets` is refused, not planned.
    repl.says(r#"release(maas_machines(["alice-db0"])[0].system_id)"#, "error: refused by guard `release.frozen`: machine `s5prjh` (alice-db0) is not one of the targets frozen by the detection (jnn7x2 openstack0, kq495n openstack1, mshcdb openstack2, nw0em0 openstack3, pydhwk capi-mgmt)\n  --> <repl:5>:1:1\n  |\n1 | release(maas_machines([\"alice-db0\"])[0].system_id)\n  | ^\n");
    // ...and the session goes on.
    repl.says("1 + 1", "2\n");
    repl.quit();

    assert!(releases(&sim).is_empty(), "{:?}", sim.log());
    assert!(!sim.changed(), "{:?}", sim.log());
    assert_eq!(sim.machine("openstack0")["status_name"], "Deployed");
}

#[test]
fn armed_release_asks_and_then_releases() {
    let sim = SimServer::start("dirty");
    let test = lab(&sim);
    let mut repl = Repl::start(&test);
    repl.run("detect_cloud();");
    repl.run(r#"let m = maas_machines(["openstack0"])[0];"#);

    repl.send(":arm\r");
    let shown = repl.expect("type the site name to arm this session [lab]: ");
    assert!(shown.contains("site:            lab"), "{shown}");
    assert!(
        shown.contains(&format!("MAAS:            {}", sim.maas_url)),
        "{shown}"
    );
    assert!(
        shown.contains("Juju controller: maas-controller"),
        "{shown}"
    );
    repl.says(
        "lab",
        "ARMED: state-changing calls now run against site `lab`; `:disarm` to go back\n",
    );

    // The gate still asks for the destructive call itself.
    repl.send("release(m.system_id)\r");
    repl.expect("[openstack0]: ");
    let out = repl.run("openstack0");
    assert!(out.contains("\"result\": \"released\""), "{out}");
    assert!(!out.contains("planned, not executed"), "{out}");
    repl.quit();

    let released = releases(&sim);
    assert_eq!(released.len(), 1, "{:?}", sim.log());
    assert_eq!(released[0]["changed"], true);
    assert!(released[0]["request"]
        .as_str()
        .unwrap()
        .contains(sim.machine("openstack0")["system_id"].as_str().unwrap()));
    // The executed effect is on record in the session's journal.
    let pattern = format!(
        "{}/**/journal.jsonl",
        test.root().join("../state").display()
    );
    let journals: Vec<_> = glob::glob(&pattern).unwrap().flatten().collect();
    assert_eq!(journals.len(), 1, "{pattern}");
    let journal = std::fs::read_to_string(&journals[0]).unwrap();
    assert!(
        journal.contains("\"effect\":\"release\"") && journal.contains("\"outcome\":\"executed\""),
        "{journal}"
    );
    assert!(
        !journal.contains(&sim.api_key),
        "the API key never reaches the journal"
    );
}
