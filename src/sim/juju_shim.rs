//! The `juju` CLI shim (`runbook sim juju ...`, run by the generated wrapper): sends argv to
//! the simulator, relays a prompt to the operator when Juju would ask one, prints stdout and
//! stderr exactly, and for a blocking `destroy-model` prints Juju's progress until the model
//! is gone. All state and all logging live in the server.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::juju_commands::{JujuReply, JujuRequest};
use super::server::SIM_URL_ENV;

/// Juju waits for a model without a limit; the shim gives up after this so a forgotten
/// process cannot outlive a test run.
const MAX_WAIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(100);

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
        wait_for_model(&client, &base, uuid)?;
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

/// Juju's wait: `Waiting for model to be removed, N machine(s), N application(s)...`,
/// a dot per second, a new line when the counts change, then `Model destroyed.`.
fn wait_for_model(
    client: &reqwest::blocking::Client,
    base: &str,
    uuid: &str,
) -> anyhow::Result<()> {
    let url = format!("{base}/_sim/model?uuid={uuid}");
    let started = Instant::now();
    let mut last: Option<(u64, u64)> = None;
    let mut last_dot = Instant::now();
    let mut stderr = std::io::stderr();
    while started.elapsed() < MAX_WAIT {
        let progress: serde_json::Value = client
            .get(&url)
            .send()
            .and_then(|r| r.json())
            .with_context(|| {
                format!("lost the simulator while waiting for the model: GET {url}")
            })?;
        if progress["gone"] == true {
            if last.is_some() {
                let _ = writeln!(stderr);
            }
            let _ = writeln!(stderr, "Model destroyed.");
            return Ok(());
        }
        let counts = (
            progress["machines"].as_u64().unwrap_or(0),
            progress["applications"].as_u64().unwrap_or(0),
        );
        if last != Some(counts) {
            if last.is_some() {
                let _ = writeln!(stderr);
            }
            let mut line = String::from("Waiting for model to be removed");
            if counts.0 > 0 {
                line.push_str(&format!(", {} machine(s)", counts.0));
            }
            if counts.1 > 0 {
                line.push_str(&format!(", {} application(s)", counts.1));
            }
            let _ = write!(stderr, "{line}...");
            last = Some(counts);
            last_dot = Instant::now();
        } else if last_dot.elapsed() >= Duration::from_secs(1) {
            let _ = write!(stderr, ".");
            last_dot = Instant::now();
        }
        let _ = stderr.flush();
        std::thread::sleep(POLL);
    }
    bail!(
        "gave up waiting for the model to be removed after {}s (the simulator's limit)",
        MAX_WAIT.as_secs()
    )
}
