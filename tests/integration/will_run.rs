//! The "will run:" lines show the exact command that then runs: the juju binary, the
//! controller-qualified model and every flag, as the simulator's log records the call.

use crate::identity_controllers::teardown;
use crate::sim_server::{SimServer, TEST_SPEED};

/// The commands the transcript announces with `will run:`, without the juju binary.
fn announced(stderr: &str, bin: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("will run: "))
        .map(|c| {
            c.strip_prefix(bin)
                .unwrap_or_else(|| panic!("`{c}` does not start with the juju binary `{bin}`"))
                .trim_start()
                .to_string()
        })
        .collect()
}

#[test]
fn will_run_is_the_command_that_runs() {
    // Phase B's destroy.
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(0);
    let shown = announced(&out.stderr, &sim.juju_bin);
    assert_eq!(shown, sim.juju_commands("destroy-model"), "{}", out.stderr);
    assert_eq!(
        shown,
        ["destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"]
    );
    // The remediation's removals and re-destroy (a machine that lingers).
    let sim = SimServer::with("stuck", &[], TEST_SPEED);
    let out = teardown(&sim, &["--set", "timeouts.model_gone=2"]);
    out.status(0);
    let shown = announced(&out.stderr, &sim.juju_bin);
    let mut ran = sim.juju_commands("destroy-model");
    ran.extend(sim.juju_commands("remove-machine"));
    assert!(
        shown
            .iter()
            .any(|c| c.starts_with("remove-machine -m maas-controller:admin/openstack")),
        "{shown:#?}"
    );
    // Every command that ran was announced as it ran, and nothing else was announced (the
    // re-destroy may find the model already gone after the removals: announced, not sent).
    let set = |v: &[String]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(set(&shown), set(&ran), "{}", out.stderr);
}
