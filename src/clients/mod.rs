//! The systems in plain Rust, no Rhai types: Juju (a subprocess), MAAS (HTTP), qcow2 (a file).

pub mod juju;
pub mod maas;
pub mod qcow2;
