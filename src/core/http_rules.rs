//! The Worker's HTTP-level decisions, as pure functions of header and URL
//! strings (the platform shell reads the request and applies the answer):
//! which paths are API routes, which bodies count as JSON, which sign-ins come
//! from another site, and which responses carry Strict-Transport-Security.
//!
//! Decisions where the contract is silent:
//! - `/api/` is stripped exactly once and the rest split on `/`; an empty
//!   segment (`/api//me`, `/api/me/`) names nothing, so such a path is 404
//!   like any other unknown one. Before this, `/api/api/me` and `/api/apime`
//!   were served as `/api/me`.
//! - A route that reads a JSON body wants `Content-Type: application/json`
//!   (any case; a `charset` parameter must say UTF-8), else 415: a cross-site
//!   `<form enctype="text/plain">` can send a JSON-looking body but never that
//!   type without a CORS preflight. Routes that take no body ignore the header.
//! - Register and login have no session to check the Origin of, so they check
//!   it themselves: a present `Origin` must be the app's own or listed in
//!   `ALLOWED_ORIGINS`, and `Sec-Fetch-Site: cross-site` is refused unless the
//!   Origin is one of those listed. No `Origin` and no `Sec-Fetch-Site` is a
//!   client that is not a browser (curl, an app) and is let through.
//! - HSTS goes on every response to an https request (never on http, where a
//!   browser would ignore it anyway and local development must keep working).

/// The `Strict-Transport-Security` value on https: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The route segments of an API path, or `None` when the path is not one
/// (`/api` alone, a doubled `/api/`, an empty segment).
pub fn api_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix("/api/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(segments)
}

/// Whether a `Content-Type` header says JSON: `application/json`, any case,
/// with no parameters or a UTF-8 `charset` (quoted or not).
pub fn is_json_content_type(header: Option<&str>) -> bool {
    let Some(header) = header else {
        return false;
    };
    let mut parts = header.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| {
        let param = param.trim();
        match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                let value = value.trim().trim_matches('"');
                value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8")
            }
            // Another parameter says nothing about the encoding; an empty one
            // (a trailing `;`) is harmless.
            Some(_) => true,
            None => param.is_empty(),
        }
    })
}

/// Whether `origin` is the app's own origin or one of the comma-separated
/// `allowed` list (the `ALLOWED_ORIGINS` setting).
pub fn origin_allowed(origin: &str, own: Option<&str>, allowed: &str) -> bool {
    Some(origin) == own || listed(origin, allowed)
}

fn listed(origin: &str, allowed: &str) -> bool {
    allowed
        .split(',')
        .map(str::trim)
        .any(|a| !a.is_empty() && a == origin)
}

/// Whether a register or login request may proceed, from its `Origin` and
/// `Sec-Fetch-Site` headers (see the module notes).
pub fn sign_in_allowed(
    origin: Option<&str>,
    fetch_site: Option<&str>,
    own: Option<&str>,
    allowed: &str,
) -> bool {
    if origin.is_some_and(|o| !origin_allowed(o, own, allowed)) {
        return false;
    }
    let cross_site = fetch_site.is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site"));
    !cross_site || origin.is_some_and(|o| listed(o, allowed))
}

/// Whether a serialized URL's scheme is https (schemes are case-insensitive).
pub fn is_https_url(url: &str) -> bool {
    url.get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https:"))
}

/// The `Strict-Transport-Security` header for a response to a request for
/// `url`: on https only.
pub fn strict_transport_security(url: &str) -> Option<&'static str> {
    is_https_url(url).then_some(HSTS)
}

/// Whether an `If-None-Match` header names `etag` (a list of entity tags,
/// or `*`): the client's copy is current and 304 answers it.
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|h| {
        h.split(',')
            .map(str::trim)
            .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn api_prefix_is_stripped_exactly_once() {
        assert_eq!(api_segments("/api/me"), Some(vec!["me"]));
        assert_eq!(api_segments("/api/health"), Some(vec!["health"]));
        assert_eq!(
            api_segments("/api/rooms/general/messages"),
            Some(vec!["rooms", "general", "messages"])
        );
        // A room or user may well be named "api": only the prefix is special.
        assert_eq!(api_segments("/api/rooms/api"), Some(vec!["rooms", "api"]));
        assert_eq!(api_segments("/api/api/me"), Some(vec!["api", "me"]));
        for not_a_route in [
            "/api",
            "/api/",
            "/apime",
            "/api//me",
            "/api/me/",
            "/api/rooms//x",
            "/",
            "/me",
            "",
        ] {
            assert_eq!(api_segments(not_a_route), None, "{not_a_route:?}");
        }
    }

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json; charset=\"utf-8\"",
            " application/json ",
            "application/json;",
        ] {
            assert!(is_json_content_type(Some(ok)), "{ok:?}");
        }
        for bad in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/json-seq",
            "text/json",
            "application/json; charset=latin1",
            "application/json; charset",
            "",
        ] {
            assert!(!is_json_content_type(Some(bad)), "{bad:?}");
        }
        assert!(!is_json_content_type(None));
    }

    const OWN: Option<&str> = Some("https://chat.example");

    #[test]
    fn sign_in_from_another_site_is_refused() {
        let allowed = "https://app.example, https://other.example";
        // Not a browser: no Origin, no Sec-Fetch-Site.
        assert!(sign_in_allowed(None, None, OWN, ""));
        assert!(sign_in_allowed(Some("https://chat.example"), None, OWN, ""));
        assert!(sign_in_allowed(
            Some("https://chat.example"),
            Some("same-origin"),
            OWN,
            ""
        ));
        assert!(sign_in_allowed(None, Some("none"), OWN, ""));
        assert!(sign_in_allowed(None, Some("same-origin"), OWN, ""));
        assert!(!sign_in_allowed(
            Some("https://evil.example"),
            None,
            OWN,
            ""
        ));
        assert!(!sign_in_allowed(Some("null"), None, OWN, ""));
        assert!(!sign_in_allowed(None, Some("cross-site"), OWN, ""));
        assert!(!sign_in_allowed(None, Some("Cross-Site"), OWN, ""));
        assert!(!sign_in_allowed(
            Some("https://chat.example"),
            Some("cross-site"),
            OWN,
            ""
        ));
        // An origin the operator listed may sign in from its own site.
        assert!(sign_in_allowed(
            Some("https://app.example"),
            Some("cross-site"),
            OWN,
            allowed
        ));
        assert!(!sign_in_allowed(
            Some("https://evil.example"),
            Some("cross-site"),
            OWN,
            allowed
        ));
        // The own origin is compared exactly (scheme and port included).
        assert!(!sign_in_allowed(Some("http://chat.example"), None, OWN, ""));
        assert!(!sign_in_allowed(
            Some("https://chat.example:8443"),
            None,
            OWN,
            ""
        ));
    }

    #[test]
    fn origins_allowed() {
        assert!(origin_allowed("https://chat.example", OWN, ""));
        assert!(origin_allowed(
            "https://b.example",
            OWN,
            "https://a.example,https://b.example"
        ));
        assert!(!origin_allowed("https://evil.example", OWN, ""));
        assert!(!origin_allowed("", OWN, " , "));
        assert!(!origin_allowed("https://chat.example", None, ""));
    }

    #[test]
    fn hsts_on_https_only() {
        assert_eq!(
            strict_transport_security("https://chat.example/api/me"),
            Some("max-age=31536000; includeSubDomains")
        );
        assert_eq!(
            strict_transport_security("HTTPS://chat.example/"),
            Some(HSTS)
        );
        for plain in [
            "http://127.0.0.1:8787/api/health",
            "http://chat.example/",
            "",
            "https",
        ] {
            assert_eq!(strict_transport_security(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn if_none_match_names_the_current_copy() {
        let tag = "\"abc\"";
        assert!(etag_matches(Some("\"abc\""), tag));
        assert!(etag_matches(Some("\"x\", \"abc\""), tag));
        assert!(etag_matches(Some("W/\"abc\""), tag));
        assert!(etag_matches(Some("*"), tag));
        assert!(!etag_matches(Some("\"abd\""), tag));
        assert!(!etag_matches(Some("abc"), tag));
        assert!(!etag_matches(None, tag));
    }
}
