//! The HTTP side of the simulator: MAAS 2.0 API routes under `/MAAS/api/2.0/`, the juju
//! endpoint the shim calls, and the evidence routes `/_sim/log` and `/_sim/state`.
//! One dispatcher handles every request so logging and fault injection are uniform.
//! Over 600 lines (about 670 of code): the one dispatcher and the routes it matches are kept
//! together, so every route is logged and faulted the same way.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Response, StatusCode, Uri};
use base64::Engine;
use serde_json::json;

use super::juju_commands::{self, JujuRequest};
use super::oauth;
use super::state::{status_name, Cloud, MaasMachine};

const API: &str = "/MAAS/api/2.0/";

pub struct Shared {
    pub cloud: Mutex<Cloud>,
}

impl Shared {
    /// The cloud, with every due transition applied.
    pub fn lock(&self) -> MutexGuard<'_, Cloud> {
        let mut cloud = self
            .cloud
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cloud.tick();
        cloud
    }
}

fn respond(status: u16, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn text(status: u16, body: impl Into<String>) -> Response<Body> {
    respond(status, "text/plain; charset=utf-8", body.into())
}

fn json_body(status: u16, body: impl Into<Body>) -> Response<Body> {
    respond(status, "application/json", body)
}

/// Request parameters: the query string plus an urlencoded or multipart body
/// (multipart parts may be `Content-Transfer-Encoding: base64`, as python-libmaas sends).
pub fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        if let Some(boundary) = content_type.split("boundary=").nth(1) {
            out.extend(multipart(body, boundary.trim_matches('"')));
        }
    } else if !body.is_empty() {
        out.extend(form_urlencoded::parse(body).into_owned());
    }
    out
}

fn multipart(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let body = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let mut name = None;
        let mut base64 = false;
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition") {
                name = line
                    .split("name=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .map(str::to_string);
            } else if lower.starts_with("content-transfer-encoding") && lower.contains("base64") {
                base64 = true;
            }
        }
        let value = if base64 {
            let compact: String = value.split_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(compact) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => value.to_string(),
            }
        } else {
            value.to_string()
        };
        if let Some(name) = name {
            out.push((name, value));
        }
    }
    out
}

/// The one entry point for every request.
pub async fn dispatch(
    shared: Arc<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    if let Some(sim) = path.strip_prefix("/_sim/") {
        // Fault `juju-hang-first`: the command is logged (status 0) and never answered.
        if sim == "juju" && method == Method::POST {
            let command = serde_json::from_slice::<JujuRequest>(&body)
                .ok()
                .and_then(|r| r.argv.first().cloned());
            let hang = command.is_some_and(|command| {
                let mut cloud = shared.lock();
                let hang = cloud.faults.juju_hangs(&command);
                if hang {
                    cloud.record("juju", command, 0, false);
                }
                hang
            });
            if hang {
                futures::future::pending::<()>().await;
            }
        }
        return sim_route(&shared, &method, sim, &uri, &body);
    }
    let request = format!(
        "{method} {}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or(&path)
    );
    let (latency, hang) = {
        let mut cloud = shared.lock();
        (cloud.faults.latency_ms(), cloud.faults.hangs(&request))
    };
    if hang {
        shared.lock().record("maas", request.clone(), 0, false);
        futures::future::pending::<()>().await;
    }
    if latency > 0 {
        // On a blocking thread the sleep ends close to the fault's latency; a tokio sleep
        // rounds up to the timer's next millisecond tick and ends later still on a busy
        // runtime (a 20 ms request took 21.7 ms that way, 21.0 ms this way, on a loaded
        // 2-core machine): time a client's benchmark would be charged for.
        let wait = Duration::from_millis(latency);
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(wait)).await;
    }
    let mut cloud = shared.lock();
    if path.starts_with(API) {
        if let Some(code) = cloud.faults.forced_status(&request) {
            cloud.record("maas", request, code as i64, false);
            return text(code, format!("simulated HTTP {code} (fault `maas-status`)"));
        }
        if cloud.faults.maas_down() {
            cloud.record("maas", request, 500, false);
            return text(500, "simulated HTTP 500 (fault `maas-down-after`)");
        }
        if let Some(code) = cloud.faults.maas_error() {
            cloud.record("maas", request, code as i64, false);
            let mut r = text(
                code,
                if code == 503 {
                    "Service Unavailable"
                } else {
                    "Internal Server Error"
                },
            );
            if code == 503 {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            }
            return r;
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let params = params(&uri, &headers, &body);
    // Fault `mutate-at-read`: the machine moves right before its own read is answered.
    if method == Method::GET {
        let id = path
            .strip_prefix(&format!("{API}machines/"))
            .and_then(|rest| rest.strip_suffix('/'))
            .filter(|id| !id.is_empty() && !id.contains('/'));
        if let Some(id) = id.map(str::to_string) {
            for (field, value) in cloud.faults.take_changes_at_read(&id) {
                cloud.mutate(&id, &field, &value);
            }
        }
    }
    let (response, changed) = maas_route(&mut cloud, &method, &path, &headers, &params, &host);
    cloud.record("maas", request, response.status().as_u16() as i64, changed);
    if method == Method::POST {
        // The body's parameters (the query's are in `request` already).
        let query: Vec<(String, String)> =
            form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        if let Some(entry) = cloud.log.last_mut() {
            entry.form = params
                .iter()
                .filter(|p| !query.contains(p))
                .cloned()
                .collect();
        }
    }
    // Fault `mutate`: the cloud moves once the first machine read was answered.
    if method == Method::GET
        && path.starts_with(&format!("{API}machines"))
        && response.status().is_success()
    {
        for (id, field, value) in cloud.faults.take_mutations() {
            cloud.mutate(&id, &field, &value);
        }
    }
    response
}

fn sim_route(
    shared: &Shared,
    method: &Method,
    route: &str,
    uri: &Uri,
    body: &[u8],
) -> Response<Body> {
    match (method, route) {
        (&Method::GET, "log") => json_body(200, json!(shared.lock().log).to_string()),
        (&Method::GET, "state") => json_body(200, shared.lock().snapshot().to_string()),
        (&Method::POST, "juju") => {
            let req: JujuRequest = match serde_json::from_slice(body) {
                Ok(r) => r,
                Err(e) => return text(400, format!("bad juju request: {e}")),
            };
            let mut cloud = shared.lock();
            let (reply, changed) = juju_commands::run(&mut cloud, &req);
            if reply.prompt.is_none() {
                cloud.record("juju", req.argv.join(" "), reply.code as i64, changed);
            }
            json_body(200, json!(reply).to_string())
        }
        (&Method::GET, "model") => {
            // Progress of a blocking destroy-model: `?uuid=`.
            let uuid = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "uuid")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let cloud = shared.lock();
            let body = match cloud.model(&uuid) {
                Some(m) => {
                    json!({"gone": false, "machines": m.machines.len(), "applications": m.applications.len(),
                        "volumes": super::juju_formats::volume_count(m)})
                }
                None => json!({"gone": true}),
            };
            json_body(200, body.to_string())
        }
        _ => text(
            404,
            format!("unknown simulator route `/_sim/{route}`; try /_sim/log or /_sim/state"),
        ),
    }
}

fn op(params: &[(String, String)]) -> Option<&str> {
    params
        .iter()
        .find(|(k, _)| k == "op")
        .map(|(_, v)| v.as_str())
}

fn unrecognised(method: &Method, op: Option<&str>) -> Response<Body> {
    text(
        400,
        format!(
            "Unrecognised signature: method={method} op={}",
            op.unwrap_or("None")
        ),
    )
}

fn maas_route(
    cloud: &mut Cloud,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
    host: &str,
) -> (Response<Body>, bool) {
    let Some(rest) = path.strip_prefix(API) else {
        return (text(404, "Not Found"), false);
    };
    match rest {
        "version/" => {
            let recorded = cloud.replay.as_ref().and_then(|r| r.maas_version.clone());
            let body = recorded.map(|v| v.to_string()).unwrap_or_else(version);
            return (json_body(200, body), false);
        }
        "describe/" => return (json_body(200, describe(host).to_string()), false),
        _ => {}
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !oauth::authorized(auth, &cloud.api_key) {
        return (text(401, "Authorization Error: Invalid API key."), false);
    }
    let op = op(params);
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match (segments.as_slice(), method) {
        (["users"], &Method::GET) if op == Some("whoami") => {
            let user = &cloud.user;
            let body = json!({"is_superuser": cloud.faults.superuser(), "username": user, "email": format!("{user}@example.com"),
                "is_local": true, "resource_uri": format!("{API}users/{user}/")});
            (json_body(200, body.to_string()), false)
        }
        (["maas"], &Method::GET) if op == Some("get_config") => (get_config(cloud, params), false),
        (["machines"], &Method::GET) if op.is_none() => (list_machines(cloud, params), false),
        (["machines"], &Method::POST) if op == Some("release") => bulk_release(cloud, params),
        (["machines", id], &Method::GET) if op.is_none() => match cloud.machine_by_system_id(id) {
            Some(m) if !cloud.visible(m, &cloud.user) => (text(403, ""), false),
            Some(m) => (json_body(200, m.json.clone()), false),
            None => (text(404, "No Machine matches the given query."), false),
        },
        // MAAS shows power parameters to administrators only (`@admin_method`).
        (["machines", id], &Method::GET) if op == Some("power_parameters") => {
            match cloud.machine_by_system_id(id) {
                Some(_) if !cloud.faults.superuser() => (text(403, ""), false),
                Some(m) => (json_body(200, power_parameters(m).to_string()), false),
                None => (text(404, "No Machine matches the given query."), false),
            }
        }
        (["machines", id], &Method::POST) if op == Some("release") => {
            let user = cloud.user.clone();
            let erase = params
                .iter()
                .any(|(k, v)| k == "erase" && matches!(v.as_str(), "true" | "True" | "1"));
            match cloud.release_erasing(id, Some(&user), erase) {
                Ok(changed) => {
                    let body = cloud
                        .machine_by_system_id(id)
                        .map(|m| m.json.clone())
                        .unwrap_or_default();
                    (json_body(200, body), changed)
                }
                Err(e) => (text(e.status, e.body), false),
            }
        }
        (["machines", id], &Method::POST) if matches!(op, Some("lock" | "unlock")) => {
            let lock = op == Some("lock");
            match cloud.machine_by_system_id(id).map(|m| (m.index, m.locked)) {
                Some((i, was)) => {
                    cloud.machines[i].locked = lock;
                    cloud.rerender(i);
                    (json_body(200, cloud.machines[i].json.clone()), was != lock)
                }
                None => (text(404, "No Machine matches the given query."), false),
            }
        }
        (["users"] | ["maas"] | ["machines"] | ["machines", _], _) => {
            (unrecognised(method, op), false)
        }
        _ => (text(404, "Not Found"), false),
    }
}

/// MAAS's status filter names: lower-case with underscores (`failed_releasing` is the one
/// whose words are swapped).
fn status_filter_name(status: u8) -> String {
    match status {
        13 => "failed_releasing".to_string(),
        s => status_name(s).to_ascii_lowercase().replace(' ', "_"),
    }
}

/// `GET machines/`: repeatable filters OR within a name, AND across names; ordered by id.
/// The body is streamed from each machine's shared JSON bytes, with an exact
/// `Content-Length` as MAAS sends: a 10,000-machine list (~90 MB) is neither copied nor
/// held twice, and the first byte leaves at once.
fn list_machines(cloud: &Cloud, params: &[(String, String)]) -> Response<Body> {
    let values = |name: &str| -> Vec<&str> {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let (hostnames, ids, agents, owners, statuses, pools, zones, tags) = (
        values("hostname"),
        values("id"),
        values("agent_name"),
        values("owner"),
        values("status"),
        values("pool"),
        values("zone"),
        values("tags"),
    );
    let ok = |want: &Vec<&str>, have: &str| want.is_empty() || want.contains(&have);
    // A lookup by hostname or id reads the indexes, not every machine; `id` and `hostname`
    // together are AND (both must name the machine).
    let candidates: Vec<usize> = if hostnames.is_empty() && ids.is_empty() {
        (0..cloud.machines.len())
            .filter(|i| !cloud.deleted.contains(i))
            .collect()
    } else {
        let mut by_host: Vec<usize> = hostnames
            .iter()
            .flat_map(|h| {
                let short = h.strip_suffix(".maas").unwrap_or(h);
                cloud.indexes_by_hostname(h).iter().chain(if short != *h {
                    cloud.indexes_by_hostname(short)
                } else {
                    &[]
                })
            })
            .copied()
            .collect();
        let mut by_id: Vec<usize> = ids
            .iter()
            .filter_map(|id| cloud.by_system_id.get(*id).copied())
            .collect();
        by_host.sort_unstable();
        by_host.dedup();
        by_id.sort_unstable();
        by_id.dedup();
        match (hostnames.is_empty(), ids.is_empty()) {
            (false, true) => by_host,
            (true, false) => by_id,
            _ => by_host
                .into_iter()
                .filter(|i| by_id.binary_search(i).is_ok())
                .collect(),
        }
    };
    let mut parts: Vec<Bytes> = Vec::with_capacity(candidates.len() * 2 + 2);
    parts.push(Bytes::from_static(b"["));
    for m in candidates.iter().map(|&i| &cloud.machines[i]) {
        if cloud.visible(m, &cloud.user)
            && ok(&agents, &m.agent_name)
            && ok(&owners, m.owner.as_deref().unwrap_or(""))
            && (statuses.is_empty() || ok(&statuses, &status_filter_name(m.status)))
            && ok(&pools, &m.pool)
            && ok(&zones, &m.zone)
            && tags.iter().all(|t| m.tags.iter().any(|x| x == t))
        {
            if parts.len() > 1 {
                parts.push(Bytes::from_static(b","));
            }
            parts.push(m.json.clone());
        }
    }
    parts.push(Bytes::from_static(b"]"));
    let length: usize = parts.iter().map(Bytes::len).sum();
    let stream = futures::stream::iter(parts.into_iter().map(Ok::<_, std::convert::Infallible>));
    let mut r = json_body(200, Body::from_stream(stream));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
    r
}

/// `POST machines/?op=release`: all-or-nothing, checked in MAAS's order (unknown ids,
/// permission, state) with MachinesHandler's messages.
fn bulk_release(cloud: &mut Cloud, params: &[(String, String)]) -> (Response<Body>, bool) {
    let ids: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "machines")
        .map(|(_, v)| v.clone())
        .collect();
    let unknown: Vec<&str> = ids
        .iter()
        .filter(|id| cloud.machine_by_system_id(id).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return (
            text(400, format!("Unknown machine(s): {}.", unknown.join(", "))),
            false,
        );
    }
    let user = cloud.user.clone();
    let machines: Vec<_> = ids
        .iter()
        .filter_map(|id| cloud.machine_by_system_id(id))
        .collect();
    let denied: Vec<&str> = machines
        .iter()
        .filter(|m| m.locked || !cloud.may_edit(m, &user))
        .map(|m| m.system_id.as_str())
        .collect();
    if !denied.is_empty() {
        return (text(403, format!("You don't have the required permission to release the following machine(s): {}.", denied.join(", "))), false);
    }
    let releasable = [10u8, 5, 8, 9, 6, 11, 15, 13, 4, 12];
    let wrong: Vec<String> = machines
        .iter()
        .filter(|m| !releasable.contains(&m.status))
        .map(|m| format!("{} ('{}')", m.system_id, status_name(m.status)))
        .collect();
    if !wrong.is_empty() {
        return (
            text(
                409,
                format!(
                    "Machine(s) cannot be released in their current state: {}.",
                    wrong.join(", ")
                ),
            ),
            false,
        );
    }
    let mut changed = false;
    let mut released = Vec::new();
    for id in &ids {
        if let Ok(c) = cloud.release(id, Some(&user)) {
            changed |= c;
            released.push(id.clone());
        }
    }
    (json_body(200, json!(released).to_string()), changed)
}

/// `GET maas/?op=get_config&name=NAME`: the settings a teardown reads, as MAAS sends them
/// (a bare JSON value).
fn get_config(cloud: &Cloud, params: &[(String, String)]) -> Response<Body> {
    let name = params
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let value = match name {
        "enable_disk_erasing_on_release" => json!(cloud.faults.erase_on_release()),
        "disk_erase_with_secure_erase" | "disk_erase_with_quick_erase" => json!(false),
        "maas_name" => json!("simulated"),
        "" => {
            return json_body(
                400,
                json!({"name": ["This field is required."]}).to_string(),
            )
        }
        other => {
            return json_body(
                400,
                json!({"name": [format!("\"{other}\" is not a valid config setting.")]})
                    .to_string(),
            )
        }
    };
    json_body(200, value.to_string())
}

/// A machine's power parameters: a virsh VM's (the simulator's default), or an IPMI BMC's
/// (`preset:ID:power_type=ipmi`) with its `k_g` key, as MAAS's ipmi driver keeps them.
fn power_parameters(m: &MaasMachine) -> serde_json::Value {
    if m.power_type == "ipmi" {
        return json!({"power_address": format!("10.20.1.{}", m.index + 10), "power_user": "maas",
            "power_pass": "simulated-secret", "k_g": "simulated-bmc-key", "power_driver": "LAN_2_0",
            "power_boot_type": "efi", "cipher_suite_id": "3", "privilege_level": "OPERATOR"});
    }
    json!({"power_address": "qemu+ssh://ubuntu@10.20.0.1/system", "power_id": m.hostname, "power_pass": "simulated-secret"})
}

/// `version/`: MAAS writes `capabilities`, `version` (the short version) and `subversion`
/// (the build's extended info, without the version) in that order (maasserver
/// `api/version.py`); serde_json would sort the keys, so the object is written in order.
fn version() -> String {
    let capabilities = json!([
        "networks-management",
        "static-ipaddresses",
        "ipv6-deployment-ubuntu",
        "devices-management",
        "storage-deployment-ubuntu",
        "network-deployment-ubuntu",
        "bridging-interface-ubuntu",
        "bridging-automatic-ubuntu",
        "authenticate-api"
    ]);
    format!(
        "{{\"capabilities\": {capabilities}, \"version\": {}, \"subversion\": {}}}",
        json!("3.6.4"),
        json!("17382-g.2b8a1c9e4")
    )
}

fn action(
    name: &str,
    method: &str,
    op: Option<&str>,
    restful: bool,
    doc: &str,
) -> serde_json::Value {
    json!({"name": name, "method": method, "op": op, "restful": restful, "doc": doc})
}

fn handler(
    host: &str,
    name: &str,
    path: &str,
    params: &[&str],
    actions: Vec<serde_json::Value>,
) -> serde_json::Value {
    json!({"name": name, "doc": format!("{name} (simulated MAAS)"), "path": path,
        "uri": format!("http://{host}{path}"), "params": params, "actions": actions})
}

/// `describe/`: the handlers python-libmaas binds (URIs absolute, from the Host header).
fn describe(host: &str) -> serde_json::Value {
    let machines = handler(
        host,
        "MachinesHandler",
        "/MAAS/api/2.0/machines/",
        &[],
        vec![
            action("read", "GET", None, true, "List machines."),
            action(
                "release",
                "POST",
                Some("release"),
                false,
                "Release multiple machines.",
            ),
        ],
    );
    let machine = handler(
        host,
        "MachineHandler",
        "/MAAS/api/2.0/machines/{system_id}/",
        &["system_id"],
        vec![
            action("read", "GET", None, true, "Read a machine."),
            action(
                "release",
                "POST",
                Some("release"),
                false,
                "Release a machine.",
            ),
        ],
    );
    let users = handler(
        host,
        "UsersHandler",
        "/MAAS/api/2.0/users/",
        &[],
        vec![action(
            "whoami",
            "GET",
            Some("whoami"),
            false,
            "Retrieve the logged-in user.",
        )],
    );
    let version = handler(
        host,
        "VersionHandler",
        "/MAAS/api/2.0/version/",
        &[],
        vec![action(
            "read",
            "GET",
            None,
            true,
            "Read version and capabilities.",
        )],
    );
    json!({
        "doc": "MAAS API",
        "hash": "5e0f1c2a3b4d6e7f8091a2b3c4d5e6f708192a3b",
        "resources": [
            {"name": "MachinesHandler", "anon": null, "auth": machines},
            {"name": "MachineHandler", "anon": null, "auth": machine},
            {"name": "UsersHandler", "anon": null, "auth": users},
            {"name": "VersionHandler", "anon": version, "auth": null},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_with_base64_parts() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"comment\"\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n--XX\r\nContent-Disposition: form-data; name=\"erase\"\r\n\r\nfalse\r\n--XX--\r\n";
        let got = multipart(body.as_bytes(), "XX");
        assert_eq!(
            got,
            vec![
                ("comment".to_string(), "hello world".to_string()),
                ("erase".to_string(), "false".to_string())
            ]
        );
    }

    async fn list(cloud: &Cloud, query: &[(&str, &str)]) -> (Option<String>, Bytes) {
        let params: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = list_machines(cloud, &params);
        let length = r
            .headers()
            .get(header::CONTENT_LENGTH)
            .map(|v| v.to_str().unwrap().to_string());
        (
            length,
            axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .unwrap(),
        )
    }

    #[tokio::test]
    async fn machine_list_is_streamed_with_its_exact_length() {
        let cloud = super::super::scenario::build(
            "large:20",
            Default::default(),
            super::super::clock::Clock::new(1.0),
        )
        .unwrap();
        let (length, body) = list(&cloud, &[]).await;
        assert_eq!(length, Some(body.len().to_string()));
        let all: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(all.as_array().unwrap().len(), 20);
        let (length, body) = list(&cloud, &[("hostname", "openstack1")]).await;
        let one: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(one[0]["hostname"], "openstack1");
        assert_eq!(length, Some(body.len().to_string()));
        let (length, body) = list(&cloud, &[("hostname", "nope")]).await;
        assert_eq!((length.as_deref(), &body[..]), (Some("2"), &b"[]"[..]));
    }

    #[test]
    fn version_keys_come_in_maas_order_with_the_short_version_apart_from_the_build() {
        let text = version();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (c, ver, sub) = (
            text.find("\"capabilities\"").unwrap(),
            text.find("\"version\"").unwrap(),
            text.find("\"subversion\"").unwrap(),
        );
        assert!(c < ver && ver < sub, "{text}");
        let version = v["version"].as_str().unwrap();
        assert!(
            version.split('.').all(|p| p.parse::<u32>().is_ok()),
            "{version}"
        );
        assert!(!v["subversion"].as_str().unwrap().starts_with(version));
    }

    #[test]
    fn status_filters_use_maas_names() {
        assert_eq!(status_filter_name(6), "deployed");
        assert_eq!(status_filter_name(13), "failed_releasing");
        assert_eq!(status_filter_name(14), "disk_erasing");
    }
}
