//! The room's side of attachments (contract section 9): who may upload and
//! how often, the record of each upload, which uploads a `send` may carry,
//! and when their objects are deleted. The rules of the files themselves
//! are in [`super::attachment`].
//!
//! An upload is two calls around the bytes: [`RoomCommand::UploadCheck`]
//! before the Worker reads the body (membership and the upload rate limit,
//! so a stranger or a flood costs no 10 MiB read), and
//! [`RoomCommand::RecordUpload`] once its object is in R2.
//!
//! Decisions where the contract is silent:
//! - An unused upload is visible to its uploader only: anyone else asking
//!   for its id gets `not_found`, as for an id that never existed.
//! - A DM under a block refuses uploads as it refuses sends (`blocked`).
//! - Deleting a message forgets its uploads in the same transaction as the
//!   tombstone; their objects are deleted from R2 right after, unless another
//!   record still points at the same bytes.
//!
//! [`RoomCommand::UploadCheck`]: super::room_api::RoomCommand::UploadCheck
//! [`RoomCommand::RecordUpload`]: super::room_api::RoomCommand::RecordUpload

use std::collections::BTreeSet;

use super::attachment::{
    is_id, object_key, room_prefix, too_large, AttachmentRecord, Download, Upload,
    ATTACHMENTS_PER_MESSAGE, ATTACHMENT_MAX_BYTES, UNUSED_UPLOAD_TTL_MS,
};
use super::error::{ApiError, ApiResult, ErrorCode};
use super::rate_limit::upload_limited;
use super::room::{Effect, Room};
use super::room_api::{Answer, Reply};
use super::store::RoomStore;

fn no_attachment(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "There is no attachment {id} of yours in this room."
    ))
}

impl Room {
    /// May `actor` (a member: the caller checked) upload now? Takes a
    /// token and answers where the room's objects go.
    pub(super) fn upload_check(&mut self, actor: &str, now_ms: u64) -> ApiResult<Reply> {
        self.refuse_if_blocked()?;
        self.buckets_of(actor, now_ms)
            .take_upload(now_ms)
            .map_err(upload_limited)?;
        let state = self.state_ref()?;
        let prefix = room_prefix(&state.name, state.created_at);
        Reply::new(Answer::UploadPrefix(prefix), Vec::new())
    }

    /// Records `actor`'s upload, unused until a `send` carries it.
    pub(super) fn record_upload(
        &mut self,
        store: &mut dyn RoomStore,
        actor: &str,
        upload: Upload,
        now_ms: u64,
    ) -> ApiResult<Reply> {
        // The Worker made the id and measured the bytes.
        if !is_id(&upload.id) || store.upload(&upload.id)?.is_some() {
            return Err(ApiError::internal());
        }
        if upload.size > ATTACHMENT_MAX_BYTES as u64 {
            return Err(too_large());
        }
        let record = AttachmentRecord {
            upload,
            uploader: actor.to_string(),
            created_at: now_ms,
            message: None,
        };
        store.save_upload(&record)?;
        let expires = Effect::UploadsExpireAt {
            at_ms: now_ms.saturating_add(UNUSED_UPLOAD_TTL_MS),
        };
        let attachment = record.public(&self.state_ref()?.name);
        Reply::new(Answer::Attachment(attachment), vec![expires])
    }

    /// Where the bytes of `id` are and how to serve them, for a member.
    pub(super) fn download(
        &self,
        store: &dyn RoomStore,
        actor: &str,
        id: &str,
    ) -> ApiResult<Reply> {
        let state = self.state_ref()?;
        let record = is_id(id)
            .then(|| store.upload(id))
            .transpose()?
            .flatten()
            .filter(|r| r.message.is_some() || r.uploader == actor)
            .ok_or_else(|| ApiError::not_found("There is no such attachment in this room."))?;
        let key = object_key(&state.name, state.created_at, &record.upload.sha256);
        Reply::new(Answer::Download(Download::of(&record, key)), Vec::new())
    }

    /// The uploads a `send` by `author` names: at most 10, no repeats, each
    /// the author's own, of this room, unused.
    pub(super) fn uploads_for_send(
        &self,
        store: &dyn RoomStore,
        author: &str,
        ids: &[String],
    ) -> ApiResult<Vec<AttachmentRecord>> {
        if ids.len() > ATTACHMENTS_PER_MESSAGE {
            return Err(ApiError::bad_request(format!(
                "A message carries at most {ATTACHMENTS_PER_MESSAGE} attachments."
            )));
        }
        if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
            return Err(ApiError::bad_request("The same attachment is named twice."));
        }
        ids.iter()
            .map(|id| {
                let record = is_id(id)
                    .then(|| store.upload(id))
                    .transpose()?
                    .flatten()
                    .filter(|r| r.uploader == author)
                    .ok_or_else(|| no_attachment(id))?;
                if record.message.is_some() {
                    return Err(ApiError::new(
                        ErrorCode::Conflict,
                        format!("Attachment {id} is already in another message."),
                    ));
                }
                Ok(record)
            })
            .collect()
    }

    /// Forgets `records` and deletes the objects no record is left for.
    pub(super) fn drop_uploads(
        &self,
        store: &mut dyn RoomStore,
        records: &[AttachmentRecord],
    ) -> ApiResult<Vec<Effect>> {
        let Some(state) = self.state.as_ref() else {
            return Ok(Vec::new());
        };
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = records.iter().map(|r| r.upload.id.clone()).collect();
        store.remove_uploads(&ids)?;
        let shas: BTreeSet<&str> = records.iter().map(|r| r.upload.sha256.as_str()).collect();
        let mut keys = Vec::new();
        for sha in shas {
            if !store.sha_in_use(sha)? {
                keys.push(object_key(&state.name, state.created_at, sha));
            }
        }
        Ok(if keys.is_empty() {
            Vec::new()
        } else {
            vec![Effect::DeleteObjects { keys }]
        })
    }

    /// The alarm's part for uploads: deletes those unused for 24 hours and
    /// answers when the next one expires.
    pub fn expire_uploads(
        &mut self,
        store: &mut dyn RoomStore,
        now_ms: u64,
    ) -> ApiResult<(Vec<Effect>, Option<u64>)> {
        if self.state.is_none() {
            return Ok((Vec::new(), None));
        }
        let stale = store.stale_uploads(now_ms.saturating_sub(UNUSED_UPLOAD_TTL_MS))?;
        let effects = self.drop_uploads(store, &stale)?;
        let next = store
            .oldest_unused_upload()?
            .map(|t| t.saturating_add(UNUSED_UPLOAD_TTL_MS));
        Ok((effects, next))
    }
}
