//! Skimming JSON: walk an array of objects and hand over each member's key and the raw
//! bytes of its value, finding where a value ends without building it.
//!
//! A MAAS machine list carries about 9 KB of JSON per machine of which a teardown keeps a
//! few hundred bytes. serde's `IgnoredAny` checks every token it skips; this only follows
//! strings and brackets, so skipping costs little more than reading the bytes. The values a
//! caller keeps are parsed (and so checked in full) by serde_json; the ones it skips are
//! checked to be terminated and well nested, and the whole body to be one array or object
//! with nothing after it. Not a general parser: it knows nothing of numbers or literals.
//!
//! A walk can run on a body still arriving: where the bytes end inside a value the error
//! is [`Truncated`] ([`is_truncated`]), and the walk can be resumed at the element it was
//! on ([`Objects::resume`]) once more bytes are in.

use anyhow::{bail, Result};

/// Deeper nesting than this is refused (serde_json's own recursion limit).
const MAX_DEPTH: u32 = 128;

/// The bytes ended inside a value: the JSON is cut short, or (a body still arriving) the
/// rest has not come yet.
#[derive(Debug)]
pub struct Truncated(usize);

impl std::fmt::Display for Truncated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the JSON ends early (byte {})", self.0)
    }
}

impl std::error::Error for Truncated {}

/// Whether `e` says only that the bytes ended early (more may make it whole).
pub fn is_truncated(e: &anyhow::Error) -> bool {
    e.downcast_ref::<Truncated>().is_some()
}

/// The byte at `i`, or [`Truncated`] past the end.
fn byte(b: &[u8], i: usize) -> Result<u8> {
    match b.get(i) {
        Some(&c) => Ok(c),
        None => Err(Truncated(i).into()),
    }
}

/// A walk over a JSON array of objects, one object at a time, without building them.
pub struct Objects<'a> {
    body: &'a [u8],
    /// Where the next element (or the closing `]`) starts.
    at: usize,
    ended: bool,
}

impl<'a> Objects<'a> {
    /// Starts at the opening `[` of `body`.
    pub fn new(body: &'a [u8]) -> Result<Objects<'a>> {
        let at = skip_ws(body, 0);
        if byte(body, at)? != b'[' {
            bail!("expected a JSON array at byte {at}");
        }
        let at = skip_ws(body, at + 1);
        let mut walk = Objects {
            body,
            at,
            ended: false,
        };
        if body.get(at) == Some(&b']') {
            walk.end(at + 1)?;
        }
        Ok(walk)
    }

    /// Goes on at byte `at` of `body` (a [`Objects::position`] on an earlier, shorter copy
    /// of the same bytes).
    pub fn resume(body: &'a [u8], at: usize) -> Objects<'a> {
        Objects {
            body,
            at,
            ended: false,
        }
    }

    /// Where the next element starts: resume there after a [`Truncated`] error. Once the
    /// array has ended, one past its `]`.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Hands each member of the next element (an object) to `member(key, value)`; false
    /// once the array has ended (and nothing but whitespace follows it).
    pub fn next_object(
        &mut self,
        member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
    ) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        // Whitespace again: the bytes may have ended inside it when the walk was resumed.
        let end = object_at(self.body, skip_ws(self.body, self.at), member)?;
        let i = skip_ws(self.body, end);
        match byte(self.body, i)? {
            b',' => self.at = skip_ws(self.body, i + 1),
            b']' => self.end(i + 1)?,
            _ => bail!("expected `,` or `]` in the array at byte {i}"),
        }
        Ok(true)
    }

    fn end(&mut self, i: usize) -> Result<()> {
        self.ended = true;
        self.at = i;
        end_of_body(self.body, i)
    }
}

/// Calls `member(key, value)` for each member of the JSON object `body`, in order: `key`
/// as its bytes (unescaped), `value` as the bytes of the member's value, for serde_json to
/// parse when it is wanted.
pub fn members<'a>(
    body: &'a [u8],
    member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    let end = object_at(body, skip_ws(body, 0), member)?;
    end_of_body(body, end)
}

/// Walks the object starting at `i`; returns one past its closing `}`.
fn object_at<'a>(
    body: &'a [u8],
    mut i: usize,
    mut member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
) -> Result<usize> {
    if byte(body, i)? != b'{' {
        bail!("expected a JSON object at byte {i}");
    }
    i = skip_ws(body, i + 1);
    if byte(body, i)? == b'}' {
        return Ok(i + 1);
    }
    loop {
        if byte(body, i)? != b'"' {
            bail!("expected a member name at byte {i}");
        }
        let key_end = skip_string(body, i)?;
        let raw_key = &body[i + 1..key_end - 1];
        let decoded;
        let key = if raw_key.contains(&b'\\') {
            decoded = serde_json::from_slice::<String>(&body[i..key_end])?;
            decoded.as_bytes()
        } else {
            raw_key
        };
        i = skip_ws(body, key_end);
        if byte(body, i)? != b':' {
            bail!("expected `:` after a member name at byte {i}");
        }
        i = skip_ws(body, i + 1);
        let end = skip_value(body, i)?;
        member(key, &body[i..end])?;
        i = skip_ws(body, end);
        match byte(body, i)? {
            b',' => i = skip_ws(body, i + 1),
            b'}' => return Ok(i + 1),
            _ => bail!("expected `,` or `}}` after a member at byte {i}"),
        }
    }
}

/// Nothing but whitespace from byte `i` to the end of `body`.
pub fn end_of_body(body: &[u8], i: usize) -> Result<()> {
    let i = skip_ws(body, i);
    if i == body.len() {
        Ok(())
    } else {
        bail!("unexpected characters after the JSON value at byte {i}")
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Where the value starting at `i` ends (one past its last byte).
fn skip_value(b: &[u8], i: usize) -> Result<usize> {
    match byte(b, i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => skip_nested(b, i),
        _ => {
            let mut j = i;
            while j < b.len() && !is_delimiter(b[j]) {
                j += 1;
            }
            if j == i {
                bail!("expected a JSON value at byte {i}");
            }
            // A number or literal runs up to what follows it: at the end of the bytes it may
            // go on in bytes still to come (a member's value is never last in an object).
            byte(b, j)?;
            Ok(j)
        }
    }
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b',' | b'}' | b']' | b'{' | b'[' | b':' | b'"' | b' ' | b'\n' | b'\r' | b'\t'
    )
}

/// `i` is at an opening quote; returns one past the closing quote.
fn skip_string(b: &[u8], i: usize) -> Result<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The lowest byte of `v` that is zero is the lowest high bit set (higher ones may be
    // false, which does not matter: only the first is used).
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut j = i + 1;
    loop {
        // Eight bytes at a time: most strings (names, uuids) have no quote or backslash
        // in the first eight.
        if let Some(word) = b.get(j..j + 8) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let hits = zero_bytes(w ^ (ONES * u64::from(b'"')))
                | zero_bytes(w ^ (ONES * u64::from(b'\\')));
            if hits == 0 {
                j += 8;
                continue;
            }
            j += (hits.trailing_zeros() / 8) as usize;
        }
        match b.get(j) {
            Some(b'"') => return Ok(j + 1),
            // A backslash escapes the next byte (a `\uXXXX` has no quote or backslash after it).
            Some(b'\\') => j += 2,
            Some(_) => j += 1,
            None => return Err(Truncated(j.min(b.len())).into()),
        }
    }
}

/// `i` is at `{` or `[`; returns one past the bracket that closes it.
fn skip_nested(b: &[u8], i: usize) -> Result<usize> {
    // One bit per open level, 1 for an object: the closing bracket must match it.
    let mut open: u128 = 0;
    let mut depth = 0u32;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j = skip_string(b, j)?;
                continue;
            }
            c @ (b'{' | b'[') => {
                if depth == MAX_DEPTH {
                    bail!("the JSON nests deeper than {MAX_DEPTH} levels at byte {j}");
                }
                open = (open << 1) | u128::from(c == b'{');
                depth += 1;
            }
            c @ (b'}' | b']') => {
                if (open & 1 == 1) != (c == b'}') {
                    bail!("mismatched `{}` at byte {j}", c as char);
                }
                open >>= 1;
                depth -= 1;
                if depth == 0 {
                    return Ok(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    Err(Truncated(b.len()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(body: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        members(body.as_bytes(), |k, v| {
            out.push((
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn members_hand_over_each_value_exactly() {
        let got =
            keys(r#" { "a" : 1 , "b\u005f":"x\"}]" ,"c":{"d":[1,{"e":"]"}]},"f":null,"g":[] } "#)
                .unwrap();
        let want = [
            ("a", "1"),
            ("b_", r#""x\"}]""#),
            ("c", r#"{"d":[1,{"e":"]"}]}"#),
            ("f", "null"),
            ("g", "[]"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(keys("{}").unwrap().is_empty());
    }

    fn objects(body: &str) -> Result<Vec<Vec<String>>> {
        let mut walk = Objects::new(body.as_bytes())?;
        let mut out = Vec::new();
        loop {
            let mut keys = Vec::new();
            let more = walk.next_object(|k, v| {
                keys.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                ));
                Ok(())
            })?;
            if !more {
                return Ok(out);
            }
            out.push(keys);
        }
    }

    #[test]
    fn arrays_are_walked_object_by_object() {
        let got = objects(r#" [ {"a":1}, {} ,{"b":[2,3],"c":"x"} ] "#).unwrap();
        assert_eq!(got, [vec!["a=1"], vec![], vec!["b=[2,3]", r#"c="x""#]]);
        assert!(objects(" [ ] ").unwrap().is_empty());
        let long = format!(r#"[{{"k":"{}\\","l":"é\"x"}}]"#, "y".repeat(50));
        assert_eq!(
            objects(&long).unwrap(),
            [vec![
                format!(r#"k="{}\\""#, "y".repeat(50)),
                r#"l="é\"x""#.to_string()
            ]]
        );
    }

    /// Walks `bytes` from `at` (the start when `None`), adding each object's keys to `got`;
    /// where the bytes end early, returns where to resume.
    fn walk_from(bytes: &[u8], at: Option<usize>, got: &mut Vec<String>) -> Result<Option<usize>> {
        let mut walk = match at {
            None => Objects::new(bytes)?,
            Some(at) => Objects::resume(bytes, at),
        };
        loop {
            let mut keys = String::new();
            match walk.next_object(|k, v| {
                keys.push_str(&format!(
                    "{}={} ",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                ));
                Ok(())
            }) {
                Ok(true) => got.push(keys),
                Ok(false) => return Ok(None),
                Err(e) if is_truncated(&e) => return Ok(Some(walk.position())),
                Err(e) => return Err(e),
            }
        }
    }

    #[test]
    fn a_body_cut_anywhere_is_truncated_and_resumes_to_the_same_objects() {
        let body = br#"[ {"a":12,"b":"x\"y","c":[1,{"d":null}]} , {"e":true} ]"#;
        let mut whole = Vec::new();
        assert_eq!(walk_from(body, None, &mut whole).unwrap(), None);
        assert_eq!(whole.len(), 2);
        for cut in 0..body.len() {
            let mut got = Vec::new();
            // Cut short, the walk stops where the bytes end (never on a number cut in two),
            // and goes on from there once they are all in.
            let at = match walk_from(&body[..cut], None, &mut got) {
                Ok(Some(at)) => Some(at),
                Err(e) if is_truncated(&e) => None,
                other => panic!("cut at {cut}: {other:?}"),
            };
            assert_eq!(walk_from(body, at, &mut got).unwrap(), None, "cut at {cut}");
            assert_eq!(got, whole, "cut at {cut}");
        }
        assert!(!is_truncated(&objects("[{\"a\":1}] x").unwrap_err()));
        assert!(!is_truncated(&objects("[{\"a\":1}}").unwrap_err()));
    }

    #[test]
    fn broken_json_is_refused() {
        for body in [
            "",
            "{}",
            "[",
            "[{\"a\":1}",
            "[{\"a\":1},]",
            "[{\"a\":[1}]",
            "[{\"a\":\"x}]",
            "[{\"a\":1}] x",
            "[{\"a\":1}{\"b\":2}]",
            "[,]",
            "[1]",
            "[\"s\"]",
        ] {
            assert!(objects(body).is_err(), "`{body}` is accepted");
        }
        for body in [
            "",
            "[]",
            "{\"a\"}",
            "{\"a\":}",
            "{a:1}",
            "{\"a\":1,}",
            "{\"a\":1} }",
        ] {
            assert!(keys(body).is_err(), "`{body}` is accepted");
        }
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        assert!(objects(&deep).is_err());
    }
}
