//! What the room tells the directory, and when.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

/// The directory updates in `fx`: (version, listed?, last_activity_ms).
fn dir_updates(fx: &[Effect]) -> Vec<(DirectoryVersion, bool, u64)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::DirectoryChanged { version, listing } => Some((
                *version,
                listing.is_some(),
                listing.as_ref().map_or(0, |l| l.last_activity_ms),
            )),
            _ => None,
        })
        .collect()
}

/// Issue #12 item 3: the first message after a quiet minute reaches the
/// directory at once, even right after the room was created or joined (those
/// updates used to count against the once-a-minute limit, so a fresh room's
/// first message was swallowed), then at most one report a minute.
#[test]
fn public_activity_reaches_the_directory_at_once_then_at_most_once_a_minute() {
    let mut h = H::fast();
    h.now += 1_000;
    h.join("bob");
    let a = h.connect("alice");
    h.now += 1_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "1", "text": "x"}));
    let updates = dir_updates(&fx);
    assert_eq!(updates.len(), 1, "{fx:?}");
    assert_eq!(updates[0].2, h.now);
    // A busy minute: no more reports.
    for i in 2..20 {
        h.now += 3_000;
        let fx = h.frame(
            a,
            json!({"type": "send", "client_id": i.to_string(), "text": "x"}),
        );
        assert!(dir_updates(&fx).is_empty(), "{fx:?}");
    }
    // A minute after the last report, the next message reports again.
    h.now = T0 + 2_000 + DIRECTORY_ACTIVITY_INTERVAL_MS;
    let fx = h.frame(a, json!({"type": "send", "client_id": "late", "text": "x"}));
    assert_eq!(dir_updates(&fx).len(), 1);
    // A join in between does not hold the next report back (it is no
    // activity report), but it does carry the latest activity.
    h.now += 1_000;
    let reply = h.cmd("carol", RoomCommand::Join).unwrap();
    assert_eq!(dir_updates(&reply.effects)[0].2, h.now - 1_000);
    // Private rooms report nothing.
    let mut p = H::with(RateSettings::default(), Visibility::Private);
    let s = p.connect("alice");
    let fx = p.frame(s, json!({"type": "send", "client_id": "1", "text": "x"}));
    assert!(dir_updates(&fx).is_empty());
}

/// Issue #12 item 3: after a reload (hibernation, restart) the room does not
/// know when it last reported, and reports its next message at once.
#[test]
fn after_a_reload_the_next_message_reports_activity_at_once() {
    let mut h = H::fast();
    let a = h.connect("alice");
    h.send(a, "1", "x");
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    room.restore_socket(a, "alice", "sid-alice", u64::MAX);
    h.room = room;
    h.now += 5_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "2", "text": "x"}));
    assert_eq!(dir_updates(&fx).len(), 1);
}

/// Issue #12 item 4: every directory update of a room carries a version
/// above the previous one, removals included, and a room created again under
/// a deleted room's name starts above the old room's removal.
#[test]
fn directory_versions_grow_with_every_change_and_across_re_creation() {
    let mut h = H::fast();
    let mut versions = Vec::new();
    let record = |fx: &[Effect], versions: &mut Vec<(DirectoryVersion, bool)>| {
        for (v, listed, _) in dir_updates(fx) {
            versions.push((v, listed));
        }
    };
    // Creation (done by H) was version (T0, 1).
    versions.push((
        DirectoryVersion {
            created_at: T0,
            seq: 1,
        },
        true,
    ));
    let fx = h.cmd("bob", RoomCommand::Join).unwrap().effects;
    record(&fx, &mut versions);
    let a = h.connect("alice");
    let fx = h.frame(a, json!({"type": "send", "client_id": "1", "text": "x"}));
    record(&fx, &mut versions);
    let private = RoomCommand::Edit(EditRoomBody {
        title: None,
        topic: None,
        visibility: Some(Visibility::Private),
    });
    let fx = h.cmd("alice", private).unwrap().effects;
    record(&fx, &mut versions);
    let public = RoomCommand::Edit(EditRoomBody {
        title: None,
        topic: None,
        visibility: Some(Visibility::Public),
    });
    let fx = h.cmd("alice", public).unwrap().effects;
    record(&fx, &mut versions);
    let fx = h.cmd("alice", RoomCommand::Delete).unwrap().effects;
    record(&fx, &mut versions);
    // Created again in the very same millisecond.
    let fx = h
        .cmd("alice", create_cmd(Visibility::Public))
        .unwrap()
        .effects;
    record(&fx, &mut versions);
    let listed: Vec<bool> = versions.iter().map(|(_, l)| *l).collect();
    assert_eq!(listed, [true, true, true, false, true, false, true]);
    for pair in versions.windows(2) {
        assert!(pair[1].0 > pair[0].0, "{versions:?}");
        assert!(supersedes(pair[1].0, Some(pair[0].0)));
        // The older of any two can never replace the newer.
        assert!(!supersedes(pair[0].0, Some(pair[1].0)));
    }
}

fn flush_ats(fx: &[Effect]) -> Vec<u64> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::DirectoryFlushAt { at_ms } => Some(*at_ms),
            _ => None,
        })
        .collect()
}

/// Issue #12 item 3: the last messages of a busy minute are not lost: the
/// first unreported one asks for a wake-up when the next report is allowed,
/// and the wake-up reports the latest activity (once).
#[test]
fn a_bursts_last_message_reaches_the_directory_within_a_minute() {
    let mut h = H::fast();
    let a = h.connect("alice");
    let start = h.now;
    h.send(a, "1", "x"); // reported at once
    h.now += 3_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "2", "text": "x"}));
    assert_eq!(flush_ats(&fx), [start + DIRECTORY_ACTIVITY_INTERVAL_MS]);
    h.now += 3_000;
    let fx = h.frame(a, json!({"type": "send", "client_id": "3", "text": "x"}));
    assert!(flush_ats(&fx).is_empty(), "one wake-up is enough");
    let last = h.now;
    // Woken a little early (clock skew): asks again, reports nothing yet.
    let fx = h
        .room
        .directory_flush(start + DIRECTORY_ACTIVITY_INTERVAL_MS - 10);
    assert!(dir_updates(&fx).is_empty());
    assert_eq!(flush_ats(&fx), [start + DIRECTORY_ACTIVITY_INTERVAL_MS]);
    let at = start + DIRECTORY_ACTIVITY_INTERVAL_MS;
    let fx = h.room.directory_flush(at);
    assert_eq!(dir_updates(&fx).len(), 1);
    assert_eq!(dir_updates(&fx)[0].2, last);
    // Nothing pending any more.
    assert!(h.room.directory_flush(at + 1).is_empty());
    // A room reloaded before its wake-up reports once, then not again.
    let mut room = Room::load(&h.store, RateSettings::default()).unwrap();
    let fx = room.directory_flush(at + 5);
    assert_eq!(dir_updates(&fx).len(), 1);
    assert!(room.directory_flush(at + 6).is_empty());
    // A private or deleted room reports nothing.
    let mut p = H::with(RateSettings::default(), Visibility::Private);
    assert!(p.room.directory_flush(at).is_empty());
    h.cmd("alice", RoomCommand::Delete).unwrap();
    assert!(h.room.directory_flush(at + 10).is_empty());
}
