//! OAuth 1.0 PLAINTEXT as MAAS checks it: the `Authorization: OAuth ...` header, parameters
//! in any order, `realm` optional, values raw or percent-encoded, signature `&TOKEN_SECRET`
//! (the consumer secret is empty).

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

/// The header's parameters, percent-decoded. None when it is not an OAuth header.
pub fn parse(header: &str) -> Option<HashMap<String, String>> {
    let rest = header.trim().strip_prefix("OAuth")?.trim_start();
    let mut params = HashMap::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=')?;
        let value = value.trim().trim_matches('"');
        let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
        params.insert(key.trim().to_string(), value);
    }
    Some(params)
}

/// True when `header` carries valid PLAINTEXT credentials for `api_key`
/// (`consumer_key:token_key:token_secret`).
pub fn authorized(header: Option<&str>, api_key: &str) -> bool {
    let mut parts = api_key.splitn(3, ':');
    let (Some(consumer), Some(token), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(params) = header.and_then(parse) else {
        return false;
    };
    let get = |k: &str| params.get(k).map(String::as_str);
    get("oauth_consumer_key") == Some(consumer)
        && get("oauth_token") == Some(token)
        && get("oauth_signature") == Some(&format!("&{secret}"))
        && get("oauth_signature_method").is_none_or(|m| m == "PLAINTEXT")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ck:tk:ts";

    #[test]
    fn accepts_any_order_realm_and_encoding() {
        for h in [
            r#"OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="ck", oauth_token="tk", oauth_signature="&ts", oauth_nonce="n", oauth_timestamp="1""#,
            r#"OAuth realm="", oauth_signature="%26ts", oauth_token="tk", oauth_consumer_key="ck", oauth_signature_method="PLAINTEXT""#,
            r#"OAuth oauth_token=tk,oauth_consumer_key=ck,oauth_signature=%26ts"#,
        ] {
            assert!(authorized(Some(h), KEY), "{h}");
        }
    }

    #[test]
    fn refuses_wrong_or_missing_credentials() {
        assert!(!authorized(None, KEY));
        assert!(!authorized(Some("Bearer x"), KEY));
        assert!(!authorized(
            Some(r#"OAuth oauth_consumer_key="ck", oauth_token="tk", oauth_signature="&bad""#),
            KEY
        ));
        assert!(!authorized(
            Some(
                r#"OAuth oauth_consumer_key="ck", oauth_token="tk", oauth_signature="&ts", oauth_signature_method="HMAC-SHA1""#
            ),
            KEY
        ));
    }
}
