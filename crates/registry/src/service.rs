//! The one place that writes: every change goes through [`Registry`], which
//! checks that the actor may touch the unit and writes the audit row in the
//! same transaction as the change.

use crate::db::Db;
use crate::error::RegistryError;
use serde_json::{Value, json};
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// The roles of the system, with their identifiers on the command line and in
/// the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    DistrictOfficer,
    CommuneOfficer,
    AgencyOfficer,
    Leader,
    Statistics,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::DistrictOfficer,
        Role::CommuneOfficer,
        Role::AgencyOfficer,
        Role::Leader,
        Role::Statistics,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DistrictOfficer => "district_officer",
            Role::CommuneOfficer => "commune_officer",
            Role::AgencyOfficer => "agency_officer",
            Role::Leader => "leader",
            Role::Statistics => "statistics",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether the role may change registry data (within its scope).
    pub fn writes(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::DistrictOfficer | Role::CommuneOfficer
        )
    }
}

/// Who acts: a signed-in user, or the command line run by whoever holds the
/// database (an administrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The unit the actor belongs to; None for an administrator.
    pub unit_id: Option<i64>,
}

impl Actor {
    /// The command line: an administrator of the whole database.
    pub fn command_line() -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "?".into());
        Actor {
            name: format!("cli:{user}"),
            role: Role::Admin,
            unit_id: None,
        }
    }
}

/// The units an actor may see: None means all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    units: Option<BTreeSet<i64>>,
    /// The communes among them: what a household's commune is compared
    /// with (a short list, not every village).
    communes: Option<BTreeSet<i64>>,
}

impl Scope {
    pub fn communes(&self) -> Option<&BTreeSet<i64>> {
        self.communes.as_ref()
    }

    pub fn contains(&self, unit_id: i64) -> bool {
        self.units.as_ref().is_none_or(|u| u.contains(&unit_id))
    }

    pub fn all(&self) -> bool {
        self.units.is_none()
    }

    pub fn units(&self) -> Option<&BTreeSet<i64>> {
        self.units.as_ref()
    }
}

/// Called when an import has to wait for another one to finish.
pub type ImportWait = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The registry's service layer.
#[derive(Clone)]
pub struct Registry {
    pub(crate) db: Db,
    import_wait: Option<ImportWait>,
    /// Scopes with fewer households are name-searched household by
    /// household (see `views::search_page`).
    pub(crate) small_scope: i64,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("db", &self.db).finish()
    }
}

impl Registry {
    pub fn new(db: Db) -> Registry {
        Registry {
            db,
            import_wait: None,
            small_scope: crate::views::SMALL_SCOPE,
        }
    }

    /// Sets the size under which a scope is name-searched household by
    /// household (tests run both ways of searching on small data).
    pub fn with_small_scope(mut self, households: i64) -> Registry {
        self.small_scope = households;
        self
    }

    /// Tells `wait` when an import waits for another import to finish.
    pub fn on_import_wait(mut self, wait: ImportWait) -> Registry {
        self.import_wait = Some(wait);
        self
    }

    /// Waits for this process's turn to import (one import at a time).
    pub(crate) async fn import_turn(&self) -> Result<crate::db::ImportTurn, RegistryError> {
        let wait = self.import_wait.clone();
        self.db
            .import_turn(&move || {
                if let Some(w) = &wait {
                    w();
                }
            })
            .await
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The unit tree, as (id → parent id) and (id → merged-into id).
    pub(crate) async fn unit_links(
        &self,
    ) -> Result<(BTreeMap<i64, Option<i64>>, BTreeMap<i64, i64>), RegistryError> {
        let rows: Vec<(i64, Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT id, parent_id, merged_into_id FROM units")
                .fetch_all(&self.db.pool)
                .await?;
        let parents = rows.iter().map(|(id, parent, _)| (*id, *parent)).collect();
        let merged = rows
            .iter()
            .filter_map(|(id, _, into)| into.map(|m| (*id, m)))
            .collect();
        Ok((parents, merged))
    }

    /// A unit with everything under it, and every unit merged into any of
    /// those (whose households roll up to the new unit).
    pub async fn unit_family(&self, unit_id: i64) -> Result<BTreeSet<i64>, RegistryError> {
        let (parents, merged) = self.unit_links().await?;
        let mut family = BTreeSet::from([unit_id]);
        loop {
            let before = family.len();
            for (&id, parent) in &parents {
                if parent.is_some_and(|p| family.contains(&p)) {
                    family.insert(id);
                }
            }
            for (&id, &into) in &merged {
                if family.contains(&into) {
                    family.insert(id);
                }
            }
            if family.len() == before {
                return Ok(family);
            }
        }
    }

    /// What the actor may see.
    pub async fn scope(&self, actor: &Actor) -> Result<Scope, RegistryError> {
        match (actor.role, actor.unit_id) {
            (Role::Admin, _) => Ok(Scope {
                units: None,
                communes: None,
            }),
            (_, Some(unit)) => {
                let units = self.unit_family(unit).await?;
                let communes: BTreeSet<i64> =
                    sqlx::query_scalar::<_, i64>("SELECT id FROM units WHERE level = 'commune'")
                        .fetch_all(&self.db.pool)
                        .await?
                        .into_iter()
                        .filter(|id| units.contains(id))
                        .collect();
                Ok(Scope {
                    units: Some(units),
                    communes: Some(communes),
                })
            }
            (_, None) => Ok(Scope {
                units: Some(BTreeSet::new()),
                communes: Some(BTreeSet::new()),
            }),
        }
    }

    /// Refuses unless the actor may change data of `unit_id`.
    pub(crate) async fn check_write(
        &self,
        actor: &Actor,
        unit_id: i64,
    ) -> Result<(), RegistryError> {
        if !actor.role.writes() {
            return Err(RegistryError::Forbidden(format!(
                "vai trò {} chỉ được xem, không được sửa dữ liệu",
                actor.role.code()
            )));
        }
        if self.scope(actor).await?.contains(unit_id) {
            Ok(())
        } else {
            Err(RegistryError::Forbidden(
                "đơn vị này nằm ngoài phạm vi của tài khoản".into(),
            ))
        }
    }

    pub(crate) async fn check_admin(&self, actor: &Actor) -> Result<(), RegistryError> {
        if actor.role == Role::Admin {
            Ok(())
        } else {
            Err(RegistryError::Forbidden(
                "chỉ quản trị viên được làm việc này".into(),
            ))
        }
    }
}

/// Writes one audit row inside the caller's transaction.
pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    unit_id: Option<i64>,
    changes: Value,
) -> Result<(), RegistryError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, unit_id, changes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crate::now())
    .bind(&actor.name)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(unit_id)
    .bind(changes.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Field-level changes between two JSON objects: {field: [old, new]}.
pub(crate) fn diff(old: &Value, new: &Value) -> Value {
    let empty = serde_json::Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut out = serde_json::Map::new();
    for (k, v) in new {
        let before = old.get(k).cloned().unwrap_or(Value::Null);
        if &before != v {
            out.insert(k.clone(), json!([before, v]));
        }
    }
    Value::Object(out)
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub unit_id: Option<i64>,
    pub changes: String,
}

impl Registry {
    /// The audit trail of one entity, oldest first.
    pub async fn audit_trail(
        &self,
        entity: &str,
        entity_id: &str,
    ) -> Result<Vec<AuditEntry>, RegistryError> {
        Ok(sqlx::query_as(
            "SELECT at, actor, action, entity, entity_id, unit_id, changes FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity)
        .bind(entity_id)
        .fetch_all(&self.db.pool)
        .await?)
    }
}
