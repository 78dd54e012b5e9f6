//! Wall-clock time for changes. It is informational only: no merge or permission decision
//! ever reads it. The caller can replace the clock so tests and examples are reproducible.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A source of wall-clock time, in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time in milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that starts at a given instant and advances by a fixed step each time it is read.
///
/// ```
/// use cercle::{Clock, SteppingClock};
/// let clock = SteppingClock::new("2010-02-23T12:25:00Z".parse().unwrap(), 1000);
/// assert_eq!(clock.now_millis() + 1000, clock.now_millis());
/// ```
pub struct SteppingClock {
    next: AtomicI64,
    step: i64,
}

impl SteppingClock {
    /// A clock whose first reading is `start` and which advances by `step_millis` per read.
    pub fn new(start: DateTime<Utc>, step_millis: i64) -> Self {
        SteppingClock {
            next: AtomicI64::new(start.timestamp_millis()),
            step: step_millis,
        }
    }
}

impl Clock for SteppingClock {
    fn now_millis(&self) -> i64 {
        self.next.fetch_add(self.step, Ordering::Relaxed)
    }
}

impl fmt::Debug for SteppingClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SteppingClock")
            .field("next", &self.next.load(Ordering::Relaxed))
            .field("step", &self.step)
            .finish()
    }
}
