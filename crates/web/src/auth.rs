//! Signing in, for the page and the API alike: the limits are decided
//! before the password is checked, and a refused attempt runs no Argon2.

use crate::AppState;
use crate::limits::Checked;
use registry::{Actor, RegistryError};

/// What a sign-in came to.
pub enum SignIn {
    Signed {
        token: String,
        actor: Actor,
    },
    /// Wrong username or password (the same answer for both).
    Wrong,
    /// Too many failures from this address or for this username.
    Limited,
}

pub async fn sign_in(
    state: &AppState,
    client: &str,
    username: &str,
    password: &str,
) -> Result<SignIn, RegistryError> {
    let checked = state
        .limits
        .attempt(client, username, async {
            let result = state.registry.sign_in(username, password, client).await;
            let failed = matches!(result, Ok(Err(_)));
            (result, failed)
        })
        .await;
    match checked {
        Checked::Limited => {
            tracing::warn!(client, "sign-in refused: too many failures");
            Ok(SignIn::Limited)
        }
        Checked::Done(result) => match result? {
            Ok((token, actor)) => Ok(SignIn::Signed { token, actor }),
            Err(failure) => {
                tracing::info!(client, reason = failure.code(), "sign-in failed");
                Ok(SignIn::Wrong)
            }
        },
    }
}
