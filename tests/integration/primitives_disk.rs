//! The `disk` primitives on images made by `qemu-img`: `stat_qcow2` reads v2 and v3
//! headers natively and agrees with `qemu-img info`; `wipe_qcow2` recreates the image empty
//! with the same virtual size, version, owner and mode.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Output, Test};
use crate::primitives_fixture::*;

const MIB64: u64 = 64 * 1024 * 1024;

/// `stat_qcow2(path)`'s map, and the output that keeps the test's files alive.
fn stat(t: Test, path: &Path) -> (Output, Value) {
    let out = eval_in(
        t,
        &["--json"],
        &format!("stat_qcow2({:?})", path.display().to_string()),
    );
    out.status(0);
    let v = out.json();
    (out, v)
}

/// A v3 image of 64 MiB with 3 MB of data at its start, converted from a raw file.
fn image_with_data(dir: &Path, name: &str, compat: &str) -> PathBuf {
    let raw = dir.join(format!("{name}.raw"));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&raw, &data).expect("write raw");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&raw)
        .expect("open raw");
    f.set_len(MIB64).expect("extend raw");
    let image = dir.join(name);
    qemu_img(&[
        "convert",
        "-q",
        "-f",
        "raw",
        "-O",
        "qcow2",
        "-o",
        &format!("compat={compat}"),
        &raw.display().to_string(),
        &image.display().to_string(),
    ]);
    std::fs::remove_file(&raw).expect("rm raw");
    image
}

/// Asserts `stat_qcow2`'s map matches `qemu-img info` for the file.
fn assert_matches_qemu(s: &Value, path: &Path, version: u64) {
    assert_has_keys(
        s,
        &[
            "path",
            "exists",
            "format",
            "version",
            "virtual_size",
            "actual_size",
            "apparent_size",
        ],
    );
    let info = qemu_info(path);
    assert_eq!(s["exists"], true);
    assert_eq!(s["format"], "qcow2");
    assert_eq!(s["version"], version, "{s:#}");
    assert_eq!(s["virtual_size"], info["virtual-size"], "{s:#}");
    assert_eq!(s["actual_size"], info["actual-size"], "{s:#}");
    assert_eq!(s["apparent_size"], std::fs::metadata(path).unwrap().len());
    assert_eq!(s["cluster_bits"], 16);
    assert!(s["backing_file"].is_null());
}

#[test]
fn stat_reads_empty_v2_and_v3_images() {
    for (compat, version) in [("0.10", 2), ("1.1", 3)] {
        let t = site();
        let image = images(&t).join("osd.qcow2");
        make_qcow2(&image, compat, "64M");
        let (_out, s) = stat(t, &image);
        assert_matches_qemu(&s, &image, version);
        assert_eq!(s["virtual_size"], MIB64);
        assert!(s["actual_size"].as_u64().unwrap() < 1024 * 1024, "{s:#}");
    }
}

#[test]
fn stat_reads_v2_and_v3_images_with_data() {
    for (compat, version) in [("0.10", 2), ("1.1", 3)] {
        let t = site();
        let image = image_with_data(&images(&t), "osd.qcow2", compat);
        let (_out, s) = stat(t, &image);
        assert_matches_qemu(&s, &image, version);
        assert!(
            s["actual_size"].as_u64().unwrap() > 3_000_000,
            "the data is allocated: {s:#}"
        );
    }
}

/// A 16M v3 image `base.qcow2` and `overlay.qcow2` backed by it, in the site's images dir.
fn make_overlay(t: &Test) -> (PathBuf, PathBuf) {
    let base = images(t).join("base.qcow2");
    make_qcow2(&base, "1.1", "16M");
    let overlay = images(t).join("overlay.qcow2");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        &base.display().to_string(),
        "-F",
        "qcow2",
        &overlay.display().to_string(),
    ]);
    (base, overlay)
}

#[test]
fn stat_reads_an_overlays_backing_file() {
    let t = site();
    let (base, overlay) = make_overlay(&t);
    let (_out, s) = stat(t, &overlay);
    assert_eq!(s["backing_file"], base.display().to_string());
    assert_eq!(s["virtual_size"], 16 * 1024 * 1024);
}

#[test]
fn stat_of_a_missing_file_says_it_does_not_exist() {
    let t = site();
    let path = images(&t).join("nope.qcow2");
    let (_out, s) = stat(t, &path);
    assert_eq!(s["exists"], false, "{s:#}");
    assert_eq!(s["path"], path.display().to_string());
}

#[test]
fn stat_of_a_file_that_is_not_qcow2_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("disk.img");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "raw",
        &raw.display().to_string(),
        "1M",
    ]);
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    for path in [&raw, &text] {
        eval_in(
            site(),
            &[],
            &format!("stat_qcow2({:?})", path.display().to_string()),
        )
        .status(2)
        .stderr_has(&format!("`{}` is not a qcow2 image", path.display()));
    }
}

#[test]
fn wipe_empties_the_image_keeping_size_version_owner_and_mode() {
    for (compat, version) in [("0.10", 2), ("1.1", 3)] {
        let t = site();
        let image = image_with_data(&images(&t), "openstack1-1.qcow2", compat);
        std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o640)).unwrap();
        // As root (the CI container), give it another owner to prove the owner is kept.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            std::os::unix::fs::chown(&image, Some(1234), Some(2345)).unwrap();
        }
        let before = std::fs::metadata(&image).unwrap();
        assert!(qemu_info(&image)["actual-size"].as_u64().unwrap() > 3_000_000);
        let out = wipe_in(t, &["--yes", "--json"], &image);
        out.status(0);
        let r = out.json();
        assert_eq!(r["planned"], false);
        assert_matches_qemu(&r, &image, version);
        assert_eq!(r["virtual_size"], MIB64);
        assert!(
            r["actual_size"].as_u64().unwrap() < 1024 * 1024,
            "the data is gone: {r:#}"
        );
        let after = std::fs::metadata(&image).unwrap();
        assert_eq!(after.mode() & 0o7777, 0o640);
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert_ne!(after.ino(), before.ino(), "replaced by rename");
        // Nothing else is left in disk_root.
        assert_eq!(
            out.files_under(&out.root().join("images")),
            ["openstack1-1.qcow2"]
        );
        // The journal records the wipe as executed.
        assert!(out
            .journal_lines()
            .iter()
            .any(|l| l.to_string().contains("wipe_qcow2")));
    }
}

#[test]
fn wipe_refuses_an_overlay_and_a_non_qcow2_file() {
    let t = site();
    let (_base, overlay) = make_overlay(&t);
    let before = bytes(&overlay);
    let out = wipe_in(t, &["--yes"], &overlay);
    out.status(2).stderr_has("is an overlay on");
    assert_eq!(bytes(&overlay), before);

    let t = site();
    let text = images(&t).join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    let out = wipe_in(t, &["--yes"], &text);
    out.status(2).stderr_has("is not a qcow2 image");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "hello\n");
}

#[test]
fn wipe_of_a_missing_file_is_refused_naming_it() {
    let t = site();
    let path = images(&t).join("nope.qcow2");
    wipe_in(t, &["--yes"], &path)
        .status(4)
        .stderr_has("refused by guard `wipe.disk_root`")
        .stderr_has("nope.qcow2");
}

#[test]
fn an_empty_path_is_a_clear_error() {
    for f in ["stat_qcow2", "wipe_qcow2"] {
        eval_in(site(), &["--yes"], &format!(r#"{f}("")"#))
            .status(2)
            .stderr_has(&format!("`{f}` needs a file path, got an empty string"));
    }
}
