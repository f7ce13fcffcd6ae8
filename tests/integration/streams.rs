//! Unix streams and colour: the transcript on stdout (so `| tee` keeps it), diagnostics and
//! progress on stderr, only the JSON document on stdout with `--json`; colour only on a
//! terminal, off with `NO_COLOR`, `--color never` or a pipe.

use std::time::Duration;

use crate::common::Test;

const RUNBOOK: &str = "step(\"first\");\nok(\"fine\");\nwarn(\"careful\");\ndebug(\"for the operator\");\nlet n = 0;\nwait_until(\"n to reach 2\", 5, 0.01, || { n += 1; n >= 2 });\ncheck(\"one\", true, \"1/1\");\n";

fn run(args: &[&str]) -> crate::common::Output {
    Test::script(RUNBOOK).args(args).run()
}

#[test]
fn transcript_on_stdout_diagnostics_and_progress_on_stderr() {
    let out = run(&[]);
    out.status(0)
        .stdout_has("runbook run `r`")
        .stdout_has("==> first\n")
        .stdout_has("  ok   fine\n")
        .stdout_has("  warn careful\n")
        .stdout_has("verdict: GO\n")
        .stderr_has("debug: ")
        .stderr_has("for the operator")
        .stderr_has("wait  [0s] n to reach 2")
        .stderr_lacks("==> first")
        .stderr_lacks("verdict");
    assert!(!out.stdout.contains("for the operator"), "{}", out.stdout);
    assert!(!out.stdout.contains('\u{1b}'), "no colour into a pipe");
}

#[test]
fn json_keeps_stdout_for_the_document() {
    let out = run(&["--json"]);
    let doc = out.status(0).json();
    assert_eq!(doc["verdict"], "go");
    out.stderr_has("==> first").stderr_has("verdict: GO");
}

#[test]
fn errors_go_to_stderr() {
    let out = Test::script("step(\"a\");\nthrow \"boom\";").run();
    out.status(2).stdout_has("==> a").stderr_has("error: ");
    assert!(!out.stdout.contains("boom"), "{}", out.stdout);
}

#[test]
fn color_always_paints_even_into_a_pipe_and_a_bad_choice_is_refused() {
    let out = run(&["--color", "always"]);
    out.status(0)
        .stdout_has("\u{1b}[1m==> first\u{1b}[0m")
        .stdout_has("\u{1b}[32m  ok  \u{1b}[0m fine")
        .stdout_has("verdict: \u{1b}[1m\u{1b}[32mGO\u{1b}[0m");
    let bad = Test::new()
        .args(&["run", "r", "--color", "sometimes"])
        .run();
    bad.status(2).stderr_has("invalid value 'sometimes'");
}

/// The transcript as a terminal shows it, with `env` added.
fn on_a_terminal(env: &[(&str, &str)], args: &[&str]) -> String {
    let mut t = Test::script("step(\"first\");\nok(\"fine\");")
        .args(args)
        .env("TERM", "xterm");
    for (k, v) in env {
        t = t.env(k, v);
    }
    let mut session = expectrl::Session::spawn(t.command()).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    let out = session.expect(expectrl::Eof).expect("end of output");
    // At end of file, everything read is the match.
    let mut text = String::from_utf8_lossy(out.before()).into_owned();
    for m in out.matches() {
        text.push_str(&String::from_utf8_lossy(m));
    }
    text
}

#[test]
fn colour_on_a_terminal_unless_no_color_or_never() {
    let coloured = on_a_terminal(&[], &[]);
    assert!(coloured.contains("\u{1b}[1m==> first"), "{coloured:?}");
    let plain = on_a_terminal(&[("NO_COLOR", "1")], &[]);
    assert!(plain.contains("==> first"), "{plain:?}");
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let never = on_a_terminal(&[], &["--color", "never"]);
    assert!(never.contains("==> first"), "{never:?}");
    assert!(!never.contains('\u{1b}'), "{never:?}");
}
