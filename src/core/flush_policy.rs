//! When frames queued for `batch=1` sockets go out: the room's flush policy.
//!
//! Every `send` on a socket costs the runtime a message through its pipes and
//! a `writev` of its own, whatever the frame's size (the profile in
//! BENCHMARKS.md: over half of workerd's thread under load). A `batch` frame
//! carries many events for the price of one send, so a busy room flushes at
//! most about once per [`FLUSH_GAP_MS`]: the events of that gap reach each
//! `batch=1` socket as one frame. A room below that rate flushes at once, with
//! no timer and no added latency: flushes are a token bucket of
//! [`FLUSH_BURST`] tokens, one back every gap, so a few events close together
//! in a quiet room do not wait either. The latency added under load is below
//! the gap; the work saved grows with the load (a room at 600 events/s sends
//! about 100 batches a second instead of one per event).
//!
//! Pure: the caller passes the runtime's clock and carries out the plan (a
//! timer for [`FlushPlan::After`]).

/// The time a busy room waits between flushes, in milliseconds.
pub const FLUSH_GAP_MS: u64 = 10;

/// Flushes a room may make at once before it waits for the gap.
pub const FLUSH_BURST: u64 = 3;

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

/// The room's flush bucket, and whether a timer is set.
#[derive(Debug, Clone, Default)]
pub struct FlushClock {
    /// The time at which the bucket is full again: each flush moves it one
    /// gap later (never earlier than a full bucket allows). Zero: full.
    full_at_ms: u64,
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
        let next = self.next_token_at();
        if now_ms >= next {
            FlushPlan::Now
        } else {
            self.due_ms = Some(next);
            FlushPlan::After(next - now_ms)
        }
    }

    /// Records a flush (from the timer or at once): it takes a token.
    pub fn flushed(&mut self, now_ms: u64) {
        self.full_at_ms = self.full_at_ms.max(now_ms).saturating_add(FLUSH_GAP_MS);
        self.due_ms = None;
    }

    /// When the bucket next holds a token: it holds one while it is at most
    /// `FLUSH_BURST - 1` gaps from full.
    fn next_token_at(&self) -> u64 {
        self.full_at_ms
            .saturating_sub(FLUSH_BURST.saturating_sub(1).saturating_mul(FLUSH_GAP_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Runs events at `times` (ms) through the clock, firing timers when due;
    /// answers when each flush happened.
    fn simulate(times: impl IntoIterator<Item = u64>) -> Vec<u64> {
        let mut clock = FlushClock::default();
        let mut flushes = Vec::new();
        let mut timer: Option<u64> = None;
        for now in times {
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
        flushes
    }

    #[test]
    fn a_quiet_room_sends_every_event_at_once() {
        // 50 events a second, evenly: each flushes when it happens.
        let times: Vec<u64> = (0..100).map(|i| 1_000 + 20 * i).collect();
        assert_eq!(simulate(times.clone()), times);
    }

    #[test]
    fn a_few_events_close_together_do_not_wait() {
        assert_eq!(simulate([1_000, 1_001, 1_002]), vec![1_000, 1_001, 1_002]);
    }

    #[test]
    fn nothing_waiting_is_nothing_to_do() {
        let mut clock = FlushClock::default();
        assert_eq!(clock.plan(5, false), FlushPlan::Nothing);
    }

    #[test]
    fn past_the_burst_a_room_waits_for_the_gap_once() {
        let mut clock = FlushClock::default();
        for t in 0..FLUSH_BURST {
            assert_eq!(clock.plan(1_000 + t, true), FlushPlan::Now);
            clock.flushed(1_000 + t);
        }
        // The bucket is empty: one timer until the next token, and the next
        // event joins the batch it will send.
        let FlushPlan::After(ms) = clock.plan(1_003, true) else {
            panic!("expected a timer");
        };
        assert!(ms > 0 && ms <= FLUSH_GAP_MS, "{ms}");
        assert_eq!(clock.plan(1_004, true), FlushPlan::Nothing);
    }

    #[test]
    fn under_any_load_flushes_are_about_one_per_gap() {
        // An event every 0.1 ms (10,000 a second) for one second.
        let flushes = simulate((0..10_000u64).map(|tenth| 5_000 + tenth / 10));
        // Past the first burst, flushes are a gap apart.
        let spaced = flushes.get(FLUSH_BURST as usize..).unwrap_or_default();
        assert!(spaced.windows(2).all(|w| w[1] - w[0] >= FLUSH_GAP_MS));
        let n = flushes.len() as u64;
        assert!((95..=100 + FLUSH_BURST).contains(&n), "{n}");
    }

    #[test]
    fn a_lost_timer_does_not_hold_frames_for_ever() {
        let mut clock = FlushClock::default();
        for t in 0..FLUSH_BURST {
            clock.flushed(1_000 + t);
        }
        let FlushPlan::After(ms) = clock.plan(1_003, true) else {
            panic!("expected a timer");
        };
        // The timer never ran: the next delivery after the grace sends.
        assert_eq!(clock.plan(1_500, true), FlushPlan::Nothing);
        assert_eq!(
            clock.plan(1_003 + ms + OVERDUE_MS + 1, true),
            FlushPlan::Now
        );
    }
}
