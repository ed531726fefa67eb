//! Sign-in limits, decided before a password is checked: an address or a
//! username that has failed too often recently is refused without running
//! Argon2. Attempts for one username take turns, so a burst of simultaneous
//! guesses is counted one by one (and an officer signing in on a phone and a
//! computer at once just waits a moment); attempts from one address run a
//! few at a time, so a burst over many usernames cannot overshoot the
//! address's limit by more than that.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures allowed per window and key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub failures: usize,
    pub window: Duration,
}

/// Keys kept before idle ones are swept (an attacker spraying usernames must
/// not grow the maps without bound).
const SWEEP_AT: usize = 10_000;

/// Recent failures by key.
#[derive(Debug)]
pub struct FailureLimiter {
    limit: Limit,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    pub fn new(limit: Limit) -> FailureLimiter {
        FailureLimiter {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` may try again at `now`.
    pub fn allows(&self, key: &str, now: Instant) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.limit.window;
        match map.get_mut(key) {
            None => true,
            Some(queue) => {
                while queue
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    queue.pop_front();
                }
                queue.len() < self.limit.failures
            }
        }
    }

    /// A failure of `key` at `now`.
    pub fn failed(&self, key: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.limit.window;
        if map.len() >= SWEEP_AT {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        map.entry(key.to_string()).or_default().push_back(now);
    }
}

/// One async lock per key, created on demand and swept when idle.
#[derive(Debug)]
struct Turns<T> {
    map: Mutex<HashMap<String, Arc<T>>>,
}

impl<T> Default for Turns<T> {
    fn default() -> Turns<T> {
        Turns {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Turns<T> {
    fn get(&self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, t| Arc::strong_count(t) > 1);
        }
        map.entry(key.to_string())
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }
}

/// Attempts from one address checked at the same time.
const PER_ADDRESS: usize = 4;

/// The limits of sign-in: by address (an office behind one address has
/// several users) and by username.
#[derive(Debug)]
pub struct SignInLimits {
    by_address: FailureLimiter,
    by_user: FailureLimiter,
    user_turns: Turns<tokio::sync::Mutex<()>>,
    address_turns: Turns<tokio::sync::Semaphore>,
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
            user_turns: Turns::default(),
            address_turns: Turns::default(),
        }
    }
}

/// What a limited attempt came to.
pub enum Checked<T> {
    Done(T),
    Limited,
}

impl SignInLimits {
    /// Runs `check` (the password check) for `username` from `address`
    /// in its turn, unless the limits refuse; `check` says whether it
    /// failed, and a failure is counted.
    pub async fn attempt<T, F>(&self, address: &str, username: &str, check: F) -> Checked<T>
    where
        F: std::future::Future<Output = (T, bool)>,
    {
        let user_key = vntext::search_key(username);
        let address_turn = self
            .address_turns
            .get(address, || tokio::sync::Semaphore::new(PER_ADDRESS));
        let Ok(_address_permit) = address_turn.acquire().await else {
            return Checked::Limited;
        };
        let user_turn = self
            .user_turns
            .get(&user_key, || tokio::sync::Mutex::new(()));
        let _user_turn = user_turn.lock().await;
        let now = Instant::now();
        if !self.by_address.allows(address, now) || !self.by_user.allows(&user_key, now) {
            return Checked::Limited;
        }
        let (value, failed) = check.await;
        if failed {
            let now = Instant::now();
            self.by_address.failed(address, now);
            self.by_user.failed(&user_key, now);
        }
        Checked::Done(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_in_a_window() {
        let l = FailureLimiter::new(Limit {
            failures: 2,
            window: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert!(l.allows("k", t0));
        l.failed("k", t0);
        l.failed("k", t0);
        assert!(!l.allows("k", t0), "two failures use the limit");
        assert!(l.allows("other", t0), "keys are separate");
        let later = t0 + Duration::from_secs(61);
        assert!(l.allows("k", later), "the window moves on");
    }

    #[tokio::test]
    async fn simultaneous_attempts_for_one_user_are_counted_one_by_one() {
        let limits = Arc::new(SignInLimits::default());
        let tries: Vec<_> = (0..12)
            .map(|_| {
                let limits = limits.clone();
                tokio::spawn(async move {
                    let checked = limits
                        .attempt("10.0.0.1", "ai-do", async {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            ((), true)
                        })
                        .await;
                    matches!(checked, Checked::Done(()))
                })
            })
            .collect();
        let mut checked = 0;
        for t in tries {
            checked += usize::from(t.await.unwrap());
        }
        assert_eq!(checked, 5, "only five wrong passwords were checked");
    }
}
