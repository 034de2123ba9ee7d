//! Invisible formatting characters in names, statuses, bios, room titles and
//! topics: Unicode's format characters (general category Cf: bidi overrides
//! and isolates, zero-width spaces, the BOM, tags...) draw nothing and can
//! reorder or hide the text around them, so `Ann\u{202E}gnp.exe` shows as
//! another name and a name of only zero-width spaces looks empty. They are
//! refused in those fields; message text keeps them.
//!
//! Two joiners stay legal where they join something: ZWJ (U+200D, emoji
//! sequences such as 👩‍💻) and ZWNJ (U+200C, Persian and Indic spelling), when
//! both neighbours are visible characters. Tag characters (U+E0020-E007F)
//! stay legal inside a subdivision flag (🏴 U+1F3F4 followed by tags).
//!
//! The table is the Cf category of Unicode 15.1 (DerivedGeneralCategory.txt).

use super::error::{ApiError, ApiResult};

const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';

/// Whether `c` is a Unicode format character (category Cf).
pub fn is_format_char(c: char) -> bool {
    let c = u32::from(c);
    FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007F}').contains(&c)
}

fn visible(c: Option<char>) -> bool {
    c.is_some_and(|c| !c.is_whitespace() && !is_format_char(c) && !c.is_control())
}

/// Whether `text` has a format character outside the allowed joiners and flags.
pub fn has_invisible(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        if !is_format_char(c) {
            return false;
        }
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        match c {
            ZWJ | ZWNJ => !(visible(before) && visible(after)),
            c if is_tag(c) => chars[..i]
                .iter()
                .rev()
                .find(|&&p| !is_tag(p))
                .is_none_or(|&p| p != BLACK_FLAG),
            _ => true,
        }
    })
}

/// Refuses `value` of the field named `field` (e.g. "display name") when it
/// holds invisible formatting characters.
pub fn refuse_invisible(field: &str, value: &str) -> ApiResult<()> {
    if has_invisible(value) {
        return Err(ApiError::bad_request(format!(
            "A {field} cannot contain invisible formatting characters (bidi overrides, \
             zero-width spaces and the like)."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bidi_overrides_isolates_and_zero_width_characters_are_refused() {
        for bad in [
            "Ann\u{202E}gnp.exe",
            "ad\u{2066}min\u{2069}",
            "\u{200B}\u{200B}",
            "\u{200B}",
            "away\u{FEFF}",
            "a\u{00AD}b",
            "line\u{200F}one",
            "\u{061C}x",
            "x\u{E0041}",
            // A lone or edge joiner joins nothing.
            "\u{200D}",
            "a\u{200D}",
            "\u{200D}a",
            "a \u{200D} b",
            "a\u{200D}\u{200D}b",
        ] {
            assert!(has_invisible(bad), "{bad:?}");
            let err = refuse_invisible("display name", bad).unwrap_err();
            assert!(err.message.contains("display name"));
        }
    }

    #[test]
    fn emoji_sequences_scripts_and_flags_are_fine() {
        for ok in [
            "Zoë 👩‍💻 مريم",
            "🏳️‍🌈 out",
            "family 👨‍👩‍👧",
            "می‌خواهم",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            "plain",
            "",
        ] {
            assert!(!has_invisible(ok), "{ok:?}");
            refuse_invisible("status", ok).unwrap();
        }
    }
}
