//! Exact transcript assertions: what a run printed, line by line, with the parts that vary
//! from run to run (the temp dir, the checkout, the simulator's port, timestamps and run
//! ids, the simulator's wrapper dir) replaced by `<tmp>`, `<repo>`, `<port>`, `<stamp>`,
//! `<run>`, `<time>` and `runbook-sim-<uuid>`.
//!
//! ```ignore
//! out.says("==> Phase C — release target machines in MAAS (teardown.md §3.2 step 3)\n  ok   nothing to release: no target is both owned by us and not Ready");
//! ```

use super::{Output, REPO};

/// Shapes of the varying parts: `9` a digit, `x` a lowercase hex digit, anything else itself.
/// Longest first, so a run id is not taken for a timestamp.
const SHAPES: [(&str, &str); 4] = [
    (
        "runbook-sim-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "runbook-sim-<uuid>",
    ),
    ("99999999T999999Z-xxxxxxxx", "<run>"),
    ("9999-99-99T99:99:99Z", "<time>"),
    ("99999999-999999", "<stamp>"),
];

fn fits(text: &[u8], shape: &str) -> bool {
    text.len() >= shape.len()
        && shape.bytes().zip(text).all(|(s, &c)| match s {
            b'9' => c.is_ascii_digit(),
            b'x' => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            s => s == c,
        })
}

/// `text` with every varying part replaced by its token.
fn normalise(text: &str, tmp: &str) -> String {
    let text = text.replace(tmp, "<tmp>").replace(REPO, "<repo>");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    'scan: while let Some(c) = rest.chars().next() {
        for (shape, token) in SHAPES {
            if fits(rest.as_bytes(), shape) {
                out.push_str(token);
                rest = &rest[shape.len()..];
                continue 'scan;
            }
        }
        if let Some(after) = rest.strip_prefix("127.0.0.1:") {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str("127.0.0.1:<port>");
                rest = &after[digits..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

impl Output {
    /// stdout then stderr, normalised (see the module's doc).
    pub fn transcript(&self) -> String {
        let tmp = self.dir.path().display().to_string();
        format!(
            "{}\n{}",
            normalise(&self.stdout, &tmp),
            normalise(&self.stderr, &tmp)
        )
    }

    /// stderr, normalised, is exactly `text`.
    pub fn stderr_is(&self, text: &str) -> &Output {
        let tmp = self.dir.path().display().to_string();
        assert_eq!(
            normalise(&self.stderr, &tmp),
            text,
            "unexpected stderr\n--- stdout\n{}\n--- status {}",
            self.stdout,
            self.code
        );
        self
    }

    /// The lines of `block` stand, whole and in order, as consecutive lines of the
    /// normalised transcript (trailing spaces aside).
    pub fn says(&self, block: &str) -> &Output {
        let transcript = self.transcript();
        let lines: Vec<&str> = transcript.lines().map(str::trim_end).collect();
        let want: Vec<&str> = block.lines().map(str::trim_end).collect();
        assert!(
            lines.windows(want.len()).any(|w| w == want.as_slice()),
            "the transcript lacks these lines:\n{block}\n--- transcript\n{transcript}\n--- status {}",
            self.code
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn varying_parts_become_tokens() {
        assert_eq!(
            normalise(
                "run 20261203T151142Z-608d0196 at 2026-12-03T15:11:43Z in /t/x/home/b-20261203-151143 via http://127.0.0.1:41815/MAAS",
                "/t/x"
            ),
            "run <run> at <time> in <tmp>/home/b-<stamp> via http://127.0.0.1:<port>/MAAS"
        );
    }
}
