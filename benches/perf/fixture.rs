//! What the sections run against: simulators (a standard scenario, or a cloud of deployed
//! machines for releasing) and a Rhai engine with a run context, built as a session does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use runbook::config::Env;
use runbook::context::RunContext;
use runbook::effects::journal::Journal;
use runbook::effects::Gate;
use runbook::report::Report;
use runbook::resolve::Resolver;
use runbook::sim::{self, SimHandle, SimOptions};
use runbook::site::Site;

/// The release binary `cargo bench` built next to this benchmark.
pub const RUNBOOK_BIN: &str = env!("CARGO_BIN_EXE_runbook");

/// Where one MAAS is (a simulator).
#[derive(Clone)]
pub struct Maas {
    pub url: String,
    pub api_key: String,
}

/// An in-process simulator of `scenario` (`clean`, `large:N`) with `faults`.
pub fn sim(scenario: &str, faults: &[&str]) -> SimHandle {
    sim::start(SimOptions {
        scenario: scenario.to_string(),
        faults: faults.iter().map(|f| f.to_string()).collect(),
        exe: Some(PathBuf::from(RUNBOOK_BIN)),
        ..SimOptions::default()
    })
    .unwrap_or_else(|e| panic!("cannot start the simulator `{scenario}`: {e:#}"))
}

/// The release `runbook`, run from `dir` against `sim` as an operator would: the simulator's
/// environment, no site or root taken from the benchmark's own environment, stdin closed.
pub fn runbook_command(sim: &SimHandle, dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(RUNBOOK_BIN);
    command
        .current_dir(dir)
        .env_remove("RUNBOOK_ROOT")
        .env_remove("RUNBOOK_SITE")
        .env("MAAS_URL", &sim.maas_url)
        .env("MAAS_API_KEY", &sim.api_key)
        .env("JUJU_BIN", &sim.juju_bin)
        .stdin(std::process::Stdio::null());
    command
}

pub fn maas_of(sim: &SimHandle) -> Maas {
    Maas {
        url: sim.maas_url.clone(),
        api_key: sim.api_key.clone(),
    }
}

/// A simulator serving `n` spare nodes, all Deployed and owned by the API user (so every
/// one is really released), with `faults`. Returns the server, its MAAS and the hostnames.
pub struct DeployedSim {
    running: sim::server::Running,
    pub maas: Maas,
    pub hostnames: Vec<String>,
    pub system_ids: Vec<String>,
}

impl Drop for DeployedSim {
    fn drop(&mut self) {
        self.running.shutdown();
    }
}

pub fn deployed_sim(n: usize, faults: &[&str]) -> DeployedSim {
    let faults: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
    let faults = sim::faults::Faults::parse(&faults).expect("valid fault specs");
    // `large:N` counts every machine; 9 are the controller, the 5 targets and 3 foreign.
    let scenario = format!("large:{}", n + 9);
    let mut cloud = sim::scenario::build(&scenario, faults, sim::clock::Clock::new(1.0))
        .expect("a large scenario");
    let user = cloud.user.clone();
    let mut hostnames = Vec::new();
    let mut system_ids = Vec::new();
    for i in 0..cloud.machines.len() {
        let m = &mut cloud.machines[i];
        if !m.hostname.starts_with("node") {
            continue;
        }
        m.owner = Some(user.clone());
        m.status = sim::state::DEPLOYED;
        m.status_message = "Deployed".to_string();
        m.power_state = "on";
        hostnames.push(m.hostname.clone());
        system_ids.push(m.system_id.clone());
        cloud.rerender(i);
    }
    assert_eq!(hostnames.len(), n);
    let api_key = cloud.api_key.clone();
    let shared = Arc::new(sim::maas_api::Shared {
        cloud: Mutex::new(cloud),
    });
    let running = sim::server::spawn(shared, 0).expect("the simulator starts");
    DeployedSim {
        maas: Maas {
            url: format!("http://{}/MAAS", running.addr),
            api_key,
        },
        running,
        hostnames,
        system_ids,
    }
}

/// Freeze the simulator's machines as the run's targets, as a detection (`detect_cloud()`)
/// would: the release guard refuses anything that was not frozen.
pub fn freeze(h: &Harness, sim: &DeployedSim, whoami: &str) {
    use runbook::effects::frozen::{Frozen, FrozenTarget};
    let targets = sim
        .system_ids
        .iter()
        .zip(&sim.hostnames)
        .map(|(system_id, hostname)| FrozenTarget {
            system_id: system_id.clone(),
            hostname: hostname.clone(),
            juju_model_uuid: None,
            juju_controller_uuid: None,
        })
        .collect();
    h.ctx.gate().freeze(Frozen {
        targets,
        whoami: whoami.to_string(),
        ..Frozen::default()
    });
}

/// A Rhai engine wired like a run's (`engine::build`) against `maas`, armed and with
/// `--yes` (guards still apply), journalling under `state_dir`.
pub struct Harness {
    pub ctx: Rc<RunContext>,
    pub engine: rhai::Engine,
}

pub fn harness(maas: &Maas, site: Site, state_dir: &Path) -> Harness {
    let mut site = site;
    site.maas.url = Some(maas.url.clone());
    let report = Rc::new(Report::new(true));
    let gate = Gate::new(
        false,
        true,
        false,
        Journal::new(state_dir, "bench", false),
        report.clone(),
    )
    .with_scope(runbook::effects::guards::Scope::of(&site));
    let env = Env {
        maas_url: Some(maas.url.clone()),
        maas_api_key: Some(maas.api_key.clone()),
        juju_bin: None,
        maas_profile: None,
    };
    let ctx = Rc::new(RunContext::new(
        site.clone(),
        gate,
        "bench".to_string(),
        report,
        env,
        Arc::new(AtomicBool::new(false)),
    ));
    let resolver = Resolver {
        root: state_dir.to_path_buf(),
        site: site.name.clone(),
    };
    let engine =
        runbook::engine::build(ctx.clone(), resolver, Rc::new(RefCell::new(HashMap::new())));
    Harness { ctx, engine }
}

impl Harness {
    /// Compiles `script` as a session does (with the `site`/`dry_run` constants) and runs it.
    pub fn eval<T: Clone + 'static>(&self, script: &str) -> T {
        let site = rhai::serde::to_dynamic(self.ctx.site()).expect("a site map");
        let scope = runbook::engine::constants(site, false);
        let ast = self
            .engine
            .compile_with_scope(&scope, script)
            .unwrap_or_else(|e| panic!("`{script}` does not compile: {e}"));
        self.engine
            .eval_ast::<T>(&ast)
            .unwrap_or_else(|e| panic!("`{script}` failed: {e}"))
    }

    /// Compiles once for repeated runs.
    pub fn compile(&self, script: &str) -> rhai::AST {
        let site = rhai::serde::to_dynamic(self.ctx.site()).expect("a site map");
        let scope = runbook::engine::constants(site, false);
        self.engine
            .compile_with_scope(&scope, script)
            .unwrap_or_else(|e| panic!("`{script}` does not compile: {e}"))
    }
}

/// A MAAS client as a run builds it (concurrency 16), and a runtime to drive it.
pub fn client(maas: &Maas) -> runbook::clients::maas::MaasClient {
    use runbook::clients::maas::{MaasClient, MaasConfig, DEFAULT_CONCURRENCY};
    MaasClient::new(MaasConfig {
        url: maas.url.clone(),
        api_key: maas.api_key.clone(),
        ca_file: None,
        ca_pem: None,
        concurrency: DEFAULT_CONCURRENCY,
        connect_timeout: std::time::Duration::from_secs(10),
        request_timeout: std::time::Duration::from_secs(60),
    })
    .expect("a MAAS client")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
