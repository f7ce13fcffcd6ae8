//! Scenario `region:N`: a big bare-metal region. N target nodes (`node00000` …) are
//! Deployed under the `openstack` model and owned by the API user, as a thousand-node
//! OpenStack looks before its teardown. Around them, nodes no teardown may touch: one in
//! ten more deployed by another user (`alice-node…`), and one in a hundred (at least one)
//! owned by the API user but locked and outside the model (`locked…`).
//!
//! Name the targets with the range form `--set 'targets=node[00000-0NNNN]'` (N−1, five
//! digits), e.g. `node[00000-00999]` for `region:1000`.

use super::scenario::{alive_openstack, Builder, OPENSTACK_MODEL_UUID, OTHER_USER, USER};
use super::state::{Application, JujuMachine, Model, Unit};

/// The most targets a region may have (the list stays within what a MAAS answers quickly).
pub const MAX_TARGETS: usize = 10_000;

/// The hostname of target `i`.
pub fn target(i: usize) -> String {
    format!("node{i:05}")
}

/// The `--set targets=` value that names the N targets of `region:N`.
pub fn targets_range(n: usize) -> String {
    format!("node[00000-{:05}]", n.saturating_sub(1))
}

/// Adds the region's nodes to `b` and returns its `openstack` model.
pub(super) fn populate(b: &mut Builder, n: usize) -> Model {
    let mut machines = Vec::with_capacity(n);
    for i in 0..n {
        let host = target(i);
        let index = b.add(&host, Some(USER), Some(OPENSTACK_MODEL_UUID));
        machines.push(JujuMachine {
            id: i.to_string(),
            system_id: b.machines[index].system_id.clone(),
            hostname: host,
            index,
            dying: false,
            stuck: false,
            keep_instance: false,
            removal_due: None,
        });
    }
    for i in 0..n / 10 {
        b.add(&format!("alice-node{i:05}"), Some(OTHER_USER), None);
    }
    for i in 0..(n / 100).max(1) {
        let index = b.add(&format!("locked{i:03}"), Some(USER), None);
        b.machines[index].locked = true;
    }
    // Compute on every node; the monitors on the first three.
    let units = |name: &str, on: &mut dyn Iterator<Item = usize>| Application {
        name: name.to_string(),
        charm: name.to_string(),
        channel: if name == "ceph-mon" {
            "quincy/stable"
        } else {
            "2023.2/stable"
        }
        .to_string(),
        revision: if name == "ceph-mon" { 201 } else { 732 },
        units: on
            .enumerate()
            .map(|(k, m)| Unit {
                number: k as u32,
                machine: m.to_string(),
                leader: k == 0,
            })
            .collect(),
    };
    let applications = vec![
        units("ceph-mon", &mut (0..n.min(3))),
        units("nova-compute", &mut (0..n)),
    ];
    alive_openstack(machines, applications)
}
