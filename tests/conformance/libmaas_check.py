"""Conformance check: python-libmaas 0.6.8, unmodified, against `runbook sim serve`.

Reads MAAS_URL and MAAS_API_KEY from the environment; connects, asks who it is, lists the
machines, and releases one Deployed machine owned by that user. Exits non-zero on any
mismatch. Run by tests/integration/sim_conformance.rs.
"""

import os
import sys

import maas.client
from maas.client.enum import NodeStatus


def main():
    url = os.environ["MAAS_URL"]
    client = maas.client.connect(url, apikey=os.environ["MAAS_API_KEY"])
    me = client.users.whoami()
    assert me.username == "admin", me.username
    machines = client.machines.list()
    assert len(machines) >= 5, len(machines)
    hostnames = {m.hostname for m in machines}
    assert {"openstack0", "capi-mgmt"} <= hostnames, hostnames
    target = next(m for m in machines if m.hostname == "openstack0")
    assert target.status == NodeStatus.DEPLOYED, target.status
    assert target.owner_data.get("juju-model-uuid"), target.owner_data
    target.release(comment="libmaas conformance check")
    assert target.status == NodeStatus.RELEASING, target.status
    again = client.machines.get(target.system_id)
    assert again.status in (NodeStatus.RELEASING, NodeStatus.READY), again.status
    print("libmaas ok: %s, %d machines, released %s" % (me.username, len(machines), target.system_id))


if __name__ == "__main__":
    sys.exit(main())
