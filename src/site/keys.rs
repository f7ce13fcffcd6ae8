//! Every site setting, declared once: its dotted key, type, default, range and meaning.
//!
//! [`Site::defaults`](super::Site::defaults), `--set` typing, range checks, `~` expansion,
//! `runbook check`'s typo scan, `runbook sites keys` and the REPL's `site.` completion all
//! read this table. [`super::Site`] only gives each key its Rust type; a test fails if the
//! two disagree. To add a setting: one line here and one field there.

use serde_json::{Map, Value};

const DAY: u64 = 24 * 3600;

/// One site setting.
pub struct Key {
    /// The dotted key as a site file, `--set` and scripts write it (`maas.concurrency`).
    pub name: &'static str,
    pub kind: Kind,
    /// What it means, for `runbook sites keys`.
    pub doc: &'static str,
    /// It points runbook at a real cloud; a site with the built-in simulator refuses it.
    pub real_cloud: bool,
}

/// A setting's type with its default (and its range, for numbers).
pub enum Kind {
    Text(&'static str),
    /// A path; a leading `~/` means the home directory.
    Path(&'static str),
    /// A path that may be empty: none (`~/` too).
    PathOrNone(&'static str),
    /// A glob of paths (`~/` too); empty: none.
    Glob(&'static str),
    /// Text that may be left unset (`()` in scripts).
    OptionalText,
    OptionalPath,
    Bool(bool),
    /// Hostnames or model names; `--set` also takes a comma-separated list.
    List(&'static [&'static str]),
    Whole {
        default: u64,
        min: u64,
        max: u64,
        unit: &'static str,
    },
    /// A real number in `(min, max]` when `min_open`, else `[min, max]`.
    Real {
        default: f64,
        min: f64,
        min_open: bool,
        max: f64,
        unit: &'static str,
    },
    Choice {
        default: &'static str,
        of: &'static [&'static str],
    },
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        doc,
        real_cloud: false,
    }
}

/// A key naming the real cloud's endpoints or credentials.
const fn cloud(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        doc,
        real_cloud: true,
    }
}

const fn seconds(default: u64, min: u64, max: u64) -> Kind {
    Kind::Whole {
        default,
        min,
        max,
        unit: "seconds",
    }
}

/// The `sim.` keys: only a site with the built-in simulator (`demo`) has them.
pub const SIM_PREFIX: &str = "sim.";

/// Every setting, in the order `runbook sites keys` lists them.
pub const KEYS: &[Key] = &[
    key("name", Kind::Text(""), "The site's name; it must match its folder `sites/NAME/`."),
    key(
        "models",
        Kind::List(&["openstack"]),
        "Juju models this site may destroy. A short name (`openstack`) matches only the logged-in user's model; `admin/openstack` names the owner.",
    ),
    key(
        "targets",
        Kind::List(&[]),
        "MAAS hostnames this site may release; ranges expand (`node[00-09]`).",
    ),
    cloud(
        "maas.url",
        Kind::OptionalText,
        "The MAAS API URL (`http://HOST:5240/MAAS`). Unset: `MAAS_URL` or the profile's. Set here, an exported `MAAS_URL` that disagrees is refused.",
    ),
    cloud(
        "maas.profile",
        Kind::OptionalText,
        "A `maas login` profile (`~/.maascli.db`) giving the URL, API key and CA certificates.",
    ),
    cloud(
        "maas.api_key_file",
        Kind::OptionalPath,
        "A file holding the MAAS API key (`consumer:token:secret`).",
    ),
    cloud(
        "maas.ca_file",
        Kind::OptionalPath,
        "A PEM file of CA certificates to trust for an https MAAS.",
    ),
    key(
        "maas.concurrency",
        Kind::Whole {
            default: 16,
            min: 1,
            max: 256,
            unit: "requests",
        },
        "How many MAAS requests (releases, per-machine reads) runbook keeps in flight at once.",
    ),
    key(
        "maas.timeout",
        seconds(60, 1, 3600),
        "Seconds one MAAS request may take before it is abandoned (connecting: at most 10).",
    ),
    key(
        "maas.erase",
        Kind::Choice {
            default: "none",
            of: &["none", "quick", "secure"],
        },
        "The disk erase each release asks for (MAAS's `enable_disk_erasing_on_release` may force one anyway).",
    ),
    cloud(
        "juju.bin",
        Kind::OptionalText,
        "The `juju` program to run. Unset: `JUJU_BIN`, else `juju` on `PATH`.",
    ),
    key(
        "juju.controller",
        Kind::OptionalText,
        "The controller the site's model lives on: every juju command names it, whichever controller is current in the shell.",
    ),
    key(
        "juju.timeout",
        seconds(300, 1, DAY),
        "Seconds one juju command may run before it is killed.",
    ),
    key(
        "backup_root",
        Kind::Path("~/backups"),
        "The directory the pre-destroy backups go under.",
    ),
    key(
        "backup_prefix",
        Kind::Text("pre-caracal-destroy"),
        "The start of each backup directory's name (`PREFIX-YYYYMMDD-HHMMSS`, UTC).",
    ),
    key(
        "pointer_file",
        Kind::Path("~/.last-pre-caracal-destroy-backup"),
        "The file that names the latest sealed backup.",
    ),
    key(
        "state_dir",
        Kind::OptionalPath,
        "Where runs keep their journals. Unset: the XDG state directory.",
    ),
    key(
        "osd_disks",
        Kind::Glob(""),
        "Glob of the OSD qcow2 disk images to wipe after the release; empty: the site has none.",
    ),
    key(
        "wipe_threshold",
        Kind::Whole {
            default: 1024 * 1024,
            min: 0,
            max: 1 << 40,
            unit: "bytes",
        },
        "Bytes an OSD disk may have allocated and still count as wiped.",
    ),
    key("wipe_osd", Kind::Bool(false), "Wipe the OSD disks after the release."),
    key(
        "disk_root",
        Kind::PathOrNone("/var/lib/libvirt/images"),
        "`wipe_qcow2` only touches files under this directory; empty: the site has no disk images (bare metal) and every wipe is refused.",
    ),
    key(
        "require_backup",
        Kind::Bool(true),
        "Refuse to destroy a model without a sealed pre-destroy backup.",
    ),
    key(
        "timeouts.model_gone",
        seconds(900, 0, 7 * DAY),
        "Seconds Phase D waits for the destroyed model to leave `juju models`.",
    ),
    key(
        "timeouts.machines_ready",
        seconds(900, 0, 7 * DAY),
        "Seconds Phase D waits for the released machines to be Ready.",
    ),
    key(
        "timeouts.destroy_cli",
        seconds(300, 1, DAY),
        "Seconds Phase B lets `juju destroy-model` block before it stops the CLI and goes on (the controller carries on destroying).",
    ),
    key(
        "plan_max_age",
        seconds(DAY, 0, 365 * DAY),
        "Seconds a plan saved by `runbook plan` stays valid; `runbook apply` refuses an older one.",
    ),
    key(
        "limits.max_seconds",
        seconds(6 * 3600, 1, 7 * DAY),
        "Seconds after which a run stops (exit 2) wherever its script is.",
    ),
    key(
        "sim.scenario",
        Kind::Text("dirty"),
        "The built-in simulator's starting state (`runbook sim scenarios` lists them).",
    ),
    key(
        "sim.speed",
        Kind::Real {
            default: 1.0,
            min: 0.0,
            min_open: true,
            max: 10_000.0,
            unit: "times real time",
        },
        "How much faster than real time the simulated cloud runs.",
    ),
    key(
        "sim.juju",
        Kind::Choice {
            default: "3.6",
            of: &["3.6", "4.0"],
        },
        "Which Juju major the simulator plays.",
    ),
    key(
        "sim.model_removal_s",
        Kind::Real {
            default: 1.5,
            min: 0.0,
            min_open: false,
            max: 3600.0,
            unit: "seconds",
        },
        "Seconds (at speed 1) a destroyed model takes to go.",
    ),
    key(
        "sim.release_s",
        Kind::Real {
            default: 2.0,
            min: 0.0,
            min_open: false,
            max: 3600.0,
            unit: "seconds",
        },
        "Seconds (at speed 1) a released machine takes from Releasing to Ready.",
    ),
];

/// A setting's value as an error shows it: text quoted and escaped, anything else as JSON.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{}\"", s.escape_debug()),
        other => other.to_string(),
    }
}

/// The setting called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

impl Kind {
    pub fn default_value(&self) -> Value {
        match self {
            Kind::Text(t) | Kind::Path(t) | Kind::PathOrNone(t) | Kind::Glob(t) => {
                Value::String(t.to_string())
            }
            Kind::OptionalText | Kind::OptionalPath => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::List(items) => items.iter().map(|s| Value::String(s.to_string())).collect(),
            Kind::Whole { default, .. } => Value::from(*default),
            Kind::Real { default, .. } => Value::from(*default),
            Kind::Choice { default, .. } => Value::String(default.to_string()),
        }
    }

    /// Text-typed: `--set` takes the value as written, never as JSON.
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            Kind::Text(_)
                | Kind::Path(_)
                | Kind::PathOrNone(_)
                | Kind::Glob(_)
                | Kind::OptionalText
                | Kind::OptionalPath
                | Kind::Choice { .. }
        )
    }

    pub fn is_path(&self) -> bool {
        matches!(
            self,
            Kind::Path(_) | Kind::PathOrNone(_) | Kind::Glob(_) | Kind::OptionalPath
        )
    }

    /// The type as `runbook sites keys` shows it.
    pub fn describe(&self) -> String {
        match self {
            Kind::Text(_) => "text".into(),
            Kind::Path(_) => "path".into(),
            Kind::PathOrNone(_) => "path, empty for none".into(),
            Kind::Glob(_) => "glob of paths, empty for none".into(),
            Kind::OptionalText => "text, optional".into(),
            Kind::OptionalPath => "path, optional".into(),
            Kind::Bool(_) => "true or false".into(),
            Kind::List(_) => "list of names".into(),
            Kind::Whole { .. } | Kind::Real { .. } => self.range().unwrap_or_default(),
            Kind::Choice { of, .. } => format!("one of {}", of.join(", ")),
        }
    }

    /// What a value must be, for a wrong-type error (`a whole number, 1 to 256 requests`).
    pub fn expects(&self) -> String {
        match self {
            Kind::Whole { .. } => format!("a whole number, {}", self.describe()),
            Kind::Real { .. } => format!("a number, {}", self.describe()),
            Kind::Bool(_) => "true or false".into(),
            Kind::List(_) => "a list of names, e.g. [\"a\", \"b\"]".into(),
            Kind::Choice { .. } => self.describe(),
            Kind::Path(_) | Kind::OptionalPath => "a path".into(),
            Kind::PathOrNone(_) => "a path, or empty for none".into(),
            Kind::Glob(_) => "a glob of paths".into(),
            Kind::Text(_) | Kind::OptionalText => "text".into(),
        }
    }

    /// A number's range in words (`1 to 256 requests`); `None` for other types.
    pub fn range(&self) -> Option<String> {
        match self {
            Kind::Whole { min, max, unit, .. } => Some(format!("{min} to {max} {unit}")),
            Kind::Real {
                min,
                min_open: true,
                max,
                unit,
                ..
            } => Some(format!("more than {min} and at most {max} {unit}")),
            Kind::Real { min, max, unit, .. } => Some(format!("{min} to {max} {unit}")),
            _ => None,
        }
    }

    /// Whether `value` (already of the right JSON type) is allowed.
    pub fn admits(&self, value: &Value) -> bool {
        match (self, value) {
            (Kind::Whole { min, max, .. }, v) => {
                v.as_u64().is_some_and(|n| (*min..=*max).contains(&n))
            }
            (
                Kind::Real {
                    min, min_open, max, ..
                },
                v,
            ) => v.as_f64().is_some_and(|x| {
                x.is_finite() && x <= *max && if *min_open { x > *min } else { x >= *min }
            }),
            (Kind::Choice { of, .. }, Value::String(s)) => of.contains(&s.as_str()),
            // Empty text is never a setting (`--set juju.controller=$UNSET` must not quietly
            // drop a pin); leave an optional key out instead. A glob may be empty: none.
            (Kind::Glob(_) | Kind::PathOrNone(_), _) => true,
            (_, Value::String(s)) => !s.trim().is_empty(),
            _ => true,
        }
    }
}

/// The settings as a JSON tree of their defaults (`sim.` keys only `with_sim`), the shape
/// [`super::Site`] deserialises from.
pub fn defaults_tree(with_sim: bool) -> Value {
    let mut root = Value::Object(Map::new());
    for key in KEYS {
        if !with_sim && key.name.starts_with(SIM_PREFIX) {
            continue;
        }
        insert(&mut root, key.name, key.kind.default_value());
    }
    if !with_sim {
        insert(&mut root, "sim", Value::Null);
    }
    root
}

/// The `sim` subtree's defaults.
pub fn sim_defaults() -> Value {
    defaults_tree(true)
        .get("sim")
        .cloned()
        .unwrap_or(Value::Null)
}

fn insert(root: &mut Value, dotted: &str, value: Value) {
    let mut node = root;
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        node = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{SimSettings, Site};

    /// The table and the struct name the same keys with the same types.
    #[test]
    fn the_table_and_the_struct_agree() {
        let mut site = Site::defaults("t");
        site.sim = Some(SimSettings::default());
        let mut from_struct: Vec<String> = site.flatten().into_iter().map(|(k, _)| k).collect();
        from_struct.retain(|k| k != "name");
        let mut from_table: Vec<String> = KEYS
            .iter()
            .map(|k| k.name.to_string())
            .filter(|k| k != "name")
            .collect();
        from_struct.sort();
        from_table.sort();
        assert_eq!(from_struct, from_table);
        // Each default deserialises into the struct's field type and comes back unchanged.
        let back = serde_json::to_value(&site).unwrap();
        for key in KEYS.iter().filter(|k| k.name != "name") {
            let mut node = &back;
            for part in key.name.split('.') {
                node = &node[part];
            }
            assert_eq!(node, &key.kind.default_value(), "{}", key.name);
        }
    }

    #[test]
    fn every_default_is_in_range_and_documented() {
        for key in KEYS {
            // `name` defaults to the site's folder name, filled in when the site loads.
            let admitted = key.kind.admits(&key.kind.default_value()) || key.name == "name";
            assert!(admitted, "{}", key.name);
            assert!(key.doc.ends_with('.'), "{}: a sentence", key.name);
        }
    }

    #[test]
    fn ranges_read_as_words() {
        let k = find("maas.concurrency").unwrap();
        assert_eq!(k.kind.range().as_deref(), Some("1 to 256 requests"));
        assert!(!k.kind.admits(&Value::from(0)) && k.kind.admits(&Value::from(256)));
        let speed = find("sim.speed").unwrap();
        assert_eq!(
            speed.kind.range().as_deref(),
            Some("more than 0 and at most 10000 times real time")
        );
        assert!(!speed.kind.admits(&Value::from(0.0)));
        assert!(!find("sim.juju").unwrap().kind.admits(&Value::from("3.5")));
    }
}
