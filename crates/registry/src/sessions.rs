//! Sign-in sessions and API tokens: a random 256-bit token is given to the
//! browser (cookie) or the API client (Bearer); only a hash of it is stored,
//! so a copy of the database does not hand out sessions.

use crate::error::RegistryError;
use crate::service::{Actor, Registry, Role, audit};
use serde_json::json;

/// How long a session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

fn token_hash(token: &str) -> String {
    // Argon2 is for passwords; a session token is 256 random bits, so a fast
    // keyless hash is enough to keep the stored value from being the token.
    use std::hash::{Hash, Hasher};
    let mut out = String::new();
    for salt in 0u64..4 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        token.hash(&mut h);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Registry {
    /// Signs in: checks the password and opens a session. None when the
    /// username or password is wrong (the caller says the same for both).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<(String, Actor)>, RegistryError> {
        let Some(actor) = self.authenticate(username, password).await? else {
            return Ok(None);
        };
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(vntext::nfc(username))
            .fetch_one(&self.db.pool)
            .await?;
        let token = new_token();
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::hours(SESSION_HOURS);
        let mut tx = self.db.pool.begin().await?;
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
            "sign_in",
            "user",
            &actor.name,
            actor.unit_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(Some((token, actor)))
    }

    /// The actor of a live session.
    pub async fn session_actor(&self, token: &str) -> Result<Option<Actor>, RegistryError> {
        let row: Option<(String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT u.username, u.role, u.unit_id, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(crate::now())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.and_then(|(name, role, unit_id, disabled)| {
            (disabled == 0).then_some(())?;
            Some(Actor {
                name,
                role: Role::parse(&role)?,
                unit_id,
            })
        }))
    }

    /// Signs out.
    pub async fn sign_out(&self, token: &str) -> Result<(), RegistryError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.db.pool)
            .await?;
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
        if self.authenticate(&actor.name, old).await?.is_none() {
            return Ok(false);
        }
        if new.chars().count() < 8 {
            return Err(RegistryError::Invalid(vec![
                "mật khẩu mới cần ít nhất 8 ký tự".into(),
            ]));
        }
        let hashed = crate::users::hash_password(new.to_string()).await?;
        let mut tx = self.db.pool.begin().await?;
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
            "change_password",
            "user",
            &actor.name,
            actor.unit_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
