//! Surveys by year: the raw answers of the review form, the indicators and
//! status the standard derives from them, what-if assessments under another
//! standard, group flags from the members, and removal as a dated status.

use crate::error::RegistryError;
use crate::gate::{Actor, WritableHousehold};
use crate::households::{Assessed, Facts};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::{HouseholdId, MemberId, ReviewYear};
use serde_json::json;
use standard::{Area, Standard, SurveyAnswers};

/// What the standard made of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentSummary {
    pub standard_id: String,
    pub status: standard::Status,
    pub deprived: Vec<String>,
    pub official: bool,
}

/// The groups a household belongs to, from its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Groups {
    pub merit: bool,
    pub social_protection: bool,
    pub ethnic_minority: bool,
    /// No member can work: children under 15, people of 60 and over, and the
    /// disabled without working capacity only.
    pub no_working_capacity: bool,
}

/// The date and reason of a removal, checked.
fn removal(on: &str, reason: &str) -> Result<chrono::NaiveDate, RegistryError> {
    let date = vntext::parse_date(on).ok_or_else(|| {
        RegistryError::invalid(format!("từ ngày \"{on}\": không đúng dạng dd/mm/yyyy"))
    })?;
    if reason.trim().is_empty() {
        return Err(RegistryError::invalid("lý do: cần ghi lý do"));
    }
    crate::limits::text("lý do", reason, crate::limits::LONG_TEXT)
        .map_err(RegistryError::invalid)?;
    Ok(date)
}

impl Registry {
    /// Records the survey of a household for a year and its official
    /// assessment under `standard`.
    pub async fn record_survey(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        year: ReviewYear,
        answers: &SurveyAnswers,
        standard: &Standard,
    ) -> Result<AssessmentSummary, RegistryError> {
        let WritableHousehold {
            code,
            commune_id: commune,
            area,
            ..
        } = self.writable_household(actor, household_id).await?;
        let problems = answers.problems();
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let deprivations = answers
            .deprivations(standard, i32::from(year.get()))
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let answers_json = serde_json::to_value(answers)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let mut tx = self.db.write().await?;
        let survey_id: i64 = sqlx::query_scalar(
            "INSERT INTO surveys (household_id, year, answers, created_at, created_by, province_id) VALUES ($1, $2, $3, $4, $5, (SELECT province_id FROM households WHERE id = $1)) RETURNING id",
        )
        .bind(household_id)
        .bind(year)
        .bind(answers_json.to_string())
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Survey,
            Entity::Household,
            &code,
            Some(commune),
            json!({"year": year, "survey": survey_id}),
        )
        .await?;
        self.record_assessment(
            &mut tx,
            actor,
            &Assessed {
                id: household_id,
                code: &code,
                commune_id: commune,
            },
            &Facts {
                year: year.as_i64(),
                standard,
                area,
                income: answers.income_per_capita,
                deprivations,
                livelihood: answers.livelihood,
                survey_id: Some(survey_id),
                inputs: &answers_json,
            },
        )
        .await?;
        tx.commit().await?;
        let c = standard.classify_household(
            area,
            answers.income_per_capita,
            deprivations,
            answers.livelihood,
        );
        Ok(AssessmentSummary {
            standard_id: standard.id.clone(),
            status: c.status,
            deprived: c.deprived_codes(standard).map(String::from).collect(),
            official: true,
        })
    }

    /// Recomputes the latest survey of a year under another standard and
    /// keeps it beside the official assessment, which it does not touch.
    pub async fn what_if(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        year: i64,
        standard: &Standard,
    ) -> Result<AssessmentSummary, RegistryError> {
        let WritableHousehold {
            code,
            commune_id: commune,
            area,
            ..
        } = self.writable_household(actor, household_id).await?;
        let survey: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, answers FROM surveys WHERE household_id = $1 AND year = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(household_id)
        .bind(year)
        .fetch_optional(&self.db.pool)
        .await?;
        let (survey_id, answers) = survey.ok_or_else(|| {
            RegistryError::NotFound(format!("phiếu khảo sát năm {year} của hộ {code}"))
        })?;
        let answers: SurveyAnswers = serde_json::from_str(&answers).map_err(|_| {
            RegistryError::Invalid(vec![format!(
                "phiếu năm {year} của hộ {code} được nạp từ tệp, không có câu trả lời chi tiết để tính lại"
            )])
        })?;
        let deprivations = answers
            .deprivations(standard, year as i32)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let c = standard.classify_household(
            area,
            answers.income_per_capita,
            deprivations,
            answers.livelihood,
        );
        let deprived: Vec<String> = c.deprived_codes(standard).map(String::from).collect();
        let mut tx = self.db.write().await?;
        sqlx::query("DELETE FROM assessments WHERE household_id = $1 AND year = $2 AND standard_id = $3 AND official = 0")
            .bind(household_id)
            .bind(year)
            .bind(&standard.id)
            .execute(&mut *tx)
            .await?;
        let deprived_codes: Vec<&str> = deprived.iter().map(String::as_str).collect();
        crate::households::insert_assessment(
            &mut tx,
            &crate::households::AssessmentRow {
                household_id,
                year,
                standard_id: &standard.id,
                official: false,
                status: c.status.code(),
                deprived: &deprived_codes,
                score: c.score,
                reason: &c.reason(standard).code,
                inputs: serde_json::to_string(&answers).unwrap_or_default(),
                survey_id: Some(survey_id),
            },
        )
        .await?;
        audit(
            &mut tx,
            actor,
            Action::WhatIf,
            Entity::Household,
            &code,
            Some(commune),
            json!({"year": year, "standard": standard.id, "status": c.status.code()}),
        )
        .await?;
        tx.commit().await?;
        Ok(AssessmentSummary {
            standard_id: standard.id.clone(),
            status: c.status,
            deprived,
            official: false,
        })
    }

    /// The latest form answers recorded for a household in `year` or
    /// before, with their year: what a new survey starts from. Surveys
    /// loaded from files (which hold no form answers) are skipped.
    pub async fn latest_survey_answers(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        year: ReviewYear,
    ) -> Result<Option<(i64, SurveyAnswers)>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(None);
        }
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT year, answers FROM surveys WHERE household_id = $1 AND year <= $2 ORDER BY year DESC, id DESC LIMIT 10",
        )
        .bind(household_id)
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().find_map(|(y, answers)| {
            serde_json::from_str::<SurveyAnswers>(&answers)
                .ok()
                .map(|a| (y, a))
        }))
    }

    /// The assessments of a household for a year, official first.
    pub async fn assessments(
        &self,
        household_id: HouseholdId,
        year: i64,
    ) -> Result<Vec<AssessmentSummary>, RegistryError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT standard_id, status, deprived, official FROM assessments WHERE household_id = $1 AND year = $2 ORDER BY official DESC, standard_id",
        )
        .bind(household_id)
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(standard_id, status, deprived, official)| {
                Ok(AssessmentSummary {
                    standard_id,
                    status: standard::Status::try_from(status)
                        .map_err(|e| RegistryError::Invalid(vec![e]))?,
                    deprived: deprived
                        .split(';')
                        .filter(|d| !d.is_empty())
                        .map(String::from)
                        .collect(),
                    official: official == 1,
                })
            })
            .collect()
    }

    /// The groups of a household, from its current members.
    pub async fn groups(
        &self,
        household_id: HouseholdId,
        year: i32,
    ) -> Result<Groups, RegistryError> {
        let members: Vec<crate::tallies::MemberFacts> = sqlx::query_as(
            "SELECT household_id, birth_date, ethnicity, merit, social_protection, no_working_capacity FROM members WHERE household_id = $1 AND removed_on IS NULL",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        // The same groups the kept tallies count.
        let groups = crate::tallies::groups_in(&members, i64::from(year));
        let has = |g| groups.contains(&g);
        use crate::tallies::Group;
        Ok(Groups {
            merit: has(Group::Merit),
            social_protection: has(Group::SocialProtection),
            ethnic_minority: has(Group::EthnicMinority),
            no_working_capacity: has(Group::NoWorkingCapacity),
        })
    }

    /// Removes a household from the lists from a date, with a reason. Nothing
    /// is deleted: the household and its history stay.
    pub async fn remove_household(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        on: &str,
        reason: &str,
    ) -> Result<(), RegistryError> {
        let WritableHousehold {
            code,
            commune_id: commune,
            ..
        } = self.writable_household(actor, household_id).await?;
        let date = removal(on, reason)?;
        let mut tx = self.db.write().await?;
        let before = crate::counts::Span::of(&mut tx, household_id).await?;
        let after = crate::counts::Span {
            removed_on: date.format("%Y-%m-%d").to_string(),
            ..before.clone()
        };
        crate::counts::span_changed(&mut tx, Some(&before), Some(&after)).await?;
        sqlx::query("UPDATE households SET removed_on = $1, removed_reason = $2, updated_at = $3 WHERE id = $4")
            .bind(&after.removed_on)
            .bind(vntext::nfc(reason))
            .bind(crate::now())
            .bind(household_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::Remove,
            Entity::Household,
            &code,
            Some(commune),
            json!({"removed_on": on, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member (died, moved away, …) from a date, with a reason.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        member_id: MemberId,
        on: &str,
        reason: &str,
    ) -> Result<(), RegistryError> {
        let household: Option<HouseholdId> =
            sqlx::query_scalar("SELECT household_id FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let household = household
            .ok_or_else(|| RegistryError::NotFound(format!("thành viên số {member_id}")))?;
        let WritableHousehold {
            code,
            commune_id: commune,
            ..
        } = self.writable_household(actor, household).await?;
        let date = removal(on, reason)?;
        let mut tx = self.db.write().await?;
        let tallied = crate::tallies::Tallied::before(&mut tx, &[household]).await?;
        sqlx::query("UPDATE members SET removed_on = $1, removed_reason = $2 WHERE id = $3")
            .bind(date.format("%Y-%m-%d").to_string())
            .bind(vntext::nfc(reason))
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::Remove,
            Entity::Member,
            &format!("{code}/{member_id}"),
            Some(commune),
            json!({"removed_on": on, "reason": reason}),
        )
        .await?;
        tallied.changed(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The area of a household's commune (rural unless the unit says urban).
    pub async fn household_area(&self, household_id: HouseholdId) -> Result<Area, RegistryError> {
        let area: Option<String> = sqlx::query_scalar(
            "SELECT u.area FROM households h JOIN units u ON u.id = h.commune_id WHERE h.id = $1",
        )
        .bind(household_id)
        .fetch_optional(&self.db.pool)
        .await?
        .flatten();
        Ok(if area.as_deref() == Some("urban") {
            Area::Urban
        } else {
            Area::Rural
        })
    }
}
