//! A snapshot of the targets' MAAS records, taken into the backup before the destroy
//! (`maas-targets.json`): for each machine, what is needed to add it to MAAS again — the
//! juju#22691 guard (Juju 3.6.24 deleted MAAS machines during `destroy-model --force
//! --no-wait` instead of releasing them; teardown.md §3.2 Phase B and Phase D).
//!
//! Plain data in, plain JSON out: the client fetches the machine objects and the power
//! parameters, [`document`] keeps the re-add fields. Secrets in the power parameters
//! (passwords, keys, tokens) are not written: the file says which were left out.

use serde_json::{json, Map, Value};

/// The capture's file name in the backup directory.
pub const SNAPSHOT_FILE: &str = "maas-targets.json";

/// A power parameter whose value is a secret (BMC password, key, token): not written.
/// `k_g` is the IPMI BMC key (IPMI 2.0 `-y`): as secret as the password.
fn secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["pass", "secret", "token", "key"]
        .iter()
        .any(|s| k.contains(s))
        || k == "k_g"
        || k.ends_with("_k_g")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn name_of(v: &Value, key: &str) -> Value {
    match v.get(key) {
        Some(Value::Object(o)) => o.get("name").cloned().unwrap_or(Value::Null),
        Some(Value::String(s)) => json!(s),
        _ => Value::Null,
    }
}

/// The interfaces as re-adding needs them: name, type, MAC, VLAN, links.
fn interfaces(raw: &Value) -> Vec<Value> {
    let list = raw
        .get("interface_set")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|i| {
            let vlan = i.get("vlan").unwrap_or(&Value::Null);
            let links: Vec<Value> = i
                .get("links")
                .and_then(Value::as_array)
                .map(|ls| {
                    ls.iter()
                        .map(|l| {
                            json!({
                                "mode": l.get("mode"),
                                "ip_address": l.get("ip_address"),
                                "subnet": l.get("subnet").and_then(|s| s.get("cidr")),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "name": i.get("name"), "type": i.get("type"), "mac_address": i.get("mac_address"),
                "enabled": i.get("enabled"), "vlan": vlan.get("vid"), "fabric": vlan.get("fabric"),
                "links": links,
            })
        })
        .collect()
}

/// The block devices by name, size and serial (to check the disks of a re-added machine).
fn block_devices(raw: &Value) -> Vec<Value> {
    raw.get("blockdevice_set")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    json!({"name": d.get("name"), "size": d.get("size"), "serial": d.get("serial"),
                        "model": d.get("model"), "id_path": d.get("id_path")})
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Power parameters without their secrets, and the names of the ones left out.
fn public_power(power: &Value) -> (Value, Vec<String>) {
    let Some(map) = power.as_object() else {
        return (power.clone(), Vec::new());
    };
    let mut kept = Map::new();
    let mut left_out = Vec::new();
    for (k, v) in map {
        if secret(k) && !matches!(v, Value::Null) && v != "" {
            left_out.push(k.clone());
        } else {
            kept.insert(k.clone(), v.clone());
        }
    }
    (Value::Object(kept), left_out)
}

/// `value` as one shell word.
fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@+=,".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// The `maas` CLI commands that add the machine again: shell lines with `$PROFILE` (the
/// operator's `maas login` profile), `$NEW_SYSTEM_ID` (what `machines create` answers) and,
/// for each secret left out, `$POWER_<NAME>` to set first.
fn readd_commands(raw: &Value, power: &Value, left_out: &[String]) -> Vec<String> {
    let mut create = format!(
        "maas $PROFILE machines create hostname={} architecture={}",
        shell_word(text(raw, "hostname")),
        shell_word(text(raw, "architecture"))
    );
    for i in interfaces(raw) {
        if let Some(mac) = i.get("mac_address").and_then(Value::as_str) {
            create.push_str(&format!(" mac_addresses={}", shell_word(mac)));
        }
    }
    if let Some(d) = name_of(raw, "domain").as_str() {
        create.push_str(&format!(" domain={}", shell_word(d)));
    }
    if !text(raw, "power_type").is_empty() {
        create.push_str(&format!(
            " power_type={}",
            shell_word(text(raw, "power_type"))
        ));
    }
    if let Some(map) = power.as_object() {
        for (k, v) in map {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            create.push_str(&format!(" power_parameters_{k}={}", shell_word(&v)));
        }
    }
    for k in left_out {
        create.push_str(&format!(
            " power_parameters_{k}=\"$POWER_{}\"",
            k.to_ascii_uppercase()
        ));
    }
    let mut commands = vec![create];
    let id = "$NEW_SYSTEM_ID";
    for (field, value) in [
        ("zone", name_of(raw, "zone")),
        ("pool", name_of(raw, "pool")),
    ] {
        if let Some(v) = value.as_str() {
            commands.push(format!(
                "maas $PROFILE machine update {id} {field}={}",
                shell_word(v)
            ));
        }
    }
    for tag in raw
        .get("tag_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        commands.push(format!(
            "maas $PROFILE tag update-nodes {} add={id}",
            shell_word(tag)
        ));
    }
    commands
}

/// One machine's record. `power`: its power parameters, or why they could not be read.
pub fn record(raw: &Value, power: &Result<Value, String>) -> Value {
    let (params, left_out, note) = match power {
        Ok(p) => {
            let (kept, left_out) = public_power(p);
            let note = (!left_out.is_empty())
                .then(|| format!("secret power parameters not saved: {}", left_out.join(", ")));
            (kept, left_out, note)
        }
        Err(why) => (Value::Null, Vec::new(), Some(why.clone())),
    };
    json!({
        "system_id": text(raw, "system_id"),
        "hostname": text(raw, "hostname"),
        "fqdn": raw.get("fqdn"),
        "domain": name_of(raw, "domain"),
        "description": raw.get("description"),
        "architecture": raw.get("architecture"),
        "min_hwe_kernel": raw.get("min_hwe_kernel"),
        "power_type": raw.get("power_type"),
        "power_parameters": params,
        "power_parameters_note": note,
        "zone": name_of(raw, "zone"),
        "pool": name_of(raw, "pool"),
        "tags": raw.get("tag_names"),
        "pod": name_of(raw, "pod"),
        "cpu_count": raw.get("cpu_count"),
        "memory": raw.get("memory"),
        "status_name": raw.get("status_name"),
        "owner": raw.get("owner"),
        "owner_data": raw.get("owner_data"),
        "hardware_uuid": raw.get("hardware_uuid"),
        "interfaces": interfaces(raw),
        "block_devices": block_devices(raw),
        "readd": readd_commands(raw, &params, &left_out),
    })
}

/// The whole capture: when, from which MAAS, each target's record, and the asked-for ids
/// MAAS did not return (already gone before the destroy).
pub fn document(maas: &str, taken_at: &str, records: Vec<Value>, missing: Vec<String>) -> Value {
    json!({
        "about": "MAAS records of the teardown's targets, taken before the model was destroyed (juju#22691 guard, teardown.md §3.2): if a target is deleted from MAAS during the destroy, add it again with the `readd` shell lines (set PROFILE to your `maas login` profile, NEW_SYSTEM_ID to the system id `machines create` answers, POWER_* to the secrets not saved here), then commission it",
        "maas": maas,
        "taken_at": taken_at,
        "machines": records,
        "missing": missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Value {
        json!({
            "system_id": "4y3h7n", "hostname": "openstack0", "architecture": "amd64/generic",
            "power_type": "ipmi", "domain": {"name": "maas"}, "zone": {"name": "az1"},
            "pool": {"name": "default"}, "tag_names": ["openstack", "ceph"],
            "interface_set": [{"name": "eno1", "type": "physical", "mac_address": "52:54:00:aa:bb:01",
                "enabled": true, "vlan": {"vid": 0, "fabric": "fabric-0"},
                "links": [{"mode": "auto", "ip_address": "10.0.0.5", "subnet": {"cidr": "10.0.0.0/24"}}]}],
            "blockdevice_set": [{"name": "sda", "size": 1000, "serial": "S1", "model": "M", "id_path": "/dev/x"}],
            "unknown_field": 1,
        })
    }

    #[test]
    fn a_record_keeps_what_re_adding_needs_and_no_secret() {
        let power = Ok(json!({"power_address": "10.0.1.5", "power_user": "maas",
            "power_pass": "hunter2", "k_g": "0xBMCKEY0123", "cipher_suite_id": "3"}));
        let r = record(&raw(), &power);
        assert_eq!(r["system_id"], "4y3h7n");
        assert_eq!(r["interfaces"][0]["mac_address"], "52:54:00:aa:bb:01");
        assert_eq!(r["interfaces"][0]["links"][0]["subnet"], "10.0.0.0/24");
        assert_eq!(
            (r["zone"].as_str(), r["pool"].as_str()),
            (Some("az1"), Some("default"))
        );
        assert_eq!(r["power_parameters"]["power_address"], "10.0.1.5");
        assert!(!r.to_string().contains("hunter2"), "{r}");
        assert!(!r.to_string().contains("BMCKEY"), "{r}");
        assert_eq!(
            r["power_parameters_note"],
            "secret power parameters not saved: k_g, power_pass"
        );
        assert_eq!(r["power_parameters"]["cipher_suite_id"], "3");
        let readd: Vec<&str> = r["readd"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(readd[0].starts_with("maas $PROFILE machines create hostname=openstack0 architecture=amd64/generic mac_addresses=52:54:00:aa:bb:01"), "{readd:?}");
        assert!(readd[0].contains("power_parameters_power_address=10.0.1.5"));
        assert!(readd[0].contains("power_parameters_power_pass=\"$POWER_POWER_PASS\""));
        assert!(readd[0].contains("power_parameters_k_g=\"$POWER_K_G\""));
        assert!(readd.contains(&"maas $PROFILE tag update-nodes ceph add=$NEW_SYSTEM_ID"));
        assert!(readd.contains(&"maas $PROFILE machine update $NEW_SYSTEM_ID zone=az1"));
        assert_eq!(shell_word("a b'c"), r"'a b'\''c'");
        assert_eq!(shell_word("qemu+ssh://u@h/system"), "qemu+ssh://u@h/system");
    }

    #[test]
    fn unreadable_power_parameters_say_why_and_missing_fields_are_null() {
        let r = record(&json!({"system_id": "x"}), &Err("403".to_string()));
        assert!(r["power_parameters"].is_null());
        assert_eq!(r["power_parameters_note"], "403");
        assert!(r["interfaces"].as_array().unwrap().is_empty());
        assert!(r["zone"].is_null());
        let d = document("http://m/MAAS/api/2.0/", "t", vec![r], vec!["gone1".into()]);
        assert_eq!(d["missing"][0], "gone1");
        assert!(d["about"].as_str().unwrap().contains("juju#22691"));
    }
}
