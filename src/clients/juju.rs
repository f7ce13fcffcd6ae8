//! juju client (issue 4).
