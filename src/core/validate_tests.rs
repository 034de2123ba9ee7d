//! Unit tests of `validate`.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn code<T: std::fmt::Debug>(r: ApiResult<T>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code,
    }
}

#[test]
fn usernames_are_lowercased_before_checking() {
    assert_eq!(username("Alice").unwrap(), "alice");
    assert_eq!(username("BOB_42").unwrap(), "bob_42");
    assert_eq!(username("abc").unwrap(), "abc");
    assert_eq!(username(&"a".repeat(24)).unwrap(), "a".repeat(24));
}

#[test]
fn usernames_outside_the_rule_are_bad_requests() {
    for bad in [
        "ab",
        &"a".repeat(25),
        "1abc",
        "_abc",
        "ab-c",
        "ab c",
        " alice",
        "élan",
        "\u{212A}elvin",
        "",
    ] {
        let e = username(bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest, "{bad:?}");
        assert!(e.message.starts_with("Usernames are 3-24"));
    }
}

#[test]
fn passwords_count_characters_not_bytes() {
    assert!(password("12345678").is_ok());
    assert!(password("1234567").is_err());
    assert!(password(&"é".repeat(8)).is_ok());
    assert!(password(&"é".repeat(128)).is_ok());
    assert!(password(&"x".repeat(129)).is_err());
    // Spaces are part of the password, not trimmed away.
    assert!(password("       a").is_ok());
}

#[test]
fn display_names_are_trimmed_then_checked() {
    assert_eq!(display_name("  Alice  ").unwrap(), "Alice");
    assert_eq!(display_name(&"ü".repeat(32)).unwrap(), "ü".repeat(32));
    assert_eq!(code(display_name("   ")), ErrorCode::BadRequest);
    assert_eq!(code(display_name("")), ErrorCode::BadRequest);
    assert_eq!(code(display_name(&"a".repeat(33))), ErrorCode::BadRequest);
    assert_eq!(code(display_name("a\u{0}b")), ErrorCode::BadRequest);
    assert_eq!(code(display_name("a\nb")), ErrorCode::BadRequest);
    // Thirty-two characters surrounded by spaces still fit.
    assert!(display_name(&format!("  {}  ", "a".repeat(32))).is_ok());
}

#[test]
fn bio_and_topic_allow_empty_and_line_breaks() {
    assert_eq!(bio("").unwrap(), "");
    assert_eq!(bio(" line one\r\nline two ").unwrap(), "line one\nline two");
    assert!(bio(&"x".repeat(280)).is_ok());
    assert!(bio(&"x".repeat(281)).is_err());
    assert!(bio("bell\u{7}").is_err());
    assert_eq!(topic("").unwrap(), "");
    assert!(topic(&"x".repeat(280)).is_ok());
    assert!(topic(&"x".repeat(281)).is_err());
    assert!(topic("esc\u{1b}[31m").is_err());
}

#[test]
fn status_is_one_short_line() {
    assert_eq!(status("").unwrap(), "");
    assert_eq!(status(" lunch ").unwrap(), "lunch");
    assert!(status(&"x".repeat(64)).is_ok());
    assert!(status(&"x".repeat(65)).is_err());
    assert!(status("a\nb").is_err());
}

#[test]
fn colors_are_stored_lowercase() {
    assert_eq!(color("#A1b2C3").unwrap(), "#a1b2c3");
    for bad in ["a1b2c3", "#a1b2c", "#a1b2c3d", "#gggggg", "", "#ａ1b2c3"] {
        assert_eq!(code(color(bad)), ErrorCode::BadRequest, "{bad:?}");
    }
}

#[test]
fn room_names_are_addresses_and_never_rewritten() {
    assert_eq!(room_name("general").unwrap(), "general");
    assert_eq!(room_name("a1").unwrap(), "a1");
    assert_eq!(room_name("rust-lang-2").unwrap(), "rust-lang-2");
    assert!(room_name(&"a".repeat(32)).is_ok());
    for bad in [
        "a",
        &"a".repeat(33),
        "General",
        "-abc",
        "abc-",
        "a_b",
        "a b",
        "",
    ] {
        assert_eq!(code(room_name(bad)), ErrorCode::BadRequest, "{bad:?}");
    }
}

#[test]
fn room_titles_are_trimmed_and_one_line() {
    assert_eq!(room_title("  Rust talk ").unwrap(), "Rust talk");
    assert!(room_title(&"x".repeat(64)).is_ok());
    assert!(room_title(&"x".repeat(65)).is_err());
    assert!(room_title("   ").is_err());
    assert!(room_title("a\tb").is_err());
}

#[test]
fn message_text_limits_and_error_codes() {
    assert_eq!(message_text("  hi\n").unwrap(), "  hi\n");
    assert!(message_text(&"é".repeat(4000)).is_ok());
    assert_eq!(code(message_text(&"x".repeat(4001))), ErrorCode::TooLong);
    assert_eq!(code(message_text("")), ErrorCode::BadRequest);
    assert_eq!(code(message_text(" \n\t ")), ErrorCode::BadRequest);
    assert_eq!(code(message_text("nul\u{0}")), ErrorCode::BadRequest);
    assert!(message_text("tab\tand\r\nbreaks").is_ok());
}

#[test]
fn client_ids() {
    assert!(client_id("a").is_ok());
    assert!(client_id("Abc_123-x").is_ok());
    assert!(client_id(&"a".repeat(64)).is_ok());
    assert!(client_id(&"a".repeat(65)).is_err());
    assert!(client_id("").is_err());
    assert!(client_id("a b").is_err());
    assert!(client_id("é").is_err());
}

#[test]
fn emoji_rule() {
    for ok in ["👍", "❤️", "👨‍👩‍👧", "🇺🇸", "!", "🎉🎉🎉🎉🎉🎉🎉🎉"]
    {
        assert!(emoji(ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "",
        "a",
        "+1",
        "1️⃣",
        "👍 ",
        " ",
        "\u{0}",
        "é",
        "🎉🎉🎉🎉🎉🎉🎉🎉🎉",
        "\u{200D}",
        "\u{FE0F}",
    ] {
        assert_eq!(code(emoji(bad)), ErrorCode::BadRequest, "{bad:?}");
    }
}

#[test]
fn every_name_title_topic_status_and_bio_refuses_invisible_characters() {
    type Check = fn(&str) -> ApiResult<String>;
    let fields: [(Check, &str); 5] = [
        (display_name, "display name"),
        (status, "status"),
        (bio, "bio"),
        (room_title, "room title"),
        (topic, "room topic"),
    ];
    for (check, field) in fields {
        for bad in [
            "\u{200B}",
            "\u{200B}\u{200B}",
            "Ann\u{202E}",
            "\u{2066}x\u{2069}",
            "a\u{FEFF}b",
        ] {
            let e = check(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadRequest, "{field} {bad:?}");
            assert!(e.message.contains(field), "{}", e.message);
            assert!(e.message.contains("invisible"), "{}", e.message);
        }
        assert_eq!(check(" 👩\u{200D}💻 Zoë ").unwrap(), "👩\u{200D}💻 Zoë");
    }
    // Message text keeps them: emoji sequences, marks, even overrides.
    for ok in [
        "👨\u{200D}👩\u{200D}👧",
        "שלום\u{200F}",
        "a\u{202E}b",
        "\u{200B}x",
    ] {
        assert_eq!(message_text(ok).unwrap(), ok);
    }
}

#[test]
fn history_limit_defaults_and_refuses_out_of_range() {
    assert_eq!(history_limit(None).unwrap(), 50);
    assert_eq!(history_limit(Some(1)).unwrap(), 1);
    assert_eq!(history_limit(Some(100)).unwrap(), 100);
    for bad in [0, -1, 101, i64::MAX, i64::MIN] {
        assert_eq!(code(history_limit(Some(bad))), ErrorCode::BadRequest);
    }
    assert_eq!(history_limit_query(None).unwrap(), 50);
    assert_eq!(history_limit_query(Some("")).unwrap(), 50);
    assert_eq!(history_limit_query(Some("20")).unwrap(), 20);
    assert!(history_limit_query(Some("abc")).is_err());
    assert!(history_limit_query(Some("2.5")).is_err());
    assert!(history_limit_query(Some("0")).is_err());
}

#[test]
fn every_error_message_is_a_sentence() {
    let errors = [
        username("x").unwrap_err(),
        password("x").unwrap_err(),
        display_name("").unwrap_err(),
        color("x").unwrap_err(),
        room_name("x").unwrap_err(),
        room_title("").unwrap_err(),
        message_text("").unwrap_err(),
        client_id("").unwrap_err(),
        emoji("").unwrap_err(),
        history_limit(Some(0)).unwrap_err(),
    ];
    for e in errors {
        assert!(e.message.ends_with('.'), "{}", e.message);
        assert!(e.message.len() > 15, "{}", e.message);
    }
}
