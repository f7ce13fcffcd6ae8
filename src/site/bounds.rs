//! The range of every numeric site setting and the choices of every enumerated one, checked
//! once when the site is built from the ranges in [`super::keys::KEYS`]: a value out of range
//! is a clear error naming the key, where it came from and the range — never a panic or an
//! overflow later (e.g. `--set juju.timeout=18446744073709551615`).

use anyhow::{bail, Result};
use serde_json::Value;

use super::keys::{Kind, KEYS};

/// Check every setting of a site's JSON tree (already of the right types); `origin(key)`
/// says where a key was set (`None`: default). Keys the tree lacks (`sim.` on a real
/// site) are skipped.
pub fn check(tree: &Value, origin: impl Fn(&str) -> Option<String>) -> Result<()> {
    for key in KEYS {
        let value = key
            .name
            .split('.')
            .try_fold(tree, |node, part| node.get(part));
        let Some(value) = value.filter(|v| !v.is_null()) else {
            continue;
        };
        if key.kind.admits(value) {
            continue;
        }
        let from = origin(key.name)
            .map(|o| format!(" (set in {o})"))
            .unwrap_or_default();
        let shown = super::keys::shown(value);
        match &key.kind {
            _ if value.as_str().is_some_and(|s| s.trim().is_empty()) => bail!(
                "`{}` is empty{from}: it must be {} (leave an optional setting out rather than empty)",
                key.name,
                key.kind.expects()
            ),
            Kind::Choice { of, .. } => bail!(
                "`{}` = {shown} is not a choice{from}: it must be one of {}",
                key.name,
                of.join(", ")
            ),
            kind => bail!(
                "`{}` = {shown} is out of range{from}: it must be {}",
                key.name,
                kind.range().unwrap_or_default()
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::keys;
    use serde_json::json;

    /// The defaults of a site called `t`.
    fn defaults_tree(with_sim: bool) -> Value {
        let mut tree = keys::defaults_tree(with_sim);
        tree["name"] = json!("t");
        tree
    }

    #[test]
    fn defaults_are_in_range() {
        check(&defaults_tree(true), |_| None).unwrap();
    }

    #[test]
    fn empty_text_is_refused_but_an_empty_glob_is_none() {
        let mut tree = defaults_tree(false);
        tree["juju"]["controller"] = json!("");
        assert_eq!(
            check(&tree, |_| Some("`--set`".into())).unwrap_err().to_string(),
            "`juju.controller` is empty (set in `--set`): it must be text (leave an optional setting out rather than empty)"
        );
        tree["juju"]["controller"] = json!(null);
        tree["osd_disks"] = json!("");
        check(&tree, |_| None).unwrap();
        tree["pointer_file"] = json!(" ");
        assert!(check(&tree, |_| None)
            .unwrap_err()
            .to_string()
            .starts_with("`pointer_file` is empty"));
    }

    #[test]
    fn out_of_range_names_the_key_origin_and_range() {
        let mut tree = defaults_tree(false);
        tree["juju"]["timeout"] = json!(u64::MAX);
        let e = check(&tree, |k| (k == "juju.timeout").then(|| "`--set`".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`juju.timeout` = 18446744073709551615 is out of range (set in `--set`): it must be 1 to 86400 seconds"
        );
        let mut tree = defaults_tree(false);
        tree["maas"]["concurrency"] = json!(0);
        assert_eq!(
            check(&tree, |_| None).unwrap_err().to_string(),
            "`maas.concurrency` = 0 is out of range: it must be 1 to 256 requests"
        );
        let mut tree = defaults_tree(false);
        tree["timeouts"]["destroy_cli"] = json!(u64::MAX);
        assert!(check(&tree, |_| None)
            .unwrap_err()
            .to_string()
            .starts_with("`timeouts.destroy_cli` = 18446744073709551615 is out of range"));
        let mut tree = defaults_tree(true);
        tree["sim"]["speed"] = json!(0.0);
        assert_eq!(
            check(&tree, |_| None).unwrap_err().to_string(),
            "`sim.speed` = 0.0 is out of range: it must be more than 0 and at most 10000 times real time"
        );
        let mut tree = defaults_tree(true);
        tree["sim"]["juju"] = json!("3.5");
        assert_eq!(
            check(&tree, |_| None).unwrap_err().to_string(),
            "`sim.juju` = \"3.5\" is not a choice: it must be one of 3.6, 4.0"
        );
    }
}
