//! Knowing each poor household (issue 11): the causes of its poverty and its
//! wishes (the review forms' lists, in the policy catalogue), and the plan's
//! type 1 / 2 / 3 that an officer confirms. Type 3 (persuasion and
//! education) is sensitive: it needs a written reason and only commune
//! officers and approvers see it — the gate decides who, here and in the
//! household's history.

use crate::error::RegistryError;
use crate::gate::{Actor, Role};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::HouseholdId;
use serde_json::json;
use support::PovertyType;

/// What an officer records of a household for a year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewProfile {
    pub causes: Vec<String>,
    pub wishes: Vec<String>,
    pub poverty_type: Option<i64>,
    /// Required for type 3.
    pub reason: String,
}

/// A household's profile of a year as the actor may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub year: i64,
    pub causes: Vec<String>,
    pub wishes: Vec<String>,
    /// None when not set, or type 3 for an actor who may not see it.
    pub poverty_type: Option<PovertyType>,
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    year: i64,
    causes: String,
    wishes: String,
    poverty_type: Option<i64>,
    type_reason: Option<String>,
}

use crate::values::codes;

impl Registry {
    /// Whether the actor may see a type 3: the administrator, approvers, and
    /// officers of a commune.
    pub async fn sees_persuasion_type(&self, actor: &Actor) -> Result<bool, RegistryError> {
        Ok(match actor.role {
            Role::Admin | Role::Approver => true,
            Role::Officer => match actor.unit_id {
                Some(unit) => {
                    let level: Option<String> =
                        sqlx::query_scalar("SELECT level FROM units WHERE id = $1")
                            .bind(unit)
                            .fetch_optional(&self.db.pool)
                            .await?;
                    level.as_deref() == Some("commune")
                }
                None => false,
            },
            _ => false,
        })
    }

    /// Records causes, wishes and the type of a household for a year, within
    /// scope; codes from the catalogue, a reason for type 3.
    pub async fn record_profile(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        year: i64,
        policies: &support::Catalogue,
        new: &NewProfile,
    ) -> Result<(), RegistryError> {
        let household = self.writable_household(actor, household_id).await?;
        let mut problems = Vec::new();
        for (field, list, allowed) in [
            ("nguyên nhân", &new.causes, &policies.causes),
            ("nhu cầu", &new.wishes, &policies.wishes),
        ] {
            if let Some(unknown) = list.iter().find(|c| !allowed.iter().any(|a| &a.code == *c)) {
                problems.push(format!("{field}: \"{unknown}\" không có trong danh mục"));
            }
        }
        let poverty_type = match new.poverty_type {
            None => None,
            Some(n) => match PovertyType::from_number(n) {
                Some(t) => Some(t),
                None => {
                    problems.push(format!("phân loại hộ: {n} — chọn 1, 2 hoặc 3"));
                    None
                }
            },
        };
        let reason = vntext::nfc(new.reason.trim());
        if poverty_type == Some(PovertyType::Persuasion) && reason.is_empty() {
            problems.push("lý do: hộ loại 3 (cần tuyên truyền, vận động) phải ghi lý do".into());
        }
        if reason.chars().count() > crate::limits::LONG_TEXT {
            problems.push(format!("lý do: tối đa {} ký tự", crate::limits::LONG_TEXT));
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut tx = self.db.write().await?;
        sqlx::query("DELETE FROM household_profiles WHERE household_id = $1 AND year = $2")
            .bind(household_id)
            .bind(year)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO household_profiles (household_id, year, causes, wishes, poverty_type, type_reason, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(household_id)
        .bind(year)
        .bind(new.causes.join(";"))
        .bind(new.wishes.join(";"))
        .bind(poverty_type.map(PovertyType::number))
        .bind((!reason.is_empty()).then_some(&reason))
        .bind(crate::now())
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Profile,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"year": year, "causes": new.causes, "wishes": new.wishes,
                   "poverty_type": poverty_type.map(PovertyType::number), "type_reason": (!reason.is_empty()).then_some(&reason)}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest profile of a household the actor may see; a type 3 and its
    /// reason only for those who may see it.
    pub async fn profile(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<Option<Profile>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(None);
        }
        let row: Option<ProfileRow> = sqlx::query_as(
            "SELECT year, causes, wishes, poverty_type, type_reason FROM household_profiles WHERE household_id = $1 ORDER BY year DESC LIMIT 1",
        )
        .bind(household_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sees = self.sees_persuasion_type(actor).await?;
        let poverty_type = row
            .poverty_type
            .and_then(PovertyType::from_number)
            .filter(|t| *t != PovertyType::Persuasion || sees);
        Ok(Some(Profile {
            year: row.year,
            causes: codes(&row.causes),
            wishes: codes(&row.wishes),
            reason: row.type_reason.filter(|_| poverty_type.is_some()),
            poverty_type,
        }))
    }
}

/// A profile's audit changes without a type 3 and its reason, for those who
/// may not see them.
pub(crate) fn hide_persuasion(changes: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(changes) else {
        return changes.to_string();
    };
    if v["poverty_type"] == json!(3)
        && let Some(map) = v.as_object_mut()
    {
        map.remove("poverty_type");
        map.remove("type_reason");
        return v.to_string();
    }
    changes.to_string()
}
