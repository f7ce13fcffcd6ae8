//! The client against the in-process MAAS of `mock`: requests, retries, errors and
//! releases as MAAS answers them.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::mock::{answer, client, client_with, machine_json, scripted, serve, Answer, KEY};
use super::transport::GET_ATTEMPTS;
use super::*;

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
