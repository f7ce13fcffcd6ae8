//! Test support shared by the rooms' unit tests: fake `juju` scripts and the samples
//! written from docs/formats.md (not from any simulator).

/// A `juju` that says it is 3.6.24 to `juju version` and runs `body` for anything else.
/// `body` may record what it saw (its arguments, its pid) in `$OUT`, the file [`out`] reads.
pub fn fake_juju(dir: &tempfile::TempDir, body: &str) -> String {
    fake_juju_version(dir, "3.6.24-genericlinux-amd64", body)
}

pub fn fake_juju_version(dir: &tempfile::TempDir, version: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.path().join("juju");
    let script = format!(
        "#!/bin/sh\nOUT=\"$(dirname \"$0\")/out\"\nif [ \"$1\" = version ]; then printf '%s\\n' '{version}'; exit 0; fi\n{body}\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

/// What a fake `juju` in `dir` wrote to `$OUT`, trimmed.
pub fn out(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("out"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Waits up to 5 s until `pid` is gone (no process, or a zombie awaiting its reaper);
/// panics naming `what` if it is not.
pub fn wait_gone(pid: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let stat = format!("/proc/{}/stat", pid.trim());
    while std::fs::read_to_string(&stat).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} ({pid}) survived"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

// Samples written from docs/formats.md ("Juju CLI"), not from any simulator.
pub const MODELS: &str = r#"{"models":[{"name":"admin/controller","short-name":"controller","model-uuid":"u-ctl","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":true,"owner":"admin","cloud":"maas","type":"maas","life":"alive","status":{"current":"available","since":"18 hours ago"},"access":"admin","last-connection":"just now","agent-version":"3.6.4"},{"name":"admin/openstack","short-name":"openstack","model-uuid":"u-os","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":false,"owner":"admin","cloud":"maas","region":"default","life":"dying","status":{"current":"destroying","message":"attempt 1 to destroy model"},"access":"admin","last-connection":"never connected","future-field":[1,2]},{"name":"bob/scratch","short-name":"scratch","model-uuid":"u-sc","controller-name":"maas-ctl","owner":"bob","life":""}],"current-model":"admin/openstack"}"#;

// Juju 4.0 (docs/formats.md "Juju 4.0"): no `owner`, no `qualifier`; `name` is
// `<qualifier>/<model>`; qualifiers with odd spellings (4.0.x changed them).
pub const MODELS_4: &str = r#"{"models":[{"name":"admin/controller","short-name":"controller","model-uuid":"u-ctl","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":true,"cloud":"maas","type":"maas","life":"alive","status":{"current":"available"},"credential":{"name":"maas","owner":"admin","cloud":"maas"},"agent-version":"4.0.16"},{"name":"alice-example-com/openstack","short-name":"openstack","model-uuid":"u-os","model-type":"iaas","controller-uuid":"c-1","controller-name":"maas-ctl","is-controller":false,"cloud":"maas","life":"","status":{"current":"destroying"}},{"name":"ops/scratch","short-name":"scratch","model-uuid":"u-sc","controller-name":"maas-ctl","status":null}],"current-model":"alice-example-com/openstack"}"#;
