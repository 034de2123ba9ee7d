//! Direct messages (contract section 8): the rules a DM follows that a room
//! does not, kept apart from the room machinery they plug into.
//!
//! A DM is a room of exactly two members, both `member`, with no owner,
//! always private, never listed. Its name is derived from the pair, so both
//! people (and two requests racing to start it) reach the same room object,
//! and that one object decides whether the DM is created or already there.
//!
//! Blocks live with the accounts (the list a person manages); each change
//! is also told to the pair's DM room as a [`BlockMark`], because the room is
//! where a `send` is refused and it must not ask two accounts per message.
//! Marks carry the blocker account's revision, so a late or repeated mark
//! never undoes a newer one, and the room keeps them even before the DM
//! exists (a block can race the DM's creation).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{ApiError, ErrorCode};
use super::validate;

/// Every DM's name starts with this; `POST /api/rooms` refuses it.
pub const DM_PREFIX: &str = "dm-";

/// Hex digits after the prefix: 96 bits of the pair's hash, so names never
/// collide in practice, within the 32 characters a room name may have.
const DM_HASH_HEX: usize = 24;

/// The most people one account may block: the list is one stored value.
pub const BLOCKS_MAX: usize = 1000;

/// The DM room of two (already lowercased) usernames, the same whichever of
/// them asks.
pub fn dm_name(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    // Usernames cannot contain a newline, so the pair is unambiguous.
    let digest = Sha256::digest(format!("dm\n{first}\n{second}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{DM_PREFIX}{}", hex.get(..DM_HASH_HEX).unwrap_or(&hex))
}

/// Whether a room name is in the DM namespace.
pub fn is_dm_name(name: &str) -> bool {
    name.starts_with(DM_PREFIX)
}

/// One account's block of one other person, as the DM room records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockMark {
    pub blocked: bool,
    /// The blocker account's block revision when this was true.
    pub rev: u64,
}

impl BlockMark {
    /// Whether `self` should replace `held`: only a newer revision does.
    pub fn supersedes(&self, held: Option<&BlockMark>) -> bool {
        held.is_none_or(|h| self.rev > h.rev)
    }
}

/// The other person of a DM or a block, from a request: a valid username
/// (lowercased) that is not the caller's.
pub fn other_person(caller: &str, raw: &str) -> Result<String, ApiError> {
    let user = validate::username(raw)?;
    if user == caller {
        return Err(with_yourself());
    }
    Ok(user)
}

/// `POST /api/dms` before the room is asked: `theirs` is the other
/// account's block of the caller (`None`: no such account), `mine` the
/// caller's of them.
pub fn may_open(user: &str, mine: BlockMark, theirs: Option<BlockMark>) -> Result<(), ApiError> {
    let theirs = theirs.ok_or_else(|| no_such_user(user))?;
    if mine.blocked || theirs.blocked {
        return Err(blocked());
    }
    Ok(())
}

/// `404 not_found` for a DM or block of nobody.
pub fn no_such_user(user: &str) -> ApiError {
    ApiError::not_found(format!("There is no user named {user}."))
}

/// `403 blocked`, for `POST /api/dms` and sends in a blocked DM.
pub fn blocked() -> ApiError {
    ApiError::new(
        ErrorCode::Blocked,
        "One of you has blocked the other, so you cannot message each other.",
    )
}

/// `400 bad_request` for a DM with, or a block of, oneself.
pub fn with_yourself() -> ApiError {
    ApiError::bad_request("That is you: you cannot message or block yourself.")
}

/// `400 bad_request` for `POST /api/rooms` in the DM namespace.
pub fn reserved_name() -> ApiError {
    ApiError::bad_request(format!(
        "Room names starting with {DM_PREFIX} are reserved for direct messages."
    ))
}

/// `403 forbidden` for room administration on a DM.
pub fn no_administration() -> ApiError {
    ApiError::forbidden("A direct message has no administration.")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn both_people_get_the_same_valid_room_name() {
        let name = dm_name("alice", "bob");
        assert_eq!(name, dm_name("bob", "alice"));
        assert!(is_dm_name(&name));
        assert_eq!(name.len(), DM_PREFIX.len() + DM_HASH_HEX);
        assert_eq!(validate::room_name(&name).ok(), Some(name.clone()));
        assert!(name[3..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn different_pairs_get_different_rooms() {
        let names = [
            dm_name("alice", "bob"),
            dm_name("alice", "carol"),
            dm_name("bob", "carol"),
            // Concatenations that would collide without a separator.
            dm_name("ab", "c"),
            dm_name("a", "bc"),
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn a_dm_needs_another_existing_unblocked_person() {
        assert_eq!(other_person("alice", "Bob").ok().as_deref(), Some("bob"));
        let code = |r: Result<String, ApiError>| r.err().map(|e| e.code);
        assert_eq!(
            code(other_person("alice", "ALICE")),
            Some(ErrorCode::BadRequest)
        );
        assert_eq!(
            code(other_person("alice", "no spaces")),
            Some(ErrorCode::BadRequest)
        );
        let code = |r: Result<(), ApiError>| r.err().map(|e| e.code);
        let free = BlockMark::default();
        let held = BlockMark {
            blocked: true,
            rev: 1,
        };
        assert!(may_open("bob", free, Some(free)).is_ok());
        assert_eq!(code(may_open("bob", free, None)), Some(ErrorCode::NotFound));
        assert_eq!(
            code(may_open("bob", held, Some(free))),
            Some(ErrorCode::Blocked)
        );
        assert_eq!(
            code(may_open("bob", free, Some(held))),
            Some(ErrorCode::Blocked)
        );
        assert_eq!(blocked().status(), 403);
    }

    #[test]
    fn only_a_newer_mark_replaces_a_held_one() {
        let held = BlockMark {
            blocked: true,
            rev: 4,
        };
        let older = BlockMark {
            blocked: false,
            rev: 3,
        };
        let newer = BlockMark {
            blocked: false,
            rev: 5,
        };
        assert!(!older.supersedes(Some(&held)));
        assert!(!held.supersedes(Some(&held)));
        assert!(newer.supersedes(Some(&held)));
        assert!(older.supersedes(None));
    }
}
