//! Every guard refusal of the state-changing primitives ends the run with exit 4 and a
//! message naming the guard, and the simulator's request log (or the file itself) proves
//! nothing changed. Also the gate: a destroy-class call with no terminal and no `--yes` is
//! refused, and `--dry-run` plans the exact request without sending it or writing a file.

use crate::common::Test;
use crate::primitives_fixture::*;
use crate::primitives_juju::SEAL;
use crate::sim_server::SimServer;

/// Asserts a refusal by `guard` for `why`: exit 4, the error line exactly, nothing
/// changed, and no request line containing `never` reached the simulator.
fn assert_refused(
    sim: &SimServer,
    out: &crate::common::Output,
    (guard, why): (&str, &str),
    never: &str,
) {
    out.status(4)
        .says(&format!("error: refused by guard `{guard}`: {why}"));
    assert_unchanged(sim);
    for r in requests(sim) {
        assert!(!r.contains(never), "`{r}` reached the simulator");
    }
}

fn release_of(sim: &SimServer, hostname: &str) -> String {
    format!(r#"release("{}")"#, sim.system_id(hostname))
}

/// A release of a target someone else owns, or of a machine that is not a target (so the
/// detection did not freeze it), is refused and never sent.
#[test]
fn release_of_someone_elses_machine_or_of_a_non_target_is_refused() {
    let frozen = "jnn7x2 openstack0, kq495n openstack1, mshcdb openstack2, nw0em0 openstack3, pydhwk capi-mgmt";
    // foreign: the five targets are deployed by alice.
    for (scenario, host, guard, why) in [
        ("foreign", "openstack2", "release.owner", "machine `mshcdb` (openstack2) is owned by `alice`, not `admin`".to_string()),
        ("dirty", "alice-db0", "release.frozen", format!("machine `s5prjh` (alice-db0) is not one of the targets frozen by the detection ({frozen})")),
    ] {
        let sim = SimServer::start(scenario);
        let out = eval(&sim, &["--yes"], &release_of(&sim, host));
        assert_refused(&sim, &out, (guard, &why), "op=release");
    }
}

#[test]
fn release_of_a_locked_machine_is_refused() {
    let sim = SimServer::start("dirty");
    let id = sim.system_id("openstack0");
    assert_eq!(sim.machine_op(&id, "lock").status(), 200);
    assert_eq!(sim.machine("openstack0")["locked"], true);
    let before = sim.log().len();
    let out = eval(&sim, &["--yes"], &release_of(&sim, "openstack0"));
    out.status(4)
        .stderr_has("refused by guard `release.locked`")
        .stderr_has("is locked in MAAS");
    assert!(changes_since(&sim, before).is_empty(), "{:#?}", sim.log());
    assert!(!requests(&sim).iter().any(|r| r.contains("op=release")));
    assert_eq!(sim.machine("openstack0")["status_name"], "Deployed");
}

#[test]
fn a_refused_machine_in_a_batch_is_named_and_the_others_go_on() {
    let sim = SimServer::start("dirty");
    let alice = sim.system_id("alice-build0");
    let out = release_all(&sim, &["openstack0", "openstack1", "alice-build0"]);
    // Refused machines end the run refused (exit 4), never GO.
    out.status(4)
        .stderr_has("refused by guard `release.frozen`");
    let results = out.json();
    let by_host = |h: &str| result_for(&results, h);
    assert_eq!(by_host("alice-build0")["result"], "refused");
    assert_eq!(by_host("openstack0")["result"], "released");
    assert_eq!(by_host("openstack1")["result"], "released");
    // The request log: no release POST for alice's machine, one for each of the others.
    let posts: Vec<String> = requests(&sim)
        .into_iter()
        .filter(|r| r.contains("op=release"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert!(!posts.iter().any(|r| r.contains(&alice)), "{posts:#?}");
    assert_eq!(sim.machine("alice-build0")["status_name"], "Deployed");
    // The journal: alice's machine refused; the others written ahead, then executed.
    let lines = out.journal_lines();
    let outcome = |target: &str, o: &str| {
        lines
            .iter()
            .any(|l| l["target"].as_str().unwrap_or("").contains(target) && l["outcome"] == o)
    };
    assert!(outcome("alice-build0", "refused"), "{lines:#?}");
    assert!(!outcome("alice-build0", "intent"), "{lines:#?}");
    assert!(outcome("openstack0", "intent") && outcome("openstack0", "executed"));
}

#[test]
fn destroy_of_a_model_not_in_site_models_is_refused() {
    let sim = SimServer::start("dirty");
    let out = eval(
        &sim,
        &["--yes", "--set", r#"models=["other"]"#],
        &format!(r#"{SEAL} juju_destroy_model("openstack")"#),
    );
    let why = "model `openstack` is not in `site.models` (other)";
    assert_refused(&sim, &out, ("destroy_model.scope", why), "destroy-model");
    let out = eval(
        &sim,
        &["--yes", "--set", r#"models=["other"]"#],
        r#"juju_remove_machine("openstack", "1")"#,
    );
    assert_refused(&sim, &out, ("remove_machine.scope", why), "remove-machine");
}

#[test]
fn the_controller_model_is_never_destroyed() {
    let sim = SimServer::start("dirty");
    // Even listed in site.models and with backups not required.
    let flags = [
        "--yes",
        "--set",
        r#"models=["openstack", "controller"]"#,
        "--set",
        "require_backup=false",
    ];
    let out = eval(&sim, &flags, r#"juju_destroy_model("controller")"#);
    let why = "model `controller` is a controller model";
    assert_refused(
        &sim,
        &out,
        ("destroy_model.controller", why),
        "destroy-model",
    );
    let out = eval(&sim, &flags, r#"juju_remove_machine("controller", "0")"#);
    assert_refused(
        &sim,
        &out,
        ("remove_machine.controller", why),
        "remove-machine",
    );
}

#[test]
fn destroy_without_a_sealed_backup_is_refused() {
    let sim = SimServer::start("dirty");
    // A backup made but not sealed is not enough.
    let unsealed = r#"let dir = backup_dir("pre"); write_backup(dir, "b.yaml", "x"); juju_destroy_model("openstack")"#;
    let out = eval(&sim, &["--yes"], unsealed);
    let why = "no backup of model `openstack` sealed in this run verifies now (none was sealed, or a capture changed after the seal); run Phase A (`seal_backup(dir, \"openstack\")`) first";
    assert_refused(&sim, &out, ("destroy_model.backup", why), "destroy-model");
}

fn wipe_refused(t: Test, path: &std::path::Path) {
    let before = bytes(path);
    let out = wipe_in(t, &["--yes"], path);
    out.status(4)
        .stderr_has("refused by guard `wipe.disk_root`");
    assert_eq!(bytes(path), before, "the image was touched");
    assert!(
        out.files_under(&out.root())
            .iter()
            .all(|f| !f.contains("wipe-tmp")),
        "a temp file was left"
    );
}

/// A wipe of an image outside `disk_root` — named as it is, through a symlink under
/// `disk_root`, or through `..` — is refused, and the image is untouched.
#[test]
fn a_wipe_that_leaves_disk_root_is_refused() {
    for way in ["as it is", "through a symlink", "through `..`"] {
        let t = site();
        let outside = t.root().join("outside.qcow2");
        make_qcow2(&outside, "1.1", "16M");
        let path = match way {
            "through a symlink" => {
                let link = images(&t).join("osd.qcow2");
                std::os::unix::fs::symlink(&outside, &link).expect("symlink");
                link
            }
            "through `..`" => images(&t).join("..").join("outside.qcow2"),
            _ => outside,
        };
        wipe_refused(t, &path);
    }
}

#[test]
fn wipe_of_a_folder_under_disk_root_is_refused() {
    let t = site();
    std::fs::create_dir(images(&t).join("sub")).expect("mkdir");
    let path = images(&t).join("sub");
    let out = wipe_in(t, &["--yes"], &path);
    out.status(4)
        .stderr_has("refused by guard `wipe.disk_root`")
        .stderr_has("is not a regular file");
}

/// The gate's first end-to-end refusal: stdin is not a terminal and `--yes` was not given.
#[test]
fn a_destroy_call_without_a_terminal_or_yes_is_refused() {
    let sim = SimServer::start("dirty");
    for (expr, never) in [
        (release_of(&sim, "openstack1"), "op=release"),
        (
            r#"release_all(maas_machines(site.targets).map(|m| m.system_id))"#.to_string(),
            "op=release",
        ),
        (
            format!(r#"{SEAL} juju_destroy_model("openstack")"#),
            "destroy-model",
        ),
        (
            r#"juju_remove_machine("openstack", "2")"#.to_string(),
            "remove-machine",
        ),
    ] {
        let out = eval(&sim, &[], &expr);
        out.status(4)
            .stderr_has("stdin is not a terminal; rerun with `--yes`");
        assert_unchanged(&sim);
        assert!(
            !requests(&sim).iter().any(|r| r.contains(never)),
            "{expr}: {:#?}",
            sim.log()
        );
    }
}

#[test]
fn a_wipe_without_a_terminal_or_yes_is_refused() {
    let t = site();
    let image = images(&t).join("osd.qcow2");
    make_qcow2(&image, "1.1", "16M");
    qemu_img(&["resize", "-q", &image.display().to_string(), "32M"]);
    let before = bytes(&image);
    let out = wipe_in(t, &[], &image);
    out.status(4)
        .stderr_has("type the file name `osd.qcow2` to wipe it")
        .stderr_has("stdin is not a terminal");
    assert_eq!(bytes(&image), before);
}

#[test]
fn dry_run_plans_the_exact_release_and_sends_nothing() {
    let sim = SimServer::start("dirty");
    let id = sim.system_id("openstack1");
    let out = eval(
        &sim,
        &["--dry-run", "--json"],
        &format!(r#"release("{id}")"#),
    );
    out.status(0);
    let r = out.json();
    assert_eq!(r["planned"], true);
    let command = r["command"].as_str().unwrap();
    assert!(
        command.starts_with(&format!(
            "POST machines/{id}/?op=release comment=\"runbook run "
        )),
        "{command}"
    );
    assert!(
        command.ends_with(&format!("(MAAS {}/api/2.0/)", sim.maas_url)),
        "{command}"
    );
    out.stderr_has("dry-run plan (1 effect; nothing was changed)")
        .stderr_has(&format!("[destroy] POST machines/{id}/?op=release"))
        .stderr_lacks(&sim.api_key);
    assert_unchanged(&sim);
    assert!(!requests(&sim).iter().any(|r| r.contains("op=release")));
    assert_eq!(out.files_under(&out.home()), Vec::<String>::new());
    assert_eq!(out.files_under(&out.state()), Vec::<String>::new());
}

#[test]
fn dry_run_plans_backup_and_destroy_and_writes_nothing() {
    let sim = SimServer::start("dirty");
    let changes = r#"juju_destroy_model("openstack"); juju_remove_machine("openstack", "3")"#;
    let out = eval(&sim, &["--dry-run"], &format!("{SEAL} {changes}"));
    out.status(0)
        .stderr_has("destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt")
        .stderr_has("remove-machine -m maas-controller:admin/openstack --force --no-prompt --no-wait 3");
    assert_unchanged(&sim);
    assert!(!requests(&sim)
        .iter()
        .any(|r| r.contains("destroy-model") || r.contains("remove-machine")));
    assert_eq!(out.files_under(&out.home()), Vec::<String>::new());
    assert_eq!(out.files_under(&out.state()), Vec::<String>::new());
}

#[test]
fn dry_run_plans_the_wipe_and_leaves_the_image() {
    let t = site();
    let image = images(&t).join("osd.qcow2");
    make_qcow2(&image, "1.1", "16M");
    let before = bytes(&image);
    let out = wipe_in(t, &["--dry-run", "--json"], &image);
    out.status(0);
    let r = out.json();
    assert_eq!(r["planned"], true);
    let command = r["command"].as_str().unwrap();
    assert!(command.starts_with("qemu-img create"), "{command}");
    assert!(command.contains("16777216"), "{command}");
    assert_eq!(bytes(&image), before);
    assert_eq!(out.files_under(&images_of(&out)), ["osd.qcow2"]);
}

fn images_of(out: &crate::common::Output) -> std::path::PathBuf {
    out.root().join("images")
}

/// teardown.md §4: the OSD wipe only once every frozen target is Ready, unowned and
/// powered off on a fresh MAAS read; before any detection, no wipe at all.
#[test]
fn wipe_needs_a_detection_and_every_target_ready_and_off() {
    for (scenario, detect, guard, why) in [
        (
            "dirty",
            true,
            "wipe.targets_ready",
            "every target must be Ready, unowned and powered off",
        ),
        ("clean", false, "wipe.targets", "run the detection first"),
    ] {
        let sim = SimServer::start(scenario);
        let t = site();
        let image = images(&t).join("osd.qcow2");
        make_qcow2(&image, "1.1", "16M");
        let before = bytes(&image);
        let call = format!("wipe_qcow2({:?})", image.display().to_string());
        let expr = if detect {
            format!("detect_cloud(); {call}")
        } else {
            call
        };
        let out = eval_in(with_sim(t, &sim), &["--yes"], &expr);
        out.status(4)
            .stderr_has(&format!("refused by guard `{guard}`"))
            .stderr_has(why);
        assert_eq!(bytes(&image), before, "{scenario}: the image was touched");
        assert_unchanged(&sim);
    }
}

/// A site without a `disk_root` (bare metal) refuses every wipe, and a site that does not
/// enable the wipe refuses it too.
#[test]
fn wipe_needs_a_disk_root_and_an_enabled_site() {
    let sim = SimServer::start("clean");
    for (set, guard) in [
        ("disk_root=", "wipe.disk_root"),
        ("wipe_osd=false", "wipe.enabled"),
    ] {
        let t = site();
        let image = images(&t).join("osd.qcow2");
        make_qcow2(&image, "1.1", "16M");
        let before = bytes(&image);
        let expr = format!(
            "detect_cloud(); wipe_qcow2({:?})",
            image.display().to_string()
        );
        let out = eval_in(with_sim(t, &sim), &["--yes", "--set", set], &expr);
        out.status(4)
            .stderr_has(&format!("refused by guard `{guard}`"));
        assert_eq!(bytes(&image), before);
    }
}

/// `set_pointer` writes only the site's `pointer_file`.
#[test]
fn set_pointer_outside_the_sites_pointer_file_is_refused() {
    let t = site();
    let elsewhere = t.root().join("elsewhere");
    let out = eval_in(
        t,
        &["--yes"],
        &format!(
            r#"set_pointer({:?}, "/x")"#,
            elsewhere.display().to_string()
        ),
    );
    out.status(4)
        .stderr_has("refused by guard `set_pointer.scope`");
    assert!(!elsewhere.exists());
}
