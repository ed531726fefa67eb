//! The migrations, in order. `{id}` is an auto-numbered primary key and
//! `{binary_text}` text compared byte by byte. Yes/no columns are BIGINT
//! 0/1: sqlx's `Any` driver cannot decode SQLite booleans. `{binary_text}` is text compared byte by byte (search and sort keys are ASCII
//! built so that byte order is the Vietnamese order); see `Db::dialect`.

pub(crate) const MIGRATIONS: [(i64, &str, &str); 31] = [
    (1, "registry", V1),
    (2, "sessions", V2),
    (3, "point_tables", V3),
    (4, "reviews", V4),
    (5, "review_minutes", V5),
    (6, "trust", V6),
    (7, "two_tiers", V7),
    (8, "household_spans", V8),
    (9, "list_paths", V9),
    (10, "unit_tallies", V10),
    (11, "provinces", V11),
    (12, "province_roll_ups", V12),
    (13, "round_calendar", V13),
    (14, "screening", V14),
    (15, "deliveries", V15),
    (16, "household_profiles", V16),
    (17, "agency_lists", V17),
    (18, "escape_plans", V18),
    (19, "livelihood_models", V19),
    (20, "tasks", V20),
    (21, "report_signoffs", V21),
    (22, "plans", V22),
    (23, "child_tallies", V23),
    (24, "task_report_files", V24),
    (25, "score_gap_tallies", V25),
    (26, "tallies_by_commune", V26),
    (27, "tally_sheets", V27),
    (28, "assessment_sort_keys", V28),
    (29, "tally_measures", V29),
    (30, "audit_changes", V30),
    (31, "member_groups", V31),
];

const V1: &str = r#"
CREATE TABLE units (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_search {binary_text} NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune', 'village')),
    parent_id BIGINT REFERENCES units (id),
    area TEXT CHECK (area IN ('rural', 'urban')),
    valid_from TEXT,
    valid_to TEXT,
    merged_into_id BIGINT REFERENCES units (id)
);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_merged_into ON units (merged_into_id);

CREATE TABLE households (
    id {id},
    code TEXT NOT NULL UNIQUE,
    commune_id BIGINT NOT NULL REFERENCES units (id),
    village_id BIGINT REFERENCES units (id),
    address TEXT NOT NULL DEFAULT '',
    head_name TEXT NOT NULL DEFAULT '',
    head_search {binary_text} NOT NULL DEFAULT '',
    head_given_search {binary_text} NOT NULL DEFAULT '',
    head_sort {binary_text} NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    removed_on TEXT,
    removed_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX households_commune ON households (commune_id, head_sort);
CREATE INDEX households_head_search ON households (head_search, head_sort, id);
CREATE INDEX households_head_given_search ON households (head_given_search, head_sort, id);
CREATE INDEX households_head_sort ON households (head_sort, code);

CREATE TABLE members (
    id {id},
    household_id BIGINT NOT NULL REFERENCES households (id),
    full_name TEXT NOT NULL,
    name_search {binary_text} NOT NULL,
    given_search {binary_text} NOT NULL,
    name_sort {binary_text} NOT NULL,
    sex TEXT CHECK (sex IN ('male', 'female')),
    birth_date TEXT,
    id_number TEXT,
    relation TEXT NOT NULL DEFAULT '',
    ethnicity TEXT NOT NULL DEFAULT '',
    disability BIGINT NOT NULL DEFAULT 0 CHECK (disability IN (0, 1)),
    no_working_capacity BIGINT NOT NULL DEFAULT 0 CHECK (no_working_capacity IN (0, 1)),
    merit BIGINT NOT NULL DEFAULT 0 CHECK (merit IN (0, 1)),
    social_protection BIGINT NOT NULL DEFAULT 0 CHECK (social_protection IN (0, 1)),
    removed_on TEXT,
    removed_reason TEXT
);
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_name_search ON members (name_search, name_sort, id);
CREATE INDEX members_given_search ON members (given_search, name_sort, id);
CREATE INDEX members_id_number ON members (id_number);

CREATE TABLE surveys (
    id {id},
    household_id BIGINT NOT NULL REFERENCES households (id),
    year BIGINT NOT NULL,
    answers TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX surveys_household ON surveys (household_id, year);

CREATE TABLE assessments (
    id {id},
    household_id BIGINT NOT NULL REFERENCES households (id),
    year BIGINT NOT NULL,
    standard_id TEXT NOT NULL,
    official BIGINT NOT NULL CHECK (official IN (0, 1)),
    status TEXT NOT NULL CHECK (status IN ('poor', 'near_poor', 'average', 'not_poor')),
    deprivation_count BIGINT NOT NULL,
    deprived TEXT NOT NULL,
    score_points BIGINT NOT NULL,
    score_denominator BIGINT NOT NULL,
    reason TEXT NOT NULL,
    inputs TEXT NOT NULL,
    survey_id BIGINT REFERENCES surveys (id),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX assessments_official ON assessments (household_id, year) WHERE official = 1;
CREATE INDEX assessments_year ON assessments (year, status);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'district_officer', 'commune_officer', 'agency_officer', 'leader', 'statistics')),
    unit_id BIGINT REFERENCES units (id),
    disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    id {id},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    unit_id BIGINT,
    changes TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_unit ON audit_log (unit_id, at)
"#;

const V2: &str = r#"
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id)
"#;

const V3: &str = r#"
CREATE TABLE point_tables (
    standard_id TEXT NOT NULL,
    region TEXT NOT NULL,
    item TEXT NOT NULL,
    option TEXT NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (standard_id, region, item, option)
)
"#;

const V4: &str = r#"
CREATE TABLE review_rounds (
    id {id},
    commune_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('periodic', 'regular')),
    step TEXT NOT NULL CHECK (step IN ('surveys', 'meeting', 'posting', 'complaints', 'recognition', 'closed')),
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    meeting_date TEXT,
    meeting_chair TEXT,
    meeting_attendees BIGINT,
    minutes TEXT,
    posting_start TEXT,
    posting_days BIGINT,
    decision_number TEXT,
    decision_date TEXT,
    closed_at TEXT,
    closed_by TEXT
);
CREATE INDEX review_rounds_commune ON review_rounds (commune_id, year);

CREATE TABLE review_cases (
    round_id BIGINT NOT NULL REFERENCES review_rounds (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    origin TEXT NOT NULL CHECK (origin IN ('poor_list', 'near_poor_list', 'request')),
    proposed_status TEXT,
    agreeing BIGINT,
    complaint TEXT,
    recheck_outcome TEXT,
    final_status TEXT,
    certificate TEXT,
    PRIMARY KEY (round_id, household_id)
);

CREATE TABLE requests (
    id {id},
    household_id BIGINT NOT NULL REFERENCES households (id),
    form TEXT NOT NULL CHECK (form IN ('01', '04')),
    submitted_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    refusal_reason TEXT,
    decided_at TEXT
)
"#;

const V5: &str = r#"
CREATE TABLE review_minutes (
    id {id},
    round_id BIGINT NOT NULL REFERENCES review_rounds (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data {blob} NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL
)
"#;

/// Session tokens were stored under a non-cryptographic hash: every session
/// ends (users sign in again). Failed sign-ins are kept for the
/// administrator. An official assessment changed by the commune's
/// recognition (a re-check) keeps the status the survey gave. A review case
/// sent back to survey by the meeting waits for a new survey. A household's
/// registration date and first assessed year decide the years it counts
/// in. Official assessments are counted by commune, year and status as they
/// change (`counts.rs`).
const V6: &str = r#"
DELETE FROM sessions;
CREATE TABLE sign_in_failures (
    id {id},
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('wrong_password', 'unknown_user', 'disabled'))
);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
ALTER TABLE assessments ADD COLUMN surveyed_status TEXT;
ALTER TABLE review_cases ADD COLUMN resurvey BIGINT NOT NULL DEFAULT 0;
ALTER TABLE households ADD COLUMN registered_on TEXT;
CREATE INDEX households_village ON households (village_id);
CREATE INDEX assessments_household ON assessments (household_id, year);
ALTER TABLE households ADD COLUMN first_year BIGINT;
UPDATE households SET first_year = (SELECT MIN(a.year) FROM assessments a WHERE a.household_id = households.id AND a.official = 1);
CREATE INDEX households_years ON households (commune_id, first_year, removed_on);
CREATE INDEX review_cases_household ON review_cases (household_id);
CREATE TABLE official_counts (
    commune_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    households BIGINT NOT NULL,
    PRIMARY KEY (commune_id, year, status)
);
INSERT INTO official_counts (commune_id, year, status, households)
    SELECT h.commune_id, a.year, a.status, COUNT(*) FROM assessments a JOIN households h ON h.id = a.household_id
    WHERE a.official = 1 GROUP BY h.commune_id, a.year, a.status
"#;

/// Roles are functions held at a unit of any level: district and commune
/// officers become officers (at the unit they had). A round gains the step
/// where the commune has reported to the level above, and the unit it
/// reported to. A unit carries the units file's note. A CHECK cannot be altered on SQLite, so each column is
/// replaced by a new one (a column's own CHECK goes with it when dropped).
const V7: &str = r#"
ALTER TABLE users ADD COLUMN function TEXT NOT NULL DEFAULT 'officer' CHECK (function IN ('admin', 'officer', 'approver', 'agency_officer', 'leader', 'statistics'));
UPDATE users SET function = CASE role WHEN 'district_officer' THEN 'officer' WHEN 'commune_officer' THEN 'officer' ELSE role END;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users RENAME COLUMN function TO role;
ALTER TABLE review_rounds ADD COLUMN stage TEXT NOT NULL DEFAULT 'surveys' CHECK (stage IN ('surveys', 'meeting', 'posting', 'complaints', 'recognition', 'reported', 'closed'));
UPDATE review_rounds SET stage = step;
ALTER TABLE review_rounds DROP COLUMN step;
ALTER TABLE review_rounds RENAME COLUMN stage TO step;
ALTER TABLE review_rounds ADD COLUMN approver_id BIGINT REFERENCES units (id);
ALTER TABLE units ADD COLUMN note TEXT
"#;

/// Households by commune, first year on the registry and removal date (''
/// while on it), kept by `registry::counts` so that a year's number of
/// households is read from a few hundred rows, not every household.
const V8: &str = r#"
CREATE TABLE household_spans (
    commune_id BIGINT NOT NULL REFERENCES units (id),
    first_year BIGINT NOT NULL,
    removed_on TEXT NOT NULL,
    households BIGINT NOT NULL,
    PRIMARY KEY (commune_id, first_year, removed_on)
);
INSERT INTO household_spans (commune_id, first_year, removed_on, households)
    SELECT commune_id, first_year, COALESCE(removed_on, ''), COUNT(*) FROM households
    WHERE first_year IS NOT NULL GROUP BY commune_id, first_year, COALESCE(removed_on, '')
"#;

/// The few removed households, found without reading the others (a list's
/// kept total takes them away); and a household's assessment of a year
/// read from the index alone, as a list walking the name order tests each
/// household's status.
const V9: &str = r#"
CREATE INDEX households_removed ON households (commune_id) WHERE removed_on IS NOT NULL;
DROP INDEX assessments_household;
CREATE INDEX assessments_household ON assessments (household_id, year, official, status)
"#;

/// Official assessments by commune, year and measure — a group and status,
/// an indicator and status, a movement into the year — kept by
/// `registry::tallies`. The migration fills it from the microdata
/// (`Db::migrate` runs `tallies::rebuild` after this DDL).
const V10: &str = r#"
CREATE TABLE unit_tallies (
    commune_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    measure {binary_text} NOT NULL,
    households BIGINT NOT NULL,
    PRIMARY KEY (commune_id, year, measure)
);
CREATE INDEX unit_tallies_year ON unit_tallies (year, measure, commune_id, households)
"#;

/// The microdata's province (`registry::provinces`): a column on SQLite, a
/// partition key on PostgreSQL. Written by `provinces::migrate`, which
/// `Db::migrate` runs for this step (the PostgreSQL tables are rebuilt).
const V11: &str = "";

/// Each province's roll-up rows in the kept counts (`official_counts`,
/// `household_spans`, `unit_tallies`, under the province's id), kept beside
/// its communes' by every write, so a province or the nation reads a few
/// rows. Made by `provinces::rebuild_roll_ups`, which `Db::migrate` runs
/// for this step.
const V12: &str = "";

/// A regular round's month, and the reason a periodic round was opened
/// outside 1 September – 14 December.
const V13: &str = r#"
ALTER TABLE review_rounds ADD COLUMN month BIGINT;
ALTER TABLE review_rounds ADD COLUMN outside_window_reason TEXT
"#;

/// The form A criteria an applicant met, when it was screened out.
const V14: &str = r#"
ALTER TABLE review_cases ADD COLUMN screened_out TEXT
"#;

/// Support delivered (issue 11): a policy (its code in the catalogue file)
/// to a household or a member, on a date, with the policy's record fields as
/// JSON. Not partitioned yet (a province's deliveries are read by household).
const V15: &str = r#"
CREATE TABLE deliveries (
    id {id},
    household_id BIGINT NOT NULL,
    member_id BIGINT,
    policy TEXT NOT NULL,
    year BIGINT NOT NULL,
    delivered_on TEXT NOT NULL,
    amount BIGINT,
    details TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX deliveries_household ON deliveries (household_id, delivered_on)
"#;

/// Causes, wishes (codes of the policy catalogue) and the plan's type of a
/// household, by year; the type 3's reason.
const V16: &str = r#"
CREATE TABLE household_profiles (
    household_id BIGINT NOT NULL,
    year BIGINT NOT NULL,
    causes TEXT NOT NULL,
    wishes TEXT NOT NULL,
    poverty_type BIGINT,
    type_reason TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (household_id, year)
)
"#;

/// An agency officer's agency (a code of the policy catalogue), and an
/// agency's list as matched, kept until the officer confirms it (or a day
/// passes): the rows to write and the match report, as JSON.
const V17: &str = r#"
ALTER TABLE users ADD COLUMN agency TEXT;
CREATE TABLE agency_list_drafts (
    token TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    policy TEXT NOT NULL,
    file_name TEXT NOT NULL,
    deliveries TEXT NOT NULL,
    report TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX deliveries_policy ON deliveries (policy, year, household_id)
"#;

/// The expected-escape list: a household the commune expects out of
/// poverty in a year, the cadre responsible for it (a person, not an
/// account), the policies planned and by when, follow-up notes; the
/// steering committee's members assigned to communes, and their visits; a
/// loan's use checks.
const V18: &str = r#"
CREATE TABLE escape_plans (
    id {id},
    household_id BIGINT NOT NULL,
    commune_id BIGINT NOT NULL,
    year BIGINT NOT NULL,
    cadre_name TEXT NOT NULL,
    cadre_role TEXT NOT NULL,
    policies TEXT NOT NULL,
    due_on TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (household_id, year)
);
CREATE INDEX escape_plans_commune ON escape_plans (commune_id, year);
CREATE TABLE escape_notes (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES escape_plans (id),
    noted_on TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX escape_notes_plan ON escape_notes (plan_id);
CREATE TABLE steering_members (
    id {id},
    commune_id BIGINT NOT NULL REFERENCES units (id),
    year BIGINT NOT NULL,
    name TEXT NOT NULL,
    position TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX steering_members_commune ON steering_members (commune_id, year);
CREATE TABLE steering_visits (
    id {id},
    member_id BIGINT NOT NULL REFERENCES steering_members (id),
    visited_on TEXT NOT NULL,
    findings TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX steering_visits_member ON steering_visits (member_id);
CREATE TABLE delivery_checks (
    id {id},
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id),
    checked_on TEXT NOT NULL,
    used_as_planned BIGINT NOT NULL CHECK (used_as_planned IN (0, 1)),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX delivery_checks_delivery ON delivery_checks (delivery_id, checked_on)
"#;

/// Livelihood models ("mô hình giảm nghèo"): a commune's model, its sector,
/// start and funding, and the households taking part.
const V19: &str = r#"
CREATE TABLE livelihood_models (
    id {id},
    commune_id BIGINT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    sector TEXT NOT NULL,
    started_on TEXT NOT NULL,
    funding BIGINT,
    funding_source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX livelihood_models_commune ON livelihood_models (commune_id);
CREATE TABLE model_households (
    model_id BIGINT NOT NULL REFERENCES livelihood_models (id),
    household_id BIGINT NOT NULL,
    joined_on TEXT NOT NULL,
    PRIMARY KEY (model_id, household_id)
)
"#;

/// The plan's tasks (issue 12): a unit's task for an agency (a code of the
/// policy catalogue), the agencies cooperating, the due date, its status,
/// and the agency's progress reports.
const V20: &str = r#"
CREATE TABLE tasks (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    title TEXT NOT NULL,
    agency TEXT NOT NULL,
    cooperating TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX tasks_unit ON tasks (unit_id, due_on);
CREATE TABLE task_reports (
    id {id},
    task_id BIGINT NOT NULL REFERENCES tasks (id),
    reported_on TEXT NOT NULL,
    progress BIGINT NOT NULL CHECK (progress BETWEEN 0 AND 100),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX task_reports_task ON task_reports (task_id, id)
"#;

/// A unit's report of a period (a year "2025", a month "2025-03") on its
/// way up: submitted (on time or late against the reporting calendar),
/// returned with a comment, or accepted and locked.
const V21: &str = r#"
CREATE TABLE report_signoffs (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    period TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'returned', 'accepted')),
    submitted_on TEXT NOT NULL,
    on_time BIGINT NOT NULL CHECK (on_time IN (0, 1)),
    decided_by TEXT,
    comment TEXT,
    UNIQUE (unit_id, period)
)
"#;

/// A plan of a unit (number, date, years, legal bases) and its targets:
/// each a shape of measure over the registry (`registry::plans`) with its
/// value in hundredths (a rate, points a year, a share) or a count, the
/// policies and standings it reads, a commune; tasks may serve a target.
/// The report set reads a year's profiles and deliveries by year.
const V22: &str = r#"
CREATE TABLE plans (
    id {id},
    unit_id BIGINT NOT NULL REFERENCES units (id),
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    title TEXT NOT NULL,
    from_year BIGINT NOT NULL,
    to_year BIGINT NOT NULL,
    legal_bases TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX plans_unit ON plans (unit_id, from_year);
CREATE TABLE plan_targets (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    title TEXT NOT NULL,
    shape TEXT NOT NULL CHECK (shape IN ('poor_rate_drop', 'poor_rate_below', 'no_poor', 'served', 'share_served')),
    value BIGINT NOT NULL,
    policies TEXT NOT NULL DEFAULT '',
    standings TEXT NOT NULL DEFAULT '',
    commune_id BIGINT REFERENCES units (id),
    excluding BIGINT NOT NULL DEFAULT 0 CHECK (excluding IN (0, 1))
);
CREATE INDEX plan_targets_plan ON plan_targets (plan_id, id);
ALTER TABLE tasks ADD COLUMN target_id BIGINT REFERENCES plan_targets (id);
CREATE INDEX household_profiles_year ON household_profiles (year, household_id);
CREATE INDEX deliveries_year ON deliveries (year, policy, household_id)
"#;

/// The tallies gain households with children by status and their
/// deprivations (`tallies::Measure::WithChildren`, `ChildDeprived`): the
/// kept tallies are emptied here and computed again by the code that keeps
/// them (`Db::migrate_until`).
const V23: &str = r#"
DELETE FROM unit_tallies
"#;

/// A file attached to a task's progress report (a PDF or a photo of the
/// signed report).
const V24: &str = r#"
CREATE TABLE task_report_files (
    id {id},
    report_id BIGINT NOT NULL REFERENCES task_reports (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data {blob} NOT NULL
);
CREATE INDEX task_report_files_report ON task_report_files (report_id)
"#;

/// The tallies gain the households by standard, area, status and score,
/// and by score and deprivation (`tallies::Measure::Scored`,
/// `ScoredDeprived`), so the statistics read a few rows per commune; and,
/// by policy, the households (and members) still missing its support in
/// the year (`Measure::Missing`, `MissingMembers`), so the support report
/// counts the gaps of a province: the kept tallies are emptied here and
/// computed again (`Db::migrate_until`).
const V25: &str = r#"
DELETE FROM unit_tallies
"#;

/// A year's tallies commune by commune, from the index alone: a province's
/// report reads them grouped by commune (`Registry::commune_tallies`),
/// which through the index by measure needed a sort of tens of thousands
/// of rows.
const V26: &str = r#"
CREATE INDEX unit_tallies_commune_year ON unit_tallies (year, commune_id, measure, households)
"#;

/// Each commune's tallies of a year in a band (`tallies::Band`: the
/// report set's counts, the statistics' scores) as one text,
/// `measure=households;…`, made again from them in the transaction that
/// changes them (`tallies::add_tallies`): a province's report reads one row
/// per commune. Filled from the tallies (`Db::migrate` runs
/// `tallies::rebuild_sheets` after this DDL).
const V27: &str = r#"
CREATE TABLE tally_sheets (
    year BIGINT NOT NULL,
    band TEXT NOT NULL,
    commune_id BIGINT NOT NULL REFERENCES units (id),
    body TEXT NOT NULL,
    PRIMARY KEY (year, band, commune_id)
)
"#;

/// Each assessment carries its household head's sort key (kept with the
/// household's by `households::update_household_tx`), and the year's
/// assessments are indexed by status and that key: a province's list of
/// one status is a range of this index in name order, where it walked
/// every household by name and tested its status (`Registry::list_households`).
/// The index keeps `(year, status)` as its head for the reads that used it.
const V28: &str = r#"
ALTER TABLE assessments ADD COLUMN head_sort {binary_text} NOT NULL DEFAULT '';
UPDATE assessments SET head_sort = h.head_sort FROM households h WHERE h.id = assessments.household_id AND h.province_id = assessments.province_id;
DROP INDEX assessments_year;
CREATE INDEX assessments_year ON assessments (year, status, official, head_sort)
"#;

/// The measures the tally sheets name, numbered: a sheet says
/// `17=44;18=111;…` where it said each measure's code in full (a
/// province's score sheets of a year were 3.6 MB at a million households,
/// most of it the same codes 500 times). A number once given is never
/// changed or taken back. The sheets are made again in the new form
/// (`Db::migrate` runs `tallies::rebuild_sheets` after this DDL).
const V29: &str = r#"
CREATE TABLE tally_measures (
    id {id},
    measure {binary_text} NOT NULL UNIQUE
);
DELETE FROM tally_sheets
"#;

/// The audit log's rows that record a change, by id: what is kept while
/// nothing is written (the years' counts) checks its last one
/// (`Registry::last_change`), found at once however many sign-ins and
/// exports came after it. The actions are the reads that are audited, in
/// the same words as the query's (a test holds them together).
const V30: &str = r#"
CREATE INDEX audit_changes ON audit_log (id) WHERE action NOT IN ('sign_in', 'export', 'view_id_numbers', 'what_if')
"#;

/// The members of each group, by household: a list of a group's households
/// walks the unit's households in name order and asks of each whether one
/// of its members is in the group; through the index of all members that
/// read each member's row, at random places of a large table (half the
/// page's time at 1M). A few percent of the members each. The conditions
/// are those the list writes (`Registry::list_households`), term for term,
/// so the planner takes them.
const V31: &str = r#"
CREATE INDEX members_merit ON members (household_id) WHERE merit = 1 AND removed_on IS NULL;
CREATE INDEX members_social_protection ON members (household_id) WHERE social_protection = 1 AND removed_on IS NULL;
CREATE INDEX members_ethnic_minority ON members (household_id) WHERE lower(ethnicity) NOT IN ('', 'kinh') AND removed_on IS NULL
"#;
