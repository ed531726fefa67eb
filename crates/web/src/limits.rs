//! Sign-in limits, decided before a password is checked: an address or a
//! username that has failed too often recently is refused without running
//! Argon2. An attempt in flight counts as a failure until it succeeds, so a
//! burst of simultaneous guesses cannot slip past the count.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window and key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub failures: usize,
    pub window: Duration,
}

/// Failed (or in-flight) attempts by key.
#[derive(Debug)]
pub struct FailureLimiter {
    limit: Limit,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept before old ones are swept (an attacker spraying usernames must
/// not grow the map without bound).
const SWEEP_AT: usize = 10_000;

impl FailureLimiter {
    pub fn new(limit: Limit) -> FailureLimiter {
        FailureLimiter {
            limit,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves an attempt for `key` at `now`, or None when the key has used
    /// its failures of the window.
    pub fn reserve(&self, key: &str, now: Instant) -> Option<Instant> {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.limit.window;
        if map.len() >= SWEEP_AT {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let queue = map.entry(key.to_string()).or_default();
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            queue.pop_front();
        }
        if queue.len() >= self.limit.failures {
            return None;
        }
        queue.push_back(now);
        Some(now)
    }

    /// The reserved attempt succeeded: it was not a failure.
    pub fn release(&self, key: &str, reserved: Instant) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(queue) = map.get_mut(key)
            && let Some(i) = queue.iter().position(|t| *t == reserved)
        {
            queue.remove(i);
        }
    }
}

/// The limits of sign-in: by address (an office behind one address has
/// several users) and by username.
#[derive(Debug)]
pub struct SignInLimits {
    by_address: FailureLimiter,
    by_user: FailureLimiter,
}

/// A granted attempt; give it back with [`SignInLimits::succeeded`].
pub struct Attempt {
    address: (String, Instant),
    user: (String, Instant),
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        let minute = Duration::from_secs(60);
        SignInLimits {
            by_address: FailureLimiter::new(Limit {
                failures: 20,
                window: minute,
            }),
            by_user: FailureLimiter::new(Limit {
                failures: 5,
                window: minute,
            }),
        }
    }
}

impl SignInLimits {
    /// Whether an attempt from `address` for `username` may be checked now.
    pub fn attempt(&self, address: &str, username: &str) -> Option<Attempt> {
        let now = Instant::now();
        let user_key = vntext::search_key(username);
        let a = self.by_address.reserve(address, now)?;
        let Some(u) = self.by_user.reserve(&user_key, now) else {
            self.by_address.release(address, a);
            return None;
        };
        Some(Attempt {
            address: (address.to_string(), a),
            user: (user_key, u),
        })
    }

    /// The attempt signed in: it does not count against the limits.
    pub fn succeeded(&self, attempt: Attempt) {
        self.by_address
            .release(&attempt.address.0, attempt.address.1);
        self.by_user.release(&attempt.user.0, attempt.user.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_in_a_window_and_successes_are_not() {
        let l = FailureLimiter::new(Limit {
            failures: 2,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        let a = l.reserve("k", t0).unwrap();
        let _b = l.reserve("k", t0).unwrap();
        assert!(l.reserve("k", t0).is_none(), "two in flight use the limit");
        l.release("k", a);
        assert!(
            l.reserve("k", t0).is_some(),
            "a success gives its slot back"
        );
        assert!(l.reserve("k", t0).is_none());
        assert!(l.reserve("other", t0).is_some(), "keys are separate");
        let later = t0 + Duration::from_secs(61);
        assert!(l.reserve("k", later).is_some(), "the window moves on");
    }
}
