//! A run whose earlier step escalated (`fail()`, e.g. remediation's "model still listed")
//! is NO-GO whatever the acceptance rows say: §4 never prints "GO: proceed" before
//! `verdict: NO-GO`.

use crate::common::Test;
use crate::sim_server::SimServer;

/// §4 acceptance of a torn-down cloud (every row holds), after an earlier `fail()`.
const ACCEPT_AFTER_FAIL: &str = r#"import "acceptance" as acceptance;
if FAIL { fail("model `openstack` is still listed after remediation"); }
acceptance::accept(#{ site: site, dry_run: false }, (), (), ());
"#;

fn accept(sim: &SimServer, failed: bool) -> crate::common::Output {
    Test::script(&ACCEPT_AFTER_FAIL.replace("FAIL", &failed.to_string()))
        .sim(sim)
        .site("testcloud")
        .set("osd_disks", "")
        .args(&["--json"])
        .run()
}

#[test]
fn an_earlier_failure_is_never_followed_by_go() {
    let sim = SimServer::start("clean");
    let out = accept(&sim, true);
    out.status(1);
    assert_eq!(out.json()["verdict"], "no-go");
    out.stderr_lacks("GO: proceed to the deploy").stderr_has(
        "warn NO-GO: every row above holds now, but an earlier step failed (FAIL above): do not deploy until that is resolved",
    );
    // Without the earlier failure the same rows are GO.
    let out = accept(&sim, false);
    out.status(0).stderr_has("ok   GO: proceed to the deploy");
    assert_eq!(out.json()["verdict"], "go");
    assert!(!sim.changed());
}
