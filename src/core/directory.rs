//! The rules of the public room directory that the room and the directory
//! object share: which of two updates of one room's entry is newer, and when a
//! room's message activity is reported.
//!
//! Versions: a room sends the directory an upsert or a removal after each
//! change of its listing, but two handlers of one room may interleave while
//! they await the directory, so an older update can land after a newer one
//! (a join's upsert after the room turned private). Every update therefore
//! carries a [`DirectoryVersion`], and the directory keeps, per name, only the
//! newest one it has seen, removals included (a tombstone row), ignoring
//! anything older. The version is `(created_at, seq)`: `seq` is the room's
//! `last_seq` when the listing changed (every listing change follows a new
//! event, so it grows with every change of one room), and `created_at` tells
//! the incarnations of a name apart, so a room deleted and created again
//! under the same name starts above everything its predecessor sent.
//!
//! Activity: "most recently active first" needs the first message after a
//! quiet spell reported at once, but a busy room must not write to the one
//! directory object on every message. See [`activity_report_due`].

use serde::{Deserialize, Serialize};

/// At most one activity report per room in this long.
pub const DIRECTORY_ACTIVITY_INTERVAL_MS: u64 = 60_000;

/// The version of one directory update of a room. Ordered by `created_at`,
/// then `seq`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct DirectoryVersion {
    /// When this incarnation of the room was created.
    pub created_at: u64,
    /// The room's `last_seq` at the change (a deleted room's removal uses
    /// one past it: nothing of that incarnation can come later).
    pub seq: u64,
}

/// Should an update with version `incoming` replace what the directory holds
/// for that name (`stored`, a listing or a tombstone; `None` when the name
/// was never seen)? Only a strictly newer version does: an older one is a
/// late arrival, an equal one a repeat of what is already there.
pub fn supersedes(incoming: DirectoryVersion, stored: Option<DirectoryVersion>) -> bool {
    stored.is_none_or(|s| incoming > s)
}

/// Is a message at `now_ms` reported to the directory now? `last_report_ms`
/// is when the room last reported activity (`None`: not since it was loaded).
///
/// The first activity after a quiet [`DIRECTORY_ACTIVITY_INTERVAL_MS`] goes
/// out at once; after that, at most one report per interval. Only activity
/// reports count: a room's other updates (creation, joins, edits) do not hold
/// back its next message, which is what made a fresh or just-joined room lag.
pub fn activity_report_due(last_report_ms: Option<u64>, now_ms: u64) -> bool {
    last_report_ms.is_none_or(|t| now_ms >= t.saturating_add(DIRECTORY_ACTIVITY_INTERVAL_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const fn v(created_at: u64, seq: u64) -> DirectoryVersion {
        DirectoryVersion { created_at, seq }
    }

    #[test]
    fn only_a_newer_version_replaces_an_entry() {
        assert!(supersedes(v(10, 1), None));
        assert!(supersedes(v(10, 5), Some(v(10, 4))));
        // A repeat or a late arrival changes nothing.
        assert!(!supersedes(v(10, 4), Some(v(10, 4))));
        assert!(!supersedes(v(10, 3), Some(v(10, 4))));
    }

    #[test]
    fn an_older_upsert_never_resurrects_a_removed_room() {
        // seq 7: a join's upsert; seq 8: the room turned private (removal,
        // stored as a tombstone). The join's upsert arrives last.
        let tombstone = v(10, 8);
        assert!(!supersedes(v(10, 7), Some(tombstone)));
        // Turned public again later: a newer upsert lists it again.
        assert!(supersedes(v(10, 9), Some(tombstone)));
    }

    #[test]
    fn a_room_created_again_under_the_same_name_lists_again() {
        // The old room reached seq 500 and was deleted (removal at 501).
        let tombstone = v(10, 501);
        // The new incarnation starts at seq 1 but was created later.
        assert!(supersedes(v(11, 1), Some(tombstone)));
        // And the old room's late updates cannot touch the new one.
        assert!(!supersedes(v(10, 500), Some(v(11, 1))));
    }

    #[test]
    fn the_first_activity_after_a_quiet_minute_is_reported_at_once() {
        let t = 1_000_000;
        assert!(activity_report_due(None, t));
        assert!(!activity_report_due(Some(t), t + 1));
        assert!(!activity_report_due(
            Some(t),
            t + DIRECTORY_ACTIVITY_INTERVAL_MS - 1
        ));
        assert!(activity_report_due(
            Some(t),
            t + DIRECTORY_ACTIVITY_INTERVAL_MS
        ));
        // A clock that steps back reports nothing early.
        assert!(!activity_report_due(Some(t), t - 5));
    }
}
