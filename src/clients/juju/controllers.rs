//! `juju controllers --format json` (which controller is current, and its uuid, user and
//! counts) and `juju disabled-commands --format json` (the `juju disable-command` blocks).

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Deserialize;

use super::json::from_json;
use super::types::{Block, Controller};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawControllers {
    #[serde(default)]
    controllers: Option<BTreeMap<String, RawController>>,
    #[serde(default)]
    current_controller: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawController {
    uuid: Option<String>,
    cloud: Option<String>,
    region: Option<String>,
    agent_version: Option<String>,
    current_model: Option<String>,
    user: Option<String>,
    model_count: Option<u64>,
    machine_count: Option<u64>,
    controller_machines: Option<RawControllerMachines>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawControllerMachines {
    #[serde(rename = "Active")]
    active: Option<u64>,
    #[serde(rename = "Total")]
    total: Option<u64>,
}

pub(crate) fn parse_blocks(json: &str) -> Result<Vec<Block>> {
    let blocks: Option<Vec<Block>> = from_json(
        json,
        "disabled-commands",
        " (expected `[{\"command-set\": ...}]`)",
    )?;
    Ok(blocks.unwrap_or_default())
}

pub(crate) fn parse_controllers(json: &str) -> Result<Vec<Controller>> {
    let raw: RawControllers = from_json(json, "controllers", "")?;
    let current = raw.current_controller.unwrap_or_default();
    Ok(raw
        .controllers
        .unwrap_or_default()
        .into_iter()
        .map(|(name, c)| {
            let cm = c.controller_machines.unwrap_or_default();
            Controller {
                current: name == current,
                name,
                uuid: c.uuid.unwrap_or_default(),
                cloud: c.cloud.unwrap_or_default(),
                region: c.region.unwrap_or_default(),
                agent_version: c.agent_version.unwrap_or_default(),
                current_model: c.current_model.unwrap_or_default(),
                user: c.user.unwrap_or_default(),
                model_count: c.model_count,
                machine_count: c.machine_count,
                controller_machines_active: cm.active,
                controller_machines_total: cm.total,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::juju::test_support::fixture;

    #[test]
    fn blocks_parse_and_say_what_they_stop() {
        let b = parse_blocks(
            r#"[{"command-set":"destroy-model","message":"prod"},{"command-set":"remove-object"}]"#,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert!(b[0].blocks("destroy-model") && !b[0].blocks("remove-machine"));
        assert!(b[1].blocks("remove-machine") && !b[1].blocks("destroy-model"));
        assert_eq!(b[1].message, "");
        assert!(parse_blocks("[]").unwrap().is_empty());
        assert!(parse_blocks("null").unwrap().is_empty());
        assert!(parse_blocks("command-set: all").is_err());
    }

    #[test]
    fn controllers_parse() {
        let json = r#"{"controllers":{"maas-ctl":{"uuid":"c-1","api-endpoints":["10.0.0.2:17070"],"ca-cert":"---","cloud":"maas","agent-version":"3.6.4","current-model":"admin/openstack","user":"admin","access":"superuser","model-count":2,"machine-count":7,"controller-machines":{"Active":1,"Total":1}},"other":{"uuid":"c-2"}},"current-controller":"maas-ctl"}"#;
        let c = parse_controllers(json).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "maas-ctl");
        assert!(c[0].current);
        assert_eq!(
            (
                c[0].model_count,
                c[0].controller_machines_active,
                c[0].controller_machines_total
            ),
            (Some(2), Some(1), Some(1))
        );
        assert!(!c[1].current);
        assert_eq!(c[1].model_count, None);
    }

    #[test]
    fn fixture_controllers() {
        let c = parse_controllers(&fixture("juju-controllers-3.6.json")).unwrap();
        assert_eq!(c.len(), 1);
        assert!(c[0].current);
        assert_eq!(
            (
                c[0].name.as_str(),
                c[0].current_model.as_str(),
                c[0].machine_count
            ),
            ("maas-controller", "admin/openstack", Some(4))
        );
    }
}
