//! Credit follow-up (the plan asks to check that loans are used for their
//! purpose): the loans of a unit — deliveries of a policy that records an
//! outstanding amount — with their overdue amounts and use checks, flagged
//! when overdue or due a check, tallied by the mass organisation entrusted
//! and the commune.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::units::{SUCCESSOR_JOIN, successor};
use chrono::NaiveDate;
use serde_json::json;

/// A loan that needs a check when never checked this long after it was
/// disbursed…
pub const FIRST_CHECK_MONTHS: u32 = 3;
/// …or when its last check is this old.
pub const CHECK_EVERY_MONTHS: u32 = 12;

/// A loan of the follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loan {
    pub delivery_id: i64,
    pub household_id: i64,
    pub household_code: String,
    pub head_name: String,
    pub commune: String,
    /// The commune's code (two communes may share a name).
    pub commune_code: String,
    pub policy: String,
    pub programme: String,
    pub amount: Option<i64>,
    pub delivered_on: NaiveDate,
    pub outstanding: Option<i64>,
    pub overdue: i64,
    /// The mass organisation entrusted ("" when the list does not say).
    pub entrusted_to: String,
    /// The latest check: (day, used as planned, note).
    pub last_check: Option<(NaiveDate, bool, String)>,
    pub needs_check: bool,
}

/// Loans, overdue ones and ones due a check, for an organisation in a commune.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreditTally {
    pub organisation: String,
    pub commune: String,
    pub loans: usize,
    pub outstanding: i64,
    pub overdue_loans: usize,
    pub overdue: i64,
    pub needs_check: usize,
}

/// Whether a loan is due a check on `today`.
pub fn needs_check(
    delivered_on: NaiveDate,
    last_check: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    let months_before = |months: u32| today.checked_sub_months(chrono::Months::new(months));
    match last_check {
        None => months_before(FIRST_CHECK_MONTHS).is_some_and(|limit| delivered_on <= limit),
        Some(checked) => months_before(CHECK_EVERY_MONTHS).is_some_and(|limit| checked <= limit),
    }
}

#[derive(sqlx::FromRow)]
struct LoanRow {
    commune_code: String,
    id: i64,
    household_id: i64,
    code: String,
    head_name: String,
    commune: String,
    policy: String,
    amount: Option<i64>,
    delivered_on: String,
    details: String,
}

fn day(iso: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()
}

impl Registry {
    /// The loans of a unit's communes (credit policies the actor works on,
    /// or all of them for a reader), each with its latest check and whether
    /// it is due one on `today`.
    pub async fn loans(
        &self,
        actor: &Actor,
        unit_code: &str,
        policies: &support::Catalogue,
        today: NaiveDate,
    ) -> Result<Vec<Loan>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let credit: Vec<&support::Policy> = policies
            .policies
            .iter()
            .filter(|p| p.records.iter().any(|r| r == "outstanding"))
            .filter(|p| actor.own_agency().is_none_or(|a| p.agency == a))
            .collect();
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        if credit.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<LoanRow> = Vec::new();
        let mut checks: Vec<(i64, String, i64, String)> = Vec::new();
        for policy in credit {
            // Only commune ids (integers from the database) are formatted into the SQL.
            // A merged commune's loans count under the commune it merged into.
            let found: Vec<LoanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {} AS commune_code, d.id, d.household_id, h.code, h.head_name, {} AS commune, d.policy, d.amount, d.delivered_on, d.details \
                 FROM deliveries d JOIN households h ON h.id = d.household_id JOIN units u ON u.id = h.commune_id {SUCCESSOR_JOIN} \
                 WHERE d.policy = $1 AND h.commune_id IN ({list})",
                successor("code", "$2"),
                successor("name", "$2"),
            )))
            .bind(&policy.code)
            .bind(today.format("%Y-%m-%d").to_string())
            .fetch_all(&self.db.pool)
            .await?;
            rows.extend(found);
            checks.extend(
                sqlx::query_as::<_, (i64, String, i64, String)>(sqlx::AssertSqlSafe(format!(
                    "SELECT c.delivery_id, c.checked_on, c.used_as_planned, c.note FROM delivery_checks c \
                     JOIN deliveries d ON d.id = c.delivery_id JOIN households h ON h.id = d.household_id \
                     WHERE d.policy = $1 AND h.commune_id IN ({list})"
                )))
                .bind(&policy.code)
                .fetch_all(&self.db.pool)
                .await?,
            );
        }
        rows.sort_by(|a, b| {
            (&a.commune_code, &a.code, &a.delivered_on).cmp(&(
                &b.commune_code,
                &b.code,
                &b.delivered_on,
            ))
        });
        checks.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        let mut latest: std::collections::HashMap<i64, (NaiveDate, bool, String)> =
            std::collections::HashMap::new();
        for (delivery, checked_on, used, note) in checks {
            if let Some(d) = day(&checked_on) {
                latest.insert(delivery, (d, used == 1, note));
            }
        }
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let delivered_on = day(&r.delivered_on)?;
                let details: serde_json::Value =
                    serde_json::from_str(&r.details).unwrap_or_default();
                let field = |k: &str| details[k].as_str().unwrap_or("").to_string();
                let whole = |k: &str| field(k).parse::<i64>().ok();
                let last_check = latest.remove(&r.id);
                let outstanding = whole("outstanding");
                Some(Loan {
                    // A loan repaid needs no more checks.
                    needs_check: outstanding != Some(0)
                        && needs_check(delivered_on, last_check.as_ref().map(|c| c.0), today),
                    commune_code: r.commune_code.clone(),
                    delivery_id: r.id,
                    household_id: r.household_id,
                    household_code: r.code,
                    head_name: r.head_name,
                    commune: r.commune,
                    policy: r.policy,
                    programme: field("programme"),
                    amount: r.amount,
                    delivered_on,
                    outstanding,
                    overdue: whole("overdue").unwrap_or(0),
                    entrusted_to: field("entrusted_to"),
                    last_check,
                })
            })
            .collect())
    }

    /// Records a check of a loan's use: the day, whether it went to its
    /// purpose, what was seen. By those who record the credit policy's
    /// support, within their scope.
    pub async fn check_loan_use(
        &self,
        actor: &Actor,
        policies: &support::Catalogue,
        delivery_id: i64,
        checked_on: &str,
        used_as_planned: bool,
        note: &str,
    ) -> Result<(), RegistryError> {
        actor.require(Capability::Support)?;
        let mut problems = Vec::new();
        let checked = vntext::parse_date(checked_on);
        match checked {
            None => problems.push(format!(
                "ngày kiểm tra: \"{checked_on}\" không đúng dạng dd/mm/yyyy"
            )),
            Some(d) if d > chrono::Utc::now().date_naive() => problems.push(format!(
                "ngày kiểm tra {}: ở tương lai",
                vntext::format_date(d)
            )),
            Some(_) => {}
        }
        let note = vntext::nfc(note.trim());
        if note.chars().count() > crate::limits::LONG_TEXT {
            problems.push(format!(
                "ghi chú: tối đa {} ký tự",
                crate::limits::LONG_TEXT
            ));
        }
        let (Some(checked), true) = (checked, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let loan: Option<(crate::values::HouseholdId, String, String)> = sqlx::query_as(
            "SELECT household_id, policy, delivered_on FROM deliveries WHERE id = $1",
        )
        .bind(delivery_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let not_found = || RegistryError::NotFound(format!("khoản vay số {delivery_id}"));
        let (household_id, policy, delivered_on) = loan.ok_or_else(not_found)?;
        let policy = policies
            .policy(&policy)
            .filter(|p| p.records.iter().any(|r| r == "outstanding"))
            .ok_or_else(not_found)?;
        let household = self
            .supportable_household(actor, household_id, policy)
            .await?;
        if day(&delivered_on).is_some_and(|d| checked < d) {
            return Err(RegistryError::Invalid(vec![format!(
                "ngày kiểm tra {}: trước ngày giải ngân",
                vntext::format_date(checked)
            )]));
        }
        let mut tx = self.db.write().await?;
        sqlx::query(
            "INSERT INTO delivery_checks (delivery_id, checked_on, used_as_planned, note, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery_id)
        .bind(checked.format("%Y-%m-%d").to_string())
        .bind(i64::from(used_as_planned))
        .bind(&note)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::CheckUse,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"loan": delivery_id, "checked_on": vntext::format_date(checked), "used_as_planned": used_as_planned, "note": note}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The loans tallied by organisation entrusted and commune, in name order.
pub fn credit_tally(loans: &[Loan]) -> Vec<CreditTally> {
    let mut out: std::collections::BTreeMap<(String, String), CreditTally> = Default::default();
    for loan in loans {
        let t = out
            .entry((loan.entrusted_to.clone(), loan.commune_code.clone()))
            .or_insert_with(|| CreditTally {
                organisation: loan.entrusted_to.clone(),
                commune: loan.commune.clone(),
                ..CreditTally::default()
            });
        t.loans += 1;
        t.outstanding += loan.outstanding.unwrap_or(0);
        if loan.overdue > 0 {
            t.overdue_loans += 1;
            t.overdue += loan.overdue;
        }
        if loan.needs_check {
            t.needs_check += 1;
        }
    }
    out.into_values().collect()
}
