//! MAAS's machine JSON on the wire and the slim [`Machine`] scripts see: a list is walked
//! with `json_skim`, only the eleven fields a teardown keeps are parsed (serde_json), the
//! ~85 others are skipped over unread; plus the whoami answer.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::status::status_name;
use crate::clients::json_skim::{self, Next};

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
    /// `pool.name`.
    pool: Option<String>,
    /// `zone.name`.
    zone: Option<String>,
    tag_names: Option<Vec<Option<String>>>,
    /// From `owner_data`, free-form strings where Juju writes its model and controller.
    owner_data: OwnerData,
    /// Which of the fields above were given (a null counts): one given twice is refused.
    seen: [bool; 11],
}

/// What we keep of `owner_data`: the Juju model and controller uuids, when not empty.
#[derive(Default)]
struct OwnerData {
    juju_model_uuid: Option<String>,
    juju_controller_uuid: Option<String>,
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
        let (n, name) = match key {
            b"system_id" => (0, "system_id"),
            b"hostname" => (1, "hostname"),
            b"status" => (2, "status"),
            b"status_name" => (3, "status_name"),
            b"owner" => (4, "owner"),
            b"locked" => (5, "locked"),
            b"power_state" => (6, "power_state"),
            b"pool" => (7, "pool"),
            b"zone" => (8, "zone"),
            b"tag_names" => (9, "tag_names"),
            b"owner_data" => (10, "owner_data"),
            _ => return Ok(()),
        };
        if std::mem::replace(&mut self.seen[n], true) {
            bail!("duplicate field `{name}`");
        }
        self.set(n, value)
            .with_context(|| format!("field `{name}`"))
    }

    /// Field `n` (as [`RawMachine::member`] numbers them) from its JSON `value`.
    fn set(&mut self, n: usize, value: &[u8]) -> Result<()> {
        match n {
            0 => self.system_id = text(value)?,
            1 => self.hostname = text(value)?,
            2 => self.status = serde_json::from_slice(value)?,
            3 => self.status_name = text(value)?,
            4 => self.owner = text(value)?,
            5 => self.locked = serde_json::from_slice(value)?,
            6 => self.power_state = text(value)?,
            7 => self.pool = name_of(value)?,
            8 => self.zone = name_of(value)?,
            9 => self.tag_names = serde_json::from_slice(value)?,
            _ => self.owner_data = OwnerData::parse(value)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<RawMachine> {
        if self.system_id.is_none() {
            bail!("missing field `system_id`");
        }
        Ok(self)
    }
}

/// A string or null. Most strings have no escape: those are taken as they are (checked to
/// be UTF-8 without control characters, as serde_json would); the rest go through
/// serde_json, which decodes them or says why they are not a string.
fn text(value: &[u8]) -> Result<Option<String>> {
    if let [b'"', inner @ .., b'"'] = value {
        if !inner.iter().any(|&c| c == b'\\' || c < 0x20) {
            return Ok(Some(std::str::from_utf8(inner)?.to_owned()));
        }
    }
    Ok(serde_json::from_slice(value)?)
}

/// The `name` of a `{"name": ...}` object (a pool, a zone) or null; its other members are
/// skimmed over.
fn name_of(value: &[u8]) -> Result<Option<String>> {
    if value.first() != Some(&b'{') {
        // Null, or not an object: serde_json says which.
        let name: Option<NameRef> = serde_json::from_slice(value)?;
        return Ok(name.and_then(|n| n.name));
    }
    let (mut name, mut seen) = (None, false);
    json_skim::members(value, |key, value| {
        if key == b"name" {
            if std::mem::replace(&mut seen, true) {
                bail!("duplicate field `name`");
            }
            name = text(value)?;
        }
        Ok(())
    })?;
    Ok(name)
}

impl OwnerData {
    /// `owner_data`: an object of free-form values, or null. A key given twice counts
    /// once, its last value (as a map keeps it).
    fn parse(value: &[u8]) -> Result<OwnerData> {
        let mut data = OwnerData::default();
        if value.first() != Some(&b'{') {
            // Null, or not an object: serde_json says which.
            serde_json::from_slice::<Option<serde_json::Map<String, serde_json::Value>>>(value)?;
            return Ok(data);
        }
        json_skim::members(value, |key, value| {
            let slot = match key {
                b"juju-model-uuid" => &mut data.juju_model_uuid,
                b"juju-controller-uuid" => &mut data.juju_controller_uuid,
                _ => return Ok(()),
            };
            *slot = owner_value(value)?;
            Ok(())
        })?;
        Ok(data)
    }
}

/// One `owner_data` value as a string: an empty string or null is none, another JSON
/// value its JSON text.
fn owner_value(value: &[u8]) -> Result<Option<String>> {
    if value.first() == Some(&b'"') {
        return Ok(text(value)?.filter(|s| !s.is_empty()));
    }
    Ok(match serde_json::from_slice::<serde_json::Value>(value)? {
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    })
}

impl From<RawMachine> for Machine {
    fn from(m: RawMachine) -> Machine {
        let status = m.status.unwrap_or(-1);
        Machine {
            juju_model_uuid: m.owner_data.juju_model_uuid,
            juju_controller_uuid: m.owner_data.juju_controller_uuid,
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
            pool: m.pool.unwrap_or_default(),
            zone: m.zone.unwrap_or_default(),
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
/// machines). A chunk of at least `STEP` bytes is parsed where it lies, not copied.
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

    /// How much of a big chunk is copied to complete the machine cut in two before it.
    const HEAD: usize = 64 * 1024;

    /// The next bytes of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.walk.failed.is_some() {
            return;
        }
        if chunk.len() >= Self::STEP && self.walk.at.is_some() && !self.walk.done() {
            return self.push_in_place(chunk);
        }
        self.buf.extend_from_slice(chunk);
        let at = self.walk.at.unwrap_or(0);
        if self.buf.len() >= at + Self::STEP && !self.walk.done() {
            self.walk.step(&self.buf, false, self.dropped);
            self.keep_rest();
        }
    }

    /// A big chunk (as a fast server sends a long list) is walked where it lies, not
    /// copied: only its first bytes are, to complete the machine cut in two before it,
    /// and the machine it cuts in two at its end.
    fn push_in_place(&mut self, chunk: &[u8]) {
        let chunk_at = self.buf.len();
        let head = chunk.len().min(Self::HEAD);
        self.buf.extend_from_slice(&chunk[..head]);
        self.walk.step(&self.buf, false, self.dropped);
        match self.walk.at {
            // The next machine starts in the chunk: go on there.
            Some(at) if at >= chunk_at && !self.walk.done() => {
                self.buf.clear();
                self.dropped += chunk_at;
                self.walk.at = Some(at - chunk_at);
                self.walk.step(chunk, false, self.dropped);
                if self.walk.failed.is_none() {
                    // What the walk did not reach: a machine cut in two, or what follows `]`.
                    let at = self.walk.at.unwrap_or(0);
                    self.buf.extend_from_slice(&chunk[at..]);
                    self.dropped += at;
                    self.walk.at = Some(0);
                }
            }
            // A machine longer than the head, or the list ended or broke in it.
            _ => {
                self.buf.extend_from_slice(&chunk[head..]);
                self.keep_rest();
            }
        }
    }

    /// Lets the parsed machines' bytes go: the rest moves to the front.
    fn keep_rest(&mut self) {
        if let (Some(at), false) = (self.walk.at, self.walk.done()) {
            self.buf.drain(..at);
            self.dropped += at;
            self.walk.at = Some(0);
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
            match walk.next_object(|key, value| raw.member(key, value))? {
                Next::Object => self.machines.push(Machine::from(raw.finish()?)),
                Next::End => {
                    self.ended = true;
                    self.at = Some(walk.position());
                    return Ok(());
                }
                // The rest of the machine is still to come.
                Next::Short if !whole => return Ok(()),
                Next::Short => return Err(json_skim::Truncated(body.len()).into()),
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

    /// `body` pushed in chunks of the `sizes` in turn: the most the stream held, what it
    /// held at the end, and the list.
    fn streamed(body: &str, sizes: &[usize]) -> (usize, usize, Result<Vec<Machine>>) {
        let mut stream = MachineStream::default();
        let (mut at, mut buffered) = (0, 0);
        for size in sizes.iter().cycle() {
            if at == body.len() {
                break;
            }
            let end = body.len().min(at + size);
            stream.push(&body.as_bytes()[at..end]);
            buffered = buffered.max(stream.buf.len());
            at = end;
        }
        (buffered, stream.buf.len(), stream.finish())
    }

    #[test]
    fn a_list_streamed_in_chunks_is_the_list_parsed_whole() {
        let step = MachineStream::STEP;
        let n = 8 * step / machine_json("id0", "node0", 6, Some("admin")).len();
        let mut machines: Vec<String> = (0..n)
            .map(|i| machine_json(&format!("id{i}"), &format!("node{i}"), 6, Some("admin")))
            .collect();
        // A machine longer than the part of a big chunk copied to complete one.
        machines[n / 2] = machines[n / 2].replacen(
            "{",
            &format!(r#"{{"long":"{}","#, "x".repeat(2 * MachineStream::HEAD)),
            1,
        );
        let body = format!(" [\n{}\n] \n", machines.join(" ,\n"));
        assert!(body.len() > 8 * step, "several steps");
        let whole = parse_machines(body.as_bytes()).unwrap();
        assert_eq!(whole.len(), n);
        for sizes in [
            &[1000][..],
            &[4096],
            &[70_001],
            &[step],
            &[step + 12_345],
            &[3 * step],
            &[10, step + 1, 3000, 2 * step + 7],
        ] {
            let (buffered, _, list) = streamed(&body, sizes);
            let biggest = sizes.iter().max().copied().unwrap_or(0);
            assert!(buffered < step + biggest, "parsed bytes are let go");
            assert_eq!(list.unwrap(), whole, "chunks of {sizes:?}");
        }
        // A big chunk is walked where it lies: only a machine cut in two is kept.
        let (_, kept, _) = streamed(&body[..3 * (step + 1)], &[step + 1]);
        assert!(kept < step / 8, "{kept} bytes kept");
        for sizes in [&[3000][..], &[step + 1], &[100, 2 * step]] {
            let cut = &body[..body.len() / 2];
            let e = format!("{:#}", streamed(cut, sizes).2.unwrap_err());
            assert!(e.contains("ends early"), "{e}");
            let trailing = format!("{body} x");
            assert!(streamed(&trailing, sizes).2.is_err(), "bytes after the `]`");
            // An error past the first chunk names the machine and where it is.
            let broken = body.replacen(r#""hostname":"node7""#, r#""hostname":7"#, 1);
            let e = format!("{:#}", streamed(&broken, sizes).2.unwrap_err());
            assert!(
                e.contains("machine 7 of the list") && e.contains("`hostname`"),
                "{e}"
            );
            let m = n / 4;
            let at = body.find(&format!(r#""system_id":"id{m}""#)).unwrap();
            let at = at + body[at..].find(r#""links":[]"#).unwrap() + r#""links":["#.len();
            let broken = format!("{}}}{}", &body[..at], &body[at + 1..]);
            let e = format!("{:#}", streamed(&broken, sizes).2.unwrap_err());
            let number_after = |text: &str| -> usize {
                let rest = &e[e.find(text).unwrap() + text.len()..];
                let digits = rest.find(|c: char| !c.is_ascii_digit());
                rest[..digits.unwrap_or(rest.len())].parse().unwrap()
            };
            assert!(e.contains(&format!("machine {m} of the list")), "{e}");
            assert_eq!(
                number_after("at byte ") + number_after("from byte "),
                at,
                "{e}"
            );
        }
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
    fn kept_fields_are_decoded_as_serde_decodes_them() {
        let m = parse_machine(
            r#"{"system_id":"a\"b\\c\u0041\ud83e\udd80","hostname":"h\u00e9 é","status":6,
            "owner":"","pool":{"id":0,"name":"p\/1","skip":[{"name":"not this"}]},
            "zone":{"description":"x"},"tag_names":["t\n",null],
            "owner_data":{"juju-model-uuid":"","juju-controller-uuid":{"b":[1, 2]},
              "other":"x","juju-model-uuid":"m\u002d1"}}"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(m.system_id, "a\"b\\cA🦀");
        assert_eq!(m.hostname, "hé é");
        assert_eq!(
            (m.owner, m.pool.as_str(), m.zone.as_str()),
            (None, "p/1", "")
        );
        assert_eq!(m.tags, ["t\n"]);
        // A key given twice in `owner_data` counts once, its last value.
        assert_eq!(m.juju_model_uuid.as_deref(), Some("m-1"));
        assert_eq!(m.juju_controller_uuid.as_deref(), Some(r#"{"b":[1,2]}"#));
        let empty = parse_machine(br#"{"system_id":"x","owner_data":{"juju-model-uuid":null}}"#);
        assert_eq!(empty.unwrap().juju_model_uuid, None);
    }

    #[test]
    fn kept_fields_serde_refuses_are_refused_with_their_name() {
        for (object, field) in [
            (&br#"{"system_id":5}"#[..], "system_id"),
            (b"{\"system_id\":\"x\",\"hostname\":\"a\x01\"}", "hostname"),
            (b"{\"system_id\":\"x\",\"owner\":\"\xff\"}", "owner"),
            (br#"{"system_id":"x","hostname":"\x"}"#, "hostname"),
            (br#"{"system_id":"x","status":"6"}"#, "status"),
            (br#"{"system_id":"x","locked":1}"#, "locked"),
            (br#"{"system_id":"x","pool":"default"}"#, "pool"),
            (br#"{"system_id":"x","pool":{"name":1}}"#, "pool"),
            (
                br#"{"system_id":"x","zone":{"name":"a","name":"b"}}"#,
                "zone",
            ),
            (br#"{"system_id":"x","tag_names":"a"}"#, "tag_names"),
            (br#"{"system_id":"x","owner_data":[]}"#, "owner_data"),
            (
                br#"{"system_id":"x","owner_data":{"juju-model-uuid":tru}}"#,
                "owner_data",
            ),
            (
                br#"{"system_id":"x","hostname":"a","hostname":"a"}"#,
                "hostname",
            ),
        ] {
            let e = format!("{:#}", parse_machine(object).unwrap_err());
            assert!(
                e.contains(&format!("field `{field}`")),
                "{}: {e}",
                String::from_utf8_lossy(object)
            );
        }
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
