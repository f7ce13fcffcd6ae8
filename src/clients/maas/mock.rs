//! A tiny in-process MAAS for the client's unit tests: it records every request and
//! answers with what a test's responder says (status, body, `Retry-After`, a delay).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::status::{self, status_name};
use super::{MaasClient, MaasConfig};

pub(crate) const KEY: &str = "ckey1234:tkey5678:tsecret90";

// A machine as MAAS 2.0 sends it (docs/formats.md): many fields, some null, some unknown to us.
pub(crate) fn machine_json(id: &str, host: &str, status: i64, owner: Option<&str>) -> String {
    let owner = owner.map(|o| format!("\"{o}\"")).unwrap_or("null".into());
    format!(
        r#"{{"system_id":"{id}","hostname":"{host}","fqdn":"{host}.maas","owner":{owner},"owner_data":{{"juju-model-uuid":"u-os"}},"locked":false,"status":{status},"status_name":"{}","status_message":null,"power_state":"on","pool":{{"name":"default","id":0,"description":""}},"zone":{{"name":"az1","id":1}},"tag_names":["virtual","osd"],"interface_set":[{{"id":1,"links":[]}}],"cpu_count":4,"memory":8192,"resource_uri":"/MAAS/api/2.0/machines/{id}/"}}"#,
        status_name(status)
    )
}

#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) auth: String,
    pub(crate) body: String,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) retry_after: Option<u64>,
    pub(crate) delay: Duration,
}

pub(crate) fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        body: body.into(),
        retry_after: None,
        delay: Duration::ZERO,
    }
}

pub(crate) type Responder = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) seen: Arc<Mutex<Vec<Seen>>>,
    pub(crate) in_flight: Arc<AtomicUsize>,
    pub(crate) max_in_flight: Arc<AtomicUsize>,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub(crate) fn posts(&self) -> usize {
        self.seen().iter().filter(|s| s.method == "POST").count()
    }
}

pub(crate) async fn serve(
    responder: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
) -> Server {
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

pub(crate) fn client(url: &str) -> MaasClient {
    client_with(url, 16, Duration::from_secs(5))
}

pub(crate) fn client_with(url: &str, concurrency: usize, request_timeout: Duration) -> MaasClient {
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

pub(crate) fn scripted(
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
            Some(st) if st >= 0 => answer(200, machine_json("a1", "openstack0", st, Some("admin"))),
            _ => answer(404, "No Machine matches the given query."),
        }
    }
}
