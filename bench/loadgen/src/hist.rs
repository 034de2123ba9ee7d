//! A lock-free latency histogram (microseconds), log-linear: exact below 128 us,
//! then 64 buckets per power of two (under 1.6% error). Every reader task records
//! into the same histogram with relaxed atomic adds.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS; // 128
const HALF: u64 = SUB / 2; // 64
const MAX_SHIFT: u64 = 34; // values up to ~2^41 us are kept exactly enough
const BUCKETS: usize = (SUB + MAX_SHIFT * HALF) as usize;

pub struct Hist {
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    max: AtomicU64,
}

fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let msb = 63 - u64::from(v.leading_zeros());
    let shift = (msb - (u64::from(SUB_BITS) - 1)).min(MAX_SHIFT);
    let top = (v >> shift).min(SUB - 1);
    (SUB + (shift - 1) * HALF + (top - HALF)) as usize
}

/// The middle of bucket `i`.
fn value(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = (i - SUB) / HALF + 1;
    let top = (i - SUB) % HALF + HALF;
    (top << shift) + (1 << shift) / 2
}

impl Hist {
    pub fn new() -> Hist {
        Hist {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    pub fn record(&self, us: u64) {
        self.buckets[index(us).min(BUCKETS - 1)].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.max.fetch_max(us, Relaxed);
    }

    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Relaxed);
        }
        self.count.store(0, Relaxed);
        self.max.store(0, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    pub fn max(&self) -> u64 {
        self.max.load(Relaxed)
    }

    /// The `q` quantile over `population` samples, where samples that never
    /// arrived (population - count) count as infinitely late: `None` when the
    /// quantile falls among them.
    pub fn quantile(&self, q: f64, population: u64) -> Option<u64> {
        let population = population.max(self.count());
        if population == 0 {
            return None;
        }
        let rank = ((q * population as f64).ceil() as u64).clamp(1, population);
        let mut seen = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Relaxed);
            if seen >= rank {
                return Some(value(i).min(self.max()));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_close() {
        let mut last = 0;
        for v in [
            0u64,
            1,
            127,
            128,
            129,
            255,
            256,
            1000,
            12_345,
            99_999,
            1 << 30,
        ] {
            let i = index(v);
            assert!(i >= last);
            last = i;
            let back = value(i);
            let err = (back as f64 - v as f64).abs() / (v.max(1) as f64);
            assert!(err < 0.02, "{v} -> {back}");
        }
    }

    #[test]
    fn missing_samples_are_infinitely_late() {
        let h = Hist::new();
        for v in 0..99 {
            h.record(v);
        }
        assert!(h.quantile(0.5, 100).is_some());
        assert!(h.quantile(0.99, 100).is_some());
        assert!(h.quantile(0.99, 101).is_none());
    }
}
