//! What the support of a household is worked out from: its latest official
//! assessment (status, deprivations, the income and livelihood it was
//! classified on), its groups, its members' ages and when it last escaped
//! poverty. The policies and the way out are the `support` crate's; this is
//! the edge that reads the registry for them, within the actor's scope.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use crate::tallies::{Group, Measure, MemberFacts, groups_in};
use crate::values::HouseholdId;
use standard::{Area, Livelihood, Status};
use std::collections::{BTreeMap, HashMap};

/// A household as its support is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportFacts {
    /// The year of the latest official assessment.
    pub year: i64,
    pub standard_id: String,
    pub status: Status,
    pub area: Area,
    /// The income per person the assessment was made on, when it says.
    pub income: Option<i64>,
    /// Indicator codes it is deprived in.
    pub deprived: Vec<String>,
    pub livelihood: Livelihood,
    pub groups: Vec<support::Group>,
    /// The members' ages in `year` (unknown births as 0-less: left out of
    /// age-bound policies), in the household page's order.
    pub member_ages: Vec<Option<u32>>,
    /// The last year it escaped poverty, if ever.
    pub escaped_in: Option<i64>,
}

fn support_group(g: Group) -> support::Group {
    match g {
        Group::Merit => support::Group::Merit,
        Group::SocialProtection => support::Group::SocialProtection,
        Group::EthnicMinority => support::Group::EthnicMinority,
        Group::NoWorkingCapacity => support::Group::NoWorkingCapacity,
    }
}

/// A member's age in `year` from a stored birth date ("YYYY-MM-DD").
fn age_in(birth_date: Option<&str>, year: i64) -> Option<u32> {
    birth_date
        .and_then(|b| b.get(..4)?.parse::<i64>().ok())
        .and_then(|born| u32::try_from(year - born).ok())
}

/// The gaps of one household in `year`: the policies it should have had
/// and was not served (`served`: policy code and member index of each
/// delivery of the year). The one rule behind the gap finder's page and
/// the kept gap tallies. `escaped_in` is read from the years `year − 4`
/// to `year`, as [`escaped_in`] is given them.
pub(crate) fn household_gaps<'p>(
    policies: &'p support::Catalogue,
    year: i64,
    status: Status,
    escaped_in: Option<i64>,
    deprived: &[String],
    members: &[MemberFacts],
    served: &[(&str, Option<usize>)],
) -> Vec<support::Gap<'p>> {
    if deprived.is_empty()
        || !support::may_have_gaps(policies, year, Some(status), escaped_in, deprived)
    {
        return Vec::new();
    }
    let groups: Vec<support::Group> = groups_in(members, year)
        .into_iter()
        .map(support_group)
        .collect();
    // Unknown ages fall outside every age band.
    let ages: Vec<u32> = members
        .iter()
        .map(|m| age_in(m.birth_date.as_deref(), year).unwrap_or(u32::MAX))
        .collect();
    let household = support::Household {
        year,
        status: Some(status),
        escaped_in,
        groups: &groups,
        member_ages: &ages,
    };
    support::gaps(policies, &household, deprived, served)
}

/// The income per person and the livelihood an assessment was made on,
/// from its recorded inputs (JSON).
fn income_and_livelihood(inputs: &str) -> (Option<i64>, Livelihood) {
    let inputs: serde_json::Value = serde_json::from_str(inputs).unwrap_or_default();
    let livelihood = match inputs["livelihood"].as_str() {
        Some("farm") => Livelihood::Farm,
        Some("non_farm") => Livelihood::NonFarm,
        _ => Livelihood::Unknown,
    };
    (inputs["income_per_capita"].as_i64(), livelihood)
}

/// The last year a household escaped poverty, from its official statuses
/// (year, status code) in year order: poor one year, not the next.
pub(crate) fn escaped_in<'a>(years: impl Iterator<Item = (i64, &'a str)>) -> Option<i64> {
    let years: Vec<(i64, &str)> = years.collect();
    years
        .windows(2)
        .filter(|w| w[0].0 + 1 == w[1].0 && w[0].1 == "poor" && w[1].1 != "poor")
        .map(|w| w[1].0)
        .next_back()
}

impl Registry {
    /// The facts the support of a household the actor may see is decided
    /// on; None when it is not visible or has no official assessment.
    pub async fn support_facts(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<Option<SupportFacts>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(None);
        }
        let years: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT year, standard_id, status, deprived, inputs FROM assessments WHERE household_id = $1 AND official = 1 ORDER BY year",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        let Some((year, standard_id, status, deprived, inputs)) = years.last().cloned() else {
            return Ok(None);
        };
        let Some(status) = Status::ALL.into_iter().find(|s| s.code() == status) else {
            return Ok(None);
        };
        let escaped_in = escaped_in(years.iter().map(|y| (y.0, y.2.as_str())));
        let (income, livelihood) = income_and_livelihood(&inputs);
        let members: Vec<MemberFacts> = sqlx::query_as(
            "SELECT household_id, birth_date, ethnicity, merit, social_protection, no_working_capacity FROM members WHERE household_id = $1 AND removed_on IS NULL ORDER BY id",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        let member_ages = members
            .iter()
            .map(|m| age_in(m.birth_date.as_deref(), year))
            .collect();
        Ok(Some(SupportFacts {
            year,
            standard_id,
            status,
            area: self.household_area(household_id).await?,
            income,
            deprived: crate::values::codes(&deprived),
            livelihood,
            groups: groups_in(&members, year)
                .into_iter()
                .map(support_group)
                .collect(),
            member_ages,
            escaped_in,
        }))
    }
}

/// One household's gaps: the policies it should have had this year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdGaps {
    pub id: HouseholdId,
    pub code: String,
    pub head_name: String,
    pub village: Option<String>,
    pub status: Status,
    pub gaps: Vec<PolicyGap>,
}

/// Those still missing a policy's support in a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Missing {
    pub households: i64,
    /// For a policy to members: the members eligible and not served.
    pub members: i64,
}

/// A policy a household should have had this year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGap {
    /// The policy's code.
    pub policy: String,
    /// The indicator codes of the household's deprivations it addresses.
    pub indicators: Vec<String>,
    /// For a policy to members: those eligible and not served (id, name).
    pub members: Vec<(crate::values::MemberId, String)>,
}

#[derive(sqlx::FromRow)]
struct GapMember {
    household_id: HouseholdId,
    id: i64,
    full_name: String,
    #[sqlx(flatten)]
    facts: MemberFacts,
}

impl Registry {
    /// The gap finder for one commune (or village) and year: each household
    /// eligible for a policy that addresses one of its deprivations of the
    /// year's official assessment and not served by it that year. Within the
    /// actor's scope; a unit above a commune is refused (an agency's work
    /// list is a commune's). An agency officer's holds its agency's
    /// policies only.
    pub async fn gaps(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
        policies: &support::Catalogue,
    ) -> Result<Vec<HouseholdGaps>, RegistryError> {
        actor.require(crate::gate::Capability::SeeWorkLists)?;
        // Outside the scope it is not found, whatever its level.
        let unit = self.unit_in_scope(actor, unit_code).await?;
        if !matches!(
            unit.level,
            crate::units::Level::Commune | crate::units::Level::Village
        ) {
            return Err(RegistryError::Invalid(vec![format!(
                "đơn vị: {} — chọn một xã (danh sách việc cần làm lập theo xã)",
                unit.name
            )]));
        }
        // A household without a deprivation has no gap: only the others'
        // histories are read.
        let rows = self.household_rows(actor, unit_code, year, true).await?;
        self.gaps_of(actor, rows, year, policies).await
    }

    /// How many households (and members, for a policy to members) still
    /// miss each policy's support in `year` in `unit_code`, by policy code,
    /// from the kept tallies (the gap finder's rule, kept with every write:
    /// a few rows per commune). Within the actor's scope; an agency
    /// officer's counts hold its agency's policies only. Households removed
    /// from the registry since count in the years they were on it.
    pub async fn gap_counts(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: crate::values::ReviewYear,
        policies: &support::Catalogue,
    ) -> Result<BTreeMap<String, Missing>, RegistryError> {
        // Outside the scope it is not found.
        self.unit_in_scope(actor, unit_code).await?;
        let measures: Vec<Measure> = policies
            .policies
            .iter()
            .filter(|p| actor.own_agency().is_none_or(|a| p.agency == a))
            .flat_map(|p| {
                [
                    Measure::Missing(p.code.clone()),
                    Measure::MissingMembers(p.code.clone()),
                ]
            })
            .collect();
        let Some(tallies) = self
            .tallies(actor, Some(unit_code), year, &measures)
            .await?
        else {
            return Err(RegistryError::Invalid(vec![
                "đơn vị: chọn xã, huyện hoặc tỉnh (số liệu tổng hợp giữ theo xã)".into(),
            ]));
        };
        let mut out: BTreeMap<String, Missing> = BTreeMap::new();
        for (measure, n) in tallies.0 {
            match measure {
                Measure::Missing(p) => out.entry(p).or_default().households += n,
                Measure::MissingMembers(p) => out.entry(p).or_default().members += n,
                _ => {}
            }
        }
        Ok(out)
    }

    /// The gaps of these households (their official assessment of `year`).
    async fn gaps_of(
        &self,
        actor: &Actor,
        rows: Vec<crate::export::ListRow>,
        year: i64,
        policies: &support::Catalogue,
    ) -> Result<Vec<HouseholdGaps>, RegistryError> {
        let deprived_in = |row: &crate::export::ListRow| {
            crate::values::codes(row.deprived.as_deref().unwrap_or(""))
        };
        let rows: Vec<crate::export::ListRow> = rows
            .into_iter()
            .filter(|r| r.status.is_some() && !deprived_in(r).is_empty())
            .collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql_list = |ids: &mut dyn Iterator<Item = HouseholdId>| {
            ids.map(|id| id.get().to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let list = sql_list(&mut rows.iter().map(|r| r.id));
        // Only household ids (integers from the database) are formatted into the SQL.
        // By household, then year: the households' index; "by year" alone
        // made SQLite walk every assessment of the registry in year order.
        // Thousands of rows: packed on SQLite, put in order here.
        let mut history: Vec<(HouseholdId, i64, String)> = self
            .db
            .fetch_packed(
                &self.db.pool,
                &format!(
                    "SELECT household_id, year, status FROM assessments WHERE official = 1 AND year >= $1 AND year <= $2 AND household_id IN ({list}) ORDER BY household_id, year"
                ),
                &["household_id", "year", "status"],
                &[year - 4, year],
            )
            .await?;
        history.sort_unstable();
        let mut history_of: HashMap<HouseholdId, Vec<(i64, &str)>> = HashMap::new();
        for h in &history {
            history_of.entry(h.0).or_default().push((h.1, h.2.as_str()));
        }
        // Then only those whose standing some policy addressing their
        // deprivations admits (most of a commune is neither poor, near
        // poor nor lately escaped): their members and deliveries.
        let rows: Vec<(crate::export::ListRow, Vec<String>, Option<i64>)> = rows
            .into_iter()
            .filter_map(|row| {
                let deprived = deprived_in(&row);
                let escaped_in =
                    escaped_in(history_of.remove(&row.id).unwrap_or_default().into_iter());
                support::may_have_gaps(policies, year, row.status, escaped_in, &deprived)
                    .then_some((row, deprived, escaped_in))
            })
            .collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let list = sql_list(&mut rows.iter().map(|r| r.0.id));
        let members: Vec<GapMember> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT household_id, id, full_name, birth_date, ethnicity, merit, social_protection, no_working_capacity \
             FROM members WHERE removed_on IS NULL AND household_id IN ({list}) ORDER BY id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        let delivered: Vec<(HouseholdId, Option<i64>, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT household_id, member_id, policy FROM deliveries WHERE year = $1 AND household_id IN ({list})"),
        ))
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        // By household, so a commune of thousands is read once, not once per household.
        let mut members_of: HashMap<HouseholdId, Vec<&GapMember>> = HashMap::new();
        for m in &members {
            members_of.entry(m.household_id).or_default().push(m);
        }
        let mut delivered_to: HashMap<HouseholdId, Vec<(Option<i64>, &str)>> = HashMap::new();
        for d in &delivered {
            delivered_to
                .entry(d.0)
                .or_default()
                .push((d.1, d.2.as_str()));
        }
        let mut out = Vec::new();
        for (row, deprived, escaped_in) in rows {
            let Some(status) = row.status else {
                continue;
            };
            let mine: Vec<&GapMember> = members_of.remove(&row.id).unwrap_or_default();
            let facts: Vec<MemberFacts> = mine.iter().map(|m| m.facts.clone()).collect();
            let served: Vec<(&str, Option<usize>)> = delivered_to
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(member, policy)| {
                    let member = member.and_then(|m| mine.iter().position(|x| x.id == m));
                    (policy, member)
                })
                .collect();
            let gaps: Vec<PolicyGap> = household_gaps(
                policies, year, status, escaped_in, &deprived, &facts, &served,
            )
            .into_iter()
            .filter(|g| actor.own_agency().is_none_or(|a| g.policy.agency == a))
            .map(|g| PolicyGap {
                policy: g.policy.code.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|&i| {
                        mine.get(i)
                            .map(|m| (crate::values::MemberId::new(m.id), m.full_name.clone()))
                    })
                    .collect(),
                indicators: g.indicators,
            })
            .collect();
            if !gaps.is_empty() {
                out.push(HouseholdGaps {
                    id: row.id,
                    code: row.code,
                    head_name: row.head_name,
                    village: row.village,
                    status,
                    gaps,
                });
            }
        }
        Ok(out)
    }
}

/// A poor household of a commune as its way out is worked out (the page
/// ranks them by how few deprivations separate them from escaping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoorHousehold {
    pub id: HouseholdId,
    pub code: String,
    pub head_name: String,
    pub village: Option<String>,
    pub standard_id: String,
    pub area: Area,
    pub income: Option<i64>,
    pub deprived: Vec<String>,
    pub livelihood: Livelihood,
    /// The plan's type recorded for the profile year (a type 3 only for
    /// those who may see it).
    pub poverty_type: Option<support::PovertyType>,
    /// Causes of poverty recorded for the profile year (catalogue codes).
    pub causes: Vec<String>,
}

/// At most this many poor households are read for the ranking (a commune
/// has a few hundred at most).
const POOR_RANKED: i64 = 5_000;

impl Registry {
    /// The poor households of a unit's communes in a year's official
    /// result, with what their way out is worked out from, and their type
    /// and causes as recorded for `profile_year`.
    pub async fn poor_households(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
        profile_year: i64,
    ) -> Result<Vec<PoorHousehold>, RegistryError> {
        actor.require(crate::gate::Capability::SeeNames)?;
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(Vec::new());
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            id: HouseholdId,
            code: String,
            head_name: String,
            village: Option<String>,
            standard_id: String,
            area: Option<String>,
            inputs: String,
            deprived: String,
            poverty_type: Option<i64>,
            causes: Option<String>,
        }
        let sees_three = self.sees_persuasion_type(actor).await?;
        // Only commune ids (integers from the database) are formatted into the SQL.
        // The communes' households first, then each one's assessment: CROSS
        // JOIN keeps SQLite to that order (from the year's poor of the whole
        // registry it took 100-300 ms at a million households).
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT h.id, h.code, h.head_name, v.name AS village, a.standard_id, u.area, a.inputs, a.deprived, p.poverty_type, p.causes \
             FROM households h CROSS JOIN assessments a \
             JOIN units u ON u.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id \
             LEFT JOIN household_profiles p ON p.household_id = h.id AND p.year = $3 \
             WHERE a.household_id = h.id AND a.year = $1 AND a.official = 1 AND a.status = 'poor' \
             AND h.removed_on IS NULL AND h.commune_id IN ({list}) ORDER BY h.head_sort, h.code LIMIT $2"
        )))
        .bind(year)
        .bind(POOR_RANKED)
        .bind(profile_year)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let (income, livelihood) = income_and_livelihood(&r.inputs);
                PoorHousehold {
                    id: r.id,
                    code: r.code,
                    head_name: r.head_name,
                    village: r.village,
                    standard_id: r.standard_id,
                    area: if r.area.as_deref() == Some("urban") {
                        Area::Urban
                    } else {
                        Area::Rural
                    },
                    income,
                    deprived: crate::values::codes(&r.deprived),
                    livelihood,
                    poverty_type: r
                        .poverty_type
                        .and_then(support::PovertyType::from_number)
                        .filter(|t| sees_three || *t != support::PovertyType::Persuasion),
                    causes: crate::values::codes(&r.causes.unwrap_or_default()),
                }
            })
            .collect())
    }
}
