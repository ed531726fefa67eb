//! The score form (phiếu B): score A from the point table an administrator
//! loads, score B from the deprivations, and the status the circular gives.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::HouseholdId;
use serde_json::json;
use standard::{PointTable, Standard, SurveyAnswers};
use std::collections::BTreeMap;
use std::path::Path;

/// The answers of the score form: the region of the point table, each item's
/// option (score A), and the facts from which the deprivations follow (score B).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreFormAnswers {
    pub region: String,
    pub items: BTreeMap<String, String>,
    pub answers: SurveyAnswers,
}

/// What the score form gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreFormResult {
    pub score_a: i64,
    pub score_b: u32,
    pub status: standard::Status,
    pub deprived: Vec<String>,
}

impl Registry {
    /// Loads (replaces) the point table of a standard from a CSV file
    /// `region,item,option,points`. Administrators only; audited.
    pub async fn load_point_table(
        &self,
        actor: &Actor,
        standard: &Standard,
        path: &Path,
    ) -> Result<usize, RegistryError> {
        actor.require(Capability::Administer)?;
        if standard.score_form.is_none() {
            return Err(RegistryError::Invalid(vec![format!(
                "chuẩn {} không có phiếu chấm điểm",
                standard.id
            )]));
        }
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Io {
            file: file.clone(),
            source,
        })?;
        let table = PointTable::parse(&file, &text)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let entries = table.entries();
        let mut tx = self.db.write().await?;
        sqlx::query("DELETE FROM point_tables WHERE standard_id = $1")
            .bind(&standard.id)
            .execute(&mut *tx)
            .await?;
        for (region, item, option, points) in &entries {
            sqlx::query("INSERT INTO point_tables (standard_id, region, item, option, points) VALUES ($1, $2, $3, $4, $5)")
                .bind(&standard.id)
                .bind(*region)
                .bind(*item)
                .bind(*option)
                .bind(*points)
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            actor,
            Action::Load,
            Entity::PointTable,
            &standard.id,
            None,
            json!({"file": file, "rows": entries.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(entries.len())
    }

    async fn point_table(&self, standard_id: &str) -> Result<PointTable, RegistryError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT region, item, option, points FROM point_tables WHERE standard_id = $1 ORDER BY region, item, option",
        )
        .bind(standard_id)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            return Err(RegistryError::NotFound(format!(
                "bảng điểm của chuẩn {standard_id}; quản trị viên nạp bằng: giamngheo points import"
            )));
        }
        Ok(PointTable::from_entries(rows))
    }

    /// Records a score-form survey and its official assessment by the score
    /// form's rules.
    pub async fn record_score_form(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        year: i64,
        standard: &Standard,
        form: &ScoreFormAnswers,
    ) -> Result<ScoreFormResult, RegistryError> {
        let Some(score_form) = &standard.score_form else {
            return Err(RegistryError::Invalid(vec![format!(
                "chuẩn {} không có phiếu chấm điểm",
                standard.id
            )]));
        };
        let household = self.writable_household(actor, household_id).await?;
        let (code, commune, area) = (household.code, household.commune_id, household.area);
        let table = self.point_table(&standard.id).await?;
        let score_a = table
            .score(&form.region, &form.items)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let problems = form.answers.problems();
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let deprivations = form
            .answers
            .deprivations(standard, year as i32)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let score_b = deprivations.count() * score_form.points_per_deprivation;
        let result = standard
            .classify_score_form(area, score_a, score_b)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let deprived: Vec<String> = deprivations
            .iter()
            .map(|i| standard.indicators[i].code.clone())
            .collect();
        let score = standard.score(deprivations);
        let inputs = json!({"form": form, "score_a": score_a, "score_b": score_b});
        let mut tx = self.db.write().await?;
        if crate::review::locked_in(&mut tx, commune, year).await? {
            return Err(RegistryError::Forbidden(format!(
                "đợt rà soát năm {year} của xã đã báo cáo cấp trên hoặc đã đóng"
            )));
        }
        let tallied = crate::tallies::Tallied::before(&mut tx, &[household_id]).await?;
        let survey_id: i64 = sqlx::query_scalar(
            "INSERT INTO surveys (household_id, year, answers, created_at, created_by, province_id) VALUES ($1, $2, $3, $4, $5, (SELECT province_id FROM households WHERE id = $1)) RETURNING id",
        )
        .bind(household_id)
        .bind(year)
        .bind(inputs.to_string())
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        let old: Option<String> = sqlx::query_scalar(
            "SELECT status FROM assessments WHERE household_id = $1 AND year = $2 AND official = 1",
        )
        .bind(household_id)
        .bind(year)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM assessments WHERE household_id = $1 AND year = $2 AND official = 1",
        )
        .bind(household_id)
        .bind(year)
        .execute(&mut *tx)
        .await?;
        let deprived_codes: Vec<&str> = deprived.iter().map(String::as_str).collect();
        crate::households::insert_assessment(
            &mut tx,
            &crate::households::AssessmentRow {
                household_id,
                year,
                standard_id: &standard.id,
                official: true,
                status: result.status.code(),
                deprived: &deprived_codes,
                score,
                reason: &score_form.rules[result.rule].reason.code,
                inputs: inputs.to_string(),
                survey_id: Some(survey_id),
            },
        )
        .await?;
        crate::counts::official_changed(
            &mut tx,
            household_id,
            year,
            old.as_deref(),
            Some(result.status.code()),
        )
        .await?;
        tallied.changed(&mut tx).await?;
        crate::review::surveyed_again(&mut tx, household_id, year).await?;
        audit(
            &mut tx,
            actor,
            Action::Assess,
            Entity::Household,
            &code,
            Some(commune),
            json!({"year": year, "standard": standard.id, "form": "score", "score_a": score_a, "score_b": score_b, "status": result.status.code()}),
        )
        .await?;
        tx.commit().await?;
        Ok(ScoreFormResult {
            score_a,
            score_b,
            status: result.status,
            deprived,
        })
    }
}
