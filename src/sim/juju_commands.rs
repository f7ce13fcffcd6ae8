//! The juju commands, executed inside the server against the cloud state: Juju 3.x
//! argument rules, prompts, errors (`ERROR ...`, non-zero exit) and outputs. The shim
//! (`juju_shim.rs`) only relays argv, prompt answers and the output.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::juju_formats::{self, JUJU_VERSION};
use super::state::{Cloud, Model};

#[derive(Debug, Serialize, Deserialize)]
pub struct JujuRequest {
    pub argv: Vec<String>,
    /// True once the shim has shown the prompt; `answer` None then means stdin hit EOF.
    #[serde(default)]
    pub asked: bool,
    #[serde(default)]
    pub answer: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct JujuReply {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// Set when the command must ask the operator first; the shim shows it and asks again.
    pub prompt: Option<String>,
    /// Set by a blocking `destroy-model`: the shim waits for this model uuid to go.
    pub wait_for_model: Option<String>,
}

impl JujuReply {
    fn ok(stdout: String) -> JujuReply {
        JujuReply {
            stdout,
            ..JujuReply::default()
        }
    }
    fn error(code: i32, message: &str) -> JujuReply {
        JujuReply {
            stderr: format!("ERROR {message}\n"),
            code,
            ..JujuReply::default()
        }
    }
}

/// The model a bare `juju status` talks to (as if `juju switch openstack` had been run).
const CURRENT_MODEL: &str = "openstack";
const GLOBAL_BOOLS: [&str; 6] = [
    "--debug",
    "--quiet",
    "--verbose",
    "--show-log",
    "-B",
    "--no-browser-login",
];

struct Args {
    bools: HashSet<String>,
    values: HashMap<String, String>,
    positional: Vec<String>,
}

impl Args {
    fn has(&self, flag: &str) -> bool {
        self.bools.contains(flag)
    }
    fn value(&self, flag: &str) -> Option<&str> {
        self.values.get(flag).map(String::as_str)
    }
}

/// Go-flag style parsing: `--flag`, `--flag=value`, `--flag value`, `-m value`.
fn parse(args: &[String], bools: &[&str], values: &[&str]) -> Result<Args, String> {
    let mut out = Args {
        bools: HashSet::new(),
        values: HashMap::new(),
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if !arg.starts_with('-') || arg == "-" {
            out.positional.push(arg.clone());
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if bools.contains(&name.as_str()) || GLOBAL_BOOLS.contains(&name.as_str()) {
            out.bools.insert(name);
        } else if values.contains(&name.as_str()) {
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("option needs an argument: {name}"))?,
            };
            out.values.insert(name, value);
        } else {
            return Err(format!(
                "option provided but not defined: {}",
                name.trim_start_matches('-')
            ));
        }
    }
    Ok(out)
}

/// Resolves `[controller:][owner/]model` or a model uuid to a model.
fn resolve<'a>(cloud: &'a Cloud, spec: &str) -> Result<&'a Model, String> {
    let (controller, rest) = match spec.split_once(':') {
        Some((c, r)) => (Some(c), r),
        None => (None, spec),
    };
    if let Some(c) = controller {
        if c != cloud.controller_name {
            return Err(format!("controller {c} not found"));
        }
    }
    let (owner, name) = match rest.split_once('/') {
        Some((o, n)) => (o, n),
        None => (cloud.user.as_str(), rest),
    };
    cloud
        .models
        .iter()
        .find(|m| (m.name == name && m.owner == owner) || m.uuid == rest)
        .ok_or_else(|| format!("model {}:{owner}/{name} not found", cloud.controller_name))
}

fn format_of(args: &Args) -> Result<&str, String> {
    match args
        .value("--format")
        .or(args.value("-o"))
        .unwrap_or("tabular")
    {
        f @ ("json" | "tabular" | "yaml") => Ok(f),
        other => Err(format!(
            "invalid value \"{other}\" for option --format: unknown format \"{other}\""
        )),
    }
}

/// Runs one juju command. Returns the reply and whether it changed the cloud.
pub fn run(cloud: &mut Cloud, req: &JujuRequest) -> (JujuReply, bool) {
    let Some((command, rest)) = req.argv.split_first() else {
        return (JujuReply::error(2, "no command specified; the simulator implements: models, show-model, status, machines, controllers, export-bundle, destroy-model, remove-machine, version"), false);
    };
    if cloud.faults.juju_fails(command) {
        return (JujuReply::error(1, &format!("cannot connect to API: simulated failure of `juju {command}` (fault juju-fail:{command})")), false);
    }
    let result = match command.as_str() {
        "version" => Ok((
            JujuReply::ok(format!("{JUJU_VERSION}-genericlinux-amd64\n")),
            false,
        )),
        "models" | "list-models" => read_only(
            command,
            cloud,
            rest,
            &["--all", "--uuid", "--exact-time"],
            &["--format", "-o", "-c", "--controller", "--user"],
            |c, _| {
                let current = c.model(CURRENT_MODEL).map(|m| m.name.clone());
                Ok(juju_formats::models(c, current.as_deref()))
            },
        ),
        "controllers" | "list-controllers" => read_only(
            command,
            cloud,
            rest,
            &["--refresh", "--managed"],
            &["--format", "-o"],
            |c, _| {
                let current = c.model(CURRENT_MODEL).map(|m| m.name.clone());
                Ok(juju_formats::controllers(c, current.as_deref()))
            },
        ),
        "show-model" => read_only(command, cloud, rest, &[], &["--format", "-o"], |c, a| {
            let spec = a
                .positional
                .first()
                .map(String::as_str)
                .unwrap_or(CURRENT_MODEL);
            Ok(juju_formats::show_model(c, resolve(c, spec)?))
        }),
        "status" => read_only(
            command,
            cloud,
            rest,
            &[
                "--relations",
                "--storage",
                "--no-color",
                "--color",
                "--integrations",
                "--utc",
            ],
            &["--format", "-o", "-m", "--model"],
            |c, a| Ok(juju_formats::status(c, resolve(c, model_arg(a))?)),
        ),
        "machines" | "list-machines" => read_only(
            command,
            cloud,
            rest,
            &["--utc"],
            &["--format", "-o", "-m", "--model"],
            |c, a| Ok(juju_formats::machines(c, resolve(c, model_arg(a))?)),
        ),
        "export-bundle" => export_bundle(cloud, rest),
        "destroy-model" => destroy_model(cloud, rest, req),
        "remove-machine" => remove_machine(cloud, rest, req),
        other => Err((
            1,
            format!("juju: \"{other}\" is not a juju command. See \"juju --help\"."),
        )),
    };
    let (mut reply, changed) =
        result.unwrap_or_else(|(code, msg)| (JujuReply::error(code, &msg), false));
    if reply.code == 0 {
        cloud.faults.juju_succeeded(command);
    }
    if reply.code == 0 && cloud.faults.juju_malformed(command) && !reply.stdout.is_empty() {
        let cut = reply.stdout.len() / 2;
        let cut = (0..=cut)
            .rev()
            .find(|&i| reply.stdout.is_char_boundary(i))
            .unwrap_or(0);
        reply.stdout = format!("{}\u{1b}[0m\n", &reply.stdout[..cut]);
    }
    (reply, changed)
}

type Outcome = Result<(JujuReply, bool), (i32, String)>;

fn model_arg(a: &Args) -> &str {
    a.value("-m")
        .or(a.value("--model"))
        .unwrap_or(CURRENT_MODEL)
}

fn read_only(
    command: &str,
    cloud: &Cloud,
    rest: &[String],
    bools: &[&str],
    values: &[&str],
    render: impl Fn(&Cloud, &Args) -> Result<serde_json::Value, String>,
) -> Outcome {
    let args = parse(rest, bools, values).map_err(|e| (2, e))?;
    let format = format_of(&args).map_err(|e| (2, e))?;
    let value = render(cloud, &args).map_err(|e| (1, e))?;
    let out = match format {
        "json" => format!("{value}\n"),
        "yaml" => juju_formats::yaml(&value),
        _ => juju_formats::tabular(command, &value),
    };
    Ok((JujuReply::ok(out), false))
}

fn export_bundle(cloud: &Cloud, rest: &[String]) -> Outcome {
    let args = parse(
        rest,
        &["--include-charm-defaults", "--include-series"],
        &["-m", "--model", "--filename"],
    )
    .map_err(|e| (2, e))?;
    let model = resolve(cloud, model_arg(&args)).map_err(|e| (1, e))?;
    // A recorded cloud answers with the recorded bundle (or the recorded failure).
    let recorded = cloud
        .replay
        .as_ref()
        .and_then(|r| r.bundles.get(&model.uuid));
    let yaml = match recorded {
        Some(Ok(yaml)) => yaml.clone(),
        Some(Err(e)) => return Err((1, e.trim_start_matches("ERROR ").to_string())),
        None => juju_formats::bundle(model),
    };
    match args.value("--filename") {
        Some(path) => {
            std::fs::write(path, yaml).map_err(|e| (1, format!("open {path}: {e}")))?;
            Ok((
                JujuReply::ok(format!("Bundle successfully exported to {path}\n")),
                false,
            ))
        }
        None => Ok((JujuReply::ok(yaml), false)),
    }
}

fn destroy_model(cloud: &mut Cloud, rest: &[String], req: &JujuRequest) -> Outcome {
    let args = parse(
        rest,
        &[
            "--no-prompt",
            "--force",
            "--no-wait",
            "--destroy-storage",
            "--release-storage",
        ],
        &["--timeout", "-t"],
    )
    .map_err(|e| (2, e))?;
    let force = args.has("--force");
    match args.positional.as_slice() {
        [] => return Err((2, "no model specified".to_string())),
        [_] => {}
        [_, extra @ ..] => return Err((2, format!("unrecognized args: {extra:?}"))),
    }
    if args.has("--no-wait") && !force {
        return Err((2, "--no-wait without --force not valid".to_string()));
    }
    if (args.value("--timeout").is_some() || args.value("-t").is_some()) && !force {
        return Err((2, "--timeout without --force not valid".to_string()));
    }
    if args.has("--destroy-storage") && args.has("--release-storage") {
        return Err((
            2,
            "--destroy-storage and --release-storage cannot both be specified".to_string(),
        ));
    }
    let spec = &args.positional[0];
    let model = resolve(cloud, spec).map_err(|e| (1, e))?;
    if model.is_controller {
        return Err((
            1,
            format!("{spec:?} is a controller; use 'juju destroy-controller' to destroy it"),
        ));
    }
    let (name, uuid) = (model.name.clone(), model.uuid.clone());
    if !args.has("--no-prompt") {
        if !req.asked {
            let prompt = format!(
                "WARNING This command will destroy the {name:?} model and affect the following resources. It cannot be stopped.\n\n - {} machine(s) will be destroyed\n - {} application(s) will be removed\n\nTo continue, enter the name of the model to be unregistered: ",
                model.machines.len(),
                model.applications.len()
            );
            return Ok((
                JujuReply {
                    prompt: Some(prompt),
                    ..JujuReply::default()
                },
                false,
            ));
        }
        if req.answer.as_deref().map(str::trim) != Some(name.as_str()) {
            return Err((1, "model destruction: aborted".to_string()));
        }
    }
    let osd_volumes = model
        .applications
        .iter()
        .find(|a| a.name == "ceph-osd")
        .map_or(0, |a| a.units.len());
    if osd_volumes > 0 && !args.has("--destroy-storage") && !args.has("--release-storage") {
        return Err((1, format!(
            "cannot destroy model {name:?}\n\nThe model has persistent storage remaining:\n\t{osd_volumes} volumes and 0 filesystems\n\nTo destroy the storage, run the destroy-model\ncommand again with the \"--destroy-storage\" option.\n\nTo release the storage from Juju's management\nwithout destroying it, use the \"--release-storage\"\noption instead. The storage can then be imported\ninto another Juju model.\n"
        )));
    }
    let changed = cloud.destroy_model(&name, force);
    let mut reply = JujuReply {
        stderr: "Destroying model\n".to_string(),
        ..JujuReply::default()
    };
    if !args.has("--no-wait") {
        reply.wait_for_model = Some(uuid);
    }
    Ok((reply, changed))
}

fn remove_machine(cloud: &mut Cloud, rest: &[String], req: &JujuRequest) -> Outcome {
    let args = parse(
        rest,
        &[
            "--force",
            "--no-wait",
            "--keep-instance",
            "--dry-run",
            "--no-prompt",
        ],
        &["-m", "--model"],
    )
    .map_err(|e| (2, e))?;
    if args.positional.is_empty() {
        return Err((2, "no machines specified".to_string()));
    }
    if let Some(bad) = args.positional.iter().find(|id| id.parse::<u32>().is_err()) {
        return Err((2, format!("invalid machine id {bad:?}")));
    }
    if args.has("--no-wait") && !args.has("--force") {
        return Err((2, "--no-wait without --force not valid".to_string()));
    }
    let force = args.has("--force");
    let model = resolve(cloud, model_arg(&args)).map_err(|e| (1, e))?;
    let model_name = model.name.clone();
    let mut plan = String::new();
    let mut errors = String::new();
    let mut accepted = Vec::new();
    for id in &args.positional {
        let Some(machine) = model.machines.iter().find(|m| &m.id == id) else {
            errors.push_str(&format!(
                "ERROR removing machine failed: machine {id} not found\n"
            ));
            continue;
        };
        let units = model.unit_names_on(id);
        if !force && (!units.is_empty() || machine.stuck) {
            let reason = match units.first() {
                Some(u) => format!("machine {id} has unit {u:?} assigned"),
                None => format!("machine {id} is dying; use --force"),
            };
            errors.push_str(&format!("ERROR removing machine failed: {reason}\n"));
            continue;
        }
        plan.push_str(&format!("will remove machine {id}\n"));
        for u in units {
            plan.push_str(&format!("- will remove unit {u}\n"));
        }
        accepted.push(id.clone());
    }
    if !args.has("--no-prompt") && !accepted.is_empty() && !args.has("--dry-run") {
        if !req.asked {
            let prompt = format!("WARNING This command will perform the following actions:\n{plan}\nContinue [y/N]? ");
            return Ok((
                JujuReply {
                    prompt: Some(prompt),
                    ..JujuReply::default()
                },
                false,
            ));
        }
        if !matches!(
            req.answer.as_deref().map(str::trim),
            Some("y" | "Y" | "yes")
        ) {
            return Err((1, "machine removal: aborted".to_string()));
        }
    }
    let changed = !args.has("--dry-run") && !accepted.is_empty();
    if changed {
        for id in &accepted {
            cloud.remove_machine(&model_name, id, args.has("--keep-instance"));
        }
    }
    let code = if errors.is_empty() { 0 } else { 1 };
    Ok((
        JujuReply {
            stdout: plan,
            stderr: errors,
            code,
            ..JujuReply::default()
        },
        changed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{clock::Clock, faults::Faults, scenario};

    fn juju(cloud: &mut Cloud, line: &str) -> JujuReply {
        let req = JujuRequest {
            argv: line.split_whitespace().map(str::to_string).collect(),
            asked: true,
            answer: None,
        };
        run(cloud, &req).0
    }

    fn dirty() -> Cloud {
        scenario::build("dirty", Faults::default(), Clock::new(1.0)).unwrap()
    }

    #[test]
    fn destroy_model_argument_rules() {
        let mut c = dirty();
        for (line, want) in [
            (
                "destroy-model -m openstack --no-prompt",
                "ERROR option provided but not defined: m",
            ),
            ("destroy-model --no-prompt", "ERROR no model specified"),
            (
                "destroy-model openstack --no-wait --no-prompt",
                "ERROR --no-wait without --force not valid",
            ),
            (
                "destroy-model openstack --timeout 5m --no-prompt",
                "ERROR --timeout without --force not valid",
            ),
            (
                "destroy-model openstack --destroy-storage --release-storage --no-prompt",
                "cannot both be specified",
            ),
            (
                "destroy-model controller --no-prompt",
                "is a controller; use 'juju destroy-controller'",
            ),
            (
                "destroy-model nope --no-prompt --destroy-storage",
                "ERROR model maas-controller:admin/nope not found",
            ),
            (
                "destroy-model openstack --force --no-wait",
                "ERROR model destruction: aborted",
            ),
            (
                "destroy-model openstack --no-prompt",
                "persistent storage remaining",
            ),
        ] {
            let r = juju(&mut c, line);
            assert!(r.code != 0 && r.stderr.contains(want), "{line}: {r:?}");
        }
        assert!(!c.model("openstack").unwrap().dying);
        let r = juju(
            &mut c,
            "destroy-model openstack --force --no-wait --destroy-storage --no-prompt",
        );
        assert_eq!(
            (r.code, r.stderr.as_str(), r.wait_for_model.is_none()),
            (0, "Destroying model\n", true)
        );
        assert!(c.model("openstack").unwrap().dying);
    }

    #[test]
    fn remove_machine_needs_force_for_units_and_a_prompt_answer() {
        let mut c = dirty();
        let r = juju(&mut c, "remove-machine -m openstack 0 --no-prompt");
        assert_eq!(
            r.stderr,
            "ERROR removing machine failed: machine 0 has unit \"ceph-osd/0\" assigned\n"
        );
        let r = juju(&mut c, "remove-machine -m openstack 0 --force");
        assert_eq!(r.stderr, "ERROR machine removal: aborted\n");
        let r = juju(&mut c, "remove-machine -m openstack 0 --force --no-prompt");
        assert_eq!(r.code, 0);
        assert!(
            r.stdout
                .starts_with("will remove machine 0\n- will remove unit ceph-osd/0\n"),
            "{}",
            r.stdout
        );
    }

    #[test]
    fn read_only_commands_print_json() {
        let mut c = dirty();
        let models: serde_json::Value =
            serde_json::from_str(&juju(&mut c, "models --format json").stdout).unwrap();
        assert_eq!(models["models"][1]["short-name"], "openstack");
        assert_eq!(models["current-model"], "openstack");
        let status: serde_json::Value =
            serde_json::from_str(&juju(&mut c, "status -m openstack --format json").stdout)
                .unwrap();
        assert_eq!(status["machines"].as_object().unwrap().len(), 5);
        let machines: serde_json::Value = serde_json::from_str(
            &juju(
                &mut c,
                "machines -m maas-controller:admin/openstack --format json",
            )
            .stdout,
        )
        .unwrap();
        assert_eq!(machines["model"], "openstack");
        assert!(juju(&mut c, "export-bundle -m openstack")
            .stdout
            .contains("ceph-osd:"));
        assert_eq!(juju(&mut c, "frobnicate").code, 1);
        assert!(juju(&mut c, "status --format xml")
            .stderr
            .contains("unknown format"));
        assert!(juju(&mut c, "models").stdout.contains("openstack*"));
        let yaml = juju(&mut c, "machines -m openstack --format=yaml").stdout;
        assert!(yaml.starts_with("machines:\n  \"0\":\n"), "{yaml}");
    }
}
