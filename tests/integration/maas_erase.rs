//! MAAS erase settings (teardown.md §3.2 Phase C): each release sends the site's
//! `maas.erase` (`none` | `quick` | `secure`) as MAAS's `erase` / `quick_erase` /
//! `secure_erase` parameters; Phase C reads MAAS's `enable_disk_erasing_on_release` and says
//! whether MAAS will erase; the simulator models Disk erasing (then Releasing, then Ready)
//! and logs each POST's form parameters, which is what these tests read.

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::{SimServer, TEST_SPEED};

fn teardown(sim: &SimServer, extra: &[&str]) -> Output {
    testcloud(sim, "teardown")
        .args(&["--json", "--yes"])
        .args(extra)
        .set("timeouts.machines_ready", "20")
        .run()
}

/// The form parameters of every release POST in the simulator's log.
fn release_forms(sim: &SimServer) -> Vec<Vec<(String, String)>> {
    sim.log()
        .into_iter()
        .filter(|e| {
            e["request"]
                .as_str()
                .is_some_and(|r| r.starts_with("POST") && r.contains("op=release"))
        })
        .map(|e| {
            e["form"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|p| {
                            Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string()))
                        })
                        .filter(|(k, _)| k != "comment")
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_site_erase_is_sent_with_every_release_and_the_machines_go_through_disk_erasing() {
    for (mode, params) in [
        (
            "secure",
            pairs(&[("erase", "true"), ("secure_erase", "true")]),
        ),
        (
            "quick",
            pairs(&[("erase", "true"), ("quick_erase", "true")]),
        ),
    ] {
        let sim = SimServer::with("partial", &[], TEST_SPEED);
        let set = format!("maas.erase={mode}");
        let out = teardown(&sim, &["--set", &set]);
        out.status(0);
        assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
        let forms = release_forms(&sim);
        assert_eq!(forms.len(), 3, "the three owned targets: {forms:?}");
        for f in &forms {
            assert_eq!(f, &params, "{mode}");
        }
        out.stderr_has(&format!(
            "disks: MAAS will {mode}-erase the disks of each machine this run releases"
        ))
        .stderr_has("Disk erasing");
        assert!(
            sim.log().iter().any(|e| e["request"]
                .as_str()
                .is_some_and(|r| r.contains("op=get_config&name=enable_disk_erasing_on_release"))),
            "Phase C read MAAS's setting"
        );
    }
}

#[test]
fn maas_erasing_on_release_is_announced_even_when_the_site_asks_for_none() {
    let sim = SimServer::with("partial", &["erase-on-release"], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(0);
    assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
    for f in release_forms(&sim) {
        assert_eq!(f, pairs(&[("erase", "false")]));
    }
    out.stderr_has("disks: MAAS WILL ERASE the disks of every machine released")
        .stderr_has("enable_disk_erasing_on_release is on")
        .stderr_has("Disk erasing");
}

#[test]
fn the_dry_run_plan_says_whether_maas_will_erase_and_shows_the_parameters() {
    let sim = SimServer::with("partial", &[], TEST_SPEED);
    let out = teardown(&sim, &["--dry-run"]);
    out.status(0);
    out.says("  disks: not erased (site `maas.erase` is none; MAAS's setting enable_disk_erasing_on_release is off)");
    let plan: Vec<String> = out.json()["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .filter_map(|p| p["command"].as_str().map(str::to_string))
        .filter(|c| c.contains("op=release"))
        .collect();
    assert_eq!(plan.len(), 3, "{plan:?}");
    assert!(plan.iter().all(|c| c.contains(" erase=false")), "{plan:?}");
    assert!(!sim.changed());
}
