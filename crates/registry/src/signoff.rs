//! Sign-off of a unit's report of a period (issue 12, first part), bottom
//! up along the hierarchy valid in that period: a unit submits, the level
//! above accepts it (then it is locked) or returns it with a comment, and
//! accepts only once every unit under it has been accepted. Each
//! submission is on time or late against the reporting calendar
//! (`calendar/vn-review.toml`: a month's report by the set day of the next
//! month, the year's by the set day of the year).

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::units::{Level, Unit};
use chrono::NaiveDate;
use serde_json::json;

/// A reporting period: a year, or a month of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReportPeriod {
    Year(i32),
    Month(i32, u32),
}

impl ReportPeriod {
    /// "2025", "2025-03" or "03/2025".
    pub fn parse(text: &str) -> Result<ReportPeriod, String> {
        let text = text.trim();
        let bad = || format!("kỳ báo cáo: \"{text}\" không phải năm (2025) hay tháng (03/2025)");
        let year = |y: &str| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(bad)
        };
        let month = |m: &str| {
            m.parse::<u32>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)
        };
        if let Some((y, m)) = text.split_once('-') {
            return Ok(ReportPeriod::Month(year(y)?, month(m)?));
        }
        if let Some((m, y)) = text.split_once('/') {
            return Ok(ReportPeriod::Month(year(y)?, month(m)?));
        }
        Ok(ReportPeriod::Year(year(text)?))
    }

    pub fn code(self) -> String {
        match self {
            ReportPeriod::Year(y) => y.to_string(),
            ReportPeriod::Month(y, m) => format!("{y}-{m:02}"),
        }
    }

    /// The period's last day: the hierarchy of that day receives the report.
    pub fn last_day(self) -> String {
        match self {
            ReportPeriod::Year(y) => format!("{y}-12-31"),
            ReportPeriod::Month(y, m) => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                NaiveDate::from_ymd_opt(ny, nm, 1)
                    .and_then(|d| d.pred_opt())
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            }
        }
    }

    /// The day it is due by the reporting calendar.
    pub fn due(self, calendar: &crate::calendar::Calendar) -> Option<NaiveDate> {
        match self {
            ReportPeriod::Year(y) => calendar.report_due(y, None),
            ReportPeriod::Month(y, m) => calendar.report_due(y, Some(m)),
        }
    }
}

/// Where a unit's report of a period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOffState {
    Submitted,
    Returned,
    Accepted,
}

impl SignOffState {
    pub fn code(self) -> &'static str {
        match self {
            SignOffState::Submitted => "submitted",
            SignOffState::Returned => "returned",
            SignOffState::Accepted => "accepted",
        }
    }

    fn parse(code: &str) -> Option<SignOffState> {
        [
            SignOffState::Submitted,
            SignOffState::Returned,
            SignOffState::Accepted,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A unit's report of a period, as the level above sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub unit_code: String,
    pub unit_name: String,
    /// None: not submitted.
    pub state: Option<SignOffState>,
    /// yyyy-mm-dd of the latest submission.
    pub submitted_on: Option<String>,
    pub on_time: Option<bool>,
    /// The level above's comment when it returned the report.
    pub comment: Option<String>,
}

fn invalid(text: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(vec![text.into()])
}

/// A submission of a report that waits for the level above.
fn already_submitted(unit: &Unit, period: ReportPeriod) -> RegistryError {
    invalid(format!(
        "báo cáo kỳ {} của {} đã nộp, đang chờ cấp trên",
        period.code(),
        unit.name
    ))
}

/// A decision on a report that is not waiting for one.
fn not_waiting(unit: &Unit, period: ReportPeriod) -> RegistryError {
    invalid(format!(
        "báo cáo kỳ {} của {} chưa nộp (hoặc đã xử lý)",
        period.code(),
        unit.name
    ))
}

impl Registry {
    /// The report's state of a unit and period.
    async fn signoff_state(
        &self,
        unit: &Unit,
        period: ReportPeriod,
    ) -> Result<Option<SignOffState>, RegistryError> {
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM report_signoffs WHERE unit_id = $1 AND period = $2",
        )
        .bind(unit.id)
        .bind(period.code())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(state.as_deref().and_then(SignOffState::parse))
    }

    /// The units that report to `unit` for a period: those under it (not
    /// villages) that existed on the period's last day.
    async fn reporting_units(
        &self,
        unit: &Unit,
        period: ReportPeriod,
    ) -> Result<Vec<Unit>, RegistryError> {
        let day = period.last_day();
        // From the units kept in memory: a province's hundreds of communes.
        let mut children: Vec<Unit> = self
            .units_above_villages()
            .await?
            .iter()
            .filter(|c| c.parent_id == Some(unit.id) && c.existed_on(&day))
            .cloned()
            .collect();
        children.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(children)
    }

    /// A unit submits its report of a period to the level above, on
    /// `today`: first, or again after a return; not while it waits, nor
    /// once accepted.
    pub async fn submit_report(
        &self,
        actor: &Actor,
        unit_code: &str,
        period: ReportPeriod,
        today: NaiveDate,
    ) -> Result<(), RegistryError> {
        let unit = self.writable_unit(actor, unit_code).await?;
        if !Registry::speaks_for(actor, unit.id) {
            return Err(RegistryError::Forbidden(format!(
                "báo cáo của {} do cán bộ của {} nộp",
                unit.name, unit.name
            )));
        }
        if unit.level == Level::Village {
            return Err(invalid(
                "đơn vị báo cáo là xã, huyện hoặc tỉnh, không phải thôn",
            ));
        }
        if self
            .approving_unit(unit.id, &period.last_day())
            .await?
            .is_none()
        {
            return Err(invalid(format!(
                "{} không có cấp trên nhận báo cáo trong hệ thống",
                unit.name
            )));
        }
        match self.signoff_state(&unit, period).await? {
            Some(SignOffState::Submitted) => {
                return Err(already_submitted(&unit, period));
            }
            Some(SignOffState::Accepted) => {
                return Err(invalid(format!(
                    "báo cáo kỳ {} của {} đã được chấp nhận và khoá",
                    period.code(),
                    unit.name
                )));
            }
            _ => {}
        }
        let due = period.due(crate::calendar::Calendar::builtin());
        let on_time = due.is_none_or(|d| today <= d);
        let mut tx = self.db.write().await?;
        let written = sqlx::query(
            "INSERT INTO report_signoffs (unit_id, period, state, submitted_on, on_time) VALUES ($1, $2, 'submitted', $3, $4) \
             ON CONFLICT (unit_id, period) DO UPDATE SET state = 'submitted', submitted_on = excluded.submitted_on, on_time = excluded.on_time \
             WHERE report_signoffs.state = 'returned'",
        )
        .bind(unit.id)
        .bind(period.code())
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(i64::from(on_time))
        .execute(&mut *tx)
        .await?;
        // Checked above, and again here inside the write: a submission that
        // raced this one changes nothing and leaves no audit row.
        if written.rows_affected() != 1 {
            return Err(already_submitted(&unit, period));
        }
        audit(
            &mut tx,
            actor,
            Action::SubmitReport,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"period": period.code(), "on_time": on_time, "due": due.map(vntext::format_date)}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The level above accepts a submitted report (only once every unit
    /// reporting to it has been accepted) or returns it with a comment.
    /// Only from the unit above on the period's last day, with the
    /// capability to approve.
    pub async fn decide_report(
        &self,
        actor: &Actor,
        unit_code: &str,
        period: ReportPeriod,
        accept: bool,
        comment: &str,
    ) -> Result<(), RegistryError> {
        actor.require(Capability::Approve)?;
        let unit = self.unit_in_scope(actor, unit_code).await?;
        let above = self
            .approving_unit(unit.id, &period.last_day())
            .await?
            .ok_or_else(|| invalid(format!("{} không có cấp trên nhận báo cáo", unit.name)))?;
        if !Registry::speaks_for(actor, above.id) {
            return Err(RegistryError::Forbidden(format!(
                "báo cáo của {} do {} nhận",
                unit.name, above.name
            )));
        }
        if self.signoff_state(&unit, period).await? != Some(SignOffState::Submitted) {
            return Err(not_waiting(&unit, period));
        }
        let comment = vntext::nfc(comment.trim());
        if comment.chars().count() > crate::limits::LONG_TEXT {
            return Err(invalid(format!(
                "ý kiến: tối đa {} ký tự",
                crate::limits::LONG_TEXT
            )));
        }
        if !accept && comment.is_empty() {
            return Err(invalid("ý kiến: trả lại báo cáo cần ghi lý do"));
        }
        if accept {
            let mut waiting = Vec::new();
            for child in self.reporting_units(&unit, period).await? {
                if self.signoff_state(&child, period).await? != Some(SignOffState::Accepted) {
                    waiting.push(child.name);
                }
            }
            if !waiting.is_empty() {
                return Err(invalid(format!(
                    "chưa chấp nhận được: báo cáo của {} chưa được chấp nhận",
                    waiting.join(", ")
                )));
            }
        }
        let (state, action) = if accept {
            (SignOffState::Accepted, Action::AcceptReport)
        } else {
            (SignOffState::Returned, Action::ReturnReport)
        };
        let mut tx = self.db.write().await?;
        let written = sqlx::query(
            "UPDATE report_signoffs SET state = $1, decided_by = $2, comment = $3 WHERE unit_id = $4 AND period = $5 AND state = 'submitted'",
        )
        .bind(state.code())
        .bind(&actor.name)
        .bind(Some(comment.clone()).filter(|c| !c.is_empty()))
        .bind(unit.id)
        .bind(period.code())
        .execute(&mut *tx)
        .await?;
        // A decision that raced this one has already taken the report out of
        // "submitted": this one changes nothing and leaves no audit row.
        if written.rows_affected() != 1 {
            return Err(not_waiting(&unit, period));
        }
        audit(
            &mut tx,
            actor,
            action,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"period": period.code(), "comment": comment}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The reports of a period of a unit and of the units reporting to it.
    pub async fn signoffs(
        &self,
        actor: &Actor,
        unit_code: &str,
        period: ReportPeriod,
    ) -> Result<Vec<SignOff>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let unit = self.unit_in_scope(actor, unit_code).await?;
        let mut units = vec![unit.clone()];
        units.extend(self.reporting_units(&unit, period).await?);
        // One read for the unit and every unit under it.
        let ids: std::collections::BTreeSet<crate::values::UnitId> =
            units.iter().map(|u| u.id).collect();
        let sql = format!(
            "SELECT unit_id, state, submitted_on, on_time, comment FROM report_signoffs WHERE period = $1 AND {}",
            self.db.backend().in_ids("unit_id", &ids)
        );
        type Row = (crate::values::UnitId, String, String, i64, Option<String>);
        // Only unit ids (integers from the database) are formatted into the SQL.
        let mut rows: std::collections::HashMap<crate::values::UnitId, Row> =
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(period.code())
                .fetch_all(&self.db.pool)
                .await?
                .into_iter()
                .map(|r| (r.0, r))
                .collect();
        Ok(units
            .into_iter()
            .map(|u| {
                let row = rows.remove(&u.id);
                SignOff {
                    unit_code: u.code,
                    unit_name: u.name,
                    state: row.as_ref().and_then(|r| SignOffState::parse(&r.1)),
                    submitted_on: row.as_ref().map(|r| r.2.clone()),
                    on_time: row.as_ref().map(|r| r.3 == 1),
                    comment: row.and_then(|r| r.4),
                }
            })
            .collect())
    }
}
