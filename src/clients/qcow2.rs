//! qcow2 disk images: read the header natively, and recreate an image empty.
//!
//! `stat` reads the qcow2 header (magic, version 2 or 3, virtual size, cluster bits, backing
//! file) straight from the file and reports the bytes allocated on disk (`st_blocks * 512`,
//! what `qemu-img info` calls "disk size"). `wipe` recreates the image with `qemu-img create`
//! next to it, gives it the old owner and mode, and renames it over the old one, so the path
//! always holds a whole image. Where an image may be wiped is the gate's business
//! (`effects::guard_wipe`), not this module's.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

/// `QFI\xfb`, the first four bytes of every qcow2 image.
const MAGIC: [u8; 4] = *b"QFI\xfb";
/// The version 2 header is 72 bytes; version 3 adds fields after it that we don't need.
const HEADER_LEN: usize = 72;
/// A backing file name longer than this is not a real header (qemu allows 1023 bytes).
const BACKING_NAME_MAX: u32 = 1023;

/// What `stat_qcow2(path)` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Qcow2Info {
    pub path: String,
    pub exists: bool,
    /// `qcow2` when the file exists.
    pub format: String,
    pub version: u32,
    /// The size the guest sees, in bytes.
    pub virtual_size: u64,
    /// Bytes allocated on disk (`st_blocks * 512`); a freshly wiped image has a few hundred KB.
    pub actual_size: u64,
    /// The file's length (`st_size`).
    pub apparent_size: u64,
    pub cluster_bits: u32,
    pub backing_file: Option<String>,
}

/// Read `path`'s qcow2 header. A missing file is `exists: false`, not an error; a file that
/// is not qcow2 is an error saying so.
pub fn stat(path: &Path) -> Result<Qcow2Info> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Qcow2Info {
                path: shown,
                exists: false,
                format: String::new(),
                version: 0,
                virtual_size: 0,
                actual_size: 0,
                apparent_size: 0,
                cluster_bits: 0,
                backing_file: None,
            })
        }
        Err(e) => return Err(e).with_context(|| format!("cannot stat `{shown}`")),
    };
    if !meta.is_file() {
        bail!("`{shown}` is not a regular file, so not a qcow2 image");
    }
    let mut file = File::open(path).with_context(|| format!("cannot open `{shown}`"))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut header)
        .with_context(|| format!("cannot read `{shown}`"))?;
    let h = parse_header(&header).with_context(|| format!("`{shown}` is not a qcow2 image"))?;
    let backing_file = if h.backing_offset == 0 || h.backing_size == 0 {
        None
    } else {
        Some(
            read_backing_name(&mut file, &h)
                .with_context(|| format!("cannot read the backing file name of `{shown}`"))?,
        )
    };
    Ok(Qcow2Info {
        path: shown,
        exists: true,
        format: "qcow2".into(),
        version: h.version,
        virtual_size: h.size,
        actual_size: meta.blocks() * 512,
        apparent_size: meta.len(),
        cluster_bits: h.cluster_bits,
        backing_file,
    })
}

/// The header fields we read (all big-endian; qcow2 spec, "Header").
#[derive(Debug, PartialEq, Eq)]
struct Header {
    version: u32,
    backing_offset: u64,
    backing_size: u32,
    cluster_bits: u32,
    size: u64,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4))
}

fn parse_header(b: &[u8]) -> Result<Header> {
    if b.len() < 4 || b[..4] != MAGIC {
        bail!("no qcow2 magic `QFI\\xfb` at the start of the file");
    }
    if b.len() < HEADER_LEN {
        bail!(
            "the qcow2 header is cut short ({} of {HEADER_LEN} bytes)",
            b.len()
        );
    }
    let h = Header {
        version: be32(b, 4),
        backing_offset: be64(b, 8),
        backing_size: be32(b, 16),
        cluster_bits: be32(b, 20),
        size: be64(b, 24),
    };
    if !matches!(h.version, 2 | 3) {
        bail!(
            "qcow2 version {} is not supported (only 2 and 3)",
            h.version
        );
    }
    if !(9..=21).contains(&h.cluster_bits) {
        bail!(
            "qcow2 cluster bits {} is out of range (9–21)",
            h.cluster_bits
        );
    }
    if h.backing_size > BACKING_NAME_MAX {
        bail!(
            "qcow2 backing file name length {} is out of range",
            h.backing_size
        );
    }
    Ok(h)
}

fn read_backing_name(file: &mut File, h: &Header) -> Result<String> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(h.backing_offset))?;
    let mut name = vec![0u8; h.backing_size as usize];
    file.read_exact(&mut name)?;
    Ok(String::from_utf8_lossy(&name).into_owned())
}

/// The `qemu-img create` argv that makes an empty image like `info` (same virtual size and
/// qcow2 version) at `dest`.
pub fn create_argv(info: &Qcow2Info, dest: &Path) -> Vec<String> {
    let compat = if info.version == 2 {
        "compat=0.10"
    } else {
        "compat=1.1"
    };
    vec![
        "qemu-img".into(),
        "create".into(),
        "-q".into(),
        "-f".into(),
        "qcow2".into(),
        "-o".into(),
        format!("{compat},cluster_size={}", 1u64 << info.cluster_bits),
        dest.display().to_string(),
        info.virtual_size.to_string(),
    ]
}

/// Recreate `path` as an empty qcow2 image with the same virtual size and version, keeping
/// its owner and mode; the new image replaces the old one atomically (rename).
pub fn wipe(path: &Path) -> Result<()> {
    let info = stat(path)?;
    let shown = path.display();
    if !info.exists {
        bail!("cannot wipe `{shown}`: no such file");
    }
    if let Some(backing) = &info.backing_file {
        bail!("`{shown}` is an overlay on `{backing}`; runbook only wipes standalone images");
    }
    let meta = std::fs::metadata(path).with_context(|| format!("cannot stat `{shown}`"))?;
    let tmp = temp_sibling(path)?;
    let result = (|| -> Result<()> {
        let argv = create_argv(&info, &tmp);
        let out = duct::cmd(&argv[0], &argv[1..])
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .with_context(|| format!("cannot run `{}`; is qemu-img installed?", argv.join(" ")))?;
        if !out.status.success() {
            bail!(
                "`{}` failed ({}):\n{}",
                argv.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid())).with_context(|| {
            format!(
                "cannot give `{}` the owner of `{shown}` ({}:{})",
                tmp.display(),
                meta.uid(),
                meta.gid()
            )
        })?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .with_context(|| format!("cannot give `{}` the mode of `{shown}`", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move `{}` over `{shown}`", tmp.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new name in the same directory (so the rename stays on one filesystem).
fn temp_sibling(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .with_context(|| format!("`{}` has no file name", path.display()))?;
    let tmp_name = format!(
        ".{}.wipe-{}",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    );
    Ok(path.with_file_name(tmp_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qemu_img(args: &[&str]) {
        let out = std::process::Command::new("qemu-img")
            .args(args)
            .output()
            .expect("qemu-img is needed for these tests");
        assert!(
            out.status.success(),
            "qemu-img {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn image(dir: &Path, name: &str, opts: &str, size: &str) -> PathBuf {
        let p = dir.join(name);
        qemu_img(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            opts,
            p.to_str().unwrap(),
            size,
        ]);
        p
    }

    /// Fill the first MiB of an image with data (a raw file converted into it).
    fn written(dir: &Path, name: &str, compat: &str) -> PathBuf {
        let raw = dir.join(format!("{name}.raw"));
        let data: Vec<u8> = (0..(4u32 << 20)).map(|i| (i % 251) as u8 + 1).collect();
        std::fs::write(&raw, &data).unwrap();
        let p = dir.join(name);
        qemu_img(&[
            "convert",
            "-q",
            "-f",
            "raw",
            "-O",
            "qcow2",
            "-o",
            compat,
            raw.to_str().unwrap(),
            p.to_str().unwrap(),
        ]);
        qemu_img(&["resize", "-q", p.to_str().unwrap(), "64M"]);
        p
    }

    #[test]
    fn stat_reads_v2_and_v3_headers() {
        let dir = tempfile::tempdir().unwrap();
        let v2 = stat(&image(dir.path(), "v2.qcow2", "compat=0.10", "1G")).unwrap();
        assert_eq!(
            (
                v2.exists,
                v2.format.as_str(),
                v2.version,
                v2.virtual_size,
                v2.cluster_bits
            ),
            (true, "qcow2", 2, 1 << 30, 16)
        );
        let v3 = stat(&image(
            dir.path(),
            "v3.qcow2",
            "compat=1.1,cluster_size=4096",
            "10G",
        ))
        .unwrap();
        assert_eq!(
            (
                v3.version,
                v3.virtual_size,
                v3.cluster_bits,
                v3.backing_file.clone()
            ),
            (3, 10 << 30, 12, None)
        );
        assert!(
            v3.actual_size < 1 << 20,
            "an empty image allocates little: {}",
            v3.actual_size
        );
        assert!(v3.apparent_size > 0);
    }

    #[test]
    fn stat_of_written_images_counts_allocated_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for compat in ["compat=0.10", "compat=1.1"] {
            let p = written(dir.path(), &format!("w-{compat}.qcow2"), compat);
            let info = stat(&p).unwrap();
            assert_eq!(info.virtual_size, 64 << 20);
            assert!(
                info.actual_size >= 4 << 20,
                "{compat}: {}",
                info.actual_size
            );
        }
    }

    #[test]
    fn stat_reads_the_backing_file() {
        let dir = tempfile::tempdir().unwrap();
        let base = image(dir.path(), "base.qcow2", "compat=1.1", "1G");
        let overlay = dir.path().join("overlay.qcow2");
        qemu_img(&[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            base.to_str().unwrap(),
            "-F",
            "qcow2",
            overlay.to_str().unwrap(),
        ]);
        let info = stat(&overlay).unwrap();
        assert_eq!(info.backing_file.as_deref(), base.to_str());
        let e = format!("{:#}", wipe(&overlay).unwrap_err());
        assert!(e.contains("overlay"), "{e}");
    }

    #[test]
    fn missing_file_is_not_an_error() {
        let info = stat(Path::new("/nonexistent/osd.qcow2")).unwrap();
        assert!(!info.exists);
        assert!(format!(
            "{:#}",
            wipe(Path::new("/nonexistent/osd.qcow2")).unwrap_err()
        )
        .contains("no such file"));
    }

    #[test]
    fn not_qcow2_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("disk.img");
        std::fs::write(&raw, vec![0u8; 4096]).unwrap();
        let e = format!("{:#}", stat(&raw).unwrap_err());
        assert!(
            e.contains("is not a qcow2 image") && e.contains("magic"),
            "{e}"
        );
        std::fs::write(&raw, b"QFI\xfb\0\0\0\x03").unwrap();
        assert!(format!("{:#}", stat(&raw).unwrap_err()).contains("cut short"));
        let mut h = vec![0u8; 72];
        h[..4].copy_from_slice(b"QFI\xfb");
        h[7] = 4;
        std::fs::write(&raw, &h).unwrap();
        assert!(format!("{:#}", stat(&raw).unwrap_err()).contains("version 4"));
        assert!(format!("{:#}", stat(dir.path()).unwrap_err()).contains("not a regular file"));
        std::fs::write(&raw, b"").unwrap();
        assert!(format!("{:#}", stat(&raw).unwrap_err()).contains("magic"));
    }

    #[test]
    fn wipe_recreates_empty_keeping_size_version_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        for compat in ["compat=0.10", "compat=1.1"] {
            let p = written(dir.path(), &format!("osd-{compat}.qcow2"), compat);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
            let before = stat(&p).unwrap();
            wipe(&p).unwrap();
            let after = stat(&p).unwrap();
            assert_eq!(
                (after.virtual_size, after.version, after.cluster_bits),
                (before.virtual_size, before.version, before.cluster_bits)
            );
            assert!(
                after.actual_size < 1 << 20,
                "{compat}: {}",
                after.actual_size
            );
            assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o640);
        }
        // No temporary files left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn wipe_of_not_qcow2_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("disk.img");
        std::fs::write(&raw, b"precious").unwrap();
        assert!(wipe(&raw).is_err());
        assert_eq!(std::fs::read(&raw).unwrap(), b"precious");
    }

    #[test]
    fn create_argv_matches_version() {
        let info = Qcow2Info {
            path: "/d/a.qcow2".into(),
            exists: true,
            format: "qcow2".into(),
            version: 2,
            virtual_size: 1 << 30,
            actual_size: 0,
            apparent_size: 0,
            cluster_bits: 16,
            backing_file: None,
        };
        assert_eq!(
            create_argv(&info, Path::new("/d/.a.tmp")).join(" "),
            "qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=65536 /d/.a.tmp 1073741824"
        );
    }
}
