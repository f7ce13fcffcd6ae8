//! RunContext: the one handle primitives reach — config, site, clients, gate, report, journal.
//!
//! It is stored in the engine's default tag as `Rc<RunContext>` (rhai is built without
//! `sync`) and fetched by [`RunContext::from_call`].
//!
//! API CONTRACT (shared between issues — keep these signatures; add freely).

use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rhai::{EvalAltResult, NativeCallContext};

use crate::config::Env;
use crate::effects::Gate;
use crate::report::Report;
use crate::site::Site;

pub struct RunContext {
    site: Site,
    gate: Gate,
    run_id: String,
    report: Rc<Report>,
    env: Env,
    interrupted: Arc<AtomicBool>,
    runtime: OnceCell<tokio::runtime::Runtime>,
    sealed: RefCell<Vec<String>>,
    /// Models whose `juju export-bundle` failed in this run (a backup may record why).
    export_failed: RefCell<Vec<String>>,
    backup_dirs: RefCell<Vec<PathBuf>>,
    /// The seals this run made (planned ones too, in dry-run): which model each dir captured.
    seals: RefCell<Vec<(PathBuf, crate::backup::seal::Seal)>>,
    /// The Juju and MAAS clients, built on first use.
    clients: crate::clients::Clients,
    /// `maas_whoami()`, read once per run.
    whoami: OnceCell<Result<String, String>>,
    /// When the run must stop (site `limits.max_seconds`), and that limit in seconds.
    deadline: std::cell::Cell<Option<(std::time::Instant, u64)>>,
    /// The first detection's read of the cloud: what the route was decided on.
    detection: OnceCell<DetectionRead>,
}

/// What `detect_cloud()` read, as read: a plan's facts are these (`runbook plan` compares
/// them with a read after the dry run to see whether the cloud moved meanwhile).
#[derive(Debug, Clone)]
pub struct DetectionRead {
    pub controllers: Vec<crate::clients::juju::Controller>,
    pub models: Vec<crate::clients::juju::Model>,
    pub whoami: String,
    pub machines: Vec<crate::clients::maas::Machine>,
}

impl RunContext {
    pub fn new(
        site: Site,
        gate: Gate,
        run_id: String,
        report: Rc<Report>,
        env: Env,
        interrupted: Arc<AtomicBool>,
    ) -> RunContext {
        RunContext {
            site,
            gate,
            run_id,
            report,
            env,
            interrupted,
            runtime: OnceCell::new(),
            sealed: RefCell::new(Vec::new()),
            export_failed: RefCell::new(Vec::new()),
            backup_dirs: RefCell::new(Vec::new()),
            seals: RefCell::new(Vec::new()),
            clients: crate::clients::Clients::default(),
            whoami: OnceCell::new(),
            deadline: std::cell::Cell::new(None),
            detection: OnceCell::new(),
        }
    }

    /// Keep the detection's read; only the first one counts (the route rests on it).
    pub fn keep_detection(&self, read: DetectionRead) {
        let _ = self.detection.set(read);
    }

    /// The first detection's read in this run, if one ran.
    pub fn detection(&self) -> Option<&DetectionRead> {
        self.detection.get()
    }

    /// The MAAS user of this run's API key: read once (`GET users/?op=whoami`), then cached
    /// — a failure too, so a MAAS that refused or hung is not asked again and again.
    pub fn whoami(&self) -> anyhow::Result<String> {
        let cached = self.whoami.get_or_init(|| {
            self.maas()
                .and_then(|client| self.read(client.whoami()))
                .map_err(|e| format!("{e:#}"))
        });
        cached.clone().map_err(|e| anyhow::anyhow!(e))
    }

    /// What the detection froze (controller, model, targets), if it ran.
    pub fn frozen(&self) -> Option<crate::effects::frozen::Frozen> {
        self.gate.frozen()
    }

    /// Stop the run `seconds` from now, wherever its script is (the engine's progress
    /// callback and the waits check [`RunContext::over_time`]).
    pub fn set_time_limit(&self, seconds: u64) {
        let deadline = std::time::Instant::now()
            .checked_add(std::time::Duration::from_secs(seconds))
            .map(|at| (at, seconds));
        self.deadline.set(deadline);
    }

    /// Why the run must stop now, if it is past its time limit.
    pub fn over_time(&self) -> Option<String> {
        let (at, seconds) = self.deadline.get()?;
        (std::time::Instant::now() >= at).then(|| {
            format!(
                "time limit: the run took longer than {seconds}s (site `limits.max_seconds`); a loop that never ends, or raise the limit"
            )
        })
    }

    /// The context of the running script (stored as the engine's default tag).
    pub fn from_call(call: &NativeCallContext) -> Result<Rc<RunContext>, Box<EvalAltResult>> {
        call.tag()
            .and_then(|tag| tag.clone().try_cast::<Rc<RunContext>>())
            .ok_or_else(|| "internal error: no run context in this engine".into())
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// This run's id (also in the journal path and in MAAS release comments).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// A progress line (e.g. a line of Juju's stderr while it blocks): stderr, with the
    /// other progress, so stdout keeps the transcript proper.
    pub fn note(&self, line: &str) {
        self.report.diag(&format!("  ... {line}"));
    }

    /// True once Ctrl-C was pressed; long primitives poll it and stop.
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Run a future on the host's tokio runtime (scripts stay synchronous).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let runtime = self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"))
        });
        runtime.block_on(future)
    }

    /// A read on the host's runtime that a stop abandons at once (`in_flight::read`): the
    /// read's error then says so, and the run ends interrupted (the script error a signal
    /// cut short). Changes use [`RunContext::block_on`] and `in_flight::change`.
    pub fn read<T>(&self, future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        let flag = self.interrupted.clone();
        self.block_on(async move { crate::in_flight::read(&flag, future).await })
            .unwrap_or_else(|| {
                Err(anyhow::anyhow!(
                    "interrupted: the read in flight was abandoned (it changed nothing)"
                ))
            })
    }

    /// The interrupt flag itself, for waits that run on the runtime (`in_flight`).
    pub fn interrupt_flag(&self) -> &AtomicBool {
        &self.interrupted
    }

    /// How long a release already sent is waited for after a stop: `in_flight`'s grace,
    /// never longer than a request may take (site `maas.timeout`).
    pub fn release_grace(&self) -> std::time::Duration {
        crate::in_flight::RELEASE_GRACE.min(std::time::Duration::from_secs(
            self.site.maas.timeout.max(1),
        ))
    }

    /// Models this run sealed a backup of with `seal_backup` (read by the destroy guard).
    pub fn sealed_models(&self) -> Vec<String> {
        self.sealed.borrow().clone()
    }

    /// The models of [`sealed_models`](Self::sealed_models) whose sealed backup still
    /// verifies now, read afresh right before the destroy: a capture changed or removed
    /// after the seal does not count. In a dry run the planned seals count (nothing was
    /// written to read).
    pub fn verified_sealed_models(&self) -> Vec<String> {
        if self.gate().is_dry_run() {
            return self.sealed_models();
        }
        let seals = self.seals.borrow();
        self.sealed_models()
            .into_iter()
            .filter(|model| {
                seals.iter().any(|(dir, seal)| {
                    &seal.model == model
                        && crate::backup::verify_backup(dir, self.export_failed(model)).is_ok()
                })
            })
            .collect()
    }

    /// Record that `model` has a sealed backup in this run.
    pub fn record_sealed(&self, model: &str) {
        let mut sealed = self.sealed.borrow_mut();
        if !sealed.iter().any(|m| m == model) {
            sealed.push(model.to_string());
        }
    }

    /// Record the seal this run made (or planned) for `dir`.
    pub fn record_seal(&self, dir: PathBuf, seal: crate::backup::seal::Seal) {
        self.seals.borrow_mut().push((dir, seal));
    }

    /// The seal of `dir`: the one this run made (or planned), else the one on disk.
    pub fn seal_of(&self, dir: &std::path::Path) -> Option<crate::backup::seal::Seal> {
        let mine = self
            .seals
            .borrow()
            .iter()
            .rev()
            .find(|(d, _)| d == dir)
            .map(|(_, s)| s.clone());
        mine.or_else(|| crate::backup::seal::read_seal(dir))
    }

    /// Record that `juju export-bundle` of `model` failed in this run.
    pub fn record_export_failed(&self, model: &str) {
        let mut failed = self.export_failed.borrow_mut();
        if !failed.iter().any(|m| m == model) {
            failed.push(model.to_string());
        }
    }

    /// Whether `juju export-bundle` of `model` failed in this run: only then may a backup
    /// sealed for it hold the record of why instead of the bundle.
    pub fn export_failed(&self, model: &str) -> bool {
        self.export_failed.borrow().iter().any(|m| m == model)
    }

    /// Backup dirs this run made (or planned) with `backup_dir`.
    pub fn backup_dirs(&self) -> Vec<PathBuf> {
        self.backup_dirs.borrow().clone()
    }

    pub fn record_backup_dir(&self, dir: PathBuf) {
        self.backup_dirs.borrow_mut().push(dir);
    }

    /// Effective MAAS URL (`--set maas.url` > `MAAS_URL` > site), if any.
    pub fn maas_url(&self) -> Option<String> {
        // `config.rs` already folded `MAAS_URL` and `--set` into the site by precedence.
        self.site.maas.url.clone()
    }

    /// The MAAS API key (`MAAS_API_KEY`, `maas.api_key_file` or a `maas login` profile);
    /// never print it.
    pub fn maas_api_key(&self) -> Option<String> {
        match crate::config::maas_api_key(&self.env, &self.site) {
            Ok(key) => key,
            Err(e) => {
                self.report.diag(&format!("warning: {e:#}"));
                None
            }
        }
    }

    /// Effective juju binary (`--set juju.bin` > `JUJU_BIN` > site > `juju`).
    pub fn juju_bin(&self) -> String {
        self.site
            .juju
            .bin
            .clone()
            .unwrap_or_else(|| "juju".to_string())
    }

    // ---- Clients (issue 4): built lazily from the effective settings. ----

    /// The MAAS client of this run, built on first use from `maas_url()`, `maas_api_key()`
    /// and site `maas.*`.
    pub fn maas(&self) -> anyhow::Result<&crate::clients::maas::MaasClient> {
        use crate::clients::maas::{MaasClient, MaasConfig, DEFAULT_CONCURRENCY};
        self.clients.maas_or_init(|| {
            let url = self.maas_url().ok_or_else(|| {
                anyhow::anyhow!(
                    "no MAAS URL: set `MAAS_URL`, site `maas.url` (e.g. `http://maas:5240/MAAS`), or a `maas login` profile (`--profile NAME`)\n{}",
                    crate::maas_profiles::no_key_hint()
                )
            })?;
            let creds = crate::config::maas_credentials(&self.env, &self.site)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no MAAS API key: set `MAAS_API_KEY`, site `maas.api_key_file`, or a `maas login` profile (`--profile NAME`)\n{}",
                    crate::maas_profiles::no_key_hint()
                )
            })?;
            let site = &self.site().maas;
            MaasClient::new(MaasConfig {
                url,
                api_key: creds.api_key,
                ca_file: site.ca_file.clone(),
                // An explicit `maas.ca_file` is the operator's choice over the profile's.
                ca_pem: creds.ca_pem.filter(|_| site.ca_file.is_none()),
                concurrency: if site.concurrency == 0 {
                    DEFAULT_CONCURRENCY
                } else {
                    site.concurrency
                },
                connect_timeout: std::time::Duration::from_secs(site.timeout.clamp(1, 10)),
                request_timeout: std::time::Duration::from_secs(site.timeout.max(1)),
            })
        })
    }

    /// The Juju client of this run: `juju_bin()` with site `juju.timeout` per command.
    pub fn juju(&self) -> anyhow::Result<&crate::clients::juju::JujuClient> {
        self.clients.juju_or_init(|| {
            let timeout = std::time::Duration::from_secs(self.site().juju.timeout.max(1));
            Ok(
                crate::clients::juju::JujuClient::new(self.juju_bin(), timeout)
                    .with_controller(self.site().juju.controller.clone()),
            )
        })
    }
}
