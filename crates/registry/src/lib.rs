//! The registry: administrative units, households and members, surveys and
//! assessments by year, movements, users and the audit log — on an embedded
//! SQLite file or on PostgreSQL, from one set of SQL.
//!
//! Nothing outside [`Registry`] writes to the database: every write checks
//! the actor's scope and records an audit row in the same transaction.

mod agency_lists;
pub use agency_lists::{AGENCY_LIST_FIELDS, MatchKey, MatchReport, ReportRow, RowOutcome};
mod bulk;
pub mod calendar;
mod counts;
mod credit;
pub use credit::{
    CHECK_EVERY_MONTHS, CreditTally, FIRST_CHECK_MONTHS, Loan, credit_tally, needs_check,
};
mod db;
mod deliveries;
mod demo;
mod demo_plans;
pub use demo_plans::DEMO_PLAN_2019;
mod demo_support;
pub use deliveries::{Delivery, NewDelivery, Served};
pub use demo_support::DEMO_AGENCIES;
mod error;
mod escape;
pub use escape::{
    EscapeOutcome, EscapePlan, EscapeTally, HouseholdPlans, NewEscapePlan, SteeringMember, by_cadre,
};
mod export;
mod gate;
mod households;
pub mod limits;
mod models;
pub use models::{LivelihoodModel, NewModel};
mod movements;
mod profiles;
mod province;
pub use profiles::{NewProfile, Profile};
mod plans;
pub use plans::{
    CommuneProgress, NewPlan, NewTarget, Plan, TARGET_SHAPES, Target, TargetFacts, TargetProgress,
    TargetShape, TargetStatus, progress,
};
mod provinces;
mod report_set;
pub use report_set::{
    Area, CommuneFigures, Delivered, MeasureCounts, ReportFigures, ReportKind, causes_report,
    children_report, deprivations_report, groups_report, movements_report, report_of,
    results_report, support_report,
};
mod review;
mod schema;
mod score_form;
mod service;
mod sessions;
mod sheet_import;
mod signoff;
pub use sheet_import::SheetSurvey;
pub use signoff::{ReportPeriod, SignOff, SignOffState};
pub mod sheets;
mod statistics;
mod support_facts;
pub use statistics::Statistics;
mod surveys;
pub use support_facts::{HouseholdGaps, Missing, PolicyGap, PoorHousehold, SupportFacts};
mod tallies;
mod tasks;
pub use tasks::{NewTask, Task, TaskStatus, overdue};
mod units;
mod users;
pub mod values;
mod views;

pub use counts::Drift;
pub use db::{Backend, Db, restore_sqlite};
pub use demo::{DEMO_PASSWORD, DEMO_REPORTED, DEMO_USERS, DEMO_YEARS};
pub use error::RegistryError;
pub use export::{LIST_HEADERS, ListBook, ListRow, MEMBER_HEADERS, MemberListRow, write_file};
pub use gate::{Actor, Capability, Role, Scope, WriteScope};
pub use households::{HouseholdSummary, NewHousehold, NewMember};
pub use movements::{Movement, MovementFilter, Movements, movements};
pub use province::{PROVINCE_CODE, PROVINCE_COMMUNE, PROVINCE_USERS, ProvinceSummary};
pub use review::{
    Case, Complaint, MINUTES_MAX_BYTES, Meeting, Request, Resurvey, Round, RoundKind, RoundPlan,
    Step, Vote, periodic_window, regular_opens, safe_file_name, sniff_minutes,
};
pub use score_form::{ScoreFormAnswers, ScoreFormResult};
pub use service::{Action, AuditEntry, Entity, Registry};
pub use sessions::SESSION_HOURS;
pub use surveys::{AssessmentSummary, Groups};
pub use tallies::{Group, Measure, Tallies, TallyDrift};
pub use units::{ImportSummary, Level, Unit};
pub use users::UserRow;
pub use values::{
    HouseholdId, IdNumber, MemberId, ReviewYear, RoundId, UnitCode, UnitId, check_id_number,
};
pub use views::{
    AssessmentView, HouseholdDetail, HouseholdQuery, HouseholdRow, LIST_COUNT_CAP, ListTotal,
    MemberView, SEARCH_COUNT_CAP, YearCounts, mask_id_number, mask_id_numbers_in,
};

/// Now, as stored: RFC 3339 in UTC.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// How many migrations this version of the registry knows.
pub const MIGRATIONS: usize = schema::MIGRATIONS.len();
