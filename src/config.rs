//! The typed configuration of one invocation: root discovery, the site with its overrides
//! (`--set` > environment > `site.rhai` > defaults), and secrets.
//!
//! Secrets (the MAAS API key) come only from `MAAS_API_KEY`, the file named by
//! `maas.api_key_file`, or a `maas login` profile (`maas.profile`, `--profile`,
//! `MAAS_PROFILE`; read by `maas_profiles`); they live in [`Env`] or are read when needed,
//! never in [`Site`]. Of these, the one set at the highest layer wins (`--set` > environment
//! > site file); within a layer an explicit key beats a profile.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use crate::cli::GlobalArgs;
use crate::maas_profiles;
use crate::resolve::Resolver;
use crate::site::{self, Site};

/// The site used when neither `--site` nor `RUNBOOK_SITE` is given.
pub const DEFAULT_SITE: &str = "demo";

/// Values read from the environment (besides `RUNBOOK_ROOT` / `RUNBOOK_SITE`, which clap reads).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Env {
    pub maas_url: Option<String>,
    pub maas_api_key: Option<String>,
    pub juju_bin: Option<String>,
    pub maas_profile: Option<String>,
}

impl Env {
    pub fn from_process() -> Env {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            maas_url: get("MAAS_URL"),
            maas_api_key: get("MAAS_API_KEY"),
            juju_bin: get("JUJU_BIN"),
            maas_profile: get("MAAS_PROFILE"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub site_name: String,
    /// Neither `--site` nor `RUNBOOK_SITE` was given: `site_name` is [`DEFAULT_SITE`].
    pub site_is_default: bool,
    pub sets: Vec<(String, Value)>,
    pub json: bool,
    pub env: Env,
}

impl Config {
    pub fn from_args(args: &GlobalArgs, env: Env) -> Result<Config> {
        let root = match &args.root {
            Some(r) => r.clone(),
            None => std::env::current_dir().context("cannot read the current directory")?,
        };
        if args.root.is_some() {
            let meta = std::fs::metadata(&root)
                .with_context(|| format!("cannot read root `{}`", root.display()))?;
            if !meta.is_dir() {
                bail!("root `{}` is not a directory", root.display());
            }
            std::fs::read_dir(&root)
                .with_context(|| format!("cannot read root `{}`", root.display()))?;
        }
        let mut sets = args
            .set
            .iter()
            .map(|s| site::parse_set(s))
            .collect::<Result<Vec<_>>>()?;
        if let Some(profile) = &args.profile {
            sets.insert(
                0,
                ("maas.profile".to_string(), Value::String(profile.clone())),
            );
        }
        if sets.iter().any(|(k, _)| k == "maas.api_key") {
            bail!("`--set maas.api_key` is refused: the MAAS API key never goes on a command line (it shows in `ps` and shell history)\nhint: set `MAAS_API_KEY`, or name a file with `--set maas.api_key_file=PATH`");
        }
        Ok(Config {
            root,
            site_name: args
                .site
                .clone()
                .unwrap_or_else(|| DEFAULT_SITE.to_string()),
            site_is_default: args.site.is_none(),
            sets,
            json: args.json,
            env,
        })
    }

    pub fn resolver(&self) -> Resolver {
        Resolver {
            root: self.root.clone(),
            site: self.site_name.clone(),
        }
    }

    /// The effective site: defaults < `site.rhai` < environment < `--set`.
    pub fn load_site(&self) -> Result<Site> {
        self.load_named_site(&self.site_name)
    }

    pub fn load_named_site(&self, name: &str) -> Result<Site> {
        let resolver = self.resolver();
        let file = resolver.site_file(name)?.ok_or_else(|| {
            let known: Vec<String> = resolver.sites().into_iter().collect();
            anyhow!(
                "no site `{name}` (looked for `sites/{name}/site.rhai` under `{}` and in the built-in copies)\nhint: known sites: {}",
                self.root.display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        })?;
        let map = eval_site_script(&file.display, &file.text)?;
        let file_leaves = site::leaves_of(&map);
        self.check_pinned(name, &file.display, &file_leaves)?;
        let mut env_leaves = Vec::new();
        if let Some(url) = &self.env.maas_url {
            env_leaves.push(("maas.url".to_string(), Value::String(url.clone())));
        }
        if let Some(bin) = &self.env.juju_bin {
            env_leaves.push(("juju.bin".to_string(), Value::String(bin.clone())));
        }
        if let Some(profile) = &self.env.maas_profile {
            env_leaves.push(("maas.profile".to_string(), Value::String(profile.clone())));
        }
        let mut layers = vec![
            (format!("`{}`", file.display), site::leaves_of(&map)),
            ("the environment".to_string(), env_leaves),
            ("`--set`".to_string(), self.sets.clone()),
        ];
        let mut site = Site::from_layers(name, &layers)?;
        if site.sim.is_some() {
            refuse_real_cloud_sets(name, &self.sets)?;
        }
        // A profile gives the MAAS URL at the layer that chose it; that layer's own
        // `maas.url` (put after it) still wins. A site with a simulator never reads one.
        if let (Some(profile), None) = (site.maas.profile.clone(), &site.sim) {
            let found = maas_profiles::find(&maas_profiles::existing_dbs(), &profile)?;
            let layer = site.maas.key_ranks.profile.saturating_sub(1);
            if let Some((_, leaves)) = layers.get_mut(layer) {
                leaves.insert(0, ("maas.url".to_string(), Value::String(found.url)));
            }
            site = Site::from_layers(name, &layers)?;
        }
        if site.name != name {
            bail!(
                "`{}` says `name: \"{}\"` but lives in `sites/{name}/`; make them agree",
                file.display,
                site.name
            );
        }
        Ok(site)
    }
}

impl Config {
    /// A site that names its endpoints is pinned: an environment value that disagrees is
    /// refused, naming both; only `--set` (or `--profile`) overrides it (teardown.md §2:
    /// know which cloud).
    fn check_pinned(&self, name: &str, display: &str, file: &[(String, Value)]) -> Result<()> {
        let text = |key: &str| {
            file.iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.as_str().map(str::to_string))
        };
        let set = |key: &str| self.sets.iter().any(|(k, _)| k == key);
        // `env` and `pin` come quoted: "`MAAS_URL` is `URL`", "pins `maas.url` to `URL`".
        let refuse = |env: &str, pin: &str, unset: &str, how: &str| {
            anyhow!(
                "{env} but site `{name}` pins {pin} (in `{display}`): refusing to guess which one you mean\nhint: unset `{unset}` to use the site's, or override it explicitly with {how}"
            )
        };
        if let (Some(env), Some(pinned), false) =
            (&self.env.juju_bin, text("juju.bin"), set("juju.bin"))
        {
            if env.trim_end_matches('/') != pinned.trim_end_matches('/') {
                return Err(refuse(
                    &format!("`JUJU_BIN` is `{env}`"),
                    &format!("`juju.bin` to `{pinned}`"),
                    "JUJU_BIN",
                    &format!("`--set juju.bin={env}`"),
                ));
            }
        }
        // The MAAS: the site's `maas.url`, else its profile's URL, against the environment's
        // `MAAS_URL`, else `MAAS_PROFILE`'s URL (a profile in the environment would otherwise
        // silently send a pinned site to another MAAS).
        if set("maas.url") || set("maas.profile") {
            return Ok(());
        }
        let profile_url = |p: &str| -> Result<String> {
            Ok(maas_profiles::find(&maas_profiles::existing_dbs(), p)?.url)
        };
        let (pin, pinned) = match (text("maas.url"), text("maas.profile")) {
            (Some(url), _) => (format!("`maas.url` to `{url}`"), url),
            (None, Some(p)) => {
                let url = profile_url(&p)?;
                (format!("`maas.profile` to `{p}` (MAAS `{url}`)"), url)
            }
            (None, None) => return Ok(()),
        };
        let (env, unset, how, env_url) = match (&self.env.maas_url, &self.env.maas_profile) {
            (Some(url), _) => (
                format!("`MAAS_URL` is `{url}`"),
                "MAAS_URL",
                format!("`--set maas.url={url}`"),
                url.clone(),
            ),
            (None, Some(p)) => {
                let url = profile_url(p)?;
                (
                    format!("`MAAS_PROFILE` is `{p}` (MAAS `{url}`)"),
                    "MAAS_PROFILE",
                    format!("`--profile {p}`"),
                    url,
                )
            }
            (None, None) => return Ok(()),
        };
        if !same_maas(&pinned, &env_url) {
            return Err(refuse(&env, &pin, unset, &how));
        }
        Ok(())
    }

    /// The dotted keys the site file itself sets (for the origins in the header).
    pub fn site_file_keys(&self) -> Result<Vec<String>> {
        let resolver = self.resolver();
        let Some(file) = resolver.site_file(&self.site_name)? else {
            return Ok(Vec::new());
        };
        let map = eval_site_script(&file.display, &file.text)?;
        Ok(site::leaves_of(&map).into_iter().map(|(k, _)| k).collect())
    }
}

/// Whether two MAAS URLs name the same API (`.../MAAS`, `.../MAAS/` and `.../MAAS/api/2.0/`
/// do).
fn same_maas(a: &str, b: &str) -> bool {
    match (
        crate::clients::maas::api_base(a),
        crate::clients::maas::api_base(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim_end_matches('/') == b.trim_end_matches('/'),
    }
}

/// A `--set` of a setting that points at a real cloud ([`site::keys::Key::real_cloud`]) on a
/// site with a simulator (`demo`) would be silently replaced by the simulator's own: refused
/// instead, with why.
fn refuse_real_cloud_sets(site: &str, sets: &[(String, Value)]) -> Result<()> {
    let used: Vec<&str> = sets
        .iter()
        .filter(|(k, v)| site::keys::find(k).is_some_and(|k| k.real_cloud) && !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    if let Some(key) = used.first() {
        let flag = if *key == "maas.profile" {
            "`--profile`/`--set maas.profile`".to_string()
        } else {
            format!("`--set {key}`")
        };
        bail!(
            "{flag} cannot apply to site `{site}`: it runs against its built-in simulated cloud, whose own {} replaces it (a run there never reaches a real cloud)\nhint: to use a real cloud, choose its site with `--site NAME` (`runbook sites` lists them)",
            if key.starts_with("juju") { "juju CLI" } else { "MAAS endpoint and key" }
        );
    }
    Ok(())
}

/// A rendered diagnostic as an error: `dispatch` adds the `error: ` prefix itself.
fn diagnostic_error(rendered: String) -> anyhow::Error {
    let text = rendered.trim_end();
    anyhow!("{}", text.strip_prefix("error: ").unwrap_or(text))
}

/// Evaluate a `site.rhai` (a plain engine: no primitives, no imports) to a JSON map.
fn eval_site_script(display: &str, text: &str) -> Result<Value> {
    use crate::limits;
    let mut engine = rhai::Engine::new_raw();
    // Explicit limits here too: a runaway site script must end with an error, not eat memory.
    engine
        .set_max_operations(100_000)
        .set_max_call_levels(limits::MAX_CALL_LEVELS)
        .set_max_expr_depths(64, 32)
        .set_max_string_size(limits::MAX_STRING_SIZE)
        .set_max_array_size(limits::MAX_ARRAY_SIZE)
        .set_max_map_size(limits::MAX_MAP_SIZE)
        .set_strict_variables(true);
    let mut ast = engine
        .compile(text)
        .map_err(|e| diagnostic_error(crate::diagnostic::render_parse(&e, display, text)))?;
    ast.set_source(display);
    let value: rhai::Dynamic = engine
        .eval_ast(&ast)
        .map_err(|e| diagnostic_error(crate::diagnostic::render_one(&e, display, text)))?;
    if !value.is_map() {
        bail!(
            "`{display}` must evaluate to a map (`#{{ name: \"...\", ... }}`), not a `{}`",
            value.type_name()
        );
    }
    let json: Value = rhai::serde::from_dynamic(&value).map_err(|e| anyhow!("`{display}`: {e}"))?;
    if json.get("maas").and_then(|m| m.get("api_key")).is_some() {
        bail!("`{display}` sets `maas.api_key`: the MAAS API key comes only from `MAAS_API_KEY` or the file named by `maas.api_key_file`");
    }
    Ok(json)
}

/// The MAAS credentials of a run, and where they came from (for messages; never the key).
#[derive(Clone, PartialEq)]
pub struct MaasCredentials {
    pub api_key: String,
    /// CA certificates (PEM) a `maas login --cacerts` profile carries.
    pub ca_pem: Option<String>,
    pub source: String,
}

/// The environment's layer in [`Site::from_layers`] order (site file 1, environment 2,
/// `--set` 3).
const ENV_RANK: usize = 2;

/// The MAAS credentials: of `MAAS_API_KEY`, `maas.api_key_file` and `maas.profile`, the one
/// set at the highest layer; within a layer an explicit key beats a profile.
pub fn maas_credentials(env: &Env, site: &Site) -> Result<Option<MaasCredentials>> {
    let ranks = site.maas.key_ranks;
    let env_key = env.maas_api_key.as_ref().map(|_| (ENV_RANK, 1));
    let file = site
        .maas
        .api_key_file
        .as_ref()
        .map(|_| (ranks.api_key_file, 1));
    // A simulated site's own key (in the environment) is the only one it may use.
    let profile = (site.sim.is_none())
        .then_some(site.maas.profile.as_ref())
        .flatten()
        .map(|_| (ranks.profile, 0));
    let best = [env_key, file, profile].into_iter().flatten().max();
    if best.is_none() {
        return Ok(None);
    }
    if best == env_key {
        let key = env.maas_api_key.clone().unwrap_or_default();
        return Ok(Some(MaasCredentials {
            api_key: key,
            ca_pem: None,
            source: "`MAAS_API_KEY`".into(),
        }));
    }
    if best == file {
        if let Some(path) = &site.maas.api_key_file {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "cannot read the MAAS API key file `{}` (site key `maas.api_key_file`)",
                    path.display()
                )
            })?;
            return Ok(Some(MaasCredentials {
                api_key: text.trim().to_string(),
                ca_pem: None,
                source: format!("`{}`", path.display()),
            }));
        }
    }
    let name = site.maas.profile.clone().unwrap_or_default();
    let p = maas_profiles::find(&maas_profiles::existing_dbs(), &name)?;
    // A profile's key goes to the profile's MAAS only: a `MAAS_URL` (or `maas.url`) that
    // names another one would hand it the key.
    if let Some(url) = site.maas.url.as_deref().filter(|u| !same_maas(u, &p.url)) {
        bail!(
            "the MAAS API key would come from maas CLI profile `{name}`, whose MAAS is `{}`, but the MAAS URL in use is `{url}`: refusing to send the profile's key to another MAAS\nhint: unset `MAAS_URL` (or drop `maas.url`) to use the profile's MAAS, or give the key of `{url}` itself (`MAAS_API_KEY`, site `maas.api_key_file`, or that MAAS's own profile)",
            p.url
        );
    }
    Ok(Some(MaasCredentials {
        api_key: p.api_key,
        ca_pem: p.cacerts,
        source: format!("maas CLI profile `{name}` ({})", p.db.display()),
    }))
}

/// The MAAS API key alone (see [`maas_credentials`]).
pub fn maas_api_key(env: &Env, site: &Site) -> Result<Option<String>> {
    Ok(maas_credentials(env, site)?.map(|c| c.api_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(root: &std::path::Path, sets: &[&str], env: Env) -> Config {
        let args = GlobalArgs {
            root: Some(root.to_path_buf()),
            site: Some("t".into()),
            set: sets.iter().map(|s| s.to_string()).collect(),
            json: false,
            ..GlobalArgs::default()
        };
        Config::from_args(&args, env).unwrap()
    }

    fn root_with_site(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sites/t")).unwrap();
        std::fs::write(dir.path().join("sites/t/site.rhai"), text).unwrap();
        dir
    }

    #[test]
    fn precedence_set_over_env_over_site_over_defaults() {
        let dir =
            root_with_site(r#"#{ name: "t", maas: #{ url: "http://site" }, targets: ["a"] }"#);
        let env = Env {
            maas_url: Some("http://env".into()),
            maas_api_key: None,
            juju_bin: Some("/env/juju".into()),
            maas_profile: None,
        };
        let site = config(dir.path(), &["maas.url=http://set"], env)
            .load_site()
            .unwrap();
        let mut want = Site::defaults("t");
        want.targets = vec!["a".into()];
        want.maas.url = Some("http://set".into());
        want.juju.bin = Some("/env/juju".into());
        let want = Site::from_layers(
            "t",
            &[(
                "x".into(),
                crate::site::leaves_of(&serde_json::to_value(&want).unwrap()),
            )],
        )
        .unwrap();
        assert_eq!(site, want);
    }

    #[test]
    fn a_site_that_pins_its_maas_refuses_a_disagreeing_environment() {
        let dir = root_with_site(r#"#{ name: "t", maas: #{ url: "http://site:5240/MAAS" } }"#);
        let env = Env {
            maas_url: Some("http://other:5240/MAAS".into()),
            ..Env::default()
        };
        let err = config(dir.path(), &[], env.clone())
            .load_site()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("http://other:5240/MAAS")
                && err.contains("http://site:5240/MAAS")
                && err.contains("--set maas.url="),
            "{err}"
        );
        // `--set` is the explicit override; an agreeing environment is fine.
        let site = config(dir.path(), &["maas.url=http://other:5240/MAAS"], env)
            .load_site()
            .unwrap();
        assert_eq!(site.maas.url.as_deref(), Some("http://other:5240/MAAS"));
        let same = Env {
            maas_url: Some("http://site:5240/MAAS/".into()),
            ..Env::default()
        };
        assert!(config(dir.path(), &[], same).load_site().is_ok());
    }

    #[test]
    fn api_key_from_env_then_file() {
        let dir = root_with_site(r#"#{ name: "t" }"#);
        let mut site = config(dir.path(), &[], Env::default()).load_site().unwrap();
        assert_eq!(maas_api_key(&Env::default(), &site).unwrap(), None);
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, "a:b:c\n").unwrap();
        site.maas.api_key_file = Some(key_file);
        assert_eq!(
            maas_api_key(&Env::default(), &site).unwrap(),
            Some("a:b:c".into())
        );
        let env = Env {
            maas_api_key: Some("x:y:z".into()),
            ..Env::default()
        };
        assert_eq!(maas_api_key(&env, &site).unwrap(), Some("x:y:z".into()));
    }

    #[test]
    fn site_name_must_match_folder() {
        let dir = root_with_site(r#"#{ name: "other" }"#);
        let err = config(dir.path(), &[], Env::default())
            .load_site()
            .unwrap_err();
        assert!(err.to_string().contains("says `name: \"other\"`"), "{err}");
    }

    #[test]
    fn site_file_must_be_a_map() {
        let dir = root_with_site("42");
        let err = config(dir.path(), &[], Env::default())
            .load_site()
            .unwrap_err();
        assert!(err.to_string().contains("must evaluate to a map"), "{err}");
    }
}
