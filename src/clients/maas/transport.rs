//! How one request goes: a fresh OAuth header, the body read into one buffer sized from
//! `Content-Length`, GETs retried with backoff on connection errors and 5xx (honouring
//! `Retry-After`) a bounded number of times, a timeout never retried, and errors that
//! name method, URL, status and body with the key redacted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use reqwest::{Method, StatusCode};

use super::wire::MachineStream;
use super::MaasClient;

/// GET attempts before giving up on connection errors and 5xx (a timeout is not retried).
pub(super) const GET_ATTEMPTS: u32 = 4;
/// The longest `Retry-After` honoured; a longer one is cut to this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(30);
/// How much of an error body is shown.
const BODY_SHOWN: usize = 1000;

/// One HTTP answer: status and body bytes.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Vec<u8>,
    /// `Retry-After` in seconds, when MAAS sent one (503).
    retry_after: Option<u64>,
}

impl Reply {
    pub(super) fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.chars().count() > BODY_SHOWN {
            format!("{}…", text.chars().take(BODY_SHOWN).collect::<String>())
        } else {
            text.to_string()
        }
    }
}

/// Why one HTTP attempt failed before an answer came back.
pub(super) enum SendError {
    Timeout(String),
    Connect(String),
    /// MAAS's certificate was not accepted: asking again cannot help.
    Tls(String),
}

/// What to do when MAAS's TLS certificate is not accepted.
const TLS_HINT: &str = "hint: MAAS's TLS certificate is not trusted or not valid for this address: give the CA that signed it with site `maas.ca_file` (or `--set maas.ca_file=PATH`; a `maas login --cacerts` profile carries its own), and check that the MAAS URL names the host the certificate was made for";

impl MaasClient {
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET and require a 2xx answer.
    pub(super) async fn get_ok(&self, path: &str) -> Result<Reply> {
        let reply = self.get(path).await?;
        self.check(Method::GET, path, reply)
    }

    pub(super) fn check(&self, method: Method, path: &str, reply: Reply) -> Result<Reply> {
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(self.http_error(method, path, &reply))
        }
    }

    pub(super) fn http_error(&self, method: Method, path: &str, reply: &Reply) -> anyhow::Error {
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
    pub(super) async fn get(&self, path: &str) -> Result<Reply> {
        self.get_streamed(path, None).await
    }

    /// As [`MaasClient::get`]; a 2xx body is also handed to `stream` as it arrives.
    pub(super) async fn get_streamed(
        &self,
        path: &str,
        mut stream: Option<&mut MachineStream>,
    ) -> Result<Reply> {
        let mut delay = self.backoff_start;
        let mut attempt = 1;
        loop {
            let last = attempt >= GET_ATTEMPTS;
            match self
                .send(Method::GET, path, None, stream.as_deref_mut())
                .await
            {
                Ok(reply) if reply.status.is_server_error() && !last => {
                    tokio::time::sleep(reply_delay(&reply, delay)).await;
                }
                Ok(reply) => return Ok(reply),
                // A hung MAAS is not asked again: one request timeout is the bound.
                Err(SendError::Timeout(e)) => {
                    bail!("`GET {}` failed: {}", self.url(path), self.key.redact(&e))
                }
                Err(SendError::Tls(e)) => {
                    bail!(
                        "`GET {}` failed: {}\n{TLS_HINT}",
                        self.url(path),
                        self.key.redact(&e)
                    )
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

    /// One request with a fresh OAuth header; the whole body is read into memory once, or,
    /// a 2xx one with a `stream`, handed to it (started afresh) as it arrives instead.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<&[(String, String)]>,
        mut stream: Option<&mut MachineStream>,
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
            } else if text.contains("certificate") {
                // rustls says `invalid peer certificate: UnknownIssuer` (or `Expired`,
                // `NotValidForName`); reqwest offers no typed way to tell.
                SendError::Tls(text)
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
        // near the body size (collecting and then flattening would double it). A streamed
        // body goes to the stream instead, which keeps only what it has not parsed yet.
        if let Some(stream) = stream.as_deref_mut() {
            stream.reset();
        }
        let mut stream = stream.filter(|_| status.is_success());
        let expected = match stream {
            Some(_) => 0,
            None => response.content_length().unwrap_or(0).min(1 << 30) as usize,
        };
        let mut body = Vec::with_capacity(expected);
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            match stream.as_deref_mut() {
                Some(stream) => stream.push(&chunk),
                None => body.extend_from_slice(&chunk),
            }
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
