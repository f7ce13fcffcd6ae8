//! `runbook sim record`: a read-only capture of a real cloud — the Juju controller and its
//! models, the MAAS user, version and machines — written as the capture format that
//! `runbook sim serve --from` reads (documented in `src/sim/recording.rs`, version 1).
//!
//! It reads through the same clients the runbooks use, with only GETs and read-only juju
//! commands (`JujuClient::read_raw` refuses any other). Secrets are stripped before
//! anything is written.
//!
//! Cost: one machine list read. The Juju reads run on a thread of their own while MAAS
//! answers, and machine objects are passed through as MAAS sent them (split, not rebuilt)
//! unless one holds something secret-looking, which is then parsed and stripped.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::clients::juju::JujuClient;
use crate::context::RunContext;

pub const FORMAT: &str = "runbook-cloud-capture";
pub const VERSION: u64 = 1;

/// What to record.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOptions {
    /// Every MAAS machine, not only the site's targets and the recorded models' nodes.
    pub all: bool,
}

/// The capture document, in the format's field order.
#[derive(Serialize)]
pub struct CaptureDoc {
    pub format: &'static str,
    pub version: u64,
    pub recorded_at: String,
    pub site: String,
    pub all_machines: bool,
    pub maas: MaasPart,
    pub juju: Value,
}

#[derive(Serialize)]
pub struct MaasPart {
    pub url: String,
    pub version: Value,
    pub whoami: Value,
    /// Each machine object as MAAS sent it (secrets stripped).
    pub machines: Vec<Box<RawValue>>,
}

/// A capture and what it holds, for the summary line.
pub struct Capture {
    pub doc: CaptureDoc,
    pub controller: String,
    pub machines: usize,
    pub models: usize,
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).with_context(|| format!("the output of `{what}` is not JSON"))
}

/// The Juju side of a capture: controllers, models, and the recorded models' details.
struct JujuPart {
    controller: String,
    doc: Value,
    /// The MAAS system ids of the recorded models' machines and containers.
    node_ids: BTreeSet<String>,
    recorded: usize,
}

fn read_juju(juju: &JujuClient, site_models: &[String]) -> Result<JujuPart> {
    let read = |args: &[&str]| -> Result<Value> {
        let text = juju.read_raw(args)?;
        parse_json(&text, &format!("juju {}", args.join(" ")))
    };
    // Every read is its own subprocess: run them side by side.
    let (controllers, models) = std::thread::scope(|scope| {
        let controllers = scope.spawn(|| read(&["controllers", "--format", "json"]));
        // A site that names its controller is recorded from it, whichever is current.
        let models = match juju.controller() {
            Some(c) => read(&["models", "-c", c, "--format", "json"]),
            None => read(&["models", "--format", "json"]),
        };
        (joined(controllers), models)
    });
    let (controllers, models) = (controllers?, models?);
    let listed = models.get("models").and_then(Value::as_array);
    let controller = listed
        .and_then(|l| l.first())
        .and_then(|m| m.get("controller-name"))
        .or_else(|| controllers.get("current-controller"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // The site's models and the controller model, each by the name Juju prints.
    let recorded: Vec<String> = listed
        .map(|list| {
            list.iter()
                .filter(|m| {
                    m.get("is-controller").and_then(Value::as_bool) == Some(true)
                        || m.get("short-name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| site_models.iter().any(|s| s == n))
                })
                .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut details = Map::new();
    let mut node_ids = BTreeSet::new();
    // `CONTROLLER:MODEL` when the site names its controller.
    let targets: Vec<String> = recorded.iter().map(|name| juju.target(name)).collect();
    let read_all = std::thread::scope(|scope| {
        let threads: Vec<_> = targets
            .iter()
            .map(|name| {
                let reads = [
                    vec!["status", "-m", name, "--format", "json"],
                    vec!["show-model", name, "--format", "json"],
                    vec!["machines", "-m", name, "--format", "json"],
                    vec!["export-bundle", "-m", name],
                ];
                reads.map(|args| scope.spawn(move || juju.read_raw(&args)))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.map(joined))
            .collect::<Vec<_>>()
    });
    for (name, [status, show_model, machines, bundle]) in recorded.iter().zip(read_all) {
        let json = |r: Result<String>, what: &str| -> Result<Value> {
            parse_json(&r?, &format!("juju {what} {name}"))
        };
        let status = json(status, "status -m")?;
        collect_instance_ids(status.get("machines"), &mut node_ids);
        let mut d = Map::new();
        d.insert("show_model".into(), json(show_model, "show-model")?);
        d.insert("status".into(), status);
        d.insert("machines".into(), json(machines, "machines -m")?);
        // export-bundle fails on some Juju 4.0 releases: record the failure, go on.
        match bundle {
            Ok(yaml) => d.insert("bundle".into(), Value::String(yaml)),
            Err(e) => d.insert("bundle_error".into(), Value::String(format!("{e:#}"))),
        };
        details.insert(name.clone(), Value::Object(d));
    }
    let mut doc = Map::new();
    doc.insert("controller".into(), Value::String(controller.clone()));
    doc.insert("controllers".into(), controllers);
    doc.insert("models".into(), models);
    doc.insert("model_details".into(), Value::Object(details));
    Ok(JujuPart {
        controller,
        doc: Value::Object(doc),
        node_ids,
        recorded: recorded.len(),
    })
}

/// A scoped thread's result; a panic becomes an error.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    thread
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("internal error: a Juju read panicked")))
}

/// A machine list split into its objects (validated, not rebuilt), secrets stripped.
fn machine_list(body: &[u8], path: &str, secrets: &[String]) -> Result<Vec<Box<RawValue>>> {
    let raw: Vec<&RawValue> = serde_json::from_slice(body)
        .with_context(|| format!("the answer to `GET {path}` is not a machine list"))?;
    let mut scan = SecretScan::new(secrets);
    let mut machines = Vec::with_capacity(raw.len());
    for m in raw {
        if !scan.may_hold_secret(m.get()) {
            machines.push(m.to_owned());
            continue;
        }
        let stripped = serde_json::from_str(m.get()).and_then(|mut value: Value| {
            strip_secrets(&mut value, secrets);
            serde_json::value::to_raw_value(&value)
        });
        machines.push(stripped.with_context(|| format!("cannot read the answer to `GET {path}`"))?);
    }
    Ok(machines)
}

/// A cheap scan for text that may hold a secret: a secret-naming word, in any case (as a
/// key would be written), or one of the run's secrets. Each object is lower-cased into one
/// reused buffer and searched with SIMD substring finders; a hit only means the object is
/// parsed and stripped properly.
struct SecretScan {
    finders: Vec<memchr::memmem::Finder<'static>>,
    lower: Vec<u8>,
}

impl SecretScan {
    fn new(secrets: &[String]) -> SecretScan {
        let words = SECRET_WORDS.iter().map(|w| w.to_string());
        let finders = words
            .chain(secrets.iter().map(|s| s.to_ascii_lowercase()))
            .map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned())
            .collect();
        SecretScan {
            finders,
            lower: Vec::new(),
        }
    }

    fn may_hold_secret(&mut self, text: &str) -> bool {
        self.lower.clear();
        self.lower.extend_from_slice(text.as_bytes());
        self.lower.make_ascii_lowercase();
        self.finders.iter().any(|f| f.find(&self.lower).is_some())
    }
}

/// Records the cloud `ctx` talks to.
pub fn record(ctx: &RunContext, options: RecordOptions) -> Result<Capture> {
    let site = ctx.site();
    let juju = ctx.juju()?;
    let maas = ctx.maas()?;
    let secrets = ctx
        .maas_api_key()
        .map(|k| secret_parts(&k))
        .unwrap_or_default();
    let machines_path = if options.all {
        "machines/".to_string()
    } else {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(site.targets.iter().map(|h| ("hostname", h)));
        format!("machines/?{}", query.finish())
    };
    let (juju_part, maas_part) = std::thread::scope(|scope| {
        let juju_thread = scope.spawn(|| read_juju(juju, &site.models));
        let maas_part = ctx.read(async {
            futures::try_join!(
                maas.get_raw("version/"),
                maas.get_raw("users/?op=whoami"),
                maas.get_raw(&machines_path),
            )
        });
        let juju_part = joined(juju_thread);
        (juju_part, maas_part)
    });
    let mut juju_part = juju_part?;
    let (version, whoami, body) = maas_part?;
    let mut machines = machine_list(&body, &machines_path, &secrets)?;
    drop(body);
    if !options.all {
        // The nodes of the recorded models that are not targets (the controller's node).
        let have: BTreeSet<String> = machines
            .iter()
            .filter_map(|m| {
                #[derive(serde::Deserialize)]
                struct Id {
                    system_id: String,
                }
                serde_json::from_str::<Id>(m.get())
                    .ok()
                    .map(|i| i.system_id)
            })
            .collect();
        let missing: Vec<&String> = juju_part.node_ids.difference(&have).collect();
        if !missing.is_empty() {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(missing.iter().map(|id| ("id", id.as_str())));
            let path = format!("machines/?{}", query.finish());
            let more = ctx.read(maas.get_raw(&path))?;
            machines.extend(machine_list(&more, &path, &secrets)?);
        }
    }
    let small = |bytes: &[u8], what: &str| -> Result<Value> {
        let mut v: Value =
            serde_json::from_slice(bytes).with_context(|| format!("`GET {what}` is not JSON"))?;
        strip_secrets(&mut v, &secrets);
        Ok(v)
    };
    let maas_doc = MaasPart {
        url: maas.base().to_string(),
        version: small(&version, "version/")?,
        whoami: small(&whoami, "users/?op=whoami")?,
        machines,
    };
    strip_secrets(&mut juju_part.doc, &secrets);
    let machine_count = maas_doc.machines.len();
    Ok(Capture {
        doc: CaptureDoc {
            format: FORMAT,
            version: VERSION,
            recorded_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            site: site.name.clone(),
            all_machines: options.all,
            maas: maas_doc,
            juju: juju_part.doc,
        },
        controller: juju_part.controller,
        machines: machine_count,
        models: juju_part.recorded,
    })
}

/// The `instance-id` of every machine and container in a status `machines` map.
fn collect_instance_ids(machines: Option<&Value>, out: &mut BTreeSet<String>) {
    let Some(map) = machines.and_then(Value::as_object) else {
        return;
    };
    for m in map.values() {
        if let Some(id) = m.get("instance-id").and_then(Value::as_str) {
            out.insert(id.to_string());
        }
        collect_instance_ids(m.get("containers"), out);
    }
}

/// The API key and each of its three parts (long enough to be unambiguous).
fn secret_parts(key: &str) -> Vec<String> {
    std::iter::once(key)
        .chain(key.split(':'))
        .filter(|s| s.len() >= 8)
        .map(str::to_string)
        .collect()
}

/// Key names that hold secrets in Juju or MAAS output.
fn secret_key(key: &str) -> bool {
    // Most keys are lower case already: lower only the others (no allocation per key).
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        let k = key.to_ascii_lowercase();
        SECRET_WORDS.iter().any(|s| k.contains(s))
    } else {
        SECRET_WORDS.iter().any(|s| key.contains(s))
    }
}

const SECRET_WORDS: [&str; 8] = [
    "password",
    "power_pass",
    "secret",
    "token",
    "api-key",
    "api_key",
    "private-key",
    "private_key",
];

/// Drops secret-named keys and redacts any text that holds one of `secrets`.
pub fn strip_secrets(value: &mut Value, secrets: &[String]) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !secret_key(k));
            map.values_mut().for_each(|v| strip_secrets(v, secrets));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_secrets(v, secrets)),
        Value::String(s) if secrets.iter().any(|x| s.contains(x.as_str())) => {
            *s = "(redacted)".to_string();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_stripped_by_key_and_by_value() {
        let mut v = json!({
            "controllers": {"c": {"uuid": "u", "password": "p", "access-token": "t"}},
            "note": "key was CKCKCKCK:TKTKTKTK:TSTSTSTSTS", "list": ["TSTSTSTSTS", "ok"],
        });
        strip_secrets(&mut v, &secret_parts("CKCKCKCK:TKTKTKTK:TSTSTSTSTS"));
        assert_eq!(
            v,
            json!({"controllers": {"c": {"uuid": "u"}}, "note": "(redacted)", "list": ["(redacted)", "ok"]})
        );
    }

    #[test]
    fn machine_objects_pass_through_unless_they_look_secret() {
        let secrets = secret_parts("CKCKCKCK:TKTKTKTK:TSTSTSTSTS");
        let body = br#"[{"system_id":"a","n":1}, {"system_id":"b","power_parameters":{"power_pass":"x","Api_Key":"k"}}, {"system_id":"c","c":"TSTSTSTSTS"}, {"system_id":"d","Client_SECRET":"y"}]"#;
        let list = machine_list(body, "machines/", &secrets).unwrap();
        let text: Vec<&str> = list.iter().map(|m| m.get()).collect();
        assert_eq!(
            text[0], r#"{"system_id":"a","n":1}"#,
            "passed through as sent"
        );
        assert_eq!(text[1], r#"{"power_parameters":{},"system_id":"b"}"#);
        assert_eq!(text[2], r#"{"c":"(redacted)","system_id":"c"}"#);
        assert_eq!(text[3], r#"{"system_id":"d"}"#, "a secret word in any case");
        assert!(machine_list(b"[{", "machines/", &secrets).is_err());
    }
}
