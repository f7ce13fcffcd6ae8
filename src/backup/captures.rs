//! The captures a pre-destroy backup must hold (teardown.md §3.2 step 1) and what makes each
//! one valid. `seal_backup` and `backup_ok` check a backup dir against [`REQUIRED`]: a
//! capture missing from the manifest, truncated or unparsable fails the backup, so a bad
//! capture is never sealed and the destroy never starts on it.

use std::path::Path;

use anyhow::{bail, Context};
use yaml_rust2::parser::{Event, Parser};

/// How a capture's content is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `juju export-bundle` YAML: a mapping with `applications`. When Juju could not export,
    /// the backup holds [`Capture::failure_record`] (why) instead.
    Bundle,
    /// A JSON document (what `to_json` of a primitive's result writes).
    Json,
}

/// One file a backup must list in its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    pub file: &'static str,
    pub format: Format,
}

/// Every capture of a pre-destroy backup. Adding a capture is one line here (and the
/// `write_backup` of it in `stdlib/capture.rhai`, before `seal_backup`).
pub const REQUIRED: &[Capture] = &[
    Capture::bundle("export-bundle.yaml"),
    Capture::json("status.json"),
    Capture::json("models.json"),
    Capture::json("controllers.json"),
    // juju#22691: the targets' MAAS records, to re-add one the destroy deleted.
    Capture::json(crate::clients::maas_snapshot::SNAPSHOT_FILE),
];

/// What stands in for the bundle when Juju could not export it (beside the failure record
/// of why): the model as `show-model` prints it and its `model-config`, each a JSON
/// document, so the model can still be described and rebuilt by hand.
pub const BUNDLE_FALLBACK: &[Capture] = &[
    Capture::json("show-model.json"),
    Capture::json("model-config.json"),
];

impl Capture {
    pub const fn bundle(file: &'static str) -> Capture {
        Capture {
            file,
            format: Format::Bundle,
        }
    }

    pub const fn json(file: &'static str) -> Capture {
        Capture {
            file,
            format: Format::Json,
        }
    }

    /// The file recording why Juju could not export the bundle, kept in its place
    /// (`export-bundle.yaml.failed`): only a bundle capture has one.
    pub fn failure_record(&self) -> Option<String> {
        (self.format == Format::Bundle).then(|| format!("{}.failed", self.file))
    }
}

/// The failure record that may stand in for `file`, if `file` is a bundle capture.
pub fn failure_record_of(file: &str) -> Option<String> {
    REQUIRED
        .iter()
        .find(|c| c.file == file)
        .and_then(Capture::failure_record)
}

/// Check `bytes` (the content of `path`) as `format`; the error names the file.
pub fn check_content(path: &Path, format: Format, bytes: &[u8]) -> anyhow::Result<()> {
    let text = std::str::from_utf8(bytes)
        .with_context(|| format!("backup file `{}` is not UTF-8 text", path.display()))?;
    match format {
        Format::Json => {
            serde_json::from_str::<serde_json::Value>(text).with_context(|| {
                format!(
                    "backup file `{}` is not a valid JSON document",
                    path.display()
                )
            })?;
        }
        Format::Bundle => check_bundle(text).with_context(|| {
            format!(
                "backup file `{}` is not a valid juju bundle",
                path.display()
            )
        })?,
    }
    Ok(())
}

/// A bundle is one YAML document that is a mapping with an `applications` mapping. Read as
/// a stream of parser events, never built as a tree: a document whose aliases nest
/// ("billion laughs") costs its own size, not an expansion of it.
fn check_bundle(text: &str) -> anyhow::Result<()> {
    let mut parser = Parser::new_from_str(text);
    let mut shape = BundleShape::default();
    loop {
        let (event, _) = parser.next_token().map_err(|e| anyhow::anyhow!("{e}"))?;
        if event == Event::StreamEnd {
            break;
        }
        shape.see(&event);
    }
    match shape.documents {
        1 => {}
        n => bail!("expected one YAML document, found {n}"),
    }
    if shape.root != Some(Node::Mapping) {
        bail!("the document is not a mapping");
    }
    match shape.applications {
        Some(Node::Mapping) => Ok(()),
        Some(_) => bail!("`applications` is not a mapping"),
        None => bail!("it has no `applications`"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Mapping,
    Other,
}

/// What the events say about the top of the document: the root's kind, and the kind of the
/// root mapping's `applications` value.
#[derive(Default)]
struct BundleShape {
    documents: usize,
    depth: usize,
    root: Option<Node>,
    /// In the root mapping: the next node at depth 1 is a key (else a value).
    at_key: bool,
    /// The last key read at depth 1.
    key: Option<String>,
    applications: Option<Node>,
}

impl BundleShape {
    fn see(&mut self, event: &Event) {
        match event {
            Event::DocumentStart => self.documents += 1,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let kind = if matches!(event, Event::MappingStart(..)) {
                    Node::Mapping
                } else {
                    Node::Other
                };
                self.node_starts(kind);
                self.depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 1 {
                    self.node_ends(None);
                }
            }
            Event::Scalar(value, ..) => {
                self.node_starts(Node::Other);
                if self.depth == 1 {
                    self.node_ends(Some(value));
                }
            }
            Event::Alias(..) => {
                self.node_starts(Node::Other);
                if self.depth == 1 {
                    self.node_ends(None);
                }
            }
            _ => {}
        }
    }

    /// A node begins at the current depth.
    fn node_starts(&mut self, kind: Node) {
        if self.depth == 0 && self.documents == 1 && self.root.is_none() {
            self.root = Some(kind);
            self.at_key = true;
        } else if self.depth == 1
            && self.root == Some(Node::Mapping)
            && !self.at_key
            && self.key.as_deref() == Some("applications")
            && self.applications.is_none()
        {
            self.applications = Some(kind);
        }
    }

    /// A node at depth 1 (in the root) is complete; `scalar` is its text if it is one.
    fn node_ends(&mut self, scalar: Option<&String>) {
        if self.root != Some(Node::Mapping) || self.documents != 1 {
            return;
        }
        if self.at_key {
            self.key = scalar.cloned();
        }
        self.at_key = !self.at_key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(text: &str) -> anyhow::Result<()> {
        check_content(
            Path::new("d/export-bundle.yaml"),
            Format::Bundle,
            text.as_bytes(),
        )
    }

    #[test]
    fn a_bundle_is_a_mapping_with_applications() {
        assert!(
            bundle("default-base: ubuntu@22.04/stable\napplications:\n  a:\n    charm: x\n")
                .is_ok()
        );
        assert!(bundle("applications: {}\n").is_ok());
        for (text, why) in [
            (
                "applications:\n  a:\n    charm: \"ceph-o\n",
                "quoted scalar",
            ),
            ("- a\n- b\n", "not a mapping"),
            ("machines: {}\n", "no `applications`"),
            ("applications: 3\n", "not a mapping"),
            ("# only a comment\n", "found 0"),
            ("applications: {}\n---\napplications: {}\n", "found 2"),
            ("machines:\n  applications: {}\n", "no `applications`"),
            ("applications:\n- a\n", "not a mapping"),
            ("? [a]\n: 1\napplications: x\n", "not a mapping"),
        ] {
            let err = format!("{:#}", bundle(text).unwrap_err());
            assert!(err.contains("d/export-bundle.yaml"), "{err}");
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn nested_aliases_are_not_expanded() {
        // Ten levels of ten aliases each: 10^10 nodes if expanded, a few hundred bytes read.
        let mut text = String::from("applications: {}\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = format!("*l{}", i - 1);
            text.push_str(&format!("l{i}: &l{i} [{}]\n", vec![p; 10].join(", ")));
        }
        let started = std::time::Instant::now();
        assert!(bundle(&text).is_ok());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn json_captures_must_parse() {
        let p = Path::new("d/status.json");
        assert!(check_content(p, Format::Json, b"{\"model\": {}}").is_ok());
        let err = format!(
            "{:#}",
            check_content(p, Format::Json, b"{\"model\": {\"na").unwrap_err()
        );
        assert!(
            err.contains("d/status.json") && err.contains("not a valid JSON document"),
            "{err}"
        );
        assert!(check_content(p, Format::Json, &[0xff, 0xfe]).is_err());
    }

    #[test]
    fn only_the_bundle_has_a_failure_record() {
        assert_eq!(
            failure_record_of("export-bundle.yaml").as_deref(),
            Some("export-bundle.yaml.failed")
        );
        assert_eq!(failure_record_of("status.json"), None);
        assert_eq!(failure_record_of("nope"), None);
    }
}
