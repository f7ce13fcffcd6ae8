//! `runbook sim record`: a read-only capture of a real cloud — the Juju controller and its
//! models, the MAAS user, version and machines — written as the capture format that
//! `runbook sim serve --from` reads (documented in `src/sim/recording.rs`, version 1).
//!
//! It reads through the same clients the runbooks use, with only GETs and read-only juju
//! commands (`JujuClient::read_raw` refuses any other). Secrets are stripped before
//! anything is written. The cost is one machine list read plus a handful of small reads.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use crate::context::RunContext;

pub const FORMAT: &str = "runbook-cloud-capture";
pub const VERSION: u64 = 1;

/// What to record.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOptions {
    /// Every MAAS machine, not only the site's targets and the recorded models' nodes.
    pub all: bool,
}

/// A capture and what it holds, for the summary line.
pub struct Capture {
    pub doc: Value,
    pub machines: usize,
    pub models: usize,
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).with_context(|| format!("the output of `{what}` is not JSON"))
}

/// Records the cloud `ctx` talks to.
pub fn record(ctx: &RunContext, options: RecordOptions) -> Result<Capture> {
    let site = ctx.site();
    let juju = ctx.juju()?;
    let read = |args: &[&str]| -> Result<Value> {
        let text = juju.read_raw(args)?;
        parse_json(&text, &format!("juju {}", args.join(" ")))
    };
    let controllers = read(&["controllers", "--format", "json"])?;
    let models = read(&["models", "--format", "json"])?;
    let controller = models
        .get("models")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(|m| m.get("controller-name"))
        .or_else(|| controllers.get("current-controller"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // The site's models and the controller model, each by the name Juju prints.
    let recorded: Vec<String> = models
        .get("models")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|m| {
                    m.get("is-controller").and_then(Value::as_bool) == Some(true)
                        || m.get("short-name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| site.models.iter().any(|s| s == n))
                })
                .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut details = Map::new();
    let mut node_ids = BTreeSet::new();
    for name in &recorded {
        let status = read(&["status", "-m", name, "--format", "json"])?;
        collect_instance_ids(status.get("machines"), &mut node_ids);
        let mut d = json!({
            "show_model": read(&["show-model", name, "--format", "json"])?,
            "status": status,
            "machines": read(&["machines", "-m", name, "--format", "json"])?,
        });
        // export-bundle fails on some Juju 4.0 releases: record the failure, go on.
        match juju.read_raw(&["export-bundle", "-m", name]) {
            Ok(yaml) => d["bundle"] = json!(yaml),
            Err(e) => d["bundle_error"] = json!(format!("{e:#}")),
        }
        details.insert(name.clone(), d);
    }
    let maas = ctx.maas()?;
    let machines_path = if options.all {
        "machines/".to_string()
    } else {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(site.targets.iter().map(|h| ("hostname", h)));
        format!("machines/?{}", query.finish())
    };
    let (version, whoami, machines) = ctx.block_on(async {
        futures::try_join!(
            maas.get_raw("version/"),
            maas.get_raw("users/?op=whoami"),
            maas.get_raw(&machines_path),
        )
    })?;
    let mut machines: Vec<Value> = serde_json::from_slice::<Vec<Value>>(&machines)
        .with_context(|| format!("the answer to `GET {machines_path}` is not a machine list"))?;
    if !options.all {
        // The nodes of the recorded models that are not targets (the controller's node).
        let have: BTreeSet<String> = machines
            .iter()
            .filter_map(|m| {
                m.get("system_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let missing: Vec<&String> = node_ids.difference(&have).collect();
        if !missing.is_empty() {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(missing.iter().map(|id| ("id", id.as_str())));
            let path = format!("machines/?{}", query.finish());
            let more = ctx.block_on(maas.get_raw(&path))?;
            let more: Vec<Value> = serde_json::from_slice(&more)
                .with_context(|| format!("the answer to `GET {path}` is not a machine list"))?;
            machines.extend(more);
        }
    }
    let machine_count = machines.len();
    let mut doc = json!({
        "format": FORMAT,
        "version": VERSION,
        "recorded_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "site": site.name,
        "all_machines": options.all,
        "maas": {
            "url": maas.base(),
            "version": serde_json::from_slice::<Value>(&version).context("`GET version/` is not JSON")?,
            "whoami": serde_json::from_slice::<Value>(&whoami).context("`GET users/?op=whoami` is not JSON")?,
            "machines": Value::Array(std::mem::take(&mut machines)),
        },
        "juju": {
            "controller": controller,
            "controllers": controllers,
            "models": models,
            "model_details": details,
        },
    });
    let secrets = ctx
        .maas_api_key()
        .map(|k| secret_parts(&k))
        .unwrap_or_default();
    strip_secrets(&mut doc, &secrets);
    Ok(Capture {
        doc,
        machines: machine_count,
        models: recorded.len(),
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
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "api-key",
        "api_key",
        "private-key",
        "private_key",
    ]
    .iter()
    .any(|s| k.contains(s))
}

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
}
