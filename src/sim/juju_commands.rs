//! The juju commands, executed inside the server against the cloud state: Juju 3.x
//! argument rules, prompts, errors (`ERROR ...`, non-zero exit) and outputs. The shim
//! (`juju_shim.rs`) only relays argv, prompt answers and the output.
//! Over 600 lines with its tests (about 550 of code): the commands share one argument
//! parser and its rules, and each command's tests sit beside it.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::juju_formats;
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
/// What Juju says when no controller is registered.
const NO_CONTROLLERS: &str = "No controllers registered.\n\nPlease either create a new controller using \"juju bootstrap\" or connect to\nanother controller that you have been given access to using \"juju register\".";
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

/// Resolves `[controller:][owner/]model` or a model uuid to a model, like Juju: on the named
/// controller, else the current one; an unqualified name is the logged-in user's model.
fn resolve<'a>(cloud: &'a Cloud, spec: &str) -> Result<&'a Model, String> {
    let (named, rest) = match spec.split_once(':') {
        Some((c, r)) => (Some(c), r),
        None => (None, spec),
    };
    let controller = cloud.addressed_controller(named)?;
    let (owner, name) = rest.split_once('/').unwrap_or((cloud.user.as_str(), rest));
    cloud
        .models
        .iter()
        .filter(|m| m.controller_uuid == controller.uuid)
        .find(|m| (m.name == name && m.owner == owner) || m.uuid == rest)
        .ok_or_else(|| format!("model {}:{owner}/{name} not found", controller.name))
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
        return (JujuReply::error(2, "no command specified; the simulator implements: models, show-model, model-config, status, machines, controllers, export-bundle, destroy-model, remove-machine, version"), false);
    };
    if cloud.faults.juju_fails(command) {
        return (JujuReply::error(1, &format!("cannot connect to API: simulated failure of `juju {command}` (fault juju-fail:{command})")), false);
    }
    let result = match command.as_str() {
        "version" => Ok((JujuReply::ok(cloud.juju.version_line()), false)),
        "models" | "list-models" => read_only(
            command,
            cloud,
            rest,
            &["--all", "--uuid", "--exact-time"],
            &["--format", "-o", "-c", "--controller", "--user"],
            |c, a| {
                let named = a.value("-c").or(a.value("--controller"));
                let controller = c.addressed_controller(named)?;
                let current = resolve(c, &format!("{}:{CURRENT_MODEL}", controller.name))
                    .ok()
                    .map(|m| m.name.clone());
                Ok(juju_formats::models(
                    c,
                    &controller.uuid,
                    current.as_deref(),
                ))
            },
        ),
        "controllers" | "list-controllers" => read_only(
            command,
            cloud,
            rest,
            &["--refresh", "--managed"],
            &["--format", "-o"],
            |c, _| {
                if c.registered_controllers().is_empty() {
                    return Err(NO_CONTROLLERS.to_string());
                }
                Ok(juju_formats::controllers(c))
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
        "model-config" => read_only(
            command,
            cloud,
            rest,
            &["--ignore-read-only-fields"],
            &["--format", "-o", "-m", "--model", "--file", "--reset"],
            |c, a| {
                if !a.positional.is_empty()
                    || a.value("--file").is_some()
                    || a.value("--reset").is_some()
                {
                    return Err("the simulator's model-config only lists the whole configuration: no KEY, KEY=VALUE, --file or --reset".into());
                }
                Ok(juju_formats::model_config(c, resolve(c, model_arg(a))?))
            },
        ),
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
        "disabled-commands" | "list-disabled-commands" => read_only(
            command,
            cloud,
            rest,
            &["--all"],
            &["--format", "-o", "-m", "--model"],
            |c, a| {
                resolve(c, model_arg(a))?;
                Ok(disabled_commands(c))
            },
        ),
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
        if let Some(host) = cloud.faults.take_machine_join(command) {
            cloud.join_machine("openstack", &host);
        }
    }
    if reply.code == 0 && cloud.faults.juju_malformed(command) && !reply.stdout.is_empty() {
        reply.stdout = truncated(&reply.stdout);
    }
    (reply, changed)
}

/// `juju-malformed`: the first half of `out`, cut mid-token. A half of YAML is often still
/// valid YAML, so it ends in the last `key: value` of that half with the value opened by a
/// quote that never closes (`charm: "ceph-o`); a half of JSON never parses anyway.
fn truncated(out: &str) -> String {
    let cut = (0..=out.len() / 2)
        .rev()
        .find(|&i| out.is_char_boundary(i))
        .unwrap_or(0);
    let half = &out[..cut];
    let json = out.trim_start().starts_with(['{', '[']);
    let half = match half.rfind(": ") {
        Some(colon) if !json => {
            let value = colon + 2;
            let partial = half[value..].split('\n').next().unwrap_or("");
            format!("{}\"{}", &half[..value], partial.trim_matches('"'))
        }
        _ => half.to_string(),
    };
    format!("{half}\u{1b}[0m\n")
}

type Outcome = Result<(JujuReply, bool), (i32, String)>;

/// A machine id as Juju accepts it: `3`, or a container such as `2/lxd/1`.
fn valid_machine_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    let number = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [m] => number(m),
        rest if rest.len() % 2 == 1 => {
            number(rest[0])
                && rest[1..]
                    .chunks(2)
                    .all(|c| ["lxd", "kvm"].contains(&c[0]) && number(c[1]))
        }
        _ => false,
    }
}

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
        return Err((
            2,
            "--timeout can only be used with --force (dangerous)".to_string(),
        ));
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
    let volumes = juju_formats::volume_count(model);
    if let Some(block) = blocked(cloud, "destroy-model") {
        return Err((1, block));
    }
    if !args.has("--no-prompt") {
        if !req.asked {
            let mut prompt = format!(
                "WARNING This command will destroy the {name:?} model and affect the following resources. It cannot be stopped.\n\n - {} machine(s) will be destroyed\n - {} application(s) will be removed\n",
                model.machines.len(),
                model.applications.len()
            );
            if volumes > 0 {
                let fate = if args.has("--release-storage") {
                    "released"
                } else {
                    "destroyed"
                };
                prompt.push_str(&format!(" - {volumes} volume(s) will be {fate}\n"));
            }
            prompt.push_str("\nTo continue, enter the name of the model to be unregistered: ");
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
    if volumes > 0 && !args.has("--destroy-storage") && !args.has("--release-storage") {
        return Err((1, format!(
            "cannot destroy model {name:?}\n\nThe model has persistent storage remaining:\n    {volumes} volume(s)\n\nTo destroy the storage, run the destroy-model\ncommand again with the \"--destroy-storage\" option.\n\nTo release the storage from Juju's management\nwithout destroying it, use the \"--release-storage\"\noption instead. The storage can then be imported\ninto another Juju model.\n"
        )));
    }
    let changed = cloud.destroy_model(&uuid, force);
    // Juju blocks until the model is gone in both majors: `--no-wait` only tells the
    // controller not to wait for each entity (docs/formats.md).
    let reply = JujuReply {
        stderr: "Destroying model\n".to_string(),
        wait_for_model: Some(uuid),
        ..JujuReply::default()
    };
    Ok((reply, changed))
}

/// `juju disabled-commands --format json`: `[{"command-set": SET, "message": ...}]`.
fn disabled_commands(cloud: &Cloud) -> serde_json::Value {
    let list: Vec<serde_json::Value> = cloud
        .faults
        .disabled_commands()
        .into_iter()
        .map(|set| serde_json::json!({"command-set": set, "message": format!("protect the cloud (simulated `juju disable-command {set}`)")}))
        .collect();
    serde_json::Value::Array(list)
}

/// Juju's "operation blocked" error when `command` falls under a disabled command set.
fn blocked(cloud: &Cloud, command: &str) -> Option<String> {
    let sets = cloud.faults.disabled_commands();
    let set = sets.into_iter().find(|s| {
        *s == "all" || *s == command || (*s == "remove-object" && command != "destroy-model")
    })?;
    Some(format!(
        "cannot {}: operation blocked\n\nAll operations that change the model have been disabled for the current model.\nTo enable changes, run\n\n    juju enable-command {set}\n",
        command.replace('-', " ")
    ))
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
    if let Some(bad) = args.positional.iter().find(|id| !valid_machine_id(id)) {
        return Err((2, format!("invalid machine id {bad:?}")));
    }
    if args.has("--no-wait") && !args.has("--force") {
        return Err((2, "--no-wait without --force not valid".to_string()));
    }
    let force = args.has("--force");
    let model = resolve(cloud, model_arg(&args)).map_err(|e| (1, e))?;
    let model_uuid = model.uuid.clone();
    if let Some(block) = blocked(cloud, "remove-machine") {
        return Err((1, block));
    }
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
        // cmd/juju/machine/remove.go `logRemovedMachine`.
        if args.has("--keep-instance") {
            plan.push_str(&format!(
                "will remove machine {id} (but retaining cloud instance)\n"
            ));
        } else {
            plan.push_str(&format!("will remove machine {id}\n"));
        }
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
            cloud.remove_machine(&model_uuid, id, args.has("--keep-instance"));
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
    fn malformed_output_is_half_and_does_not_parse() {
        let faults = Faults::parse(&[
            "juju-malformed:export-bundle".to_string(),
            "juju-malformed:models".to_string(),
        ])
        .unwrap();
        let mut c = scenario::build("dirty", faults, Clock::new(1.0)).unwrap();
        let whole = juju(&mut dirty(), "export-bundle -m openstack").stdout;
        let bundle = juju(&mut c, "export-bundle -m openstack");
        assert_eq!(bundle.code, 0);
        assert!(
            bundle.stdout.len() < whole.len() * 3 / 4,
            "{}",
            bundle.stdout
        );
        let last = bundle.stdout.trim_end().lines().last().unwrap();
        assert!(last.contains(": \""), "ends in an open quote: {last:?}");
        let path = std::path::Path::new("export-bundle.yaml");
        let err = crate::backup::captures::check_content(
            path,
            crate::backup::captures::Format::Bundle,
            bundle.stdout.as_bytes(),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("quoted scalar"), "{err:#}");
        let models = juju(&mut c, "models --format json").stdout;
        assert!(serde_json::from_str::<serde_json::Value>(&models).is_err());
    }

    #[test]
    fn keep_instance_says_the_cloud_instance_is_retained() {
        let mut c = dirty();
        let r = juju(
            &mut c,
            "remove-machine -m openstack --force --no-prompt --keep-instance 1",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout
                .starts_with("will remove machine 1 (but retaining cloud instance)\n"),
            "{}",
            r.stdout
        );
        let r = juju(&mut c, "remove-machine -m openstack --force --no-prompt 2");
        assert!(
            r.stdout.starts_with("will remove machine 2\n"),
            "{}",
            r.stdout
        );
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
                "ERROR --timeout can only be used with --force (dangerous)",
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
        // Juju blocks until the model is gone whatever `--no-wait` says: the shim waits.
        assert_eq!(
            (r.code, r.stderr.as_str(), r.wait_for_model.as_deref()),
            (
                0,
                "Destroying model\n",
                Some(c.model("openstack").unwrap().uuid.as_str())
            )
        );
        assert!(c.model("openstack").unwrap().dying);
    }

    #[test]
    fn disabled_commands_are_listed_and_block() {
        let mut c = dirty();
        assert_eq!(
            juju(&mut c, "disabled-commands -m openstack --format json").stdout,
            "[]\n"
        );
        c.faults =
            crate::sim::faults::Faults::parse(&["disabled-command:destroy-model".to_string()])
                .unwrap();
        let r = juju(&mut c, "disabled-commands -m openstack --format json");
        let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(list[0]["command-set"], "destroy-model");
        let r = juju(
            &mut c,
            "destroy-model openstack --force --no-wait --destroy-storage --no-prompt",
        );
        assert!(
            r.code != 0
                && r.stderr.contains("operation blocked")
                && r.stderr.contains("juju enable-command destroy-model"),
            "{r:?}"
        );
        assert!(!c.model("openstack").unwrap().dying);
        // destroy-model does not block remove-machine.
        let r = juju(
            &mut c,
            "remove-machine -m openstack --force --no-prompt --no-wait 0",
        );
        assert_eq!(r.code, 0, "{r:?}");
    }

    #[test]
    fn container_ids_are_machine_ids() {
        let mut c = dirty();
        let r = juju(
            &mut c,
            "remove-machine -m openstack --force --no-prompt --no-wait 0/lxd/1",
        );
        assert!(r.stderr.contains("machine 0/lxd/1 not found"), "{r:?}");
        for bad in ["0/lxd", "x", "0/foo/1", "/1"] {
            let r = juju(
                &mut c,
                &format!("remove-machine -m openstack --force --no-prompt {bad}"),
            );
            assert!(r.stderr.contains("invalid machine id"), "{bad}: {r:?}");
        }
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

    fn with_faults(faults: &[&str]) -> Cloud {
        let faults = Faults::parse(&faults.iter().map(|f| f.to_string()).collect::<Vec<_>>());
        scenario::build("dirty", faults.unwrap(), Clock::new(1.0)).unwrap()
    }

    fn json(cloud: &mut Cloud, line: &str) -> serde_json::Value {
        let r = juju(cloud, line);
        assert_eq!(r.code, 0, "{line}: {r:?}");
        serde_json::from_str(&r.stdout).unwrap()
    }

    #[test]
    fn commands_address_the_named_or_the_current_controller() {
        use crate::sim::controllers::{OTHER_CONTROLLER_UUID, OTHER_OPENSTACK_UUID};
        let mut c = with_faults(&["other-controller", "other-user-model"]);
        let listed = json(&mut c, "controllers --format json");
        assert_eq!(listed["current-controller"], "lab-controller");
        assert_eq!(
            listed["controllers"]["lab-controller"]["uuid"],
            OTHER_CONTROLLER_UUID
        );
        assert_eq!(listed["controllers"]["maas-controller"]["model-count"], 3);
        // No controller named: the current one (lab-controller).
        let models = json(&mut c, "models --format json");
        let uuids: Vec<&str> = models["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model-uuid"].as_str().unwrap())
            .collect();
        assert_eq!(uuids.len(), 2);
        assert!(uuids.contains(&OTHER_OPENSTACK_UUID));
        assert_eq!(models["models"][1]["controller-name"], "lab-controller");
        let site = json(&mut c, "models -c maas-controller --format json");
        let names: Vec<&str> = site["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["admin/controller", "admin/openstack", "bob/openstack"]
        );
        // `-m MODEL`: the current controller's; `-m C:MODEL`: C's; a bare name is the user's.
        let lab = json(&mut c, "machines -m openstack --format json");
        assert_eq!(lab["machines"].as_object().unwrap().len(), 3);
        let status = json(&mut c, "status -m maas-controller:openstack --format json");
        assert_eq!(status["machines"].as_object().unwrap().len(), 5);
        assert_eq!(status["model"]["controller"], "maas-controller");
        let bob = json(
            &mut c,
            "machines -m maas-controller:bob/openstack --format json",
        );
        assert_eq!(bob["machines"].as_object().unwrap().len(), 2);
        let r = juju(&mut c, "status -m nope:openstack --format json");
        assert_eq!(r.stderr, "ERROR controller nope not found\n");
        // The destroy goes to the model on the named controller, and only to it.
        let r = juju(
            &mut c,
            "destroy-model maas-controller:openstack --force --no-wait --destroy-storage --no-prompt",
        );
        assert_eq!(r.code, 0, "{r:?}");
        let dying: Vec<(&str, &str)> = c
            .models
            .iter()
            .filter(|m| m.dying)
            .map(|m| (m.owner.as_str(), m.controller_uuid.as_str()))
            .collect();
        assert_eq!(dying, [("admin", scenario::CONTROLLER_UUID)]);
    }

    #[test]
    fn other_models_machines_carry_their_own_uuids_in_owner_data() {
        let c = with_faults(&["other-controller:registered", "other-user-model:carol"]);
        assert_eq!(c.current_controller, "maas-controller");
        for m in c
            .models
            .iter()
            .filter(|m| m.uuid != scenario::OPENSTACK_MODEL_UUID)
        {
            for jm in &m.machines {
                let node = c.machine_by_system_id(&jm.system_id).unwrap();
                assert_eq!(node.owner.as_deref(), Some(m.owner.as_str()));
                assert_eq!(node.owner_data["juju-model-uuid"], m.uuid);
                assert_eq!(node.owner_data["juju-controller-uuid"], m.controller_uuid);
            }
        }
        assert!(c.models.iter().any(|m| m.owner == "carol"));
    }

    #[test]
    fn a_controller_that_goes_is_not_found() {
        let mut c = with_faults(&["controller-gone-after:models"]);
        json(&mut c, "models -c maas-controller --format json");
        let r = juju(&mut c, "models -c maas-controller --format json");
        assert_eq!(r.stderr, "ERROR controller maas-controller not found\n");
        let r = juju(&mut c, "status -m openstack --format json");
        assert!(
            r.stderr
                .contains("current controller maas-controller not found"),
            "{r:?}"
        );
        let r = juju(&mut c, "controllers --format json");
        assert!(
            r.stderr.starts_with("ERROR No controllers registered."),
            "{r:?}"
        );
        let r = juju(
            &mut c,
            "destroy-model maas-controller:openstack --force --no-wait --destroy-storage --no-prompt",
        );
        assert!(r.code != 0 && r.stderr.contains("not found"), "{r:?}");
        assert!(!c.model("openstack").unwrap().dying);
    }

    #[test]
    fn juju_4_names_other_users_models_by_qualifier() {
        let mut c = with_faults(&["other-user-model"]);
        c.juju = juju_formats::JujuMajor::V40;
        let models = json(&mut c, "models --format json");
        let bob = &models["models"][2];
        assert_eq!(bob["name"], "bob/openstack");
        assert!(bob.get("owner").is_none());
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
