//! The expected-escape list (the plan: "lập danh sách dự kiến hộ thoát
//! nghèo, phân công cán bộ quản lý cụ thể từng hộ"): each poor household a
//! commune expects out of poverty in a year, the cadre responsible for it
//! (a person — a village head, a mass organisation's member — not an
//! account), the policies planned and by when, and follow-up notes; at the
//! year's end, the plan against the year's official result, by cadre and
//! by commune. And the steering committee's members assigned to communes,
//! with their visits and findings.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::limits::{LONG_TEXT, NAME};
use crate::service::{Action, Entity, Registry, audit};
use crate::units::{SUCCESSOR_JOIN, successor};
use crate::values::{HouseholdId, UnitId};
use serde_json::json;
use standard::Status;

/// A household put on the list, as the officer enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEscapePlan {
    pub household_code: String,
    pub cadre_name: String,
    /// "Trưởng thôn", "Hội Phụ nữ"…
    pub cadre_role: String,
    /// Codes of the policy catalogue.
    pub policies: Vec<String>,
    /// dd/mm/yyyy, within the year; empty when not set.
    pub due_on: String,
}

/// What became of an expected escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeOutcome {
    /// The year's official status is not poor.
    Escaped,
    /// Still poor in the year's official result.
    StillPoor,
    /// The year's review has no official result for it yet.
    Pending,
}

impl EscapeOutcome {
    pub fn code(self) -> &'static str {
        match self {
            EscapeOutcome::Escaped => "escaped",
            EscapeOutcome::StillPoor => "still_poor",
            EscapeOutcome::Pending => "pending",
        }
    }

    fn of(status: Option<Status>) -> EscapeOutcome {
        match status {
            None => EscapeOutcome::Pending,
            Some(Status::Poor) => EscapeOutcome::StillPoor,
            Some(_) => EscapeOutcome::Escaped,
        }
    }
}

/// A row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapePlan {
    pub id: i64,
    pub household_id: HouseholdId,
    pub household_code: String,
    pub head_name: String,
    pub village: Option<String>,
    pub cadre_name: String,
    pub cadre_role: String,
    pub policies: Vec<String>,
    /// yyyy-mm-dd.
    pub due_on: Option<String>,
    pub outcome: EscapeOutcome,
    /// (yyyy-mm-dd, note, by), oldest first.
    pub notes: Vec<(String, String, String)>,
}

/// Planned against achieved, for a cadre or a commune.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EscapeTally {
    pub name: String,
    pub planned: usize,
    pub escaped: usize,
    pub still_poor: usize,
    pub pending: usize,
}

impl EscapeTally {
    fn add(&mut self, outcome: EscapeOutcome) {
        self.planned += 1;
        match outcome {
            EscapeOutcome::Escaped => self.escaped += 1,
            EscapeOutcome::StillPoor => self.still_poor += 1,
            EscapeOutcome::Pending => self.pending += 1,
        }
    }
}

/// A steering committee member and the commune they watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SteeringMember {
    pub id: i64,
    pub name: String,
    pub position: String,
    pub commune: String,
    pub year: i64,
    /// (yyyy-mm-dd, findings), newest first.
    pub visits: Vec<(String, String)>,
}

fn invalid(problems: Vec<String>) -> RegistryError {
    RegistryError::Invalid(problems)
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    household_id: HouseholdId,
    household_code: String,
    head_name: String,
    village: Option<String>,
    cadre_name: String,
    cadre_role: String,
    policies: String,
    due_on: Option<String>,
    #[sqlx(try_from = "crate::values::StatusText")]
    status: Option<Status>,
}

impl Registry {
    /// Puts a poor household of the actor's scope on the year's list (or
    /// changes its entry): the household must be poor in its latest
    /// official result before `year`; the cadre named; the policies of the
    /// catalogue; the due date within the year.
    pub async fn plan_escape(
        &self,
        actor: &Actor,
        year: crate::values::ReviewYear,
        plan: &NewEscapePlan,
        policies: &support::Catalogue,
    ) -> Result<i64, RegistryError> {
        let year = year.as_i64();
        let code = plan.household_code.trim();
        let id: Option<HouseholdId> =
            sqlx::query_scalar("SELECT id FROM households WHERE code = $1 AND removed_on IS NULL")
                .bind(code)
                .fetch_optional(&self.db.pool)
                .await?;
        let id = id.ok_or_else(|| RegistryError::NotFound(format!("hộ mã \"{code}\"")))?;
        let household = self.writable_household(actor, id).await?;
        let mut problems = Vec::new();
        let before: Option<String> = sqlx::query_scalar(
            "SELECT status FROM assessments WHERE household_id = $1 AND official = 1 AND year < $2 ORDER BY year DESC LIMIT 1",
        )
        .bind(id)
        .bind(year)
        .fetch_optional(&self.db.pool)
        .await?;
        if before.as_deref() != Some("poor") {
            problems.push(format!(
                "hộ {code}: không phải hộ nghèo theo kết quả rà soát trước năm {year}; danh sách dự kiến thoát nghèo chỉ gồm hộ nghèo"
            ));
        }
        let cadre_name = crate::limits::checked_into(
            "cán bộ phụ trách",
            &plan.cadre_name,
            NAME,
            true,
            &mut problems,
        );
        let cadre_role = crate::limits::checked_into(
            "chức danh, tổ chức",
            &plan.cadre_role,
            NAME,
            false,
            &mut problems,
        );
        for p in &plan.policies {
            if policies.policy(p).is_none() {
                problems.push(format!("chính sách: \"{p}\" không có trong danh mục"));
            }
        }
        let due_on = match plan.due_on.trim() {
            "" => None,
            t => match vntext::parse_date(t) {
                Some(d) if i64::from(chrono::Datelike::year(&d)) == year => Some(d),
                Some(_) => {
                    problems.push(format!("hạn hoàn thành {t}: phải trong năm {year}"));
                    None
                }
                None => {
                    problems.push(format!(
                        "hạn hoàn thành: \"{t}\" không đúng dạng dd/mm/yyyy"
                    ));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let chosen = plan.policies.join(";");
        let due = due_on.map(|d| d.format("%Y-%m-%d").to_string());
        let mut tx = self.db.write().await?;
        // One entry per household and year: a second save (or two at once)
        // changes it.
        let plan_id: i64 = sqlx::query_scalar(
            "INSERT INTO escape_plans (household_id, commune_id, year, cadre_name, cadre_role, policies, due_on, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (household_id, year) DO UPDATE SET cadre_name = excluded.cadre_name, cadre_role = excluded.cadre_role, \
             policies = excluded.policies, due_on = excluded.due_on, updated_at = excluded.updated_at, updated_by = excluded.updated_by \
             RETURNING id",
        )
        .bind(id)
        .bind(household.commune_id)
        .bind(year)
        .bind(&cadre_name)
        .bind(&cadre_role)
        .bind(&chosen)
        .bind(&due)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::PlanEscape,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"year": year, "cadre": cadre_name, "role": cadre_role, "policies": chosen, "due_on": due_on.map(vntext::format_date)}),
        )
        .await?;
        tx.commit().await?;
        Ok(plan_id)
    }

    /// Adds a follow-up note to an entry of the list.
    pub async fn note_escape(
        &self,
        actor: &Actor,
        plan_id: i64,
        note: &str,
    ) -> Result<(), RegistryError> {
        // The note first: an empty one needs no lookup.
        let mut problems = Vec::new();
        let note =
            crate::limits::checked_into("ghi chú theo dõi", note, LONG_TEXT, true, &mut problems);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let household: Option<HouseholdId> =
            sqlx::query_scalar("SELECT household_id FROM escape_plans WHERE id = $1")
                .bind(plan_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let not_found = || {
            RegistryError::NotFound(format!(
                "mục số {plan_id} của danh sách dự kiến thoát nghèo"
            ))
        };
        let household = self
            .writable_household(actor, household.ok_or_else(not_found)?)
            .await?;
        let today = chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string();
        let mut tx = self.db.write().await?;
        sqlx::query("INSERT INTO escape_notes (plan_id, noted_on, note, created_by) VALUES ($1, $2, $3, $4)")
            .bind(plan_id)
            .bind(&today)
            .bind(&note)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::FollowUp,
            Entity::Household,
            &household.code,
            Some(household.commune_id),
            json!({"note": note}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The year's list of a commune (or of every commune of a unit), with
    /// each entry's outcome from the year's official result.
    pub async fn escape_list(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
    ) -> Result<Vec<EscapePlan>, RegistryError> {
        actor.require(Capability::SeeNames)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        // Only commune ids (integers from the database) are formatted into the SQL.
        let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.household_id, h.code AS household_code, h.head_name, v.name AS village, p.cadre_name, p.cadre_role, p.policies, p.due_on, a.status \
             FROM escape_plans p JOIN households h ON h.id = p.household_id LEFT JOIN units v ON v.id = h.village_id \
             LEFT JOIN assessments a ON a.household_id = p.household_id AND a.year = p.year AND a.official = 1 \
             WHERE p.year = $1 AND p.commune_id IN ({list}) ORDER BY p.cadre_name, h.code"
        )))
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        let notes: Vec<(i64, String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT n.plan_id, n.noted_on, n.note, n.created_by FROM escape_notes n JOIN escape_plans p ON p.id = n.plan_id \
             WHERE p.year = $1 AND p.commune_id IN ({list}) ORDER BY n.id"
        )))
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| EscapePlan {
                notes: notes
                    .iter()
                    .filter(|n| n.0 == r.id)
                    .map(|n| (n.1.clone(), n.2.clone(), n.3.clone()))
                    .collect(),
                id: r.id,
                household_id: r.household_id,
                household_code: r.household_code,
                head_name: r.head_name,
                village: r.village,
                cadre_name: r.cadre_name,
                cadre_role: r.cadre_role,
                policies: crate::values::codes(&r.policies),
                due_on: r.due_on,
                outcome: EscapeOutcome::of(r.status),
            })
            .collect())
    }

    /// The year's plan against the outcome, by commune, for a unit (a
    /// district's or a province's communes, or one commune).
    pub async fn escape_by_commune(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
    ) -> Result<Vec<EscapeTally>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        // Only commune ids (integers from the database) are formatted into the SQL.
        // A commune merged before the year's end counts under the commune
        // it merged into.
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} AS code, {} AS name, a.status \
             FROM escape_plans p JOIN units u ON u.id = p.commune_id {SUCCESSOR_JOIN} \
             LEFT JOIN assessments a ON a.household_id = p.household_id AND a.year = p.year AND a.official = 1 \
             WHERE p.year = $1 AND p.commune_id IN ({list}) ORDER BY 1",
            successor("code", "$2"),
            successor("name", "$2"),
        )))
        .bind(year)
        .bind(format!("{year}-12-31"))
        .fetch_all(&self.db.pool)
        .await?;
        // Grouped by code: two communes may share a name.
        let mut out: Vec<(String, EscapeTally)> = Vec::new();
        for (code, name, status) in rows {
            let status = status.and_then(|s| Status::ALL.into_iter().find(|x| x.code() == s));
            if out.last().is_none_or(|t| t.0 != code) {
                out.push((
                    code,
                    EscapeTally {
                        name,
                        ..EscapeTally::default()
                    },
                ));
            }
            if let Some(last) = out.last_mut() {
                last.1.add(EscapeOutcome::of(status));
            }
        }
        Ok(out.into_iter().map(|(_, t)| t).collect())
    }

    /// Assigns a steering committee member to watch a commune from `year`.
    pub async fn assign_steering_member(
        &self,
        actor: &Actor,
        commune_code: &str,
        year: crate::values::ReviewYear,
        name: &str,
        position: &str,
    ) -> Result<i64, RegistryError> {
        let unit = self.writable_unit(actor, commune_code).await?;
        let mut problems = Vec::new();
        if unit.level != crate::units::Level::Commune {
            problems.push(format!("địa bàn: {} — chọn một xã", unit.name));
        }
        let name =
            crate::limits::checked_into("họ và tên thành viên", name, NAME, true, &mut problems);
        let position = crate::limits::checked_into("chức vụ", position, NAME, true, &mut problems);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO steering_members (commune_id, year, name, position, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(unit.id)
        .bind(year.as_i64())
        .bind(&name)
        .bind(&position)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Steering,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"name": name, "position": position, "year": year.as_i64()}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a steering committee member's visit to their commune.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        member_id: i64,
        visited_on: &str,
        findings: &str,
    ) -> Result<(), RegistryError> {
        // The form first: an empty one needs no lookup.
        let mut problems = Vec::new();
        let day = vntext::parse_date(visited_on);
        match day {
            None => problems.push(format!(
                "ngày kiểm tra: \"{visited_on}\" không đúng dạng dd/mm/yyyy"
            )),
            Some(d) if d > chrono::Utc::now().date_naive() => problems.push(format!(
                "ngày kiểm tra {}: ở tương lai",
                vntext::format_date(d)
            )),
            Some(_) => {}
        }
        let findings = crate::limits::checked_into(
            "kết quả kiểm tra",
            findings,
            LONG_TEXT,
            true,
            &mut problems,
        );
        let (Some(day), true) = (day, problems.is_empty()) else {
            return Err(invalid(problems));
        };
        let commune: Option<(UnitId, String)> = sqlx::query_as(
            "SELECT u.id, u.code FROM steering_members s JOIN units u ON u.id = s.commune_id WHERE s.id = $1",
        )
        .bind(member_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let not_found =
            || RegistryError::NotFound(format!("thành viên Ban Chỉ đạo số {member_id}"));
        let (commune, code) = commune.ok_or_else(not_found)?;
        self.require_in_scope(actor, commune, || {
            format!("thành viên Ban Chỉ đạo số {member_id}")
        })
        .await?;
        self.check_write(actor, commune).await?;
        let mut tx = self.db.write().await?;
        sqlx::query("INSERT INTO steering_visits (member_id, visited_on, findings, created_by) VALUES ($1, $2, $3, $4)")
            .bind(member_id)
            .bind(day.format("%Y-%m-%d").to_string())
            .bind(&findings)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::Visit,
            Entity::Unit,
            &code,
            Some(commune),
            json!({"member": member_id, "visited_on": vntext::format_date(day), "findings": findings}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The steering committee members watching the communes of a unit in
    /// `year` (assigned that year or before), with their visits.
    pub async fn steering(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
    ) -> Result<Vec<SteeringMember>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        // Only commune ids (integers from the database) are formatted into the SQL.
        let members: Vec<(i64, String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.position, u.name, s.year FROM steering_members s JOIN units u ON u.id = s.commune_id \
             WHERE s.year <= $1 AND s.commune_id IN ({list}) ORDER BY u.code, s.name"
        )))
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        let visits: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT v.member_id, v.visited_on, v.findings FROM steering_visits v JOIN steering_members s ON s.id = v.member_id \
             WHERE s.commune_id IN ({list}) ORDER BY v.visited_on DESC, v.id DESC"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        Ok(members
            .into_iter()
            .map(|(id, name, position, commune, year)| SteeringMember {
                visits: visits
                    .iter()
                    .filter(|v| v.0 == id)
                    .map(|v| (v.1.clone(), v.2.clone()))
                    .collect(),
                id,
                name,
                position,
                commune,
                year,
            })
            .collect())
    }
}

/// The list's tally by cadre, in the list's order.
pub fn by_cadre(plans: &[EscapePlan]) -> Vec<EscapeTally> {
    let mut out: Vec<EscapeTally> = Vec::new();
    for p in plans {
        let name = if p.cadre_role.is_empty() {
            p.cadre_name.clone()
        } else {
            format!("{} ({})", p.cadre_name, p.cadre_role)
        };
        match out.iter_mut().find(|t| t.name == name) {
            Some(t) => t.add(p.outcome),
            None => {
                let mut t = EscapeTally {
                    name,
                    ..EscapeTally::default()
                };
                t.add(p.outcome);
                out.push(t);
            }
        }
    }
    out
}

impl Registry {
    /// A household's places on expected-escape lists and in livelihood
    /// models, for its page: (year, cadre and role, due yyyy-mm-dd) newest
    /// first, and (model, joined yyyy-mm-dd).
    pub async fn household_plans(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<HouseholdPlans, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(HouseholdPlans::default());
        }
        let escapes: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT year, cadre_name, cadre_role, due_on FROM escape_plans WHERE household_id = $1 ORDER BY year DESC",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        let models: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.joined_on FROM model_households p JOIN livelihood_models m ON m.id = p.model_id WHERE p.household_id = $1 ORDER BY p.joined_on",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(HouseholdPlans {
            escapes: escapes
                .into_iter()
                .map(|(year, name, role, due)| {
                    let cadre = if role.is_empty() {
                        name
                    } else {
                        format!("{name} ({role})")
                    };
                    (year, cadre, due)
                })
                .collect(),
            models,
        })
    }
}

/// See [`Registry::household_plans`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdPlans {
    /// (year, cadre, due yyyy-mm-dd).
    pub escapes: Vec<(i64, String, Option<String>)>,
    /// (model, joined yyyy-mm-dd).
    pub models: Vec<(String, String)>,
}
