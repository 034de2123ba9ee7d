//! When frames queued for `batch=1` sockets go out: the room's flush policy.
//!
//! Every `send` on a socket costs the runtime a message through its pipes and
//! a `writev` of its own, whatever the frame's size (the profile in
//! BENCHMARKS.md: over half of workerd's thread under load). A `batch` frame
//! carries many events for the price of one send, so under load the room sends
//! at most once per [`FLUSH_GAP_MS`]: the events of that gap reach each
//! `batch=1` socket as one frame. In a quiet room (the last flush is older than
//! the gap) nothing would coalesce, so frames go out at once, with no timer and
//! no added latency. The latency this adds under load is below the gap; the
//! work it saves grows with the load (a room at 600 events/s sends 100 batches
//! a second instead of one per event).
//!
//! Pure: the caller passes the runtime's clock and carries out the plan (a
//! timer for [`FlushPlan::After`]).

/// The shortest time between two flushes of a busy room, in milliseconds.
pub const FLUSH_GAP_MS: u64 = 10;

/// A scheduled flush that has not run this long after it was due never will
/// (its timer could not reach the socket table); the frames go at the next
/// delivery instead.
const OVERDUE_MS: u64 = 1000;

/// What to do with the frames waiting after a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushPlan {
    /// Nothing waits, or a flush is already scheduled.
    Nothing,
    /// Send now.
    Now,
    /// Set a timer for this many milliseconds, then flush.
    After(u64),
}

/// The room's flush clock: when it last flushed, and whether a timer is set.
#[derive(Debug, Clone, Default)]
pub struct FlushClock {
    last_flush_ms: u64,
    /// When the scheduled flush is due, if one is.
    due_ms: Option<u64>,
}

impl FlushClock {
    /// Decides after a delivery; `waiting` is whether any frame is queued.
    /// Records a scheduled timer.
    pub fn plan(&mut self, now_ms: u64, waiting: bool) -> FlushPlan {
        if !waiting {
            return FlushPlan::Nothing;
        }
        if let Some(due) = self.due_ms {
            return if now_ms > due.saturating_add(OVERDUE_MS) {
                FlushPlan::Now
            } else {
                FlushPlan::Nothing
            };
        }
        let next = self.last_flush_ms.saturating_add(FLUSH_GAP_MS);
        if now_ms >= next {
            FlushPlan::Now
        } else {
            self.due_ms = Some(next);
            FlushPlan::After(next - now_ms)
        }
    }

    /// Records a flush (from the timer or at once).
    pub fn flushed(&mut self, now_ms: u64) {
        self.last_flush_ms = now_ms;
        self.due_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_quiet_room_sends_at_once() {
        let mut clock = FlushClock::default();
        assert_eq!(clock.plan(1_000, true), FlushPlan::Now);
        clock.flushed(1_000);
        // The next event comes after the gap: at once again, no timer.
        assert_eq!(clock.plan(1_000 + FLUSH_GAP_MS, true), FlushPlan::Now);
    }

    #[test]
    fn nothing_waiting_is_nothing_to_do() {
        let mut clock = FlushClock::default();
        assert_eq!(clock.plan(5, false), FlushPlan::Nothing);
    }

    #[test]
    fn a_busy_room_waits_for_the_rest_of_the_gap_once() {
        let mut clock = FlushClock::default();
        clock.flushed(1_000);
        // Events 3 ms and 4 ms after a flush: one timer for the remaining 7 ms;
        // the second event joins the batch it will send.
        assert_eq!(clock.plan(1_003, true), FlushPlan::After(FLUSH_GAP_MS - 3));
        assert_eq!(clock.plan(1_004, true), FlushPlan::Nothing);
        clock.flushed(1_010);
        assert_eq!(clock.plan(1_011, true), FlushPlan::After(FLUSH_GAP_MS - 1));
    }

    #[test]
    fn flushes_are_at_least_a_gap_apart_under_any_load() {
        let mut clock = FlushClock::default();
        let mut flushes = Vec::new();
        let mut timer: Option<u64> = None;
        // An event every 0.1 ms (10,000 a second) for one second.
        for tenth in 0..10_000u64 {
            let now = 5_000 + tenth / 10;
            if let Some(at) = timer.filter(|at| *at <= now) {
                clock.flushed(at);
                flushes.push(at);
                timer = None;
            }
            match clock.plan(now, true) {
                FlushPlan::Now => {
                    clock.flushed(now);
                    flushes.push(now);
                }
                FlushPlan::After(ms) => timer = Some(now + ms),
                FlushPlan::Nothing => {}
            }
        }
        assert!(flushes.windows(2).all(|w| w[1] - w[0] >= FLUSH_GAP_MS));
        // About one flush per gap: the load does not raise the send rate.
        assert!((95..=101).contains(&flushes.len()), "{}", flushes.len());
    }

    #[test]
    fn a_lost_timer_does_not_hold_frames_for_ever() {
        let mut clock = FlushClock::default();
        clock.flushed(1_000);
        assert_eq!(clock.plan(1_001, true), FlushPlan::After(FLUSH_GAP_MS - 1));
        // The timer never ran: the next delivery after the grace sends.
        assert_eq!(clock.plan(1_500, true), FlushPlan::Nothing);
        assert_eq!(
            clock.plan(1_000 + FLUSH_GAP_MS + OVERDUE_MS + 1, true),
            FlushPlan::Now
        );
    }
}
