//! Accounts: passwords hashed with Argon2id (PHC strings).

use crate::error::RegistryError;
use crate::gate::{Actor, Capability, Role};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::UnitId;
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

/// Argon2 takes about 19 MiB and a core's worth of time per hash: at most
/// this many run at once, whatever the number of simultaneous sign-ins, so
/// a flood of them queues instead of exhausting memory.
fn argon2_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.clamp(1, 4))
    })
}

/// Runs Argon2 work off the async threads, within the permits.
async fn argon2_work<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RegistryError> {
    let _permit = argon2_permits()
        .acquire()
        .await
        .map_err(|e| RegistryError::Password(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| RegistryError::Password(e.to_string()))
}

/// Hashes a password off the async threads (Argon2 is slow on purpose).
pub(crate) async fn hash_password(password: String) -> Result<String, RegistryError> {
    argon2_work(move || hash(password)).await?
}

/// A hash of a password nobody knows, verified when the username does not
/// exist, so that a wrong username takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        use rand::RngCore;
        let mut secret = [0u8; 16];
        rand::rng().fill_bytes(&mut secret);
        let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        hash(secret).unwrap_or_default()
    })
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
        actor.require(Capability::Administer)?;
        let username = vntext::nfc(username);
        let mut problems = Vec::new();
        if username.is_empty() || username.chars().any(char::is_whitespace) {
            problems.push("tên đăng nhập không được trống hay chứa dấu cách".to_string());
        }
        if username.chars().count() > 64 || username.chars().any(char::is_control) {
            problems.push("tên đăng nhập: tối đa 64 ký tự, không có ký tự điều khiển".to_string());
        }
        if password.chars().count() < 8 {
            problems.push("mật khẩu cần ít nhất 8 ký tự".to_string());
        }
        if password.chars().count() > crate::sessions::PASSWORD_MAX {
            problems.push(format!(
                "mật khẩu: tối đa {} ký tự",
                crate::sessions::PASSWORD_MAX
            ));
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
        // An unknown unit is reported above; the role's rule needs a known one.
        if (unit_code.is_none() || unit.is_some())
            && let Err(e) = role.fits_unit(unit.as_ref().map(|u| u.level))
        {
            problems.push(e);
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let hashed = hash_password(password.to_string()).await?;
        let unit_id = unit.map(|u| u.id);
        let mut tx = self.db.write().await?;
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
            Action::Create,
            Entity::User,
            &username,
            unit_id,
            json!({"role": role.code(), "unit": unit_code}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sets the agency of an agency officer's account (a code of the policy
    /// catalogue): what its work lists, deliveries and imports cover.
    pub async fn assign_agency(
        &self,
        actor: &Actor,
        username: &str,
        agency: &str,
        policies: &support::Catalogue,
    ) -> Result<(), RegistryError> {
        actor.require(Capability::Administer)?;
        let username = vntext::nfc(username);
        let role: Option<(String, Option<UnitId>)> =
            sqlx::query_as("SELECT role, unit_id FROM users WHERE username = $1")
                .bind(&username)
                .fetch_optional(&self.db.pool)
                .await?;
        let Some((role, unit_id)) = role else {
            return Err(RegistryError::NotFound(format!("tài khoản \"{username}\"")));
        };
        let mut problems = Vec::new();
        if Role::parse(&role) != Some(Role::AgencyOfficer) {
            problems.push(format!(
                "cơ quan: chỉ tài khoản cán bộ cơ quan (agency_officer) thuộc một cơ quan; \"{username}\" là {role}"
            ));
        }
        let Some(named) = policies.agency(agency) else {
            problems.push(format!(
                "cơ quan: \"{agency}\" không có trong danh mục (có: {})",
                policies
                    .agencies
                    .iter()
                    .map(|a| a.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return Err(RegistryError::Invalid(problems));
        };
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut tx = self.db.write().await?;
        sqlx::query("UPDATE users SET agency = $1 WHERE username = $2")
            .bind(&named.code)
            .bind(&username)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::Update,
            Entity::User,
            &username,
            unit_id,
            json!({"agency": named.name.vi}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor for a username and password, or None.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Actor>, RegistryError> {
        Ok(self
            .check_password(username, password)
            .await?
            .ok()
            .map(|(_, actor)| actor))
    }

    /// The user id and actor for a username and password, or why not. The
    /// password is verified whether or not the username exists.
    pub(crate) async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Result<(i64, Actor), crate::sessions::SignInFailure>, RegistryError> {
        use crate::sessions::SignInFailure;
        let username = vntext::nfc(username);
        /// (id, password hash, role, unit, disabled, agency).
        type Account = (i64, String, String, Option<UnitId>, i64, Option<String>);
        let row: Option<Account> = sqlx::query_as(
            "SELECT id, password_hash, role, unit_id, disabled, agency FROM users WHERE username = $1",
        )
        .bind(&username)
        .fetch_optional(&self.db.pool)
        .await?;
        let stored = row.as_ref().map(|r| r.1.clone());
        let password = password.to_string();
        let matches = argon2_work(move || {
            let stored = stored.unwrap_or_else(|| decoy_hash().to_string());
            PasswordHash::new(&stored).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await?;
        let Some((id, _, role, unit_id, disabled, agency)) = row else {
            return Ok(Err(SignInFailure::UnknownUser));
        };
        if !matches {
            return Ok(Err(SignInFailure::WrongPassword));
        }
        if disabled != 0 {
            return Ok(Err(SignInFailure::Disabled));
        }
        let Some(role) = Role::parse(&role) else {
            return Ok(Err(SignInFailure::Disabled));
        };
        Ok(Ok((
            id,
            Actor {
                name: username,
                role,
                unit_id,
                agency,
            },
        )))
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
        actor.require(Capability::Administer)?;
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
        actor.require(Capability::Administer)?;
        let unit = match unit_code.filter(|u| !u.is_empty()) {
            None => None,
            Some(code) => Some(
                self.unit_by_code(code)
                    .await?
                    .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{code}\"")))?,
            ),
        };
        role.fits_unit(unit.as_ref().map(|u| u.level))
            .map_err(|e| RegistryError::Invalid(vec![e]))?;
        let unit_id = unit.map(|u| u.id);
        let mut tx = self.db.write().await?;
        // An agency goes with the agency officer's role; another role has none.
        let changed = sqlx::query(
            "UPDATE users SET role = $1, unit_id = $2, agency = CASE WHEN $1 = 'agency_officer' THEN agency ELSE NULL END WHERE username = $3",
        )
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
            Action::SetRole,
            Entity::User,
            username,
            unit_id,
            json!({"role": role.code(), "unit": unit_code}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
