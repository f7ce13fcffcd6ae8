//! `juju models --format json`, 3.x and 4.x (4.x has no `owner`: the qualifier is the part
//! of `name` before `/`), into the same [`Model`]; and which model a name means — a uuid,
//! `owner/name`, or a bare name that is the logged-in user's — never guessed.

use anyhow::{anyhow, bail, Result};
use serde::Deserialize;

use super::json::{from_json, non_empty, RawStatusInfo};
use super::types::Model;
use super::version::Family;

#[derive(Deserialize)]
struct RawModels {
    models: Vec<RawModel>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawModel {
    name: Option<String>,
    short_name: Option<String>,
    model_uuid: Option<String>,
    model_type: Option<String>,
    controller_name: Option<String>,
    controller_uuid: Option<String>,
    is_controller: Option<bool>,
    /// Juju 3.x only; 4.x has neither `owner` nor `qualifier` (the qualifier is in `name`).
    owner: Option<String>,
    life: Option<String>,
    status: Option<RawStatusInfo>,
}

/// `juju models --format json` in the shape of `family` (from `juju version`).
pub(crate) fn parse_models(json: &str, family: Family) -> Result<Vec<Model>> {
    let raw: RawModels = from_json(json, "models", " (expected `{\"models\": [...]}`)")?;
    raw.models
        .into_iter()
        .map(|m| model_from_raw(m, family))
        .collect()
}

fn model_from_raw(m: RawModel, family: Family) -> Result<Model> {
    let qualified = non_empty(m.name).unwrap_or_default();
    let name = non_empty(m.short_name)
        .or_else(|| qualified.rsplit('/').next().map(str::to_string))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("a model in `juju models` output has no name"))?;
    let owner = match family {
        Family::Juju3 => non_empty(m.owner).ok_or_else(|| {
            anyhow!(
                "model `{qualified}` has no `owner` although `juju version` says Juju 3.x; this looks like Juju 4.x output — check which `juju` runs (`JUJU_BIN`, site `juju.bin`)"
            )
        })?,
        // 4.x: the qualifier is the part of `name` before `/` (its spelling changed inside
        // 4.0.x, so it is shown, never used to build a name).
        Family::Juju4 => match qualified.split_once('/') {
            Some((q, short)) if !q.is_empty() && short == name => q.to_string(),
            _ => bail!(
                "model `{qualified}` in Juju 4.x `juju models` output: expected `name` as `<qualifier>/{name}`"
            ),
        },
    };
    let is_controller = m.is_controller.unwrap_or(false);
    let status = m.status.and_then(|s| s.current).unwrap_or_default();
    // A model being destroyed may come with an empty `life` and status `destroying`.
    let life = match non_empty(m.life) {
        Some(l) => l,
        None if status == "destroying" => "dying".into(),
        None => "alive".into(),
    };
    Ok(Model {
        qualified: if qualified.is_empty() {
            format!("{owner}/{name}")
        } else {
            qualified
        },
        name,
        owner,
        uuid: m.model_uuid.unwrap_or_default(),
        life,
        status,
        controller: m.controller_name.unwrap_or_default(),
        controller_uuid: m.controller_uuid.unwrap_or_default(),
        is_controller,
        model_type: m.model_type.unwrap_or_default(),
    })
}

/// The model named `name` in `models`: a uuid, `owner/name` exactly, or a bare short name,
/// which is `user`'s model (the controller's logged-in user, as Juju resolves a bare name):
/// another user's model of that name is not it. When the bare name cannot pick one — listed
/// under more than one qualifier and none is `user`'s, or `user` is unknown — an error
/// lists every match: runbook never guesses.
pub fn find_model(models: Vec<Model>, name: &str, user: &str) -> Result<Option<Model>> {
    if let Some(m) = models.iter().find(|m| m.uuid == name) {
        return Ok(Some(m.clone()));
    }
    if let Some((owner, short)) = name.split_once('/') {
        return Ok(models
            .into_iter()
            .find(|m| m.name == short && m.owner == owner));
    }
    let mut same: Vec<Model> = models.into_iter().filter(|m| m.name == name).collect();
    let mine: Vec<&Model> = same.iter().filter(|m| owned_by(m, user)).collect();
    match (mine.as_slice(), same.len()) {
        ([m], _) => Ok(Some((*m).clone())),
        (_, 0) => Ok(None),
        (_, 1) if user.is_empty() => Ok(same.pop()),
        ([], 1) => Ok(None),
        _ => bail!("{}", ambiguity(name, &same)),
    }
}

fn owned_by(m: &Model, user: &str) -> bool {
    !user.is_empty() && m.owner == user
}

/// The first bare short name among `names` that cannot pick one model: listed under more
/// than one qualifier, and not exactly one of them `user`'s. A qualified name
/// (`owner/name`) always names one model on a controller.
pub fn ambiguous<'a>(
    models: &'a [Model],
    names: &[String],
    user: &str,
) -> Option<(String, Vec<&'a Model>)> {
    names.iter().filter(|n| !n.contains('/')).find_map(|n| {
        let same: Vec<&Model> = models
            .iter()
            .filter(|m| &m.name == n && !m.is_controller)
            .collect();
        let mine = same.iter().filter(|m| owned_by(m, user)).count();
        (same.len() > 1 && mine != 1).then(|| (n.clone(), same))
    })
}

/// The error text for an ambiguous short name: every match with its uuid.
pub fn ambiguity(name: &str, matches: &[impl std::borrow::Borrow<Model>]) -> String {
    let list: Vec<String> = matches
        .iter()
        .map(|m| {
            let m = m.borrow();
            format!(
                "`{}` (uuid {}, controller `{}`)",
                m.qualified, m.uuid, m.controller
            )
        })
        .collect();
    format!(
        "model name `{name}` is ambiguous: `juju models` lists {}, and none is the logged-in user's; runbook will not pick one by name — name the site's model with its owner in `site.models` (e.g. `{}`), or remove or rename the one that is not this site's",
        list.join(" and "),
        matches
            .first()
            .map(|m| m.borrow().qualified.clone())
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::juju::test_support::{fixture, MODELS, MODELS_4};

    #[test]
    fn models_parse_juju_3() {
        let models = parse_models(MODELS, Family::Juju3).unwrap();
        assert_eq!(models.len(), 3);
        let ctl = &models[0];
        assert_eq!(
            (ctl.name.as_str(), ctl.qualified.as_str(), ctl.is_controller),
            ("controller", "admin/controller", true)
        );
        let os = &models[1];
        assert_eq!(os.name, "openstack");
        assert_eq!(os.owner, "admin");
        assert_eq!(os.uuid, "u-os");
        assert_eq!(os.life, "dying");
        assert_eq!(os.status, "destroying");
        assert_eq!(os.controller, "maas-ctl");
        assert!(!os.is_controller);
        // Empty `life`, no status, no is-controller, no model-type: tolerated.
        let sc = &models[2];
        assert_eq!(
            (sc.life.as_str(), sc.status.as_str(), sc.is_controller),
            ("alive", "", false)
        );
    }

    #[test]
    fn models_without_current_or_with_none() {
        assert!(parse_models(r#"{"models":[]}"#, Family::Juju3)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn models_short_name_missing_falls_back_to_qualified() {
        let m = parse_models(
            r#"{"models":[{"name":"admin/openstack","owner":"admin"}]}"#,
            Family::Juju3,
        )
        .unwrap();
        assert_eq!(m[0].name, "openstack");
    }

    #[test]
    fn models_juju_4_parse_into_the_same_models() {
        let models = parse_models(MODELS_4, Family::Juju4).unwrap();
        let os = &models[1];
        assert_eq!(
            (
                os.name.as_str(),
                os.qualified.as_str(),
                os.owner.as_str(),
                os.uuid.as_str()
            ),
            (
                "openstack",
                "alice-example-com/openstack",
                "alice-example-com",
                "u-os"
            )
        );
        // Empty `life` with status `destroying`: the model is dying.
        assert_eq!(
            (os.life.as_str(), os.status.as_str()),
            ("dying", "destroying")
        );
        assert_eq!(os.controller_uuid, "c-1");
        assert!(models[0].is_controller);
        assert_eq!(
            (models[2].owner.as_str(), models[2].life.as_str()),
            ("ops", "alive")
        );
        // The same entries in 3.x shape give the same models.
        let as_3 = MODELS_4
            .replace(
                r#""short-name":"controller","#,
                r#""short-name":"controller","owner":"admin","#,
            )
            .replace(
                r#""short-name":"openstack","#,
                r#""short-name":"openstack","owner":"alice-example-com","#,
            )
            .replace(
                r#""short-name":"scratch","#,
                r#""short-name":"scratch","owner":"ops","#,
            );
        assert_eq!(parse_models(&as_3, Family::Juju3).unwrap(), models);
    }

    #[test]
    fn models_in_the_wrong_family_are_clear_errors() {
        // 4.x entries from a `juju` that says 3.x.
        let e = format!("{:#}", parse_models(MODELS_4, Family::Juju3).unwrap_err());
        assert!(e.contains("no `owner`") && e.contains("Juju 4.x"), "{e}");
        assert!(e.contains("`admin/controller`"), "{e}");
        // A 4.x entry whose name carries no qualifier.
        let bad = r#"{"models":[{"name":"openstack","short-name":"openstack","model-uuid":"u"}]}"#;
        let e = format!("{:#}", parse_models(bad, Family::Juju4).unwrap_err());
        assert!(e.contains("<qualifier>/openstack"), "{e}");
    }

    #[test]
    fn an_ambiguous_short_name_is_an_error_listing_both() {
        let mut models = parse_models(MODELS_4, Family::Juju4).unwrap();
        let mut other = models[1].clone();
        other.qualified = "bob/openstack".into();
        other.owner = "bob".into();
        other.uuid = "u-bob".into();
        models.push(other);
        let e = format!(
            "{:#}",
            find_model(models.clone(), "openstack", "carol").unwrap_err()
        );
        assert!(
            e.contains("`alice-example-com/openstack` (uuid u-os")
                && e.contains("`bob/openstack` (uuid u-bob"),
            "{e}"
        );
        // By uuid it is one model; other names are not affected.
        assert_eq!(
            find_model(models.clone(), "u-bob", "carol")
                .unwrap()
                .unwrap()
                .owner,
            "bob"
        );
        assert!(find_model(models.clone(), "scratch", "ops")
            .unwrap()
            .is_some());
        assert!(find_model(models.clone(), "nope", "carol")
            .unwrap()
            .is_none());
        let names = ["scratch".to_string(), "openstack".to_string()];
        let (name, same) = ambiguous(&models, &names, "carol").unwrap();
        assert_eq!((name.as_str(), same.len()), ("openstack", 2));
        assert!(ambiguous(&models, &names[..1], "carol").is_none());
        // The logged-in user's model is the one a bare name means; another user's alone is
        // not it; a qualified name is exact.
        assert!(find_model(models[2..].to_vec(), "openstack", "admin")
            .unwrap()
            .is_none());
        assert_eq!(
            find_model(models.clone(), "bob/openstack", "carol")
                .unwrap()
                .unwrap()
                .uuid,
            "u-bob"
        );
        assert_eq!(
            find_model(models.clone(), "openstack", "bob")
                .unwrap()
                .unwrap()
                .uuid,
            "u-bob"
        );
        assert!(ambiguous(&models, &names, "bob").is_none());
        assert!(ambiguous(&models, &["bob/openstack".to_string()], "carol").is_none());
    }

    #[test]
    fn models_malformed_is_an_error() {
        let e = format!(
            "{:#}",
            parse_models("ERROR nope", Family::Juju3).unwrap_err()
        );
        assert!(e.contains("not the JSON"), "{e}");
        assert!(parse_models(r#"{"current-model":"x"}"#, Family::Juju4).is_err());
        // A `juju` that prints YAML.
        let yaml = "models:\n- name: admin/openstack\n";
        assert!(parse_models(yaml, Family::Juju3).is_err());
    }

    #[test]
    fn fixture_models() {
        let models = parse_models(&fixture("juju-models-3.6.json"), Family::Juju3).unwrap();
        let names: Vec<(&str, &str, bool)> = models
            .iter()
            .map(|m| (m.name.as_str(), m.life.as_str(), m.is_controller))
            .collect();
        assert_eq!(
            names,
            [
                ("controller", "alive", true),
                ("openstack", "dying", false),
                ("scratch", "alive", false)
            ]
        );
        assert_eq!(models[1].status, "destroying");
        assert_eq!(models[2].owner, "ops");
        let four = parse_models(&fixture("juju-models-4.0.json"), Family::Juju4).unwrap();
        assert_eq!(four, models, "4.0 entries give the same models as 3.6");
        let e = format!(
            "{:#}",
            parse_models(&fixture("juju-models-4.0.json"), Family::Juju3).unwrap_err()
        );
        assert!(e.contains("Juju 4.x"), "{e}");
    }
}
