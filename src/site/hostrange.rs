//! Hostname ranges in `site.targets`: `node[00000-00999]` names a thousand nodes
//! (`node00000` … `node00999`) where listing them would make a site file or a `--set`
//! unreadable. The range is expanded once, when the site is loaded, so everything after it
//! (detection, the guards) sees plain hostnames (teardown.md §2).

use anyhow::{bail, Result};

/// The most hostnames one range may name.
pub const MAX_RANGE: usize = 100_000;

/// Every entry of `targets` with its range (if any) expanded, in order.
pub fn expand_all(targets: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        out.extend(expand(t)?);
    }
    Ok(out)
}

/// `prefix[A-B]suffix` → `prefixA` … `prefixB` (each number as wide as `A`); a name without
/// brackets is itself.
pub fn expand(entry: &str) -> Result<Vec<String>> {
    let Some((prefix, rest)) = entry.split_once('[') else {
        if entry.contains(']') {
            bail!("target `{entry}` has `]` without `[`");
        }
        return Ok(vec![entry.to_string()]);
    };
    let hint =
        "write a range as `node[00000-00999]`: two whole numbers, the first not above the second";
    let Some((range, suffix)) = rest.split_once(']') else {
        bail!("target `{entry}` opens `[` without closing it\nhint: {hint}");
    };
    if suffix.contains('[') || suffix.contains(']') {
        bail!("target `{entry}` has more than one range\nhint: {hint}");
    }
    let Some((from, to)) = range.split_once('-') else {
        bail!("target `{entry}`: `[{range}]` is not a range\nhint: {hint}");
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(from) || !digits(to) {
        bail!("target `{entry}`: `[{range}]` is not a range of whole numbers\nhint: {hint}");
    }
    let (a, b): (usize, usize) = (from.parse()?, to.parse()?);
    if a > b {
        bail!("target `{entry}`: the range runs backwards ({a} > {b})\nhint: {hint}");
    }
    if b - a >= MAX_RANGE {
        bail!(
            "target `{entry}` names {} hosts; one range may name at most {MAX_RANGE}",
            b - a + 1
        );
    }
    let width = from.len();
    Ok((a..=b)
        .map(|n| format!("{prefix}{n:0width$}{suffix}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_expands_padded_to_the_width_of_its_start() {
        assert_eq!(
            expand("node[0008-0011]").unwrap(),
            ["node0008", "node0009", "node0010", "node0011"]
        );
        assert_eq!(
            expand("r[8-10].dc1").unwrap(),
            ["r8.dc1", "r9.dc1", "r10.dc1"]
        );
        assert_eq!(expand("node[00000-00999]").unwrap().len(), 1000);
        assert_eq!(expand("openstack0").unwrap(), ["openstack0"]);
    }

    #[test]
    fn lists_keep_their_order() {
        let list = ["capi-mgmt".to_string(), "openstack[0-2]".to_string()];
        assert_eq!(
            expand_all(&list).unwrap(),
            ["capi-mgmt", "openstack0", "openstack1", "openstack2"]
        );
    }

    #[test]
    fn malformed_ranges_are_errors_naming_the_entry() {
        for bad in [
            "node[1-",
            "node[a-b]",
            "node[5-1]",
            "node[1]",
            "node]",
            "n[1-2]x[3-4]",
            "n[-1]",
            "n[0-999999]",
        ] {
            let e = expand(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
    }
}
