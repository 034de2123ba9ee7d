//! The R2 adapter for avatar images: content-addressed objects (the key is the
//! SHA-256 of the bytes, so identical uploads share one object and a versioned
//! URL can be cached forever), and the response rules of contract section 3.

use super::http::{self, Ctx};
use crate::core::avatar::{self, AVATAR_CSP, SVG_CONTENT_TYPE};
use crate::core::error::ApiError;
use crate::core::profile::{AvatarRef, ProfileRecord};
use worker::{Env, Headers, HttpMetadata, Request, Response};

const BINDING: &str = "AVATARS";

/// Stores uploaded bytes under their content key.
pub async fn store(env: &Env, avatar: &AvatarRef, bytes: Vec<u8>) -> Result<(), ApiError> {
    let bucket = env.bucket(BINDING).ctx("AVATARS binding")?;
    bucket
        .put(&avatar.key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(avatar.content_type.clone()),
            ..Default::default()
        })
        .execute()
        .await
        .ctx("storing an avatar")?;
    Ok(())
}

/// Answers `GET /api/users/{username}/avatar` for a known user: the uploaded
/// image from R2, or the generated default. `?v=` naming the current version
/// makes the answer immutable for a year; anything else is revalidated.
pub async fn serve(env: &Env, req: &Request, record: &ProfileRecord) -> Result<Response, ApiError> {
    let requested = http::query_param(req, "v");
    let current = record.avatar_version();
    let cache = avatar::cache_control(requested.as_deref(), &current);
    let (bytes, content_type, etag) = match &record.avatar {
        Some(a) => {
            let bucket = env.bucket(BINDING).ctx("AVATARS binding")?;
            let object = bucket
                .get(&a.key)
                .execute()
                .await
                .ctx("reading an avatar")?
                .ok_or_else(|| http::internal("reading an avatar", format!("missing {}", a.key)))?;
            let body = object
                .body()
                .ok_or_else(|| http::internal("reading an avatar", "no body"))?;
            let bytes = body.bytes().await.ctx("reading an avatar")?;
            (bytes, a.content_type.clone(), a.etag.clone())
        }
        None => {
            let d = record.default_avatar();
            (d.svg.into_bytes(), SVG_CONTENT_TYPE.to_string(), d.etag)
        }
    };
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).ctx("headers");
    set("Content-Type", &content_type)?;
    set("Cache-Control", cache)?;
    set("ETag", &etag)?;
    set("X-Content-Type-Options", "nosniff")?;
    set("Content-Security-Policy", AVATAR_CSP)?;
    let inm = req.headers().get("If-None-Match").ok().flatten();
    let not_modified = crate::core::http_rules::etag_matches(inm.as_deref(), &etag);
    let resp = if not_modified {
        Response::empty().map(|r| r.with_status(304))
    } else {
        Response::from_bytes(bytes)
    };
    resp.map(|r| r.with_headers(headers)).ctx("avatar response")
}
