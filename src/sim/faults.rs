//! Fault injection: parses `--fault` specs and answers "does this request fail?" with a
//! seeded generator, so a test that injects faults sees the same sequence every run. The
//! syntax users read (`runbook sim serve --help`) is `cli::FAULT_HELP`: keep the two in step.

use anyhow::{bail, Context};

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Maas5xx(f64),
    MaasLatency(u64),
    MaasHang(String),
    /// Only the first matching request hangs.
    MaasHangFirst(String),
    /// (HTTP status, substring of `METHOD path?query`)
    MaasStatus(u16, String),
    JujuFail(String),
    JujuMalformed(String),
    /// The first `juju COMMAND` never answers.
    JujuHangFirst(String),
    ReleaseFails(String),
    ModelStuck,
    /// MAAS's `enable_disk_erasing_on_release` is on.
    EraseOnRelease,
    /// The API key's user is not a MAAS superuser.
    MaasNonSuperuser,
    /// juju#22691: the destroy deletes this machine (by hostname) from MAAS.
    DeleteOnDestroy(String),
    /// Juju does not release the nodes of the machines it removes.
    JujuKeepsNodes,
    /// Simulated seconds a destroyed model takes to go.
    ModelSlow(f64),
    /// (system id, field, value): applied once, after the first machine read.
    Mutate(String, String, String),
    /// MAAS answers 500 to everything once this juju command has succeeded.
    MaasDownAfter(String),
    /// `juju disable-command SET` is in force.
    DisabledCommand(String),
    /// A second controller; true when it is the current one.
    OtherController(bool),
    /// Another user's `openstack` model on the site's controller.
    OtherUserModel(String),
    /// The site's controller is unregistered once this juju command has succeeded.
    ControllerGoneAfter(String),
    /// (system id, field, value): as `Mutate`, applied to the starting state.
    Preset(String, String, String),
    /// After the first `juju machines`, model `openstack` gains a machine on this MAAS node
    /// (by hostname): the model changed since the detection read it.
    JujuMachineJoins(String),
    /// (system id, field, value): as `Mutate`, applied right before that machine's own first
    /// read (`GET machines/ID/`, a release's fresh read).
    MutateAtRead(String, String, String),
}

/// The machine fields `mutate` may change.
pub const MUTABLE_FIELDS: [&str; 9] = [
    "owner",
    "locked",
    "hostname",
    "status",
    "status_name",
    "power_state",
    "power_type",
    "juju-model-uuid",
    "juju-controller-uuid",
];

impl Fault {
    pub fn parse(spec: &str) -> anyhow::Result<Fault> {
        let (kind, arg) = match spec.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (spec, None),
        };
        let need = |what: &str| -> anyhow::Result<String> {
            match arg {
                Some(a) if !a.is_empty() => Ok(a.to_string()),
                _ => bail!(
                    "fault `{spec}` needs {what}: `{kind}:{}`",
                    what.to_uppercase()
                ),
            }
        };
        Ok(match kind {
            "maas-5xx" => {
                let rate: f64 = need("rate")?
                    .parse()
                    .with_context(|| format!("fault `{spec}`: the rate is not a number"))?;
                if !(0.0..=1.0).contains(&rate) {
                    bail!("fault `{spec}`: the rate must be between 0.0 and 1.0");
                }
                Fault::Maas5xx(rate)
            }
            "maas-latency" => Fault::MaasLatency(need("ms")?.parse().with_context(|| {
                format!("fault `{spec}`: the latency is not a whole number of milliseconds")
            })?),
            "maas-hang" => Fault::MaasHang(need("path-substring")?),
            "maas-hang-first" => Fault::MaasHangFirst(need("path-substring")?),
            "model-slow" => {
                let secs: f64 = need("secs")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                    .with_context(|| {
                        format!(
                            "fault `{spec}`: the delay must be a number of seconds from 0 to 86400"
                        )
                    })?;
                Fault::ModelSlow(secs)
            }
            "maas-status" => {
                let arg = need("code:substring")?;
                let (code, sub) = arg.split_once(':').unwrap_or((arg.as_str(), ""));
                let code: u16 = code
                    .parse()
                    .ok()
                    .filter(|c| (400..600).contains(c))
                    .with_context(|| {
                        format!("fault `{spec}`: the status must be an HTTP error code (400-599)")
                    })?;
                if sub.is_empty() {
                    bail!("fault `{spec}` needs a substring: `maas-status:CODE:SUBSTRING`");
                }
                Fault::MaasStatus(code, sub.to_string())
            }
            "juju-fail" => Fault::JujuFail(need("command")?),
            "juju-malformed" => Fault::JujuMalformed(need("command")?),
            "juju-hang-first" => Fault::JujuHangFirst(need("command")?),
            "release-fails" => Fault::ReleaseFails(need("hostname")?),
            "model-stuck" if arg.is_none() => Fault::ModelStuck,
            "erase-on-release" if arg.is_none() => Fault::EraseOnRelease,
            "maas-non-superuser" if arg.is_none() => Fault::MaasNonSuperuser,
            "delete-on-destroy" => Fault::DeleteOnDestroy(need("hostname")?),
            "juju-keeps-nodes" if arg.is_none() => Fault::JujuKeepsNodes,
            "juju-machine-joins" => Fault::JujuMachineJoins(need("hostname")?),
            "mutate" | "preset" | "mutate-at-read" => {
                let arg = need("system_id:field=value")?;
                let parsed = arg
                    .split_once(':')
                    .and_then(|(id, rest)| rest.split_once('=').map(|(f, v)| (id, f, v)));
                let Some((id, field, value)) = parsed.filter(|(id, _, _)| !id.is_empty()) else {
                    bail!("fault `{spec}` needs `{kind}:SYSTEM_ID:FIELD=VALUE`");
                };
                if !MUTABLE_FIELDS.contains(&field) {
                    bail!(
                        "fault `{spec}`: cannot change `{field}`; one of {}",
                        MUTABLE_FIELDS.join(", ")
                    );
                }
                let (id, field, value) = (id.to_string(), field.to_string(), value.to_string());
                match kind {
                    "mutate" => Fault::Mutate(id, field, value),
                    "preset" => Fault::Preset(id, field, value),
                    _ => Fault::MutateAtRead(id, field, value),
                }
            }
            "maas-down-after" => Fault::MaasDownAfter(need("command")?),
            "other-controller" => match arg {
                None | Some("current") => Fault::OtherController(true),
                Some("registered") => Fault::OtherController(false),
                Some(_) => bail!(
                    "fault `{spec}`: write `other-controller` (current) or `other-controller:registered`"
                ),
            },
            "other-user-model" => {
                let user = arg.unwrap_or("bob");
                let valid = !user.is_empty()
                    && user
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
                if !valid || user == super::scenario::USER {
                    bail!("fault `{spec}`: USER must be a user name other than `admin` (letters, digits, `-`, `.`)");
                }
                Fault::OtherUserModel(user.to_string())
            }
            "controller-gone-after" => Fault::ControllerGoneAfter(need("command")?),
            "disabled-command" => {
                let set = need("set")?;
                if !["destroy-model", "remove-object", "all"].contains(&set.as_str()) {
                    bail!("fault `{spec}`: the command set is destroy-model, remove-object or all");
                }
                Fault::DisabledCommand(set)
            }
            _ => {
                bail!("unknown fault `{spec}`; see `runbook sim serve --help` for the fault specs")
            }
        })
    }
}

/// The parsed faults plus the seeded generator that decides which requests fail.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub list: Vec<Fault>,
    rng: u64,
    /// Whether the `mutate` faults were applied (they fire once).
    mutated: bool,
    /// The juju commands that have succeeded so far (for `maas-down-after`).
    juju_done: Vec<String>,
    /// Whether a `maas-hang-first` fault has held its request already.
    hung_first: Vec<String>,
    /// The system ids whose `mutate-at-read` faults have fired.
    read_once: Vec<String>,
    /// Whether the `juju-machine-joins` fault has fired.
    joined: bool,
}

impl Faults {
    pub fn parse(specs: &[String]) -> anyhow::Result<Faults> {
        let list = specs
            .iter()
            .map(|s| Fault::parse(s))
            .collect::<anyhow::Result<_>>()?;
        Ok(Faults {
            list,
            rng: 0x9E37_79B9_7F4A_7C15,
            mutated: false,
            juju_done: Vec::new(),
            hung_first: Vec::new(),
            read_once: Vec::new(),
            joined: false,
        })
    }

    /// xorshift64*: deterministic, good enough to spread failures.
    fn next_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Some(500 or 503) when this MAAS request should fail.
    pub fn maas_error(&mut self) -> Option<u16> {
        let rate = self.list.iter().find_map(|f| match f {
            Fault::Maas5xx(r) => Some(*r),
            _ => None,
        })?;
        if self.next_unit() < rate {
            Some(if self.next_unit() < 0.5 { 500 } else { 503 })
        } else {
            None
        }
    }

    pub fn latency_ms(&self) -> u64 {
        self.list
            .iter()
            .map(|f| {
                if let Fault::MaasLatency(ms) = f {
                    *ms
                } else {
                    0
                }
            })
            .sum()
    }

    /// Whether this request is never answered: a `maas-hang` match, or the first match of
    /// a `maas-hang-first` (which is then used up).
    pub fn hangs(&mut self, path_and_query: &str) -> bool {
        let first = self.list.iter().find_map(|f| match f {
            Fault::MaasHangFirst(s)
                if path_and_query.contains(s.as_str()) && !self.hung_first.contains(s) =>
            {
                Some(s.clone())
            }
            _ => None,
        });
        if let Some(s) = first {
            self.hung_first.push(s);
            return true;
        }
        self.list
            .iter()
            .any(|f| matches!(f, Fault::MaasHang(s) if path_and_query.contains(s.as_str())))
    }

    /// Whether this `juju COMMAND` is never answered: the first match of a
    /// `juju-hang-first` (which is then used up).
    pub fn juju_hangs(&mut self, command: &str) -> bool {
        let hit = self.list.iter().any(|f| {
            matches!(f, Fault::JujuHangFirst(c) if c == command)
                && !self
                    .hung_first
                    .iter()
                    .any(|h| h == &format!("juju {command}"))
        });
        if hit {
            self.hung_first.push(format!("juju {command}"));
        }
        hit
    }

    /// Simulated seconds a destroyed model takes to go (`model-slow`), if set.
    pub fn model_removal_secs(&self) -> Option<f64> {
        self.list.iter().find_map(|f| match f {
            Fault::ModelSlow(secs) => Some(*secs),
            _ => None,
        })
    }

    /// The status forced on this request (`METHOD path?query`) by `maas-status`, if any.
    pub fn forced_status(&self, request: &str) -> Option<u16> {
        self.list.iter().find_map(|f| match f {
            Fault::MaasStatus(code, s) if request.contains(s.as_str()) => Some(*code),
            _ => None,
        })
    }

    pub fn juju_fails(&self, command: &str) -> bool {
        self.list
            .iter()
            .any(|f| matches!(f, Fault::JujuFail(c) if c == command))
    }

    pub fn juju_malformed(&self, command: &str) -> bool {
        self.list
            .iter()
            .any(|f| matches!(f, Fault::JujuMalformed(c) if c == command))
    }

    pub fn release_fails(&self, hostname: &str) -> bool {
        self.list
            .iter()
            .any(|f| matches!(f, Fault::ReleaseFails(h) if h == hostname))
    }

    /// The `disable-command` sets in force, in the order given.
    pub fn disabled_commands(&self) -> Vec<&str> {
        self.list
            .iter()
            .filter_map(|f| match f {
                Fault::DisabledCommand(set) => Some(set.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether a model's destroy deletes this machine from MAAS (juju#22691).
    pub fn deletes_on_destroy(&self, hostname: &str) -> bool {
        self.list
            .iter()
            .any(|f| matches!(f, Fault::DeleteOnDestroy(h) if h == hostname))
    }

    /// Whether the API key's user is a MAAS superuser (the default).
    pub fn superuser(&self) -> bool {
        !self.list.contains(&Fault::MaasNonSuperuser)
    }

    /// MAAS's setting `enable_disk_erasing_on_release`.
    pub fn erase_on_release(&self) -> bool {
        self.list.contains(&Fault::EraseOnRelease)
    }

    pub fn model_stuck(&self) -> bool {
        self.list.contains(&Fault::ModelStuck)
    }

    /// Whether Juju leaves the MAAS nodes of the machines it removes to the teardown.
    pub fn juju_keeps_nodes(&self) -> bool {
        self.list.contains(&Fault::JujuKeepsNodes)
    }

    /// The `mutate` changes to make now (once: the first call after a machine read).
    /// The system ids the `mutate` and `preset` faults name, each with its fault's kind.
    pub fn machine_ids(&self) -> Vec<(&'static str, &str)> {
        self.list
            .iter()
            .filter_map(|f| match f {
                Fault::Mutate(id, ..) => Some(("mutate", id.as_str())),
                Fault::Preset(id, ..) => Some(("preset", id.as_str())),
                Fault::MutateAtRead(id, ..) => Some(("mutate-at-read", id.as_str())),
                _ => None,
            })
            .collect()
    }

    pub fn take_mutations(&mut self) -> Vec<(String, String, String)> {
        if self.mutated {
            return Vec::new();
        }
        self.mutated = true;
        self.field_changes(false)
    }

    /// The `mutate-at-read` changes to make before machine `id`'s own read is answered
    /// (once per machine): (field, value).
    pub fn take_changes_at_read(&mut self, id: &str) -> Vec<(String, String)> {
        if self.read_once.iter().any(|done| done == id) {
            return Vec::new();
        }
        let changes: Vec<(String, String)> = self
            .list
            .iter()
            .filter_map(|f| match f {
                Fault::MutateAtRead(on, field, value) if on == id => {
                    Some((field.clone(), value.clone()))
                }
                _ => None,
            })
            .collect();
        if !changes.is_empty() {
            self.read_once.push(id.to_string());
        }
        changes
    }

    /// The MAAS hostname a machine joins model `openstack` on, once `juju COMMAND` (the
    /// first `machines`) has succeeded; `None` before, after, or without the fault.
    pub fn take_machine_join(&mut self, command: &str) -> Option<String> {
        if self.joined || command != "machines" {
            return None;
        }
        let host = self.list.iter().find_map(|f| match f {
            Fault::JujuMachineJoins(host) => Some(host.clone()),
            _ => None,
        })?;
        self.joined = true;
        Some(host)
    }

    /// Note that `juju COMMAND` succeeded.
    pub fn juju_succeeded(&mut self, command: &str) {
        if !self.juju_done.iter().any(|c| c == command) {
            self.juju_done.push(command.to_string());
        }
    }

    /// `Some(current)` when fault `other-controller` adds a second controller.
    pub fn other_controller(&self) -> Option<bool> {
        self.list.iter().find_map(|f| match f {
            Fault::OtherController(current) => Some(*current),
            _ => None,
        })
    }

    /// The users of fault `other-user-model`, each once, in the order given.
    pub fn other_users(&self) -> Vec<&str> {
        let mut users: Vec<&str> = Vec::new();
        for f in &self.list {
            if let Fault::OtherUserModel(u) = f {
                if !users.contains(&u.as_str()) {
                    users.push(u);
                }
            }
        }
        users
    }

    /// The `preset` changes: (system id, field, value).
    pub fn presets(&self) -> Vec<(String, String, String)> {
        self.field_changes(true)
    }

    /// The (system id, field, value) changes of the `preset` faults, or of the `mutate` ones.
    fn field_changes(&self, presets: bool) -> Vec<(String, String, String)> {
        self.list
            .iter()
            .filter_map(|f| match f {
                Fault::Preset(id, field, value) | Fault::Mutate(id, field, value)
                    if matches!(f, Fault::Preset(..)) == presets =>
                {
                    Some((id.clone(), field.clone(), value.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether the site's controller is gone now (`controller-gone-after` has fired).
    pub fn controller_gone(&self) -> bool {
        self.list.iter().any(
            |f| matches!(f, Fault::ControllerGoneAfter(c) if self.juju_done.iter().any(|d| d == c)),
        )
    }

    /// Whether MAAS is down now (`maas-down-after` and its juju command has succeeded).
    pub fn maas_down(&self) -> bool {
        self.list
            .iter()
            .any(|f| matches!(f, Fault::MaasDownAfter(c) if self.juju_done.iter().any(|d| d == c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let specs: Vec<String> = [
            "maas-5xx:0.5",
            "maas-latency:20",
            "maas-hang:op=release",
            "maas-status:403:op=release",
            "juju-fail:status",
            "juju-malformed:models",
            "release-fails:openstack1",
            "model-stuck",
            "maas-down-after:destroy-model",
            "delete-on-destroy:openstack2",
            "erase-on-release",
            "maas-non-superuser",
            "juju-keeps-nodes",
            "maas-hang-first:op=release",
            "model-slow:30",
            "juju-hang-first:export-bundle",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut f = Faults::parse(&specs).unwrap();
        assert_eq!(f.list.len(), 16);
        assert!(f.erase_on_release() && !f.superuser());
        assert!(Faults::default().superuser());
        assert!(f.juju_hangs("export-bundle") && !f.juju_hangs("export-bundle"));
        assert!(!f.juju_hangs("status"));
        assert_eq!(f.model_removal_secs(), Some(30.0));
        assert!(f.deletes_on_destroy("openstack2") && !f.deletes_on_destroy("openstack1"));
        assert!(!f.maas_down());
        f.juju_succeeded("status");
        assert!(!f.maas_down());
        f.juju_succeeded("destroy-model");
        assert!(f.maas_down());
        assert_eq!(
            f.forced_status("POST /MAAS/api/2.0/machines/x/?op=release"),
            Some(403)
        );
        assert_eq!(f.forced_status("GET /MAAS/api/2.0/machines/"), None);
        assert_eq!(f.latency_ms(), 20);
        assert!(f.hangs("/MAAS/api/2.0/machines/x/?op=release"));
        assert!(f.juju_fails("status") && !f.juju_fails("models"));
        assert!(f.model_stuck());
        assert!(f.juju_keeps_nodes());
    }

    #[test]
    fn controllers_and_users_faults() {
        let parse = |specs: &[&str]| {
            Faults::parse(&specs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert_eq!(parse(&[]).other_controller(), None);
        assert_eq!(parse(&["other-controller"]).other_controller(), Some(true));
        assert_eq!(
            parse(&["other-controller:registered"]).other_controller(),
            Some(false)
        );
        let f = parse(&[
            "other-user-model",
            "other-user-model:carol",
            "other-user-model:bob",
        ]);
        assert_eq!(f.other_users(), ["bob", "carol"]);
        let mut f = parse(&["controller-gone-after:models"]);
        assert!(!f.controller_gone());
        f.juju_succeeded("models");
        assert!(f.controller_gone());
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, want) in [
            ("maas-5xx", "needs rate"),
            ("maas-5xx:2", "between 0.0 and 1.0"),
            ("maas-latency:x", "whole number"),
            ("nope", "unknown fault `nope`"),
            ("model-stuck:x", "unknown fault"),
            ("delete-on-destroy", "needs hostname"),
            ("juju-keeps-nodes:x", "unknown fault"),
            ("model-slow:-1", "from 0 to 86400"),
            ("model-slow:x", "from 0 to 86400"),
            ("maas-status:200:x", "HTTP error code"),
            ("maas-status:403", "needs a substring"),
            ("mutate:abc", "mutate:SYSTEM_ID:FIELD=VALUE"),
            ("mutate:abc:cpu=4", "cannot change `cpu`"),
            ("other-controller:x", "other-controller:registered"),
            ("other-user-model:admin", "other than `admin`"),
            ("other-user-model:a b", "USER must be"),
            ("controller-gone-after", "needs command"),
            ("preset:abc", "preset:SYSTEM_ID:FIELD=VALUE"),
            ("preset:abc:cpu=4", "cannot change `cpu`"),
        ] {
            let err = Fault::parse(spec).unwrap_err().to_string();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }

    #[test]
    fn hang_first_holds_only_the_first_matching_request() {
        let mut f = Faults::parse(&["maas-hang-first:op=release".to_string()]).unwrap();
        assert!(!f.hangs("/MAAS/api/2.0/machines/"));
        assert!(f.hangs("/MAAS/api/2.0/machines/a/?op=release"));
        assert!(!f.hangs("/MAAS/api/2.0/machines/b/?op=release"));
        assert!(!f.hangs("/MAAS/api/2.0/machines/a/?op=release"));
    }

    #[test]
    fn failures_are_reproducible_and_near_the_rate() {
        let run = || {
            let mut f = Faults::parse(&["maas-5xx:0.3".to_string()]).unwrap();
            (0..1000).map(|_| f.maas_error()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let failed = a.iter().filter(|e| e.is_some()).count();
        assert!((200..400).contains(&failed), "{failed}");
        assert!(a.contains(&Some(500)) && a.contains(&Some(503)));
    }
}
