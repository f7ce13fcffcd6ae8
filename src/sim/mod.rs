//! The built-in simulated cloud: a MAAS 2.0 API server and a `juju` CLI shim whose state
//! lives in the server, with scenarios, faults and simulated time. It shares no code with
//! `src/clients/` or `src/primitives/`: both sides are written from docs/formats.md.
//!
//! Map: `state` (the cloud) · `scenario` (starting clouds) · `controllers` (other controllers
//! and users, and which controller a command addresses) · `clock` (delays) · `faults` ·
//! `region` (the `region:N` scenario) · `recording` (a captured real cloud as the start) ·
//! `machine_json` (MAAS machine objects) · `oauth` · `maas_api` (HTTP routes) ·
//! `juju_commands` + `juju_formats` (juju, server side) · `juju_shim` (the CLI side) ·
//! `server` (thread, runtime, wrapper script).

pub mod clock;
pub mod controllers;
pub mod faults;
pub mod juju_commands;
pub mod juju_formats;
pub mod juju_shim;
pub mod maas_api;
pub mod machine_json;
pub mod oauth;
pub mod recording;
pub mod region;
pub mod scenario;
pub mod server;
pub mod state;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;

/// How to start a simulator (`runbook sim serve` flags, or the demo site's settings).
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// A scenario name (`scenario::SCENARIOS`: clean, dirty, ..., large:N).
    pub scenario: String,
    /// Fault specs, same syntax as `--fault` (`runbook sim serve --help` lists it).
    pub faults: Vec<String>,
    /// Time speed-up: 10.0 makes every delay ten times shorter.
    pub speed: f64,
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The runbook binary the juju wrapper runs; default `std::env::current_exe()`.
    pub exe: Option<PathBuf>,
    /// Start from a capture made by `runbook sim record` instead of `scenario`.
    pub from: Option<PathBuf>,
    /// Which Juju the shim is: `3.6` (default) or `4.0`.
    pub juju: juju_formats::JujuMajor,
    /// How long each change takes at speed 1.0 (the demo site chooses shorter ones).
    pub delays: clock::Delays,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            scenario: "dirty".to_string(),
            faults: Vec::new(),
            speed: 1.0,
            port: 0,
            exe: None,
            from: None,
            juju: juju_formats::JujuMajor::default(),
            delays: clock::Delays::default(),
        }
    }
}

/// A running simulator. Dropping it stops the server and removes the wrapper directory.
pub struct SimHandle {
    /// `http://127.0.0.1:PORT/MAAS` (what `MAAS_URL` is set to).
    pub maas_url: String,
    /// The API key of the MAAS user `admin`.
    pub api_key: String,
    /// The generated `juju` executable.
    pub juju_bin: PathBuf,
    running: server::Running,
    _wrapper_dir: tempdir::TempDir,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (the `/_sim/log` and `/_sim/state` routes live here).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr)
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.running.shutdown();
    }
}

/// Starts a simulator in this process (own thread, own tokio runtime).
pub fn start(options: SimOptions) -> anyhow::Result<SimHandle> {
    let faults = faults::Faults::parse(&options.faults)?;
    let clock = clock::Clock::new(options.speed).with_delays(options.delays);
    let mut cloud = match &options.from {
        Some(path) => recording::load(path, faults, clock)?,
        None => scenario::build(&options.scenario, faults, clock)?,
    };
    cloud.juju = options.juju;
    let api_key = cloud.api_key.clone();
    let exe = match options.exe {
        Some(exe) => exe,
        None => std::env::current_exe()
            .context("cannot find the runbook binary for the juju wrapper")?,
    };
    let shared = Arc::new(maas_api::Shared {
        cloud: Mutex::new(cloud),
    });
    let running = server::spawn(shared, options.port)?;
    let base_url = format!("http://{}", running.addr);
    let wrapper_dir = tempdir::TempDir::new()?;
    let juju_bin = server::write_juju_wrapper(wrapper_dir.path(), &exe, &base_url)?;
    Ok(SimHandle {
        maas_url: format!("{base_url}/MAAS"),
        api_key,
        juju_bin,
        running,
        _wrapper_dir: wrapper_dir,
    })
}

/// A directory removed on drop (the wrapper's home), without a dev-only crate.
mod tempdir {
    use std::path::{Path, PathBuf};

    use anyhow::Context;

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> anyhow::Result<TempDir> {
            let dir = std::env::temp_dir().join(format!("runbook-sim-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            Ok(TempDir(dir))
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn in_process_start_serves_and_drop_stops_even_with_a_hung_request() {
        let options = SimOptions {
            scenario: "clean".to_string(),
            faults: vec!["maas-hang:op=whoami".to_string()],
            exe: Some(PathBuf::from("/bin/false")),
            ..SimOptions::default()
        };
        let sim = start(options).unwrap();
        assert!(sim.maas_url.starts_with("http://127.0.0.1:") && sim.maas_url.ends_with("/MAAS"));
        assert_eq!(sim.maas_url, format!("{}/MAAS", sim.base_url()));
        let wrapper = std::fs::read_to_string(&sim.juju_bin).unwrap();
        assert!(
            wrapper.contains("'/bin/false' sim juju \"$@\""),
            "{wrapper}"
        );
        let version = reqwest::blocking::get(format!("{}/api/2.0/version/", sim.maas_url)).unwrap();
        assert_eq!(version.status(), 200);
        let hung_url = format!("{}/api/2.0/users/?op=whoami", sim.maas_url);
        let hung = std::thread::spawn(move || {
            reqwest::blocking::Client::new()
                .get(hung_url)
                .timeout(Duration::from_secs(5))
                .send()
                .is_err()
        });
        std::thread::sleep(Duration::from_millis(100));
        let juju_bin = sim.juju_bin.clone();
        let started = Instant::now();
        drop(sim);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "drop waited for the hung request"
        );
        assert!(!juju_bin.exists(), "the wrapper dir is removed");
        assert!(hung.join().unwrap());
    }

    #[test]
    fn bad_options_are_errors() {
        let err = start(SimOptions {
            scenario: "nope".to_string(),
            ..SimOptions::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("unknown scenario `nope`"));
        let err = start(SimOptions {
            faults: vec!["x".to_string()],
            ..SimOptions::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("unknown fault `x`"));
    }
}
