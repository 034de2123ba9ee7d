//! What a room tells the directory, and when: a listing change at once, and
//! activity at once after a quiet minute, then at most once a minute (the
//! rules are in `directory`; this is the room's side of them).

use super::directory::{activity_report_due, DirectoryVersion, DIRECTORY_ACTIVITY_INTERVAL_MS};
use super::room::{Effect, Room};

impl Room {
    /// The directory effect after a change of listing (called once the
    /// change and its event are committed, so `last_seq` is that event's).
    /// The listing carries the latest activity, so nothing is pending after it.
    pub(super) fn directory_changed(&mut self) -> Effect {
        let version = self
            .state
            .as_ref()
            .map(|s| DirectoryVersion {
                created_at: s.created_at,
                seq: s.last_seq,
            })
            .unwrap_or_default();
        self.activity_pending = false;
        Effect::DirectoryChanged {
            version,
            listing: self.listing(),
        }
    }

    /// After a message in a public room: tell the directory about the new
    /// activity when [`activity_report_due`] says so (at once after a quiet
    /// minute, then at most once a minute). A message that is not reported
    /// asks for a wake-up when the next report is allowed, so the directory
    /// hears of a burst's last message within a minute, not only with the
    /// room's next message.
    pub(super) fn touch_activity(&mut self, now_ms: u64, out: &mut Vec<Effect>) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        state.last_activity_ms = state.last_activity_ms.max(now_ms);
        if state.visibility != super::protocol::Visibility::Public {
            return;
        }
        if activity_report_due(self.activity_reported_ms, now_ms) {
            self.activity_reported_ms = Some(now_ms);
            let effect = self.directory_changed();
            out.push(effect);
        } else if !self.activity_pending {
            self.activity_pending = true;
            out.push(Effect::DirectoryFlushAt {
                at_ms: self.next_report_ms(now_ms),
            });
        }
    }

    /// When the next activity report is allowed.
    pub(super) fn next_report_ms(&self, now_ms: u64) -> u64 {
        self.activity_reported_ms
            .map_or(now_ms, |t| t.saturating_add(DIRECTORY_ACTIVITY_INTERVAL_MS))
    }

    /// The wake-up of an [`Effect::DirectoryFlushAt`]: reports activity the
    /// directory has not heard of, if the room is public and a report is
    /// allowed by now (else asks to be woken again). A room reloaded since
    /// (hibernation, restart) does not know whether anything was pending and
    /// reports once.
    pub fn directory_flush(&mut self, now_ms: u64) -> Vec<Effect> {
        let reloaded = self.activity_reported_ms.is_none();
        if self.listing().is_none() || !(self.activity_pending || reloaded) {
            self.activity_pending = false;
            return Vec::new();
        }
        if !activity_report_due(self.activity_reported_ms, now_ms) {
            self.activity_pending = true;
            return vec![Effect::DirectoryFlushAt {
                at_ms: self.next_report_ms(now_ms),
            }];
        }
        self.activity_reported_ms = Some(now_ms);
        vec![self.directory_changed()]
    }
}
