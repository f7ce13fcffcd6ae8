//! MAAS over HTTPS with a private CA, as MAAS sets itself up with TLS: the site's
//! `maas.ca_file` makes the run work end to end; without it, or with the wrong CA, the run
//! stops before any change with an error that says what is wrong and what to set.

use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::common::session::testcloud;
use crate::common::Test;
use crate::sim_server::{SimServer, TEST_SPEED};

const CA: &str = include_str!("fixtures/tls/ca.pem");
const CERT: &str = include_str!("fixtures/tls/server.pem");
const KEY: &str = include_str!("fixtures/tls/server.key");

/// A TLS front for the simulator's MAAS: it presents a certificate signed by the test CA
/// and passes the bytes through to the simulator's plain-HTTP port.
struct TlsFront {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl TlsFront {
    fn start(backend: u16) -> TlsFront {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let certs = CertificateDer::pem_slice_iter(CERT.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("the test certificate");
        let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).expect("the test key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("a server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a port");
        let port = listener.local_addr().expect("its address").port();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends the handshake here.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            port,
            _runtime: runtime,
        }
    }

    fn maas_url(&self) -> String {
        format!("https://127.0.0.1:{}/MAAS", self.port)
    }
}

/// `runbook run RUNBOOK --site testcloud` against `sim` through `front`.
fn over_tls(sim: &SimServer, front: &TlsFront, runbook: &str) -> Test {
    testcloud(sim, runbook).env("MAAS_URL", &front.maas_url())
}

/// A file holding `pem`, kept as long as the returned dir.
fn pem_file(pem: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("maas-ca.pem");
    std::fs::write(&path, pem).expect("write the CA file");
    (dir, path.display().to_string())
}

#[test]
fn with_the_sites_ca_file_the_teardown_runs_over_https() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let front = TlsFront::start(sim.port());
    let (_dir, ca) = pem_file(CA);
    let out = over_tls(&sim, &front, "teardown")
        .args(&["--yes", "--json"])
        .set("maas.ca_file", &ca)
        .set("timeouts.destroy_cli", "3")
        .run();
    out.outcome(0, "dirty", Some("go"));
    out.stderr_has(&format!("MAAS: {} as `admin`", front.maas_url()));
    sim.assert_torn_down();
}

#[test]
fn an_untrusted_certificate_stops_the_run_before_any_change_saying_what_to_set() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let front = TlsFront::start(sim.port());
    // No CA at all, then a CA file that did not sign MAAS's certificate.
    let (_dir, wrong) = pem_file(CERT);
    for ca in [None, Some(wrong.as_str())] {
        let mut run = over_tls(&sim, &front, "teardown").args(&["--yes"]);
        if let Some(ca) = ca {
            run = run.set("maas.ca_file", ca);
        }
        let out = run.run();
        out.status(2)
            .stderr_has("invalid peer certificate: UnknownIssuer")
            .stderr_has("hint: MAAS's TLS certificate is not trusted or not valid for this address: give the CA that signed it with site `maas.ca_file`")
            .stderr_lacks("attempts");
        assert!(
            !sim.changed(),
            "{ca:?}: the cloud changed: {:#?}",
            sim.log()
        );
        assert!(
            !sim.log().iter().any(|e| e["kind"] == "maas"),
            "{ca:?}: no MAAS request gets through: {:#?}",
            sim.log()
        );
    }
}
