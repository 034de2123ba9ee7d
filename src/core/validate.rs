//! Every field rule of the contract (sections 3-7), in one place.
//!
//! Each limit is a named constant so the server, the tests and the web client
//! mirror the same numbers, and each field has one parse function that either
//! returns the value to store (normalised: lowercased, trimmed) or an
//! [`ApiError`] whose message names the field and the rule in a plain sentence.
//!
//! Lengths count Unicode scalar values (`chars().count()`), never bytes or
//! UTF-16 units (contract section 1).
//!
//! Decisions where the contract is silent:
//! - Usernames are lowercased with ASCII rules only, so a look-alike such as the
//!   Kelvin sign `K` (U+212A) is an error instead of silently becoming `k`.
//! - Display names, statuses, room titles, bios and topics are trimmed at both
//!   ends, the way chat apps treat such fields. Passwords and message text are
//!   never trimmed: their exact bytes matter to the user.
//! - Single-line fields (display name, status, room title) refuse every control
//!   character. Bio and topic may hold line breaks and tabs (`\r\n` is stored as
//!   `\n`); message text may hold `\n`, `\r` and `\t`. Other control characters
//!   (NUL, escape, ...) are refused everywhere.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::invisible::refuse_invisible;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 24;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const DISPLAY_NAME_MAX: usize = 32;
pub const BIO_MAX: usize = 280;
pub const STATUS_MAX: usize = 64;
pub const ROOM_NAME_MIN: usize = 2;
pub const ROOM_NAME_MAX: usize = 32;
pub const ROOM_TITLE_MAX: usize = 64;
pub const TOPIC_MAX: usize = 280;
pub const MESSAGE_MAX: usize = 4000;
pub const CLIENT_ID_MAX: usize = 64;
pub const EMOJI_MAX: usize = 8;
pub const HISTORY_LIMIT_MAX: u32 = 100;
pub const HISTORY_LIMIT_DEFAULT: u32 = 50;
/// A socket frame over this many bytes closes the socket with 1009.
pub const FRAME_MAX_BYTES: usize = 16 * 1024;
/// Largest JSON request body.
pub const BODY_MAX_BYTES: usize = 64 * 1024;
/// Largest avatar upload.
pub const AVATAR_MAX_BYTES: usize = 512 * 1024;
/// How many events behind a `since` may be and still be replayed.
pub const RESUME_WINDOW: u64 = 5000;

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Line breaks and tabs are fine in multi-line fields; anything else that is a
/// control character is invisible garbage or a terminal escape.
fn is_forbidden_multiline_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// `\r\n` and lone `\r` become `\n` so stored text has one kind of line break.
fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Lowercases (ASCII only), then checks 3-24 of `a-z`, `0-9`, `_`, starting with a letter.
pub fn username(raw: &str) -> ApiResult<String> {
    let name = raw.to_ascii_lowercase();
    let n = len(&name);
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if (USERNAME_MIN..=USERNAME_MAX).contains(&n) && starts_with_letter && allowed {
        Ok(name)
    } else {
        Err(ApiError::bad_request(format!(
            "Usernames are {USERNAME_MIN}-{USERNAME_MAX} characters: a-z, 0-9 and _, starting with a letter."
        )))
    }
}

/// 8-128 characters of anything; never trimmed or altered.
pub fn password(raw: &str) -> ApiResult<()> {
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&len(raw)) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Passwords are {PASSWORD_MIN}-{PASSWORD_MAX} characters."
        )))
    }
}

/// Trimmed at both ends, then 1-32 characters without control characters.
pub fn display_name(raw: &str) -> ApiResult<String> {
    let v = raw.trim();
    refuse_invisible("display name", v)?;
    if (1..=DISPLAY_NAME_MAX).contains(&len(v)) && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "Display names are 1-{DISPLAY_NAME_MAX} characters after trimming spaces, with no control characters."
        )))
    }
}

/// Trimmed at both ends, 0-280 characters; line breaks and tabs allowed.
pub fn bio(raw: &str) -> ApiResult<String> {
    let v = normalize_newlines(raw.trim());
    refuse_invisible("bio", &v)?;
    if len(&v) <= BIO_MAX && !v.chars().any(is_forbidden_multiline_control) {
        Ok(v)
    } else {
        Err(ApiError::bad_request(format!(
            "A bio is at most {BIO_MAX} characters, with no control characters other than line breaks and tabs."
        )))
    }
}

/// Trimmed at both ends, 0-64 characters, one line.
pub fn status(raw: &str) -> ApiResult<String> {
    let v = raw.trim();
    refuse_invisible("status", v)?;
    if len(v) <= STATUS_MAX && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "A status is at most {STATUS_MAX} characters on one line, with no control characters."
        )))
    }
}

/// `#rrggbb` in any case, stored lowercase.
pub fn color(raw: &str) -> ApiResult<String> {
    let ok = raw.len() == 7
        && raw.starts_with('#')
        && raw.chars().skip(1).all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::bad_request(
            "A color is written #rrggbb: a # followed by six hexadecimal digits.",
        ))
    }
}

/// 2-32 of `a-z`, `0-9`, `-`, not starting or ending with `-`. Not lowercased:
/// a room name is an address, and `General` is refused rather than rewritten.
pub fn room_name(raw: &str) -> ApiResult<String> {
    let n = len(raw);
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ends_ok = !raw.starts_with('-') && !raw.ends_with('-');
    if (ROOM_NAME_MIN..=ROOM_NAME_MAX).contains(&n) && allowed && ends_ok {
        Ok(raw.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "Room names are {ROOM_NAME_MIN}-{ROOM_NAME_MAX} characters: lowercase a-z, 0-9 and -, not starting or ending with -."
        )))
    }
}

/// Trimmed at both ends, then 1-64 characters on one line.
pub fn room_title(raw: &str) -> ApiResult<String> {
    let v = raw.trim();
    refuse_invisible("room title", v)?;
    if (1..=ROOM_TITLE_MAX).contains(&len(v)) && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "Room titles are 1-{ROOM_TITLE_MAX} characters after trimming spaces, with no control characters."
        )))
    }
}

/// Trimmed at both ends, 0-280 characters; line breaks and tabs allowed.
pub fn topic(raw: &str) -> ApiResult<String> {
    let v = normalize_newlines(raw.trim());
    refuse_invisible("room topic", &v)?;
    if len(&v) <= TOPIC_MAX && !v.chars().any(is_forbidden_multiline_control) {
        Ok(v)
    } else {
        Err(ApiError::bad_request(format!(
            "A room topic is at most {TOPIC_MAX} characters, with no control characters other than line breaks and tabs."
        )))
    }
}

/// 1-4000 characters, not only whitespace; kept exactly as sent.
/// Over the limit is `too_long` (the client can show "shorten your message");
/// empty or blank is `bad_request`.
pub fn message_text(raw: &str) -> ApiResult<String> {
    message_text_with(raw, false)
}

/// [`message_text`], except that a message with attachments may have no
/// text (only spaces count as none: it is stored empty).
pub fn message_text_with(raw: &str, has_attachments: bool) -> ApiResult<String> {
    if has_attachments && raw.trim().is_empty() {
        return Ok(String::new());
    }
    if len(raw) > MESSAGE_MAX {
        return Err(ApiError::new(
            ErrorCode::TooLong,
            format!("Messages are at most {MESSAGE_MAX} characters."),
        ));
    }
    if raw.trim().is_empty() {
        return Err(ApiError::bad_request(
            "A message needs at least one character that is not a space.",
        ));
    }
    if raw.chars().any(is_forbidden_multiline_control) {
        return Err(ApiError::bad_request(
            "Messages may not contain control characters other than line breaks and tabs.",
        ));
    }
    Ok(raw.to_string())
}

/// 1-64 of `A-Za-z0-9_-`.
pub fn client_id(raw: &str) -> ApiResult<()> {
    let ok = (1..=CLIENT_ID_MAX).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "A client_id is 1-{CLIENT_ID_MAX} characters of A-Z, a-z, 0-9, _ and -."
        )))
    }
}

/// Characters that draw nothing on their own: joiners, variation selectors, tags.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{E0020}'..='\u{E007F}')
}

/// 1-8 characters with no letters, digits, whitespace or control characters.
/// A reaction made only of invisible joiners or selectors is refused too, since
/// it would show as an empty chip.
pub fn emoji(raw: &str) -> ApiResult<()> {
    let ok = (1..=EMOJI_MAX).contains(&len(raw))
        && !raw
            .chars()
            .any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_control())
        && !raw.chars().all(is_invisible);
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "A reaction is 1-{EMOJI_MAX} characters with no letters, digits, spaces or control characters."
        )))
    }
}

/// A history page size: 1-100, 50 when absent. Out of range is refused, not clamped.
pub fn history_limit(raw: Option<i64>) -> ApiResult<u32> {
    match raw {
        None => Ok(HISTORY_LIMIT_DEFAULT),
        Some(n) if n >= 1 && n <= i64::from(HISTORY_LIMIT_MAX) => {
            u32::try_from(n).map_err(|_| history_limit_error())
        }
        Some(_) => Err(history_limit_error()),
    }
}

/// The same rule for a `?limit=` query value; an empty value counts as absent,
/// anything that is not an integer is refused.
pub fn history_limit_query(raw: Option<&str>) -> ApiResult<u32> {
    match raw.map(str::trim) {
        None | Some("") => history_limit(None),
        Some(s) => {
            let n = s.parse::<i64>().map_err(|_| history_limit_error())?;
            history_limit(Some(n))
        }
    }
}

fn history_limit_error() -> ApiError {
    ApiError::bad_request(format!(
        "limit is a whole number from 1 to {HISTORY_LIMIT_MAX}."
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "validate_tests.rs"]
mod tests;
