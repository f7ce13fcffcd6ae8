//! No silent missing keys: reading a key a map does not have is an error naming the
//! script's file:line (exit 2, nothing changed), not `()`; `runbook check` names a site key
//! the site schema does not have; primitive results carry every optional key (as `()`).

use crate::common::Test;
use crate::primitives_fixture::{assert_unchanged, eval, requests, site, with_sim};
use crate::primitives_juju::SEAL;
use crate::sim_server::SimServer;

/// Runs `script` as `runbooks/typo.rhai` with `--yes` against a `dirty` simulator (targets
/// owned by the user, so a release would be allowed), after the detection.
fn run_against_dirty(script: &str) -> (SimServer, crate::common::Output) {
    let sim = SimServer::start("dirty");
    let out = with_sim(site(), &sim)
        .file("runbooks/typo.rhai", &format!("detect_cloud();\n{script}"))
        .args(&["--site", "t", "run", "typo", "--yes"])
        .run();
    (sim, out)
}

#[test]
fn a_typo_d_result_key_is_an_error_with_file_and_line_and_releases_nothing() {
    let (sim, out) = run_against_dirty(
        "for m in maas_machines(site.targets) {\n    if m.ownr == () { release(m.system_id); }\n}\n",
    );
    out.status(2)
        .stderr_has("error: the map has no key `ownr` (a typo?)")
        .stderr_has("runbooks/typo.rhai:3:10")
        .stdout_lacks("verdict: GO");
    assert!(
        !requests(&sim).iter().any(|r| r.contains("op=release")),
        "nothing released: {:?}",
        requests(&sim)
    );
    assert_unchanged(&sim);
}

#[test]
fn a_typo_d_site_key_is_an_error_with_file_and_line_and_releases_nothing() {
    let (sim, out) = run_against_dirty(
        "if site.wipe_osdd == () {\n    for m in maas_machines(site.targets) { release(m.system_id); }\n}\n",
    );
    out.status(2)
        .stderr_has("error: the map has no key `wipe_osdd`")
        .stderr_has("runbooks/typo.rhai:2:9");
    assert!(!requests(&sim).iter().any(|r| r.contains("op=release")));
    assert_unchanged(&sim);
}

#[test]
fn check_names_an_unknown_site_key_and_where() {
    let out = Test::new()
        .file(
            "stdlib/m.rhai",
            "fn osd(run) {\n    let cfg = run.site;\n    cfg.osd_disk\n}\n",
        )
        .file(
            "runbooks/a.rhai",
            "import \"m\" as m;\nlet run = #{ site: site };\nif site.wipe_osdd { print(m::osd(run)); }\nprint(site.maas.urll);\nprint(site.timeouts.model_gone + site.targets.len());\n",
        )
        .args(&["check"])
        .run();
    out.status(2);
    let root = out.root().display().to_string();
    out.stderr_has("error: `site.wipe_osdd` is not a site setting (a typo?)")
        .stderr_has(&format!("--> {root}/runbooks/a.rhai:3:9"))
        .stderr_has("error: `site.maas.urll` is not a site setting")
        .stderr_has(&format!("--> {root}/runbooks/a.rhai:4:"))
        .stderr_has("error: `site.osd_disk` is not a site setting")
        .stderr_has(&format!("--> {root}/stdlib/m.rhai:3:"))
        .stderr_has("3 problem(s) found")
        .stderr_lacks("model_gone");
}

/// An optional key of a primitive's result is present as `()`, whichever way the call
/// ended: a dry-run release has `result: ()` (not a missing key).
#[test]
fn optional_result_keys_are_present_as_unit() {
    let sim = SimServer::start("dirty");
    let out = with_sim(site(), &sim)
        .args(&[
            "--site",
            "t",
            "eval",
            "--dry-run",
            "detect_cloud(); let r = release_all(maas_machines([\"openstack0\"]).map(|m| m.system_id))[0]; [r.result, r.error, r.message, r.planned]",
        ])
        .run();
    out.status(0).stdout_has("[(), (), (), true]");
    assert_unchanged(&sim);

    let fields = "[r.model, r.result, r.message, r.last_line, r.planned]";
    let destroy = format!(r#"{SEAL} let r = juju_destroy_model("openstack"); {fields}"#);
    let out = eval(&sim, &["--dry-run"], &destroy);
    out.status(0).stdout_has("[(), (), (), (), true]");
    assert_unchanged(&sim);
}
