//! The MAAS client: the MAAS 2.0 REST API subset a teardown needs (whoami, machines, release).
//!
//! Async reqwest with rustls (plus an optional private CA), OAuth 1.0 PLAINTEXT with a fresh
//! nonce and timestamp on every request, timeouts on connect and on each request. GETs are
//! retried with backoff on connection errors and 5xx (honouring `Retry-After`),
//! a bounded number of times; a release is never retried blindly: after a failure the machine
//! is re-read to decide what happened (docs/formats.md, "MAAS 2.0 REST API"). The API key lives
//! only in [`ApiKey`], whose `Debug` is redacted, and is never put in a URL, a log line or an
//! error. Machine lists are parsed straight from the response bytes into slim structs, so
//! unknown fields cost nothing but skipping. This module knows nothing about Rhai.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use futures::StreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::json_skim;

/// Default number of releases in flight at once (site `maas.concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 16;
/// GET attempts before giving up on connection errors and 5xx (a timeout is not retried).
const GET_ATTEMPTS: u32 = 4;
/// First backoff between GET attempts; doubles each time.
const BACKOFF_START: Duration = Duration::from_millis(250);
/// The longest `Retry-After` honoured; a longer one is cut to this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(30);
/// System ids per `GET machines/?id=...` request.
pub const IDS_PER_REQUEST: usize = 100;
/// How much of an error body is shown.
const BODY_SHOWN: usize = 1000;

/// How to reach one MAAS.
#[derive(Clone)]
pub struct MaasConfig {
    /// The MAAS base, e.g. `http://10.0.0.2:5240/MAAS` (trailing slash optional).
    pub url: String,
    /// `consumer_key:token_key:token_secret`.
    pub api_key: String,
    /// A PEM file with the CA that signed MAAS's certificate, if private.
    pub ca_file: Option<PathBuf>,
    /// PEM text of CA certificates (a `maas login --cacerts` profile's), besides `ca_file`.
    pub ca_pem: Option<String>,
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl fmt::Debug for MaasConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaasConfig")
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .field("ca_file", &self.ca_file)
            .field("concurrency", &self.concurrency)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// The three parts of a MAAS API key. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    consumer_key: String,
    token_key: String,
    token_secret: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    pub fn parse(key: &str) -> Result<ApiKey> {
        let parts: Vec<&str> = key.trim().split(':').collect();
        match parts.as_slice() {
            [ck, tk, ts] if !ck.is_empty() && !tk.is_empty() && !ts.is_empty() => Ok(ApiKey {
                consumer_key: ck.to_string(),
                token_key: tk.to_string(),
                token_secret: ts.to_string(),
            }),
            _ => bail!(
                "the MAAS API key is not `consumer_key:token_key:token_secret` ({} part(s) separated by `:`); \
                 copy it from `maas apikey --username USER` into `MAAS_API_KEY` or site `maas.api_key_file`",
                parts.len()
            ),
        }
    }

    /// The `Authorization` header value for one request (OAuth 1.0 PLAINTEXT, empty consumer
    /// secret, so the signature is `&` + token secret).
    pub fn header(&self, nonce: &str, timestamp: u64) -> String {
        format!(
            "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", \
             oauth_consumer_key=\"{}\", oauth_token=\"{}\", oauth_signature=\"&{}\", \
             oauth_nonce=\"{}\", oauth_timestamp=\"{timestamp}\"",
            oauth_encode(&self.consumer_key),
            oauth_encode(&self.token_key),
            oauth_encode(&self.token_secret),
            oauth_encode(nonce),
        )
    }

    /// Remove every part of the key from `text` (defence in depth for error messages).
    fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.token_secret, &self.token_key, &self.consumer_key] {
            if secret.len() >= 4 {
                out = out.replace(secret.as_str(), "<redacted>");
            }
        }
        out
    }
}

/// RFC 5849 §3.6: everything but unreserved characters is percent-encoded.
const OAUTH_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn oauth_encode(s: &str) -> String {
    utf8_percent_encode(s, OAUTH_RESERVED).to_string()
}

/// `http://host:5240/MAAS` or `.../MAAS/` (or already `.../api/2.0/`) → `.../MAAS/api/2.0/`.
pub fn api_base(url: &str) -> Result<reqwest::Url> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        bail!("the MAAS URL is empty; set `MAAS_URL` or site `maas.url` (e.g. `http://maas:5240/MAAS`)");
    }
    let base = if trimmed.ends_with("/api/2.0") {
        format!("{trimmed}/")
    } else {
        format!("{trimmed}/api/2.0/")
    };
    let parsed = reqwest::Url::parse(&base).with_context(|| {
        format!("the MAAS URL `{url}` is not a URL; expected e.g. `http://maas:5240/MAAS`")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("the MAAS URL `{url}` must start with `http://` or `https://`");
    }
    Ok(parsed)
}

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

/// Status codes a teardown relies on (the status table of docs/formats.md).
pub mod status {
    pub const NEW: i64 = 0;
    pub const READY: i64 = 4;
    pub const ALLOCATED: i64 = 10;
    pub const DEPLOYED: i64 = 6;
    pub const RELEASING: i64 = 12;
    pub const DISK_ERASING: i64 = 14;
}

/// The name MAAS gives a status code.
pub fn status_name(code: i64) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| STATUS_NAMES.get(i))
        .copied()
        .unwrap_or("Unknown")
}

/// The status code MAAS gives a name (`None`: no such status).
pub fn status_code(name: &str) -> Option<i64> {
    STATUS_NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| i64::try_from(i).ok())
}

/// MAAS's status names, by code (the status table of docs/formats.md); scripts read them
/// by name (`maas_status`).
pub const STATUS_NAMES: [&str; 23] = [
    "New",
    "Commissioning",
    "Failed commissioning",
    "Missing",
    "Ready",
    "Reserved",
    "Deployed",
    "Retired",
    "Broken",
    "Deploying",
    "Allocated",
    "Failed deployment",
    "Releasing",
    "Releasing failed",
    "Disk erasing",
    "Failed disk erasing",
    "Rescue mode",
    "Entering rescue mode",
    "Failed to enter rescue mode",
    "Exiting rescue mode",
    "Failed to exit rescue mode",
    "Testing",
    "Failed testing",
];

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
    let context = "the machine list is not the JSON array MAAS 2.0 returns";
    let mut walk = json_skim::Objects::new(body).context(context)?;
    let mut machines = Vec::new();
    loop {
        let mut raw = RawMachine::default();
        let more = walk
            .next_object(|key, value| raw.member(key, value))
            .and_then(|more| {
                if more {
                    raw.finish().map(Some)
                } else {
                    Ok(None)
                }
            })
            .with_context(|| format!("machine {} of the list", machines.len()))
            .context(context)?;
        match more {
            Some(raw) => machines.push(Machine::from(raw)),
            None => return Ok(machines),
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

/// One HTTP answer: status and body bytes.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    /// `Retry-After` in seconds, when MAAS sent one (503).
    retry_after: Option<u64>,
}

impl Reply {
    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.chars().count() > BODY_SHOWN {
            format!("{}…", text.chars().take(BODY_SHOWN).collect::<String>())
        } else {
            text.to_string()
        }
    }
}

/// Talks to one MAAS.
pub struct MaasClient {
    http: reqwest::Client,
    base: reqwest::Url,
    key: ApiKey,
    concurrency: usize,
    backoff_start: Duration,
}

impl fmt::Debug for MaasClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaasClient")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish()
    }
}

/// Why one HTTP attempt failed before an answer came back.
enum SendError {
    Timeout(String),
    Connect(String),
}

impl MaasClient {
    pub fn new(config: MaasConfig) -> Result<MaasClient> {
        let base = api_base(&config.url)?;
        let key = ApiKey::parse(&config.api_key)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca).with_context(|| {
                format!(
                    "cannot read the MAAS CA file `{}` (site `maas.ca_file`)",
                    ca.display()
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    anyhow!(
                        "`{}` holds no PEM certificate (site `maas.ca_file`)",
                        ca.display()
                    )
                })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(pem) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    anyhow!("the maas CLI profile's `cacerts` holds no PEM certificate")
                })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .context("cannot set up the HTTP client for MAAS")?;
        Ok(MaasClient {
            http,
            base,
            key,
            concurrency: config.concurrency.max(1),
            backoff_start: BACKOFF_START,
        })
    }

    /// Shorter backoff between GET retries (tests).
    pub fn with_backoff(mut self, start: Duration) -> MaasClient {
        self.backoff_start = start;
        self
    }

    /// The API base URL, e.g. `http://maas:5240/MAAS/api/2.0/`.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The user the API key belongs to.
    pub async fn whoami(&self) -> Result<String> {
        let path = "users/?op=whoami";
        let reply = self.get_ok(path).await?;
        parse_whoami(&reply.body)
            .with_context(|| format!("unexpected answer to `GET {}`", self.url(path)))
    }

    /// Machines with these hostnames (all machines when empty), in MAAS's order.
    pub async fn machines(&self, hostnames: &[String]) -> Result<Vec<Machine>> {
        // A long filter would make a huge URL; past a few hundred names, filter here.
        let filter_here = hostnames.len() > 200;
        let mut path = "machines/".to_string();
        if !hostnames.is_empty() && !filter_here {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(hostnames.iter().map(|h| ("hostname", h)))
                .finish();
            path = format!("machines/?{query}");
        }
        let reply = self.get_ok(&path).await?;
        let mut machines = parse_machines(&reply.body)
            .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))?;
        if filter_here {
            let wanted: std::collections::HashSet<&str> =
                hostnames.iter().map(String::as_str).collect();
            machines.retain(|m| wanted.contains(m.hostname.as_str()));
        }
        Ok(machines)
    }

    /// The machines with these system ids (those MAAS knows), fetched with `id=` filters in
    /// slices of [`IDS_PER_REQUEST`] so a large batch neither lists every machine nor makes
    /// one huge URL.
    pub async fn machines_by_id(&self, ids: &[String]) -> Result<Vec<Machine>> {
        let paths: Vec<String> = ids
            .chunks(IDS_PER_REQUEST)
            .map(|chunk| {
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(chunk.iter().map(|id| ("id", id)))
                    .finish();
                format!("machines/?{query}")
            })
            .collect();
        let replies: Vec<Result<Vec<Machine>>> = futures::stream::iter(paths)
            .map(|path| async move {
                let reply = self.get_ok(&path).await?;
                parse_machines(&reply.body)
                    .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))
            })
            .buffered(self.concurrency)
            .collect()
            .await;
        let mut machines = Vec::with_capacity(ids.len());
        for reply in replies {
            machines.extend(reply?);
        }
        Ok(machines)
    }

    /// The machine objects with these system ids as MAAS sends them (those MAAS knows),
    /// `id=` filters in slices as [`MaasClient::machines_by_id`]: for a snapshot that keeps
    /// what a slim [`Machine`] drops (interfaces, architecture, power type).
    pub async fn machine_objects(&self, ids: &[String]) -> Result<Vec<serde_json::Value>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(chunk.iter().map(|id| ("id", id)))
                .finish();
            let path = format!("machines/?{query}");
            let reply = self.get_ok(&path).await?;
            let list: Vec<serde_json::Value> = serde_json::from_slice(&reply.body)
                .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))?;
            out.extend(list);
        }
        Ok(out)
    }

    /// A MAAS setting (`GET maas/?op=get_config&name=NAME`), as the JSON value MAAS sends.
    pub async fn config(&self, name: &str) -> Result<serde_json::Value> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("op", "get_config")
            .append_pair("name", name)
            .finish();
        let path = format!("maas/?{query}");
        let reply = self.get_ok(&path).await?;
        serde_json::from_slice(&reply.body)
            .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))
    }

    /// A machine's power parameters (`GET machines/ID/?op=power_parameters`); MAAS answers
    /// only an administrator: `Err(why)` when it refuses (403), an error for anything else.
    pub async fn power_parameters(
        &self,
        system_id: &str,
    ) -> Result<std::result::Result<serde_json::Value, String>> {
        let path = format!("machines/{}/?op=power_parameters", path_segment(system_id));
        let reply = self.get(&path).await?;
        if reply.status == StatusCode::FORBIDDEN {
            return Ok(Err(format!(
                "MAAS refused to show them (403: only an administrator may read power parameters){}",
                if reply.text().is_empty() { String::new() } else { format!(": {}", self.key.redact(&reply.text())) }
            )));
        }
        let reply = self.check(Method::GET, &path, reply)?;
        let value = serde_json::from_slice(&reply.body)
            .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))?;
        Ok(Ok(value))
    }

    /// One machine, or `None` if MAAS has no machine with this id (404).
    pub async fn machine(&self, system_id: &str) -> Result<Option<Machine>> {
        let path = format!("machines/{}/", path_segment(system_id));
        let reply = self.get(&path).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let reply = self.check(Method::GET, &path, reply)?;
        parse_machine(&reply.body)
            .map(Some)
            .with_context(|| format!("unexpected answer to `GET {}`", self.url(&path)))
    }

    /// Release one machine (docs/formats.md semantics): Ready/Releasing is a no-op; a failure is
    /// not retried but decided by re-reading the machine.
    pub async fn release(&self, system_id: &str, opts: &ReleaseOptions) -> Result<ReleaseOutcome> {
        let Some(before) = self.machine(system_id).await? else {
            // docs/formats.md: a composed VM is deleted once Juju has released it.
            return Ok(gone_unseen(system_id));
        };
        self.release_read(&before, opts).await
    }

    /// Release a machine just read (`before`, from one fresh `GET`): Ready/Releasing is a
    /// no-op; otherwise ONE `POST`, and only on a failure a re-read to decide it. The
    /// caller checks `before` (the release guard) between the read and this call.
    pub async fn release_read(
        &self,
        before: &Machine,
        opts: &ReleaseOptions,
    ) -> Result<ReleaseOutcome> {
        let system_id = before.system_id.as_str();
        let before = before.clone();
        if matches!(before.status, status::READY | status::RELEASING) {
            return Ok(outcome(
                &before,
                ReleaseResult::AlreadyReleased,
                format!("already {}; nothing to do", before.status_name),
            ));
        }
        let path = format!("machines/{}/?op=release", path_segment(system_id));
        let mut form = Vec::new();
        if let Some(c) = &opts.comment {
            form.push(("comment".to_string(), c.clone()));
        }
        for (k, v) in opts.erase.map(EraseMode::params).unwrap_or_default() {
            form.push((k.to_string(), v.to_string()));
        }
        let failure = match self.send(Method::POST, &path, Some(&form)).await {
            Ok(reply) if reply.status.is_success() => {
                let after = parse_machine(&reply.body).unwrap_or_else(|_| before.clone());
                return Ok(outcome(
                    &after,
                    ReleaseResult::Released,
                    format!("released from {}", before.status_name),
                ));
            }
            // 404: a composed VM Juju released meanwhile is deleted; the re-read below
            // confirms it is gone rather than trusting one answer (a wrong URL is 404 too).
            Ok(reply)
                if reply.status == StatusCode::NOT_FOUND
                    || reply.status == StatusCode::CONFLICT
                    || reply.status.is_server_error() =>
            {
                self.http_error(Method::POST, &path, &reply)
            }
            Ok(reply) => return Err(self.http_error(Method::POST, &path, &reply)),
            Err(SendError::Timeout(e)) | Err(SendError::Connect(e)) => {
                anyhow!("`POST {}` failed: {}", self.url(&path), self.key.redact(&e))
            }
        };
        // Not retried blindly: re-read to see whether the release happened anyway.
        let after = self
            .machine(system_id)
            .await
            .with_context(|| format!("{failure:#}"))?;
        match decide_after_failure(after.as_ref()) {
            Some(ReleaseResult::Gone) => Ok(gone(
                &before,
                &format!("the machine no longer exists after: {failure:#}"),
            )),
            Some(result) => {
                let after = after.unwrap_or(before);
                let message = format!(
                    "already {} after: {}",
                    after.status_name,
                    first_line(&format!("{failure:#}"))
                );
                Ok(outcome(&after, result, message))
            }
            None => {
                let now = after.map(|m| m.status_name).unwrap_or_default();
                Err(failure.context(format!(
                    "machine `{system_id}` was not released; it is `{now}`"
                )))
            }
        }
    }

    /// Release many machines concurrently (at most `concurrency` in flight); one result per
    /// id, in the order given.
    pub async fn release_all(
        &self,
        ids: &[String],
        opts: &ReleaseOptions,
    ) -> Vec<(String, Result<ReleaseOutcome>)> {
        // Unordered, so one slow machine does not hold back the others; sorted back after.
        let mut results: Vec<(usize, String, Result<ReleaseOutcome>)> =
            futures::stream::iter(ids.iter().cloned().enumerate())
                .map(|(i, id)| async move {
                    let r = self.release(&id, opts).await;
                    (i, id, r)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
        results.sort_by_key(|(i, _, _)| *i);
        results.into_iter().map(|(_, id, r)| (id, r)).collect()
    }

    /// `GET path` (relative to the API base) and its body as MAAS sent it, for `sim record`;
    /// only GET, with the usual retries on 5xx.
    pub async fn get_raw(&self, path: &str) -> Result<Vec<u8>> {
        Ok(self.get_ok(path).await?.body)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET and require a 2xx answer.
    async fn get_ok(&self, path: &str) -> Result<Reply> {
        let reply = self.get(path).await?;
        self.check(Method::GET, path, reply)
    }

    fn check(&self, method: Method, path: &str, reply: Reply) -> Result<Reply> {
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(self.http_error(method, path, &reply))
        }
    }

    fn http_error(&self, method: Method, path: &str, reply: &Reply) -> anyhow::Error {
        let hint = match reply.status {
            StatusCode::UNAUTHORIZED => "\nhint: the API key was refused; check `MAAS_API_KEY` (or site `maas.api_key_file`)".to_string(),
            StatusCode::FORBIDDEN => "\nhint: this user may not do that (machine locked, or owned by someone else)".to_string(),
            StatusCode::NOT_FOUND => "\nhint: no such object, or the URL is wrong: `MAAS_URL` (or site `maas.url`) must be the MAAS base, e.g. `http://maas:5240/MAAS`".to_string(),
            s if s.is_server_error() && method == Method::GET => format!("\nhint: MAAS failed on its side {GET_ATTEMPTS} times in a row; check the region controller (`regiond.log`)"),
            s if s.is_server_error() => "\nhint: MAAS failed on its side; check the region controller (`regiond.log`)".to_string(),
            _ => String::new(),
        };
        let body = reply.text();
        let body = if body.is_empty() {
            "(empty body)".to_string()
        } else {
            body
        };
        anyhow!(
            "`{method} {}` returned {}: {}{hint}",
            self.url(path),
            reply.status,
            self.key.redact(&body)
        )
    }

    /// GET with bounded retries on connection errors and 5xx; a timeout ends it at once.
    async fn get(&self, path: &str) -> Result<Reply> {
        let mut delay = self.backoff_start;
        let mut attempt = 1;
        loop {
            let last = attempt >= GET_ATTEMPTS;
            match self.send(Method::GET, path, None).await {
                Ok(reply) if reply.status.is_server_error() && !last => {
                    tokio::time::sleep(reply_delay(&reply, delay)).await;
                }
                Ok(reply) => return Ok(reply),
                // A hung MAAS is not asked again: one request timeout is the bound.
                Err(SendError::Timeout(e)) => {
                    bail!("`GET {}` failed: {}", self.url(path), self.key.redact(&e))
                }
                Err(SendError::Connect(e)) if last => {
                    bail!(
                        "`GET {}` failed after {attempt} attempts: {}",
                        self.url(path),
                        self.key.redact(&e)
                    )
                }
                Err(_) => tokio::time::sleep(delay).await,
            }
            delay *= 2;
            attempt += 1;
        }
    }

    /// One request with a fresh OAuth header; the whole body is read into memory once.
    async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<&[(String, String)]>,
    ) -> std::result::Result<Reply, SendError> {
        let url = self.url(path);
        let mut request = self
            .http
            .request(method, &url)
            .header(reqwest::header::AUTHORIZATION, self.auth_header())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(form) = form {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.iter())
                .finish();
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body);
        }
        let classify = |e: reqwest::Error| {
            let timeout = e.is_timeout();
            let text = format!("{:#}", anyhow::Error::from(e.without_url()));
            if timeout {
                SendError::Timeout(format!("timed out ({text})"))
            } else {
                SendError::Connect(text)
            }
        };
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Read chunk by chunk into one buffer sized from Content-Length: peak memory stays
        // near the body size (collecting and then flattening would double it).
        let mut body =
            Vec::with_capacity(response.content_length().unwrap_or(0).min(1 << 30) as usize);
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            body,
            retry_after,
        })
    }

    fn auth_header(&self) -> String {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.key.header(&nonce, timestamp)
    }
}

/// The wait before retrying a 5xx: MAAS's `Retry-After` if it sent one (capped), else backoff.
fn reply_delay(reply: &Reply, backoff: Duration) -> Duration {
    match reply.retry_after {
        Some(secs) => Duration::from_secs(secs).min(RETRY_AFTER_MAX),
        None => backoff,
    }
}

fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, OAUTH_RESERVED).to_string()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn outcome(m: &Machine, result: ReleaseResult, message: String) -> ReleaseOutcome {
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

fn gone(before: &Machine, message: &str) -> ReleaseOutcome {
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const KEY: &str = "ckey1234:tkey5678:tsecret90";

    // A machine as MAAS 2.0 sends it (docs/formats.md): many fields, some null, some unknown to us.
    fn machine_json(id: &str, host: &str, status: i64, owner: Option<&str>) -> String {
        let owner = owner.map(|o| format!("\"{o}\"")).unwrap_or("null".into());
        format!(
            r#"{{"system_id":"{id}","hostname":"{host}","fqdn":"{host}.maas","owner":{owner},"owner_data":{{"juju-model-uuid":"u-os"}},"locked":false,"status":{status},"status_name":"{}","status_message":null,"power_state":"on","pool":{{"name":"default","id":0,"description":""}},"zone":{{"name":"az1","id":1}},"tag_names":["virtual","osd"],"interface_set":[{{"id":1,"links":[]}}],"cpu_count":4,"memory":8192,"resource_uri":"/MAAS/api/2.0/machines/{id}/"}}"#,
            status_name(status)
        )
    }

    #[test]
    fn oauth_header_is_plaintext_with_fresh_values() {
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(
            key.header("abc", 1700000000),
            r#"OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="ckey1234", oauth_token="tkey5678", oauth_signature="&tsecret90", oauth_nonce="abc", oauth_timestamp="1700000000""#
        );
        let odd = ApiKey::parse("c k:t&k:s/s").unwrap();
        assert!(odd.header("n", 1).contains(
            r#"oauth_consumer_key="c%20k", oauth_token="t%26k", oauth_signature="&s%2Fs""#
        ));
    }

    #[test]
    fn api_key_errors_and_debug_never_show_the_key() {
        for bad in ["", "a:b", "a:b:c:d", "a::c"] {
            let e = format!("{:#}", ApiKey::parse(bad).unwrap_err());
            assert!(e.contains("consumer_key:token_key:token_secret"), "{e}");
        }
        let e = format!("{:#}", ApiKey::parse("secretA:secretB").unwrap_err());
        assert!(!e.contains("secretA"), "{e}");
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        let config = MaasConfig {
            url: "http://m/MAAS".into(),
            api_key: KEY.into(),
            ca_file: None,
            ca_pem: None,
            concurrency: 1,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        };
        assert!(!format!("{config:?}").contains("tsecret90"));
        assert!(!format!("{:?}", MaasClient::new(config).unwrap()).contains("tsecret90"));
        assert_eq!(key.redact("x tsecret90 y"), "x <redacted> y");
    }

    #[test]
    fn url_joining() {
        for url in [
            "http://10.0.0.2:5240/MAAS",
            "http://10.0.0.2:5240/MAAS/",
            "http://10.0.0.2:5240/MAAS/api/2.0",
            "http://10.0.0.2:5240/MAAS/api/2.0/",
        ] {
            assert_eq!(
                api_base(url).unwrap().as_str(),
                "http://10.0.0.2:5240/MAAS/api/2.0/",
                "{url}"
            );
        }
        assert!(format!("{:#}", api_base("").unwrap_err()).contains("MAAS_URL"));
        assert!(format!("{:#}", api_base("maas:5240").unwrap_err()).contains("http"));
        assert!(api_base("not a url").is_err());
    }

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

    #[test]
    fn status_names() {
        assert_eq!(status_name(0), "New");
        assert_eq!(status_name(14), "Disk erasing");
        assert_eq!(status_name(22), "Failed testing");
        assert_eq!(status_name(23), "Unknown");
        assert_eq!(status_name(-1), "Unknown");
    }

    // ---- against a tiny in-process HTTP server -------------------------------------------

    #[derive(Clone, Debug)]
    struct Seen {
        method: String,
        uri: String,
        auth: String,
        body: String,
    }

    struct Answer {
        status: u16,
        body: String,
        retry_after: Option<u64>,
        delay: Duration,
    }

    fn answer(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            body: body.into(),
            retry_after: None,
            delay: Duration::ZERO,
        }
    }

    type Responder = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

    #[derive(Clone)]
    struct Server {
        seen: Arc<Mutex<Vec<Seen>>>,
        in_flight: Arc<AtomicUsize>,
        max_in_flight: Arc<AtomicUsize>,
        url: String,
    }

    impl Server {
        fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
        fn posts(&self) -> usize {
            self.seen().iter().filter(|s| s.method == "POST").count()
        }
    }

    async fn serve(responder: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Server {
        let responder: Arc<Responder> = Arc::new(responder);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server {
            seen: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            url: format!("http://{}/MAAS", listener.local_addr().unwrap()),
        };
        let s = server.clone();
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method,
                  uri: axum::http::Uri,
                  headers: axum::http::HeaderMap,
                  body: String| {
                let s = s.clone();
                let responder = responder.clone();
                async move {
                    let seen = Seen {
                        method: method.to_string(),
                        uri: uri.to_string(),
                        auth: headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default(),
                        body,
                    };
                    let n = {
                        let mut all = s.seen.lock().unwrap();
                        all.push(seen.clone());
                        all.len()
                    };
                    let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    s.max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let a = responder(&seen, n);
                    if !a.delay.is_zero() {
                        tokio::time::sleep(a.delay).await;
                    }
                    s.in_flight.fetch_sub(1, Ordering::SeqCst);
                    let mut r = axum::response::Response::builder().status(a.status).header(
                        "content-type",
                        if a.body.starts_with(['[', '{']) {
                            "application/json"
                        } else {
                            "text/plain; charset=utf-8"
                        },
                    );
                    if let Some(ra) = a.retry_after {
                        r = r.header("retry-after", ra.to_string());
                    }
                    r.body(axum::body::Body::from(a.body)).unwrap()
                }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    fn client(url: &str) -> MaasClient {
        client_with(url, 16, Duration::from_secs(5))
    }

    fn client_with(url: &str, concurrency: usize, request_timeout: Duration) -> MaasClient {
        MaasClient::new(MaasConfig {
            url: url.into(),
            api_key: KEY.into(),
            ca_file: None,
            ca_pem: None,
            concurrency,
            connect_timeout: Duration::from_secs(2),
            request_timeout,
        })
        .unwrap()
        .with_backoff(Duration::from_millis(5))
    }

    #[tokio::test]
    async fn whoami_sends_a_fresh_oauth_header_each_time() {
        let server = serve(|_, _| answer(200, r#"{"username":"admin","is_superuser":true}"#)).await;
        let c = client(&format!("{}/", server.url));
        assert_eq!(c.whoami().await.unwrap(), "admin");
        assert_eq!(c.whoami().await.unwrap(), "admin");
        let seen = server.seen();
        assert_eq!(seen[0].uri, "/MAAS/api/2.0/users/?op=whoami");
        assert!(seen[0].auth.starts_with(r#"OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="ckey1234", oauth_token="tkey5678", oauth_signature="&tsecret90", oauth_nonce=""#), "{}", seen[0].auth);
        assert_ne!(seen[0].auth, seen[1].auth, "nonce must be fresh");
    }

    #[tokio::test]
    async fn machines_filter_by_hostname() {
        let server = serve(|s, _| {
            if s.uri.contains("hostname=") {
                answer(
                    200,
                    format!("[{}]", machine_json("a1", "openstack0", 6, Some("admin"))),
                )
            } else {
                answer(
                    200,
                    format!(
                        "[{},{}]",
                        machine_json("a1", "openstack0", 6, Some("admin")),
                        machine_json("b2", "other", 4, None)
                    ),
                )
            }
        })
        .await;
        let c = client(&server.url);
        assert_eq!(c.machines(&[]).await.unwrap().len(), 2);
        let m = c
            .machines(&["openstack0".into(), "open stack1".into()])
            .await
            .unwrap();
        assert_eq!(m[0].hostname, "openstack0");
        assert_eq!(
            server.seen()[1].uri,
            "/MAAS/api/2.0/machines/?hostname=openstack0&hostname=open+stack1"
        );
    }

    #[tokio::test]
    async fn errors_name_method_url_status_and_body_without_the_key() {
        let server = serve(|_, _| answer(401, "Authorization Error: Invalid API key.")).await;
        let e = format!("{:#}", client(&server.url).whoami().await.unwrap_err());
        assert!(e.contains(&format!("`GET {}/api/2.0/users/?op=whoami` returned 401 Unauthorized: Authorization Error: Invalid API key.", server.url)), "{e}");
        assert!(
            e.contains("MAAS_API_KEY") && !e.contains("tsecret90") && !e.contains("tkey5678"),
            "{e}"
        );

        let server = serve(|_, _| answer(403, "")).await;
        let e = format!("{:#}", client(&server.url).machines(&[]).await.unwrap_err());
        assert!(e.contains("403 Forbidden: (empty body)"), "{e}");
    }

    #[tokio::test]
    async fn machines_by_id_uses_id_filters_in_slices() {
        let server = serve(|s, _| {
            let ids: Vec<String> = s
                .uri
                .split(['?', '&'])
                .filter_map(|p| p.strip_prefix("id="))
                .map(str::to_string)
                .collect();
            let list: Vec<String> = ids
                .iter()
                .map(|id| machine_json(id, &format!("h-{id}"), 6, Some("admin")))
                .collect();
            answer(200, format!("[{}]", list.join(",")))
        })
        .await;
        let ids: Vec<String> = (0..250).map(|i| format!("m{i}")).collect();
        let m = client(&server.url).machines_by_id(&ids).await.unwrap();
        assert_eq!(m.len(), 250);
        assert_eq!(m[249].system_id, "m249");
        assert_eq!(server.seen().len(), 3);
        assert!(server.seen()[0]
            .uri
            .starts_with("/MAAS/api/2.0/machines/?id=m0&id=m1&"));
        assert!(client(&server.url)
            .machines_by_id(&[])
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn machine_404_is_none() {
        let server = serve(|_, _| answer(404, "No Machine matches the given query.")).await;
        assert_eq!(client(&server.url).machine("nope").await.unwrap(), None);
    }

    #[tokio::test]
    async fn get_retries_5xx_honouring_retry_after_then_succeeds() {
        let server = serve(|_, n| match n {
            1 => answer(500, "Internal server error"),
            2 => Answer {
                retry_after: Some(0),
                ..answer(503, "busy")
            },
            _ => answer(200, "[]"),
        })
        .await;
        assert!(client(&server.url).machines(&[]).await.unwrap().is_empty());
        assert_eq!(server.seen().len(), 3);
    }

    #[tokio::test]
    async fn get_gives_up_after_bounded_attempts() {
        let server = serve(|_, _| answer(500, "boom")).await;
        let e = format!("{:#}", client(&server.url).machines(&[]).await.unwrap_err());
        assert!(e.contains("500 Internal Server Error: boom"), "{e}");
        assert_eq!(server.seen().len(), GET_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn unreachable_and_hanging_maas_are_errors() {
        // A port nobody listens on (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = format!(
            "{:#}",
            client(&format!("http://127.0.0.1:{port}/MAAS"))
                .whoami()
                .await
                .unwrap_err()
        );
        assert!(e.contains("failed after 4 attempts"), "{e}");

        let server = serve(|_, _| Answer {
            delay: Duration::from_secs(30),
            ..answer(200, "{}")
        })
        .await;
        let e = format!(
            "{:#}",
            client_with(&server.url, 1, Duration::from_millis(200))
                .whoami()
                .await
                .unwrap_err()
        );
        assert!(e.contains("timed out"), "{e}");
        assert_eq!(server.seen().len(), 1, "a timed-out GET is not repeated");
    }

    #[tokio::test]
    async fn release_ready_is_a_no_op() {
        let server = serve(scripted(vec![status::READY], (200, "MACHINE"))).await;
        let o = client(&server.url)
            .release("a1", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(o.result, ReleaseResult::AlreadyReleased);
        assert_eq!(server.posts(), 0);
    }

    fn scripted(
        statuses: Vec<i64>,
        post: (u16, &'static str),
    ) -> impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static {
        // GETs return `statuses` in turn (a negative status: 404); POST returns `post`.
        let gets = Mutex::new(statuses.into_iter());
        move |s, _| {
            if s.method == "POST" {
                let body = if post.1 == "MACHINE" {
                    machine_json("a1", "openstack0", status::RELEASING, Some("admin"))
                } else {
                    post.1.to_string()
                };
                return answer(post.0, body);
            }
            match gets.lock().unwrap().next() {
                Some(st) if st >= 0 => {
                    answer(200, machine_json("a1", "openstack0", st, Some("admin")))
                }
                _ => answer(404, "No Machine matches the given query."),
            }
        }
    }

    #[tokio::test]
    async fn release_deployed_posts_with_comment() {
        let server = serve(scripted(vec![status::DEPLOYED], (200, "MACHINE"))).await;
        let o = client(&server.url)
            .release(
                "a1",
                &ReleaseOptions {
                    comment: Some("runbook r-1".into()),
                    erase: Some(EraseMode::Quick),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (o.result, o.status_name.as_str()),
            (ReleaseResult::Released, "Releasing")
        );
        let post = server
            .seen()
            .into_iter()
            .find(|s| s.method == "POST")
            .unwrap();
        assert_eq!(post.uri, "/MAAS/api/2.0/machines/a1/?op=release");
        assert_eq!(post.body, "comment=runbook+r-1&erase=true&quick_erase=true");
    }

    #[tokio::test]
    async fn release_409_then_disk_erasing_is_done() {
        let server = serve(scripted(
            vec![status::DEPLOYED, status::DISK_ERASING],
            (
                409,
                "Machine cannot be released in its current state ('Disk erasing').",
            ),
        ))
        .await;
        let o = client(&server.url)
            .release("a1", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (o.result, o.status_name.as_str()),
            (ReleaseResult::Done, "Disk erasing")
        );
        assert_eq!(server.posts(), 1, "a release is never retried");
    }

    #[tokio::test]
    async fn release_409_while_still_deployed_is_an_error() {
        let server = serve(scripted(
            vec![status::DEPLOYED, status::DEPLOYED],
            (
                409,
                "Machine cannot be released in its current state ('Deployed').",
            ),
        ))
        .await;
        let e = format!(
            "{:#}",
            client(&server.url)
                .release("a1", &ReleaseOptions::default())
                .await
                .unwrap_err()
        );
        assert!(
            e.contains("was not released; it is `Deployed`")
                && e.contains("409 Conflict")
                && e.contains("POST"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn release_404_after_juju_released_a_composed_vm_is_gone() {
        let server = serve(scripted(
            vec![status::DEPLOYED],
            (404, "No Machine matches the given query."),
        ))
        .await;
        let o = client(&server.url)
            .release("a1", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(o.result, ReleaseResult::Gone);
        let server = serve(scripted(vec![status::DEPLOYED, -1], (500, "boom"))).await;
        let o = client(&server.url)
            .release("a1", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(o.result, ReleaseResult::Gone);
    }

    #[tokio::test]
    async fn release_500_then_releasing_is_done_but_403_is_an_error() {
        let server = serve(scripted(
            vec![status::DEPLOYED, status::RELEASING],
            (500, "boom"),
        ))
        .await;
        let o = client(&server.url)
            .release("a1", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(o.result, ReleaseResult::Done);
        assert_eq!(server.posts(), 1);
        let server = serve(scripted(vec![status::DEPLOYED], (403, ""))).await;
        let e = format!(
            "{:#}",
            client(&server.url)
                .release("a1", &ReleaseOptions::default())
                .await
                .unwrap_err()
        );
        assert!(e.contains("403 Forbidden"), "{e}");
    }

    #[tokio::test]
    async fn release_of_a_machine_maas_no_longer_has_is_gone() {
        let server = serve(scripted(vec![], (200, "MACHINE"))).await;
        let o = client(&server.url)
            .release("zz", &ReleaseOptions::default())
            .await
            .unwrap();
        assert_eq!(o.result, ReleaseResult::Gone);
        assert!(o.message.contains("no machine `zz`"), "{}", o.message);
        assert_eq!(server.posts(), 0);
    }

    #[tokio::test]
    async fn release_all_is_bounded_and_ordered() {
        let server = serve(|s, _| {
            let id = s.uri.split('/').nth(5).unwrap_or("x").to_string();
            let st = if s.method == "POST" {
                status::RELEASING
            } else {
                status::DEPLOYED
            };
            Answer {
                delay: Duration::from_millis(20),
                ..answer(
                    200,
                    machine_json(&id, &format!("h-{id}"), st, Some("admin")),
                )
            }
        })
        .await;
        let ids: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
        let results = client_with(&server.url, 4, Duration::from_secs(5))
            .release_all(&ids, &ReleaseOptions::default())
            .await;
        assert_eq!(results.len(), 40);
        for (i, (id, r)) in results.iter().enumerate() {
            assert_eq!(id, &format!("m{i}"));
            assert_eq!(r.as_ref().unwrap().result, ReleaseResult::Released);
        }
        let max = server.max_in_flight.load(Ordering::SeqCst);
        assert!((2..=4).contains(&max), "max in flight {max}");
    }

    #[test]
    fn bad_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let config = |ca_file| MaasConfig {
            url: "https://m/MAAS".into(),
            api_key: KEY.into(),
            ca_file,
            ca_pem: None,
            concurrency: 1,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        };
        let e = format!(
            "{:#}",
            MaasClient::new(config(Some(ca.clone()))).unwrap_err()
        );
        assert!(
            e.contains("cannot read the MAAS CA file") && e.contains("ca.pem"),
            "{e}"
        );
        std::fs::write(&ca, "not a cert").unwrap();
        assert!(MaasClient::new(config(Some(ca))).is_err());
    }
}
