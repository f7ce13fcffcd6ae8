//! The `juju` CLI shim (`runbook sim juju ...`, run by the generated wrapper): sends argv to
//! the simulator, relays a prompt to the operator when Juju would ask one, prints stdout and
//! stderr exactly, and for a blocking `destroy-model` prints Juju's progress until the model
//! is gone. All state and all logging live in the server.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::juju_commands::{JujuReply, JujuRequest};
use super::server::SIM_URL_ENV;

/// Juju waits for a model without a limit; the shim gives up after this so a forgotten
/// process cannot outlive a test run.
const MAX_WAIT: Duration = Duration::from_secs(600);
/// How often the wait looks at the signal flag.
const POLL: Duration = Duration::from_millis(20);
/// Juju's longest pause between two looks at a dying model.
const MAX_POLL: Duration = Duration::from_secs(2);

/// Runs one juju command against the simulator named by `RUNBOOK_SIM_URL`; returns the exit code.
pub fn run(argv: Vec<String>) -> anyhow::Result<i32> {
    let base = std::env::var(SIM_URL_ENV)
        .with_context(|| format!("`{SIM_URL_ENV}` is not set; run the `juju` wrapper printed by `runbook sim serve` (JUJU_BIN) instead of `runbook sim juju`"))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client for the simulator")?;
    let mut request = JujuRequest {
        argv,
        asked: false,
        answer: None,
    };
    let mut reply = send(&client, &base, &request)?;
    if let Some(prompt) = reply.prompt.take() {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line).unwrap_or(0);
        if read == 0 {
            eprintln!();
        }
        request.asked = true;
        request.answer = (read > 0).then(|| line.trim_end().to_string());
        reply = send(&client, &base, &request)?;
    }
    print!("{}", reply.stdout);
    eprint!("{}", reply.stderr);
    let _ = std::io::stdout().flush();
    if let Some(uuid) = &reply.wait_for_model {
        return wait_for_model(&client, &base, uuid);
    }
    Ok(reply.code)
}

fn send(
    client: &reqwest::blocking::Client,
    base: &str,
    request: &JujuRequest,
) -> anyhow::Result<JujuReply> {
    let url = format!("{base}/_sim/juju");
    let response = client
        .post(&url)
        .json(request)
        .send()
        .with_context(|| format!("cannot reach the simulator: POST {url}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().unwrap_or_default();
        bail!("the simulator refused the juju command: POST {url} -> {status}: {body}");
    }
    response
        .json()
        .with_context(|| format!("the simulator's answer to POST {url} is not a juju reply"))
}

/// Juju's wait (both majors, `--no-wait` or not): `Waiting for model to be removed, N
/// machine(s), N application(s), N volume(s)...` on a new line when the counts change, a dot
/// per poll otherwise (polls back off from 10 ms to 2 s, as Juju's), then `Model destroyed.`.
/// On SIGINT (or SIGTERM) it says the destroy goes on in the background, lists what is left,
/// and exits non-zero; the model keeps dying in the simulator.
fn wait_for_model(
    client: &reqwest::blocking::Client,
    base: &str,
    uuid: &str,
) -> anyhow::Result<i32> {
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted))
            .context("cannot watch for Ctrl-C while waiting for the model")?;
    }
    let url = format!("{base}/_sim/model?uuid={uuid}");
    let started = Instant::now();
    let mut line = ProgressLine::default();
    let mut left = String::new();
    let mut interval = Duration::from_millis(10);
    let mut stderr = std::io::stderr();
    while started.elapsed() < MAX_WAIT {
        if wait_interrupted(&interrupted, interval) {
            let _ = writeln!(
                stderr,
                "\n\ndestroy model is still running in the background...{left}"
            );
            return Ok(1);
        }
        interval = (interval * 2).min(MAX_POLL);
        let progress: serde_json::Value = client
            .get(&url)
            .send()
            .and_then(|r| r.json())
            .with_context(|| {
                format!("lost the simulator while waiting for the model: GET {url}")
            })?;
        if progress["gone"] == true {
            let _ = writeln!(stderr, "\nModel destroyed.");
            return Ok(0);
        }
        let count = |k: &str| progress[k].as_u64().unwrap_or(0);
        let counts = [
            (count("machines"), "machine"),
            (count("applications"), "application"),
            (count("volumes"), "volume"),
        ];
        let mut msg = String::from("Waiting for model to be removed");
        left = String::from("\nThe following resources have not yet been removed:");
        for (n, what) in counts.iter().filter(|(n, _)| *n > 0) {
            msg.push_str(&format!(", {n} {what}(s)"));
            left.push_str(&format!("\n - {n} {what}(s)"));
        }
        if counts.iter().all(|(n, _)| *n == 0) {
            left.clear();
        }
        let _ = write!(stderr, "{}", line.report(&msg));
        let _ = stderr.flush();
    }
    bail!(
        "gave up waiting for the model to be removed after {}s (the simulator's limit)",
        MAX_WAIT.as_secs()
    )
}

/// Juju's progress text while it waits: a new line when the counts change, else a dot, and
/// a line break once a line of dots reaches 80 columns (Juju's `perLineLength`).
#[derive(Default)]
struct ProgressLine {
    reported: String,
    length: usize,
}

impl ProgressLine {
    const WIDTH: usize = 80;

    /// What to print for this look at the model, whose counts read `msg`.
    fn report(&mut self, msg: &str) -> String {
        if self.reported != msg {
            self.reported = msg.to_string();
            self.length = msg.len() + 3;
            return format!("\n{msg}...");
        }
        let mut out = String::new();
        if self.length == Self::WIDTH {
            out.push('\n');
            self.length = 0;
        }
        out.push('.');
        self.length += 1;
        out
    }
}

/// Sleeps `interval` in short steps; true as soon as a signal came.
fn wait_interrupted(flag: &AtomicBool, interval: Duration) -> bool {
    let until = Instant::now() + interval;
    while Instant::now() < until {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
    flag.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_wrap_at_80_columns_and_new_counts_start_a_line() {
        let mut line = ProgressLine::default();
        let msg = "Waiting for model to be removed, 5 machine(s)";
        let mut out = line.report(msg);
        for _ in 0..120 {
            out.push_str(&line.report(msg));
        }
        out.push_str(&line.report("Waiting for model to be removed, 1 machine(s)"));
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(lines[0], "");
        assert!(
            lines[1].starts_with(msg) && lines[1].ends_with("..."),
            "{out}"
        );
        assert_eq!(lines[1].len(), 80);
        assert_eq!(lines[2], ".".repeat(80));
        let first = 80 - (msg.len() + 3);
        assert_eq!(lines[3], ".".repeat(120 - first - 80));
        assert_eq!(lines[4], "Waiting for model to be removed, 1 machine(s)...");
    }
}
