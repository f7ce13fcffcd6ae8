//! Decoding Juju's `--format json` output (docs/formats.md "Juju CLI" and "Juju 4.0"): the
//! helpers every parser shares. Raw structs mirror Juju's JSON and ignore fields they do not
//! know; every field is optional and may be null, and output that is not JSON at all says
//! what it was.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// Juju's JSON output of `juju COMMAND`, or an error saying what it printed instead:
/// nothing, or text that is not JSON at all (YAML or a table, from a `juju` that ignores
/// `--format json`), quoted from its first line. `expected` hints at the shape.
pub(super) fn from_json<T: DeserializeOwned>(
    json: &str,
    command: &str,
    expected: &str,
) -> Result<T> {
    let text = json.trim();
    if text.is_empty() {
        bail!("`juju {command}` printed nothing (and exited 0); expected the JSON Juju prints{expected}");
    }
    serde_json::from_str(text).map_err(|e| {
        let what = format!("`juju {command}` output is not the JSON Juju prints{expected}");
        if text.starts_with(['{', '[']) {
            anyhow!(e).context(what)
        } else {
            let first: String = text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            anyhow!(
                "{what}: it begins `{}` (YAML or text: is this `juju` ignoring `--format json`?)",
                first.escape_debug()
            )
        }
    })
}

/// A map field that may be absent or `null` (Juju 4.0 leaves nested fields out or null).
pub(super) fn map_or_null<'de, D, V>(d: D) -> std::result::Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    Ok(Option::<BTreeMap<String, V>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawStatusInfo {
    pub(super) current: Option<String>,
    pub(super) life: Option<String>,
    #[serde(rename = "status-error")]
    pub(super) status_error: Option<String>,
}

pub(super) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use crate::clients::juju::controllers::{parse_blocks, parse_controllers};
    use crate::clients::juju::models::parse_models;
    use crate::clients::juju::status::parse_status;
    use crate::clients::juju::version::Family;

    #[test]
    fn output_that_is_not_json_says_what_it_was() {
        let e = format!("{:#}", parse_models("  \n", Family::Juju3).unwrap_err());
        assert_eq!(e, "`juju models` printed nothing (and exited 0); expected the JSON Juju prints (expected `{\"models\": [...]}`)");
        let yaml = "models:\n- name: admin/openstack\n";
        let e = format!("{:#}", parse_models(yaml, Family::Juju3).unwrap_err());
        assert_eq!(e, "`juju models` output is not the JSON Juju prints (expected `{\"models\": [...]}`): it begins `models:` (YAML or text: is this `juju` ignoring `--format json`?)");
        let e = format!(
            "{:#}",
            parse_status("Model  Controller\x1b[31m",).unwrap_err()
        );
        assert!(
            e.contains("it begins `Model  Controller\\u{1b}[31m`"),
            "{e}"
        );
        // Cut JSON keeps serde's reason.
        let e = format!(
            "{:#}",
            parse_controllers("{\"controllers\": {").unwrap_err()
        );
        assert!(
            e.starts_with(
                "`juju controllers` output is not the JSON Juju prints: EOF while parsing"
            ),
            "{e}"
        );
        assert_eq!(parse_blocks("null").unwrap(), Vec::new());
    }
}
