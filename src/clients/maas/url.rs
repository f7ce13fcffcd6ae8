//! Where requests go: the API base from an operator's MAAS URL, and path segments encoded
//! so an id can never change the path.

use anyhow::{bail, Context, Result};
use percent_encoding::utf8_percent_encode;

use super::oauth::OAUTH_RESERVED;

/// `http://host:5240/MAAS` or `.../MAAS/` (or already `.../api/2.0/`) → `.../MAAS/api/2.0/`.
pub fn api_base(url: &str) -> Result<reqwest::Url> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        bail!("the MAAS URL is empty; set `MAAS_URL` or site `maas.url` (e.g. `http://maas:5240/MAAS`)");
    }
    let base = if trimmed.ends_with("/api/2.0") {
        format!("{trimmed}/")
    } else {
        format!("{trimmed}/api/2.0/")
    };
    let parsed = reqwest::Url::parse(&base).with_context(|| {
        format!("the MAAS URL `{url}` is not a URL; expected e.g. `http://maas:5240/MAAS`")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("the MAAS URL `{url}` must start with `http://` or `https://`");
    }
    Ok(parsed)
}

/// One path segment (a system id), percent-encoded.
pub(super) fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, OAUTH_RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_joining() {
        for url in [
            "http://10.0.0.2:5240/MAAS",
            "http://10.0.0.2:5240/MAAS/",
            "http://10.0.0.2:5240/MAAS/api/2.0",
            "http://10.0.0.2:5240/MAAS/api/2.0/",
        ] {
            assert_eq!(
                api_base(url).unwrap().as_str(),
                "http://10.0.0.2:5240/MAAS/api/2.0/",
                "{url}"
            );
        }
        assert!(format!("{:#}", api_base("").unwrap_err()).contains("MAAS_URL"));
        assert!(format!("{:#}", api_base("maas:5240").unwrap_err()).contains("http"));
        assert!(api_base("not a url").is_err());
    }
}
