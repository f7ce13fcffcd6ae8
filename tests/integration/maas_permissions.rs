//! MAAS permissions (docs/formats.md): a superuser's API key (the simulator's default, like
//! MAAS's `admin`) sees and may release everyone's machines, so only runbook's own owner
//! guard keeps another user's machine; a key whose user is not a superuser (fault
//! `maas-non-superuser`) sees only its own and unowned machines, so a target owned by someone
//! else is invisible: the teardown stops and the acceptance is NO-GO, each saying why.

use reqwest::Method;
use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::primitives_fixture::eval;
use crate::sim_server::{SimServer, TARGETS, TEST_SPEED};

const NOT_VISIBLE: &str =
    "is visible to `admin` — gone, or owned by another user: MAAS hides those from a user who is not a superuser";

/// `runbook run RUNBOOK --site testcloud --json` against `sim`, short waits, no OSD disks.
fn run(sim: &SimServer, runbook: &str, extra: &[&str]) -> Output {
    testcloud(sim, runbook)
        .args(&["--json"])
        .args(extra)
        .set("timeouts.destroy_cli", "5")
        .run()
}

fn get(sim: &SimServer, path: &str) -> reqwest::blocking::Response {
    sim.maas(Method::GET, path)
        .send()
        .expect("the simulator answers")
}

fn get_json(sim: &SimServer, path: &str) -> Value {
    get(sim, path).json().expect("a JSON answer")
}

#[test]
fn a_superuser_key_could_release_alices_machine_so_the_owner_guard_refuses_it() {
    // foreign: the five targets are deployed by alice; the key's user is a superuser.
    let sim = SimServer::start("foreign");
    assert_eq!(
        get_json(&sim, "users/?op=whoami")["is_superuser"],
        true,
        "the premise: a superuser's key"
    );
    let id = sim.system_id("openstack2");
    assert_eq!(get_json(&sim, &format!("machines/{id}/"))["owner"], "alice");

    let out = eval(&sim, &["--yes"], &format!(r#"release("{id}")"#));
    out.status(4)
        .stderr_has("refused by guard `release.owner`")
        .stderr_has("owned by `alice`, not `admin`");
    let out = eval(
        &sim,
        &["--yes", "--json"],
        "release_all(maas_machines(site.targets).map(|m| m.system_id))",
    );
    out.status(4).stderr_has("refused by guard `release.owner`");
    for r in out.json().as_array().expect("one result per machine") {
        assert_eq!(r["result"], "refused", "{r}");
    }
    // The request log: not one release POST, for alice's machine or any other.
    assert_eq!(sim.release_posts(), Vec::<String>::new());
    sim.assert_unchanged();
    for h in TARGETS {
        let m = sim.machine(h);
        assert_eq!(
            (m["status_name"].as_str(), m["owner"].as_str()),
            (Some("Deployed"), Some("alice")),
            "{h}"
        );
    }

    // The refusal was runbook's: MAAS itself accepts the same request from this key.
    let direct = sim
        .maas(Method::POST, &format!("machines/{id}/?op=release"))
        .send()
        .expect("the simulator answers");
    assert_eq!(direct.status(), 200);
    assert_eq!(sim.machine("openstack2")["status_name"], "Releasing");
}

#[test]
fn a_teardown_whose_targets_include_alices_machine_stops_and_releases_nothing() {
    // dirty, as a superuser: alice's machine is visible, and named as a target.
    let sim = SimServer::start("dirty");
    let targets =
        r#"targets=["openstack0","openstack1","openstack2","openstack3","capi-mgmt","alice-db0"]"#;
    let out = run(&sim, "teardown", &["--yes", "--set", targets]);
    out.status(3)
        .stderr_has("[UNKNOWN]")
        .stderr_has("is Deployed and owned by `alice`, not by `admin`: this run may not release it")
        .says("  Nothing was changed. Investigate before running the teardown again:");
    assert_eq!(out.json()["route"], "unknown");
    assert_eq!(sim.release_posts(), Vec::<String>::new());
    sim.assert_unchanged();
    assert_eq!(sim.machine("alice-db0")["status_name"], "Deployed");
}

#[test]
fn a_non_superuser_sees_only_its_own_and_unowned_machines() {
    let sim = SimServer::with("dirty", &["maas-non-superuser"], TEST_SPEED);
    let me = get_json(&sim, "users/?op=whoami");
    assert_eq!(
        (me["username"].as_str(), me["is_superuser"].as_bool()),
        (Some("admin"), Some(false))
    );
    let all = get_json(&sim, "machines/");
    let owners: Vec<&str> = all
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|m| m["owner"].as_str().unwrap_or("(none)"))
        .collect();
    // The controller node and the five targets; alice's three machines are hidden.
    assert_eq!(owners, ["admin"; 6], "{all}");
    assert_eq!(
        get_json(&sim, "machines/?owner=alice"),
        serde_json::json!([])
    );
    let alice = sim.system_id("alice-db0");
    assert_eq!(get(&sim, &format!("machines/{alice}/")).status(), 403);
    let release = sim
        .maas(Method::POST, &format!("machines/{alice}/?op=release"))
        .send()
        .expect("the simulator answers");
    assert_eq!(release.status(), 403);
    // Power parameters are for administrators only, even of one's own machine.
    let own = sim.system_id("openstack0");
    assert_eq!(
        get(&sim, &format!("machines/{own}/?op=power_parameters")).status(),
        403
    );
    assert!(!sim.changed());
    assert_eq!(sim.machine("alice-db0")["status_name"], "Deployed");
}

#[test]
fn targets_hidden_from_a_non_superuser_stop_the_teardown_and_fail_acceptance() {
    // foreign: alice owns the targets, and this key's user cannot see them.
    let sim = SimServer::with("foreign", &["maas-non-superuser"], TEST_SPEED);
    let out = run(&sim, "teardown", &["--yes"]);
    out.status(3)
        .stderr_has("[UNKNOWN]")
        .stderr_has(&format!("target `openstack2` is missing from MAAS (no machine with that hostname {NOT_VISIBLE})"))
        .says("  Nothing was changed. Investigate before running the teardown again:");
    let doc = out.json();
    assert_eq!(
        (doc["route"].as_str(), doc["verdict"].as_str()),
        (Some("unknown"), None)
    );

    let out = run(&sim, "accept", &[]);
    out.status(1);
    let doc = out.json();
    assert_eq!(doc["verdict"], "no-go");
    for h in TARGETS {
        let row = doc["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == format!("{h} Ready, owner (none)"))
            .unwrap_or_else(|| panic!("no row for {h}: {doc}"));
        assert_eq!(row["pass"], false, "{row}");
        assert_eq!(
            row["detail"],
            format!("missing from MAAS (no machine with that hostname {NOT_VISIBLE})")
        );
    }
    assert_eq!(sim.release_posts(), Vec::<String>::new());
    sim.assert_unchanged();
}

#[test]
fn a_non_superuser_that_owns_its_targets_tears_down_to_go() {
    let sim = SimServer::with("dirty", &["maas-non-superuser"], TEST_SPEED);
    let out = run(&sim, "teardown", &["--yes"]);
    out.status(0);
    let doc = out.json();
    assert_eq!(
        (doc["route"].as_str(), doc["verdict"].as_str()),
        (Some("dirty"), Some("go")),
        "{}",
        out.stderr
    );
    for h in TARGETS {
        assert_eq!(sim.machine(h)["status_name"], "Ready", "{h}");
    }
    // Only the targets were released; alice's machines were never asked for.
    let ids: Vec<String> = TARGETS.iter().map(|h| sim.system_id(h)).collect();
    for post in sim.release_posts() {
        assert!(ids.iter().any(|id| post.contains(id.as_str())), "{post}");
    }
    assert_eq!(sim.machine("alice-db0")["status_name"], "Deployed");
    // The snapshot before the destroy says why it holds no power parameters.
    let backups = out.backups();
    let path = backups.first().expect("a backup").join("maas-targets.json");
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
    let machines = snapshot["machines"].as_array().expect("machines");
    assert_eq!(machines.len(), 5, "{snapshot}");
    for m in machines {
        let note = m["power_parameters_note"].as_str().unwrap_or("");
        assert!(
            note.contains("403: only an administrator may read power parameters"),
            "{m}"
        );
    }
}

#[test]
fn the_fault_is_documented_and_a_bad_spelling_is_refused() {
    let help = Test::new().args(&["sim", "serve", "--help"]).run();
    help.status(0)
        .stdout_has("maas-non-superuser      the API key's MAAS user is not a superuser");
    let bad = Test::new()
        .args(&[
            "sim",
            "serve",
            "--fault",
            "maas-non-superuser:yes",
            "--port",
            "0",
        ])
        .run();
    bad.status(2)
        .stderr_has("unknown fault `maas-non-superuser:yes`");
}
