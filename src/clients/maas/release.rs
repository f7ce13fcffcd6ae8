//! What a release asks for and how it ended: the erase options, the outcome of one
//! machine, the decision after a failed `POST` (re-read, never retried blindly), and the
//! request line a plan shows. No I/O here; the client sends (`MaasClient::release_read`).

use serde::{Deserialize, Serialize};

use super::status;
use super::wire::Machine;

/// How a release asks MAAS to erase the machine's disks (site `maas.erase`). MAAS's own
/// setting `enable_disk_erasing_on_release` forces an erase whatever the request says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EraseMode {
    /// `erase=false`: no erase asked for.
    #[default]
    None,
    /// `erase=true quick_erase=true`: wipe the start and end of each disk.
    Quick,
    /// `erase=true secure_erase=true`: the drives' secure erase (MAAS falls back to a full
    /// wipe where a drive has none).
    Secure,
}

impl EraseMode {
    /// The form parameters of `POST machines/ID/?op=release` (MAAS 2.0 API).
    pub fn params(self) -> Vec<(&'static str, &'static str)> {
        match self {
            EraseMode::None => vec![("erase", "false")],
            EraseMode::Quick => vec![("erase", "true"), ("quick_erase", "true")],
            EraseMode::Secure => vec![("erase", "true"), ("secure_erase", "true")],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EraseMode::None => "none",
            EraseMode::Quick => "quick",
            EraseMode::Secure => "secure",
        }
    }
}

/// Options of a release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseOptions {
    /// Shown in the machine's event log; carries the run id.
    pub comment: Option<String>,
    /// The erase parameters to send; `None` sends none (MAAS's default: no erase).
    pub erase: Option<EraseMode>,
}

/// What a release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseResult {
    /// MAAS accepted the release.
    Released,
    /// Already Ready or Releasing: nothing was sent.
    AlreadyReleased,
    /// The release failed (409, 5xx, timeout) but a re-read shows it is being, or was,
    /// released (Releasing, Disk erasing, Ready or New) — e.g. Juju released it first.
    Done,
    /// The machine no longer exists (a composed VM deleted after Juju released it).
    Gone,
}

/// The outcome of one release, as scripts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseOutcome {
    pub system_id: String,
    pub hostname: String,
    pub result: ReleaseResult,
    /// The status after the call (empty when gone).
    pub status_name: String,
    /// For humans: what happened.
    pub message: String,
}

/// teardown.md §3 / docs/formats.md: states in which a release is already under way or complete.
fn released_or_releasing(status: i64) -> bool {
    matches!(
        status,
        status::RELEASING | status::DISK_ERASING | status::READY | status::NEW
    )
}

/// After a failed release, what a fresh read of the machine (None: 404) says happened.
/// `None` means "not released": the original failure stands.
pub fn decide_after_failure(after: Option<&Machine>) -> Option<ReleaseResult> {
    match after {
        None => Some(ReleaseResult::Gone),
        Some(m) if released_or_releasing(m.status) => Some(ReleaseResult::Done),
        Some(_) => None,
    }
}

/// The request line of a release, for the dry-run plan.
pub fn release_request(system_id: &str, opts: &ReleaseOptions) -> String {
    let mut line = format!("POST machines/{system_id}/?op=release");
    if let Some(c) = &opts.comment {
        line.push_str(&format!(" comment={c:?}"));
    }
    for (k, v) in opts.erase.map(EraseMode::params).unwrap_or_default() {
        line.push_str(&format!(" {k}={v}"));
    }
    line
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

pub(super) fn outcome(m: &Machine, result: ReleaseResult, message: String) -> ReleaseOutcome {
    ReleaseOutcome {
        system_id: m.system_id.clone(),
        hostname: m.hostname.clone(),
        result,
        status_name: m.status_name.clone(),
        message,
    }
}

/// A machine MAAS no longer knows at all: nothing to release.
pub fn gone_unseen(system_id: &str) -> ReleaseOutcome {
    ReleaseOutcome {
        system_id: system_id.to_string(),
        hostname: String::new(),
        result: ReleaseResult::Gone,
        status_name: String::new(),
        message: format!("MAAS has no machine `{system_id}` (404): already gone (a composed VM is deleted once released), or a wrong id"),
    }
}

pub(super) fn gone(before: &Machine, message: &str) -> ReleaseOutcome {
    ReleaseOutcome {
        system_id: before.system_id.clone(),
        hostname: before.hostname.clone(),
        result: ReleaseResult::Gone,
        status_name: String::new(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::maas::mock::machine_json;
    use crate::clients::maas::parse_machine;

    #[test]
    fn release_decisions() {
        let m = |s| parse_machine(machine_json("x", "h", s, None).as_bytes()).unwrap();
        assert_eq!(decide_after_failure(None), Some(ReleaseResult::Gone));
        for s in [
            status::DISK_ERASING,
            status::READY,
            status::NEW,
            status::RELEASING,
        ] {
            assert_eq!(
                decide_after_failure(Some(&m(s))),
                Some(ReleaseResult::Done),
                "{s}"
            );
        }
        for s in [status::DEPLOYED, status::ALLOCATED, 13, 15, 8] {
            assert_eq!(decide_after_failure(Some(&m(s))), None, "{s}");
        }
    }

    #[test]
    fn release_request_line() {
        assert_eq!(
            release_request("4y3h7n", &ReleaseOptions::default()),
            "POST machines/4y3h7n/?op=release"
        );
        assert_eq!(
            release_request(
                "4y3h7n",
                &ReleaseOptions {
                    comment: Some("runbook run r-1".into()),
                    erase: None,
                }
            ),
            "POST machines/4y3h7n/?op=release comment=\"runbook run r-1\""
        );
        assert_eq!(
            release_request(
                "4y3h7n",
                &ReleaseOptions {
                    comment: None,
                    erase: Some(EraseMode::Secure),
                }
            ),
            "POST machines/4y3h7n/?op=release erase=true secure_erase=true"
        );
    }
}
