//! Sign-in sessions and API tokens: a random 256-bit token is given to the
//! browser (cookie) or the API client (Bearer); only its SHA-256 digest is
//! stored, so a copy of the database does not hand out sessions. Failed
//! sign-ins are recorded (who, from where, when) for the administrator.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability, Role};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::UnitId;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long a session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

/// The stored form of a token: its SHA-256 digest in hex. A token is 256
/// random bits, so a fast cryptographic digest is enough (Argon2 is for
/// passwords, which are guessable).
fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a sign-in was refused, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    WrongPassword,
    UnknownUser,
    Disabled,
}

impl SignInFailure {
    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::UnknownUser => "unknown_user",
            SignInFailure::Disabled => "disabled",
        }
    }

    pub fn parse(code: &str) -> Option<SignInFailure> {
        [
            SignInFailure::WrongPassword,
            SignInFailure::UnknownUser,
            SignInFailure::Disabled,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

/// A failed sign-in, as the administrator's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSignIn {
    pub at: String,
    pub username: String,
    pub client: String,
    pub reason: SignInFailure,
}

/// Longest username a sign-in considers (longer ones are refused unchecked).
const USERNAME_MAX: usize = 64;
/// Longest password hashed (Argon2's cost grows with it).
pub const PASSWORD_MAX: usize = 256;

impl Registry {
    /// Signs in from `client` (an address): checks the password and opens a
    /// session, or records the failure. A wrong username and a wrong password
    /// cost the same time and get the same answer from the caller.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<Result<(String, Actor), SignInFailure>, RegistryError> {
        let username: String = vntext::nfc(username).chars().take(USERNAME_MAX).collect();
        let password: String = password.chars().take(PASSWORD_MAX).collect();
        let checked = self.check_password(&username, &password).await?;
        let (user_id, actor) = match checked {
            Ok(found) => found,
            Err(failure) => {
                let mut tx = self.db.write().await?;
                sqlx::query(
                    "INSERT INTO sign_in_failures (at, username, client, reason) VALUES ($1, $2, $3, $4)",
                )
                .bind(crate::now())
                .bind(&username)
                .bind(client.chars().take(64).collect::<String>())
                .bind(failure.code())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(Err(failure));
            }
        };
        let token = new_token();
        let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
        let mut tx = self.db.write().await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash(&token))
            .bind(user_id)
            .bind(crate::now())
            .bind(expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            &actor,
            Action::SignIn,
            Entity::User,
            &actor.name,
            actor.unit_id,
            json!({"client": client}),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok((token, actor)))
    }

    /// The latest failed sign-ins, newest first (administrators only).
    pub async fn failed_sign_ins(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<FailedSignIn>, RegistryError> {
        actor.require(Capability::Administer)?;
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT at, username, client, reason FROM sign_in_failures ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, username, client, reason)| FailedSignIn {
                at,
                username,
                client,
                reason: SignInFailure::parse(&reason).unwrap_or(SignInFailure::WrongPassword),
            })
            .collect())
    }

    /// The actor of a live session, and the name of its unit (what the
    /// page header shows).
    pub async fn session_actor(
        &self,
        token: &str,
    ) -> Result<Option<(Actor, Option<String>)>, RegistryError> {
        #[derive(sqlx::FromRow)]
        struct Live {
            username: String,
            role: String,
            unit_id: Option<UnitId>,
            disabled: i64,
            unit_name: Option<String>,
            agency: Option<String>,
        }
        let row: Option<Live> = sqlx::query_as(
            "SELECT u.username, u.role, u.unit_id, u.disabled, n.name AS unit_name, u.agency FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN units n ON n.id = u.unit_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(crate::now())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.and_then(|live| {
            (live.disabled == 0).then_some(())?;
            Some((
                Actor {
                    name: live.username,
                    role: Role::parse(&live.role)?,
                    unit_id: live.unit_id,
                    agency: live.agency,
                },
                live.unit_name,
            ))
        }))
    }

    /// Signs out.
    pub async fn sign_out(&self, token: &str) -> Result<(), RegistryError> {
        let mut tx = self.db.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the actor's own password, checking the old one; ends their
    /// other sessions.
    pub async fn change_password(
        &self,
        actor: &Actor,
        old: &str,
        new: &str,
    ) -> Result<bool, RegistryError> {
        if self.check_password(&actor.name, old).await?.is_err() {
            return Ok(false);
        }
        if new.chars().count() < 8 {
            return Err(RegistryError::invalid("mật khẩu mới cần ít nhất 8 ký tự"));
        }
        if new.chars().count() > PASSWORD_MAX {
            return Err(RegistryError::invalid(format!(
                "mật khẩu mới dài quá {PASSWORD_MAX} ký tự"
            )));
        }
        let hashed = crate::users::hash_password(new.to_string()).await?;
        let mut tx = self.db.write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(&hashed)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::ChangePassword,
            Entity::User,
            &actor.name,
            actor.unit_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_stored_as_their_sha256_digest() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            super::token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::new_token().len(), 64);
    }
}
