//! `SimServer`: a simulator for one test. It runs the built binary as
//! `runbook sim serve --port 0 --scenario S [--speed X] [--fault F]...`, reads the three
//! `export` lines, and kills the child on drop.
//!
//! ```ignore
//! let sim = SimServer::start("dirty");
//! let sim = SimServer::scenario("dirty").fault("maas-5xx:0.1").juju("4.0").speed(0.5).start();
//! let out = Command::new(env!("CARGO_BIN_EXE_runbook")).envs(sim.env()).args(["run", "teardown"]).output()?;
//! assert!(!sim.changed(), "nothing was released or destroyed");
//! ```

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::fields_where;

/// Tests run time 20x faster than the simulator's default.
pub const TEST_SPEED: f64 = 20.0;

/// The Juju majors the simulator plays; end-to-end tests run against each.
pub const JUJU_MAJORS: [&str; 2] = ["3.6", "4.0"];

/// The site `testcloud`'s targets, as the scenarios name them.
pub use runbook::sim::scenario::TARGETS;

/// A simulator to start: a scenario, its faults, a speed and the Juju major it plays.
#[derive(Clone)]
pub struct Cloud {
    scenario: String,
    faults: Vec<String>,
    speed: f64,
    juju: Option<String>,
}

impl Cloud {
    /// A `--fault` spec (e.g. `maas-5xx:0.1`); repeatable.
    pub fn fault(mut self, spec: &str) -> Cloud {
        self.faults.push(spec.to_string());
        self
    }

    /// Simulated time's speed (default `TEST_SPEED`).
    pub fn speed(mut self, speed: f64) -> Cloud {
        self.speed = speed;
        self
    }

    /// The Juju major it plays (`3.6`, the default, or `4.0`).
    pub fn juju(mut self, major: &str) -> Cloud {
        self.juju = Some(major.to_string());
        self
    }

    /// Runs `test` against a simulator of each Juju major (`JUJU_MAJORS`), one after the other
    /// (a failure's captured output says which).
    pub fn each_juju(self, test: impl Fn(&SimServer)) {
        for major in JUJU_MAJORS {
            println!("against Juju {major}");
            test(&self.clone().juju(major).start());
        }
    }

    pub fn start(self) -> SimServer {
        let mut start = vec!["--scenario", self.scenario.as_str()];
        if let Some(major) = &self.juju {
            start.extend(["--juju", major.as_str()]);
        }
        let faults: Vec<&str> = self.faults.iter().map(String::as_str).collect();
        SimServer::spawn(&start, &faults, self.speed)
    }
}

pub struct SimServer {
    child: Child,
    /// Kept open so the server's few stderr lines never meet a closed pipe.
    _stderr: Option<std::process::ChildStderr>,
    pub maas_url: String,
    pub api_key: String,
    pub juju_bin: String,
    /// `http://127.0.0.1:PORT`, where `/_sim/log` and `/_sim/state` live.
    pub base_url: String,
}

impl SimServer {
    /// The simulator of `scenario` to start, at `TEST_SPEED`, no faults, Juju 3.6.
    pub fn scenario(scenario: &str) -> Cloud {
        Cloud {
            scenario: scenario.to_string(),
            faults: Vec::new(),
            speed: TEST_SPEED,
            juju: None,
        }
    }

    /// A simulator of `scenario` at `TEST_SPEED`, no faults.
    pub fn start(scenario: &str) -> SimServer {
        SimServer::scenario(scenario).start()
    }

    /// A simulator with faults (`--fault` specs) and a speed (Juju 3.6, the default).
    pub fn with(scenario: &str, faults: &[&str], speed: f64) -> SimServer {
        SimServer::spawn(&["--scenario", scenario], faults, speed)
    }

    /// As [`SimServer::with`], playing Juju `juju` (`3.6` or `4.0`).
    pub fn with_juju(scenario: &str, faults: &[&str], speed: f64, juju: &str) -> SimServer {
        SimServer::spawn(&["--scenario", scenario, "--juju", juju], faults, speed)
    }

    /// A simulator serving a capture made by `runbook sim record` (`--from PATH`).
    pub fn from_capture(path: &std::path::Path, faults: &[&str]) -> SimServer {
        let path = path.display().to_string();
        SimServer::spawn(&["--from", &path], faults, TEST_SPEED)
    }

    /// A simulator of `scenario` on a given port, e.g. to replace a stopped one at the same
    /// address (the same `MAAS_URL`).
    pub fn on_port(scenario: &str, port: u16) -> SimServer {
        SimServer::spawn(
            &["--scenario", scenario, "--port", &port.to_string()],
            &[],
            TEST_SPEED,
        )
    }

    /// The TCP port it listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the simulator's URL has a port")
    }

    /// `runbook sim serve` with `start` (`--scenario S` or `--from F`, and maybe `--port`).
    pub fn spawn(start: &[&str], faults: &[&str], speed: f64) -> SimServer {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbook"));
        cmd.args(["sim", "serve", "--speed", &speed.to_string()]);
        if !start.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        cmd.args(start);
        for f in faults {
            cmd.args(["--fault", f]);
        }
        // stderr is piped (the server writes a line or two) so a failed start can say why.
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runbook sim serve");
        let mut stderr = child.stderr.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut value = |name: &str| -> String {
            let line = lines.next().and_then(Result::ok).unwrap_or_else(|| {
                let mut err = String::new();
                if let Some(e) = stderr.as_mut() {
                    let _ = std::io::Read::read_to_string(e, &mut err);
                }
                panic!("runbook sim serve printed no `{name}` line; stderr: {err}")
            });
            let prefix = format!("export {name}=");
            line.strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("expected `{prefix}...`, got `{line}`"))
                .to_string()
        };
        let maas_url = value("MAAS_URL");
        let api_key = value("MAAS_API_KEY");
        let juju_bin = value("JUJU_BIN");
        let base_url = maas_url.trim_end_matches("/MAAS").to_string();
        SimServer {
            child,
            _stderr: stderr,
            maas_url,
            api_key,
            juju_bin,
            base_url,
        }
    }

    /// The environment a client uses: MAAS_URL, MAAS_API_KEY, JUJU_BIN.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("MAAS_URL".to_string(), self.maas_url.clone()),
            ("MAAS_API_KEY".to_string(), self.api_key.clone()),
            ("JUJU_BIN".to_string(), self.juju_bin.clone()),
        ]
    }

    fn get_json(&self, path: &str) -> Value {
        reqwest::blocking::get(format!("{}{path}", self.base_url))
            .and_then(|r| r.json())
            .expect("simulator answers")
    }

    /// Every MAAS request and juju command handled so far (`GET /_sim/log`).
    pub fn log(&self) -> Vec<Value> {
        self.get_json("/_sim/log")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The request lines of one kind (`maas` or `juju`) in the log, in order.
    pub fn requests_of(&self, kind: &str) -> Vec<String> {
        fields_where(self.log(), ("kind", kind), "request")
    }

    /// The cloud now (`GET /_sim/state`).
    pub fn state(&self) -> Value {
        self.get_json("/_sim/state")
    }

    /// True when any logged request changed the cloud.
    pub fn changed(&self) -> bool {
        self.log().iter().any(|e| e["changed"] == true)
    }

    /// Runs the simulated juju with `args` (stdin closed).
    pub fn juju(&self, args: &[&str]) -> Output {
        Command::new(&self.juju_bin)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run the juju wrapper")
    }

    /// A MAAS API request signed with the simulator's key (OAuth PLAINTEXT).
    pub fn maas(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let mut parts = self.api_key.splitn(3, ':');
        let (ck, tk, ts) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let auth = format!(
            r#"OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="{ck}", oauth_token="{tk}", oauth_signature="&{ts}", oauth_nonce="n", oauth_timestamp="1""#
        );
        reqwest::blocking::Client::new()
            .request(method, format!("{}/api/2.0/{path}", self.maas_url))
            .header("Authorization", auth)
    }

    /// The machine with `hostname` from `/_sim/state`.
    pub fn machine(&self, hostname: &str) -> Value {
        self.state()["machines"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["hostname"] == hostname).cloned())
            .unwrap_or(Value::Null)
    }

    /// `POST machines/ID/?op=OP`, as an operator would by hand (`release`, `lock`, ...).
    pub fn machine_op(&self, id: &str, op: &str) -> reqwest::blocking::Response {
        self.maas(reqwest::Method::POST, &format!("machines/{id}/?op={op}"))
            .send()
            .expect("POST to the simulator")
    }

    /// The system id of the machine with `hostname`.
    pub fn system_id(&self, hostname: &str) -> String {
        self.machine(hostname)["system_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no machine `{hostname}` in the simulator"))
            .to_string()
    }

    /// Waits until the machine with `hostname` has the status `status_name`.
    pub fn wait_status(&self, hostname: &str, status_name: &str, timeout: Duration) {
        self.wait_for(&format!("{hostname} {status_name}"), timeout, |s| {
            s["machines"].as_array().is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["hostname"] == hostname && m["status_name"] == status_name)
            })
        });
    }

    /// Polls `cond` on the state until it holds; panics naming `what` after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, cond: impl Fn(&Value) -> bool) {
        let start = Instant::now();
        loop {
            if cond(&self.state()) {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        #[cfg(unix)]
        unsafe {
            // SIGTERM lets the server remove its wrapper dir.
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
