//! Support delivered: a policy's delivery to a household or one of its
//! members, on a date, with what the policy says a delivery records (an
//! amount, a card number, a course…). Written within scope, audited, read
//! back by year for the household page.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::{Action, Entity, Registry, audit};
use crate::units::SUCCESSOR_JOIN;
use crate::values::{HouseholdId, MemberId};
use serde_json::json;
use std::collections::BTreeMap;

/// A delivery as an officer enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDelivery {
    pub policy: String,
    /// For a policy delivered to members: who.
    pub member_id: Option<MemberId>,
    /// dd/mm/yyyy.
    pub delivered_on: String,
    /// VND as typed ("5.000.000"); empty when none.
    pub amount: String,
    /// The policy's record fields (its `records`) and a note.
    pub details: BTreeMap<String, String>,
}

/// A delivery as the household page shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub year: i64,
    pub policy: String,
    pub member_name: Option<String>,
    /// yyyy-mm-dd.
    pub delivered_on: String,
    pub amount: Option<i64>,
    /// JSON object of the record fields.
    pub details: String,
}

fn invalid(text: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(vec![text.into()])
}

impl Registry {
    /// Records a delivery of one of `policies`' policies. Every problem is
    /// named by field; nothing is written with one.
    pub async fn record_delivery(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        policies: &support::Catalogue,
        new: &NewDelivery,
    ) -> Result<i64, RegistryError> {
        let policy = policies.policy(&new.policy).ok_or_else(|| {
            invalid(format!(
                "chính sách: \"{}\" không có trong danh mục",
                new.policy
            ))
        })?;
        let household = self
            .supportable_household(actor, household_id, policy)
            .await?;
        let policy = Some(policy);
        let mut problems = Vec::new();
        let day = vntext::parse_date(&new.delivered_on);
        match day {
            None => problems.push(format!(
                "ngày hỗ trợ: \"{}\" không đúng dạng dd/mm/yyyy",
                new.delivered_on
            )),
            Some(d) if d > chrono::Utc::now().date_naive() + chrono::Duration::days(1) => problems
                .push(format!(
                    "ngày hỗ trợ {}: ở tương lai",
                    vntext::format_date(d)
                )),
            Some(_) => {}
        }
        let amount = match new.amount.trim() {
            "" => None,
            text => match vntext::parse_whole(text) {
                Ok(v) if (0..=100_000_000_000).contains(&v) => Some(v),
                _ => {
                    problems.push(format!(
                        "số tiền: \"{text}\" không phải số đồng (ví dụ 5.000.000)"
                    ));
                    None
                }
            },
        };
        if let Some(p) = policy {
            match (p.to, new.member_id) {
                (support::Recipient::Member, None) => problems.push(format!(
                    "thành viên: {} hỗ trợ từng thành viên; chọn người nhận",
                    p.name.vi
                )),
                (support::Recipient::Household, Some(_)) => problems.push(format!(
                    "thành viên: {} hỗ trợ cả hộ, không chọn thành viên",
                    p.name.vi
                )),
                _ => {}
            }
            for (key, value) in &new.details {
                if key != "note" && !p.records.contains(key) {
                    problems.push(format!("{key}: {} không ghi mục này", p.name.vi));
                }
                if value.chars().count() > crate::limits::LONG_TEXT {
                    problems.push(format!("{key}: tối đa {} ký tự", crate::limits::LONG_TEXT));
                }
            }
        }
        if let Some(member) = new.member_id {
            let belongs: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM members WHERE id = $1 AND household_id = $2 AND removed_on IS NULL",
            )
            .bind(member)
            .bind(household_id)
            .fetch_optional(&self.db.pool)
            .await?;
            if belongs.is_none() {
                problems.push("thành viên: không phải thành viên của hộ".into());
            }
        }
        let (Some(policy), Some(day), true) = (policy, day, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let details: BTreeMap<&str, String> = new
            .details
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.as_str(), vntext::nfc(v.trim())))
            .collect();
        let details = serde_json::to_string(&details).map_err(|e| invalid(e.to_string()))?;
        use chrono::Datelike;
        let mut tx = self.db.write().await?;
        // What the household still misses changes with it (kept tallies).
        let tallied = crate::tallies::Tallied::before(&mut tx, &[household_id]).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO deliveries (household_id, member_id, policy, year, delivered_on, amount, details, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(household_id)
        .bind(new.member_id)
        .bind(&policy.code)
        .bind(i64::from(day.year()))
        .bind(day.format("%Y-%m-%d").to_string())
        .bind(amount)
        .bind(&details)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Deliver,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"policy": policy.name.vi, "delivered_on": vntext::format_date(day), "amount": amount, "member": new.member_id}),
        )
        .await?;
        tallied.changed(&mut tx).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The deliveries to a household the actor may see, newest first.
    pub async fn deliveries(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<Vec<Delivery>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(
            "SELECT d.id, d.year, d.policy, m.full_name AS member_name, d.delivered_on, d.amount, d.details \
             FROM deliveries d LEFT JOIN members m ON m.id = d.member_id \
             WHERE d.household_id = $1 ORDER BY d.delivered_on DESC, d.id DESC",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?)
    }
}

/// A delivery in a unit's list of support delivered.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Served {
    pub household_id: i64,
    pub household_code: String,
    pub head_name: String,
    pub commune: String,
    pub member_name: Option<String>,
    pub policy: String,
    /// yyyy-mm-dd.
    pub delivered_on: String,
    pub amount: Option<i64>,
    /// JSON object of the record fields.
    pub details: String,
}

impl Registry {
    /// The support delivered in a unit's communes in a year, by policy (the
    /// policies the actor's work covers: an agency officer's, its agency's),
    /// at most `limit` rows, in commune, household and date order.
    pub async fn served(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
        policies: &support::Catalogue,
        limit: i64,
    ) -> Result<Vec<Served>, RegistryError> {
        actor.require(crate::gate::Capability::SeeWorkLists)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Served> = Vec::new();
        for policy in policies
            .policies
            .iter()
            .filter(|p| actor.own_agency().is_none_or(|a| p.agency == a))
        {
            // Only commune ids (integers from the database) are formatted into the SQL.
            // A merged commune's households count under the commune it
            // merged into by the year's end.
            let found: Vec<Served> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT d.household_id, h.code AS household_code, h.head_name, {} AS commune, p.full_name AS member_name, d.policy, d.delivered_on, d.amount, d.details \
                 FROM deliveries d JOIN households h ON h.id = d.household_id JOIN units u ON u.id = h.commune_id {SUCCESSOR_JOIN} \
                 LEFT JOIN members p ON p.id = d.member_id \
                 WHERE d.policy = $1 AND d.year = $2 AND h.commune_id IN ({list}) \
                 ORDER BY {}, h.code, d.delivered_on LIMIT $3",
                crate::units::successor("name", "$4"),
                crate::units::successor("code", "$4"),
            )))
            .bind(&policy.code)
            .bind(year)
            .bind(limit)
            .bind(format!("{year}-12-31"))
            .fetch_all(&self.db.pool)
            .await?;
            out.extend(found);
        }
        // Each policy's first `limit`, then the first `limit` of them all.
        out.sort_by(|a, b| {
            (&a.commune, &a.household_code, &a.delivered_on).cmp(&(
                &b.commune,
                &b.household_code,
                &b.delivered_on,
            ))
        });
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}
