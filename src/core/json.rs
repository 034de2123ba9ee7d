//! Turning a request body into a typed request, with the contract's errors.
//!
//! Every JSON endpoint goes through [`parse_json`], so they all agree: a body
//! over 64 KiB is `too_large`; anything that is not exactly the expected shape
//! (invalid JSON, not an object, a wrong type, an unknown field when the type denies them, a
//! missing field) is `bad_request` with a message saying what was wrong.

use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult, ErrorCode};
use super::validate::BODY_MAX_BYTES;

/// Parses a JSON request body into `T`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.len() > BODY_MAX_BYTES {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            "Request bodies are at most 64 KiB.",
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "The request body is empty: send a JSON object.",
        ));
    }
    // Through `Value` first: serde would otherwise also accept a JSON array
    // for a struct (`["alice", "pw"]` as a login), which no client means.
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("The request body is not valid JSON."))?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    // serde's own wording names the field and the problem, e.g.
    // "unknown field `foo`, expected one of `username`, `password`".
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("The request body is invalid: {e}.")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Req {
        name: String,
        n: Option<u32>,
    }

    #[test]
    fn parses_the_expected_shape() {
        let r: Req = parse_json(br#"{"name": "x"}"#).unwrap();
        assert_eq!(
            r,
            Req {
                name: "x".into(),
                n: None
            }
        );
    }

    #[test]
    fn bad_bodies_are_bad_requests_with_readable_messages() {
        let cases: [(&[u8], &str); 10] = [
            (b"[]", "JSON object"),
            (br#"["x", 1]"#, "JSON object"),
            (b"null", "JSON object"),
            (b"", "empty"),
            (b"{", "not valid JSON"),
            (b"not json", "not valid JSON"),
            (br#"{"name": "x"} trailing"#, "not valid JSON"),
            (br#"{"name": 5}"#, "invalid type"),
            (br#"{"name": "x", "admin": true}"#, "unknown field `admin`"),
            (br#"{"n": 1}"#, "missing field `name`"),
        ];
        for (body, needle) in cases {
            let e = parse_json::<Req>(body).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadRequest);
            assert!(e.message.contains(needle), "{} lacks {needle}", e.message);
        }
        // A number outside its type's range is refused, not clamped.
        let e = parse_json::<Req>(br#"{"name": "x", "n": -1}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest);
    }

    #[test]
    fn oversize_bodies_are_413() {
        let mut body = br#"{"name": ""#.to_vec();
        body.resize(BODY_MAX_BYTES + 1, b'a');
        let e = parse_json::<Req>(&body).unwrap_err();
        assert_eq!((e.code, e.status()), (ErrorCode::TooLarge, 413));
    }
}
