//! The review round of Decision 24/2021/QĐ-TTg, per commune and year:
//! the households to review (the current poor and near-poor lists and the
//! households that asked) → surveys → village meeting (a case stands when at
//! least half of the attendees agree; otherwise it goes back to survey) →
//! public posting → complaints and re-checks → the commune's recognition
//! (decision, certificates "…/GCN-HN.HCN") → report up, which closes the
//! round and locks its assessments. A district officer can reopen it.
//! Households' own requests — form 01 (to be reviewed) and form 04 (to be
//! recognised as having escaped poverty) — have a deadline, and a refusal
//! states its reason. Every step records who and when (the audit log).

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::{Action, Entity, Registry, audit};
use crate::values::{HouseholdId, ReviewYear, RoundId, UnitId};
use serde_json::json;
use std::collections::BTreeMap;

use crate::calendar::Calendar;

/// The columns of a [`Round`].
const ROUND: &str = "SELECT id, commune_id, year, kind, month, outside_window_reason, step, opened_at, opened_by, meeting_date, meeting_chair, meeting_attendees, posting_start, posting_days, decision_number, decision_date, closed_at, approver_id FROM review_rounds";

/// The two kinds of round (Decision 24/2021): the periodic review of the
/// whole list once a year, and the regular review, monthly, of the
/// households that asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    Periodic,
    Regular,
}

impl RoundKind {
    pub fn code(self) -> &'static str {
        match self {
            RoundKind::Periodic => "periodic",
            RoundKind::Regular => "regular",
        }
    }

    pub fn parse(code: &str) -> Option<RoundKind> {
        [RoundKind::Periodic, RoundKind::Regular]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

impl TryFrom<String> for RoundKind {
    type Error = String;

    fn try_from(code: String) -> Result<RoundKind, String> {
        RoundKind::parse(&code).ok_or_else(|| format!("loại đợt rà soát không rõ: {code}"))
    }
}

/// What a round is opened as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundPlan {
    /// The periodic review; outside its window (1 September – 14 December
    /// of the year) only with a reason, which is recorded.
    Periodic { reason: Option<String> },
    /// The regular review of one month, from its 15th.
    Regular { month: u32 },
}

impl RoundPlan {
    pub fn kind(&self) -> RoundKind {
        match self {
            RoundPlan::Periodic { .. } => RoundKind::Periodic,
            RoundPlan::Regular { .. } => RoundKind::Regular,
        }
    }
}

/// The periodic review's window in `year` (Decision 24/2021: 1 September to
/// 14 December).
pub fn periodic_window(year: i64) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let year = i32::try_from(year).ok()?;
    Some((
        chrono::NaiveDate::from_ymd_opt(year, 9, 1)?,
        chrono::NaiveDate::from_ymd_opt(year, 12, 14)?,
    ))
}

/// The day a regular round of `month` may open: the 15th.
pub fn regular_opens(year: i64, month: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 15)
}

/// The steps of a round, in order (Decision 24/2021: survey, village
/// meeting, public posting, complaints and re-checks, recognition; then the
/// round is reported to the level above, which approves and closes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Surveys,
    Meeting,
    Posting,
    Complaints,
    Recognition,
    /// Recognised by the commune and reported to the level above, which
    /// approves it (closing the round) or sends it back.
    Reported,
    Closed,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Surveys,
        Step::Meeting,
        Step::Posting,
        Step::Complaints,
        Step::Recognition,
        Step::Reported,
        Step::Closed,
    ];

    /// The step's code in the database, the API, audit actions and the
    /// translation keys (`step_<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Step::Surveys => "surveys",
            Step::Meeting => "meeting",
            Step::Posting => "posting",
            Step::Complaints => "complaints",
            Step::Recognition => "recognition",
            Step::Reported => "reported",
            Step::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The step's name in messages of the registry.
    pub fn name(self) -> &'static str {
        match self {
            Step::Surveys => "khảo sát",
            Step::Meeting => "họp thôn",
            Step::Posting => "niêm yết công khai",
            Step::Complaints => "khiếu nại, phúc tra",
            Step::Recognition => "công nhận",
            Step::Reported => "báo cáo cấp trên, chờ phê duyệt",
            Step::Closed => "đã đóng",
        }
    }
}

impl TryFrom<String> for Step {
    type Error = String;

    fn try_from(code: String) -> Result<Step, String> {
        Step::parse(&code).ok_or_else(|| format!("bước rà soát không rõ: {code}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Round {
    pub id: RoundId,
    pub commune_id: UnitId,
    pub year: i64,
    #[sqlx(try_from = "String")]
    pub kind: RoundKind,
    /// A regular round's month.
    pub month: Option<i64>,
    /// Why a periodic round was opened outside its window.
    pub outside_window_reason: Option<String>,
    #[sqlx(try_from = "String")]
    pub step: Step,
    pub opened_at: String,
    pub opened_by: String,
    pub meeting_date: Option<String>,
    pub meeting_chair: Option<String>,
    pub meeting_attendees: Option<i64>,
    pub posting_start: Option<String>,
    pub posting_days: Option<i64>,
    pub decision_number: Option<String>,
    pub decision_date: Option<String>,
    pub closed_at: Option<String>,
    /// The unit the round was reported to (the level above the commune on
    /// the day of its recognition).
    pub approver_id: Option<UnitId>,
}

impl Round {
    /// The last day of the posting, by the calendar, once it has started.
    pub fn posting_end(&self) -> Option<chrono::NaiveDate> {
        let start =
            chrono::NaiveDate::parse_from_str(self.posting_start.as_deref()?, "%Y-%m-%d").ok()?;
        Some(Calendar::builtin().posting_end(start))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Case {
    pub household_id: HouseholdId,
    pub code: String,
    pub head_name: String,
    /// The household's village; in a merged commune, with the commune it
    /// was registered in ("Thôn 1 (Xã Xuân Liên)"), since villages of the
    /// merged communes share names.
    pub village: Option<String>,
    /// The commune the household is registered in (the round's own, or
    /// one merged into it).
    pub commune: String,
    pub origin: String,
    #[sqlx(try_from = "crate::values::StatusText")]
    pub proposed_status: Option<standard::Status>,
    pub agreeing: Option<i64>,
    pub complaint: Option<String>,
    #[sqlx(try_from = "crate::values::StatusText")]
    pub recheck_outcome: Option<standard::Status>,
    #[sqlx(try_from = "crate::values::StatusText")]
    pub final_status: Option<standard::Status>,
    pub certificate: Option<String>,
    /// Sent back to survey by the meeting: waiting for a new survey (1) or,
    /// surveyed again, for a new vote (2); 0 otherwise.
    pub resurvey: i64,
    /// The form A criteria an applicant met (codes, `;`-separated): screened
    /// out, not poor, not scored with form B.
    pub screened_out: Option<String>,
    pub head_sort: String,
}

/// Where a case stands after the village meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resurvey {
    No = 0,
    /// Less than half the attendees agreed: survey again.
    WaitingForSurvey = 1,
    /// Surveyed again: the next meeting must vote on it.
    WaitingForVote = 2,
}

impl Case {
    pub fn resurvey(&self) -> Resurvey {
        match self.resurvey {
            1 => Resurvey::WaitingForSurvey,
            2 => Resurvey::WaitingForVote,
            _ => Resurvey::No,
        }
    }
}

/// The columns of a [`Case`].
const CASES: &str = "SELECT c.household_id, h.code, h.head_name, \
     CASE WHEN h.commune_id = r.commune_id THEN v.name ELSE v.name || ' (' || hc.name || ')' END AS village, \
     hc.name AS commune, c.origin, c.proposed_status, c.agreeing, c.complaint, c.recheck_outcome, c.final_status, c.certificate, c.resurvey, c.screened_out, h.head_sort \
     FROM review_cases c JOIN review_rounds r ON r.id = c.round_id JOIN households h ON h.id = c.household_id \
     JOIN units hc ON hc.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id \
     WHERE c.round_id = $1";

/// The cases of a round in the order of its printed lists: by the commune
/// they were registered in (in name order), by village (with
/// numbers as numbers: Thôn 2 before Thôn 10), then as official lists sort
/// names. Certificates are numbered in this order.
async fn ordered_cases(
    conn: &mut sqlx::AnyConnection,
    round_id: RoundId,
) -> Result<Vec<Case>, RegistryError> {
    let mut cases: Vec<Case> = sqlx::query_as(CASES).bind(round_id).fetch_all(conn).await?;
    cases.sort_by_cached_key(|c| {
        print_order(&c.commune, c.village.as_deref(), &c.head_sort, &c.code)
    });
    Ok(cases)
}

/// Where a household stands in a round's printed lists.
fn print_order(
    commune: &str,
    village: Option<&str>,
    head_sort: &str,
    code: &str,
) -> (String, String, String, String) {
    (
        vntext::name_sort_key(commune),
        vntext::natural_sort_key(village.unwrap_or("")),
        head_sort.to_string(),
        code.to_string(),
    )
}

fn household_label(c: &Case) -> String {
    format!("hộ {} ({})", c.code, c.head_name)
}

/// One vote of the village meeting: how many attendees agreed with the
/// proposed status of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub household_id: HouseholdId,
    pub agreeing: i64,
}

/// The village meeting's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// dd/mm/yyyy.
    pub date: String,
    pub chair: String,
    pub attendees: i64,
    pub minutes: String,
}

/// A complaint and the re-check's outcome (the status the re-check found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub household_id: HouseholdId,
    pub complaint: String,
    pub recheck_status: String,
}

fn invalid(problem: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(vec![problem.into()])
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

fn iso(date: &str) -> Result<String, RegistryError> {
    vntext::parse_date(date)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| invalid(format!("ngày \"{date}\" không đúng dạng dd/mm/yyyy")))
}

impl Registry {
    /// A commune the actor may change, by its code.
    async fn commune_for_write(
        &self,
        actor: &Actor,
        commune_code: &str,
    ) -> Result<crate::units::Unit, RegistryError> {
        let commune = self
            .unit_by_code(commune_code)
            .await?
            .filter(|u| u.level == crate::units::Level::Commune)
            .ok_or_else(|| RegistryError::NotFound(format!("xã \"{commune_code}\"")))?;
        self.check_write(actor, commune.id).await?;
        Ok(commune)
    }

    /// A write transaction on a round the actor may change, with the round
    /// as the transaction reads it (so a step is decided on its current
    /// state, not on one another request has just changed).
    async fn round_for_write(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<(Tx, Round), RegistryError> {
        let (tx, round) = self.round_in_write(round_id).await?;
        self.check_write(actor, round.commune_id).await?;
        Ok((tx, round))
    }

    /// A write transaction and the round as it reads it.
    async fn round_in_write(&self, round_id: RoundId) -> Result<(Tx, Round), RegistryError> {
        let mut tx = self.db.write().await?;
        let round: Round = sqlx::query_as(sqlx::AssertSqlSafe(format!("{ROUND} WHERE id = $1")))
            .bind(round_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đợt rà soát số {round_id}")))?;
        Ok((tx, round))
    }

    /// A round, if the actor may see it.
    pub async fn round(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<Option<(Round, Vec<Case>)>, RegistryError> {
        let round: Option<Round> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ROUND} WHERE id = $1")))
                .bind(round_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let Some(round) = round else { return Ok(None) };
        if !self.sees_names_of(actor, round.commune_id).await? {
            return Ok(None);
        }
        let mut conn = self.db.pool.acquire().await?;
        let cases = ordered_cases(&mut conn, round_id).await?;
        Ok(Some((round, cases)))
    }

    /// The rounds the actor may see, newest first, each with its commune's
    /// name (read in one query).
    pub async fn rounds(&self, actor: &Actor) -> Result<Vec<(Round, String)>, RegistryError> {
        self.rounds_where(actor, "", i64::MAX).await
    }

    /// The closed rounds the actor may see, newest first, at most `limit`.
    pub async fn closed_rounds(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<(Round, String)>, RegistryError> {
        self.rounds_where(actor, " AND step = 'closed'", limit)
            .await
    }

    /// The rounds not yet closed that the actor may see, newest first, at
    /// most `limit`.
    pub async fn open_rounds(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<(Round, String)>, RegistryError> {
        self.rounds_where(actor, " AND step <> 'closed'", limit)
            .await
    }

    async fn rounds_where(
        &self,
        actor: &Actor,
        condition: &str,
        limit: i64,
    ) -> Result<Vec<(Round, String)>, RegistryError> {
        let scope = self.scope(actor).await?;
        let Some(communes) = crate::gate::scope_clause(&scope, "commune_id") else {
            return Ok(Vec::new());
        };
        // Only unit ids (integers from the database) are formatted into the SQL.
        let rows: Vec<Round> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{ROUND} WHERE 1 = 1{communes}{condition} ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        let ids: std::collections::BTreeSet<UnitId> = rows.iter().map(|r| r.commune_id).collect();
        let names: std::collections::HashMap<UnitId, String> = if ids.is_empty() {
            Default::default()
        } else {
            // Only unit ids (integers from the database) are formatted into the SQL.
            sqlx::query_as::<_, (UnitId, String)>(sqlx::AssertSqlSafe(format!(
                "SELECT id, name FROM units WHERE id IN ({})",
                crate::gate::id_list(&ids)
            )))
            .fetch_all(&self.db.pool)
            .await?
            .into_iter()
            .collect()
        };
        Ok(rows
            .into_iter()
            .map(|r| {
                let name = names.get(&r.commune_id).cloned().unwrap_or_default();
                (r, name)
            })
            .collect())
    }

    /// Whether the official assessments of a commune and year are locked by
    /// a closed round.
    pub async fn locked(
        &self,
        commune_id: UnitId,
        year: ReviewYear,
    ) -> Result<bool, RegistryError> {
        let mut conn = self.db.pool.acquire().await?;
        locked_in(&mut conn, commune_id, year.as_i64()).await
    }

    /// A household's request: form "01" (to be reviewed) or "04" (to be
    /// recognised as having escaped poverty).
    pub async fn submit_request(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        form: &str,
        submitted_on: &str,
    ) -> Result<i64, RegistryError> {
        if form != "01" && form != "04" {
            return Err(invalid(format!(
                "mẫu \"{form}\" không có; dùng 01 (đề nghị rà soát) hoặc 04 (đề nghị công nhận thoát nghèo)"
            )));
        }
        let household = self.writable_household(actor, household_id).await?;
        let (code, commune) = (household.code, household.commune_id);
        let day = vntext::parse_date(submitted_on).ok_or_else(|| {
            invalid(format!(
                "ngày nộp đơn \"{submitted_on}\": không đúng dạng dd/mm/yyyy"
            ))
        })?;
        if day > chrono::Utc::now().date_naive() + chrono::Duration::days(1) {
            return Err(invalid(format!(
                "ngày nộp đơn {}: ở tương lai",
                vntext::format_date(day)
            )));
        }
        let deadline = Calendar::builtin().request_deadline(day);
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO requests (household_id, form, submitted_on, deadline, status) VALUES ($1, $2, $3, $4, 'pending') RETURNING id",
        )
        .bind(household_id)
        .bind(form)
        .bind(day.format("%Y-%m-%d").to_string())
        .bind(deadline.format("%Y-%m-%d").to_string())
        .fetch_one(&mut *tx)
        .await?;
        audit(&mut tx, actor, Action::Request, Entity::Household, &code, Some(commune), json!({"form": form, "submitted_on": submitted_on, "deadline": vntext::format_date(deadline)})).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Accepts or refuses a request; a refusal states its reason.
    pub async fn decide_request(
        &self,
        actor: &Actor,
        request_id: i64,
        accept: bool,
        reason: &str,
    ) -> Result<(), RegistryError> {
        let (household, form, status): (HouseholdId, String, String) =
            sqlx::query_as("SELECT household_id, form, status FROM requests WHERE id = $1")
                .bind(request_id)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or_else(|| RegistryError::NotFound(format!("đơn số {request_id}")))?;
        let writable = self.writable_household(actor, household).await?;
        let (code, commune) = (writable.code, writable.commune_id);
        if status != "pending" {
            return Err(invalid("đơn này đã được trả lời"));
        }
        if !accept && reason.trim().is_empty() {
            return Err(invalid("từ chối phải ghi rõ lý do"));
        }
        crate::limits::text("lý do", reason, crate::limits::LONG_TEXT).map_err(invalid)?;
        let mut tx = self.db.write().await?;
        sqlx::query(
            "UPDATE requests SET status = $1, refusal_reason = $2, decided_at = $3 WHERE id = $4",
        )
        .bind(if accept { "accepted" } else { "refused" })
        .bind((!accept).then(|| vntext::nfc(reason)))
        .bind(crate::now())
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            if accept {
                Action::AcceptRequest
            } else {
                Action::RefuseRequest
            },
            Entity::Household,
            &code,
            Some(commune),
            json!({"form": form, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a round for a commune and year and lists the households to
    /// review. A periodic round lists last year's poor and near-poor and the
    /// year's applicants (forms 01 and 04, accepted or pending); outside
    /// 1/9–14/12 it needs a reason. A regular round carries its month, opens
    /// from the 15th, once a month, and lists the year's applicants whom no
    /// earlier round of the year has reviewed.
    pub async fn open_round(
        &self,
        actor: &Actor,
        commune_code: &str,
        year: ReviewYear,
        plan: &RoundPlan,
    ) -> Result<RoundId, RegistryError> {
        let commune = self.commune_for_write(actor, commune_code).await?;
        if !commune.existed_in(year.as_i64()) {
            return Err(invalid(format!(
                "{} không còn (hoặc chưa có) trong năm {year}; mở đợt rà soát ở xã hiện nay",
                commune.name
            )));
        }
        let today = chrono::Utc::now().date_naive();
        let (month, reason) = match plan {
            RoundPlan::Periodic { reason } => {
                let reason = reason.as_deref().map(vntext::nfc).filter(|r| !r.is_empty());
                let inside = periodic_window(year.as_i64())
                    .is_some_and(|(from, to)| (from..=to).contains(&today));
                match reason {
                    _ if inside => (None, None),
                    None => {
                        return Err(invalid(format!(
                            "lý do: rà soát định kỳ năm {year} làm từ 01/09 đến 14/12/{year}; mở đợt ngoài thời gian này cần ghi lý do"
                        )));
                    }
                    Some(r) if r.chars().count() > crate::limits::LONG_TEXT => {
                        return Err(invalid(format!(
                            "lý do: tối đa {} ký tự",
                            crate::limits::LONG_TEXT
                        )));
                    }
                    Some(r) => (None, Some(r)),
                }
            }
            RoundPlan::Regular { month } => {
                let Some(opens) = regular_opens(year.as_i64(), *month) else {
                    return Err(invalid("tháng: từ 1 đến 12"));
                };
                if today < opens {
                    return Err(invalid(format!(
                        "tháng: đợt rà soát thường xuyên tháng {month}/{year} mở từ ngày {}",
                        vntext::format_date(opens)
                    )));
                }
                let same: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_rounds WHERE commune_id = $1 AND year = $2 AND kind = 'regular' AND month = $3")
                    .bind(commune.id)
                    .bind(year)
                    .bind(i64::from(*month))
                    .fetch_one(&self.db.pool)
                    .await?;
                if same > 0 {
                    return Err(invalid(format!(
                        "tháng: xã đã có đợt rà soát thường xuyên tháng {month}/{year}"
                    )));
                }
                (Some(i64::from(*month)), None)
            }
        };
        let kind = plan.kind();
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_rounds WHERE commune_id = $1 AND year = $2 AND step <> 'closed'")
            .bind(commune.id)
            .bind(year)
            .fetch_one(&self.db.pool)
            .await?;
        if open > 0 {
            return Err(invalid(format!(
                "xã đã có một đợt rà soát năm {year} đang mở"
            )));
        }
        let family = self.unit_family(commune.id).await?;
        let ids = crate::gate::id_list(&family);
        // A regular round reviews requests only; the periodic one the lists
        // as well.
        let listed: Vec<(i64, String)> = if kind == RoundKind::Regular {
            Vec::new()
        } else {
            // Only unit ids (integers from the database) are formatted into the SQL.
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT a.household_id, a.status FROM assessments a JOIN households h ON h.id = a.household_id \
                 WHERE a.official = 1 AND a.year = $1 AND a.status IN ('poor', 'near_poor') AND h.removed_on IS NULL AND h.commune_id IN ({ids})"
            )))
            .bind(year.as_i64() - 1)
            .fetch_all(&self.db.pool)
            .await?
        };
        // The round's list is the current lists and this year's applicants
        // (Decision 24/2021): a request of an earlier year was that year's
        // round's business; a regular round leaves out those an earlier
        // round of the year has reviewed.
        let reviewed = if kind == RoundKind::Regular {
            " AND NOT EXISTS (SELECT 1 FROM review_cases c JOIN review_rounds o ON o.id = c.round_id \
             WHERE c.household_id = r.household_id AND o.year = $3)"
        } else {
            " AND $3 = $3"
        };
        let requested: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT r.household_id FROM requests r JOIN households h ON h.id = r.household_id \
             WHERE r.status IN ('pending', 'accepted') AND r.submitted_on >= $1 AND r.submitted_on < $2 \
             AND h.removed_on IS NULL AND h.commune_id IN ({ids}){reviewed}"
        )))
        .bind(format!("{:04}-01-01", year.as_i64()))
        .bind(format!("{:04}-01-01", year.as_i64() + 1))
        .bind(year.as_i64())
        .fetch_all(&self.db.pool)
        .await?;
        let mut tx = self.db.write().await?;
        let round: RoundId = sqlx::query_scalar(
            "INSERT INTO review_rounds (commune_id, year, kind, month, outside_window_reason, step, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, 'surveys', $6, $7) RETURNING id",
        )
        .bind(commune.id)
        .bind(year)
        .bind(kind.code())
        .bind(month)
        .bind(&reason)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        let mut cases = 0;
        for (household, status) in &listed {
            let origin = if status == "poor" {
                "poor_list"
            } else {
                "near_poor_list"
            };
            sqlx::query(
                "INSERT INTO review_cases (round_id, household_id, origin) VALUES ($1, $2, $3)",
            )
            .bind(round)
            .bind(household)
            .bind(origin)
            .execute(&mut *tx)
            .await?;
            cases += 1;
        }
        for household in requested
            .iter()
            .filter(|h| !listed.iter().any(|(l, _)| l == *h))
        {
            sqlx::query("INSERT INTO review_cases (round_id, household_id, origin) VALUES ($1, $2, 'request')")
                .bind(round)
                .bind(household)
                .execute(&mut *tx)
                .await?;
            cases += 1;
        }
        audit(
            &mut tx,
            actor,
            Action::Open,
            Entity::ReviewRound,
            &round.to_string(),
            Some(commune.id),
            json!({"year": year, "kind": kind.code(), "month": month, "outside_window_reason": reason, "cases": cases}),
        )
        .await?;
        tx.commit().await?;
        Ok(round)
    }

    async fn set_step(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        round: &Round,
        step: Step,
        details: serde_json::Value,
    ) -> Result<(), RegistryError> {
        sqlx::query("UPDATE review_rounds SET step = $1 WHERE id = $2")
            .bind(step.code())
            .bind(round.id)
            .execute(&mut **tx)
            .await?;
        audit(
            tx,
            actor,
            Action::Step(step),
            Entity::ReviewRound,
            &round.id.to_string(),
            Some(round.commune_id),
            details,
        )
        .await
    }

    fn expect_step(round: &Round, step: Step) -> Result<(), RegistryError> {
        if round.step == step {
            Ok(())
        } else {
            Err(invalid(format!(
                "đợt đang ở bước \"{}\", không phải \"{}\"",
                round.step.name(),
                step.name()
            )))
        }
    }

    /// Form A for an applicant of the round (Circular 07/2021): the criteria
    /// of `standard`'s screening it meets. Any met screens it out — not poor,
    /// not scored with form B — with them recorded as the reason; none met
    /// (or a correction) lets it go on to form B. Only at the survey step and
    /// only for households that applied.
    pub async fn screen_applicant(
        &self,
        actor: &Actor,
        round_id: RoundId,
        household_id: HouseholdId,
        standard: &standard::Standard,
        met: &[String],
    ) -> Result<(), RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        Self::expect_step(&round, Step::Surveys)?;
        let Some(screening) = &standard.screening else {
            return Err(invalid(format!(
                "chuẩn {} không có phiếu A để sàng lọc",
                standard.id
            )));
        };
        if let Some(unknown) = met
            .iter()
            .find(|m| !screening.criteria.iter().any(|c| &c.code == *m))
        {
            return Err(invalid(format!(
                "tiêu chí phiếu A \"{unknown}\" không có trong chuẩn {}",
                standard.id
            )));
        }
        let case: Option<(String, String)> = sqlx::query_as(
            "SELECT c.origin, h.code FROM review_cases c JOIN households h ON h.id = c.household_id WHERE c.round_id = $1 AND c.household_id = $2",
        )
        .bind(round.id)
        .bind(household_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((origin, code)) = case else {
            return Err(invalid(format!(
                "hộ số {household_id} không có trong đợt rà soát này"
            )));
        };
        if origin != "request" {
            return Err(invalid(format!(
                "hộ {code} có trong danh sách hộ nghèo, cận nghèo: rà soát bằng phiếu B, không sàng lọc bằng phiếu A (chỉ hộ nộp đơn mới sàng lọc)"
            )));
        }
        // In the order of the form, whatever order they were ticked in.
        let codes: Vec<&str> = screening
            .criteria
            .iter()
            .filter(|c| met.contains(&c.code))
            .map(|c| c.code.as_str())
            .collect();
        let stored = (!codes.is_empty()).then(|| codes.join(";"));
        sqlx::query(
            "UPDATE review_cases SET screened_out = $1 WHERE round_id = $2 AND household_id = $3",
        )
        .bind(&stored)
        .bind(round.id)
        .bind(household_id)
        .execute(&mut *tx)
        .await?;
        let reasons: Vec<&str> = screening
            .criteria
            .iter()
            .filter(|c| met.contains(&c.code))
            .map(|c| c.vi.as_str())
            .collect();
        audit(
            &mut tx,
            actor,
            Action::Screen,
            Entity::Household,
            &code,
            Some(round.commune_id),
            json!({"round": round.id, "screened_out": !reasons.is_empty(), "criteria": reasons}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Surveys done: every case has its official assessment of the year,
    /// which becomes the proposed status, and every case the meeting sent
    /// back has been surveyed again. Moves to the meeting.
    pub async fn finish_surveys(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<(), RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        Self::expect_step(&round, Step::Surveys)?;
        let missing: Vec<(String, String)> = sqlx::query_as(
            "SELECT h.code, h.head_name FROM review_cases c JOIN households h ON h.id = c.household_id \
             LEFT JOIN assessments a ON a.household_id = c.household_id AND a.year = $2 AND a.official = 1 \
             WHERE c.round_id = $1 AND a.id IS NULL AND c.screened_out IS NULL ORDER BY h.code",
        )
        .bind(round.id)
        .bind(round.year)
        .fetch_all(&mut *tx)
        .await?;
        let mut problems: Vec<String> = missing
            .iter()
            .map(|(c, n)| format!("hộ {c} ({n}) chưa có phiếu khảo sát năm {}", round.year))
            .collect();
        let cases = ordered_cases(&mut tx, round.id).await?;
        problems.extend(
            cases
                .iter()
                .filter(|c| c.resurvey() == Resurvey::WaitingForSurvey)
                .map(|c| {
                    format!(
                        "{} phải khảo sát lại (chưa đủ một nửa người dự họp đồng ý) trước khi họp lại",
                        household_label(c)
                    )
                }),
        );
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        sqlx::query(
            "UPDATE review_cases SET proposed_status = CASE WHEN screened_out IS NOT NULL THEN 'not_poor' \
             ELSE (SELECT a.status FROM assessments a WHERE a.household_id = review_cases.household_id AND a.year = $2 AND a.official = 1) END \
             WHERE round_id = $1",
        )
        .bind(round.id)
        .bind(round.year)
        .execute(&mut *tx)
        .await?;
        self.set_step(&mut tx, actor, &round, Step::Meeting, json!({}))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The village meeting: a case stands when at least half the attendees
    /// agree. Every case not yet voted on (or surveyed again since) needs a
    /// vote. A case below half goes back to survey, and the round with it,
    /// until it has a new survey and a new vote. Returns the households sent
    /// back.
    pub async fn record_meeting(
        &self,
        actor: &Actor,
        round_id: RoundId,
        meeting: &Meeting,
        votes: &[Vote],
    ) -> Result<Vec<HouseholdId>, RegistryError> {
        let (date, chair, attendees, minutes) = (
            meeting.date.as_str(),
            meeting.chair.as_str(),
            meeting.attendees,
            meeting.minutes.as_str(),
        );
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        Self::expect_step(&round, Step::Meeting)?;
        let mut problems = Vec::new();
        if attendees <= 0 {
            problems.push("số người dự họp: phải lớn hơn 0".to_string());
        }
        if chair.trim().is_empty() {
            problems.push("người chủ trì: ghi tên người chủ trì (trưởng thôn)".to_string());
        }
        if minutes.trim().is_empty() {
            problems.push("biên bản: cần biên bản cuộc họp".to_string());
        }
        for (label, text, max) in [
            ("người chủ trì", chair, crate::limits::NAME),
            ("biên bản", minutes, crate::limits::MINUTES_TEXT),
        ] {
            if let Err(p) = crate::limits::text(label, text, max) {
                problems.push(p);
            }
        }
        let date = match iso(date) {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(format!("ngày họp: \"{date}\" không đúng dạng dd/mm/yyyy"));
                None
            }
        };
        let cases = ordered_cases(&mut tx, round.id).await?;
        for v in votes {
            match cases.iter().find(|c| c.household_id == v.household_id) {
                None => problems.push(format!(
                    "hộ số {} không có trong đợt rà soát này",
                    v.household_id
                )),
                Some(c) if v.agreeing < 0 || (attendees > 0 && v.agreeing > attendees) => problems
                    .push(format!(
                        "{}: số người đồng ý ({}) phải từ 0 đến số người dự họp ({attendees})",
                        household_label(c),
                        v.agreeing
                    )),
                Some(_) => {}
            }
        }
        for c in &cases {
            let voted = votes.iter().any(|v| v.household_id == c.household_id);
            if !voted && (c.agreeing.is_none() || c.resurvey() != Resurvey::No) {
                problems.push(format!(
                    "{}: ghi số người đồng ý với kết quả khảo sát",
                    household_label(c)
                ));
            }
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let date = date.unwrap_or_default();
        let mut back = Vec::new();
        for v in votes {
            // ≥ 50 % of attendees: 2·agreeing ≥ attendees, in integers.
            let passed = 2 * v.agreeing >= attendees;
            if !passed {
                back.push(v.household_id);
            }
            sqlx::query(
                "UPDATE review_cases SET agreeing = $1, resurvey = $2 WHERE round_id = $3 AND household_id = $4",
            )
            .bind(v.agreeing)
            .bind(if passed {
                Resurvey::No as i64
            } else {
                Resurvey::WaitingForSurvey as i64
            })
            .bind(round.id)
            .bind(v.household_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE review_rounds SET meeting_date = $1, meeting_chair = $2, meeting_attendees = $3, minutes = $4 WHERE id = $5")
            .bind(&date)
            .bind(vntext::nfc(chair))
            .bind(attendees)
            .bind(vntext::nfc(minutes))
            .bind(round.id)
            .execute(&mut *tx)
            .await?;
        let named: Vec<String> = cases
            .iter()
            .filter(|c| back.contains(&c.household_id))
            .map(household_label)
            .collect();
        let next = if back.is_empty() {
            Step::Posting
        } else {
            Step::Surveys
        };
        self.set_step(&mut tx, actor, &round, next, json!({"meeting_date": date, "chair": chair, "attendees": attendees, "back_to_survey": named})).await?;
        tx.commit().await?;
        Ok(back)
    }

    /// Public posting from a date, for the working days the calendar file
    /// sets (3, Decision 24/2021); `days`, when given, must be those.
    pub async fn start_posting(
        &self,
        actor: &Actor,
        round_id: RoundId,
        start: &str,
        days: Option<i64>,
    ) -> Result<(), RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        Self::expect_step(&round, Step::Posting)?;
        let start = iso(start).map_err(|_| {
            invalid(format!(
                "ngày bắt đầu niêm yết: \"{start}\" không đúng dạng dd/mm/yyyy"
            ))
        })?;
        let law = i64::from(Calendar::builtin().posting_days);
        let days = days.unwrap_or(law);
        if days != law {
            return Err(invalid(format!(
                "số ngày niêm yết: niêm yết {law} ngày làm việc (Quyết định 24/2021/QĐ-TTg)"
            )));
        }
        sqlx::query("UPDATE review_rounds SET posting_start = $1, posting_days = $2 WHERE id = $3")
            .bind(&start)
            .bind(days)
            .bind(round.id)
            .execute(&mut *tx)
            .await?;
        self.set_step(
            &mut tx,
            actor,
            &round,
            Step::Complaints,
            json!({"posting_start": start, "days": days}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Complaints, each with its re-check's outcome, recorded during the
    /// posting and after it until the recognition. Once the posting's
    /// working days are over (by the calendar) the round moves on to the
    /// recognition; complaints arriving later are still recorded there.
    /// Returns whether the round moved on.
    pub async fn record_complaints(
        &self,
        actor: &Actor,
        round_id: RoundId,
        complaints: &[Complaint],
    ) -> Result<bool, RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        if round.step != Step::Recognition {
            Self::expect_step(&round, Step::Complaints)?;
        }
        if let Some(c) = complaints.iter().find(|c| {
            standard::Status::ALL
                .iter()
                .all(|s| s.code() != c.recheck_status)
        }) {
            return Err(invalid(format!(
                "kết quả phúc tra \"{}\" không phải một phân loại",
                c.recheck_status
            )));
        }
        if let Some(c) = complaints
            .iter()
            .find(|c| c.complaint.chars().count() > crate::limits::LONG_TEXT)
        {
            return Err(invalid(format!(
                "nội dung khiếu nại của hộ số {}: tối đa {} ký tự",
                c.household_id,
                crate::limits::LONG_TEXT
            )));
        }
        for c in complaints {
            let n = sqlx::query("UPDATE review_cases SET complaint = $1, recheck_outcome = $2 WHERE round_id = $3 AND household_id = $4")
                .bind(vntext::nfc(&c.complaint))
                .bind(&c.recheck_status)
                .bind(round.id)
                .bind(c.household_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(invalid(format!(
                    "hộ số {} không có trong đợt rà soát này",
                    c.household_id
                )));
            }
        }
        let today = chrono::Utc::now().date_naive();
        let posting_end = round.posting_end();
        let during_posting = posting_end.is_some_and(|end| today <= end);
        let details = json!({
            "complaints": complaints.iter().map(|c| json!({"household": c.household_id, "complaint": c.complaint, "recheck": c.recheck_status})).collect::<Vec<_>>(),
            "received": if during_posting { "during_posting" } else { "after_posting" },
        });
        let moved = round.step == Step::Complaints && !during_posting;
        if moved {
            self.set_step(&mut tx, actor, &round, Step::Recognition, details)
                .await?;
        } else if !complaints.is_empty() {
            let commune = round.commune_id;
            audit(
                &mut tx,
                actor,
                Action::Complaint,
                Entity::ReviewRound,
                &round.id.to_string(),
                Some(commune),
                details,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// The commune's recognition: the decision, the final statuses (the
    /// re-check's where there was one), which become the official results of
    /// the year, and the certificates of poor and near-poor households,
    /// numbered "n/GCN-HN.HCN" in the order of the printed list. Returns the
    /// number of certificates.
    pub async fn recognise(
        &self,
        actor: &Actor,
        round_id: RoundId,
        decision_number: &str,
        decision_date: &str,
    ) -> Result<usize, RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        Self::expect_step(&round, Step::Recognition)?;
        let mut problems = Vec::new();
        let decision_number = vntext::nfc(decision_number);
        if decision_number.is_empty() {
            problems.push("số quyết định: ghi số quyết định công nhận".to_string());
        } else if decision_number.chars().count() > crate::limits::SHORT_TEXT {
            problems.push(format!(
                "số quyết định: tối đa {} ký tự",
                crate::limits::SHORT_TEXT
            ));
        }
        let date = iso(decision_date).map_err(|_| {
            problems.push(format!(
                "ngày quyết định: \"{decision_date}\" không đúng dạng dd/mm/yyyy"
            ))
        });
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let date = date.unwrap_or_default();
        let cases = ordered_cases(&mut tx, round.id).await?;
        let households: Vec<HouseholdId> = cases.iter().map(|c| c.household_id).collect();
        let tallied = crate::tallies::Tallied::before(&mut tx, &households).await?;
        let issued_before =
            certificates_issued(&mut tx, round.commune_id, round.year, round.id).await?;
        let mut number = issued_before;
        for c in &cases {
            let status = c
                .recheck_outcome
                .or(c.proposed_status)
                .unwrap_or(standard::Status::NotPoor);
            let certificate = status.is_listed().then(|| {
                number += 1;
                format!("{number}/GCN-HN.HCN")
            });
            sqlx::query("UPDATE review_cases SET final_status = $1, certificate = $2 WHERE round_id = $3 AND household_id = $4")
                .bind(status.code())
                .bind(&certificate)
                .bind(round.id)
                .bind(c.household_id)
                .execute(&mut *tx)
                .await?;
            // What the commune recognises is the official result of the year.
            let official: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT status, surveyed_status FROM assessments WHERE household_id = $1 AND year = $2 AND official = 1",
            )
            .bind(c.household_id)
            .bind(round.year)
            .fetch_optional(&mut *tx)
            .await?;
            let status = status.code();
            match official {
                Some((current, _)) if current == status => {}
                Some((current, surveyed)) => {
                    sqlx::query(
                        "UPDATE assessments SET status = $1, surveyed_status = $2, reason = 'recognised' WHERE household_id = $3 AND year = $4 AND official = 1",
                    )
                    .bind(status)
                    .bind(surveyed.unwrap_or_else(|| current.clone()))
                    .bind(c.household_id)
                    .bind(round.year)
                    .execute(&mut *tx)
                    .await?;
                    crate::counts::official_changed(
                        &mut tx,
                        c.household_id,
                        round.year,
                        Some(&current),
                        Some(status),
                    )
                    .await?;
                    audit(
                        &mut tx,
                        actor,
                        Action::Recognise,
                        Entity::Household,
                        &c.code,
                        Some(round.commune_id),
                        json!({"year": round.year, "status": [current, status], "decision": decision_number}),
                    )
                    .await?;
                }
                None => {
                    return Err(invalid(format!(
                        "{} chưa có kết quả rà soát năm {}",
                        household_label(c),
                        round.year
                    )));
                }
            }
        }
        tallied.changed(&mut tx).await?;
        // The commune reports to the level above as it was on the day of the
        // decision; the report locks the assessments until it is approved
        // (closed) or sent back.
        let approver = self
            .approving_unit(round.commune_id, &date)
            .await?
            .ok_or_else(|| invalid("xã này không có đơn vị cấp trên để báo cáo kết quả rà soát"))?;
        sqlx::query(
            "UPDATE review_rounds SET decision_number = $1, decision_date = $2, approver_id = $3 WHERE id = $4",
        )
        .bind(&decision_number)
        .bind(&date)
        .bind(approver.id)
        .bind(round.id)
        .execute(&mut *tx)
        .await?;
        self.set_step(
            &mut tx,
            actor,
            &round,
            Step::Reported,
            json!({"decision": decision_number, "date": date, "certificates": number - issued_before, "reported_to": approver.code}),
        )
        .await?;
        tx.commit().await?;
        Ok(number - issued_before)
    }

    /// A write transaction on a round for the unit that approves it.
    async fn round_for_approval(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<(Tx, Round), RegistryError> {
        let (tx, round) = self.round_in_write(round_id).await?;
        self.require_in_scope(actor, round.commune_id, || {
            format!("đợt rà soát số {round_id}")
        })
        .await?;
        self.require_approver(actor, &round).await?;
        Ok((tx, round))
    }

    /// The unit a round is (or would be) reported to: the one recorded at
    /// its report, else the level above the commune on its decision's date
    /// (or today, for a round not yet recognised).
    pub async fn round_approver(
        &self,
        round: &Round,
    ) -> Result<Option<crate::units::Unit>, RegistryError> {
        if let Some(id) = round.approver_id {
            return self.unit(id).await;
        }
        let today = crate::now();
        let date = round
            .decision_date
            .as_deref()
            .unwrap_or_else(|| today.get(..10).unwrap_or(&today));
        self.approving_unit(round.commune_id, date).await
    }

    /// The level above approves a reported round: its results are final and
    /// locked, and the year counts as closed for the commune.
    pub async fn approve_round(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<(), RegistryError> {
        let (mut tx, round) = self.round_for_approval(actor, round_id).await?;
        Self::expect_step(&round, Step::Reported)?;
        sqlx::query("UPDATE review_rounds SET closed_at = $1, closed_by = $2 WHERE id = $3")
            .bind(crate::now())
            .bind(&actor.name)
            .bind(round.id)
            .execute(&mut *tx)
            .await?;
        self.set_step(
            &mut tx,
            actor,
            &round,
            Step::Closed,
            json!({"approved": true}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The level above sends a reported round back, or reopens a closed
    /// one, to the commune's recognition; the assessments unlock. Audited
    /// with the reason.
    pub async fn reopen_round(
        &self,
        actor: &Actor,
        round_id: RoundId,
        reason: &str,
    ) -> Result<(), RegistryError> {
        let (mut tx, round) = self.round_for_approval(actor, round_id).await?;
        if !matches!(round.step, Step::Reported | Step::Closed) {
            return Err(invalid(format!(
                "đợt đang ở bước \"{}\": chỉ mở lại đợt đã báo cáo hoặc đã đóng",
                round.step.name()
            )));
        }
        if reason.trim().is_empty() {
            return Err(invalid("lý do: ghi lý do mở lại"));
        }
        if reason.chars().count() > crate::limits::LONG_TEXT {
            return Err(invalid(format!(
                "lý do: tối đa {} ký tự",
                crate::limits::LONG_TEXT
            )));
        }
        sqlx::query("UPDATE review_rounds SET closed_at = NULL, closed_by = NULL, approver_id = NULL WHERE id = $1")
            .bind(round.id)
            .execute(&mut *tx)
            .await?;
        self.set_step(
            &mut tx,
            actor,
            &round,
            Step::Recognition,
            json!({"reopened": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Registry {
    /// Records a commune's review of a year that was done and recognised
    /// outside the registry (before it was used, or on paper), from the
    /// official results already in the registry: a closed round whose cases
    /// are the households on last year's poor or near-poor lists or on this
    /// year's, with certificates numbered in the printed order. The year's
    /// results are then final, and locked like any closed round's.
    pub async fn record_past_review(
        &self,
        actor: &Actor,
        commune_code: &str,
        year: ReviewYear,
        decision_number: &str,
        decision_date: &str,
    ) -> Result<RoundId, RegistryError> {
        let commune = self.commune_for_write(actor, commune_code).await?;
        let decision =
            crate::limits::required("số quyết định", decision_number, crate::limits::SHORT_TEXT)
                .map_err(invalid)?;
        let date = iso(decision_date).map_err(|_| {
            invalid(format!(
                "ngày quyết định: \"{decision_date}\" không đúng dạng dd/mm/yyyy"
            ))
        })?;
        let family = self.unit_family(commune.id).await?;
        let ids = crate::gate::id_list(&family);
        let mut tx = self.db.write().await?;
        let existing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM review_rounds WHERE commune_id = $1 AND year = $2",
        )
        .bind(commune.id)
        .bind(year)
        .fetch_one(&mut *tx)
        .await?;
        if existing > 0 {
            return Err(invalid(format!(
                "xã đã có đợt rà soát năm {year} trong hệ thống"
            )));
        }
        // Read through the commune's households (`+a.year`: not the year's
        // index, which holds the whole province's assessments), with what
        // the printed order needs. Only unit ids (integers from the
        // database) are formatted into the SQL.
        type Listed = (
            HouseholdId,
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
        );
        let statuses: Vec<Listed> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.household_id, a.year, a.status, h.code, h.head_sort, \
             CASE WHEN h.commune_id = $3 THEN v.name ELSE v.name || ' (' || hc.name || ')' END, hc.name \
             FROM assessments a JOIN households h ON h.id = a.household_id \
             JOIN units hc ON hc.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id \
             WHERE a.official = 1 AND +a.year IN ($1, $2) AND h.commune_id IN ({ids})"
        )))
        .bind(year.as_i64() - 1)
        .bind(year)
        .bind(commune.id)
        .fetch_all(&mut *tx)
        .await?;
        let listed = |s: &str| s == "poor" || s == "near_poor";
        let mut by_household: BTreeMap<HouseholdId, (Option<&str>, Option<&str>, &Listed)> =
            BTreeMap::new();
        for row in &statuses {
            let entry = by_household.entry(row.0).or_insert((None, None, row));
            if row.1 == year.as_i64() {
                entry.1 = Some(row.2.as_str());
            } else {
                entry.0 = Some(row.2.as_str());
            }
        }
        let at = crate::now();
        // Approved, then, by the level above on the decision's date.
        let approver = self.approving_unit(commune.id, &date).await?.map(|u| u.id);
        let round: RoundId = sqlx::query_scalar(
            "INSERT INTO review_rounds (commune_id, year, kind, step, opened_at, opened_by, decision_number, decision_date, closed_at, closed_by, approver_id) \
             VALUES ($1, $2, 'periodic', 'closed', $3, $4, $5, $6, $3, $4, $7) RETURNING id",
        )
        .bind(commune.id)
        .bind(year)
        .bind(&at)
        .bind(&actor.name)
        .bind(&decision)
        .bind(&date)
        .bind(approver)
        .fetch_one(&mut *tx)
        .await?;
        // The cases: on last year's lists or this year's, in the printed
        // order, certificates numbered for this year's.
        let mut cases: Vec<(HouseholdId, &str, String, Option<String>, &Listed)> = by_household
            .iter()
            .filter(|(_, (before, now, _))| before.is_some_and(listed) || now.is_some_and(listed))
            .map(|(h, (before, now, row))| {
                let origin = match *before {
                    Some("poor") => "poor_list",
                    Some("near_poor") => "near_poor_list",
                    _ => "request",
                };
                (
                    *h,
                    origin,
                    now.unwrap_or("not_poor").to_string(),
                    None,
                    *row,
                )
            })
            .collect();
        cases.sort_by_cached_key(|c| print_order(&c.4.6, c.4.5.as_deref(), &c.4.4, &c.4.3));
        let issued_before = certificates_issued(&mut tx, commune.id, year.as_i64(), round).await?;
        let mut number = issued_before;
        for case in &mut cases {
            if listed(&case.2) {
                number += 1;
                case.3 = Some(format!("{number}/GCN-HN.HCN"));
            }
        }
        let backend = crate::db::Backend::of(&tx);
        crate::bulk::insert_rows(
            &mut tx,
            backend,
            "review_cases",
            &[
                "round_id",
                "household_id",
                "origin",
                "proposed_status",
                "final_status",
                "certificate",
            ],
            &cases,
            |q, (household, origin, status, certificate, _)| {
                q.bind(round)
                    .bind(*household)
                    .bind(*origin)
                    .bind(status)
                    .bind(status)
                    .bind(certificate)
            },
        )
        .await?;
        audit(
            &mut tx,
            actor,
            Action::PastReview,
            Entity::ReviewRound,
            &round.to_string(),
            Some(commune.id),
            json!({"year": year, "decision": decision, "date": date, "cases": cases.len(), "certificates": number - issued_before}),
        )
        .await?;
        tx.commit().await?;
        Ok(round)
    }
}

/// Whether a closed round locks the official assessments of a commune and
/// year, read on the caller's connection (inside a write, its transaction).
pub(crate) async fn locked_in(
    conn: &mut sqlx::AnyConnection,
    commune_id: UnitId,
    year: i64,
) -> Result<bool, RegistryError> {
    // A merged commune's years after its merger are reviewed by the commune
    // it joined (and that one's, by the one it joined in turn).
    let mut chain = vec![commune_id];
    chain.extend(
        crate::units::merged_into_chain(&mut *conn, commune_id)
            .await?
            .into_iter()
            .map(|(id, _)| id),
    );
    let ids = crate::gate::id_list(&chain.into_iter().collect());
    // Only unit ids (integers from the database) are formatted into the SQL.
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM review_rounds WHERE commune_id IN ({ids}) AND year = $1 AND step IN ('reported', 'closed')"
    )))
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A new official assessment of a household for a year: a case the meeting
/// sent back to survey is now surveyed again and waits for a new vote.
pub(crate) async fn surveyed_again(
    conn: &mut sqlx::AnyConnection,
    household_id: HouseholdId,
    year: i64,
) -> Result<(), RegistryError> {
    sqlx::query(
        "UPDATE review_cases SET resurvey = 2, agreeing = NULL WHERE household_id = $1 AND resurvey = 1 \
         AND round_id IN (SELECT id FROM review_rounds WHERE year = $2 AND step <> 'closed')",
    )
    .bind(household_id)
    .bind(year)
    .execute(conn)
    .await?;
    Ok(())
}

/// A household's request as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Request {
    pub id: i64,
    pub form: String,
    pub submitted_on: String,
    pub deadline: String,
    pub status: String,
    pub refusal_reason: Option<String>,
}

impl Registry {
    /// The requests of a household the actor may see, newest first.
    pub async fn requests(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<Vec<Request>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(
            "SELECT id, form, submitted_on, deadline, status, refusal_reason FROM requests WHERE household_id = $1 ORDER BY id DESC",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?)
    }
}

/// Most minutes a scanned file may weigh.
pub const MINUTES_MAX_BYTES: usize = 10 << 20;

/// The highest certificate number the commune has issued for the year in
/// its other rounds: numbers run on across the year's rounds (periodic and
/// regular), never starting again at 1.
async fn certificates_issued(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    commune: UnitId,
    year: i64,
    round: RoundId,
) -> Result<usize, RegistryError> {
    let issued: Vec<String> = sqlx::query_scalar(
        "SELECT c.certificate FROM review_cases c JOIN review_rounds r ON r.id = c.round_id \
         WHERE r.commune_id = $1 AND r.year = $2 AND r.id <> $3 AND c.certificate IS NOT NULL",
    )
    .bind(commune)
    .bind(year)
    .bind(round)
    .fetch_all(&mut **tx)
    .await?;
    Ok(issued
        .iter()
        .filter_map(|c| c.split('/').next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0))
}

/// The kinds of file the minutes may be, told by their first bytes (never by
/// what the uploading browser claims).
pub fn sniff_minutes(data: &[u8]) -> Option<(&'static str, &'static str)> {
    if data.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(("image/png", "png"))
    } else {
        None
    }
}

/// A file name safe to store and to send back: the last path component, no
/// control or bidirectional-override characters, at most 100 characters,
/// with the extension of its real type.
pub fn safe_file_name(name: &str, extension: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = vntext::nfc(last)
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
                && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*')
        })
        .collect();
    let stem = cleaned
        .rsplit_once('.')
        .map_or(cleaned.as_str(), |(stem, _)| stem)
        .trim_matches(['.', ' ']);
    let stem: String = stem.chars().take(100).collect();
    let stem = if stem.is_empty() { "bien-ban" } else { &stem };
    format!("{stem}.{extension}")
}

impl Registry {
    /// Keeps the signed minutes of a round's village meeting (a PDF, JPEG or
    /// PNG scan). Refused once the round is closed. Returns the file's number.
    pub async fn upload_minutes(
        &self,
        actor: &Actor,
        round_id: RoundId,
        file_name: &str,
        data: &[u8],
    ) -> Result<i64, RegistryError> {
        let (mut tx, round) = self.round_for_write(actor, round_id).await?;
        if matches!(round.step, Step::Reported | Step::Closed) {
            return Err(invalid(
                "đợt rà soát đã báo cáo cấp trên; không thêm biên bản được nữa (cấp trên trả lại hoặc mở lại đợt nếu cần)",
            ));
        }
        if data.is_empty() {
            return Err(invalid("tệp biên bản trống"));
        }
        if data.len() > MINUTES_MAX_BYTES {
            return Err(invalid(format!(
                "tệp biên bản quá lớn ({} MB); tối đa 10 MB",
                data.len().div_ceil(1 << 20)
            )));
        }
        let Some((content_type, extension)) = sniff_minutes(data) else {
            return Err(invalid(
                "tệp biên bản phải là PDF, JPEG hoặc PNG (bản chụp hay bản quét biên bản có chữ ký)",
            ));
        };
        let name = safe_file_name(file_name, extension);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO review_minutes (round_id, file_name, content_type, data, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(round.id)
        .bind(&name)
        .bind(content_type)
        .bind(data.to_vec())
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Minutes,
            Entity::ReviewRound,
            &round.id.to_string(),
            Some(round.commune_id),
            json!({"file": name, "bytes": data.len(), "type": content_type}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The minutes files of a round: (id, name, content type).
    pub async fn minutes_files(
        &self,
        actor: &Actor,
        round_id: RoundId,
    ) -> Result<Vec<(i64, String, String)>, RegistryError> {
        if self.round(actor, round_id).await?.is_none() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as("SELECT id, file_name, content_type FROM review_minutes WHERE round_id = $1 ORDER BY id")
            .bind(round_id)
            .fetch_all(&self.db.pool)
            .await?)
    }

    /// One minutes file, if the actor may see its round.
    pub async fn minutes_file(
        &self,
        actor: &Actor,
        round_id: RoundId,
        file_id: i64,
    ) -> Result<Option<(String, String, Vec<u8>)>, RegistryError> {
        if self.round(actor, round_id).await?.is_none() {
            return Ok(None);
        }
        Ok(sqlx::query_as("SELECT file_name, content_type, data FROM review_minutes WHERE round_id = $1 AND id = $2")
            .bind(round_id)
            .bind(file_id)
            .fetch_optional(&self.db.pool)
            .await?)
    }
}
