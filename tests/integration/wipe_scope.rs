//! `wipe_qcow2` wipes only the site's OSD disks (teardown.md §4): a qcow2 image under
//! `disk_root` that the site's `osd_disks` glob does not name, or a symlink the glob names,
//! is refused (exit 4) naming the path and the glob; the image's bytes are unchanged, nothing
//! is journaled as executed and the simulator's request log shows no change.

use crate::primitives_fixture::*;
use crate::sim_server::SimServer;

#[test]
fn only_the_sites_osd_disks_are_wiped() {
    let sim = SimServer::start("clean");
    for (wiped, why) in [
        ("db-prod.qcow2", "does not match the site's OSD disks"),
        ("openstack1-1.qcow2", "is a symlink"),
    ] {
        let t = site();
        let images = images(&t);
        let glob = format!("{}/openstack[0-3]-1.qcow2", images.display());
        let other = images.join("db-prod.qcow2");
        make_qcow2(&images.join("openstack0-1.qcow2"), "1.1", "16M");
        make_qcow2(&other, "1.1", "16M");
        std::os::unix::fs::symlink(&other, images.join("openstack1-1.qcow2")).expect("symlink");
        let path = images.join(wiped).display().to_string();
        let before = bytes(&other);
        let out = eval_in(
            with_sim(t.set("osd_disks", &glob), &sim),
            &["--yes"],
            &format!("detect_cloud(); wipe_qcow2({path:?})"),
        );
        out.status(4)
            .stderr_has("refused by guard `wipe.osd_disks`")
            .stderr_has(&format!("`{path}` "))
            .stderr_has(why)
            .stderr_has(&format!("`osd_disks` = `{glob}`"));
        assert_eq!(bytes(&other), before, "{wiped}: the image was touched");
        assert!(
            !out.journal_lines()
                .iter()
                .any(|l| l["effect"] == "wipe_qcow2" && l["outcome"] == "executed"),
            "{wiped}: journaled as executed"
        );
        assert_unchanged(&sim);
    }
}

/// The site's own OSD disk, by the glob, is wiped as before (the guard is not a wall).
#[test]
fn an_osd_disk_the_glob_names_is_wiped() {
    let sim = SimServer::start("clean");
    let t = site();
    let images = images(&t);
    let glob = format!("{}/openstack[0-3]-1.qcow2", images.display());
    let osd = images.join("openstack0-1.qcow2");
    make_qcow2(&osd, "1.1", "16M");
    let path = osd.display().to_string();
    let out = eval_in(
        with_sim(t.set("osd_disks", &glob), &sim),
        &["--yes", "--json"],
        &format!("detect_cloud(); wipe_qcow2({path:?})"),
    );
    out.status(0);
    assert_eq!(out.json()["planned"], false);
    assert_unchanged(&sim);
}
