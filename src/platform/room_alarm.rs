//! The room's one Durable Object alarm, shared by three needs: the directory
//! report of a busy minute's last activity (`Effect::DirectoryFlushAt`), the
//! expiry of the earliest socket token (see `core::room_sessions`), and the
//! deletion of uploads no message used within a day
//! (`Effect::UploadsExpireAt`). The alarm is set to the earliest; the handler
//! does all three and sets it again for what is left.
//!
//! The alarm is durable and outlives the object's memory, so a fresh instance
//! does not know it: before it arms for an expiry alone (which must never move
//! a pending directory report later) it reads it once ([`Alarm::learn`]).

use std::cell::Cell;

use worker::js_sys::{Date, Object};
use worker::wasm_bindgen::JsValue;
use worker::Storage;

use crate::core::room::Effect;
use crate::core::room_sessions::next_wake;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Not read since this instance started.
    Unknown,
    Unset,
    At(u64),
}

/// What this instance knows of its alarm.
pub struct Alarm {
    known: Cell<Known>,
}

impl Default for Alarm {
    fn default() -> Self {
        Alarm {
            known: Cell::new(Known::Unknown),
        }
    }
}

impl Alarm {
    /// Reads the stored alarm if this instance has not yet.
    pub async fn learn(&self, storage: &Storage) {
        if self.known.get() != Known::Unknown {
            return;
        }
        let known = match storage.get_alarm().await {
            Ok(Some(ms)) => Known::At(u64::try_from(ms).unwrap_or(0)),
            Ok(None) => Known::Unset,
            Err(e) => {
                worker::console_error!("could not read the room's alarm: {e}");
                return;
            }
        };
        // An arm while the read was in flight is newer.
        if self.known.get() == Known::Unknown {
            self.known.set(known);
        }
    }

    /// The alarm fired: it is no longer set.
    pub fn fired(&self) {
        self.known.set(Known::Unset);
    }

    /// Takes the `DirectoryFlushAt` out of `effects` and sets the alarm for
    /// it and the earliest socket expiry (asked only then); returns the
    /// other effects.
    pub fn schedule(
        &self,
        storage: &Storage,
        effects: Vec<Effect>,
        earliest_expiry_s: impl FnOnce() -> Option<u64>,
    ) -> Vec<Effect> {
        let mut directory_at = None;
        let mut uploads_at = None;
        let mut rest = Vec::with_capacity(effects.len());
        let earliest = |held: Option<u64>, at: u64| Some(held.map_or(at, |a| a.min(at)));
        for effect in effects {
            match effect {
                Effect::DirectoryFlushAt { at_ms } => directory_at = earliest(directory_at, at_ms),
                Effect::UploadsExpireAt { at_ms } => uploads_at = earliest(uploads_at, at_ms),
                other => rest.push(other),
            }
        }
        if let Some(at) = uploads_at {
            self.arm_at(storage, at);
        }
        if let Some(at) = directory_at {
            // A directory report supersedes an earlier one, and every expiry
            // is in `next_wake`, so this may move the alarm either way.
            if let Some(at) = next_wake(Some(at), earliest_expiry_s().into_iter()) {
                self.set(storage, at);
            }
        }
        rest
    }

    /// A socket whose token expires at `exp_s` joined: wake for it unless the
    /// alarm is due sooner. Call [`Alarm::learn`] first, or this can only
    /// assume the alarm is unset.
    pub fn arm_expiry(&self, storage: &Storage, exp_s: u64) {
        self.arm_at(storage, exp_s.saturating_mul(1000));
    }

    /// Wakes at `at` unless the alarm is due sooner (learn it first).
    fn arm_at(&self, storage: &Storage, at: u64) {
        match self.known.get() {
            Known::At(current) if current <= at => {}
            Known::Unknown => {
                worker::console_error!("arming an expiry without knowing the alarm");
            }
            _ => self.set(storage, at),
        }
    }

    /// After the alarm handler (and its directory report, which
    /// [`Alarm::schedule`] armed if needed): wake for the next token expiry
    /// or unused upload's expiry, whichever comes first.
    pub fn rearm(
        &self,
        storage: &Storage,
        earliest_expiry_s: Option<u64>,
        uploads_at: Option<u64>,
    ) {
        if self.known.get() == Known::Unset {
            let tokens = next_wake(None, earliest_expiry_s.into_iter());
            if let Some(at) = tokens.into_iter().chain(uploads_at).min() {
                self.set(storage, at);
            }
        } else if let Some(at) = uploads_at {
            self.arm_at(storage, at);
        }
    }

    fn set(&self, storage: &Storage, at_ms: u64) {
        let at = Date::new(&JsValue::from_f64(at_ms as f64));
        // The write goes out with the event's other storage (the output gate
        // holds replies until it is durable), so it survives eviction.
        match storage.as_raw().set_alarm(at, Object::new()) {
            Ok(_) => self.known.set(Known::At(at_ms)),
            Err(e) => worker::console_error!("could not set the room's alarm: {e:?}"),
        }
    }
}
