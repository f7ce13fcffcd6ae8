//! The Juju client: runs the `juju` binary (3.x or 4.x) and parses its `--format json` output.
//!
//! Every command runs through duct with stdin closed, stdout and stderr captured, in its own
//! process group, under a per-command timeout that kills the whole group (no orphans). The
//! first command of a run is `juju version`, which decides the output family (see
//! `juju_version.rs`); an unknown major stops everything before any other command runs.
//! Output is parsed into slim typed structs that ignore unknown fields and tolerate missing
//! or null optional ones and empty strings; 3.x and 4.x model entries give the same
//! [`Model`]. Errors show the exact argv and Juju's stderr. This module knows nothing about
//! Rhai.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::juju_version::{parse_version, Family, JujuVersion};

/// Runs one `juju` binary with one timeout per command.
#[derive(Debug, Clone)]
pub struct JujuClient {
    bin: String,
    timeout: Duration,
    /// The pinned controller: every command names it (`-c C`, `-m C:MODEL`), so the
    /// shell's current controller never matters. `None`: Juju's current controller.
    controller: Option<String>,
    /// `juju version`, read by the first command of the run.
    version: std::sync::OnceLock<JujuVersion>,
}

/// How a `destroy-model` run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// Juju returned: the model is gone (Juju blocks until then, whatever `--no-wait` says).
    Destroyed,
    /// The deadline passed while Juju was still waiting for the model to go; the CLI was
    /// stopped, the controller carries on destroying (teardown.md §3.2 Phase B).
    StillInProgress { waited: Duration, last_line: String },
}

/// One model of `juju models`, as scripts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Model {
    /// The short name, e.g. `openstack`.
    pub name: String,
    /// The owner-qualified name, e.g. `admin/openstack`.
    pub qualified: String,
    pub owner: String,
    pub uuid: String,
    /// `alive`, `dying` or `dead` (`alive` when Juju leaves it empty).
    pub life: String,
    /// `status.current`, e.g. `available` or `destroying` (empty when absent).
    pub status: String,
    pub controller: String,
    /// The uuid of the controller that lists the model (`controller-uuid`).
    pub controller_uuid: String,
    pub is_controller: bool,
    pub model_type: String,
}

/// One machine of `juju machines` or `juju status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    pub id: String,
    /// On MAAS, the MAAS `system_id`.
    pub instance_id: String,
    pub dns_name: String,
    /// The MAAS hostname (`display-name`), or Juju's `hostname`, when known.
    pub hostname: String,
    /// `juju-status.current`, e.g. `started`, `down`, `pending`; `error` for a status-error.
    pub status: String,
    /// `alive` unless Juju says otherwise (`dying`, `dead`).
    pub life: String,
    /// Ids of the containers on this machine, e.g. `0/lxd/0`.
    pub containers: Vec<String>,
    /// The text of a `status-error` entry Juju gave instead of the machine.
    pub error: Option<String>,
}

/// A summary of `juju status -m MODEL`: what is left in the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub model: String,
    pub controller: String,
    /// `model-status.current`, e.g. `available` or `destroying`.
    pub model_status: String,
    pub application_count: usize,
    /// Every unit, subordinates included (they go with their principal's machine).
    pub unit_count: usize,
    /// How many of `unit_count` are subordinate units.
    pub subordinate_count: usize,
    pub machine_count: usize,
    pub applications: Vec<Application>,
    pub units: Vec<Unit>,
    pub machines: Vec<Machine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub name: String,
    pub status: String,
    pub unit_count: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub name: String,
    pub application: String,
    pub machine: String,
    pub workload_status: String,
    pub agent_status: String,
    /// For a subordinate unit, the principal unit it runs with.
    pub principal: Option<String>,
    pub error: Option<String>,
}

/// One controller of `juju controllers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Controller {
    pub name: String,
    pub uuid: String,
    pub cloud: String,
    pub region: String,
    pub agent_version: String,
    pub current_model: String,
    pub user: String,
    pub model_count: Option<u64>,
    pub machine_count: Option<u64>,
    pub controller_machines_active: Option<u64>,
    pub controller_machines_total: Option<u64>,
    /// True for `current-controller`.
    pub current: bool,
}

/// One `juju disable-command` block: its command set (`destroy-model`, `remove-object` or
/// `all`) and the message given when it was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    #[serde(rename(deserialize = "command-set"))]
    pub command_set: String,
    #[serde(default)]
    pub message: String,
}

impl Block {
    /// Whether this block stops `command` (`destroy-model` or `remove-machine`).
    pub fn blocks(&self, command: &str) -> bool {
        match self.command_set.as_str() {
            "all" => true,
            "destroy-model" => command == "destroy-model",
            "remove-object" => command != "destroy-model",
            _ => false,
        }
    }
}

/// Flags of `juju destroy-model` (docs/formats.md: `--no-wait` and `--timeout` need `--force`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DestroyOptions {
    pub force: bool,
    pub no_wait: bool,
    /// `--destroy-storage` when true, `--release-storage` when false.
    pub destroy_storage: bool,
    /// `--timeout` in seconds (only with `force`).
    pub timeout: Option<u64>,
}

impl Default for DestroyOptions {
    /// teardown.md §3.2 Phase B: `--force --no-wait --destroy-storage`.
    fn default() -> Self {
        DestroyOptions {
            force: true,
            no_wait: true,
            destroy_storage: true,
            timeout: None,
        }
    }
}

/// Flags of `juju remove-machine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveOptions {
    pub force: bool,
    pub no_wait: bool,
    pub keep_instance: bool,
}

impl Default for RemoveOptions {
    /// teardown.md §3.3 remediation: `juju remove-machine -m MODEL --force --no-prompt
    /// --no-wait ID` (Juju accepts the removal and returns).
    fn default() -> Self {
        RemoveOptions {
            force: true,
            no_wait: true,
            keep_instance: false,
        }
    }
}

/// `juju destroy-model MODEL ...` (the model is positional; `--no-prompt` always).
pub fn destroy_model_argv(bin: &str, model: &str, opts: &DestroyOptions) -> Result<Vec<String>> {
    if (opts.no_wait || opts.timeout.is_some()) && !opts.force {
        bail!("`no_wait` and `timeout` need `force: true` for `juju destroy-model {model}`");
    }
    let mut argv = vec![bin.to_string(), "destroy-model".into(), model.to_string()];
    if opts.force {
        argv.push("--force".into());
    }
    if opts.no_wait {
        argv.push("--no-wait".into());
    }
    if let Some(t) = opts.timeout {
        argv.push("--timeout".into());
        argv.push(format!("{t}s"));
    }
    argv.push(
        if opts.destroy_storage {
            "--destroy-storage"
        } else {
            "--release-storage"
        }
        .into(),
    );
    argv.push("--no-prompt".into());
    Ok(argv)
}

/// `juju remove-machine -m MODEL --force --no-prompt --no-wait ID`, valid on 3.6 and 4.0:
/// `--no-prompt` always (3.2+ prompts and aborts without it; in 4.x `--force` no longer skips
/// the prompt); `--no-wait` only with `--force` (Juju refuses it alone). `ID` may be a
/// container (`2/lxd/1`).
pub fn remove_machine_argv(bin: &str, model: &str, id: &str, opts: &RemoveOptions) -> Vec<String> {
    let mut argv = vec![
        bin.to_string(),
        "remove-machine".into(),
        "-m".into(),
        model.to_string(),
    ];
    if opts.force {
        argv.push("--force".into());
    }
    argv.push("--no-prompt".into());
    if opts.no_wait && opts.force {
        argv.push("--no-wait".into());
    }
    if opts.keep_instance {
        argv.push("--keep-instance".into());
    }
    argv.push(id.to_string());
    argv
}

/// An argv as an operator would type it (words with spaces or quotes are quoted).
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The juju commands that only read (what [`JujuClient::read_raw`] accepts).
pub const READ_ONLY_COMMANDS: [&str; 7] = [
    "models",
    "show-model",
    "status",
    "machines",
    "controllers",
    "export-bundle",
    "version",
];

impl JujuClient {
    pub fn new(bin: impl Into<String>, timeout: Duration) -> Self {
        JujuClient {
            bin: bin.into(),
            timeout,
            controller: None,
            version: std::sync::OnceLock::new(),
        }
    }

    /// Pin every command to `controller` (site `juju.controller`).
    pub fn with_controller(mut self, controller: Option<String>) -> Self {
        self.controller = controller.filter(|c| !c.is_empty());
        self
    }

    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// The pinned controller, if any.
    pub fn controller(&self) -> Option<&str> {
        self.controller.as_deref()
    }

    /// How a command names `model`: `CONTROLLER:MODEL` when pinned, else as given.
    pub fn target(&self, model: &str) -> String {
        match &self.controller {
            Some(c) if !model.contains(':') => format!("{c}:{model}"),
            _ => model.to_string(),
        }
    }

    /// `juju version`, run once per client: which output family to expect. Juju 2.x, 5.x or
    /// anything that is not a version is an error naming the command.
    pub fn version(&self) -> Result<&JujuVersion> {
        if let Some(v) = self.version.get() {
            return Ok(v);
        }
        let args = ["version"];
        let out = run_captured(&self.argv(&args), self.timeout)?;
        let v = parse_version(&self.line(&args), &out)?;
        Ok(self.version.get_or_init(|| v))
    }

    /// `juju models --format json`: every model this user can see.
    pub fn models(&self) -> Result<Vec<Model>> {
        let mut args = vec!["models"];
        if let Some(c) = &self.controller {
            args.extend(["-c", c.as_str()]);
        }
        args.extend(["--format", "json"]);
        let out = self.run(&args)?;
        let family = self.version()?.family;
        parse_models(&out, family)
            .with_context(|| format!("cannot read the output of `{}`", self.line(&args)))
    }

    /// The model whose short name (or uuid) is `name`, if it exists. Under two qualifiers,
    /// `user`'s model (the controller's logged-in user, as Juju resolves a bare name) is it;
    /// when none or more than one is `user`'s, an error lists them all: runbook never guesses.
    pub fn model(&self, name: &str, user: &str) -> Result<Option<Model>> {
        find_model(self.models()?, name, user)
    }

    /// `juju status -m MODEL --format json`, summarised.
    pub fn status(&self, model: &str) -> Result<Status> {
        let model = self.target(model);
        let args = ["status", "-m", model.as_str(), "--format", "json"];
        let out = self.run(&args)?;
        parse_status(&out)
            .with_context(|| format!("cannot read the output of `{}`", self.line(&args)))
    }

    /// `juju machines -m MODEL --format json`, sorted by id (`2` before `10`).
    pub fn machines(&self, model: &str) -> Result<Vec<Machine>> {
        let model = self.target(model);
        let args = ["machines", "-m", model.as_str(), "--format", "json"];
        let out = self.run(&args)?;
        parse_machines(&out)
            .with_context(|| format!("cannot read the output of `{}`", self.line(&args)))
    }

    /// `juju controllers --format json`; none registered is an empty list.
    pub fn controllers(&self) -> Result<Vec<Controller>> {
        let args = ["controllers", "--format", "json"];
        match self.run(&args) {
            Ok(out) => parse_controllers(&out)
                .with_context(|| format!("cannot read the output of `{}`", self.line(&args))),
            Err(e) if format!("{e:#}").contains("No controllers registered") => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// `juju disabled-commands -m MODEL --format json`: the `juju disable-command` blocks in
    /// force on the model (none: empty).
    pub fn disabled_commands(&self, model: &str) -> Result<Vec<Block>> {
        let model = self.target(model);
        let args = [
            "disabled-commands",
            "-m",
            model.as_str(),
            "--format",
            "json",
        ];
        let out = self.run(&args)?;
        parse_blocks(&out)
            .with_context(|| format!("cannot read the output of `{}`", self.line(&args)))
    }

    /// `juju export-bundle -m MODEL`: the bundle YAML (Juju has no `--format` here). Printing
    /// nothing is an error: there is no bundle to back up.
    pub fn export_bundle(&self, model: &str) -> Result<String> {
        let model = self.target(model);
        let args = ["export-bundle", "-m", model.as_str()];
        let bundle = self.run(&args)?;
        if bundle.trim().is_empty() {
            bail!(
                "`{}` printed nothing (and exited 0); expected the bundle YAML",
                self.line(&args)
            );
        }
        Ok(bundle)
    }

    /// `juju destroy-model ...` under the `deadline` of the site's `timeouts.destroy_cli`,
    /// handing each progress line Juju prints (stderr and stdout) to `progress`. Juju blocks
    /// until the model is gone (in both majors, `--no-wait` or not); when the deadline
    /// passes first, the CLI is stopped and the outcome says the destroy is still in
    /// progress — not an error: the controller carries on (teardown.md §3.2 Phase B).
    pub fn destroy_model(
        &self,
        model: &str,
        opts: &DestroyOptions,
        deadline: Duration,
        progress: &mut dyn FnMut(&str),
    ) -> Result<DestroyOutcome> {
        self.destroy_model_until(model, opts, deadline, progress, &|| false)
    }

    /// As [`destroy_model`](Self::destroy_model), stopping (killing the local `juju`) as soon
    /// as `cancelled()` says so, e.g. on Ctrl-C. Juju carries on destroying the model on the
    /// controller (docs/formats.md), so the error says that.
    pub fn destroy_model_until(
        &self,
        model: &str,
        opts: &DestroyOptions,
        deadline: Duration,
        progress: &mut dyn FnMut(&str),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<DestroyOutcome> {
        self.version()?;
        let argv = destroy_model_argv(&self.bin, &self.target(model), opts)?;
        match run_streaming(&argv, deadline, progress, cancelled)? {
            Streamed::Finished => Ok(DestroyOutcome::Destroyed),
            Streamed::DeadlinePassed(transcript) => Ok(DestroyOutcome::StillInProgress {
                waited: deadline,
                last_line: transcript.lines().last().unwrap_or("").to_string(),
            }),
        }
    }

    /// `juju remove-machine -m MODEL --force --no-prompt --no-wait ID`; returns Juju's stdout.
    /// A failure keeps what Juju printed on stdout (`will remove machine ...`) next to its
    /// stderr, so the error shows what was accepted and what was not.
    pub fn remove_machine(&self, model: &str, id: &str, opts: &RemoveOptions) -> Result<String> {
        self.version()?;
        let argv = remove_machine_argv(&self.bin, &self.target(model), id, opts);
        let out = run_output(&argv, self.timeout)?;
        if !out.status.success() {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut shown = stderr.trim().to_string();
            if !stdout.trim().is_empty() {
                shown = format!("{}\n{shown}", stdout.trim());
            }
            return Err(exit_error(&argv, out.status, &shown));
        }
        String::from_utf8(out.stdout)
            .with_context(|| format!("`{}` printed output that is not UTF-8", shell_line(&argv)))
    }

    /// A read-only command's stdout as Juju printed it (for `sim record`): only the
    /// commands in [`READ_ONLY_COMMANDS`] are accepted, so a capture can never change a cloud.
    pub fn read_raw(&self, args: &[&str]) -> Result<String> {
        match args.first() {
            Some(command) if READ_ONLY_COMMANDS.contains(command) => self.run(args),
            _ => bail!(
                "internal error: `{}` is not a read-only juju command",
                self.line(args)
            ),
        }
    }

    fn line(&self, args: &[&str]) -> String {
        shell_line(&self.argv(args))
    }

    fn argv(&self, args: &[&str]) -> Vec<String> {
        std::iter::once(self.bin.clone())
            .chain(args.iter().map(|a| a.to_string()))
            .collect()
    }

    /// Run `juju ARGS`, returning stdout; a non-zero exit is an error with argv and stderr.
    /// `juju version` runs first (once): an unsupported Juju runs nothing else.
    fn run(&self, args: &[&str]) -> Result<String> {
        self.version()?;
        run_captured(&self.argv(args), self.timeout)
    }
}

/// The model named `name` in `models`: a uuid, `owner/name` exactly, or a bare short name,
/// which is `user`'s model (the controller's logged-in user, as Juju resolves a bare name):
/// another user's model of that name is not it. When the bare name cannot pick one — listed
/// under more than one qualifier and none is `user`'s, or `user` is unknown — an error
/// lists every match: runbook never guesses.
pub fn find_model(models: Vec<Model>, name: &str, user: &str) -> Result<Option<Model>> {
    if let Some(m) = models.iter().find(|m| m.uuid == name) {
        return Ok(Some(m.clone()));
    }
    if let Some((owner, short)) = name.split_once('/') {
        return Ok(models
            .into_iter()
            .find(|m| m.name == short && m.owner == owner));
    }
    let mut same: Vec<Model> = models.into_iter().filter(|m| m.name == name).collect();
    let mine: Vec<&Model> = same.iter().filter(|m| owned_by(m, user)).collect();
    match (mine.as_slice(), same.len()) {
        ([m], _) => Ok(Some((*m).clone())),
        (_, 0) => Ok(None),
        (_, 1) if user.is_empty() => Ok(same.pop()),
        ([], 1) => Ok(None),
        _ => bail!("{}", ambiguity(name, &same)),
    }
}

fn owned_by(m: &Model, user: &str) -> bool {
    !user.is_empty() && m.owner == user
}

/// The first bare short name among `names` that cannot pick one model: listed under more
/// than one qualifier, and not exactly one of them `user`'s. A qualified name
/// (`owner/name`) always names one model on a controller.
pub fn ambiguous<'a>(
    models: &'a [Model],
    names: &[String],
    user: &str,
) -> Option<(String, Vec<&'a Model>)> {
    names.iter().filter(|n| !n.contains('/')).find_map(|n| {
        let same: Vec<&Model> = models
            .iter()
            .filter(|m| &m.name == n && !m.is_controller)
            .collect();
        let mine = same.iter().filter(|m| owned_by(m, user)).count();
        (same.len() > 1 && mine != 1).then(|| (n.clone(), same))
    })
}

/// The error text for an ambiguous short name: every match with its uuid.
pub fn ambiguity(name: &str, matches: &[impl std::borrow::Borrow<Model>]) -> String {
    let list: Vec<String> = matches
        .iter()
        .map(|m| {
            let m = m.borrow();
            format!(
                "`{}` (uuid {}, controller `{}`)",
                m.qualified, m.uuid, m.controller
            )
        })
        .collect();
    format!(
        "model name `{name}` is ambiguous: `juju models` lists {}, and none is the logged-in user's; runbook will not pick one by name — name the site's model with its owner in `site.models` (e.g. `{}`), or remove or rename the one that is not this site's",
        list.join(" and "),
        matches
            .first()
            .map(|m| m.borrow().qualified.clone())
            .unwrap_or_default()
    )
}

/// How often a streaming command checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// Start `argv` in its own process group, stdin closed.
fn expression(argv: &[String]) -> duct::Expression {
    duct::cmd(&argv[0], &argv[1..])
        .stdin_null()
        .unchecked()
        .before_spawn(|c| {
            // Own process group, so a timeout or a signal can kill the child's children too.
            c.process_group(0);
            die_with_parent(c);
            Ok(())
        })
}

/// The child gets SIGKILL when runbook dies, even by SIGKILL (Linux `PR_SET_PDEATHSIG`), so
/// no `juju destroy-model` outlives the run that started it.
#[cfg(target_os = "linux")]
fn die_with_parent(c: &mut std::process::Command) {
    let parent = std::process::id();
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid, raise).
    unsafe {
        c.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The parent may have died before prctl took effect.
            if libc::getppid() as u32 != parent {
                libc::raise(libc::SIGKILL);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut std::process::Command) {}

/// Start a child, retrying briefly while its file is busy (`ETXTBSY`): Linux refuses to exec
/// a file that some process still holds open for writing — a `juju` being installed or
/// refreshed, or a wrapper script another process has just written.
fn start_retrying<T>(argv: &[String], start: impl Fn() -> std::io::Result<T>) -> Result<T> {
    let mut delay = Duration::from_millis(5);
    for _ in 0..8 {
        match start() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(delay);
                delay *= 2;
            }
            other => return other.map_err(|e| spawn_error(argv, e)),
        }
    }
    start().map_err(|e| spawn_error(argv, e))
}

fn spawn_error(argv: &[String], e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow!(
            "cannot run `{}`: `{}` not found; install Juju (3.6 or 4.0) or set `JUJU_BIN` (or site `juju.bin`)",
            shell_line(argv),
            argv[0]
        )
    } else {
        anyhow!("cannot run `{}`: {e}", shell_line(argv))
    }
}

/// Kill the whole process group led by `pid`.
fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn timeout_error(argv: &[String], timeout: Duration, stderr: &str) -> anyhow::Error {
    anyhow!(
        "`{}` did not finish within {}s and was killed; raise site `juju.timeout` if Juju is just slow{}",
        shell_line(argv),
        timeout.as_secs(),
        stderr_tail(stderr)
    )
}

fn stderr_tail(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!("\nstderr:\n{s}")
    }
}

fn exit_error(argv: &[String], status: std::process::ExitStatus, stderr: &str) -> anyhow::Error {
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(n)) => format!("killed by signal {n}{}", signal_name(n)),
        (None, None) => "killed by a signal".to_string(),
    };
    anyhow!(
        "`{}` failed ({code}){}",
        shell_line(argv),
        stderr_tail(stderr)
    )
}

/// ` (SIGKILL)` for the signals a dying CLI usually meets; empty for others.
fn signal_name(n: i32) -> &'static str {
    match n {
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGINT => " (SIGINT)",
        libc::SIGHUP => " (SIGHUP)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGPIPE => " (SIGPIPE)",
        _ => "",
    }
}

/// Run `argv` to completion (or its timeout), returning its exit status and both outputs.
fn run_output(argv: &[String], timeout: Duration) -> Result<std::process::Output> {
    let handle = start_retrying(argv, || {
        expression(argv).stdout_capture().stderr_capture().start()
    })?;
    // Wait in slices, so a signal (SIGINT/SIGTERM/SIGHUP) kills the child's group promptly.
    let started = Instant::now();
    let waited = loop {
        let slice = CANCEL_POLL.min(timeout.saturating_sub(started.elapsed()));
        let waited = handle
            .wait_timeout(slice)
            .with_context(|| format!("cannot wait for `{}`", shell_line(argv)))?;
        if waited.is_some() || started.elapsed() >= timeout || crate::signals::pending() {
            break waited;
        }
    };
    let output = match waited {
        Some(out) => out,
        None if crate::signals::pending() => {
            for pid in handle.pids() {
                kill_group(pid);
            }
            let _ = handle.kill();
            let _ = handle.wait();
            bail!(
                "interrupted ({}): `{}` was stopped",
                crate::signals::name(crate::signals::received()),
                shell_line(argv)
            );
        }
        None => {
            for pid in handle.pids() {
                kill_group(pid);
            }
            let _ = handle.kill();
            let out = handle.wait().ok();
            let stderr = out
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            return Err(timeout_error(argv, timeout, &stderr));
        }
    };
    Ok(output.clone())
}

fn run_captured(argv: &[String], timeout: Duration) -> Result<String> {
    let output = run_output(argv, timeout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(exit_error(argv, output.status, &stderr));
    }
    String::from_utf8(output.stdout)
        .with_context(|| format!("`{}` printed output that is not UTF-8", shell_line(argv)))
}

/// How long a line without its newline waits before it is shown anyway (Juju prints
/// `Waiting for model to be removed...` and then a dot per poll, on one line).
const PARTIAL_AFTER: Duration = Duration::from_secs(5);

/// Splits a command's output into progress lines (on `\n` or `\r`) and keeps a transcript.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
    /// How much of `pending` was last shown, and when.
    shown: usize,
    since: Option<Instant>,
    transcript: String,
}

impl Lines {
    fn push(&mut self, bytes: &[u8], progress: &mut dyn FnMut(&str)) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                self.end_line(progress);
            } else {
                if self.pending.is_empty() {
                    self.since = Some(Instant::now());
                }
                self.pending.push(b);
            }
        }
    }

    fn end_line(&mut self, progress: &mut dyn FnMut(&str)) {
        let line = String::from_utf8_lossy(&self.pending)
            .trim_end()
            .to_string();
        if !line.is_empty() {
            if self.pending.len() != self.shown {
                progress(&line);
            }
            self.transcript.push_str(&line);
            self.transcript.push('\n');
        }
        self.pending.clear();
        self.shown = 0;
        self.since = None;
    }

    /// Show a line still waiting for its newline, if it grew and has waited long enough.
    fn show_partial(&mut self, progress: &mut dyn FnMut(&str)) {
        let waited = self.since.is_some_and(|t| t.elapsed() >= PARTIAL_AFTER);
        if waited && self.pending.len() > self.shown {
            let line = String::from_utf8_lossy(&self.pending)
                .trim_end()
                .to_string();
            if !line.is_empty() {
                progress(&line);
            }
            self.shown = self.pending.len();
            self.since = Some(Instant::now());
        }
    }

    fn finish(&mut self, progress: &mut dyn FnMut(&str)) {
        if !self.pending.is_empty() {
            self.end_line(progress);
        }
    }
}

/// How a streamed command ended (other endings are errors).
enum Streamed {
    /// It exited 0.
    Finished,
    /// The deadline passed first and the command (its process group) was stopped.
    DeadlinePassed(String),
}

/// Run `argv` with stdout and stderr merged, handing each line to `progress` as it comes.
/// Reaching `deadline` stops the command and is reported, not an error: the caller decides.
fn run_streaming(
    argv: &[String],
    deadline: Duration,
    progress: &mut dyn FnMut(&str),
    cancelled: &dyn Fn() -> bool,
) -> Result<Streamed> {
    let timeout = deadline;
    let reader = start_retrying(argv, || expression(argv).stderr_to_stdout().reader())?;
    let reader = Arc::new(reader);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let thread_reader = Arc::clone(&reader);
    let pump = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match (&*thread_reader).read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(chunk[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = Lines::default();
    let mut timed_out = false;
    let mut interrupted = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(CANCEL_POLL)) {
            Ok(bytes) => lines.push(&bytes, progress),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => lines.show_partial(progress),
        }
        interrupted = cancelled();
        timed_out = Instant::now() >= deadline;
        if interrupted || timed_out {
            for pid in reader.pids() {
                kill_group(pid);
            }
            let _ = reader.kill();
            break;
        }
    }
    lines.finish(progress);
    let transcript = lines.transcript;
    let _ = pump.join();
    if interrupted {
        bail!(
            "interrupted: stopped waiting for `{}`; Juju may carry on with it on the controller — check with `juju models`",
            shell_line(argv)
        );
    }
    if timed_out {
        return Ok(Streamed::DeadlinePassed(transcript));
    }
    let status = reader
        .try_wait()
        .with_context(|| format!("cannot wait for `{}`", shell_line(argv)))?
        .map(|o| o.status);
    match status {
        Some(s) if s.success() => Ok(Streamed::Finished),
        Some(s) => Err(exit_error(argv, s, &transcript)),
        None => bail!("`{}` closed its output but did not exit", shell_line(argv)),
    }
}

// ---------------------------------------------------------------------------------------
// Parsing (docs/formats.md "Juju CLI" and "Juju 4.0"). Raw structs mirror Juju's JSON; every
// field is optional and may be null.
// ---------------------------------------------------------------------------------------

/// Juju's JSON output of `juju COMMAND`, or an error saying what it printed instead:
/// nothing, or text that is not JSON at all (YAML or a table, from a `juju` that ignores
/// `--format json`), quoted from its first line. `expected` hints at the shape.
fn from_json<T: DeserializeOwned>(json: &str, command: &str, expected: &str) -> Result<T> {
    let text = json.trim();
    if text.is_empty() {
        bail!("`juju {command}` printed nothing (and exited 0); expected the JSON Juju prints{expected}");
    }
    serde_json::from_str(text).map_err(|e| {
        let what = format!("`juju {command}` output is not the JSON Juju prints{expected}");
        if text.starts_with(['{', '[']) {
            anyhow!(e).context(what)
        } else {
            let first: String = text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            anyhow!(
                "{what}: it begins `{}` (YAML or text: is this `juju` ignoring `--format json`?)",
                first.escape_debug()
            )
        }
    })
}

/// A map field that may be absent or `null` (Juju 4.0 leaves nested fields out or null).
fn map_or_null<'de, D, V>(d: D) -> std::result::Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::<BTreeMap<String, V>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStatusInfo {
    current: Option<String>,
    life: Option<String>,
    #[serde(rename = "status-error")]
    status_error: Option<String>,
}

#[derive(Deserialize)]
struct RawModels {
    models: Vec<RawModel>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawModel {
    name: Option<String>,
    short_name: Option<String>,
    model_uuid: Option<String>,
    model_type: Option<String>,
    controller_name: Option<String>,
    controller_uuid: Option<String>,
    is_controller: Option<bool>,
    /// Juju 3.x only; 4.x has neither `owner` nor `qualifier` (the qualifier is in `name`).
    owner: Option<String>,
    life: Option<String>,
    status: Option<RawStatusInfo>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// `juju models --format json` in the shape of `family` (from `juju version`).
pub(crate) fn parse_models(json: &str, family: Family) -> Result<Vec<Model>> {
    let raw: RawModels = from_json(json, "models", " (expected `{\"models\": [...]}`)")?;
    raw.models
        .into_iter()
        .map(|m| model_from_raw(m, family))
        .collect()
}

fn model_from_raw(m: RawModel, family: Family) -> Result<Model> {
    let qualified = non_empty(m.name).unwrap_or_default();
    let name = non_empty(m.short_name)
        .or_else(|| qualified.rsplit('/').next().map(str::to_string))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("a model in `juju models` output has no name"))?;
    let owner = match family {
        Family::Juju3 => non_empty(m.owner).ok_or_else(|| {
            anyhow!(
                "model `{qualified}` has no `owner` although `juju version` says Juju 3.x; this looks like Juju 4.x output — check which `juju` runs (`JUJU_BIN`, site `juju.bin`)"
            )
        })?,
        // 4.x: the qualifier is the part of `name` before `/` (its spelling changed inside
        // 4.0.x, so it is shown, never used to build a name).
        Family::Juju4 => match qualified.split_once('/') {
            Some((q, short)) if !q.is_empty() && short == name => q.to_string(),
            _ => bail!(
                "model `{qualified}` in Juju 4.x `juju models` output: expected `name` as `<qualifier>/{name}`"
            ),
        },
    };
    let is_controller = m.is_controller.unwrap_or(false);
    let status = m.status.and_then(|s| s.current).unwrap_or_default();
    // A model being destroyed may come with an empty `life` and status `destroying`.
    let life = match non_empty(m.life) {
        Some(l) => l,
        None if status == "destroying" => "dying".into(),
        None => "alive".into(),
    };
    Ok(Model {
        qualified: if qualified.is_empty() {
            format!("{owner}/{name}")
        } else {
            qualified
        },
        name,
        owner,
        uuid: m.model_uuid.unwrap_or_default(),
        life,
        status,
        controller: m.controller_name.unwrap_or_default(),
        controller_uuid: m.controller_uuid.unwrap_or_default(),
        is_controller,
        model_type: m.model_type.unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawMachine {
    juju_status: Option<RawStatusInfo>,
    hostname: Option<String>,
    display_name: Option<String>,
    dns_name: Option<String>,
    instance_id: Option<String>,
    #[serde(deserialize_with = "map_or_null")]
    containers: BTreeMap<String, serde::de::IgnoredAny>,
    status_error: Option<String>,
}

fn machine_from_raw(id: String, m: RawMachine) -> Machine {
    let js = m.juju_status.unwrap_or_default();
    let error = m.status_error.or(js.status_error);
    let mut containers: Vec<String> = m.containers.into_keys().collect();
    sort_ids(&mut containers);
    Machine {
        id,
        instance_id: m.instance_id.unwrap_or_default(),
        dns_name: m.dns_name.unwrap_or_default(),
        hostname: non_empty(m.display_name).or(m.hostname).unwrap_or_default(),
        status: if error.is_some() {
            "error".into()
        } else {
            js.current.unwrap_or_default()
        },
        life: non_empty(js.life).unwrap_or_else(|| "alive".into()),
        containers,
        error,
    }
}

/// The key Juju ids sort by the way humans count ("2" before "10", "0/lxd/1" after "0").
fn id_key(id: &str) -> Vec<(u8, u64, String)> {
    id.split('/')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (0u8, n, String::new()),
            Err(_) => (1u8, 0, part.to_string()),
        })
        .collect()
}

/// Juju ids sort as strings ("10" before "2"); sort them the way humans count.
fn sort_ids(ids: &mut [String]) {
    ids.sort_by_cached_key(|id| id_key(id));
}

fn machines_from_map(map: BTreeMap<String, RawMachine>) -> Vec<Machine> {
    let mut machines: Vec<Machine> = map
        .into_iter()
        .map(|(id, m)| machine_from_raw(id, m))
        .collect();
    // Keyed once per machine: looking each id up in a sorted list was quadratic (seconds
    // for a 10,000-machine model).
    machines.sort_by_cached_key(|m| id_key(&m.id));
    machines
}

#[derive(Deserialize)]
struct RawMachines {
    #[serde(default, deserialize_with = "map_or_null")]
    machines: BTreeMap<String, RawMachine>,
}

pub(crate) fn parse_machines(json: &str) -> Result<Vec<Machine>> {
    let raw: RawMachines = from_json(
        json,
        "machines",
        " (expected `{\"model\": ..., \"machines\": {...}}`)",
    )?;
    Ok(machines_from_map(raw.machines))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawStatus {
    model: Option<RawStatusModel>,
    #[serde(deserialize_with = "map_or_null")]
    machines: BTreeMap<String, RawMachine>,
    #[serde(deserialize_with = "map_or_null")]
    applications: BTreeMap<String, RawApplication>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawStatusModel {
    name: Option<String>,
    controller: Option<String>,
    model_status: Option<RawStatusInfo>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawApplication {
    application_status: Option<RawStatusInfo>,
    #[serde(deserialize_with = "map_or_null")]
    units: BTreeMap<String, RawUnit>,
    status_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawUnit {
    machine: Option<String>,
    workload_status: Option<RawStatusInfo>,
    juju_status: Option<RawStatusInfo>,
    status_error: Option<String>,
    /// Units of subordinate applications (e.g. `ntp/0`), on the principal's machine.
    #[serde(deserialize_with = "map_or_null")]
    subordinates: BTreeMap<String, RawUnit>,
}

/// One unit; a subordinate's application is the part of its name before `/`.
fn unit_from_raw(name: String, u: RawUnit, machine: String) -> Unit {
    let workload = u.workload_status.unwrap_or_default();
    let agent = u.juju_status.unwrap_or_default();
    let error = u
        .status_error
        .or(workload.status_error)
        .or(agent.status_error);
    Unit {
        application: name.split('/').next().unwrap_or_default().to_string(),
        name,
        machine,
        workload_status: workload.current.unwrap_or_default(),
        agent_status: agent.current.unwrap_or_default(),
        principal: None,
        error,
    }
}

pub(crate) fn parse_status(json: &str) -> Result<Status> {
    let raw: RawStatus = from_json(json, "status", "")?;
    let model = raw.model.unwrap_or_default();
    let mut applications = Vec::new();
    let mut units = Vec::new();
    for (app_name, app) in raw.applications {
        let app_status = app.application_status.unwrap_or_default();
        let error = app.status_error.or(app_status.status_error);
        applications.push(Application {
            name: app_name.clone(),
            status: if error.is_some() {
                "error".into()
            } else {
                app_status.current.unwrap_or_default()
            },
            unit_count: app.units.len(),
            error,
        });
        for (unit_name, mut u) in app.units {
            let machine = u.machine.clone().unwrap_or_default();
            for (sub_name, sub) in std::mem::take(&mut u.subordinates) {
                let mut sub = unit_from_raw(sub_name, sub, machine.clone());
                sub.principal = Some(unit_name.clone());
                units.push(sub);
            }
            units.push(unit_from_raw(unit_name, u, machine));
        }
    }
    // A subordinate application lists no units of its own: count the ones under principals.
    for app in applications.iter_mut().filter(|a| a.unit_count == 0) {
        app.unit_count = units.iter().filter(|u| u.application == app.name).count();
    }
    let machines = machines_from_map(raw.machines);
    let model_status = model.model_status.unwrap_or_default();
    Ok(Status {
        model: model.name.unwrap_or_default(),
        controller: model.controller.unwrap_or_default(),
        model_status: model_status
            .current
            .or(model_status.status_error.map(|_| "error".to_string()))
            .unwrap_or_default(),
        application_count: applications.len(),
        unit_count: units.len(),
        subordinate_count: units.iter().filter(|u| u.principal.is_some()).count(),
        machine_count: machines.len(),
        applications,
        units,
        machines,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawControllers {
    #[serde(default)]
    controllers: Option<BTreeMap<String, RawController>>,
    #[serde(default)]
    current_controller: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawController {
    uuid: Option<String>,
    cloud: Option<String>,
    region: Option<String>,
    agent_version: Option<String>,
    current_model: Option<String>,
    user: Option<String>,
    model_count: Option<u64>,
    machine_count: Option<u64>,
    controller_machines: Option<RawControllerMachines>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawControllerMachines {
    #[serde(rename = "Active")]
    active: Option<u64>,
    #[serde(rename = "Total")]
    total: Option<u64>,
}

pub(crate) fn parse_blocks(json: &str) -> Result<Vec<Block>> {
    let blocks: Option<Vec<Block>> = from_json(
        json,
        "disabled-commands",
        " (expected `[{\"command-set\": ...}]`)",
    )?;
    Ok(blocks.unwrap_or_default())
}

pub(crate) fn parse_controllers(json: &str) -> Result<Vec<Controller>> {
    let raw: RawControllers = from_json(json, "controllers", "")?;
    let current = raw.current_controller.unwrap_or_default();
    Ok(raw
        .controllers
        .unwrap_or_default()
        .into_iter()
        .map(|(name, c)| {
            let cm = c.controller_machines.unwrap_or_default();
            Controller {
                current: name == current,
                name,
                uuid: c.uuid.unwrap_or_default(),
                cloud: c.cloud.unwrap_or_default(),
                region: c.region.unwrap_or_default(),
                agent_version: c.agent_version.unwrap_or_default(),
                current_model: c.current_model.unwrap_or_default(),
                user: c.user.unwrap_or_default(),
                model_count: c.model_count,
                machine_count: c.machine_count,
                controller_machines_active: cm.active,
                controller_machines_total: cm.total,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Samples written from docs/formats.md ("Juju CLI"), not from any simulator.
    const MODELS: &str = r#"{"models":[{"name":"admin/controller","short-name":"controller","model-uuid":"u-ctl","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":true,"owner":"admin","cloud":"maas","type":"maas","life":"alive","status":{"current":"available","since":"18 hours ago"},"access":"admin","last-connection":"just now","agent-version":"3.6.4"},{"name":"admin/openstack","short-name":"openstack","model-uuid":"u-os","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":false,"owner":"admin","cloud":"maas","region":"default","life":"dying","status":{"current":"destroying","message":"attempt 1 to destroy model"},"access":"admin","last-connection":"never connected","future-field":[1,2]},{"name":"bob/scratch","short-name":"scratch","model-uuid":"u-sc","controller-name":"maas-ctl","owner":"bob","life":""}],"current-model":"admin/openstack"}"#;

    #[test]
    fn models_parse_juju_3() {
        let models = parse_models(MODELS, Family::Juju3).unwrap();
        assert_eq!(models.len(), 3);
        let ctl = &models[0];
        assert_eq!(
            (ctl.name.as_str(), ctl.qualified.as_str(), ctl.is_controller),
            ("controller", "admin/controller", true)
        );
        let os = &models[1];
        assert_eq!(os.name, "openstack");
        assert_eq!(os.owner, "admin");
        assert_eq!(os.uuid, "u-os");
        assert_eq!(os.life, "dying");
        assert_eq!(os.status, "destroying");
        assert_eq!(os.controller, "maas-ctl");
        assert!(!os.is_controller);
        // Empty `life`, no status, no is-controller, no model-type: tolerated.
        let sc = &models[2];
        assert_eq!(
            (sc.life.as_str(), sc.status.as_str(), sc.is_controller),
            ("alive", "", false)
        );
    }

    #[test]
    fn models_without_current_or_with_none() {
        assert!(parse_models(r#"{"models":[]}"#, Family::Juju3)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn models_short_name_missing_falls_back_to_qualified() {
        let m = parse_models(
            r#"{"models":[{"name":"admin/openstack","owner":"admin"}]}"#,
            Family::Juju3,
        )
        .unwrap();
        assert_eq!(m[0].name, "openstack");
    }

    // Juju 4.0 (docs/formats.md "Juju 4.0"): no `owner`, no `qualifier`; `name` is
    // `<qualifier>/<model>`; qualifiers with odd spellings (4.0.x changed them).
    const MODELS_4: &str = r#"{"models":[{"name":"admin/controller","short-name":"controller","model-uuid":"u-ctl","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":true,"cloud":"maas","type":"maas","life":"alive","status":{"current":"available"},"credential":{"name":"maas","owner":"admin","cloud":"maas"},"agent-version":"4.0.16"},{"name":"alice-example-com/openstack","short-name":"openstack","model-uuid":"u-os","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":false,"cloud":"maas","life":"","status":{"current":"destroying"}},{"name":"ops/scratch","short-name":"scratch","model-uuid":"u-sc","controller-name":"maas-ctl","status":null}],"current-model":"alice-example-com/openstack"}"#;

    #[test]
    fn models_juju_4_parse_into_the_same_models() {
        let models = parse_models(MODELS_4, Family::Juju4).unwrap();
        let os = &models[1];
        assert_eq!(
            (
                os.name.as_str(),
                os.qualified.as_str(),
                os.owner.as_str(),
                os.uuid.as_str()
            ),
            (
                "openstack",
                "alice-example-com/openstack",
                "alice-example-com",
                "u-os"
            )
        );
        // Empty `life` with status `destroying`: the model is dying.
        assert_eq!(
            (os.life.as_str(), os.status.as_str()),
            ("dying", "destroying")
        );
        assert_eq!(os.controller_uuid, "c-1");
        assert!(models[0].is_controller);
        assert_eq!(
            (models[2].owner.as_str(), models[2].life.as_str()),
            ("ops", "alive")
        );
        // The same entries in 3.x shape give the same models.
        let as_3 = MODELS_4
            .replace(
                r#""short-name":"controller","#,
                r#""short-name":"controller","owner":"admin","#,
            )
            .replace(
                r#""short-name":"openstack","#,
                r#""short-name":"openstack","owner":"alice-example-com","#,
            )
            .replace(
                r#""short-name":"scratch","#,
                r#""short-name":"scratch","owner":"ops","#,
            );
        assert_eq!(parse_models(&as_3, Family::Juju3).unwrap(), models);
    }

    #[test]
    fn models_in_the_wrong_family_are_clear_errors() {
        // 4.x entries from a `juju` that says 3.x.
        let e = format!("{:#}", parse_models(MODELS_4, Family::Juju3).unwrap_err());
        assert!(e.contains("no `owner`") && e.contains("Juju 4.x"), "{e}");
        assert!(e.contains("`admin/controller`"), "{e}");
        // A 4.x entry whose name carries no qualifier.
        let bad = r#"{"models":[{"name":"openstack","short-name":"openstack","model-uuid":"u"}]}"#;
        let e = format!("{:#}", parse_models(bad, Family::Juju4).unwrap_err());
        assert!(e.contains("<qualifier>/openstack"), "{e}");
    }

    #[test]
    fn an_ambiguous_short_name_is_an_error_listing_both() {
        let mut models = parse_models(MODELS_4, Family::Juju4).unwrap();
        let mut other = models[1].clone();
        other.qualified = "bob/openstack".into();
        other.owner = "bob".into();
        other.uuid = "u-bob".into();
        models.push(other);
        let e = format!(
            "{:#}",
            find_model(models.clone(), "openstack", "carol").unwrap_err()
        );
        assert!(
            e.contains("`alice-example-com/openstack` (uuid u-os")
                && e.contains("`bob/openstack` (uuid u-bob"),
            "{e}"
        );
        // By uuid it is one model; other names are not affected.
        assert_eq!(
            find_model(models.clone(), "u-bob", "carol")
                .unwrap()
                .unwrap()
                .owner,
            "bob"
        );
        assert!(find_model(models.clone(), "scratch", "ops")
            .unwrap()
            .is_some());
        assert!(find_model(models.clone(), "nope", "carol")
            .unwrap()
            .is_none());
        let names = ["scratch".to_string(), "openstack".to_string()];
        let (name, same) = ambiguous(&models, &names, "carol").unwrap();
        assert_eq!((name.as_str(), same.len()), ("openstack", 2));
        assert!(ambiguous(&models, &names[..1], "carol").is_none());
        // The logged-in user's model is the one a bare name means; another user's alone is
        // not it; a qualified name is exact.
        assert!(find_model(models[2..].to_vec(), "openstack", "admin")
            .unwrap()
            .is_none());
        assert_eq!(
            find_model(models.clone(), "bob/openstack", "carol")
                .unwrap()
                .unwrap()
                .uuid,
            "u-bob"
        );
        assert_eq!(
            find_model(models.clone(), "openstack", "bob")
                .unwrap()
                .unwrap()
                .uuid,
            "u-bob"
        );
        assert!(ambiguous(&models, &names, "bob").is_none());
        assert!(ambiguous(&models, &["bob/openstack".to_string()], "carol").is_none());
    }

    #[test]
    fn models_malformed_is_an_error() {
        let e = format!(
            "{:#}",
            parse_models("ERROR nope", Family::Juju3).unwrap_err()
        );
        assert!(e.contains("not the JSON"), "{e}");
        assert!(parse_models(r#"{"current-model":"x"}"#, Family::Juju4).is_err());
        // A `juju` that prints YAML.
        let yaml = "models:\n- name: admin/openstack\n";
        assert!(parse_models(yaml, Family::Juju3).is_err());
    }

    const STATUS: &str = r#"{"model":{"name":"openstack","type":"iaas","controller":"maas-ctl","cloud":"maas","version":"3.6.4","model-status":{"current":"available","since":"1 hour ago"}},"machines":{"0":{"juju-status":{"current":"started","since":"x","version":"3.6.4"},"hostname":"node0","dns-name":"10.0.0.10","ip-addresses":["10.0.0.10"],"instance-id":"abc123","display-name":"openstack0","machine-status":{"current":"running"},"base":{"name":"ubuntu","channel":"22.04"},"containers":{"0/lxd/10":{"juju-status":{"current":"started"}},"0/lxd/2":{"juju-status":{"current":"started"}}},"hardware":"arch=amd64"},"10":{"juju-status":{"current":"down","life":"dying"},"dns-name":"10.0.0.20","instance-id":"def456"},"2":{"status-error":"machine status error!"}},"applications":{"keystone":{"charm":"keystone","application-status":{"current":"active"},"units":{"keystone/0":{"machine":"0/lxd/2","workload-status":{"current":"active"},"juju-status":{"current":"idle"},"leader":true},"keystone/1":{"status-error":"unit status error!"}}},"broken":{"status-error":"app status error!"}},"storage":{},"controller":{"timestamp":"10:00:00Z"}}"#;

    #[test]
    fn status_summarises_applications_units_and_machines() {
        let s = parse_status(STATUS).unwrap();
        assert_eq!(s.model, "openstack");
        assert_eq!(s.controller, "maas-ctl");
        assert_eq!(s.model_status, "available");
        assert_eq!(
            (s.application_count, s.unit_count, s.machine_count),
            (2, 2, 3)
        );
        let ids: Vec<&str> = s.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "2", "10"]);
        assert_eq!(s.machines[0].instance_id, "abc123");
        assert_eq!(s.machines[0].hostname, "openstack0");
        assert_eq!(s.machines[0].containers, ["0/lxd/2", "0/lxd/10"]);
        assert_eq!(s.machines[1].status, "error");
        assert_eq!(
            s.machines[1].error.as_deref(),
            Some("machine status error!")
        );
        assert_eq!(s.machines[2].life, "dying");
        let broken = s.applications.iter().find(|a| a.name == "broken").unwrap();
        assert_eq!(broken.error.as_deref(), Some("app status error!"));
        let k0 = s.units.iter().find(|u| u.name == "keystone/0").unwrap();
        assert_eq!(
            (
                k0.machine.as_str(),
                k0.workload_status.as_str(),
                k0.agent_status.as_str()
            ),
            ("0/lxd/2", "active", "idle")
        );
        let k1 = s.units.iter().find(|u| u.name == "keystone/1").unwrap();
        assert_eq!(k1.error.as_deref(), Some("unit status error!"));
    }

    // Juju 4.0 status: nested fields missing or null, no `since`, a subordinate application
    // with no units of its own.
    const STATUS_4: &str = r#"{"model":{"name":"openstack","type":"iaas","controller":"maas-ctl","version":"4.0.16","model-status":{"current":"available"}},"machines":{"0":{"juju-status":{"current":"started","version":null},"instance-id":"abc123","display-name":null,"hostname":"node0","containers":null,"base":null},"1":{"instance-id":"def456"}},"applications":{"ntp":{"application-status":{"current":"active"},"subordinate-to":["keystone"],"units":null},"keystone":{"application-status":null,"units":{"keystone/0":{"machine":"0","workload-status":{"current":"active"},"juju-status":{"current":"idle"},"subordinates":{"ntp/0":{"workload-status":{"current":"active"}}}},"keystone/1":{"machine":"1","subordinates":null}}}},"storage":null}"#;

    #[test]
    fn status_of_juju_4_with_missing_nested_fields_and_subordinates() {
        let s = parse_status(STATUS_4).unwrap();
        assert_eq!(
            (
                s.application_count,
                s.unit_count,
                s.subordinate_count,
                s.machine_count
            ),
            (2, 3, 1, 2)
        );
        let ntp = s.applications.iter().find(|a| a.name == "ntp").unwrap();
        assert_eq!(ntp.unit_count, 1);
        let sub = s.units.iter().find(|u| u.name == "ntp/0").unwrap();
        assert_eq!(
            (sub.machine.as_str(), sub.principal.as_deref()),
            ("0", Some("keystone/0"))
        );
        assert_eq!(s.machines[0].hostname, "node0");
        assert!(s.machines[0].containers.is_empty());
        assert_eq!(s.machines[1].status, "");
        assert!(parse_status(r#"{"model":null,"machines":null,"applications":null}"#).is_ok());
    }

    #[test]
    fn status_of_an_empty_model() {
        let s = parse_status(r#"{"model":{"name":"openstack","model-status":{"status-error":"boom"}},"machines":{},"applications":{}}"#).unwrap();
        assert_eq!(
            (s.machine_count, s.unit_count, s.application_count),
            (0, 0, 0)
        );
        assert_eq!(s.model_status, "error");
    }

    #[test]
    fn machines_are_sorted_numerically() {
        let json = r#"{"model":"openstack","machines":{"0":{"juju-status":{"current":"started"},"instance-id":"a"},"1":{"instance-id":"b","dns-name":""},"10":{"instance-id":"c"},"2":{"instance-id":"d","juju-status":{"current":"pending","life":""}}}}"#;
        let m = parse_machines(json).unwrap();
        let ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2", "10"]);
        assert_eq!(m[3].instance_id, "c");
        assert_eq!(m[2].life, "alive");
        assert_eq!(m[1].status, "");
        assert!(parse_machines(r#"{"model":"x","machines":{}}"#)
            .unwrap()
            .is_empty());
        assert!(parse_machines("[").is_err());
    }

    #[test]
    fn blocks_parse_and_say_what_they_stop() {
        let b = parse_blocks(
            r#"[{"command-set":"destroy-model","message":"prod"},{"command-set":"remove-object"}]"#,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert!(b[0].blocks("destroy-model") && !b[0].blocks("remove-machine"));
        assert!(b[1].blocks("remove-machine") && !b[1].blocks("destroy-model"));
        assert_eq!(b[1].message, "");
        assert!(parse_blocks("[]").unwrap().is_empty());
        assert!(parse_blocks("null").unwrap().is_empty());
        assert!(parse_blocks("command-set: all").is_err());
    }

    #[test]
    fn controllers_parse() {
        let json = r#"{"controllers":{"maas-ctl":{"uuid":"c-1","api-endpoints":["10.0.0.2:17070"],"ca-cert":"---","cloud":"maas","agent-version":"3.6.4","current-model":"admin/openstack","user":"admin","access":"superuser","model-count":2,"machine-count":7,"controller-machines":{"Active":1,"Total":1}},"other":{"uuid":"c-2"}},"current-controller":"maas-ctl"}"#;
        let c = parse_controllers(json).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "maas-ctl");
        assert!(c[0].current);
        assert_eq!(
            (
                c[0].model_count,
                c[0].controller_machines_active,
                c[0].controller_machines_total
            ),
            (Some(2), Some(1), Some(1))
        );
        assert!(!c[1].current);
        assert_eq!(c[1].model_count, None);
    }

    #[test]
    fn destroy_argv_follows_formats() {
        let argv = destroy_model_argv("juju", "openstack", &DestroyOptions::default()).unwrap();
        assert_eq!(
            shell_line(&argv),
            "juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt"
        );
        let o = DestroyOptions {
            force: true,
            no_wait: false,
            destroy_storage: false,
            timeout: Some(600),
        };
        assert_eq!(
            shell_line(&destroy_model_argv("juju", "m", &o).unwrap()),
            "juju destroy-model m --force --timeout 600s --release-storage --no-prompt"
        );
        let bad = DestroyOptions {
            force: false,
            ..DestroyOptions::default()
        };
        assert!(destroy_model_argv("juju", "m", &bad).is_err());
    }

    #[test]
    fn remove_machine_argv_is_valid_on_both_majors() {
        let argv = remove_machine_argv("juju", "openstack", "3", &RemoveOptions::default());
        assert_eq!(
            shell_line(&argv),
            "juju remove-machine -m openstack --force --no-prompt --no-wait 3"
        );
        let argv = remove_machine_argv(
            "juju",
            "m",
            "0/lxd/1",
            &RemoveOptions {
                force: false,
                no_wait: false,
                keep_instance: true,
            },
        );
        assert_eq!(
            shell_line(&argv),
            "juju remove-machine -m m --no-prompt --keep-instance 0/lxd/1"
        );
    }

    #[test]
    fn shell_line_quotes() {
        assert_eq!(
            shell_line(&["a b".into(), "it's".into(), "".into()]),
            r"'a b' 'it'\''s' ''"
        );
    }

    // Subprocess behaviour, with fake `juju` scripts.

    /// A `juju` that says it is 3.6.24 to `juju version` and runs `body` for anything else.
    fn fake_juju(dir: &tempfile::TempDir, body: &str) -> String {
        fake_juju_version(dir, "3.6.24-genericlinux-amd64", body)
    }

    fn fake_juju_version(dir: &tempfile::TempDir, version: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join("juju");
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = version ]; then printf '%s\\n' '{version}'; exit 0; fi\n{body}\n"
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn subprocess_success_reads_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(
            &dir,
            &format!("[ \"$1 $2 $3\" = 'models --format json' ] || exit 9\ncat <<'J'\n{MODELS}\nJ"),
        );
        let c = JujuClient::new(bin, Duration::from_secs(10));
        assert_eq!(c.models().unwrap().len(), 3);
        assert_eq!(c.model("openstack", "admin").unwrap().unwrap().uuid, "u-os");
        assert!(c.model("nope", "admin").unwrap().is_none());
    }

    #[test]
    fn subprocess_non_zero_exit_shows_argv_and_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(
            &dir,
            "echo 'ERROR model maas-ctl:admin/openstack not found' >&2\nexit 1",
        );
        let c = JujuClient::new(bin.clone(), Duration::from_secs(10));
        let e = format!("{:#}", c.status("openstack").unwrap_err());
        assert!(
            e.contains(&format!(
                "`{bin} status -m openstack --format json` failed (exit status 1)"
            )),
            "{e}"
        );
        assert!(
            e.contains("ERROR model maas-ctl:admin/openstack not found"),
            "{e}"
        );
    }

    #[test]
    fn subprocess_malformed_json() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "echo '{\"models\": [oops'");
        let e = format!(
            "{:#}",
            JujuClient::new(bin, Duration::from_secs(10))
                .models()
                .unwrap_err()
        );
        assert!(
            e.contains("cannot read the output of") && e.contains("models --format json"),
            "{e}"
        );
    }

    #[test]
    fn subprocess_timeout_kills_the_child_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let bin = fake_juju(
            &dir,
            &format!("sleep 30 &\necho $! > {}\nwait", pidfile.display()),
        );
        let c = JujuClient::new(bin, Duration::from_millis(300));
        let started = Instant::now();
        let e = format!("{:#}", c.models().unwrap_err());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            e.contains("did not finish within") && e.contains("killed"),
            "{e}"
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild `sleep` is gone: no process, or a zombie waiting for its reaper.
        let alive = |pid: i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|stat| {
                    stat.rsplit(')')
                        .next()
                        .map(|rest| rest.trim_start().chars().next())
                        != Some(Some('Z'))
                })
                .unwrap_or(false)
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) {
            assert!(
                Instant::now() < deadline,
                "grandchild {pid} survived the timeout"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn subprocess_missing_binary() {
        let c = JujuClient::new("/nonexistent/juju", Duration::from_secs(5));
        let e = format!("{:#}", c.models().unwrap_err());
        assert!(e.contains("not found") && e.contains("JUJU_BIN"), "{e}");
    }

    #[test]
    fn controllers_none_registered_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "echo 'ERROR No controllers registered.' >&2\nexit 1");
        assert!(JujuClient::new(bin, Duration::from_secs(5))
            .controllers()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn destroy_streams_progress_lines() {
        let dir = tempfile::tempdir().unwrap();
        let argfile = dir.path().join("args");
        let bin = fake_juju(
            &dir,
            &format!("echo \"$@\" > {}\necho 'Destroying model' >&2\necho 'Waiting for model to be removed, 2 machine(s), 1 application(s)....' >&2\necho 'Model destroyed.' >&2", argfile.display()),
        );
        let c = JujuClient::new(bin, Duration::from_secs(10));
        let mut lines = Vec::new();
        let outcome = c
            .destroy_model(
                "openstack",
                &DestroyOptions::default(),
                Duration::from_secs(10),
                &mut |l| lines.push(l.to_string()),
            )
            .unwrap();
        assert_eq!(outcome, DestroyOutcome::Destroyed);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], "Model destroyed.");
        let args = std::fs::read_to_string(argfile).unwrap();
        assert_eq!(
            args.trim(),
            "destroy-model openstack --force --no-wait --destroy-storage --no-prompt"
        );
    }

    #[test]
    fn destroy_failure_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "echo 'ERROR \"admin/controller\" is a controller; use '\"'\"'juju destroy-controller'\"'\"' to destroy it' >&2\nexit 1");
        let c = JujuClient::new(bin, Duration::from_secs(10));
        let e = format!(
            "{:#}",
            c.destroy_model(
                "controller",
                &DestroyOptions::default(),
                Duration::from_secs(10),
                &mut |_| {}
            )
            .unwrap_err()
        );
        assert!(
            e.contains("is a controller") && e.contains("destroy-model controller"),
            "{e}"
        );

        let dir = tempfile::tempdir().unwrap();
        // Still waiting at the deadline: stopped, and reported as in progress (not an error).
        let pidfile = dir.path().join("pid");
        let bin = fake_juju(
            &dir,
            &format!(
                "echo $$ > {}\necho 'Destroying model' >&2\nprintf 'Waiting for model to be removed, 2 machine(s)...' >&2\nsleep 30",
                pidfile.display()
            ),
        );
        let c = JujuClient::new(bin, Duration::from_secs(60));
        let started = Instant::now();
        let mut seen = 0;
        let outcome = c
            .destroy_model(
                "m",
                &DestroyOptions::default(),
                Duration::from_secs(2),
                &mut |_| seen += 1,
            )
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        match outcome {
            DestroyOutcome::StillInProgress { waited, last_line } => {
                assert_eq!(waited, Duration::from_secs(2));
                assert!(last_line.starts_with("Waiting for model"), "{last_line}");
            }
            other => panic!("{other:?}"),
        }
        assert!(seen >= 1);
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .unwrap_or_default()
                .contains(") Z")
        {
            assert!(Instant::now() < deadline, "the destroy CLI was not stopped");
            std::thread::sleep(Duration::from_millis(50));
        }

        // A destroy CLI that dies mid-way is an error naming the command and its output.
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "echo 'Destroying model' >&2\nkill -9 $$");
        let c = JujuClient::new(bin, Duration::from_secs(10));
        let e = format!(
            "{:#}",
            c.destroy_model(
                "m",
                &DestroyOptions::default(),
                Duration::from_secs(10),
                &mut |_| {}
            )
            .unwrap_err()
        );
        assert!(
            e.contains("destroy-model m")
                && e.contains("killed by signal 9 (SIGKILL)")
                && e.contains("Destroying model"),
            "{e}"
        );
    }

    #[test]
    fn output_that_is_not_json_says_what_it_was() {
        let e = format!("{:#}", parse_models("  \n", Family::Juju3).unwrap_err());
        assert_eq!(e, "`juju models` printed nothing (and exited 0); expected the JSON Juju prints (expected `{\"models\": [...]}`)");
        let yaml = "models:\n- name: admin/openstack\n";
        let e = format!("{:#}", parse_models(yaml, Family::Juju3).unwrap_err());
        assert_eq!(e, "`juju models` output is not the JSON Juju prints (expected `{\"models\": [...]}`): it begins `models:` (YAML or text: is this `juju` ignoring `--format json`?)");
        let e = format!(
            "{:#}",
            parse_status("Model  Controller\x1b[31m",).unwrap_err()
        );
        assert!(
            e.contains("it begins `Model  Controller\\u{1b}[31m`"),
            "{e}"
        );
        // Cut JSON keeps serde's reason.
        let e = format!(
            "{:#}",
            parse_controllers("{\"controllers\": {").unwrap_err()
        );
        assert!(
            e.starts_with(
                "`juju controllers` output is not the JSON Juju prints: EOF while parsing"
            ),
            "{e}"
        );
        assert_eq!(parse_blocks("null").unwrap(), Vec::new());
    }

    #[test]
    fn an_export_bundle_that_prints_nothing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "exit 0");
        let e = format!(
            "{:#}",
            JujuClient::new(bin.clone(), Duration::from_secs(10))
                .export_bundle("m")
                .unwrap_err()
        );
        assert_eq!(
            e,
            format!("`{bin} export-bundle -m m` printed nothing (and exited 0); expected the bundle YAML")
        );
    }

    #[test]
    fn remove_machine_returns_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let argfile = dir.path().join("args");
        let bin = fake_juju(
            &dir,
            &format!(
                "echo \"$@\" > {}\nfor a; do last=$a; done\necho \"will remove machine $last\"",
                argfile.display()
            ),
        );
        let c = JujuClient::new(bin, Duration::from_secs(10));
        let out = c
            .remove_machine("openstack", "2/lxd/1", &RemoveOptions::default())
            .unwrap();
        assert_eq!(out.trim(), "will remove machine 2/lxd/1");
        assert_eq!(
            std::fs::read_to_string(argfile).unwrap().trim(),
            "remove-machine -m openstack --force --no-prompt --no-wait 2/lxd/1"
        );
    }

    #[test]
    fn a_failed_remove_machine_keeps_its_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(
            &dir,
            "echo 'will remove machine 3'\necho 'ERROR removing machine failed: machine 3 is the controller' >&2\nexit 1",
        );
        let c = JujuClient::new(bin, Duration::from_secs(10));
        let e = format!(
            "{:#}",
            c.remove_machine("openstack", "3", &RemoveOptions::default())
                .unwrap_err()
        );
        assert!(
            e.contains("remove-machine -m openstack")
                && e.contains("will remove machine 3")
                && e.contains("ERROR removing machine failed"),
            "{e}"
        );
    }

    #[test]
    fn the_version_decides_the_family_and_bad_versions_run_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let models = MODELS_4.replace('"', "\\\"");
        let bin = fake_juju_version(&dir, "4.0.16-ubuntu-amd64", &format!("echo \"{models}\""));
        let c = JujuClient::new(bin, Duration::from_secs(10));
        assert_eq!(c.version().unwrap().family, Family::Juju4);
        assert_eq!(
            c.model("openstack", "alice-example-com")
                .unwrap()
                .unwrap()
                .owner,
            "alice-example-com"
        );

        for (version, want) in [
            ("2.9.46-ubuntu-amd64", "Juju 2.x is not supported"),
            ("5.0.0-ubuntu-amd64", "major version 5"),
            ("", "printed nothing"),
            ("version: 3.6.1", "not a Juju version"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let ran = dir.path().join("ran");
            let bin = fake_juju_version(&dir, version, &format!("touch {}", ran.display()));
            let c = JujuClient::new(bin.clone(), Duration::from_secs(10));
            let e = format!("{:#}", c.models().unwrap_err());
            assert!(
                e.contains(want) && e.contains(&format!("`{bin} version`")),
                "{version}: {e}"
            );
            let e = format!(
                "{:#}",
                c.destroy_model(
                    "m",
                    &DestroyOptions::default(),
                    Duration::from_secs(5),
                    &mut |_| {}
                )
                .unwrap_err()
            );
            assert!(e.contains(want), "{e}");
            assert!(
                !ran.exists(),
                "{version}: another command ran after the version check"
            );
        }
    }

    // The fuller samples in tests/fixtures (written from docs/formats.md).

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn fixture_models() {
        let models = parse_models(&fixture("juju-models-3.6.json"), Family::Juju3).unwrap();
        let names: Vec<(&str, &str, bool)> = models
            .iter()
            .map(|m| (m.name.as_str(), m.life.as_str(), m.is_controller))
            .collect();
        assert_eq!(
            names,
            [
                ("controller", "alive", true),
                ("openstack", "dying", false),
                ("scratch", "alive", false)
            ]
        );
        assert_eq!(models[1].status, "destroying");
        assert_eq!(models[2].owner, "ops");
        let four = parse_models(&fixture("juju-models-4.0.json"), Family::Juju4).unwrap();
        assert_eq!(four, models, "4.0 entries give the same models as 3.6");
        let e = format!(
            "{:#}",
            parse_models(&fixture("juju-models-4.0.json"), Family::Juju3).unwrap_err()
        );
        assert!(e.contains("Juju 4.x"), "{e}");
    }

    #[test]
    fn fixture_status_and_machines_agree() {
        let s = parse_status(&fixture("juju-status-openstack-3.6.json")).unwrap();
        // The subordinate keystone-mysql-router/0 counts as a unit, on its principal's machine.
        assert_eq!(
            (
                s.application_count,
                s.unit_count,
                s.subordinate_count,
                s.machine_count
            ),
            (3, 5, 1, 3)
        );
        let sub = s
            .units
            .iter()
            .find(|u| u.name == "keystone-mysql-router/0")
            .unwrap();
        let principal = s
            .units
            .iter()
            .find(|u| Some(&u.name) == sub.principal.as_ref())
            .unwrap();
        assert_eq!(sub.machine, principal.machine);
        assert_eq!(sub.application, "keystone-mysql-router");
        let ids: Vec<&str> = s.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "10"]);
        assert_eq!(s.machines[0].containers, ["0/lxd/0"]);
        assert_eq!(
            (s.machines[2].status.as_str(), s.machines[2].life.as_str()),
            ("down", "dying")
        );
        let lost = s.units.iter().find(|u| u.name == "ceph-osd/2").unwrap();
        assert_eq!(
            (lost.machine.as_str(), lost.agent_status.as_str()),
            ("10", "lost")
        );
        let m = parse_machines(&fixture("juju-machines-openstack-3.6.json")).unwrap();
        assert_eq!(m, s.machines);
        let instance_ids: Vec<&str> = m.iter().map(|m| m.instance_id.as_str()).collect();
        assert_eq!(instance_ids, ["4y3h7n", "4y3h7p", "4y3h7q"]);
    }

    #[test]
    fn fixture_controllers() {
        let c = parse_controllers(&fixture("juju-controllers-3.6.json")).unwrap();
        assert_eq!(c.len(), 1);
        assert!(c[0].current);
        assert_eq!(
            (
                c[0].name.as_str(),
                c[0].current_model.as_str(),
                c[0].machine_count
            ),
            ("maas-controller", "admin/openstack", Some(4))
        );
    }

    #[test]
    fn destroy_can_be_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "echo 'Destroying model' >&2\nsleep 30");
        let c = JujuClient::new(bin, Duration::from_secs(60));
        let started = Instant::now();
        let seen = std::cell::Cell::new(false);
        let e = c.destroy_model_until(
            "m",
            &DestroyOptions::default(),
            Duration::from_secs(60),
            &mut |_| seen.set(true),
            &|| seen.get(),
        );
        let e = format!("{:#}", e.unwrap_err());
        assert!(
            e.starts_with("interrupted") && e.contains("juju models"),
            "{e}"
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn progress_lines_split_on_newline_and_carriage_return() {
        let mut seen = Vec::new();
        let mut lines = Lines::default();
        lines.push(
            b"Destroying model\nWaiting for model to be removed, 2 machine(s)",
            &mut |l| seen.push(l.to_string()),
        );
        lines.push(b"...\r\nModel destroyed.", &mut |l| {
            seen.push(l.to_string())
        });
        lines.finish(&mut |l| seen.push(l.to_string()));
        assert_eq!(
            seen,
            [
                "Destroying model",
                "Waiting for model to be removed, 2 machine(s)...",
                "Model destroyed."
            ]
        );
        assert_eq!(lines.transcript.lines().count(), 3);
    }
}
