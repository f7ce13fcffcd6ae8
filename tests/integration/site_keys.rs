//! `runbook sites keys`: every setting from its one declaration, and that declaration's
//! ranges, choices and list typing as an operator meets them through `--set`.

use std::collections::BTreeSet;

use crate::common::Test;

/// The listing covers exactly the settings a site has: every key `sites show` prints (but
/// the redacted key, which is no setting) and the `sim.` keys of the simulator's site.
#[test]
fn keys_lists_every_setting_a_site_has() {
    let listed: BTreeSet<String> = Test::new()
        .args(&["sites", "keys", "--json"])
        .run()
        .status(0)
        .json()
        .as_array()
        .expect("an array of keys")
        .iter()
        .map(|k| k["key"].as_str().expect("a key name").to_string())
        .collect();
    let mut shown = BTreeSet::new();
    for site in ["testcloud", "demo"] {
        let show = Test::new()
            .args(&["sites", "show", site])
            .run()
            .status(0)
            .json();
        leaves("", &show, &mut shown);
    }
    shown.remove("maas.api_key");
    shown.remove("sim"); // testcloud's `sim` is null: it has no simulator

    assert_eq!(listed, shown);
}

fn leaves(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value.as_object() {
        Some(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn keys_says_type_range_default_and_meaning() {
    let out = Test::new().args(&["sites", "keys"]).run();
    let block = "maas.concurrency  (1 to 256 requests; default: 16)\n    How many MAAS requests (releases, per-machine reads) runbook keeps in flight at\n    once.\nmaas.timeout  (1 to 3600 seconds; default: 60)\n";
    assert!(out.status(0).stdout.contains(block), "{}", out.stdout);
    let block = "sim.juju  (one of 3.6, 4.0; default: 3.6)\n    Which Juju major the simulator plays. Only on a site with the built-in simulator\n    (`demo`).\n";
    assert!(out.stdout.contains(block), "{}", out.stdout);
}

/// Every number is range-checked, `timeouts.destroy_cli` too (it once was not: a huge value
/// reached a deadline computation).
#[test]
fn out_of_range_and_unknown_choices_are_refused_naming_the_key() {
    for (site, set, error) in [
        (
            "testcloud",
            "timeouts.destroy_cli=18446744073709551615",
            "error: `timeouts.destroy_cli` = 18446744073709551615 is out of range (set in `--set`): it must be 1 to 86400 seconds\n",
        ),
        (
            "demo",
            "sim.juju=3.5",
            "error: `sim.juju` = \"3.5\" is not a choice (set in `--set`): it must be one of 3.6, 4.0\n",
        ),
        (
            "demo",
            "sim.speed=0",
            "error: `sim.speed` = 0 is out of range (set in `--set`): it must be more than 0 and at most 10000 times real time\n",
        ),
    ] {
        let out = Test::new()
            .args(&["eval", "site.name", "--site", site, "--set", set])
            .run();
        out.status(2);
        assert_eq!(out.stderr, error, "--set {set}");
        assert_eq!(out.stdout, "", "--set {set}");
    }
}

/// `models`, like `targets`, takes a plain comma-separated list on the command line.
#[test]
fn a_list_setting_takes_comma_separated_names() {
    Test::new()
        .args(&[
            "eval",
            "site.models",
            "--site",
            "testcloud",
            "--set",
            "models=admin/openstack, ceph",
        ])
        .run()
        .status(0)
        .stdout_is("[\"admin/openstack\", \"ceph\"]\n");
}

/// `--set KEY=` (e.g. `--set juju.controller=$CTRL` with `CTRL` unset) is an error, never a
/// quiet drop of the site's pin or an empty path; an empty glob (`osd_disks`) means none.
#[test]
fn an_empty_value_is_refused_naming_the_key() {
    for (set, error) in [
        (
            "juju.controller=",
            "error: `juju.controller` is empty (set in `--set`): it must be text (leave an optional setting out rather than empty)\n",
        ),
        (
            "backup_root=",
            "error: `backup_root` is empty (set in `--set`): it must be a path (leave an optional setting out rather than empty)\n",
        ),
    ] {
        let out = Test::new()
            .args(&["eval", "site.name", "--site", "testcloud", "--set", set])
            .run();
        out.status(2);
        assert_eq!(out.stderr, error, "--set {set}");
    }
    Test::new()
        .args(&[
            "eval",
            "site.osd_disks",
            "--site",
            "testcloud",
            "--set",
            "osd_disks=",
        ])
        .run()
        .status(0)
        .stdout_is("\n");
}
