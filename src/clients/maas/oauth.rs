//! OAuth 1.0 PLAINTEXT for the MAAS API: the API key's three parts, kept only here (its
//! `Debug` is redacted), and the `Authorization` header made fresh for each request.

use std::fmt;

use anyhow::{bail, Result};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The three parts of a MAAS API key. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    consumer_key: String,
    token_key: String,
    token_secret: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    pub fn parse(key: &str) -> Result<ApiKey> {
        let parts: Vec<&str> = key.trim().split(':').collect();
        match parts.as_slice() {
            [ck, tk, ts] if !ck.is_empty() && !tk.is_empty() && !ts.is_empty() => Ok(ApiKey {
                consumer_key: ck.to_string(),
                token_key: tk.to_string(),
                token_secret: ts.to_string(),
            }),
            _ => bail!(
                "the MAAS API key is not `consumer_key:token_key:token_secret` ({} part(s) separated by `:`); \
                 copy it from `maas apikey --username USER` into `MAAS_API_KEY` or site `maas.api_key_file`",
                parts.len()
            ),
        }
    }

    /// The `Authorization` header value for one request (OAuth 1.0 PLAINTEXT, empty consumer
    /// secret, so the signature is `&` + token secret).
    pub fn header(&self, nonce: &str, timestamp: u64) -> String {
        format!(
            "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", \
             oauth_consumer_key=\"{}\", oauth_token=\"{}\", oauth_signature=\"&{}\", \
             oauth_nonce=\"{}\", oauth_timestamp=\"{timestamp}\"",
            oauth_encode(&self.consumer_key),
            oauth_encode(&self.token_key),
            oauth_encode(&self.token_secret),
            oauth_encode(nonce),
        )
    }

    /// Remove every part of the key from `text` (defence in depth for error messages).
    pub(super) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.token_secret, &self.token_key, &self.consumer_key] {
            if secret.len() >= 4 {
                out = out.replace(secret.as_str(), "<redacted>");
            }
        }
        out
    }
}

/// RFC 5849 §3.6: everything but unreserved characters is percent-encoded.
pub(super) const OAUTH_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn oauth_encode(s: &str) -> String {
    utf8_percent_encode(s, OAUTH_RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clients::maas::mock::KEY;
    use crate::clients::maas::{MaasClient, MaasConfig};

    #[test]
    fn oauth_header_is_plaintext_with_fresh_values() {
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(
            key.header("abc", 1700000000),
            r#"OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="ckey1234", oauth_token="tkey5678", oauth_signature="&tsecret90", oauth_nonce="abc", oauth_timestamp="1700000000""#
        );
        let odd = ApiKey::parse("c k:t&k:s/s").unwrap();
        assert!(odd.header("n", 1).contains(
            r#"oauth_consumer_key="c%20k", oauth_token="t%26k", oauth_signature="&s%2Fs""#
        ));
    }

    #[test]
    fn api_key_errors_and_debug_never_show_the_key() {
        for bad in ["", "a:b", "a:b:c:d", "a::c"] {
            let e = format!("{:#}", ApiKey::parse(bad).unwrap_err());
            assert!(e.contains("consumer_key:token_key:token_secret"), "{e}");
        }
        let e = format!("{:#}", ApiKey::parse("secretA:secretB").unwrap_err());
        assert!(!e.contains("secretA"), "{e}");
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        let config = MaasConfig {
            url: "http://m/MAAS".into(),
            api_key: KEY.into(),
            ca_file: None,
            ca_pem: None,
            concurrency: 1,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        };
        assert!(!format!("{config:?}").contains("tsecret90"));
        assert!(!format!("{:?}", MaasClient::new(config).unwrap()).contains("tsecret90"));
        assert_eq!(key.redact("x tsecret90 y"), "x <redacted> y");
    }
}
