//! Accounts: passwords hashed with Argon2id (PHC strings).

use crate::error::RegistryError;
use crate::service::{Actor, Registry, Role, audit};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use serde_json::json;

fn hash(password: String) -> Result<String, RegistryError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| RegistryError::Password(e.to_string()))
}

/// Hashes a password off the async threads (Argon2 is slow on purpose).
pub(crate) async fn hash_password(password: String) -> Result<String, RegistryError> {
    tokio::task::spawn_blocking(move || hash(password))
        .await
        .map_err(|e| RegistryError::Password(e.to_string()))?
}

impl Registry {
    /// Creates an account. Commune officers need a commune; every role but the
    /// administrator needs a unit.
    pub async fn add_user(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
        role: Role,
        unit_code: Option<&str>,
    ) -> Result<i64, RegistryError> {
        self.check_admin(actor).await?;
        let username = vntext::nfc(username);
        let mut problems = Vec::new();
        if username.is_empty() || username.chars().any(char::is_whitespace) {
            problems.push("tên đăng nhập không được trống hay chứa dấu cách".to_string());
        }
        if password.chars().count() < 8 {
            problems.push("mật khẩu cần ít nhất 8 ký tự".to_string());
        }
        let unit = match unit_code {
            None => None,
            Some(code) => match self.unit_by_code(code).await? {
                Some(u) => Some(u),
                None => {
                    problems.push(format!("không có đơn vị \"{code}\""));
                    None
                }
            },
        };
        if role != Role::Admin && unit_code.is_none() {
            problems.push(format!("vai trò {} cần một đơn vị (--unit)", role.code()));
        }
        if role == Role::CommuneOfficer && unit.as_ref().is_some_and(|u| u.level != "commune") {
            problems.push("cán bộ xã phải thuộc một xã".to_string());
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let hashed = hash_password(password.to_string()).await?;
        let unit_id = unit.map(|u| u.id);
        let mut tx = self.db.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role, unit_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&username)
        .bind(&hashed)
        .bind(role.code())
        .bind(unit_id)
        .bind(crate::now())
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "create",
            "user",
            &username,
            unit_id,
            json!({"role": role.code(), "unit": unit_code}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The actor for a username and password, or None.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Actor>, RegistryError> {
        let row: Option<(String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT password_hash, role, unit_id, disabled FROM users WHERE username = $1",
        )
        .bind(vntext::nfc(username))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((stored, role, unit_id, disabled)) = row else {
            return Ok(None);
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        Ok((ok && disabled == 0)
            .then(|| {
                Role::parse(&role).map(|role| Actor {
                    name: username.to_string(),
                    role,
                    unit_id,
                })
            })
            .flatten())
    }
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub username: String,
    pub role: String,
    pub unit: Option<String>,
    pub disabled: i64,
}

impl Registry {
    /// Every account (administrators only).
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserRow>, RegistryError> {
        self.check_admin(actor).await?;
        Ok(sqlx::query_as(
            "SELECT u.username, u.role, n.code AS unit, u.disabled FROM users u LEFT JOIN units n ON n.id = u.unit_id ORDER BY u.username",
        )
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Gives an account another role and unit (administrators only); ends
    /// its sessions so the change takes effect at once.
    pub async fn set_role(
        &self,
        actor: &Actor,
        username: &str,
        role: Role,
        unit_code: Option<&str>,
    ) -> Result<(), RegistryError> {
        self.check_admin(actor).await?;
        let unit = match unit_code.filter(|u| !u.is_empty()) {
            None => None,
            Some(code) => Some(
                self.unit_by_code(code)
                    .await?
                    .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{code}\"")))?,
            ),
        };
        if role != Role::Admin && unit.is_none() {
            return Err(RegistryError::Invalid(vec![format!(
                "vai trò {} cần một đơn vị",
                role.code()
            )]));
        }
        if role == Role::CommuneOfficer && unit.as_ref().is_some_and(|u| u.level != "commune") {
            return Err(RegistryError::Invalid(vec![
                "cán bộ xã phải thuộc một xã".into(),
            ]));
        }
        let unit_id = unit.map(|u| u.id);
        let mut tx = self.db.pool.begin().await?;
        let changed = sqlx::query("UPDATE users SET role = $1, unit_id = $2 WHERE username = $3")
            .bind(role.code())
            .bind(unit_id)
            .bind(username)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(RegistryError::NotFound(format!("tài khoản \"{username}\"")));
        }
        sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "set_role",
            "user",
            username,
            unit_id,
            json!({"role": role.code(), "unit": unit_code}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
