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
//! The quotes, backslashes and brackets are found 64 bytes at a time ([`Marks`]: SSE2 on
//! x86-64), so a skipped value costs a few instructions per such byte rather than per byte.
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
pub struct Truncated(pub usize);

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

/// Why a walk stopped inside a value: the bytes ended there (more may come), or they are
/// not JSON (or the caller refused a member). Not an `anyhow::Error` until it leaves: a
/// walk over a body still arriving stops short once per chunk, and an `anyhow::Error`
/// captures a backtrace when `RUST_BACKTRACE` is set (about 0.1 M instructions each).
enum Stop {
    Short(usize),
    Bad(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Stop {
        Stop::Bad(e)
    }
}

impl From<Stop> for anyhow::Error {
    fn from(stop: Stop) -> anyhow::Error {
        match stop {
            Stop::Short(at) => Truncated(at).into(),
            Stop::Bad(e) => e,
        }
    }
}

type Walk<T> = std::result::Result<T, Stop>;

/// `bail!` for a walk: the bytes are not JSON.
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err(Stop::Bad(anyhow::anyhow!($($arg)*)))
    };
}

/// The byte at `i`, or [`Stop::Short`] past the end.
fn byte(b: &[u8], i: usize) -> Walk<u8> {
    match b.get(i) {
        Some(&c) => Ok(c),
        None => Err(Stop::Short(i)),
    }
}

/// What [`Objects::next_object`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// An object, its members handed over.
    Object,
    /// The end of the array (and nothing but whitespace after it).
    End,
    /// The bytes end inside the next element: resume at [`Objects::position`] once more
    /// are in.
    Short,
}

/// A walk over a JSON array of objects, one object at a time, without building them.
pub struct Objects<'a> {
    skim: Skim<'a>,
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
        let mut walk = Objects::resume(body, skip_ws(body, at + 1));
        if body.get(walk.at) == Some(&b']') {
            walk.end(walk.at + 1)?;
        }
        Ok(walk)
    }

    /// Goes on at byte `at` of `body` (a [`Objects::position`] on an earlier, shorter copy
    /// of the same bytes).
    pub fn resume(body: &'a [u8], at: usize) -> Objects<'a> {
        Objects {
            skim: Skim::new(body),
            at,
            ended: false,
        }
    }

    /// Where the next element starts: resume there after [`Next::Short`]. Once the array
    /// has ended, one past its `]`.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Hands each member of the next element (an object) to `member(key, value)`.
    pub fn next_object(
        &mut self,
        member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
    ) -> Result<Next> {
        if self.ended {
            return Ok(Next::End);
        }
        match self.element(member) {
            Ok(next) => Ok(next),
            Err(Stop::Short(_)) => Ok(Next::Short),
            Err(Stop::Bad(e)) => Err(e),
        }
    }

    fn element(&mut self, member: impl FnMut(&[u8], &'a [u8]) -> Result<()>) -> Walk<Next> {
        let body = self.skim.body;
        // Whitespace again: the bytes may have ended inside it when the walk was resumed.
        let end = self.skim.object_at(skip_ws(body, self.at), member)?;
        let i = skip_ws(body, end);
        match byte(body, i)? {
            b',' => self.at = skip_ws(body, i + 1),
            b']' => self.end(i + 1)?,
            _ => refuse!("expected `,` or `]` in the array at byte {i}"),
        }
        Ok(Next::Object)
    }

    fn end(&mut self, i: usize) -> Result<()> {
        self.ended = true;
        self.at = i;
        end_of_body(self.skim.body, i)
    }
}

/// Calls `member(key, value)` for each member of the JSON object `body`, in order: `key`
/// as its bytes (unescaped), `value` as the bytes of the member's value, for serde_json to
/// parse when it is wanted.
pub fn members<'a>(
    body: &'a [u8],
    member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    let end = Skim::new(body).object_at(skip_ws(body, 0), member)?;
    end_of_body(body, end)
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

/// The bytes being walked and the [`Marks`] of the block the walk is in.
struct Skim<'a> {
    body: &'a [u8],
    marks: Marks,
}

impl<'a> Skim<'a> {
    fn new(body: &'a [u8]) -> Skim<'a> {
        Skim {
            body,
            marks: Marks::NONE,
        }
    }

    /// Walks the object starting at `i`; returns one past its closing `}`.
    fn object_at(
        &mut self,
        mut i: usize,
        mut member: impl FnMut(&[u8], &'a [u8]) -> Result<()>,
    ) -> Walk<usize> {
        let body = self.body;
        if byte(body, i)? != b'{' {
            refuse!("expected a JSON object at byte {i}");
        }
        i = skip_ws(body, i + 1);
        if byte(body, i)? == b'}' {
            return Ok(i + 1);
        }
        loop {
            if byte(body, i)? != b'"' {
                refuse!("expected a member name at byte {i}");
            }
            let (key_end, escaped) = self.string_at(i)?;
            let raw_key = &body[i + 1..key_end - 1];
            let decoded;
            let key = if escaped {
                decoded = serde_json::from_slice::<String>(&body[i..key_end])
                    .map_err(anyhow::Error::from)?;
                decoded.as_bytes()
            } else {
                raw_key
            };
            i = skip_ws(body, key_end);
            if byte(body, i)? != b':' {
                refuse!("expected `:` after a member name at byte {i}");
            }
            i = skip_ws(body, i + 1);
            let end = self.skip_value(i)?;
            member(key, &body[i..end])?;
            i = skip_ws(body, end);
            match byte(body, i)? {
                b',' => i = skip_ws(body, i + 1),
                b'}' => return Ok(i + 1),
                _ => refuse!("expected `,` or `}}` after a member at byte {i}"),
            }
        }
    }

    /// Where the value starting at `i` ends (one past its last byte).
    fn skip_value(&mut self, i: usize) -> Walk<usize> {
        let b = self.body;
        match byte(b, i)? {
            b'"' => Ok(self.string_at(i)?.0),
            b'{' | b'[' => self.skip_nested(i),
            _ => {
                let mut j = i;
                while j < b.len() && !is_delimiter(b[j]) {
                    j += 1;
                }
                if j == i {
                    refuse!("expected a JSON value at byte {i}");
                }
                // A number or literal runs up to what follows it: at the end of the bytes
                // it may go on in bytes still to come (a member's value is never last in an
                // object).
                byte(b, j)?;
                Ok(j)
            }
        }
    }

    /// `i` is at an opening quote; returns one past the closing quote, and whether the
    /// string has a backslash (an escape) in it.
    #[inline]
    fn string_at(&mut self, i: usize) -> Walk<(usize, bool)> {
        let (mut escaped_in, mut slashes) = (0, 0);
        let mut from = i + 1;
        loop {
            let (start, block) = self.marks.block(self.body, from)?;
            let after = u64::MAX << (from - start);
            let (escaped, carry) = escapes(block.slashes & after, escaped_in);
            let quotes = block.quotes & after & !escaped;
            if quotes != 0 {
                let end = quotes.trailing_zeros();
                slashes |= block.slashes & after & !(u64::MAX << end);
                return Ok((start + end as usize + 1, slashes != 0));
            }
            slashes |= block.slashes & after;
            escaped_in = carry;
            from = start + 64;
        }
    }

    /// `i` is at `{` or `[`; returns one past the bracket that closes it.
    fn skip_nested(&mut self, i: usize) -> Walk<usize> {
        // One bit per open level, 1 for an object: the closing bracket must match it.
        let mut open: u128 = 0;
        let mut depth = 0u32;
        let (mut escaped_in, mut in_string) = (0, 0);
        let mut from = i;
        loop {
            let (start, block) = self.marks.block(self.body, from)?;
            let after = u64::MAX << (from - start);
            let (escaped, carry) = escapes(block.slashes & after, escaped_in);
            escaped_in = carry;
            // Each byte from an opening quote up to its closing one: inside a string.
            let strings = prefix_xor(block.quotes & after & !escaped) ^ in_string;
            in_string = ((strings as i64) >> 63) as u64;
            let stray = block.slashes & after & !strings;
            let mut brackets = block.brackets & after & !strings;
            while brackets != 0 {
                let bit = brackets.trailing_zeros();
                brackets &= brackets - 1;
                let k = start + bit as usize;
                let c = self.body[k];
                if c == b'{' || c == b'[' {
                    if depth == MAX_DEPTH {
                        refuse!("the JSON nests deeper than {MAX_DEPTH} levels at byte {k}");
                    }
                    open = (open << 1) | u128::from(c == b'{');
                    depth += 1;
                    continue;
                }
                if (open & 1 == 1) != (c == b'}') {
                    refuse!("mismatched `{}` at byte {k}", c as char);
                }
                open >>= 1;
                depth -= 1;
                if depth == 0 {
                    no_stray(stray & !(u64::MAX << bit), start)?;
                    return Ok(k + 1);
                }
            }
            no_stray(stray, start)?;
            from = start + 64;
        }
    }
}

/// A backslash outside a string (at a bit of `stray`) is not JSON.
fn no_stray(stray: u64, start: usize) -> Walk<()> {
    if stray != 0 {
        let at = start + stray.trailing_zeros() as usize;
        refuse!("a backslash outside a string at byte {at}");
    }
    Ok(())
}

/// The bytes of a block that a backslash escapes: `slashes` are its backslashes, `carry`
/// (0 or 1) whether its first byte is escaped by the block before. Returns them and the
/// carry for the next block.
fn escapes(slashes: u64, carry: u64) -> (u64, u64) {
    if slashes == 0 {
        return (carry, 0);
    }
    let mut escaped = carry;
    // An escaped backslash escapes nothing.
    let mut rest = slashes & !carry;
    let mut out = 0;
    while rest != 0 {
        let bit = rest.trailing_zeros();
        if bit == 63 {
            out = 1;
        } else {
            escaped |= 1 << (bit + 1);
        }
        rest &= rest - 1;
        rest &= !escaped;
    }
    (escaped, out)
}

/// Bit `n` of the result is the parity of bits `0..=n` of `x`: between quotes, ones.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b',' | b'}' | b']' | b'{' | b'[' | b':' | b'"' | b' ' | b'\n' | b'\r' | b'\t'
    )
}

/// One 64-byte block of the body as bit masks, bit `n` for its byte `n`: a skip goes from
/// one marked byte to the next, or past the whole block, instead of looking at each byte.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Block {
    quotes: u64,
    slashes: u64,
    /// `{`, `}`, `[` and `]`.
    brackets: u64,
}

/// The [`Block`] last read (the walk mostly moves forward, a block at a time).
struct Marks {
    /// Its first byte, a multiple of 64; `usize::MAX` before one is read.
    start: usize,
    block: Block,
}

impl Marks {
    const NONE: Marks = Marks {
        start: usize::MAX,
        block: Block {
            quotes: 0,
            slashes: 0,
            brackets: 0,
        },
    };

    /// The block of `body` that byte `i` is in, and where it starts; [`Stop::Short`] past the
    /// end of the bytes. Bytes past the end in the last block are not marked.
    #[inline]
    fn block(&mut self, body: &[u8], i: usize) -> Walk<(usize, Block)> {
        let start = i & !63;
        if start != self.start {
            if i >= body.len() {
                return Err(Stop::Short(body.len()));
            }
            self.read(body, start);
        }
        Ok((start, self.block))
    }

    fn read(&mut self, body: &[u8], start: usize) {
        self.start = start;
        self.block = match body.get(start..start + 64) {
            Some(whole) => marks(whole),
            None => {
                let rest = &body[start..];
                let mut tail = [0u8; 64];
                tail[..rest.len()].copy_from_slice(rest);
                marks(&tail)
            }
        };
    }
}

/// Quotes, backslashes and brackets of 64 bytes, 16 at a time.
#[cfg(target_arch = "x86_64")]
fn marks(block: &[u8]) -> Block {
    // SAFETY: SSE2 is part of every x86-64.
    unsafe { marks_sse2(block) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn marks_sse2(block: &[u8]) -> Block {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let slash = _mm_set1_epi8(b'\\' as i8);
    // `[` and `]` are `{` and `}` with bit 5 clear: set it and compare with those two.
    let bit5 = _mm_set1_epi8(0x20);
    let (open, close) = (_mm_set1_epi8(b'{' as i8), _mm_set1_epi8(b'}' as i8));
    let (mut quotes, mut slashes, mut brackets) = (0, 0, 0);
    for (n, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: `lane` is 16 bytes long; an unaligned load reads exactly those.
        let v = unsafe { _mm_loadu_si128(lane.as_ptr().cast::<__m128i>()) };
        let folded = _mm_or_si128(v, bit5);
        let shift = 16 * n;
        quotes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u16) << shift;
        slashes |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, slash)) as u16) << shift;
        let either = _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close));
        brackets |= u64::from(_mm_movemask_epi8(either) as u16) << shift;
    }
    Block {
        quotes,
        slashes,
        brackets,
    }
}

/// Quotes, backslashes and brackets of 64 bytes, one at a time.
#[cfg(not(target_arch = "x86_64"))]
fn marks(block: &[u8]) -> Block {
    marks_bytewise(block)
}

#[cfg(any(test, not(target_arch = "x86_64")))]
fn marks_bytewise(block: &[u8]) -> Block {
    let (mut quotes, mut slashes, mut brackets) = (0, 0, 0);
    for (n, &c) in block.iter().enumerate() {
        quotes |= u64::from(c == b'"') << n;
        slashes |= u64::from(c == b'\\') << n;
        brackets |= u64::from(matches!(c, b'{' | b'}' | b'[' | b']')) << n;
    }
    Block {
        quotes,
        slashes,
        brackets,
    }
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

    /// Values a skim must end exactly: escaped quotes and backslashes (runs of them before
    /// a quote), quotes and brackets inside strings, nesting, unicode escapes, escaped keys.
    const TRICKY: &str = r#"{"plain":"x","quote":"a\"b","slash":"a\\","slashes":"\\\\\"\\\\","run":"\\\\\\\"]}","brackets":"]}[{","nested":{"a":[1,[2,{"b":"]\""}],[]],"c":{}},"unicode":"\u0022\u005c\ud83d\ude00 é🦀","k\"ey\u005f":[{"x":"\\"},"}"],"long":"0123456789012345678901234567890123456789012345678901234567890123456789\"0123456789\\","deep":[[[[[[{"a":[[["\""]]]}]]]]]],"n":-1.5e3,"t":true,"f":false,"z":null,"e":""}"#;

    #[test]
    fn skimmed_values_are_what_serde_parses_at_every_block_offset() {
        let whole: serde_json::Value = serde_json::from_str(TRICKY).unwrap();
        assert_eq!(whole["k\"ey_"][1], "}", "the escaped key is decoded");
        // Padding moves every quote, backslash and bracket across the 64-byte blocks.
        for pad in 0..=130 {
            let body = format!("{}{TRICKY}", " ".repeat(pad));
            let mut got = serde_json::Map::new();
            members(body.as_bytes(), |k, v| {
                // A value cut short or running on is not JSON on its own.
                let v: serde_json::Value = serde_json::from_slice(v)?;
                got.insert(String::from_utf8(k.to_vec())?, v);
                Ok(())
            })
            .unwrap();
            assert_eq!(serde_json::Value::Object(got), whole, "padded by {pad}");
        }
    }

    #[test]
    fn blocks_are_marked_as_byte_by_byte() {
        // Every byte value at every position of a block, among the marked ones.
        let mut block = [0u8; 64];
        for c in 0..=255u8 {
            for n in 0..64 {
                block[n] = c;
                block[(n + 17) % 64] = b"\"\\{}[]"[n % 6];
                assert_eq!(marks(&block), marks_bytewise(&block), "byte {c} at {n}");
                block = [0u8; 64];
            }
        }
    }

    fn objects(body: &str) -> Result<Vec<Vec<String>>> {
        let mut walk = Objects::new(body.as_bytes())?;
        let mut out = Vec::new();
        loop {
            let mut keys = Vec::new();
            let next = walk.next_object(|k, v| {
                keys.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                ));
                Ok(())
            })?;
            match next {
                Next::Object => out.push(keys),
                Next::End => return Ok(out),
                Next::Short => bail!(Truncated(body.len())),
            }
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
                Ok(Next::Object) => got.push(keys),
                Ok(Next::End) => return Ok(None),
                Ok(Next::Short) => return Ok(Some(walk.position())),
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
        // The same for the tricky values, a cut falling on each byte of each block.
        for pad in [0, 1, 7, 33, 63] {
            let body = format!("{}[{TRICKY}, {TRICKY}]", " ".repeat(pad));
            let body = body.as_bytes();
            let mut whole = Vec::new();
            assert_eq!(walk_from(body, None, &mut whole).unwrap(), None);
            assert_eq!(whole.len(), 2);
            for cut in 0..body.len() {
                let mut got = Vec::new();
                let at = match walk_from(&body[..cut], None, &mut got) {
                    Ok(Some(at)) => Some(at),
                    Err(e) if is_truncated(&e) => None,
                    other => panic!("pad {pad}, cut at {cut}: {other:?}"),
                };
                assert_eq!(walk_from(body, at, &mut got).unwrap(), None);
                assert_eq!(got, whole, "pad {pad}, cut at {cut}");
            }
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
            // A backslash outside a string, in a skipped value.
            "[{\"a\":[\\]}]",
            "[{\"a\":[1,\\\"x\"]}]",
            "[{\"a\":{\"b\":\"c\"\\}}]",
            // Strings and nesting left open.
            "[{\"a\":\"x\\\"}]",
            "[{\"a\":[{\"b\":\"]}]\"}]",
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
