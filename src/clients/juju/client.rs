//! [`JujuClient`]: one method per juju command a teardown needs, on one `juju` binary with
//! one timeout per command and, when the site pins one, one controller named in every
//! command. The first command of a run is `juju version` (see `version`), which decides the
//! output family; an unknown major stops everything before any other command runs.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::argv::{destroy_model_argv, remove_machine_argv, DestroyOptions, RemoveOptions};
use super::command_error::{exit_error, shell_line};
use super::controllers::{parse_blocks, parse_controllers};
use super::models::{find_model, parse_models};
use super::runner::{run_captured, run_output};
use super::status::{parse_machines, parse_status};
use super::stream::{run_streaming, Streamed};
use super::types::{Block, Controller, Machine, Model, Status};
use super::version::{parse_version, JujuVersion};

/// Runs one `juju` binary with one timeout per command.
#[derive(Debug, Clone)]
pub struct JujuClient {
    bin: String,
    timeout: Duration,
    /// The pinned controller: every command names it (`-c C`, `-m C:MODEL`), so the
    /// shell's current controller never matters. Set by the site (`juju.controller`), else
    /// by the detection once it has read which controller is current ([`Self::pin`]);
    /// unset: Juju's current controller.
    controller: std::sync::OnceLock<String>,
    /// `juju version`, read by the first command of the run.
    version: std::sync::OnceLock<JujuVersion>,
    /// Held while `juju version` runs, so reads started side by side ask it once.
    asking_version: std::sync::Arc<std::sync::Mutex<()>>,
}

/// How a `destroy-model` run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// Juju returned: the model is gone (Juju blocks until then, whatever `--no-wait` says).
    Destroyed,
    /// The deadline passed while Juju was still waiting for the model to go; the CLI was
    /// stopped, the controller carries on destroying (teardown.md §3.2 Phase B).
    /// `last_line`: Juju's last progress line that is not only dots.
    StillInProgress { waited: Duration, last_line: String },
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
            controller: std::sync::OnceLock::new(),
            version: std::sync::OnceLock::new(),
            asking_version: Default::default(),
        }
    }

    /// Pin every command to `controller` (site `juju.controller`).
    pub fn with_controller(self, controller: Option<String>) -> Self {
        if let Some(c) = controller.filter(|c| !c.is_empty()) {
            let _ = self.controller.set(c);
        }
        self
    }

    /// Pin every later command to `controller`, the one the detection read and froze: a
    /// `juju switch` in another shell mid-run then changes nothing. Pinning to another
    /// controller than the one already pinned is an error.
    pub fn pin(&self, controller: &str) -> Result<()> {
        let pinned = self.controller.get_or_init(|| controller.to_string());
        if pinned != controller {
            bail!("internal error: juju commands are pinned to controller `{pinned}`, not `{controller}`");
        }
        Ok(())
    }

    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// The pinned controller, if any.
    pub fn controller(&self) -> Option<&str> {
        self.controller.get().map(String::as_str)
    }

    /// How a command names `model`: `CONTROLLER:MODEL` when pinned, else as given.
    pub fn target(&self, model: &str) -> String {
        match self.controller.get() {
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
        let _asking = self
            .asking_version
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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
        if let Some(c) = self.controller.get() {
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

    /// `juju show-model CONTROLLER:MODEL --format json`, as Juju printed it (a backup keeps
    /// it whole when the bundle cannot be exported). Anything but a JSON object is an error.
    pub fn show_model_json(&self, model: &str) -> Result<String> {
        let model = self.target(model);
        self.json_object(&["show-model", model.as_str(), "--format", "json"])
    }

    /// `juju model-config -m MODEL --format json`, as Juju printed it (for a backup, like
    /// [`Self::show_model_json`]).
    pub fn model_config_json(&self, model: &str) -> Result<String> {
        let model = self.target(model);
        self.json_object(&["model-config", "-m", model.as_str(), "--format", "json"])
    }

    /// Run a read that prints one JSON object; return its text unchanged.
    fn json_object(&self, args: &[&str]) -> Result<String> {
        let out = self.run(args)?;
        match serde_json::from_str::<serde_json::Value>(&out) {
            Ok(serde_json::Value::Object(_)) => Ok(out),
            Ok(_) => bail!("`{}` printed JSON that is not an object", self.line(args)),
            Err(e) => bail!(
                "cannot read the output of `{}`: not JSON ({e})",
                self.line(args)
            ),
        }
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
                // Juju breaks a long row of dots onto lines of their own: the last line
                // that says something is the last count of what is left.
                last_line: transcript
                    .lines()
                    .rev()
                    .find(|l| !l.trim().trim_matches('.').is_empty())
                    .unwrap_or("")
                    .to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    use crate::clients::juju::test_support::{
        fake_juju, fake_juju_version, out, wait_gone, MODELS, MODELS_4,
    };
    use crate::clients::juju::Family;

    /// A client with a 10 s timeout on a fake `juju` (in `dir`) that runs `body`.
    fn client(dir: &tempfile::TempDir, body: &str) -> JujuClient {
        JujuClient::new(fake_juju(dir, body), Duration::from_secs(10))
    }

    /// `destroy-model MODEL` with the default options, waiting up to `secs`, each progress
    /// line handed to `progress`.
    fn destroy(
        c: &JujuClient,
        model: &str,
        secs: u64,
        progress: &mut dyn FnMut(&str),
    ) -> Result<DestroyOutcome> {
        c.destroy_model(
            model,
            &DestroyOptions::default(),
            Duration::from_secs(secs),
            progress,
        )
    }

    #[test]
    fn subprocess_success_reads_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let c = client(
            &dir,
            &format!("[ \"$1 $2 $3\" = 'models --format json' ] || exit 9\ncat <<'J'\n{MODELS}\nJ"),
        );
        assert_eq!(c.models().unwrap().len(), 3);
        assert_eq!(c.model("openstack", "admin").unwrap().unwrap().uuid, "u-os");
        assert!(c.model("nope", "admin").unwrap().is_none());
    }

    /// A call on `JujuClient` that fails.
    type Failing = fn(&JujuClient) -> anyhow::Error;

    #[test]
    fn a_failed_command_is_an_error_with_its_argv_and_output() {
        // (the fake's script, the call, the error exactly: `{bin}` is the fake's path)
        let cases: [(&str, Failing, &str); 6] = [
            (
                "echo 'ERROR model maas-ctl:admin/openstack not found' >&2\nexit 1",
                |c| c.status("openstack").unwrap_err(),
                "`{bin} status -m openstack --format json` failed (exit status 1)\nstderr:\nERROR model maas-ctl:admin/openstack not found",
            ),
            (
                "echo '{\"models\": [oops'",
                |c| c.models().unwrap_err(),
                "cannot read the output of `{bin} models --format json`: `juju models` output is not the JSON Juju prints (expected `{\"models\": [...]}`): expected value at line 1 column 13",
            ),
            (
                "echo 'ERROR \"admin/controller\" is a controller; use '\"'\"'juju destroy-controller'\"'\"' to destroy it' >&2\nexit 1",
                |c| destroy(c, "controller", 10, &mut |_| {}).unwrap_err(),
                "`{bin} destroy-model controller --force --no-wait --destroy-storage --no-prompt` failed (exit status 1)\nstderr:\nERROR \"admin/controller\" is a controller; use 'juju destroy-controller' to destroy it",
            ),
            // A destroy CLI that dies mid-way: the command and what it had said.
            (
                "echo 'Destroying model' >&2\nkill -9 $$",
                |c| destroy(c, "m", 10, &mut |_| {}).unwrap_err(),
                "`{bin} destroy-model m --force --no-wait --destroy-storage --no-prompt` failed (killed by signal 9 (SIGKILL))\nstderr:\nDestroying model",
            ),
            // A failed remove-machine keeps what it printed on stdout.
            (
                "echo 'will remove machine 3'\necho 'ERROR removing machine failed: machine 3 is the controller' >&2\nexit 1",
                |c| c.remove_machine("openstack", "3", &RemoveOptions::default()).unwrap_err(),
                "`{bin} remove-machine -m openstack --force --no-prompt --no-wait 3` failed (exit status 1)\nstderr:\nwill remove machine 3\nERROR removing machine failed: machine 3 is the controller",
            ),
            (
                "exit 0",
                |c| c.export_bundle("m").unwrap_err(),
                "`{bin} export-bundle -m m` printed nothing (and exited 0); expected the bundle YAML",
            ),
        ];
        for (script, call, error) in cases {
            let dir = tempfile::tempdir().unwrap();
            let c = client(&dir, script);
            let bin = c.bin().to_string();
            assert_eq!(format!("{:#}", call(&c)), error.replace("{bin}", &bin));
        }
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
        let c = client(&dir, "echo \"$@\" > \"$OUT\"\necho 'Destroying model' >&2\necho 'Waiting for model to be removed, 2 machine(s), 1 application(s)....' >&2\necho 'Model destroyed.' >&2");
        let mut lines = Vec::new();
        let outcome = destroy(&c, "openstack", 10, &mut |l| lines.push(l.to_string())).unwrap();
        assert_eq!(outcome, DestroyOutcome::Destroyed);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], "Model destroyed.");
        assert_eq!(
            out(&dir),
            "destroy-model openstack --force --no-wait --destroy-storage --no-prompt"
        );
    }

    #[test]
    fn at_the_deadline_the_last_count_is_reported_past_a_wrapped_row_of_dots() {
        // Juju breaks a long row of dots onto a line of its own.
        let dir = tempfile::tempdir().unwrap();
        let dots = ".".repeat(80);
        let bin = fake_juju(
            &dir,
            &format!("printf 'Destroying model\\nWaiting for model to be removed, 1 machine(s)...\\n{dots}\\n...' >&2\nsleep 30"),
        );
        let outcome = JujuClient::new(bin, Duration::from_secs(60))
            .destroy_model(
                "m",
                &DestroyOptions::default(),
                Duration::from_secs(1),
                &mut |_| {},
            )
            .unwrap();
        match outcome {
            DestroyOutcome::StillInProgress { last_line, .. } => {
                assert_eq!(
                    last_line,
                    "Waiting for model to be removed, 1 machine(s)..."
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_destroy_still_waiting_at_the_deadline_is_stopped_and_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let body = "echo $$ > \"$OUT\"\necho 'Destroying model' >&2\nprintf 'Waiting for model to be removed, 2 machine(s)...' >&2\nsleep 30";
        let c = JujuClient::new(fake_juju(&dir, body), Duration::from_secs(60));
        let started = Instant::now();
        let mut seen = 0;
        let outcome = destroy(&c, "m", 2, &mut |_| seen += 1).unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        match outcome {
            DestroyOutcome::StillInProgress { waited, last_line } => {
                assert_eq!(waited, Duration::from_secs(2));
                assert!(last_line.starts_with("Waiting for model"), "{last_line}");
            }
            other => panic!("{other:?}"),
        }
        assert!(seen >= 1);
        wait_gone(&out(&dir), "the destroy CLI");
    }

    #[test]
    fn remove_machine_returns_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let c = client(
            &dir,
            "echo \"$@\" > \"$OUT\"\nfor a; do last=$a; done\necho \"will remove machine $last\"",
        );
        let stdout = c
            .remove_machine("openstack", "2/lxd/1", &RemoveOptions::default())
            .unwrap();
        assert_eq!(stdout, "will remove machine 2/lxd/1\n");
        assert_eq!(
            out(&dir),
            "remove-machine -m openstack --force --no-prompt --no-wait 2/lxd/1"
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
            let bin = fake_juju_version(&dir, version, "touch \"$OUT\"");
            let c = JujuClient::new(bin.clone(), Duration::from_secs(10));
            let e = format!("{:#}", c.models().unwrap_err());
            assert!(
                e.contains(want) && e.contains(&format!("`{bin} version`")),
                "{version}: {e}"
            );
            let e = format!("{:#}", destroy(&c, "m", 5, &mut |_| {}).unwrap_err());
            assert!(e.contains(want), "{e}");
            assert!(
                !dir.path().join("out").exists(),
                "{version}: another command ran after the version check"
            );
        }
    }

    #[test]
    fn destroy_can_be_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let body = "echo 'Destroying model' >&2\nsleep 30";
        let c = JujuClient::new(fake_juju(&dir, body), Duration::from_secs(60));
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
}
