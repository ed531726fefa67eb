//! The API's request and response types: the contract of `/api/v1`, kept
//! apart from the registry's rows so that a column can change without the
//! API changing. The OpenAPI document is generated from these types
//! (`utoipa`). Dates are ISO (yyyy-mm-dd) here: the API is for programs.

use registry::UnitId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in Vietnamese, naming the field.
    pub error: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// admin, officer, approver, agency_officer, leader or statistics.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// province, district, commune or village.
    pub level: String,
    /// rural or urban (communes).
    pub area: Option<String>,
    pub parent_id: Option<i64>,
    pub merged_into_id: Option<i64>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub note: Option<String>,
}

impl From<registry::Unit> for Unit {
    fn from(u: registry::Unit) -> Unit {
        Unit {
            id: u.id.get(),
            code: u.code,
            name: u.name,
            level: u.level.code().to_string(),
            area: u.area,
            parent_id: u.parent_id.map(UnitId::get),
            merged_into_id: u.merged_into_id.map(UnitId::get),
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            note: u.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Units {
    pub units: Vec<Unit>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdRow {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub commune: String,
    pub village: Option<String>,
    /// The official status of the year listed: poor, near_poor, average,
    /// not_poor; none when not assessed.
    pub status: Option<String>,
}

impl From<registry::HouseholdRow> for HouseholdRow {
    fn from(h: registry::HouseholdRow) -> HouseholdRow {
        HouseholdRow {
            id: h.id.get(),
            code: h.code,
            head_name: h.head_name,
            commune: h.commune,
            village: h.village,
            status: h.status.map(|s| s.code().to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdPage {
    pub total: i64,
    /// Counts stop at a cap (a name search: 1.000; other lists: 10.000): the total is "at least" then.
    pub total_capped: bool,
    pub page: i64,
    pub per_page: i64,
    pub households: Vec<HouseholdRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub id: i64,
    pub full_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    /// Masked ("0420******34") unless asked in full by a role whose work
    /// needs it.
    pub id_number: Option<String>,
    pub relation: String,
    pub ethnicity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub year: i64,
    pub standard_id: String,
    /// 1 for the year's official result, 0 for a what-if.
    pub official: i64,
    pub status: String,
    pub deprivation_count: i64,
    /// The indicators the household is deprived in, comma-separated codes.
    pub deprived: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Household {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub address: String,
    pub phone: String,
    pub commune: String,
    pub commune_code: String,
    /// The commune the household's commune has been merged into, if any.
    pub commune_now: Option<String>,
    pub village: Option<String>,
    pub removed_on: Option<String>,
    pub members: Vec<Member>,
    pub assessments: Vec<Assessment>,
}

impl From<registry::HouseholdDetail> for Household {
    fn from(d: registry::HouseholdDetail) -> Household {
        Household {
            id: d.id.get(),
            code: d.code,
            head_name: d.head_name,
            address: d.address,
            phone: d.phone,
            commune: d.commune,
            commune_code: d.commune_code,
            commune_now: d.commune_now,
            village: d.village,
            removed_on: d.removed_on,
            members: d
                .members
                .into_iter()
                .map(|m| Member {
                    id: m.id.get(),
                    full_name: m.full_name,
                    sex: m.sex,
                    birth_date: m.birth_date,
                    id_number: m.id_number,
                    relation: m.relation,
                    ethnicity: m.ethnicity,
                })
                .collect(),
            assessments: d
                .assessments
                .into_iter()
                .map(|a| Assessment {
                    year: a.year,
                    standard_id: a.standard_id,
                    official: a.official,
                    status: a.status.code().to_string(),
                    deprivation_count: a.deprivation_count,
                    deprived: a.deprived,
                    reason: a.reason,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyRecorded {
    pub status: String,
    /// Codes of the indicators the household is deprived in.
    pub deprived: Vec<String>,
    pub standard: String,
}

impl From<registry::AssessmentSummary> for SurveyRecorded {
    fn from(a: registry::AssessmentSummary) -> SurveyRecorded {
        SurveyRecorded {
            status: a.status.code().to_string(),
            deprived: a.deprived,
            standard: a.standard_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Round {
    pub id: i64,
    pub commune_id: i64,
    pub year: i64,
    /// periodic or regular.
    pub kind: String,
    /// A regular round's month.
    pub month: Option<i64>,
    /// Why a periodic round was opened outside 1/9–14/12.
    pub outside_window_reason: Option<String>,
    /// surveys, meeting, posting, complaints, recognition, reported, closed.
    pub step: String,
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
    /// The unit the round was reported to.
    pub approver_id: Option<i64>,
}

impl From<registry::Round> for Round {
    fn from(r: registry::Round) -> Round {
        Round {
            id: r.id.get(),
            commune_id: r.commune_id.get(),
            year: r.year,
            kind: r.kind.code().to_string(),
            month: r.month,
            outside_window_reason: r.outside_window_reason,
            step: r.step.code().to_string(),
            opened_at: r.opened_at,
            opened_by: r.opened_by,
            meeting_date: r.meeting_date,
            meeting_chair: r.meeting_chair,
            meeting_attendees: r.meeting_attendees,
            posting_start: r.posting_start,
            posting_days: r.posting_days,
            decision_number: r.decision_number,
            decision_date: r.decision_date,
            closed_at: r.closed_at,
            approver_id: r.approver_id.map(UnitId::get),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    pub household_id: i64,
    pub code: String,
    pub head_name: String,
    pub village: Option<String>,
    /// The commune the household is registered in.
    pub commune: String,
    /// poor_list, near_poor_list or request.
    pub origin: String,
    pub proposed_status: Option<String>,
    pub agreeing: Option<i64>,
    pub complaint: Option<String>,
    pub recheck_outcome: Option<String>,
    pub final_status: Option<String>,
    pub certificate: Option<String>,
    /// 1: sent back to survey by the meeting; 2: surveyed again, waiting
    /// for a new vote; 0 otherwise.
    pub resurvey: i64,
}

impl From<registry::Case> for Case {
    fn from(c: registry::Case) -> Case {
        Case {
            household_id: c.household_id.get(),
            code: c.code,
            head_name: c.head_name,
            village: c.village,
            commune: c.commune,
            origin: c.origin,
            proposed_status: c.proposed_status.map(|s| s.code().to_string()),
            agreeing: c.agreeing,
            complaint: c.complaint,
            recheck_outcome: c.recheck_outcome.map(|s| s.code().to_string()),
            final_status: c.final_status.map(|s| s.code().to_string()),
            certificate: c.certificate,
            resurvey: c.resurvey,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundInList {
    pub round: Round,
    /// The commune's name.
    pub commune: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reviews {
    pub reviews: Vec<RoundInList>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Review {
    pub round: Round,
    pub cases: Vec<Case>,
}
