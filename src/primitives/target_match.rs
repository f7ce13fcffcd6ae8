//! The `target_match` family: the site's targets matched to MAAS machines in one pass
//! (teardown.md §2 detection).
//!
//! Done in Rhai, each target cost several closure calls (a row, then filters for problems,
//! targets, Ready, settling and ownership), about 40% of a 10,000-target detection. Here it
//! is one index of the machines and one walk of the targets. What the findings mean (the
//! route, the problem texts) stays in `stdlib/state.rhai`.

use std::collections::HashMap;

use rhai::plugin::*;
use rhai::{Array, Dynamic, ImmutableString, Map};

use crate::clients::maas::status;
use crate::effects::EffectClass;
use crate::primitives::support::RhaiResult;

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[("match_targets", EffectClass::Read)];

/// A map's `key`, `()` when it has none (as `m.key` reads in a script).
fn field(m: &Map, key: &str) -> Dynamic {
    m.get(key).cloned().unwrap_or(Dynamic::UNIT)
}

fn text(v: &Dynamic) -> Option<ImmutableString> {
    v.read_lock::<ImmutableString>().map(|s| s.clone())
}

/// Ready by its status code; by its name when it has no code (`state::is_ready`).
fn is_ready(t: &Map) -> bool {
    let code = field(t, "status");
    if code.is_unit() {
        text(&field(t, "status_name")).is_some_and(|n| n == "Ready")
    } else {
        code.as_int() == Ok(status::READY)
    }
}

/// Releasing or Disk erasing: on its way to Ready by itself (`state::is_settling`).
fn is_settling(t: &Map) -> bool {
    let code = field(t, "status");
    let name = if code.is_unit() {
        text(&field(t, "status_name")).map(|n| n.to_string())
    } else {
        code.as_int().ok().map(|c| status::status_name(c).to_string())
    };
    matches!(name.as_deref(), Some("Releasing" | "Disk erasing"))
}

/// A target row as the detection freezes it: seven fields of its machine.
fn target_row(m: &Map) -> Map {
    let mut t = Map::new();
    for key in ["system_id", "hostname", "owner", "status", "status_name", "power_state"] {
        t.insert(key.into(), field(m, key));
    }
    let locked = field(m, "locked").as_bool() == Ok(true);
    t.insert("locked".into(), locked.into());
    t
}

fn finding(kind: &str, hostname: &ImmutableString, t: Option<&Map>) -> Dynamic {
    let mut f = Map::new();
    f.insert("kind".into(), kind.into());
    f.insert("hostname".into(), hostname.clone().into());
    for key in ["system_id", "status_name", "owner"] {
        let value = t.map(|t| field(t, key)).unwrap_or(Dynamic::UNIT);
        f.insert(key.into(), value);
    }
    f.into()
}

/// Why this run could not release target `t` (not Ready, not settling): locked, no owner,
/// or another owner than `whoami`. `None`: it may.
fn blocked(t: &Map, whoami: &ImmutableString) -> Option<&'static str> {
    if is_ready(t) || is_settling(t) {
        return None;
    }
    let owner = field(t, "owner");
    let owner_text = text(&owner);
    if t.get("locked").and_then(|l| l.as_bool().ok()) == Some(true) {
        Some("locked")
    } else if owner.is_unit() || owner_text.as_ref().is_some_and(|o| o.is_empty()) {
        Some("unowned")
    } else if owner_text.as_ref() != Some(whoami) {
        Some("foreign")
    } else {
        None
    }
}

/// See the primitive's doc.
pub fn match_all(machines: &Array, targets: &Array, whoami: &Dynamic, failed: &Array) -> RhaiResult {
    let failed: Vec<i64> = failed.iter().filter_map(|c| c.as_int().ok()).collect();
    let mut by_hostname: HashMap<String, Vec<&Map>> = HashMap::with_capacity(targets.len());
    let mut locks = Vec::with_capacity(machines.len());
    for (position, item) in machines.iter().enumerate() {
        let Some(m) = item.read_lock::<Map>() else {
            return Err(format!(
                "`match_targets` takes an array of machine maps; element {position} is a `{}`",
                item.type_name()
            )
            .into());
        };
        locks.push(m);
    }
    for m in &locks {
        let hostname = field(m, "hostname");
        if hostname.is_unit() {
            continue;
        }
        by_hostname.entry(hostname.to_string()).or_default().push(m);
    }
    let mut rows = Array::with_capacity(targets.len());
    let mut problems = Array::new();
    let (mut ready, mut settling) = (0_i64, 0_i64);
    for (position, target) in targets.iter().enumerate() {
        let Some(hostname) = text(target) else {
            return Err(format!(
                "`match_targets` takes an array of hostnames; target {position} is a `{}`",
                target.type_name()
            )
            .into());
        };
        let found = by_hostname.get(hostname.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        match found {
            [] => problems.push(finding("missing", &hostname, None)),
            [m] => {
                let t = target_row(m);
                if field(&t, "status")
                    .as_int()
                    .is_ok_and(|c| failed.contains(&c))
                {
                    problems.push(finding("failed", &hostname, Some(&t)));
                }
                ready += i64::from(is_ready(&t));
                settling += i64::from(is_settling(&t));
                rows.push(t.into());
            }
            many => {
                let mut f = finding("duplicate", &hostname, None).cast::<Map>();
                let ids: Array = many.iter().map(|m| field(m, "system_id")).collect();
                f.insert("system_ids".into(), ids.into());
                problems.push(f.into());
            }
        }
    }
    let mut blockers = Array::new();
    if let Some(whoami) = text(whoami) {
        for row in &rows {
            if let Some(t) = row.read_lock::<Map>() {
                if let Some(kind) = blocked(&t, &whoami) {
                    let hostname = text(&field(&t, "hostname")).unwrap_or_default();
                    blockers.push(finding(kind, &hostname, Some(&t)));
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert("targets".into(), rows.into());
    out.insert("problems".into(), problems.into());
    out.insert("blocked".into(), blockers.into());
    out.insert("ready".into(), ready.into());
    out.insert("settling".into(), settling.into());
    Ok(out.into())
}

#[export_module]
pub mod target_match_functions {
    /// Match the site's targets (hostnames) to `machines` (`maas_machines()` maps, or any
    /// maps with those keys) in one pass: returns `#{targets, problems, blocked, ready,
    /// settling}`. `targets`: one row per target found exactly once, in the order given,
    /// `#{system_id, hostname, owner, status, status_name, locked, power_state}`;
    /// `problems`, in target order: `#{kind, hostname, system_id, status_name, owner}` with
    /// `kind` `missing` (no machine), `duplicate` (several, their ids in `system_ids`) or
    /// `failed` (its status code is one of `failed`); `blocked`: the rows this run could
    /// not release, neither Ready nor Releasing/Disk erasing, with `kind` `locked`,
    /// `unowned` or `foreign` (owned by another user than `whoami`; empty when `whoami` is
    /// `()`); `ready` and `settling` count the rows Ready and on their way to Ready.
    /// Errors if a machine is not a map or a target not a string.
    ///
    /// ```rhai
    /// let failed = [maas_status("Broken"), maas_status("Failed deployment")];
    /// let m = match_targets(maas_machines(site.targets), site.targets, maas_whoami(), failed);
    /// print(`${m.ready}/${site.targets.len()} Ready; ${m.problems.len()} problem(s)`);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn match_targets(
        machines: Array,
        targets: Array,
        whoami: Dynamic,
        failed: Array,
    ) -> RhaiResult {
        super::match_all(&machines, &targets, &whoami, &failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(hostname: &str, id: &str, status: i64, owner: Option<&str>, locked: bool) -> Dynamic {
        let mut m = Map::new();
        m.insert("hostname".into(), hostname.into());
        m.insert("system_id".into(), id.into());
        m.insert("status".into(), status.into());
        m.insert("status_name".into(), status::status_name(status).into());
        m.insert(
            "owner".into(),
            owner.map(|o| Dynamic::from(o.to_string())).unwrap_or(Dynamic::UNIT),
        );
        m.insert("locked".into(), locked.into());
        m.insert("power_state".into(), "on".into());
        m.insert("pool".into(), "default".into());
        m.into()
    }

    fn strings(items: &[&str]) -> Array {
        items.iter().map(|s| Dynamic::from(s.to_string())).collect()
    }

    fn kinds(list: &Dynamic) -> Vec<(String, String)> {
        list.clone()
            .into_array()
            .unwrap()
            .iter()
            .map(|f| {
                let f = f.read_lock::<Map>().unwrap();
                (f["kind"].to_string(), f["hostname"].to_string())
            })
            .collect()
    }

    #[test]
    fn rows_problems_and_counts_in_target_order() {
        let machines: Array = vec![
            machine("a", "id-a", status::DEPLOYED, Some("admin"), false),
            machine("b", "id-b", status::READY, None, false),
            machine("c", "id-c1", status::DEPLOYED, Some("admin"), false),
            machine("c", "id-c2", status::DEPLOYED, Some("admin"), false),
            machine("d", "id-d", 8, Some("admin"), false),
            machine("e", "id-e", status::RELEASING, Some("admin"), false),
            machine("other", "id-o", status::DEPLOYED, Some("admin"), false),
        ];
        let targets = strings(&["e", "c", "a", "x", "d", "b"]);
        let out = match_all(&machines, &targets, &Dynamic::UNIT, &vec![Dynamic::from(8_i64)])
            .unwrap()
            .cast::<Map>();
        let rows: Vec<String> = out["targets"]
            .clone()
            .into_array()
            .unwrap()
            .iter()
            .map(|t| t.read_lock::<Map>().unwrap()["system_id"].to_string())
            .collect();
        assert_eq!(rows, ["id-e", "id-a", "id-d", "id-b"]);
        assert_eq!(
            kinds(&out["problems"]),
            [
                ("duplicate".to_string(), "c".to_string()),
                ("missing".to_string(), "x".to_string()),
                ("failed".to_string(), "d".to_string()),
            ]
        );
        let dup = out["problems"].clone().into_array().unwrap()[0].clone().cast::<Map>();
        assert_eq!(dup["system_ids"].to_string(), r#"["id-c1", "id-c2"]"#);
        assert_eq!(out["ready"].as_int(), Ok(1));
        assert_eq!(out["settling"].as_int(), Ok(1));
        assert!(out["blocked"].clone().into_array().unwrap().is_empty());
    }

    #[test]
    fn blocked_rows_say_why_and_ours_ready_or_settling_are_not() {
        let machines: Array = vec![
            machine("mine", "1", status::DEPLOYED, Some("admin"), false),
            machine("locked", "2", status::DEPLOYED, Some("admin"), true),
            machine("nobody", "3", status::ALLOCATED, None, false),
            machine("blank", "4", status::DEPLOYED, Some(""), false),
            machine("alice", "5", status::DEPLOYED, Some("alice"), false),
            machine("ready", "6", status::READY, Some("alice"), true),
            machine("erasing", "7", status::DISK_ERASING, Some("alice"), false),
        ];
        let targets = strings(&["mine", "locked", "nobody", "blank", "alice", "ready", "erasing"]);
        let out = match_all(&machines, &targets, &Dynamic::from("admin"), &Array::new())
            .unwrap()
            .cast::<Map>();
        let want: Vec<(String, String)> = [
            ("locked", "locked"),
            ("unowned", "nobody"),
            ("unowned", "blank"),
            ("foreign", "alice"),
        ]
        .iter()
        .map(|(k, h)| (k.to_string(), h.to_string()))
        .collect();
        assert_eq!(kinds(&out["blocked"]), want);
    }

    #[test]
    fn rows_without_a_status_code_go_by_name_and_bad_input_is_named() {
        let mut m = Map::new();
        m.insert("hostname".into(), "h".into());
        m.insert("status_name".into(), "Ready".into());
        let out = match_all(&vec![m.into()], &strings(&["h"]), &Dynamic::UNIT, &Array::new())
            .unwrap()
            .cast::<Map>();
        assert_eq!(out["ready"].as_int(), Ok(1));
        let row = out["targets"].clone().into_array().unwrap()[0].clone().cast::<Map>();
        assert!(row["status"].is_unit() && row["owner"].is_unit());
        assert_eq!(row["locked"].as_bool(), Ok(false));
        let e = match_all(&vec![Dynamic::from(1_i64)], &Array::new(), &Dynamic::UNIT, &Array::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("element 0 is a `i64`"), "{e}");
        let e = match_all(&Array::new(), &vec![Dynamic::from(1_i64)], &Dynamic::UNIT, &Array::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("target 0 is a `i64`"), "{e}");
    }
}
