//! `POST /api/rooms/{name}/attachments?name=` and
//! `GET /api/rooms/{name}/attachments/{id}` (contract section 9), and the R2
//! adapter of the `ATTACHMENTS` bucket.
//!
//! An upload: the room says whether the caller may upload now (membership,
//! the upload rate limit) before a byte is read, and where its objects go;
//! the body is then read with the 10 MiB cap (refused at the first chunk
//! past it, and at once for a larger `Content-Length`), measured and hashed
//! in the core, recorded by the room, and put in R2. A put that fails leaves
//! an unused record that expires in a day; the caller gets 500 and uploads
//! again.
//!
//! A download: the room answers whether the caller may have it and how it
//! is served; the bytes stream from R2 unbuffered. The room is asked even
//! for a revalidation (`If-None-Match`), so a deleted attachment is 404 then
//! too.

use worker::{Env, Headers, HttpMetadata, Request, Response};

use super::auth::Caller;
use super::http::{self, Ctx};
use super::{crypto, internal};
use crate::core::attachment::{
    declared_type, file_name, new_id, too_large, Attachment, Download, Upload,
    ATTACHMENT_MAX_BYTES, DOWNLOAD_CACHE, DOWNLOAD_CSP, ID_BYTES,
};
use crate::core::error::{ApiError, ErrorCode};
use crate::core::room_api::RoomCommand;
use crate::core::wire::RoomCall;

const BINDING: &str = "ATTACHMENTS";

#[derive(serde::Deserialize)]
struct UploadTo {
    prefix: String,
}

async fn ask<T: serde::de::DeserializeOwned>(
    env: &Env,
    room: &str,
    caller: &Caller,
    command: RoomCommand,
) -> Result<T, ApiError> {
    let call = RoomCall::Command {
        actor: caller.username.clone(),
        command,
    };
    internal::room(env, room, &call).await
}

/// `POST /api/rooms/{room}/attachments?name=`: 201 Attachment.
pub async fn upload(
    req: &mut Request,
    env: &Env,
    room: &str,
    caller: &Caller,
) -> Result<Response, ApiError> {
    let name = file_name(http::query_param(req, "name").as_deref())?;
    let declared = declared_type(req.headers().get("Content-Type").ok().flatten().as_deref());
    let to: UploadTo = ask(env, room, caller, RoomCommand::UploadCheck).await?;
    let bytes = http::read_body(req, ATTACHMENT_MAX_BYTES)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::TooLarge {
                too_large()
            } else {
                e
            }
        })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "The upload is empty: send the file's bytes as the request body.",
        ));
    }
    let mut random = [0u8; ID_BYTES];
    crypto::random_bytes(&mut random).ctx("random bytes")?;
    let upload = Upload::of_bytes(new_id(random), name, declared, &bytes);
    let key = format!("{}{}", to.prefix, upload.sha256);
    let content_type = upload.content_type.clone();
    let attachment: Attachment = ask(env, room, caller, RoomCommand::RecordUpload(upload)).await?;
    let bucket = env.bucket(BINDING).ctx("ATTACHMENTS binding")?;
    bucket
        .put(&key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(content_type),
            ..Default::default()
        })
        .execute()
        .await
        .ctx("storing an attachment")?;
    http::json(201, &attachment).ctx("a response")
}

/// `GET /api/rooms/{room}/attachments/{id}`: the bytes, or 304.
pub async fn download(
    req: &Request,
    env: &Env,
    room: &str,
    caller: &Caller,
    id: &str,
) -> Result<Response, ApiError> {
    let d: Download = ask(env, room, caller, RoomCommand::Download { id: id.into() }).await?;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).ctx("headers");
    set("Content-Type", &d.content_type)?;
    set("Content-Disposition", &d.disposition)?;
    set("ETag", &d.etag)?;
    set("Cache-Control", DOWNLOAD_CACHE)?;
    set("X-Content-Type-Options", "nosniff")?;
    set("Content-Security-Policy", DOWNLOAD_CSP)?;
    let inm = req.headers().get("If-None-Match").ok().flatten();
    let revalidated = crate::core::http_rules::etag_matches(inm.as_deref(), &d.etag);
    if revalidated {
        return Response::empty()
            .map(|r| r.with_status(304).with_headers(headers))
            .ctx("a response");
    }
    let bucket = env.bucket(BINDING).ctx("ATTACHMENTS binding")?;
    let object = bucket
        .get(&d.key)
        .execute()
        .await
        .ctx("reading an attachment")?
        // Recorded but never stored (its put failed): there is nothing.
        .ok_or_else(|| ApiError::not_found("There is no such attachment in this room."))?;
    // Handed to the runtime as R2's own stream: no byte passes through wasm.
    let body = object
        .body()
        .ctx("an attachment's body")?
        .response_body()
        .ctx("an attachment's body")?;
    Response::from_body(body)
        .map(|r| r.with_headers(headers))
        .ctx("a response")
}

/// Deletes attachment objects the room no longer records.
pub async fn delete_objects(env: &Env, keys: &[String]) -> Result<(), ApiError> {
    let bucket = env.bucket(BINDING).ctx("ATTACHMENTS binding")?;
    bucket
        .delete_multiple(keys.iter().map(String::as_str).collect())
        .await
        .ctx("deleting attachments")
}

/// Deletes every object under a deleted room's prefix, a listing page at a
/// time.
pub async fn delete_prefix(env: &Env, prefix: &str) -> Result<(), ApiError> {
    let bucket = env.bucket(BINDING).ctx("ATTACHMENTS binding")?;
    loop {
        let page = bucket
            .list()
            .prefix(prefix)
            .limit(1000)
            .execute()
            .await
            .ctx("listing a room's attachments")?;
        let keys: Vec<String> = page.objects().iter().map(|o| o.key()).collect();
        if keys.is_empty() {
            return Ok(());
        }
        delete_objects(env, &keys).await?;
        if !page.truncated() {
            return Ok(());
        }
    }
}
