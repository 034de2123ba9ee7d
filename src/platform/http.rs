//! HTTP helpers: JSON responses in the contract's shape, security headers,
//! bounded body reads and the parts of the request URL. Every response the
//! Worker returns passes through here.
//!
//! Building a `Response` only fails if the runtime itself is broken, so these
//! helpers return `worker::Result` and the entry point lets such a failure
//! surface as the runtime's own 500 instead of panicking.

use crate::core::error::{ApiError, ErrorCode};
pub use crate::core::http_rules::is_https_url;
use crate::core::http_rules::is_json_content_type;
use wasm_bindgen::prelude::*;
use worker::js_sys::{Reflect, Uint8Array};
use worker::url::form_urlencoded;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::ReadableStreamDefaultReader;
use worker::{Headers, Request, Response, Result};

/// Content-Security-Policy for everything we serve: only our own scripts,
/// styles and connections; images also from `blob:`/`data:` (avatar previews).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers every response carries, and `hsts` (the
/// `Strict-Transport-Security` value, on https only) when given. Headers of a
/// fetched response (a static asset) are immutable, so they are copied into a
/// new set; a WebSocket upgrade (101) passes through untouched.
pub fn secure(resp: Response, hsts: Option<&str>) -> Result<Response> {
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    let headers = Headers::new();
    for (name, value) in resp.headers().entries() {
        headers.set(&name, &value)?;
    }
    // A response may bring a stricter policy of its own (avatar images do).
    if !headers.has("Content-Security-Policy")? {
        headers.set("Content-Security-Policy", CSP)?;
    }
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "strict-origin-when-cross-origin")?;
    headers.set("X-Frame-Options", "DENY")?;
    if let Some(hsts) = hsts {
        headers.set("Strict-Transport-Security", hsts)?;
    }
    let status = resp.status_code();
    let (_, body) = resp.into_parts();
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .body(body))
}

/// A JSON response with the given status. Encoding our own types cannot
/// fail (string keys, no non-finite floats), so a failure is the runtime's.
pub fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Result<Response> {
    let text = serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))?;
    json_text(status, text)
}

/// A JSON response whose body is already JSON text (an object's answer,
/// passed on without decoding it again).
pub fn json_text(status: u16, text: String) -> Result<Response> {
    let mut resp = Response::ok(text)?.with_status(status);
    let headers = resp.headers_mut();
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// 204 No Content.
pub fn no_content() -> Result<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// The contract's error response: `{"error": {"code", "message"}}`, plus
/// `Retry-After` for `rate_limited`.
pub fn error(err: &ApiError) -> Result<Response> {
    let mut resp = json(err.status(), &err.to_body())?;
    if let Some(secs) = err.retry_after_secs() {
        resp.headers_mut().set("Retry-After", &secs.to_string())?;
    }
    Ok(resp)
}

/// Logs an internal failure and turns it into the generic `internal` error:
/// the detail stays in the log, the client sees a plain sentence.
pub fn internal(context: &str, detail: impl std::fmt::Display) -> ApiError {
    worker::console_error!("internal error in {context}: {detail}");
    ApiError::internal()
}

/// A failure of the platform itself (the runtime, encoding our own values,
/// randomness), never a decision a client should see. `ApiError` is not
/// one: a refusal must reach the client as it is, so `.ctx` cannot swallow it.
pub trait PlatformError: std::fmt::Display {}
impl PlatformError for worker::Error {}
impl PlatformError for serde_json::Error {}
impl PlatformError for getrandom::Error {}
impl PlatformError for String {}
impl PlatformError for &str {}

/// `.ctx("what we were doing")?`: a platform failure becomes the generic
/// `internal` error, with the detail logged under that context (see
/// [`internal`]); a missing value (`None`) likewise.
pub trait Ctx<T> {
    fn ctx(self, context: &str) -> std::result::Result<T, ApiError>;
}

impl<T, E: PlatformError> Ctx<T> for std::result::Result<T, E> {
    fn ctx(self, context: &str) -> std::result::Result<T, ApiError> {
        self.map_err(|e| internal(context, e))
    }
}

impl<T> Ctx<T> for Option<T> {
    fn ctx(self, context: &str) -> std::result::Result<T, ApiError> {
        self.ok_or_else(|| internal(context, "missing"))
    }
}

/// Reads a JSON request body: 415 unless the `Content-Type` says JSON (so a
/// cross-site form can never post one), then as [`read_body`].
pub async fn read_json_body(
    req: &mut Request,
    max: usize,
) -> std::result::Result<Vec<u8>, ApiError> {
    let content_type = req.headers().get("Content-Type").ok().flatten();
    if !is_json_content_type(content_type.as_deref()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "This endpoint takes a JSON body: send it with Content-Type: application/json.",
        ));
    }
    read_body(req, max).await
}

/// Reads a request body, refusing more than `max` bytes with 413. A declared
/// `Content-Length` over the cap is refused before anything is read; a body
/// without one (chunked) is counted chunk by chunk as it streams in, and the
/// first chunk past the cap cancels the stream, so the rest is never read.
pub async fn read_body(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("Content-Length").ok().flatten();
    if declared
        .and_then(|len| len.trim().parse::<usize>().ok())
        .is_some_and(|n| n > max)
    {
        return Err(too_large(max));
    }
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|e| internal("reading the request body", format!("{e:?}")))?;
        let done = Reflect::get(&step, &JsValue::from_str("done"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        let chunk: Uint8Array = Reflect::get(&step, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or_else(|| internal("reading the request body", "a chunk is not bytes"))?;
        let start = bytes.len();
        let len = usize::try_from(chunk.length()).unwrap_or(usize::MAX);
        if len > max - start {
            // Whatever the cancel answers, the body is refused.
            let _ = JsFuture::from(reader.cancel()).await;
            return Err(too_large(max));
        }
        bytes.resize(start + len, 0);
        chunk.copy_to(&mut bytes[start..]);
    }
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        ErrorCode::TooLarge,
        format!("The request body is larger than {} KiB.", max / 1024),
    )
}

// The request URL is read as the runtime serialized it, never through
// `Request::url()`: reparsing it with the `url` crate links its IDNA and
// Unicode tables, about a sixth of the bundle.

/// A query-string parameter of the request, decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    query_value(&req.inner().url(), name)
}

/// The first value of `name` in the query of a serialized URL, decoded as
/// `Url::query_pairs` does.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query_of(url).as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The query of a serialized URL: after the first `?`, up to the fragment
/// (a serialized path or query never holds a raw `?` or `#`).
fn query_of(url: &str) -> &str {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    url.split_once('?').map_or("", |(_, query)| query)
}

/// Whether the request came over https.
pub fn is_https(req: &Request) -> bool {
    is_https_url(&req.inner().url())
}

#[wasm_bindgen]
extern "C" {
    /// The runtime's WHATWG `URL`.
    #[wasm_bindgen(js_name = URL)]
    type JsUrl;

    #[wasm_bindgen(constructor, catch, js_class = URL)]
    fn new(url: &str) -> std::result::Result<JsUrl, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn origin(this: &JsUrl) -> String;
}

/// The request URL's origin (`scheme://host[:port]`, or `null`), from the
/// runtime's own URL parser (hosts need IDNA and IPv4 normalisation).
pub fn origin(req: &Request) -> Option<String> {
    url_origin(&req.inner().url())
}

/// The ASCII serialization of a URL's origin; `None` if it does not parse.
pub fn url_origin(url: &str) -> Option<String> {
    JsUrl::new(url).ok().map(|u| u.origin())
}

/// An optional whole-number query parameter (`before`, `since`): absent or
/// empty is `None`; anything else that is not a whole number is `bad_request`
/// with `message`.
pub fn query_u64(
    req: &Request,
    name: &str,
    message: &str,
) -> std::result::Result<Option<u64>, ApiError> {
    match query_param(req, name).as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::bad_request(message)),
    }
}
