//! Kept tallies of official assessments, beside the counts by status
//! (`counts.rs`): by commune and year, the households of each status in
//! each group (meritorious people, social protection, ethnic minority, no
//! working capacity), deprived in each indicator, and the households of
//! each movement into the year (escaped, newly poor, re-poor, …). A
//! province's dashboard or report reads a few thousand rows of
//! `unit_tallies` instead of every assessment and member.
//!
//! What a household adds to the tallies is a pure function of its history
//! ([`History`]: its commune, official status and deprivations by year, its
//! members), so a write reads the history of the households it touches
//! before and after ([`Tallied`]) and applies the difference in its own
//! transaction; a bulk load computes the same function in memory; and
//! `db check` computes it for every household and compares
//! (`Registry::tally_drift`).

use crate::error::RegistryError;
use crate::movements::{Movement, household_movements};
use crate::service::Registry;
use crate::values::{HouseholdId, UnitId};
use sqlx::AnyConnection;
use standard::{Area, Status};
use std::collections::{BTreeMap, BTreeSet};

/// A group of households, from their members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// A member is a meritorious person (người có công).
    Merit,
    /// A member receives social protection (bảo trợ xã hội).
    SocialProtection,
    /// A member is of an ethnic minority (not Kinh).
    EthnicMinority,
    /// Nobody can work: every member is under 15, 60 or over, or without
    /// working capacity.
    NoWorkingCapacity,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Merit,
        Group::SocialProtection,
        Group::EthnicMinority,
        Group::NoWorkingCapacity,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Group::Merit => "merit",
            Group::SocialProtection => "social_protection",
            Group::EthnicMinority => "ethnic_minority",
            Group::NoWorkingCapacity => "no_working_capacity",
        }
    }

    pub fn parse(code: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// What the groups are read from: a member on the registry (not removed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct MemberFacts {
    pub household_id: HouseholdId,
    pub birth_date: Option<String>,
    pub ethnicity: String,
    pub merit: i64,
    pub social_protection: i64,
    pub no_working_capacity: i64,
}

impl MemberFacts {
    /// A member about to be written (a bulk load computes tallies in memory).
    pub(crate) fn of(
        household_id: HouseholdId,
        m: &crate::households::CheckedMember,
    ) -> MemberFacts {
        MemberFacts {
            household_id,
            birth_date: m.birth.map(|d| d.format("%Y-%m-%d").to_string()),
            ethnicity: m.ethnicity.clone(),
            merit: i64::from(m.merit),
            social_protection: i64::from(m.social_protection),
            no_working_capacity: i64::from(m.no_working_capacity),
        }
    }
}

/// Whether an ethnicity as written is of a minority: anything but Kinh
/// (however written) and an empty cell.
pub(crate) fn ethnic_minority(ethnicity: &str) -> bool {
    let key = vntext::search_key(ethnicity);
    !key.is_empty() && key != "kinh"
}

/// The groups of a household with these members, in `year` (age is the
/// year less the year of birth; unknown births count as able to work).
pub(crate) fn groups_in(members: &[MemberFacts], year: i64) -> Vec<Group> {
    let age = |m: &MemberFacts| {
        m.birth_date
            .as_deref()
            .and_then(|b| b.get(..4)?.parse::<i64>().ok())
            .map(|born| year - born)
    };
    let can_work = |m: &MemberFacts| {
        m.no_working_capacity == 0 && age(m).is_none_or(|a| (15..60).contains(&a))
    };
    let mut groups = Vec::new();
    if members.iter().any(|m| m.merit == 1) {
        groups.push(Group::Merit);
    }
    if members.iter().any(|m| m.social_protection == 1) {
        groups.push(Group::SocialProtection);
    }
    if members.iter().any(|m| ethnic_minority(&m.ethnicity)) {
        groups.push(Group::EthnicMinority);
    }
    if !members.is_empty() && !members.iter().any(can_work) {
        groups.push(Group::NoWorkingCapacity);
    }
    groups
}

/// Whether a member is a child (under 16) in `year`; an unknown birth is
/// not counted as a child.
pub(crate) fn has_child_in(members: &[MemberFacts], year: i64) -> bool {
    members.iter().any(|m| {
        m.birth_date
            .as_deref()
            .and_then(|b| b.get(..4)?.parse::<i64>().ok())
            .is_some_and(|born| (0..16).contains(&(year - born)))
    })
}

/// What a tally counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Households of a status in a group.
    Group(Group, Status),
    /// Households of a status deprived in an indicator (its code).
    Deprived(String, Status),
    /// Households that moved this way into the year.
    Movement(Movement),
    /// Households of a status with a child (a member under 16 that year).
    WithChildren(Status),
    /// Households of a status with a child, deprived in an indicator.
    ChildDeprived(String, Status),
    /// Households assessed under a standard, of an area and a status,
    /// whose deprivation score is `points` (over the standard's
    /// denominator): with [`Measure::ScoredDeprived`], the sums of the
    /// Alkire–Foster measures at any cut-off (`registry::statistics`).
    Scored {
        standard: String,
        area: Area,
        status: Status,
        points: u32,
    },
    /// Of those with a score of `points`, the households deprived in an
    /// indicator.
    ScoredDeprived {
        standard: String,
        area: Area,
        indicator: String,
        points: u32,
    },
    /// Households of a group assessed under a standard, of a status, whose
    /// score is `points`: the measures by group (a household can be in
    /// several groups).
    GroupScored {
        standard: String,
        group: Group,
        status: Status,
        points: u32,
    },
    /// Households still missing a policy's support in the year (its code):
    /// eligible, deprived in what it addresses, not served that year — the
    /// gap finder's rule (`support_facts::household_gaps`).
    Missing(String),
    /// For a policy to members: the members still missing it (the tally
    /// counts members here, not households).
    MissingMembers(String),
}

impl Measure {
    /// As stored: `group/merit/poor`, `deprived/health_insurance/poor`,
    /// `movement/newly_poor`.
    pub fn code(&self) -> String {
        match self {
            Measure::Group(g, s) => format!("group/{}/{}", g.code(), s.code()),
            Measure::Deprived(i, s) => format!("deprived/{i}/{}", s.code()),
            Measure::Movement(m) => format!("movement/{}", m.code()),
            Measure::WithChildren(s) => format!("children/{}", s.code()),
            Measure::ChildDeprived(i, s) => format!("child_deprived/{i}/{}", s.code()),
            Measure::Scored {
                standard,
                area,
                status,
                points,
            } => format!(
                "score/{standard}/{}/{}/{points}",
                area.code(),
                status.code()
            ),
            Measure::ScoredDeprived {
                standard,
                area,
                indicator,
                points,
            } => format!(
                "score_deprived/{standard}/{}/{indicator}/{points}",
                area.code()
            ),
            Measure::GroupScored {
                standard,
                group,
                status,
                points,
            } => format!(
                "score_group/{standard}/{}/{}/{points}",
                group.code(),
                status.code()
            ),
            Measure::Missing(policy) => format!("missing/{policy}"),
            Measure::MissingMembers(policy) => format!("missing_members/{policy}"),
        }
    }

    pub fn parse(code: &str) -> Option<Measure> {
        if let Some(scored) = Measure::parse_scored(code) {
            return Some(scored);
        }
        let mut parts = code.split('/');
        let measure = match (parts.next()?, parts.next()?, parts.next()) {
            ("group", g, Some(s)) => Measure::Group(Group::parse(g)?, Status::parse(s)?),
            ("deprived", i, Some(s)) if !i.is_empty() => {
                Measure::Deprived(i.to_string(), Status::parse(s)?)
            }
            ("movement", m, None) => Measure::Movement(Movement::parse(m)?),
            ("children", s, None) => Measure::WithChildren(Status::parse(s)?),
            ("missing", p, None) if !p.is_empty() => Measure::Missing(p.to_string()),
            ("missing_members", p, None) if !p.is_empty() => Measure::MissingMembers(p.to_string()),
            ("child_deprived", i, Some(s)) if !i.is_empty() => {
                Measure::ChildDeprived(i.to_string(), Status::parse(s)?)
            }
            _ => return None,
        };
        parts.next().is_none().then_some(measure)
    }

    /// `score/…` and `score_deprived/…`, read from the right: the
    /// standard's id is whatever is left.
    fn parse_scored(code: &str) -> Option<Measure> {
        let (kind, rest) = code.split_once('/')?;
        let mut parts = rest.rsplitn(4, '/');
        let points: u32 = parts.next()?.parse().ok()?;
        let last = parts.next()?;
        let third = parts.next()?;
        let standard = parts.next().filter(|s| !s.is_empty())?.to_string();
        let area = || Area::parse_bytes(third.as_bytes());
        match kind {
            "score" => Some(Measure::Scored {
                standard,
                area: area()?,
                status: Status::parse(last)?,
                points,
            }),
            "score_deprived" if !last.is_empty() => Some(Measure::ScoredDeprived {
                standard,
                area: area()?,
                indicator: last.to_string(),
                points,
            }),
            "score_group" => Some(Measure::GroupScored {
                standard,
                group: Group::parse(third)?,
                status: Status::parse(last)?,
                points,
            }),
            _ => None,
        }
    }
}

/// The codes of the score tallies (`Measure::Scored`, `ScoredDeprived`, `GroupScored`)
/// sort from `SCORES_FROM` until `SCORES_UNTIL`, after every other
/// measure's: a reader of the others or of them reads a range of the key.
pub(crate) const SCORES_FROM: &str = "score";
pub(crate) const SCORES_UNTIL: &str = "scorf";

/// The two runs of measures that a province's pages read commune by
/// commune: the counts the report set sums, and the score tallies of the
/// statistics. Each commune's tallies of a year in a band are also kept
/// as one text, its sheet (`tally_sheets`, `measure=households;…`), made
/// again from its tallies in the transaction that changes them: a
/// province's report reads 500 sheets instead of 69,000 tallies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Band {
    Counts,
    Scores,
}

impl Band {
    const ALL: [Band; 2] = [Band::Counts, Band::Scores];

    fn code(self) -> &'static str {
        match self {
            Band::Counts => "counts",
            Band::Scores => "scores",
        }
    }

    /// The measures' codes from the first, up to the second.
    fn range(self) -> (&'static str, &'static str) {
        match self {
            Band::Counts => ("", SCORES_FROM),
            Band::Scores => (SCORES_FROM, SCORES_UNTIL),
        }
    }

    fn of(measure: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|band| {
            let (from, until) = band.range();
            (from..until).contains(&measure)
        })
    }
}

/// A commune's tallies in a band (`unit_tallies t`, its measures' numbers
/// `tally_measures d`), as its sheet's text: `number=n;…`.
fn sheet_text(backend: crate::db::Backend) -> String {
    backend.joined("d.id || '=' || t.households")
}

/// Numbers the measures of the tallies `condition` selects (on
/// `unit_tallies`, binds from `$1`) that have none yet.
const NUMBER_MEASURES: &str = "INSERT INTO tally_measures (measure) SELECT DISTINCT measure FROM unit_tallies \
     WHERE {condition} ON CONFLICT (measure) DO NOTHING";

/// The tally sheets' measure numbers as read (`tally_measures`): each
/// number's code and measure (none for a code this build does not know).
pub(crate) type MeasureNames = rustc_hash::FxHashMap<i64, (String, Option<Measure>)>;

/// A sheet's (measure number, households) pairs.
fn read_sheet(body: &str) -> Result<Vec<(i64, i64)>, RegistryError> {
    crate::db::joined_pairs(body)
        .map(|pair| {
            pair.ok()
                .and_then(|(number, n)| Some((number.parse::<i64>().ok()?, n)))
                .ok_or_else(|| {
                    let pair = pair.map_or_else(|p| p.to_string(), |(k, n)| format!("{k}={n}"));
                    RegistryError::Database(sqlx::Error::Decode(
                        format!("tally sheet \"{pair}\"").into(),
                    ))
                })
        })
        .collect()
}

/// Communes' tallies as `Registry::commune_tallies` reads them.
#[derive(Debug, Default)]
pub(crate) struct CommuneTallies {
    /// The measures the sheets name, each once: its code, and the measure
    /// (none for a code this build does not know).
    pub measures: Vec<(String, Option<Measure>)>,
    /// Each commune's tallies: (index in `measures`, households).
    pub communes: Vec<(UnitId, Vec<(usize, i64)>)>,
}

/// Makes again the sheets of these communes' years and bands from their
/// tallies, in key order. Each is locked first (the upsert), then read in
/// a statement of its own: on PostgreSQL a statement sees what was
/// committed when it began, so a writer that waited for another's lock
/// reads that writer's tallies too, and the last one writes the whole.
async fn remake_sheets(
    conn: &mut AnyConnection,
    keys: &BTreeSet<(UnitId, i64, Band)>,
) -> Result<(), RegistryError> {
    let text = sheet_text(crate::db::Backend::of(conn));
    for (commune, year, band) in keys {
        let (from, until) = band.range();
        sqlx::query(
            "INSERT INTO tally_sheets (year, band, commune_id, body) VALUES ($1, $2, $3, '') \
             ON CONFLICT (year, band, commune_id) DO UPDATE SET body = tally_sheets.body",
        )
        .bind(*year)
        .bind(band.code())
        .bind(*commune)
        .execute(&mut *conn)
        .await?;
        let condition =
            "commune_id = $1 AND year = $2 AND households <> 0 AND measure >= $3 AND measure < $4";
        // Only this module's SQL is formatted in.
        sqlx::query(sqlx::AssertSqlSafe(
            NUMBER_MEASURES.replace("{condition}", condition),
        ))
        .bind(*commune)
        .bind(*year)
        .bind(from)
        .bind(until)
        .execute(&mut *conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE tally_sheets SET body = (SELECT COALESCE({text}, '') FROM unit_tallies t \
               JOIN tally_measures d ON d.measure = t.measure \
               WHERE t.{condition}) \
             WHERE year = $5 AND band = $6 AND commune_id = $7",
            condition = condition.replace(" AND ", " AND t.")
        )))
        .bind(*commune)
        .bind(*year)
        .bind(from)
        .bind(until)
        .bind(*year)
        .bind(band.code())
        .bind(*commune)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every commune's sheets made again from the tallies (a bulk load, the
/// migration that adds them). A migration that rebuilds the tallies after
/// that one must call this too.
pub(crate) async fn rebuild_sheets(conn: &mut AnyConnection) -> Result<(), RegistryError> {
    let text = sheet_text(crate::db::Backend::of(conn));
    sqlx::query("DELETE FROM tally_sheets")
        .execute(&mut *conn)
        .await?;
    for band in Band::ALL {
        let (from, until) = band.range();
        sqlx::query(sqlx::AssertSqlSafe(NUMBER_MEASURES.replace(
            "{condition}",
            "households <> 0 AND measure >= $1 AND measure < $2",
        )))
        .bind(from)
        .bind(until)
        .execute(&mut *conn)
        .await?;
        // Only this module's SQL function is formatted in. The provinces'
        // roll-up rows have no sheet: a report reads its communes'.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tally_sheets (year, band, commune_id, body) \
             SELECT t.year, $1, t.commune_id, {text} FROM unit_tallies t JOIN units u ON u.id = t.commune_id \
             JOIN tally_measures d ON d.measure = t.measure \
             WHERE u.level = 'commune' AND t.households <> 0 AND t.measure >= $2 AND t.measure < $3 \
             GROUP BY t.year, t.commune_id"
        )))
        .bind(band.code())
        .bind(from)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What a household's tallies are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    pub commune_id: UnitId,
    /// The official assessment of each year.
    pub years: BTreeMap<i64, Official>,
    pub members: Vec<MemberFacts>,
    /// The support delivered to it: year, policy code and the member's
    /// index in `members` for a delivery to a member.
    pub deliveries: Vec<(i64, String, Option<usize>)>,
}

/// What an official assessment recorded, as the tallies count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Official {
    pub status: Status,
    /// The deprived indicators (codes).
    pub deprived: Vec<String>,
    /// The standard, area and score it was made with (None when its
    /// recorded inputs have no area: then it has no score tallies, as the
    /// statistics leave it out).
    pub score: Option<Scored>,
}

/// The standard, area and deprivation score (in points) of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scored {
    pub standard: String,
    pub area: Area,
    pub points: u32,
}

/// The area an assessment's recorded inputs name (None when they name
/// none).
pub(crate) fn recorded_area(inputs: &str) -> Option<Area> {
    #[derive(serde::Deserialize)]
    struct WithArea {
        area: String,
    }
    let inputs: WithArea = serde_json::from_str(inputs).ok()?;
    Area::parse_bytes(inputs.area.as_bytes())
}

/// A tally's key: commune, year and the measure's code.
pub(crate) type TallyKey = (UnitId, i64, String);

/// What one household adds to the tallies (each key once).
pub(crate) fn tallies(history: &History, out: &mut BTreeMap<TallyKey, i64>) {
    let commune = history.commune_id;
    let mut add_n = |year: i64, measure: Measure, n: i64| {
        *out.entry((commune, year, measure.code())).or_default() += n;
    };
    for (year, official) in &history.years {
        let year = *year;
        let status = official.status;
        let deprived = &official.deprived;
        let mut add = |measure: Measure| add_n(year, measure, 1);
        for group in groups_in(&history.members, year) {
            add(Measure::Group(group, status));
        }
        for indicator in deprived {
            add(Measure::Deprived(indicator.clone(), status));
        }
        if has_child_in(&history.members, year) {
            add(Measure::WithChildren(status));
            for indicator in deprived {
                add(Measure::ChildDeprived(indicator.clone(), status));
            }
        }
        if let Some(Scored {
            standard,
            area,
            points,
        }) = &official.score
        {
            add(Measure::Scored {
                standard: standard.clone(),
                area: *area,
                status,
                points: *points,
            });
            for indicator in deprived {
                add(Measure::ScoredDeprived {
                    standard: standard.clone(),
                    area: *area,
                    indicator: indicator.clone(),
                    points: *points,
                });
            }
            for group in groups_in(&history.members, year) {
                add(Measure::GroupScored {
                    standard: standard.clone(),
                    group,
                    status,
                    points: *points,
                });
            }
        }
        // The gap finder's rule, on the years it reads.
        let escaped_in = crate::support_facts::escaped_in(
            history
                .years
                .range(year - 4..=year)
                .map(|(y, o)| (*y, o.status.code())),
        );
        let served: Vec<(&str, Option<usize>)> = history
            .deliveries
            .iter()
            .filter(|(y, _, _)| *y == year)
            .map(|(_, policy, member)| (policy.as_str(), *member))
            .collect();
        for gap in crate::support_facts::household_gaps(
            policies(),
            year,
            status,
            escaped_in,
            deprived,
            &history.members,
            &served,
        ) {
            add_n(year, Measure::Missing(gap.policy.code.clone()), 1);
            if !gap.members.is_empty() {
                add_n(
                    year,
                    Measure::MissingMembers(gap.policy.code.clone()),
                    gap.members.len() as i64,
                );
            }
        }
    }
    // Movements into every year assessed and the year after the last (a
    // list left, or not yet reviewed): as `movements` counts them.
    let statuses: BTreeMap<i64, Status> =
        history.years.iter().map(|(y, o)| (*y, o.status)).collect();
    let mut years: Vec<i64> = statuses.keys().flat_map(|y| [*y, y + 1]).collect();
    years.sort_unstable();
    years.dedup();
    for year in years {
        for movement in household_movements(&statuses, year) {
            add_n(year, Measure::Movement(movement), 1);
        }
    }
}

/// The programme's policies the gap tallies count against: the shipped
/// catalogue, the one the application reads.
pub(crate) fn policies() -> &'static support::Catalogue {
    static POLICIES: std::sync::OnceLock<support::Catalogue> = std::sync::OnceLock::new();
    POLICIES.get_or_init(|| {
        standard::Catalogue::builtin()
            .map_err(|e| e.to_string())
            .and_then(|standards| {
                support::Catalogue::builtin(&standards).map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| panic!("shipped policies: {e}"))
    })
}

/// Reads the histories of `ids` inside the caller's transaction (a few
/// hundred bound ids per statement). Households without an official
/// assessment have no tallies and are left out.
pub(crate) async fn histories(
    conn: &mut AnyConnection,
    ids: &[HouseholdId],
) -> Result<BTreeMap<HouseholdId, History>, RegistryError> {
    let mut out: BTreeMap<HouseholdId, History> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let list = ids_text(chunk);
        // Only ids (integers) are formatted into the SQL.
        let rows: Vec<OfficialRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.household_id, h.commune_id, a.year, a.status, a.deprived, a.standard_id, a.score_points, a.inputs \
             FROM assessments a JOIN households h ON h.id = a.household_id WHERE a.household_id IN ({list}) AND a.official = 1"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let OfficialRow {
                household_id: household,
                commune_id,
                year,
                ..
            } = row;
            let official = row.official()?;
            let history = out.entry(household).or_insert_with(|| History {
                commune_id,
                years: BTreeMap::new(),
                members: Vec::new(),
                deliveries: Vec::new(),
            });
            history.years.insert(year, official);
        }
    }
    let assessed: Vec<HouseholdId> = out.keys().copied().collect();
    for chunk in assessed.chunks(500) {
        let list = ids_text(chunk);
        let members: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, household_id, birth_date, ethnicity, merit, social_protection, no_working_capacity FROM members \
             WHERE household_id IN ({list}) AND removed_on IS NULL ORDER BY id"
        )))
        .fetch_all(&mut *conn)
        .await?;
        // A delivery to a member is matched to the member's place in the
        // household's list, as the gap finder does.
        let mut member_ids: BTreeMap<HouseholdId, Vec<i64>> = BTreeMap::new();
        for m in members {
            if let Some(h) = out.get_mut(&m.facts.household_id) {
                member_ids
                    .entry(m.facts.household_id)
                    .or_default()
                    .push(m.id);
                h.members.push(m.facts);
            }
        }
        let deliveries: Vec<(HouseholdId, i64, String, Option<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT household_id, year, policy, member_id FROM deliveries WHERE household_id IN ({list})"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for (household, year, policy, member) in deliveries {
            if let Some(h) = out.get_mut(&household) {
                let member = member.and_then(|id| {
                    member_ids
                        .get(&household)
                        .and_then(|ids| ids.iter().position(|m| *m == id))
                });
                h.deliveries.push((year, policy, member));
            }
        }
    }
    Ok(out)
}

/// A member as `histories` reads it: its id places a delivery to it.
#[derive(sqlx::FromRow)]
struct MemberRow {
    id: i64,
    #[sqlx(flatten)]
    facts: MemberFacts,
}

/// An official assessment as `histories` reads it.
#[derive(sqlx::FromRow)]
struct OfficialRow {
    household_id: HouseholdId,
    commune_id: UnitId,
    year: i64,
    status: String,
    deprived: String,
    standard_id: String,
    score_points: i64,
    inputs: String,
}

impl OfficialRow {
    fn official(&self) -> Result<Official, RegistryError> {
        let status =
            Status::try_from(self.status.clone()).map_err(|e| RegistryError::Invalid(vec![e]))?;
        Ok(Official {
            status,
            deprived: split_deprived(&self.deprived),
            score: recorded_area(&self.inputs).and_then(|area| {
                Some(Scored {
                    standard: self.standard_id.clone(),
                    area,
                    points: u32::try_from(self.score_points).ok()?,
                })
            }),
        })
    }
}

/// Ids as a list for `IN (…)` (integers only).
fn ids_text(ids: &[HouseholdId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The indicator codes of an assessment's `deprived` column.
pub(crate) fn split_deprived(deprived: &str) -> Vec<String> {
    deprived
        .split(';')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The tallies of some households as they were before a write; `changed`
/// reads them again after it and keeps the difference.
#[must_use = "the tallies must be updated after the write"]
pub(crate) struct Tallied {
    ids: Vec<HouseholdId>,
    before: BTreeMap<TallyKey, i64>,
}

impl Tallied {
    pub(crate) async fn before(
        conn: &mut AnyConnection,
        ids: &[HouseholdId],
    ) -> Result<Tallied, RegistryError> {
        let mut before = BTreeMap::new();
        for history in histories(conn, ids).await?.values() {
            tallies(history, &mut before);
        }
        Ok(Tallied {
            ids: ids.to_vec(),
            before,
        })
    }

    /// After the write, in the same transaction: adds what the households
    /// count now, less what they counted before.
    pub(crate) async fn changed(self, conn: &mut AnyConnection) -> Result<(), RegistryError> {
        let mut diff = BTreeMap::new();
        for history in histories(conn, &self.ids).await?.values() {
            tallies(history, &mut diff);
        }
        for (key, n) in self.before {
            *diff.entry(key).or_default() -= n;
        }
        add_tallies(conn, &diff).await
    }
}

/// Adds each difference to its tally, in key order (every writer of the
/// tallies goes in that order, so two cannot deadlock on PostgreSQL).
pub(crate) async fn add_tallies(
    conn: &mut AnyConnection,
    diff: &BTreeMap<TallyKey, i64>,
) -> Result<(), RegistryError> {
    let sheets: BTreeSet<(UnitId, i64, Band)> = diff
        .iter()
        .filter(|(_, n)| **n != 0)
        .filter_map(|((commune, year, measure), _)| Some((*commune, *year, Band::of(measure)?)))
        .collect();
    let diff = with_roll_ups(conn, diff).await?;
    for ((commune, year, measure), n) in diff.iter().filter(|(_, n)| **n != 0) {
        sqlx::query(
            "INSERT INTO unit_tallies (commune_id, year, measure, households) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (commune_id, year, measure) DO UPDATE SET households = unit_tallies.households + excluded.households",
        )
        .bind(*commune)
        .bind(*year)
        .bind(measure)
        .bind(*n)
        .execute(&mut *conn)
        .await?;
    }
    remake_sheets(conn, &sheets).await
}

/// The communes' tallies and their provinces' roll-ups (see
/// `provinces::roll_ups`), in key order.
pub(crate) async fn with_roll_ups(
    conn: &mut AnyConnection,
    diff: &BTreeMap<TallyKey, i64>,
) -> Result<BTreeMap<TallyKey, i64>, RegistryError> {
    let provinces = crate::provinces::roll_ups(&mut *conn, diff.keys().map(|(c, _, _)| *c)).await?;
    let mut all = diff.clone();
    for ((commune, year, measure), n) in diff {
        if let Some(province) = provinces.get(commune) {
            *all.entry((*province, *year, measure.clone())).or_default() += n;
        }
    }
    Ok(all)
}

/// A tally whose kept number differs from the recount: (commune, year,
/// measure) with (kept, recounted).
pub type TallyDrift = Vec<((i64, i64, String), (i64, i64))>;

/// Every household's tallies, recomputed from the microdata, reading the
/// assessments and members in household order, a slice at a time.
async fn recount(conn: &mut AnyConnection) -> Result<BTreeMap<TallyKey, i64>, RegistryError> {
    let mut recount: BTreeMap<TallyKey, i64> = BTreeMap::new();
    let mut after: i64 = 0;
    loop {
        let ids: Vec<HouseholdId> =
            sqlx::query_scalar("SELECT id FROM households WHERE id > $1 ORDER BY id LIMIT 20000")
                .bind(after)
                .fetch_all(&mut *conn)
                .await?;
        let Some(last) = ids.last() else { break };
        after = last.get();
        for history in histories(conn, &ids).await?.values() {
            tallies(history, &mut recount);
        }
    }
    Ok(recount)
}

/// Fills the tallies from the microdata (the migration that adds them).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> Result<(), RegistryError> {
    let backend = crate::db::Backend::of(conn);
    let recount = recount(conn).await?;
    let rows: Vec<(TallyKey, i64)> = with_roll_ups(conn, &recount)
        .await?
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .collect();
    insert_tallies(conn, backend, &rows).await
}

/// Writes tallies into an empty table (a bulk load, the migration).
pub(crate) async fn insert_tallies(
    conn: &mut AnyConnection,
    backend: crate::db::Backend,
    rows: &[(TallyKey, i64)],
) -> Result<(), RegistryError> {
    crate::bulk::insert_rows(
        conn,
        backend,
        "unit_tallies",
        &["commune_id", "year", "measure", "households"],
        rows,
        |q, ((commune, year, measure), n)| q.bind(*commune).bind(*year).bind(measure).bind(*n),
    )
    .await
}

/// A scope's tallies of one year: households by measure, summed over its
/// communes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies(pub BTreeMap<Measure, i64>);

impl Tallies {
    pub fn get(&self, measure: &Measure) -> i64 {
        self.0.get(measure).copied().unwrap_or(0)
    }

    /// Households of `status` deprived in each indicator, by code.
    pub fn deprived(&self, status: Status) -> BTreeMap<&str, i64> {
        self.0
            .iter()
            .filter_map(|(m, n)| match m {
                Measure::Deprived(code, s) if *s == status => Some((code.as_str(), *n)),
                _ => None,
            })
            .collect()
    }
}

impl Registry {
    /// The kept tallies of `measures` in `year` for the actor's scope (and
    /// the unit asked for, with what merged into it): a few rows per
    /// commune, never the microdata. None for a village (tallies are kept
    /// by commune).
    pub async fn tallies(
        &self,
        actor: &crate::gate::Actor,
        unit: Option<&str>,
        year: crate::values::ReviewYear,
        measures: &[Measure],
    ) -> Result<Option<Tallies>, RegistryError> {
        let Some(units) = self.list_units(actor, unit).await? else {
            return Ok(Some(Tallies::default()));
        };
        if units.village {
            return Ok(None);
        }
        let communes = units.kept_clause();
        let list = (2..measures.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Only unit ids (integers from the database) and placeholders are
        // formatted into the SQL.
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT measure, CAST(SUM(households) AS BIGINT) FROM unit_tallies WHERE year = $1 AND measure IN ({list}){communes} GROUP BY measure"
        )))
        .bind(year.as_i64());
        for m in measures {
            query = query.bind(m.code());
        }
        let rows: Vec<(String, i64)> = query.fetch_all(self.db.reports()).await?;
        Ok(Some(Tallies(
            rows.into_iter()
                .filter_map(|(m, n)| Some((Measure::parse(&m)?, n)))
                .filter(|(_, n)| *n != 0)
                .collect(),
        )))
    }
}

impl Registry {
    /// The kept tallies of the communes `communes` (a condition on
    /// `commune_id`, `Backend::in_ids`) in
    /// `year` and `band`, those not zero, read from the communes' sheets:
    /// one row per commune, where the tallies were tens of thousands of
    /// rows that the driver hands over one at a time. Each measure's code
    /// is parsed once, not once per commune.
    pub(crate) async fn commune_tallies(
        &self,
        year: i64,
        communes: &str,
        band: Band,
    ) -> Result<CommuneTallies, RegistryError> {
        // Only unit ids (integers from the database) and the band's code
        // (a word of the code) are formatted into the SQL.
        // On SQLite every sheet as a line of one text (`commune body`), for
        // the driver hands rows over one at a time; on PostgreSQL a row
        // each, for joining megabytes of sheets costs it more than rows.
        let band = band.code();
        let sheets: Vec<(UnitId, String)> = match self.db.backend() {
            crate::db::Backend::Sqlite => {
                let sql = format!(
                    "SELECT {} FROM tally_sheets WHERE year = $1 AND band = '{band}' AND {communes}",
                    self.db.backend().lines("commune_id || ' ' || body"),
                );
                let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(year)
                    .fetch_one(self.db.reports())
                    .await?;
                text.unwrap_or_default()
                    .lines()
                    .map(|line| {
                        line.split_once(' ')
                            .and_then(|(id, body)| {
                                Some((UnitId::new(id.parse().ok()?), body.to_string()))
                            })
                            .ok_or_else(|| {
                                RegistryError::Database(sqlx::Error::Decode(
                                    format!("tally sheet \"{line}\"").into(),
                                ))
                            })
                    })
                    .collect::<Result<_, _>>()?
            }
            crate::db::Backend::Postgres => {
                let sql = format!(
                    "SELECT commune_id, body FROM tally_sheets WHERE year = $1 AND band = '{band}' AND {communes}"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(year)
                    .fetch_all(self.db.reports())
                    .await?
            }
        };
        let mut out = CommuneTallies::default();
        // Each measure number once, in the order first seen.
        let mut numbers: Vec<i64> = Vec::new();
        let mut seen: rustc_hash::FxHashMap<i64, usize> = rustc_hash::FxHashMap::default();
        for (commune, body) in &sheets {
            let mut tallies = Vec::new();
            for (number, n) in read_sheet(body)? {
                let i = *seen.entry(number).or_insert_with(|| {
                    numbers.push(number);
                    numbers.len() - 1
                });
                tallies.push((i, n));
            }
            out.communes.push((*commune, tallies));
        }
        let names = self.measure_names(&numbers).await?;
        out.measures = numbers
            .iter()
            .map(|number| {
                names.get(number).cloned().ok_or_else(|| {
                    RegistryError::Database(sqlx::Error::Decode(
                        format!("tally measure number {number}").into(),
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(out)
    }

    /// The kept tallies of `unit`'s family in the actor's scope in
    /// `year`, those not zero, summed: a whole province's from its roll-up
    /// rows, other communes' from their own. In the shape of the sheets
    /// (`commune_tallies`) of one commune without an id. None for a
    /// village (tallies are kept by commune).
    pub(crate) async fn summed_tallies(
        &self,
        actor: &crate::gate::Actor,
        unit: &str,
        year: i64,
    ) -> Result<Option<CommuneTallies>, RegistryError> {
        let Some(units) = self.list_units(actor, Some(unit)).await? else {
            return Ok(Some(CommuneTallies::default()));
        };
        if units.village {
            return Ok(None);
        }
        // Only unit ids (integers from the database) are formatted into the SQL.
        let sql = format!(
            "SELECT measure, CAST(SUM(households) AS BIGINT) FROM unit_tallies WHERE year = $1{} GROUP BY measure",
            units.kept_clause()
        );
        let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(year)
            .fetch_all(self.db.reports())
            .await?;
        let rows: Vec<(String, i64)> = rows.into_iter().filter(|(_, n)| *n != 0).collect();
        let tallies = rows.iter().enumerate().map(|(i, (_, n))| (i, *n)).collect();
        Ok(Some(CommuneTallies {
            measures: rows
                .into_iter()
                .map(|(code, _)| {
                    let measure = Measure::parse(&code);
                    (code, measure)
                })
                .collect(),
            communes: vec![(UnitId::new(0), tallies)],
        }))
    }

    /// The sheets' measure numbers, read again only when a sheet names
    /// one not read yet (a number, once given, never changes).
    async fn measure_names(
        &self,
        wanted: &[i64],
    ) -> Result<std::sync::Arc<MeasureNames>, RegistryError> {
        let known = self
            .tally_measures
            .lock()
            .map(|names| names.clone())
            .unwrap_or_default();
        if wanted.iter().all(|number| known.contains_key(number)) {
            return Ok(known);
        }
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, measure FROM tally_measures")
            .fetch_all(self.db.reports())
            .await?;
        let names: std::sync::Arc<MeasureNames> = std::sync::Arc::new(
            rows.into_iter()
                .map(|(number, code)| {
                    let measure = Measure::parse(&code);
                    (number, (code, measure))
                })
                .collect(),
        );
        if let Ok(mut kept) = self.tally_measures.lock() {
            *kept = names.clone();
        }
        Ok(names)
    }

    /// Recomputes every household's tallies from the microdata and lists
    /// the tallies whose kept number differs (empty when all agree).
    pub async fn tally_drift(&self) -> Result<TallyDrift, RegistryError> {
        let mut conn = self.db.pool.acquire().await?;
        let recount = recount(&mut conn).await?;
        let recount = with_roll_ups(&mut conn, &recount).await?;
        let kept: Vec<(UnitId, i64, String, i64)> = sqlx::query_as(
            "SELECT commune_id, year, measure, households FROM unit_tallies WHERE households <> 0",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut all: BTreeMap<TallyKey, (i64, i64)> = BTreeMap::new();
        for (c, y, m, n) in &kept {
            all.entry((*c, *y, m.clone())).or_default().0 = *n;
        }
        for (key, n) in recount {
            all.entry(key).or_default().1 = n;
        }
        let mut drift: TallyDrift = all
            .into_iter()
            .filter(|(_, (k, r))| k != r)
            .map(|((c, y, m), v)| ((c.get(), y, m), v))
            .collect();
        // The sheets against the kept tallies they are made from.
        let communes: BTreeSet<UnitId> =
            sqlx::query_scalar("SELECT id FROM units WHERE level = 'commune'")
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        let mut sheets: BTreeMap<(UnitId, i64, String), (i64, i64)> = BTreeMap::new();
        for (c, y, m, n) in &kept {
            if communes.contains(c) && Band::of(m).is_some() {
                sheets.entry((*c, *y, m.clone())).or_default().1 = *n;
            }
        }
        let rows: Vec<(UnitId, i64, String)> =
            sqlx::query_as("SELECT commune_id, year, body FROM tally_sheets")
                .fetch_all(&mut *conn)
                .await?;
        let names: BTreeMap<i64, String> = sqlx::query_as("SELECT id, measure FROM tally_measures")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        for (c, y, body) in &rows {
            for (number, n) in read_sheet(body)? {
                // A number nobody gave is drift too, under its number.
                let m = names
                    .get(&number)
                    .cloned()
                    .unwrap_or_else(|| format!("#{number}"));
                sheets.entry((*c, *y, m)).or_default().0 = n;
            }
        }
        drift.extend(
            sheets
                .into_iter()
                .filter(|(_, (s, k))| s != k)
                .map(|((c, y, m), v)| ((c.get(), y, format!("sheet {m}")), v)),
        );
        Ok(drift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_reads_its_pairs_and_refuses_a_broken_one() {
        assert_eq!(
            read_sheet("17=44;3=-2;;120=0;").unwrap(),
            vec![(17, 44), (3, -2), (120, 0)]
        );
        assert_eq!(read_sheet("").unwrap(), Vec::new());
        for broken in ["17=44;18", "17=;", "=4", "a=1", "1=2=3", "1=x"] {
            let e = read_sheet(broken).unwrap_err().to_string();
            assert!(e.contains("tally sheet"), "{broken}: {e}");
        }
    }

    fn member(birth: Option<&str>, ethnicity: &str, flags: (i64, i64, i64)) -> MemberFacts {
        MemberFacts {
            household_id: HouseholdId::new(1),
            birth_date: birth.map(str::to_string),
            ethnicity: ethnicity.into(),
            merit: flags.0,
            social_protection: flags.1,
            no_working_capacity: flags.2,
        }
    }

    #[test]
    fn every_measure_a_province_reads_by_commune_has_one_band() {
        use standard::Area;
        let counts = [
            Measure::Group(Group::Merit, Status::Poor),
            Measure::Deprived("water".into(), Status::NearPoor),
            Measure::Movement(Movement::NewlyPoor),
            Measure::WithChildren(Status::Poor),
            Measure::ChildDeprived("school".into(), Status::Poor),
            Measure::Missing("health_insurance".into()),
            Measure::MissingMembers("health_insurance".into()),
        ];
        for m in &counts {
            assert_eq!(Band::of(&m.code()), Some(Band::Counts), "{m:?}");
        }
        let scores = [
            Measure::Scored {
                standard: "vn-2022-2025".into(),
                area: Area::Rural,
                status: Status::Poor,
                points: 3,
            },
            Measure::ScoredDeprived {
                standard: "vn-2022-2025".into(),
                area: Area::Urban,
                indicator: "water".into(),
                points: 0,
            },
            Measure::GroupScored {
                standard: "vn-2022-2025".into(),
                group: Group::EthnicMinority,
                status: Status::NotPoor,
                points: 12,
            },
        ];
        for m in &scores {
            assert_eq!(Band::of(&m.code()), Some(Band::Scores), "{m:?}");
        }
        // The bounds themselves: the scores start at SCORES_FROM and
        // stop before SCORES_UNTIL.
        assert_eq!(Band::of(SCORES_FROM), Some(Band::Scores));
        assert_eq!(Band::of("scord~"), Some(Band::Counts));
        assert_eq!(Band::of(SCORES_UNTIL), None);
        assert_eq!(Band::of("zzz"), None);
    }

    #[test]
    fn a_sheet_reads_back_as_its_pairs_and_a_broken_one_is_an_error() {
        assert_eq!(
            crate::db::read_joined("movement/newly_poor=3;deprived/water/poor=12").unwrap(),
            vec![("movement/newly_poor", 3), ("deprived/water/poor", 12)]
        );
        assert_eq!(crate::db::read_joined("").unwrap(), Vec::new());
        assert!(crate::db::read_joined("movement/newly_poor").is_err());
        assert!(crate::db::read_joined("movement/newly_poor=x").is_err());
    }

    #[test]
    fn groups_follow_the_members_and_the_year() {
        let elderly = member(Some("1965-03-01"), "Kinh", (0, 0, 0));
        // 59 in 2024: able to work; 60 in 2025: not.
        assert_eq!(groups_in(std::slice::from_ref(&elderly), 2024), vec![]);
        assert_eq!(
            groups_in(std::slice::from_ref(&elderly), 2025),
            vec![Group::NoWorkingCapacity]
        );
        let child = member(Some("2010-01-01"), "kinh", (0, 0, 0));
        // 14 in 2024 cannot work, 15 in 2025 can.
        assert_eq!(
            groups_in(std::slice::from_ref(&child), 2024),
            vec![Group::NoWorkingCapacity]
        );
        assert_eq!(groups_in(std::slice::from_ref(&child), 2025), vec![]);
        let unknown = member(None, "", (1, 1, 0));
        assert_eq!(
            groups_in(&[unknown], 2025),
            vec![Group::Merit, Group::SocialProtection]
        );
        assert_eq!(
            groups_in(&[member(None, "Tày", (0, 0, 1))], 2025),
            vec![Group::EthnicMinority, Group::NoWorkingCapacity]
        );
        assert_eq!(groups_in(&[], 2025), vec![]);
    }

    #[test]
    fn a_child_is_under_sixteen_in_the_year() {
        let born_2010 = [member(Some("2010-12-31"), "Kinh", (0, 0, 0))];
        // 15 in 2025, 16 in 2026; not yet born in 2009; born in 2010.
        assert!(has_child_in(&born_2010, 2025));
        assert!(!has_child_in(&born_2010, 2026));
        assert!(!has_child_in(&born_2010, 2009));
        assert!(has_child_in(&born_2010, 2010));
        assert!(!has_child_in(&[member(None, "Kinh", (0, 0, 0))], 2025));
    }

    #[test]
    fn measures_are_stored_as_codes_and_read_back() {
        for m in [
            Measure::Group(Group::NoWorkingCapacity, Status::NearPoor),
            Measure::Deprived("health_insurance".into(), Status::Poor),
            Measure::Movement(Movement::RePoor),
            Measure::WithChildren(Status::Poor),
            Measure::ChildDeprived("child_schooling".into(), Status::NearPoor),
            Measure::Scored {
                standard: "vn-2022-2025".into(),
                area: Area::Urban,
                status: Status::NearPoor,
                points: 3,
            },
            // A user's standard whose id has a slash is still read back.
            Measure::GroupScored {
                standard: "vn-2022-2025".into(),
                group: Group::NoWorkingCapacity,
                status: Status::Poor,
                points: 4,
            },
            Measure::Missing("preferential_credit".into()),
            Measure::MissingMembers("health_insurance_card".into()),
            Measure::ScoredDeprived {
                standard: "tinh/2026".into(),
                area: Area::Rural,
                indicator: "water".into(),
                points: 12,
            },
        ] {
            assert_eq!(Measure::parse(&m.code()), Some(m.clone()));
            let code = m.code();
            let scored = matches!(
                m,
                Measure::Scored { .. }
                    | Measure::ScoredDeprived { .. }
                    | Measure::GroupScored { .. }
            );
            assert_eq!(
                (SCORES_FROM..SCORES_UNTIL).contains(&code.as_str()),
                scored,
                "{code}"
            );
            assert!(scored || code.as_str() < SCORES_FROM, "{code}");
        }
        for bad in [
            "",
            "group/merit",
            "group/rich/poor",
            "movement/x",
            "deprived//poor",
            "movement/re_poor/1",
            "score/vn-2022-2025/urban/poor/x",
            "score/vn-2022-2025/moon/poor/3",
            "score//urban/poor/3",
            "score/urban/poor/3",
            "score_deprived/vn-2022-2025/urban//3",
            "score_deprived/vn-2022-2025/urban/water/-1",
        ] {
            assert_eq!(Measure::parse(bad), None, "{bad}");
        }
    }

    fn official(status: Status, deprived: &[&str], score: Option<(Area, u32)>) -> Official {
        Official {
            status,
            deprived: deprived.iter().map(|d| d.to_string()).collect(),
            score: score.map(|(area, points)| Scored {
                standard: "vn-2022-2025".into(),
                area,
                points,
            }),
        }
    }

    #[test]
    fn the_recorded_area_is_read_from_the_inputs() {
        assert_eq!(
            recorded_area(r#"{"area":"urban","income_per_capita":1,"deprived":[]}"#),
            Some(Area::Urban)
        );
        assert_eq!(recorded_area(r#"{"area":"rural"}"#), Some(Area::Rural));
        assert_eq!(recorded_area(r#"{"income_per_capita":1}"#), None);
        assert_eq!(recorded_area(r#"{"area":"moon"}"#), None);
        assert_eq!(recorded_area("not json"), None);
    }

    #[test]
    fn a_household_counts_its_groups_deprivations_and_movements() {
        let commune = UnitId::new(7);
        let history = History {
            commune_id: commune,
            years: BTreeMap::from([
                (2022, official(Status::Poor, &["water"], None)),
                (
                    2023,
                    official(Status::NearPoor, &[], Some((Area::Urban, 0))),
                ),
                (
                    2024,
                    official(Status::Poor, &["water", "latrine"], Some((Area::Rural, 4))),
                ),
            ]),
            members: vec![member(Some("1950-01-01"), "Kinh", (1, 0, 0))],
            // Clean water in 2024 (not in 2022: another year's delivery
            // does not close a gap).
            deliveries: vec![
                (2024, "clean_water_sanitation".into(), None),
                (2021, "clean_water_sanitation".into(), None),
            ],
        };
        let mut out = BTreeMap::new();
        tallies(&history, &mut out);
        let get = |year: i64, m: Measure| out.get(&(commune, year, m.code())).copied();
        assert_eq!(
            get(2022, Measure::Group(Group::Merit, Status::Poor)),
            Some(1)
        );
        assert_eq!(
            get(2023, Measure::Group(Group::Merit, Status::NearPoor)),
            Some(1)
        );
        assert_eq!(
            get(2024, Measure::Deprived("latrine".into(), Status::Poor)),
            Some(1)
        );
        assert_eq!(get(2022, Measure::Movement(Movement::NewlyPoor)), Some(1));
        assert_eq!(
            get(2023, Measure::Movement(Movement::EscapedToNearPoor)),
            Some(1)
        );
        assert_eq!(
            get(2023, Measure::Movement(Movement::NewlyNearPoor)),
            Some(1)
        );
        assert_eq!(get(2024, Measure::Movement(Movement::RePoor)), Some(1));
        assert_eq!(
            get(2024, Measure::Movement(Movement::NearPoorToPoor)),
            Some(1)
        );
        assert_eq!(
            get(2025, Measure::Movement(Movement::LeftPoorList)),
            Some(1)
        );
        assert_eq!(get(2024, Measure::Movement(Movement::NewlyPoor)), None);
        // Born 1950, alone: meritorious and unable to work (over 60) in
        // each year.
        assert_eq!(
            get(2024, Measure::Group(Group::NoWorkingCapacity, Status::Poor)),
            Some(1)
        );
        // Scored where the area was recorded: by status and score, and
        // each deprivation by score.
        let scored = |area, status, points| Measure::Scored {
            standard: "vn-2022-2025".into(),
            area,
            status,
            points,
        };
        assert_eq!(get(2023, scored(Area::Urban, Status::NearPoor, 0)), Some(1));
        assert_eq!(get(2024, scored(Area::Rural, Status::Poor, 4)), Some(1));
        assert_eq!(
            get(
                2024,
                Measure::ScoredDeprived {
                    standard: "vn-2022-2025".into(),
                    area: Area::Rural,
                    indicator: "latrine".into(),
                    points: 4,
                }
            ),
            Some(1)
        );
        // Poor and deprived in water in 2022, not served that year: a gap
        // of the water programme; served in 2024.
        let missing = |year| get(year, Measure::Missing("clean_water_sanitation".into()));
        assert_eq!((missing(2022), missing(2024)), (Some(1), None));
        // And each group's score: meritorious and unable to work.
        assert_eq!(
            get(
                2024,
                Measure::GroupScored {
                    standard: "vn-2022-2025".into(),
                    group: Group::Merit,
                    status: Status::Poor,
                    points: 4,
                }
            ),
            Some(1)
        );
        // 3 years × 2 groups + 3 deprivations + 6 movements + 2 scores and
        // the 2 deprivations of 2024 by score (2022 recorded no area) + 2
        // years × 2 groups by score + 1 gap.
        assert_eq!(out.values().sum::<i64>(), 3 * 2 + 3 + 6 + 2 + 2 + 4 + 1);
    }

    /// A policy to members counts the members still missing it: of three
    /// near-poor members without a health-insurance card, one has had it.
    #[test]
    fn members_still_missing_a_policy_are_counted() {
        let commune = UnitId::new(7);
        let adult = member(Some("1980-01-01"), "Kinh", (0, 0, 0));
        let history = History {
            commune_id: commune,
            years: BTreeMap::from([(
                2024,
                official(Status::NearPoor, &["health_insurance"], None),
            )]),
            members: vec![adult.clone(), adult.clone(), adult],
            deliveries: vec![(2024, "health_insurance_card".into(), Some(1))],
        };
        let mut out = BTreeMap::new();
        tallies(&history, &mut out);
        let get = |m: Measure| out.get(&(commune, 2024, m.code())).copied();
        assert_eq!(
            get(Measure::Missing("health_insurance_card".into())),
            Some(1)
        );
        assert_eq!(
            get(Measure::MissingMembers("health_insurance_card".into())),
            Some(2)
        );
    }
}
