//! MAAS's machine JSON on the wire and the slim [`Machine`] scripts see: a list is walked
//! with `json_skim`, only the eleven fields a teardown keeps are parsed (serde_json), the
//! ~85 others are skipped over unread; plus the whoami answer.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::status::status_name;
use crate::clients::json_skim;

/// A MAAS machine as scripts see it (`maas_machines()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    pub system_id: String,
    pub hostname: String,
    pub status_name: String,
    /// The status code; base logic on this, not on the name.
    pub status: i64,
    pub owner: Option<String>,
    pub locked: bool,
    pub power_state: String,
    pub pool: String,
    pub zone: String,
    pub tags: Vec<String>,
    /// `owner_data["juju-model-uuid"]`: the Juju model that deployed it (as MAAS has it,
    /// not checked here).
    pub juju_model_uuid: Option<String>,
    /// `owner_data["juju-controller-uuid"]`.
    pub juju_controller_uuid: Option<String>,
}

#[derive(Deserialize)]
struct NameRef {
    #[serde(default)]
    name: Option<String>,
}

/// MAAS's machine JSON, only the fields we keep; every one may be missing or null.
#[derive(Default)]
struct RawMachine {
    system_id: Option<String>,
    hostname: Option<String>,
    status: Option<i64>,
    status_name: Option<String>,
    owner: Option<String>,
    locked: Option<bool>,
    power_state: Option<String>,
    pool: Option<NameRef>,
    zone: Option<NameRef>,
    tag_names: Option<Vec<Option<String>>>,
    /// Free-form strings; Juju writes its model and controller uuids here.
    owner_data: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Which of the fields above were given (a null counts): one given twice is refused.
    seen: [bool; 11],
}

impl RawMachine {
    /// The fields we keep from one machine object; the ~85 others are skimmed over
    /// (`json_skim`), not parsed.
    fn parse(object: &[u8]) -> Result<RawMachine> {
        let mut m = RawMachine::default();
        json_skim::members(object, |key, value| m.member(key, value))?;
        m.finish()
    }

    /// One member of a machine object: kept if it is one of ours, else skipped unread.
    fn member(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        fn set<'a, T: Deserialize<'a>>(
            slot: &mut Option<T>,
            seen: &mut bool,
            key: &str,
            value: &'a [u8],
        ) -> Result<()> {
            if std::mem::replace(seen, true) {
                bail!("duplicate field `{key}`");
            }
            *slot = serde_json::from_slice(value).with_context(|| format!("field `{key}`"))?;
            Ok(())
        }
        let seen = &mut self.seen;
        match key {
            b"system_id" => set(&mut self.system_id, &mut seen[0], "system_id", value),
            b"hostname" => set(&mut self.hostname, &mut seen[1], "hostname", value),
            b"status" => set(&mut self.status, &mut seen[2], "status", value),
            b"status_name" => set(&mut self.status_name, &mut seen[3], "status_name", value),
            b"owner" => set(&mut self.owner, &mut seen[4], "owner", value),
            b"locked" => set(&mut self.locked, &mut seen[5], "locked", value),
            b"power_state" => set(&mut self.power_state, &mut seen[6], "power_state", value),
            b"pool" => set(&mut self.pool, &mut seen[7], "pool", value),
            b"zone" => set(&mut self.zone, &mut seen[8], "zone", value),
            b"tag_names" => set(&mut self.tag_names, &mut seen[9], "tag_names", value),
            b"owner_data" => set(&mut self.owner_data, &mut seen[10], "owner_data", value),
            _ => Ok(()),
        }
    }

    fn finish(self) -> Result<RawMachine> {
        if self.system_id.is_none() {
            bail!("missing field `system_id`");
        }
        Ok(self)
    }
}

impl From<RawMachine> for Machine {
    fn from(m: RawMachine) -> Machine {
        let status = m.status.unwrap_or(-1);
        let owner_data = m.owner_data.unwrap_or_default();
        let data = |key: &str| {
            owner_data.get(key).and_then(|v| match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) if s.is_empty() => None,
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            })
        };
        Machine {
            juju_model_uuid: data("juju-model-uuid"),
            juju_controller_uuid: data("juju-controller-uuid"),
            system_id: m.system_id.unwrap_or_default(),
            hostname: m.hostname.unwrap_or_default(),
            status_name: m
                .status_name
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| status_name(status).to_string()),
            status,
            owner: m.owner.filter(|o| !o.is_empty()),
            locked: m.locked.unwrap_or(false),
            power_state: m.power_state.unwrap_or_else(|| "unknown".into()),
            pool: m.pool.and_then(|p| p.name).unwrap_or_default(),
            zone: m.zone.and_then(|z| z.name).unwrap_or_default(),
            tags: m
                .tag_names
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
        }
    }
}

/// Parse `GET machines/` (a bare JSON array) straight from the bytes, one machine at a time.
pub fn parse_machines(body: &[u8]) -> Result<Vec<Machine>> {
    let mut walk = ListWalk::default();
    walk.step(body, true, 0);
    walk.result()
}

/// A machine list parsed while its body arrives: the bytes come in chunks, the machines
/// complete in them are parsed every [`MachineStream::STEP`] bytes and their bytes let go,
/// so parsing overlaps the download and the body is never held whole (95 MB for 10,000
/// machines).
#[derive(Default)]
pub struct MachineStream {
    /// The bytes from the first machine not parsed yet on.
    buf: Vec<u8>,
    /// How many bytes of the body came before `buf`.
    dropped: usize,
    walk: ListWalk,
}

impl MachineStream {
    /// New bytes it waits for before parsing again: enough that the machine cut in two at
    /// the end of the bytes (walked again next time) is a small share.
    pub const STEP: usize = 256 * 1024;

    /// Start again (a retried request: a new body).
    pub fn reset(&mut self) {
        *self = MachineStream::default();
    }

    /// The next bytes of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.walk.failed.is_some() {
            return;
        }
        self.buf.extend_from_slice(chunk);
        let at = self.walk.at.unwrap_or(0);
        if self.buf.len() >= at + Self::STEP && !self.walk.done() {
            self.walk.step(&self.buf, false, self.dropped);
            // Let the parsed machines' bytes go: the rest moves to the front.
            if let (Some(at), false) = (self.walk.at, self.walk.done()) {
                self.buf.drain(..at);
                self.dropped += at;
                self.walk.at = Some(0);
            }
        }
    }

    /// The whole body is in: the rest of the machines, or the list's error.
    pub fn finish(mut self) -> Result<Vec<Machine>> {
        self.walk.step(&self.buf, true, self.dropped);
        self.walk.result()
    }
}

/// Where a walk of a machine list is, over bytes that may still grow.
#[derive(Default)]
struct ListWalk {
    /// Where the next machine starts, once the opening `[` was read; one past the `]`
    /// once it was.
    at: Option<usize>,
    ended: bool,
    machines: Vec<Machine>,
    /// The first error (the body is still read to its end; `result` says it).
    failed: Option<anyhow::Error>,
}

impl ListWalk {
    fn done(&self) -> bool {
        self.ended || self.failed.is_some()
    }

    /// Parse the machines `body` completes (all of them, or an error, when `whole`);
    /// `dropped`: how many bytes of the body came before `body`, for the error text.
    fn step(&mut self, body: &[u8], whole: bool, dropped: usize) {
        if self.failed.is_some() {
            return;
        }
        let walked = match self.at {
            // Bytes that came after the `]` must be whitespace too.
            Some(end) if self.ended => json_skim::end_of_body(body, end),
            _ => self.walk(body, whole),
        };
        if let Err(mut e) = walked {
            if dropped > 0 {
                e = e.context(format!("(byte offsets from byte {dropped} of the body on)"));
            }
            let e = e.context(format!("machine {} of the list", self.machines.len()));
            self.failed =
                Some(e.context("the machine list is not the JSON array MAAS 2.0 returns"));
        }
    }

    fn walk(&mut self, body: &[u8], whole: bool) -> Result<()> {
        let started = match self.at {
            None => json_skim::Objects::new(body),
            Some(at) => Ok(json_skim::Objects::resume(body, at)),
        };
        let mut walk = match started {
            Err(e) if !whole && json_skim::is_truncated(&e) => return Ok(()),
            started => started?,
        };
        loop {
            self.at = Some(walk.position());
            let mut raw = RawMachine::default();
            match walk.next_object(|key, value| raw.member(key, value)) {
                Ok(true) => self.machines.push(Machine::from(raw.finish()?)),
                Ok(false) => {
                    self.ended = true;
                    self.at = Some(walk.position());
                    return Ok(());
                }
                Err(e) if !whole && json_skim::is_truncated(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn result(self) -> Result<Vec<Machine>> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(self.machines),
        }
    }
}

/// Parse one machine (`GET machines/{id}/` or a release response).
pub fn parse_machine(body: &[u8]) -> Result<Machine> {
    RawMachine::parse(body)
        .map(Machine::from)
        .context("the machine is not the JSON object MAAS 2.0 returns")
}

#[derive(Deserialize)]
struct WhoAmI {
    username: String,
}

/// Parse `GET users/?op=whoami`.
pub fn parse_whoami(body: &[u8]) -> Result<String> {
    let w: WhoAmI =
        serde_json::from_slice(body).context("the whoami answer is not `{\"username\": ...}`")?;
    Ok(w.username)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::maas::mock::machine_json;
    use crate::clients::maas::status;

    #[test]
    fn machines_parse_with_nulls_and_unknown_fields() {
        let body = format!(
            "[{},{},{}]",
            machine_json("4y3h7n", "openstack0", 6, Some("admin")),
            r#"{"system_id":"abc","hostname":null,"owner":null,"locked":null,"status":4,"power_state":null,"pool":null,"zone":null,"tag_names":null}"#,
            r#"{"system_id":"min"}"#
        );
        let m = parse_machines(body.as_bytes()).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0],
            Machine {
                system_id: "4y3h7n".into(),
                hostname: "openstack0".into(),
                status_name: "Deployed".into(),
                status: 6,
                owner: Some("admin".into()),
                locked: false,
                power_state: "on".into(),
                pool: "default".into(),
                zone: "az1".into(),
                tags: vec!["virtual".into(), "osd".into()],
                juju_model_uuid: Some("u-os".into()),
                juju_controller_uuid: None,
            }
        );
        assert_eq!(
            (
                m[1].status_name.as_str(),
                m[1].owner.as_deref(),
                m[1].pool.as_str(),
                m[1].power_state.as_str()
            ),
            ("Ready", None, "", "unknown")
        );
        assert_eq!(m[2].status_name, "Unknown");
        assert!(parse_machines(b"[]").unwrap().is_empty());
        assert!(
            format!("{:#}", parse_machines(b"{\"machines\": []}").unwrap_err())
                .contains("JSON array")
        );
        assert!(
            parse_machines(b"[{\"hostname\":\"x\"}]").is_err(),
            "system_id is required"
        );
    }

    #[test]
    fn a_list_streamed_in_chunks_is_the_list_parsed_whole() {
        let n = 3 * MachineStream::STEP / machine_json("id0", "node0", 6, Some("admin")).len();
        let machines: Vec<String> = (0..n)
            .map(|i| machine_json(&format!("id{i}"), &format!("node{i}"), 6, Some("admin")))
            .collect();
        let body = format!(" [\n{}\n] \n", machines.join(" ,\n"));
        assert!(body.len() > 2 * MachineStream::STEP, "several steps");
        let whole = parse_machines(body.as_bytes()).unwrap();
        assert_eq!(whole.len(), n);
        for size in [1000, 4096, 70_001] {
            let mut stream = MachineStream::default();
            for chunk in body.as_bytes().chunks(size) {
                stream.push(chunk);
            }
            assert!(
                stream.buf.len() < MachineStream::STEP + size,
                "parsed bytes are let go"
            );
            assert_eq!(stream.finish().unwrap(), whole, "chunks of {size}");
        }
        let stream_of = |text: &str| {
            let mut stream = MachineStream::default();
            for chunk in text.as_bytes().chunks(3000) {
                stream.push(chunk);
            }
            stream.finish()
        };
        let cut = &body[..body.len() / 2];
        assert!(format!("{:#}", stream_of(cut).unwrap_err()).contains("ends early"));
        let trailing = format!("{body} x");
        assert!(stream_of(&trailing).is_err(), "bytes after the `]`");
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn fixture_machines_and_whoami() {
        let m = parse_machines(&fixture("maas-machines.json")).unwrap();
        let summary: Vec<(&str, i64, Option<&str>, bool)> = m
            .iter()
            .map(|m| (m.hostname.as_str(), m.status, m.owner.as_deref(), m.locked))
            .collect();
        assert_eq!(
            summary,
            [
                ("openstack0", 6, Some("admin"), false),
                ("openstack1", 14, Some("admin"), false),
                ("openstack2", 4, None, false),
                ("locked-node", 6, Some("admin"), true)
            ]
        );
        assert_eq!(
            (m[2].pool.as_str(), m[2].zone.as_str(), m[2].tags.len()),
            ("", "", 0)
        );
        assert_eq!(
            (
                m[0].pool.as_str(),
                m[0].zone.as_str(),
                m[0].power_state.as_str()
            ),
            ("default", "default", "on")
        );
        assert_eq!(parse_whoami(&fixture("maas-whoami.json")).unwrap(), "admin");
    }

    #[test]
    fn whoami_parses() {
        assert_eq!(parse_whoami(br#"{"is_superuser":true,"username":"admin","email":"a@b","is_local":true,"resource_uri":"/MAAS/api/2.0/users/admin/"}"#).unwrap(), "admin");
        assert!(parse_whoami(b"Authorization Error").is_err());
    }

    #[test]
    fn maas_3_6_and_3_7_machine_fields_are_tolerated() {
        let body = br#"[{"system_id": "4y3h7n", "hostname": "openstack0", "status": 6,
            "status_name": "Deployed", "owner": "admin", "locked": false, "power_state": "on",
            "hardware_uuid": "8a3c2f1e-6b4d-4e9a-9c1f-000000000001", "error_description": "",
            "is_dpu": false, "enable_kernel_crash_dump": false, "pool": null, "zone": null}]"#;
        let m = &parse_machines(body).unwrap()[0];
        assert_eq!(
            (m.system_id.as_str(), m.status),
            ("4y3h7n", status::DEPLOYED)
        );
        assert_eq!((m.pool.as_str(), m.zone.as_str()), ("", ""));
    }
}
