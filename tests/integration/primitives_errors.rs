//! Every error path of the juju and maas primitives ends the run with exit 2 and a message
//! that says what failed (the exact argv or the method and URL), what Juju or MAAS said,
//! and never the MAAS API key.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::common::process::gone_within;
use crate::common::{Output, Test};
use crate::primitives_fixture::*;
use crate::primitives_juju::SEAL;
use crate::sim_server::{SimServer, TEST_SPEED};

fn faulty(faults: &[&str]) -> SimServer {
    SimServer::with("dirty", faults, TEST_SPEED)
}

/// An approved `release` of openstack1 that MAAS answers with `status`: the simulator, the
/// machine's system id and the run.
fn release_answered(status: u16) -> (SimServer, String, Output) {
    let sim = faulty(&[&format!("maas-status:{status}:op=release")]);
    let id = sim.system_id("openstack1");
    let out = eval(&sim, &["--yes"], &format!(r#"release("{id}")"#));
    (sim, id, out)
}

/// The API key's secret part must never be shown.
fn secret(sim: &SimServer) -> String {
    sim.api_key.rsplit(':').next().unwrap().to_string()
}

/// An executable `juju` in the test's root that says it is 3.6.24 to `juju version` and runs
/// `body` (a POSIX shell script) for anything else.
fn fake_juju(t: Test, body: &str) -> (Test, String) {
    fake_juju_version(t, "3.6.24-genericlinux-amd64", body)
}

fn fake_juju_version(t: Test, version: &str, body: &str) -> (Test, String) {
    let path = t.root().join("fake-juju");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = version ]; then printf '%s\\n' '{version}'; exit 0; fi\n{body}\n"
    );
    std::fs::write(&path, script).expect("write fake juju");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = path.display().to_string();
    (t.env("JUJU_BIN", &bin), bin)
}

fn juju_failed(out: &Output) {
    out.status(2).stderr_lacks("panicked");
}

#[test]
fn juju_missing_says_how_to_point_at_it() {
    let out = eval_in(
        site().env("JUJU_BIN", "/nonexistent/juju"),
        &[],
        "juju_models()",
    );
    juju_failed(&out);
    out.stderr_has("cannot run `/nonexistent/juju version`")
        .stderr_has("not found")
        .stderr_has("JUJU_BIN");
}

#[test]
fn juju_non_zero_exit_shows_argv_and_stderr() {
    let sim = faulty(&["juju-fail:models"]);
    let out = eval(&sim, &[], "juju_models()");
    juju_failed(&out);
    out.stderr_has(&format!(
        "`{} models --format json` failed (exit status 1)",
        sim.juju_bin
    ))
    .stderr_has("ERROR cannot connect to API");
}

#[test]
fn juju_destroy_model_failure_is_an_error_and_journalled() {
    let sim = faulty(&["juju-fail:destroy-model"]);
    let out = eval(
        &sim,
        &["--yes"],
        &format!(r#"{SEAL} juju_destroy_model("openstack")"#),
    );
    juju_failed(&out);
    out.stderr_has(
        "destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt",
    )
    .stderr_has("ERROR");
    let failed: Vec<_> = out
        .journal_lines()
        .into_iter()
        .filter(|l| l.to_string().contains("juju_destroy_model"))
        .collect();
    assert!(
        failed.iter().any(|l| l.to_string().contains("failed")),
        "{failed:#?}"
    );
    assert!(sim.state()["models"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "openstack"));
}

#[test]
fn juju_remove_machine_failure_is_an_error() {
    let sim = faulty(&["juju-fail:remove-machine"]);
    let out = eval(&sim, &["--yes"], r#"juju_remove_machine("openstack", "1")"#);
    juju_failed(&out);
    out.stderr_has(
        "remove-machine -m maas-controller:admin/openstack --force --no-prompt --no-wait 1",
    )
    .stderr_has("failed (exit status 1)");
    assert_unchanged(&sim);
}

#[test]
fn juju_malformed_json_is_a_parse_error_naming_the_command() {
    for (fault, expr, argv) in [
        (
            "juju-malformed:models",
            "juju_models()",
            "models --format json",
        ),
        (
            "juju-malformed:status",
            r#"juju_status("openstack")"#,
            "status -m openstack --format json",
        ),
        (
            "juju-malformed:controllers",
            "juju_controllers()",
            "controllers --format json",
        ),
    ] {
        let sim = faulty(&[fault]);
        let out = eval(&sim, &[], expr);
        juju_failed(&out);
        out.stderr_has(&format!(
            "cannot read the output of `{} {argv}`",
            sim.juju_bin
        ))
        .stderr_has("is not the JSON Juju prints");
    }
}

/// Juju 4.0 `juju models` entries: no `owner`, no `qualifier`.
const MODELS_4: &str = r#"{"models":[{"name":"admin/openstack","short-name":"openstack","model-uuid":"3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63","controller-name":"c","controller-uuid":"c0ffee00-0000-4000-8000-000000000001","model-type":"iaas","life":"alive","status":{"current":"available"}}],"current-model":"admin/openstack"}"#;

#[test]
fn juju_4_output_reads_like_3_and_a_mismatch_is_refused_clearly() {
    let (t, _) = fake_juju_version(
        site(),
        "4.0.16-ubuntu-amd64",
        &format!("cat <<'EOF'\n{MODELS_4}\nEOF"),
    );
    let out = eval_in(
        t,
        &[],
        r#"let m = juju_model("openstack"); `${m.owner} ${m.qualified} ${m.uuid}`"#,
    );
    out.status(0)
        .stdout_has("admin admin/openstack 3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63");

    // The same output from a `juju` that says it is 3.6: not silently mis-read.
    let (t, _) = fake_juju(site(), &format!("cat <<'EOF'\n{MODELS_4}\nEOF"));
    let out = eval_in(t, &[], "juju_models()");
    juju_failed(&out);
    out.stderr_has("no `owner`").stderr_has("Juju 4.x");
}

#[test]
fn unsupported_juju_versions_are_refused_naming_the_command() {
    for (version, want) in [
        ("2.9.46-ubuntu-amd64", "Juju 2.x is not supported"),
        ("5.1.0-ubuntu-amd64", "major version 5"),
        ("", "printed nothing"),
        ("version: 3.6.1", "not a Juju version"),
    ] {
        let t = site();
        let ran = t.root().join("ran");
        let (t, bin) = fake_juju_version(t, version, &format!("touch {}", ran.display()));
        let out = eval_in(t, &["--yes"], r#"juju_destroy_model("openstack")"#);
        juju_failed(&out);
        out.stderr_has(want).stderr_has(&format!("`{bin} version`"));
        assert!(
            !out.root().join("ran").exists(),
            "{version}: a juju command ran after the version check"
        );
    }
}

#[test]
fn juju_timeout_kills_it_and_its_children_and_says_which_setting_to_raise() {
    // The fake juju records its pid and its child's, then waits on the child.
    let t = site();
    let pids = t.root().join("pids");
    let (t, bin) = fake_juju(
        t,
        &format!(
            "echo $$ > {0}\nsleep 30 &\necho $! >> {0}\nwait",
            pids.display()
        ),
    );
    let started = Instant::now();
    let out = eval_in(t, &["--set", "juju.timeout=1"], "juju_models()");
    let took = started.elapsed();
    juju_failed(&out);
    out.stderr_has(&format!(
        "`{bin} models --format json` did not finish within 1s and was killed"
    ))
    .stderr_has("juju.timeout");
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let pids = std::fs::read_to_string(&pids).expect("the fake juju ran");
    let pids: Vec<i32> = pids.lines().map(|p| p.parse().expect("a pid")).collect();
    assert_eq!(pids.len(), 2, "{pids:?}");
    for pid in pids {
        assert!(
            gone_within(pid, Duration::from_secs(5)),
            "{pid} survived the timeout"
        );
    }
}

#[test]
fn maas_wrong_key_is_401_with_a_hint_and_no_secret() {
    let sim = SimServer::start("dirty");
    let t = with_sim(site(), &sim).env("MAAS_API_KEY", "ck:tk:notthesecret");
    let out = eval_in(t, &[], "maas_machines()");
    out.status(2)
        .stderr_has(&format!(
            "`GET {}/api/2.0/machines/` returned 401",
            sim.maas_url
        ))
        .stderr_has("Invalid API key")
        .stderr_has("check `MAAS_API_KEY`")
        .stderr_lacks("notthesecret");
    assert_unchanged(&sim);
}

#[test]
fn maas_403_on_release_is_an_error_naming_the_request() {
    let (sim, id, out) = release_answered(403);
    out.status(2)
        .stderr_has(&format!(
            "`POST {}/api/2.0/machines/{id}/?op=release` returned 403",
            sim.maas_url
        ))
        .stderr_has("may not do that")
        .stderr_lacks(&secret(&sim));
    assert_unchanged(&sim);
    // The journal says the release failed.
    assert!(out
        .journal_lines()
        .iter()
        .any(|l| l["outcome"] == "failed" || l.to_string().contains("\"failed\"")));
}

#[test]
fn maas_404_on_a_read_points_at_the_url() {
    let sim = SimServer::start("dirty");
    let wrong = format!("{}/WRONG", sim.base_url);
    let t = with_sim(site(), &sim).env("MAAS_URL", &wrong);
    let out = eval_in(t, &[], "maas_machines()");
    out.status(2)
        .stderr_has(&format!("`GET {wrong}/api/2.0/machines/` returned 404"))
        .stderr_has("`MAAS_URL`");
}

#[test]
fn maas_404_on_release_of_a_machine_that_still_exists_is_an_error() {
    // A 404 is only "gone" when a fresh read agrees (a composed VM Juju released); here the
    // machine is still there and Deployed, so the release failed.
    let (sim, id, out) = release_answered(404);
    out.status(2)
        .stderr_has(&format!(
            "machine `{id}` was not released; it is `Deployed`"
        ))
        .stderr_has("returned 404");
    assert_unchanged(&sim);
}

#[test]
fn maas_409_on_release_rereads_the_machine_and_fails_when_it_is_not_releasing() {
    let (sim, id, out) = release_answered(409);
    out.status(2).stderr_has("409");
    // The release was followed by a fresh read of the machine.
    let reqs = requests(&sim);
    let post = reqs
        .iter()
        .position(|r| r.contains("op=release"))
        .expect("the release was sent");
    assert!(
        reqs[post + 1..]
            .iter()
            .any(|r| r.starts_with("GET") && r.contains(&id)),
        "{reqs:#?}"
    );
    assert_unchanged(&sim);
}

#[test]
fn maas_500_is_retried_then_reported() {
    let sim = faulty(&["maas-status:500:op=whoami"]);
    let out = eval(&sim, &[], "maas_whoami()");
    out.status(2)
        .stderr_has("users/?op=whoami` returned 500")
        .stderr_has("4 times in a row");
    let tries = requests_with(&sim, "op=whoami");
    assert_eq!(tries, 4, "GETs are retried a bounded number of times");
}

#[test]
fn maas_5xx_on_release_is_not_retried_blindly() {
    let (sim, _, out) = release_answered(500);
    out.status(2).stderr_has("returned 500");
    assert_eq!(requests_with(&sim, "op=release"), 1, "{:#?}", sim.log());
}

#[test]
fn a_get_succeeds_after_transient_5xx() {
    // Seeded: at this rate the first three GETs fail (500, 500, 503 with Retry-After: 1).
    let sim = faulty(&["maas-5xx:0.7"]);
    let out = eval(&sim, &[], "maas_machines().len()");
    out.status(0).stdout_is("9\n");
    // Some GET failed on MAAS's side and was answered 200 when asked again.
    let log = sim.log();
    let retried = log.iter().enumerate().any(|(i, e)| {
        e["status"].as_i64().unwrap_or(0) >= 500
            && log[i + 1..]
                .iter()
                .any(|l| l["request"] == e["request"] && l["status"] == 200)
    });
    assert!(retried, "{log:#?}");
}

#[test]
fn maas_hang_ends_at_the_request_timeout() {
    let sim = faulty(&["maas-hang:op=whoami"]);
    let started = Instant::now();
    let out = eval(&sim, &["--set", "maas.timeout=1"], "maas_whoami()");
    let took = started.elapsed();
    out.status(2)
        .stderr_has(&format!(
            "`GET {}/api/2.0/users/?op=whoami` failed",
            sim.maas_url
        ))
        .stderr_has("timed out");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // A hung MAAS is asked once, not again and again.
    let held: Vec<_> = sim
        .log()
        .into_iter()
        .filter(|e| e["request"].as_str().unwrap().contains("op=whoami"))
        .collect();
    assert_eq!(held.len(), 1, "{held:#?}");
}

#[test]
fn maas_unreachable_names_the_url_after_bounded_retries() {
    // Port 1: privileged and outside the ephemeral range every simulator binds from, so no
    // other test can be listening there (a port bound and dropped here could be reused).
    let url = "http://127.0.0.1:1/MAAS".to_string();
    let t = site()
        .env("MAAS_URL", &url)
        .env("MAAS_API_KEY", "ck:tk:secret");
    let out = eval_in(t, &[], "maas_machines()");
    out.status(2)
        .stderr_has(&format!(
            "`GET {url}/api/2.0/machines/` failed after 4 attempts"
        ))
        .stderr_has("Connection refused");
}

#[test]
fn maas_not_configured_says_what_to_set() {
    eval_in(site(), &[], "maas_whoami()")
        .status(2)
        .stderr_has("no MAAS URL: set `MAAS_URL`");
    eval_in(
        site().env("MAAS_URL", "http://127.0.0.1:1/MAAS"),
        &[],
        "maas_whoami()",
    )
    .status(2)
    .stderr_has("no MAAS API key: set `MAAS_API_KEY`");
}
