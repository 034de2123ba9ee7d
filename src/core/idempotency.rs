//! What a `client_id` was used for (contract section 6: "`client_id` makes
//! each change idempotent").
//!
//! A retry repeats the whole frame, so the same author, `client_id` and
//! change is answered with the original `ack` and applied once. A *different*
//! change under a key already used (an edit or a reaction reusing a send's id,
//! an edit of another message) is not a retry: acking it would tell the client
//! its change was stored when it was dropped. Each stored change therefore
//! keeps a fingerprint of what it asked for, and [`check_repeat`] compares.
//!
//! The fingerprint covers what the change is: its kind and target (and for a
//! reaction, which emoji and whether added). Not the text of a send or edit:
//! the contract promises "the same `client_id` again gets the same ack", and a
//! client that retries with its draft re-edited must get it. Hashed
//! with SHA-256 and cut to 128 bits (32 hex characters, a small column; a
//! collision would need two changes of the same user under the same key).
//! Changes stored before fingerprints existed have none, and a repeat of one
//! is acked as before: their content is unknown.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult, ErrorCode};
use super::protocol::ClientFrame;
use super::store::PriorChange;

/// The fingerprint of a change frame; `None` for frames that are not changes
/// (`typing`, `read`, `history`, `ping`).
pub fn fingerprint(frame: &ClientFrame) -> Option<String> {
    let parts = match frame {
        // Sends without attachments keep the fingerprint they had before
        // attachments existed.
        ClientFrame::Send { attachments, .. } if attachments.is_empty() => json!(["send"]),
        ClientFrame::Send { attachments, .. } => json!(["send", attachments]),
        ClientFrame::Edit { target, .. } => json!(["edit", target]),
        ClientFrame::Delete { target, .. } => json!(["delete", target]),
        ClientFrame::React {
            target, emoji, add, ..
        } => json!(["react", target, emoji, add]),
        _ => return None,
    };
    let digest = Sha256::digest(parts.to_string().as_bytes());
    Some(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

/// A change arrived under a key already used by `prior`: its `seq` to ack
/// again when it is the same change (or `prior` has no fingerprint), else
/// `conflict`, and nothing is stored.
pub fn check_repeat(prior: &PriorChange, fingerprint: Option<&str>) -> ApiResult<u64> {
    match (prior.fingerprint.as_deref(), fingerprint) {
        (Some(stored), Some(new)) if stored != new => Err(reused_key()),
        _ => Ok(prior.seq),
    }
}

fn reused_key() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "This client_id was already used for a different change; use a new client_id for each change.",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::protocol::parse_client_frame;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn fp(raw: &str) -> String {
        fingerprint(&parse_client_frame(raw).unwrap()).unwrap()
    }

    #[test]
    fn the_same_change_has_the_same_fingerprint_and_any_difference_another() {
        let send = fp(r#"{"type":"send","client_id":"c","text":"hi"}"#);
        assert_eq!(send.len(), 32);
        // The key itself and the field order are not part of it.
        assert_eq!(send, fp(r#"{"text":"hi","client_id":"d","type":"send"}"#));
        assert_eq!(
            send,
            fp(r#"{"type":"send","client_id":"c","text":"hi","reply_to":null}"#)
        );
        // A send's text is not part of it (the contract's retry promise).
        assert_eq!(
            send,
            fp(r#"{"type":"send","client_id":"c","text":"other"}"#)
        );
        let others = [
            r#"{"type":"edit","client_id":"c","target":1,"text":"hi"}"#,
            r#"{"type":"edit","client_id":"c","target":2,"text":"hi"}"#,
            r#"{"type":"delete","client_id":"c","target":1}"#,
            r#"{"type":"react","client_id":"c","target":1,"emoji":"👍","add":true}"#,
            r#"{"type":"react","client_id":"c","target":1,"emoji":"👍","add":false}"#,
            r#"{"type":"react","client_id":"c","target":1,"emoji":"🎉","add":true}"#,
        ];
        let mut seen = vec![send];
        for raw in others {
            let f = fp(raw);
            assert!(!seen.contains(&f), "{raw}");
            seen.push(f);
        }
        assert_eq!(
            fingerprint(&parse_client_frame(r#"{"type":"typing"}"#).unwrap()),
            None
        );
    }

    #[test]
    fn a_repeat_is_acked_only_for_the_same_change_or_an_unknown_one() {
        let prior = PriorChange {
            seq: 7,
            fingerprint: Some("aa".into()),
        };
        assert_eq!(check_repeat(&prior, Some("aa")), Ok(7));
        let e = check_repeat(&prior, Some("bb")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("client_id"), "{}", e.message);
        // Stored before fingerprints: accepted as before.
        let legacy = PriorChange {
            seq: 3,
            fingerprint: None,
        };
        assert_eq!(check_repeat(&legacy, Some("bb")), Ok(3));
    }
}
