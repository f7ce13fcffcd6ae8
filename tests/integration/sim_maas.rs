//! The simulator's MAAS 2.0 API, driven over HTTP like a client would.

use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::common::each_str;
use crate::sim_server::{SimServer, TEST_SPEED};

fn json(r: reqwest::blocking::Response) -> Value {
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().expect("json body")
}

/// `GET path` of the MAAS API, as JSON.
fn get(sim: &SimServer, path: &str) -> Value {
    json(sim.maas(Method::GET, path).send().expect("GET"))
}

#[test]
fn anonymous_version_and_describe_with_absolute_uris() {
    let sim = SimServer::start("clean");
    let version =
        json(reqwest::blocking::get(format!("{}/api/2.0/version/", sim.maas_url)).unwrap());
    assert!(version["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "authenticate-api"));
    let describe =
        json(reqwest::blocking::get(format!("{}/api/2.0/describe/", sim.maas_url)).unwrap());
    let machines = describe["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "MachinesHandler")
        .unwrap();
    assert_eq!(
        machines["auth"]["uri"],
        format!("{}/api/2.0/machines/", sim.maas_url)
    );
    assert!(!sim.changed());
}

#[test]
fn a_bad_key_gets_401_in_maas_words() {
    let sim = SimServer::start("dirty");
    let r = reqwest::blocking::Client::new()
        .get(format!("{}/api/2.0/machines/", sim.maas_url))
        .header(
            "Authorization",
            r#"OAuth oauth_consumer_key="x", oauth_token="y", oauth_signature="&z""#,
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.text().unwrap(), "Authorization Error: Invalid API key.");
    assert_eq!(sim.log()[0]["status"], 401);
}

#[test]
fn whoami_and_filtered_machine_lists() {
    let sim = SimServer::start("dirty");
    let me = get(&sim, "users/?op=whoami");
    assert_eq!(me["username"], "admin");
    let all = get(&sim, "machines/");
    assert_eq!(all.as_array().unwrap().len(), 9);
    assert!(
        all[0].to_string().len() > 4000,
        "machine objects are realistic in size"
    );
    for field in [
        "hardware_info",
        "interface_set",
        "boot_interface",
        "zone",
        "pool",
        "owner_data",
        "locked",
        "resource_uri",
        "blockdevice_set",
    ] {
        assert!(all[0].get(field).is_some(), "missing {field}");
    }
    let model = "agent_name=3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
    for (query, hostnames) in [
        (
            "hostname=openstack0&hostname=capi-mgmt",
            &["openstack0", "capi-mgmt"][..],
        ),
        (
            "owner=alice&status=deployed",
            &["alice-build0", "alice-build1", "alice-db0"],
        ),
        (
            model,
            &[
                "openstack0",
                "openstack1",
                "openstack2",
                "openstack3",
                "capi-mgmt",
            ],
        ),
        ("hostname=nope", &[]),
    ] {
        let found = get(&sim, &format!("machines/?{query}"));
        assert_eq!(each_str(&found, "hostname"), hostnames, "{query}");
    }
    assert!(!sim.changed());
}

#[test]
fn release_moves_releasing_then_ready_and_refuses_what_is_not_yours() {
    // A non-superuser: MAAS refuses it someone else's machine (a superuser it would not).
    let sim = SimServer::with("dirty", &["maas-non-superuser"], TEST_SPEED);
    let id = sim.system_id("openstack1");
    let r = json(
        sim.maas(Method::POST, &format!("machines/{id}/?op=release"))
            .form(&[("comment", "test")])
            .send()
            .expect("POST"),
    );
    assert_eq!(r["status_name"], "Releasing");
    sim.wait_status("openstack1", "Ready", Duration::from_secs(5));
    assert!(sim.machine("openstack1")["owner"].is_null());
    assert_eq!(sim.machine_op(&id, "release").status(), 200);
    let alice = sim.system_id("alice-db0");
    assert_eq!(sim.machine_op(&alice, "release").status(), 403);
    let missing = sim.machine_op("nope00", "release");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().unwrap(),
        "No Machine matches the given query."
    );
    let changed: Vec<bool> = sim
        .log()
        .iter()
        .filter(|e| e["request"].as_str().unwrap().contains("op=release"))
        .map(|e| e["changed"] == true)
        .collect();
    assert_eq!(changed, [true, false, false, false]);
    assert_eq!(sim.machine("alice-db0")["status_name"], "Deployed");
}

#[test]
fn bulk_release_accepts_multipart_with_base64_parts() {
    let sim = SimServer::with("dirty", &["maas-non-superuser"], TEST_SPEED);
    let a = sim.system_id("openstack2");
    let b = sim.system_id("openstack3");
    let body = format!(
        "--BB\r\nContent-Disposition: form-data; name=\"machines\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--BB\r\nContent-Disposition: form-data; name=\"machines\"\r\n\r\n{b}\r\n--BB--\r\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &a)
    );
    let r = sim
        .maas(Method::POST, "machines/?op=release")
        .header("Content-Type", "multipart/form-data; boundary=BB")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.machine("openstack2")["status_name"], "Releasing");
    assert_eq!(sim.machine("openstack3")["status_name"], "Releasing");
    let alice = sim.system_id("alice-db0");
    let r = sim
        .maas(Method::POST, "machines/?op=release")
        .form(&[("machines", alice.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().unwrap().starts_with(
        "You don't have the required permission to release the following machine(s): "
    ));
    let r = sim
        .maas(Method::POST, "machines/?op=release")
        .form(&[("machines", "zzz")])
        .send()
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().unwrap()),
        (400, "Unknown machine(s): zzz.".to_string())
    );
}

#[test]
fn release_fails_fault_ends_in_releasing_failed() {
    let sim = SimServer::with("dirty", &["release-fails:capi-mgmt"], 20.0);
    let id = sim.system_id("capi-mgmt");
    assert_eq!(sim.machine_op(&id, "release").status(), 200);
    sim.wait_status("capi-mgmt", "Releasing failed", Duration::from_secs(5));
}

#[test]
fn http_faults_are_5xx_with_retry_after_and_hangs() {
    let sim = SimServer::with("clean", &["maas-5xx:1.0", "maas-hang:op=whoami"], 20.0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = sim.maas(Method::GET, "machines/").send().unwrap();
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "1");
        }
        seen.insert(r.status().as_u16());
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [500, 503]);
    let hung = sim
        .maas(Method::GET, "users/?op=whoami")
        .timeout(Duration::from_millis(300))
        .send();
    assert!(hung.is_err_and(|e| e.is_timeout()));
}

#[test]
fn bad_scenarios_and_faults_are_refused_clearly() {
    for (args, want) in [
        (vec!["--scenario", "nope"], "unknown scenario `nope`"),
        (vec!["--scenario", "large:20000"], "from 9 to 10000"),
        (vec!["--fault", "maas-5xx:lots"], "the rate is not a number"),
        (vec!["--fault", "explode"], "unknown fault `explode`"),
        (
            vec!["--speed", "0"],
            "`--speed 0` must be a positive number",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .args(["sim", "serve", "--port", "0"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_documents_the_fault_specs() {
    let out = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["sim", "serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for spec in [
        "maas-5xx:RATE",
        "maas-latency:MS",
        "maas-hang:SUBSTRING",
        "maas-hang-first:SUBSTRING",
        "juju-hang-first:COMMAND",
        "model-slow:SECS",
        "juju-fail:COMMAND",
        "juju-malformed:COMMAND",
        "release-fails:HOSTNAME",
        "model-stuck",
        "juju-keeps-nodes",
    ] {
        assert!(help.contains(spec), "{spec} missing from --help");
    }
}

#[test]
fn missing_and_large_scenarios() {
    let sim = SimServer::start("missing");
    let hosts = get(&sim, "machines/?hostname=capi-mgmt&hostname=openstack0");
    // capi-mgmt is absent from MAAS.
    assert_eq!(each_str(&hosts, "hostname"), ["openstack0"]);
    let sim = SimServer::start("large:200");
    let all = get(&sim, "machines/");
    let ids = each_str(&all, "system_id");
    assert_eq!(ids.len(), 200);
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 200);
}
