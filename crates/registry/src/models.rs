//! Livelihood models ("mô hình giảm nghèo"): a commune's model — its name,
//! sector, start and funding — and the households taking part, with each
//! household's official status every year since the model began, so that
//! the level above sees which models took households out of poverty and
//! are worth replicating.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::limits::{LINE, NAME};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::HouseholdId;
use serde_json::json;
use standard::Status;

/// A model as an officer registers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewModel {
    pub commune_code: String,
    pub name: String,
    /// "Chăn nuôi bò sinh sản", "Trồng rau an toàn"…
    pub sector: String,
    /// dd/mm/yyyy.
    pub started_on: String,
    /// VND as typed; empty when not known.
    pub funding: String,
    pub funding_source: String,
}

/// A model with its households.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivelihoodModel {
    pub id: i64,
    pub commune: String,
    pub name: String,
    pub sector: String,
    /// yyyy-mm-dd.
    pub started_on: String,
    pub funding: Option<i64>,
    pub funding_source: String,
    /// The years shown, from the year before the start to the latest year
    /// with an official result.
    pub years: Vec<i64>,
    /// (household id, code, head, statuses by `years`).
    pub households: Vec<(HouseholdId, String, String, Vec<Option<Status>>)>,
}

impl LivelihoodModel {
    /// Of the households poor the year before the model began: how many,
    /// and how many are not poor in their latest official result.
    pub fn escaped(&self) -> (usize, usize) {
        let poor_before: Vec<&Vec<Option<Status>>> = self
            .households
            .iter()
            .map(|h| &h.3)
            .filter(|s| s.first() == Some(&Some(Status::Poor)))
            .collect();
        let out = poor_before
            .iter()
            .filter(|s| matches!(s.iter().rev().flatten().next(), Some(st) if *st != Status::Poor))
            .count();
        (poor_before.len(), out)
    }
}

impl Registry {
    /// Registers a model of a commune the actor writes in.
    pub async fn add_model(&self, actor: &Actor, new: &NewModel) -> Result<i64, RegistryError> {
        let unit = self.writable_unit(actor, new.commune_code.trim()).await?;
        let mut problems = Vec::new();
        if unit.level != crate::units::Level::Commune {
            problems.push(format!("xã: {} — mô hình thuộc một xã", unit.name));
        }
        let name = crate::limits::checked_into("tên mô hình", &new.name, LINE, true, &mut problems);
        let sector =
            crate::limits::checked_into("lĩnh vực", &new.sector, NAME, true, &mut problems);
        let source = crate::limits::checked_into(
            "nguồn vốn",
            &new.funding_source,
            LINE,
            false,
            &mut problems,
        );
        let started = vntext::parse_date(&new.started_on);
        if started.is_none() {
            problems.push(format!(
                "ngày bắt đầu: \"{}\" không đúng dạng dd/mm/yyyy",
                new.started_on
            ));
        }
        let funding = match new.funding.trim() {
            "" => None,
            t => match vntext::parse_whole(t) {
                Ok(v) if (0..=1_000_000_000_000).contains(&v) => Some(v),
                _ => {
                    problems.push(format!(
                        "kinh phí: \"{t}\" không phải số đồng (ví dụ 200.000.000)"
                    ));
                    None
                }
            },
        };
        let (Some(started), true) = (started, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO livelihood_models (commune_id, name, sector, started_on, funding, funding_source, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(unit.id)
        .bind(&name)
        .bind(&sector)
        .bind(started.format("%Y-%m-%d").to_string())
        .bind(funding)
        .bind(&source)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Create,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"model": name, "sector": sector, "started_on": vntext::format_date(started), "funding": funding, "source": source}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a household (by code) to a model of its commune.
    pub async fn join_model(
        &self,
        actor: &Actor,
        model_id: i64,
        household_code: &str,
        joined_on: &str,
    ) -> Result<(), RegistryError> {
        // The form first: an empty one needs no lookup.
        let code = household_code.trim();
        let joined = vntext::parse_date(joined_on);
        let mut problems = Vec::new();
        if code.is_empty() {
            problems.push("mã hộ: trống".to_string());
        }
        if joined.is_none() {
            problems.push(format!(
                "ngày tham gia: \"{joined_on}\" không đúng dạng dd/mm/yyyy"
            ));
        }
        let (Some(joined), true) = (joined, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let model: Option<(crate::values::UnitId, String)> =
            sqlx::query_as("SELECT commune_id, name FROM livelihood_models WHERE id = $1")
                .bind(model_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let not_found = || RegistryError::NotFound(format!("mô hình số {model_id}"));
        let (model_commune, model_name) = model.ok_or_else(not_found)?;
        self.require_in_scope(actor, model_commune, || format!("mô hình số {model_id}"))
            .await?;
        let id: Option<HouseholdId> =
            sqlx::query_scalar("SELECT id FROM households WHERE code = $1 AND removed_on IS NULL")
                .bind(code)
                .fetch_optional(&self.db.pool)
                .await?;
        let id = id.ok_or_else(|| RegistryError::NotFound(format!("hộ mã \"{code}\"")))?;
        let household = self.writable_household(actor, id).await?;
        // The model's commune, or one merged into it.
        let family = self
            .communes_within(actor, &self.unit_code_of(model_commune).await?)
            .await?;
        if !family.contains(&household.commune_id) {
            return Err(RegistryError::Invalid(vec![format!(
                "hộ {code}: không thuộc xã của mô hình"
            )]));
        }
        let mut tx = self.db.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO model_households (model_id, household_id, joined_on) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(model_id)
        .bind(id)
        .bind(joined.format("%Y-%m-%d").to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(RegistryError::Conflict(format!(
                "hộ {code} đã tham gia mô hình \"{model_name}\""
            )));
        }
        audit(
            &mut tx,
            actor,
            Action::Update,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"model": model_name, "joined_on": vntext::format_date(joined)}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unit_code_of(&self, id: crate::values::UnitId) -> Result<String, RegistryError> {
        Ok(sqlx::query_scalar("SELECT code FROM units WHERE id = $1")
            .bind(id)
            .fetch_one(&self.db.pool)
            .await?)
    }

    /// The models of a unit's communes, each with its households' official
    /// status every year from the year before it began.
    pub async fn models(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<Vec<LivelihoodModel>, RegistryError> {
        actor.require(Capability::SeeNames)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        // Only commune ids (integers from the database) are formatted into the SQL.
        /// (id, commune, name, sector, start, funding, source).
        type ModelRow = (i64, String, String, String, String, Option<i64>, String);
        let models: Vec<ModelRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT m.id, u.name, m.name, m.sector, m.started_on, m.funding, m.funding_source \
                 FROM livelihood_models m JOIN units u ON u.id = m.commune_id WHERE m.commune_id IN ({list}) ORDER BY u.code, m.started_on, m.id"
            )))
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for (id, commune, name, sector, started_on, funding, funding_source) in models {
            let start: i64 = started_on
                .get(..4)
                .and_then(|y| y.parse().ok())
                .unwrap_or(0);
            let members: Vec<(HouseholdId, String, String)> = sqlx::query_as(
                "SELECT h.id, h.code, h.head_name FROM model_households p JOIN households h ON h.id = p.household_id WHERE p.model_id = $1 ORDER BY h.code",
            )
            .bind(id)
            .fetch_all(&self.db.pool)
            .await?;
            let statuses: Vec<(HouseholdId, i64, String)> = sqlx::query_as(
                "SELECT a.household_id, a.year, a.status FROM model_households p JOIN assessments a ON a.household_id = p.household_id \
                 WHERE p.model_id = $1 AND a.official = 1 AND a.year >= $2 ORDER BY a.year",
            )
            .bind(id)
            .bind(start - 1)
            .fetch_all(&self.db.pool)
            .await?;
            let last = statuses
                .iter()
                .map(|s| s.1)
                .max()
                .unwrap_or(start - 1)
                .max(start - 1);
            let years: Vec<i64> = (start - 1..=last).collect();
            let households = members
                .into_iter()
                .map(|(hid, code, head)| {
                    let by_year = years
                        .iter()
                        .map(|y| {
                            statuses
                                .iter()
                                .find(|s| s.0 == hid && s.1 == *y)
                                .and_then(|s| Status::ALL.into_iter().find(|x| x.code() == s.2))
                        })
                        .collect();
                    (hid, code, head, by_year)
                })
                .collect();
            out.push(LivelihoodModel {
                id,
                commune,
                name,
                sector,
                started_on,
                funding,
                funding_source,
                years,
                households,
            });
        }
        Ok(out)
    }
}
