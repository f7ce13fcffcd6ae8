//! The argv of the juju commands that change a model — `destroy-model` and `remove-machine`
//! — and their flags, as docs/formats.md gives them for Juju 3.6 and 4.0. Built here, once,
//! so the command a dry-run prints is the command that runs.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// Flags of `juju destroy-model` (docs/formats.md: `--no-wait` and `--timeout` need `--force`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DestroyOptions {
    pub force: bool,
    pub no_wait: bool,
    /// `--destroy-storage` when true, `--release-storage` when false.
    pub destroy_storage: bool,
    /// `--timeout` in seconds (only with `force`).
    pub timeout: Option<u64>,
}

impl Default for DestroyOptions {
    /// teardown.md §3.2 Phase B: `--force --no-wait --destroy-storage`.
    fn default() -> Self {
        DestroyOptions {
            force: true,
            no_wait: true,
            destroy_storage: true,
            timeout: None,
        }
    }
}

/// Flags of `juju remove-machine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveOptions {
    pub force: bool,
    pub no_wait: bool,
    pub keep_instance: bool,
}

impl Default for RemoveOptions {
    /// teardown.md §3.3 remediation: `juju remove-machine -m MODEL --force --no-prompt
    /// --no-wait ID` (Juju accepts the removal and returns).
    fn default() -> Self {
        RemoveOptions {
            force: true,
            no_wait: true,
            keep_instance: false,
        }
    }
}

/// `juju destroy-model MODEL ...` (the model is positional; `--no-prompt` always).
pub fn destroy_model_argv(bin: &str, model: &str, opts: &DestroyOptions) -> Result<Vec<String>> {
    if (opts.no_wait || opts.timeout.is_some()) && !opts.force {
        bail!("`no_wait` and `timeout` need `force: true` for `juju destroy-model {model}`");
    }
    let mut argv = vec![bin.to_string(), "destroy-model".into(), model.to_string()];
    if opts.force {
        argv.push("--force".into());
    }
    if opts.no_wait {
        argv.push("--no-wait".into());
    }
    if let Some(t) = opts.timeout {
        argv.push("--timeout".into());
        argv.push(format!("{t}s"));
    }
    argv.push(
        if opts.destroy_storage {
            "--destroy-storage"
        } else {
            "--release-storage"
        }
        .into(),
    );
    argv.push("--no-prompt".into());
    Ok(argv)
}

/// `juju remove-machine -m MODEL --force --no-prompt --no-wait ID`, valid on 3.6 and 4.0:
/// `--no-prompt` always (3.2+ prompts and aborts without it; in 4.x `--force` no longer skips
/// the prompt); `--no-wait` only with `--force` (Juju refuses it alone). `ID` may be a
/// container (`2/lxd/1`).
pub fn remove_machine_argv(bin: &str, model: &str, id: &str, opts: &RemoveOptions) -> Vec<String> {
    let mut argv = vec![
        bin.to_string(),
        "remove-machine".into(),
        "-m".into(),
        model.to_string(),
    ];
    if opts.force {
        argv.push("--force".into());
    }
    argv.push("--no-prompt".into());
    if opts.no_wait && opts.force {
        argv.push("--no-wait".into());
    }
    if opts.keep_instance {
        argv.push("--keep-instance".into());
    }
    argv.push(id.to_string());
    argv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::juju::shell_line;

    #[test]
    fn destroy_argv_follows_formats() {
        let argv = destroy_model_argv("juju", "openstack", &DestroyOptions::default()).unwrap();
        assert_eq!(
            shell_line(&argv),
            "juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt"
        );
        let o = DestroyOptions {
            force: true,
            no_wait: false,
            destroy_storage: false,
            timeout: Some(600),
        };
        assert_eq!(
            shell_line(&destroy_model_argv("juju", "m", &o).unwrap()),
            "juju destroy-model m --force --timeout 600s --release-storage --no-prompt"
        );
        let bad = DestroyOptions {
            force: false,
            ..DestroyOptions::default()
        };
        assert!(destroy_model_argv("juju", "m", &bad).is_err());
    }

    #[test]
    fn remove_machine_argv_is_valid_on_both_majors() {
        let argv = remove_machine_argv("juju", "openstack", "3", &RemoveOptions::default());
        assert_eq!(
            shell_line(&argv),
            "juju remove-machine -m openstack --force --no-prompt --no-wait 3"
        );
        let argv = remove_machine_argv(
            "juju",
            "m",
            "0/lxd/1",
            &RemoveOptions {
                force: false,
                no_wait: false,
                keep_instance: true,
            },
        );
        assert_eq!(
            shell_line(&argv),
            "juju remove-machine -m m --no-prompt --keep-instance 0/lxd/1"
        );
    }
}
