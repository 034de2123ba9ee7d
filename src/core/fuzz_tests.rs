//! Property tests of every decoder of outside input: socket frames (parsed
//! alone and driven through a live room), JSON bodies, tokens, stored password
//! hashes, image sniffing and the field rules. Inputs are valid seeds mutated
//! by a seeded generator (truncations, bit flips, inserted quotes, brackets,
//! huge numbers, deep nesting, NULs, long runs) mixed with random bytes.
//!
//! Properties: nothing panics, nothing takes long (a case over
//! [`SLOW_CASE`] fails), errors are the typed `ApiError`, valid inputs keep
//! working, and a room fed garbage keeps its log gap-free with one ack per
//! stored change.
//!
//! Budget: `FUZZ_CASES` cases per target (default 2,000, a few seconds in
//! `cargo test`); `make fuzz` runs 200,000 with a random `FUZZ_SEED`
//! (printed, so a failure can be replayed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::account::{LoginRequest, RegisterRequest};
use super::auth::{issue_token, verify_token, PasswordHash};
use super::avatar::{check_upload, sniff};
use super::json::parse_json;
use super::profile::ProfilePatch;
use super::protocol::{parse_client_frame, Visibility};
use super::rate_limit::RateSettings;
use super::room::{Effect, Room, SocketId};
use super::room_api::{CreateRoomBody, EditRoomBody, RoleBody, RoomCommand, UsernameBody};
use super::store::{MemoryStore, RoomStore};
use super::validate;

const SLOW_CASE: Duration = Duration::from_secs(1);

/// SplitMix64: small, fast, good enough to spread mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn cases() -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn seed(target: &str) -> u64 {
    let base: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED);
    target
        .bytes()
        .fold(base, |h, b| h.rotate_left(5) ^ u64::from(b))
}

const INSERTS: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\0",
    "\u{202e}",
    "\u{200b}",
    "💬",
    "null",
    "true",
    "-1",
    "1e309",
    "18446744073709551616",
    "9007199254740993",
    "\"type\"",
    "\"send\"",
    "\\u0000",
    "\\ud800",
    "NaN",
    "Infinity",
    " ",
    "\n",
];

/// One mutation of `seed`, as bytes (possibly invalid UTF-8).
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(9) {
            0 => out.truncate(rng.below(out.len() + 1)),
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            2 => {
                let i = rng.below(out.len() + 1);
                let ins = rng.pick(INSERTS).as_bytes().to_vec();
                out.splice(i..i, ins);
            }
            3 => {
                let depth = 1 + rng.below(300);
                let mut nested = "[".repeat(depth).into_bytes();
                nested.extend(std::iter::repeat_n(b']', depth));
                let i = rng.below(out.len() + 1);
                out.splice(i..i, nested);
            }
            4 => {
                let i = rng.below(out.len() + 1);
                let run = vec![*rng.pick(b"a*_`\"x "); 1 + rng.below(20_000)];
                out.splice(i..i, run);
            }
            5 if !out.is_empty() => {
                let a = rng.below(out.len());
                let b = rng.below(out.len());
                out.swap(a, b);
            }
            6 => out = (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
            7 if out.len() > 1 => {
                let a = rng.below(out.len());
                let b = (a + rng.below(out.len() - a)).min(out.len());
                out.drain(a..b);
            }
            _ => {
                let i = rng.below(out.len() + 1);
                out.insert(i, rng.next() as u8);
            }
        }
    }
    out
}

/// Runs `check` on `cases()` mutations of the seeds; fails on a slow case.
fn fuzz(target: &str, seeds: &[&[u8]], mut check: impl FnMut(&[u8])) {
    let mut rng = Rng(seed(target));
    for seed in seeds {
        check(seed);
    }
    for n in 0..cases() {
        let seed = *rng.pick(seeds);
        let input = mutate(&mut rng, seed);
        let started = Clock::start();
        check(&input);
        let took = started.elapsed();
        assert!(
            took < SLOW_CASE,
            "{target}: case {n} took {took:?} ({} bytes)",
            input.len()
        );
    }
}

/// Time per case: `Instant` natively; the browser's `performance.now()` is not
/// reachable from the pure core, so under wasm32 a hang is caught by the test
/// runner's timeout instead and every case reads as instant.
struct Clock(#[cfg(not(target_arch = "wasm32"))] std::time::Instant);

impl Clock {
    fn start() -> Self {
        Clock(
            #[cfg(not(target_arch = "wasm32"))]
            std::time::Instant::now(),
        )
    }

    fn elapsed(&self) -> Duration {
        #[cfg(not(target_arch = "wasm32"))]
        return self.0.elapsed();
        #[cfg(target_arch = "wasm32")]
        return Duration::ZERO;
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const FRAMES: &[&[u8]] = &[
    br#"{"type":"send","client_id":"c1","text":"hello"}"#,
    br#"{"type":"send","client_id":"c2","text":"re","reply_to":2}"#,
    br#"{"type":"edit","client_id":"e1","target":2,"text":"changed"}"#,
    br#"{"type":"delete","client_id":"d1","target":2}"#,
    br#"{"type":"react","client_id":"r1","target":2,"emoji":"\ud83d\udc4d","add":true}"#,
    br#"{"type":"typing"}"#,
    br#"{"type":"read","seq":3}"#,
    br#"{"type":"history","before":5,"limit":10}"#,
    br#"{"type":"ping"}"#,
];

#[test]
fn socket_frames_parse_without_panicking() {
    fuzz("frames", FRAMES, |input| {
        let raw = text(input);
        if let Err(e) = parse_client_frame(&raw) {
            assert!(e.status() >= 400 && e.status() < 500, "{raw:?}: {e:?}");
        }
    });
    for seed in FRAMES {
        parse_client_frame(&text(seed)).unwrap();
    }
}

#[test]
fn a_room_fed_garbage_keeps_its_log_whole() {
    let mut room = Room::new(RateSettings {
        burst: 1_000_000,
        per_sec: 1_000.0,
    });
    let mut store = MemoryStore::new();
    let create = RoomCommand::Create(CreateRoomBody {
        name: "fuzz".into(),
        title: None,
        topic: None,
        visibility: Some(Visibility::Public),
    });
    room.handle_command(&mut store, "alice", create, 1).unwrap();
    room.handle_command(&mut store, "bob", RoomCommand::Join, 1)
        .unwrap();
    room.on_connect(&store, SocketId(1), "alice", "sa", u64::MAX, None)
        .unwrap();
    room.on_connect(&store, SocketId(2), "bob", "sb", u64::MAX, None)
        .unwrap();
    let mut now = 10;
    let mut acks = 0u64;
    let mut rng = Rng(seed("room"));
    fuzz("room", FRAMES, |input| {
        now += 1 + rng.below(3_000) as u64;
        let socket = SocketId(1 + rng.below(2) as u64);
        let before = store.last_seq().unwrap();
        let effects = room
            .handle_frame(&mut store, socket, &text(input), now)
            .effects;
        let after = store.last_seq().unwrap();
        assert!(
            after == before || after == before + 1,
            "one frame, one event at most"
        );
        let new_acks = effects
            .iter()
            .filter(
                |e| matches!(e, Effect::Send { frame, .. } if frame.contains(r#""type":"ack""#)),
            )
            .count() as u64;
        assert!(new_acks <= 1);
        acks += new_acks;
        assert!(room.socket_count() <= 2);
    });
    let last = store.last_seq().unwrap();
    let events = store.events_after(0).unwrap();
    let seqs: Vec<u64> = events
        .iter()
        .map(|f| {
            serde_json::from_str::<serde_json::Value>(f).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "no gap in the log");
    assert!(
        acks > 0,
        "no change was ever acked: the seeds are not exercised"
    );
}

#[test]
fn json_bodies_decode_into_typed_errors() {
    let seeds: &[&[u8]] = &[
        br#"{"username":"alice","password":"correct horse","display_name":"Al"}"#,
        br#"{"name":"room-1","title":"T","topic":"x","visibility":"private"}"#,
        br#"{"title":"T","topic":"","visibility":"public"}"#,
        br#"{"username":"bob"}"#,
        br#"{"username":"bob","role":"moderator"}"#,
        br##"{"display_name":"A","bio":"b","status":"s","color":"#123456"}"##,
    ];
    fuzz("json", seeds, |input| {
        let statuses = [
            parse_json::<RegisterRequest>(input).map(|r| r.validate().map(|_| ())),
            parse_json::<LoginRequest>(input).map(|r| r.account_name().map(|_| ())),
            parse_json::<CreateRoomBody>(input).map(|_| Ok(())),
            parse_json::<EditRoomBody>(input).map(|_| Ok(())),
            parse_json::<UsernameBody>(input).map(|_| Ok(())),
            parse_json::<RoleBody>(input).map(|_| Ok(())),
            parse_json::<ProfilePatch>(input).map(|_| Ok(())),
        ];
        for outcome in statuses {
            if let Err(e) | Ok(Err(e)) = outcome {
                assert!((400..500).contains(&e.status()), "{e:?}");
            }
        }
    });
}

#[test]
fn mutated_tokens_never_verify() {
    let secret = b"a-secret-of-at-least-thirty-two-bytes!!";
    let now = 1_800_000_000;
    let (token, _) = issue_token(secret, "alice", "sid-1", now).unwrap();
    assert!(verify_token(secret, &token, now).is_ok());
    fuzz("tokens", &[token.as_bytes()], |input| {
        let candidate = text(input);
        match verify_token(secret, &candidate, now) {
            Ok(claims) => assert_eq!(candidate, token, "a changed token verified: {claims:?}"),
            Err(e) => assert_eq!(e.status(), 401),
        }
    });
}

#[test]
fn stored_hashes_and_field_rules_never_panic() {
    let stored = PasswordHash {
        iterations: 100_000,
        salt: vec![7; 16],
        hash: vec![9; 32],
    }
    .format();
    let seeds: &[&[u8]] = &[
        stored.as_bytes(),
        b"alice_1",
        "Ålice 🎉".as_bytes(),
        b"room-name",
        b"#a1b2c3",
        "👍".as_bytes(),
        b"c-1_x",
    ];
    fuzz("fields", seeds, |input| {
        let s = text(input);
        let _ = PasswordHash::parse(&s);
        let rules: [fn(&str) -> bool; 12] = [
            |s| validate::username(s).is_ok(),
            |s| validate::password(s).is_ok(),
            |s| validate::display_name(s).is_ok(),
            |s| validate::bio(s).is_ok(),
            |s| validate::status(s).is_ok(),
            |s| validate::color(s).is_ok(),
            |s| validate::room_name(s).is_ok(),
            |s| validate::room_title(s).is_ok(),
            |s| validate::topic(s).is_ok(),
            |s| validate::message_text(s).is_ok(),
            |s| validate::client_id(s).is_ok(),
            |s| validate::emoji(s).is_ok(),
        ];
        for rule in rules {
            rule(&s);
        }
        let _ = validate::history_limit_query(Some(&s));
    });
}

#[test]
fn image_sniffing_never_panics_and_never_accepts_junk_as_an_image() {
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
    let jpeg: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    let gif: &[u8] = b"GIF89a\x10\0\x10\0\x80\0\0";
    let webp: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0";
    fuzz("images", &[png, jpeg, gif, webp], |input| {
        let kind = sniff(input);
        for declared in [
            None,
            Some("image/png"),
            Some("image/jpeg"),
            Some("text/html"),
        ] {
            if let Ok(k) = check_upload(declared, input) {
                assert_eq!(Some(k), kind, "accepted what sniffing does not recognise");
            }
        }
    });
}
