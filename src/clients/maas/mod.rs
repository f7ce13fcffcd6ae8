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
//!
//! - `mod.rs` (here): the client and its API calls;
//! - `transport.rs`: one request, retries, error text;
//! - `oauth.rs`: the API key and the `Authorization` header;
//! - `url.rs`: the API base and path segments;
//! - `wire.rs`: machine and whoami JSON, parsed;
//! - `status.rs`: MAAS status codes and names;
//! - `release.rs`: release options, outcomes and the decision after a failure;
//! - `mock.rs`, `tests.rs`: the unit tests' in-process MAAS, and the client's tests.

mod oauth;
mod release;
pub mod status;
mod transport;
mod url;
mod wire;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use futures::StreamExt;
use reqwest::{Method, StatusCode};

pub use oauth::ApiKey;
pub use release::{
    decide_after_failure, gone_unseen, release_request, EraseMode, ReleaseOptions, ReleaseOutcome,
    ReleaseResult,
};
pub use status::{status_code, status_name, STATUS_NAMES};
pub use url::api_base;
pub use wire::{parse_machine, parse_machines, parse_whoami, Machine};

use release::{first_line, gone, outcome};
use transport::SendError;
use url::path_segment;
use wire::MachineStream;

/// Default number of releases in flight at once (site `maas.concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 16;
/// First backoff between GET attempts; doubles each time.
const BACKOFF_START: Duration = Duration::from_millis(250);
/// System ids per `GET machines/?id=...` request.
pub const IDS_PER_REQUEST: usize = 100;

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
        // Parsed while it arrives: a 10,000-machine list is 95 MB.
        let mut stream = MachineStream::default();
        let reply = self.get_streamed(&path, Some(&mut stream)).await?;
        self.check(Method::GET, &path, reply)?;
        let mut machines = stream
            .finish()
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
        let failure = match self.send(Method::POST, &path, Some(&form), None).await {
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
            Err(SendError::Timeout(e)) | Err(SendError::Connect(e)) | Err(SendError::Tls(e)) => {
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
        let results = self.each(ids, |id| self.release(id, opts)).await;
        ids.iter().cloned().zip(results).collect()
    }

    /// [`MaasClient::machine`] of each id (the fresh reads a batch's guard runs on), at
    /// most `concurrency` in flight; one result per id, in the order given.
    pub async fn machine_each(&self, ids: &[String]) -> Vec<Result<Option<Machine>>> {
        self.each(ids, |id| self.machine(id)).await
    }

    /// [`MaasClient::release_read`] of each machine, at most `concurrency` in flight; one
    /// result per machine, in the order given.
    pub async fn release_read_each(
        &self,
        machines: &[&Machine],
        opts: &ReleaseOptions,
    ) -> Vec<Result<ReleaseOutcome>> {
        self.each(machines, |m| self.release_read(m, opts)).await
    }

    /// `call` on each item, at most `concurrency` in flight, results in the items' order.
    /// Unordered while in flight: an ordered stream (`buffered`) keeps a slot taken until
    /// every earlier call has ended, so one slow answer would hold back the next requests.
    async fn each<'a, T, R, F, Fut>(&self, items: &'a [T], call: F) -> Vec<R>
    where
        F: Fn(&'a T) -> Fut,
        Fut: std::future::Future<Output = R>,
    {
        let mut done: Vec<(usize, R)> = futures::stream::iter(items.iter().enumerate())
            .map(|(i, item)| {
                let fut = call(item);
                async move { (i, fut.await) }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// `GET path` (relative to the API base) and its body as MAAS sent it, for `sim record`;
    /// only GET, with the usual retries on 5xx.
    pub async fn get_raw(&self, path: &str) -> Result<Vec<u8>> {
        Ok(self.get_ok(path).await?.body)
    }
}
