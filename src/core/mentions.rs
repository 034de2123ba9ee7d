//! Mentions (contract section 10): who a message's text names.
//!
//! `@name` counts where the `@` starts the text or follows a character that
//! cannot be part of a username, and the name runs to the first character
//! that cannot (so `mail@bob.example` and `@bobby` do not mention `bob`, and
//! `@Bob's` does). The name is a username by the contract's rules, compared
//! lowercased like every username, and only members of the room when the
//! message is stored are mentioned. `@room` from an owner or a moderator
//! mentions every member; from anyone else it is plain text.

use std::collections::BTreeSet;

use super::validate;

/// The word that mentions everyone.
pub const ROOM_MENTION: &str = "room";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The names written as mentions in `text`, lowercased, valid, each once.
pub fn written_mentions(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '@' && !prev.is_some_and(is_name_char) {
            let rest = text.get(i + 1..).unwrap_or_default();
            let end = rest
                .find(|ch: char| !is_name_char(ch))
                .unwrap_or(rest.len());
            let word = rest.get(..end).unwrap_or_default();
            if let Ok(name) = validate::username(word) {
                found.insert(name);
            }
        }
        prev = Some(c);
    }
    found
}

/// The members `text` mentions, sorted: `@room` (when `may_mention_room`)
/// expands to every member; others only if they are members. The author
/// may be among them (their own mention is not counted for them elsewhere).
pub fn mentions<'a>(
    text: &str,
    members: impl IntoIterator<Item = &'a String>,
    may_mention_room: bool,
) -> Vec<String> {
    let mut written = written_mentions(text);
    // `@room` is never the user named "room": everyone, or plain text.
    let everyone = written.remove(ROOM_MENTION) && may_mention_room;
    members
        .into_iter()
        .filter(|m| everyone || written.contains(m.as_str()))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn members() -> Vec<String> {
        ["alice", "bob", "carol_2", "room"]
            .map(String::from)
            .to_vec()
    }

    fn of(text: &str) -> Vec<String> {
        mentions(text, &members(), false)
    }

    #[test]
    fn a_mention_is_a_whole_username_after_a_boundary() {
        assert_eq!(of("@bob hi"), ["bob"]);
        assert_eq!(of("hi @Bob, and @ALICE!"), ["alice", "bob"]);
        assert_eq!(of("(@bob's turn)"), ["bob"]);
        assert_eq!(of("@carol_2."), ["carol_2"]);
        assert_eq!(of("line\n@bob"), ["bob"]);
        assert_eq!(of("é@bob"), ["bob"]);
        assert_eq!(of("@@bob"), ["bob"]);
        // Not a boundary, not the whole name, not a valid name.
        assert!(of("mail@bob.example").is_empty());
        assert!(of("@bobby @bo @_bob @2bob").is_empty());
        assert!(of("@ bob").is_empty());
        assert!(of("@").is_empty());
    }

    #[test]
    fn only_members_are_mentioned_each_once_and_sorted() {
        assert_eq!(of("@zed @bob @bob @alice"), ["alice", "bob"]);
        assert!(of("@nobody").is_empty());
    }

    #[test]
    fn at_room_is_everyone_from_moderators_and_plain_text_otherwise() {
        assert_eq!(
            mentions("@room standup!", &members(), true),
            ["alice", "bob", "carol_2", "room"]
        );
        // From a member it mentions nobody, not even a user named "room".
        assert!(of("@room standup!").is_empty());
        assert_eq!(of("@room and @bob"), ["bob"]);
    }

    #[test]
    fn any_text_is_read_without_panicking() {
        for text in [
            "@\u{0}",
            "@é",
            "@a\u{301}bc",
            "🙂@bob🙂",
            "@@@@",
            "a@",
            "@abc@def",
        ] {
            let _ = mentions(text, &members(), true);
        }
        assert_eq!(of("🙂@bob🙂"), ["bob"]);
    }
}
