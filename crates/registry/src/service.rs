//! The one place that writes: every change goes through [`Registry`], which
//! asks the gate ([`crate::gate`]) whether the actor may touch the unit and
//! writes the audit row in the same transaction as the change.

use crate::db::Db;
use crate::error::RegistryError;
use crate::gate::Actor;
use serde_json::{Value, json};
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, BTreeSet};

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
