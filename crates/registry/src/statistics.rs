//! The statistics office's figures (issue 12): the Alkire–Foster measures
//! of a unit and year from the official assessments, for the whole unit,
//! by area and by commune, with standard errors. They are read from the
//! kept score tallies (households by standard, area, status and score, and
//! by score and deprivation, kept with every write), so a province reads a
//! few dozen rows per commune; only the rates at updated prices read each
//! household's recorded income. The registry is a census of the households on
//! it; the standard errors are those of a simple random sample of
//! households, each group a domain of the whole (`measure`).

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use crate::tallies::{Group, Measure};
use crate::values::{ReviewYear, UnitId};
use futures_util::TryStreamExt;
use measure::{Accumulator, Config, GroupId, GroupMeasures, Row};
use standard::{Area, DeprivationSet, Standard, Status};
use std::collections::BTreeMap;

/// A unit's measures in a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    pub year: i64,
    /// The standard the year's assessments were made under.
    pub standard_id: String,
    /// Whether every commune has closed the year's review.
    pub closed: bool,
    pub total: GroupMeasures,
    /// "urban", "rural".
    pub by_area: Vec<GroupMeasures>,
    /// By commune code (as at the year's end; its name in `names`), in
    /// the order of the codes: the communes asked for.
    pub by_commune: Vec<GroupMeasures>,
    /// The number of communes of the unit (of all the table's pages).
    pub communes: usize,
    /// By group of households (`tallies::Group` codes): H, A, M0 and their
    /// errors, each group a domain of the whole; a household can be in
    /// several groups, and the indicators are not kept by group.
    pub by_group: Vec<GroupMeasures>,
    /// Each commune's name by code.
    pub names: std::collections::BTreeMap<String, String>,
}

/// A unit's measures: in all, by area, by group and by commune.
struct Measured {
    total: GroupMeasures,
    by_area: Vec<GroupMeasures>,
    by_group: Vec<GroupMeasures>,
    by_commune: Vec<GroupMeasures>,
}

/// The measures of the tallies `rows` (`codes`: each sheet's commune
/// code; a sheet without one counts in the whole only). None when no
/// household was scored under `standard`.
fn measured(
    standard: &Standard,
    rows: &crate::tallies::CommuneTallies,
    codes: &std::collections::HashMap<UnitId, String>,
) -> Result<Option<Measured>, RegistryError> {
    let config = Config::for_standard(standard);
    let mut by_commune = Accumulator::new(standard, config.clone());
    let mut by_area = Accumulator::new(standard, config.clone());
    // Households by status and score, in all and in each group: a
    // group's errors are those of a domain of the whole sample.
    let mut scored: BTreeMap<(Status, u32), u64> = BTreeMap::new();
    let mut grouped: BTreeMap<(Group, Status, u32), u64> = BTreeMap::new();
    // What each measure adds, worked out once (its area's group too).
    enum Adds {
        Grouped(Group, Status, u32),
        Scored(GroupId, Status, u32),
        Deprived(GroupId, Option<usize>, u32),
        Nothing,
    }
    let adds: Vec<Adds> = rows
        .measures
        .iter()
        .map(|(_, measure)| match measure {
            Some(Measure::GroupScored {
                standard: id,
                group,
                status,
                points,
            }) if *id == standard.id => Adds::Grouped(*group, *status, *points),
            Some(Measure::Scored {
                standard: id,
                area,
                status,
                points,
            }) if *id == standard.id => {
                Adds::Scored(by_area.group(area.code().as_bytes()), *status, *points)
            }
            Some(Measure::ScoredDeprived {
                standard: id,
                area,
                indicator,
                points,
            }) if *id == standard.id => Adds::Deprived(
                by_area.group(area.code().as_bytes()),
                standard.indicator_index(indicator),
                *points,
            ),
            _ => Adds::Nothing,
        })
        .collect();
    let mut seen = false;
    // Each measure's households over all communes: the areas' and the
    // groups' sums take them once per measure, not once per commune.
    let mut whole: Vec<u64> = vec![0; adds.len()];
    for (commune_id, tallies) in &rows.communes {
        let commune = codes.get(commune_id).map_or("", String::as_str);
        let mut group: Option<GroupId> = None;
        for &(i, n) in tallies {
            let (Some(adds), Some((code, _))) = (adds.get(i), rows.measures.get(i)) else {
                continue;
            };
            let n = u64::try_from(n).map_err(|_| misfit(code))?;
            whole[i] += n;
            // Households of a status, or of those the ones deprived in
            // an indicator, with their score, by commune.
            let added = match *adds {
                Adds::Grouped(..) | Adds::Nothing => continue,
                Adds::Scored(_, status, points) => {
                    let c = *group.get_or_insert_with(|| by_commune.group(commune.as_bytes()));
                    seen = true;
                    by_commune.add_counted(c, status, points, n)
                }
                Adds::Deprived(_, indicator, points) => {
                    let c = *group.get_or_insert_with(|| by_commune.group(commune.as_bytes()));
                    indicator.and_then(|i| by_commune.add_counted_deprived(c, i, points, n))
                }
            };
            added.ok_or_else(|| misfit(code))?;
        }
    }
    // The same by area, and by status and score, in all and by group.
    for ((adds, (code, _)), n) in adds.iter().zip(&rows.measures).zip(whole) {
        if n == 0 {
            continue;
        }
        let added = match *adds {
            Adds::Grouped(g, status, points) => {
                *grouped.entry((g, status, points)).or_default() += n;
                continue;
            }
            Adds::Nothing => continue,
            Adds::Scored(a, status, points) => {
                *scored.entry((status, points)).or_default() += n;
                by_area.add_counted(a, status, points, n)
            }
            Adds::Deprived(a, indicator, points) => {
                indicator.and_then(|i| by_area.add_counted_deprived(a, i, points, n))
            }
        };
        added.ok_or_else(|| misfit(code))?;
    }
    if !seen {
        return Ok(None);
    }
    let mut by_commune = by_commune.finish();
    let mut by_area = by_area.finish();
    let Some(total) = by_commune.pop() else {
        return Ok(None);
    };
    by_area.pop();
    let by_group = group_measures(standard, &config, &scored, &grouped)
        .ok_or_else(|| misfit("score_group"))?;
    Ok(Some(Measured {
        total,
        by_area,
        by_group,
        by_commune,
    }))
}

/// Some communes' sheets with, as one more commune without an id, the
/// rest of `whole` (a unit's tallies summed, `summed_tallies`): each
/// measure's households in the unit less those of the communes.
fn with_rest(
    mut communes: crate::tallies::CommuneTallies,
    whole: crate::tallies::CommuneTallies,
) -> Result<crate::tallies::CommuneTallies, RegistryError> {
    let mut index: std::collections::HashMap<String, usize> = communes
        .measures
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (code.clone(), i))
        .collect();
    let mut rest: Vec<i64> = vec![0; communes.measures.len()];
    let summed = whole.communes.into_iter().flat_map(|(_, tallies)| tallies);
    for (i, n) in summed {
        let Some((code, measure)) = whole.measures.get(i) else {
            continue;
        };
        let at = *index.entry(code.clone()).or_insert_with(|| {
            communes.measures.push((code.clone(), measure.clone()));
            rest.push(0);
            communes.measures.len() - 1
        });
        rest[at] += n;
    }
    for (_, tallies) in &communes.communes {
        for &(i, n) in tallies {
            rest[i] -= n;
        }
    }
    if let Some(i) = rest.iter().position(|n| *n < 0) {
        return Err(misfit(&communes.measures[i].0));
    }
    let rest = rest
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n != 0)
        .collect();
    communes.communes.push((UnitId::new(0), rest));
    Ok(communes)
}

/// How much of a unit's measures to read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Detail {
    /// With the table by commune: the communes at these places in the
    /// order of their codes.
    ByCommune(std::ops::Range<usize>),
    /// The whole unit's, by area and by group.
    Whole,
}

/// What an assessment recorded of its inputs.
#[derive(serde::Deserialize)]
struct Inputs {
    area: String,
    #[serde(default)]
    deprived: Vec<String>,
    income_per_capita: i64,
}

impl Registry {
    /// The measures of `unit_code` in `year` under `standard` (None when
    /// no household of the unit was assessed under it that year).
    pub async fn statistics(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        standard: &Standard,
    ) -> Result<Option<Statistics>, RegistryError> {
        let counts = self.year_counts(actor, Some(unit_code)).await?;
        self.statistics_with(
            actor,
            unit_code,
            year,
            standard,
            &counts,
            Detail::ByCommune(0..usize::MAX),
        )
        .await
    }

    /// The measures of `unit_code` in the first of `years` (as
    /// [`Registry::statistics`], its table by commune only the communes at
    /// the places `communes` in the order of their codes) and the whole
    /// unit's in the others (by area and by group, no table by commune),
    /// in the same order: a page comparing a year with the one before
    /// shows a page of communes, and reads the year before only for the
    /// change. The years' counts (whether each is closed) are read once
    /// for all.
    pub async fn statistics_of_years(
        &self,
        actor: &Actor,
        unit_code: &str,
        years: &[ReviewYear],
        standard: &Standard,
        communes: std::ops::Range<usize>,
    ) -> Result<Vec<Option<Statistics>>, RegistryError> {
        let counts = self.year_counts(actor, Some(unit_code)).await?;
        futures_util::future::try_join_all(years.iter().enumerate().map(|(i, y)| {
            let detail = if i == 0 {
                Detail::ByCommune(communes.clone())
            } else {
                Detail::Whole
            };
            self.statistics_with(actor, unit_code, *y, standard, &counts, detail)
        }))
        .await
    }

    /// The measures of `unit_code` in `year`, whether the year is closed
    /// read from `counts` (the unit's `year_counts`). The whole unit's,
    /// by area and by group, from its kept tallies summed (a province's
    /// roll-up: a few hundred rows); the table by commune, when asked,
    /// from the sheets of the communes on its page only.
    async fn statistics_with(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        standard: &Standard,
        counts: &[crate::views::YearCounts],
        detail: Detail,
    ) -> Result<Option<Statistics>, RegistryError> {
        let ids: std::collections::BTreeSet<UnitId> = self
            .communes_within(actor, unit_code)
            .await?
            .into_iter()
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let y = year.as_i64();
        let page = async {
            let Detail::ByCommune(wanted) = &detail else {
                return Ok(None);
            };
            // Each commune as the commune that reviews it at the year's
            // end, in the order of their codes; the page's, with their
            // names, then their sheets (a few dozen tallies each).
            let reviewers = self.reviewers_at(&ids, y).await?;
            let all: std::collections::BTreeSet<&str> = reviewers
                .iter()
                .map(|(_, code, _, _)| code.as_str())
                .collect();
            let on_page: std::collections::BTreeSet<&str> = all
                .iter()
                .skip(wanted.start)
                .take(wanted.end.saturating_sub(wanted.start))
                .copied()
                .collect();
            let mut codes: std::collections::HashMap<UnitId, String> = Default::default();
            let mut names: BTreeMap<String, String> = Default::default();
            for (id, code, name, _) in &reviewers {
                if on_page.contains(code.as_str()) {
                    codes.insert(*id, code.clone());
                    names.insert(code.clone(), name.clone());
                }
            }
            let page_ids: std::collections::BTreeSet<UnitId> = codes.keys().copied().collect();
            let rows = if page_ids.is_empty() {
                crate::tallies::CommuneTallies::default()
            } else {
                let communes = self.db.backend().in_ids("commune_id", &page_ids);
                self.commune_tallies(y, &communes, crate::tallies::Band::Scores)
                    .await?
            };
            Ok::<_, RegistryError>(Some((rows, codes, names, all.len())))
        };
        let (whole, page) = tokio::try_join!(self.summed_tallies(actor, unit_code, y), page)?;
        let Some(whole) = whole else {
            return Ok(None);
        };
        // The page's communes and the rest of the unit as one more group
        // (without a code, not shown): a commune's standard errors are
        // those of a domain of the whole unit's households.
        let (rows, codes, names, communes) = match page {
            None => (whole, Default::default(), BTreeMap::new(), 0),
            Some((rows, codes, names, count)) => (with_rest(rows, whole)?, codes, names, count),
        };
        let Some(Measured {
            total,
            by_area,
            by_group,
            mut by_commune,
        }) = measured(standard, &rows, &codes)?
        else {
            return Ok(None);
        };
        by_commune.retain(|g| !g.group.is_empty());
        by_commune.sort_by(|a, b| a.group.cmp(&b.group));
        let closed = counts
            .iter()
            .find(|c| c.year == y)
            .is_some_and(|c| c.closed());
        Ok(Some(Statistics {
            year: y,
            standard_id: standard.id.clone(),
            closed,
            total,
            by_area,
            by_commune,
            communes,
            by_group,
            names,
        }))
    }

    /// The poor and near-poor rates of `unit_code` in `year` with incomes
    /// brought to the prices of the standard's lines by `factor` (the same
    /// as the lines raised by it): for statistical reporting beside the
    /// legal rates. Reads every household's recorded income, so it is
    /// asked for apart.
    pub async fn statistics_at_prices(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        standard: &Standard,
        factor: f64,
    ) -> Result<Option<GroupMeasures>, RegistryError> {
        let Some(list) = self.commune_list_within(actor, unit_code).await? else {
            return Ok(None);
        };
        // Only unit ids (integers from the database) are formatted into the SQL.
        let sql = format!(
            "SELECT h.id, a.inputs FROM assessments a JOIN households h ON h.id = a.household_id \
             WHERE a.year = $1 AND a.official = 1 AND a.standard_id = $2 AND h.commune_id IN ({list})"
        );
        let mut deflated = Accumulator::new(standard, Config::for_standard(standard));
        let mut rows = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql))
            .bind(year.as_i64())
            .bind(&standard.id)
            .fetch(self.db.reports());
        while let Some((id, inputs)) = rows.try_next().await? {
            let Ok(inputs) = serde_json::from_str::<Inputs>(&inputs) else {
                continue;
            };
            let Some(area) = Area::parse_bytes(inputs.area.as_bytes()) else {
                continue;
            };
            let mut deprivations = DeprivationSet::EMPTY;
            for code in &inputs.deprived {
                if let Some(i) = standard.indicator_index(code) {
                    deprivations.insert(i);
                }
            }
            let row = Row {
                area,
                // Income in the line's prices: the same as the line raised
                // by the factor.
                income_per_capita: (inputs.income_per_capita as f64 / factor).round() as i64,
                deprivations,
                weight: 1.0,
                members: 1,
                key: flatfile::hash_id(id.to_string().as_bytes()),
            };
            deflated.add(None, &row, None);
        }
        Ok(deflated.finish().pop().filter(|g| g.households > 0))
    }
}

/// The measures of each group present: the group and the rest of the
/// households measured together, so that the group is a domain of the
/// whole sample (groups overlap: one accumulator each). None when a count
/// does not fit the standard.
fn group_measures(
    standard: &Standard,
    config: &Config,
    scored: &BTreeMap<(Status, u32), u64>,
    grouped: &BTreeMap<(Group, Status, u32), u64>,
) -> Option<Vec<GroupMeasures>> {
    let mut out = Vec::new();
    for group in Group::ALL {
        let mut acc = Accumulator::new(standard, config.clone());
        let (mine, rest) = (acc.group(group.code().as_bytes()), acc.group(b"\0rest"));
        let mut any = false;
        for (&(status, points), &all) in scored {
            let n = grouped.get(&(group, status, points)).copied().unwrap_or(0);
            any |= n > 0;
            acc.add_counted(mine, status, points, n)?;
            acc.add_counted(rest, status, points, all.checked_sub(n)?)?;
        }
        if any {
            out.extend(acc.finish().into_iter().filter(|g| g.group == group.code()));
        }
    }
    Some(out)
}

/// A kept score tally that does not fit the standard it names (a score
/// beyond its denominator, an indicator it does not have): the tallies
/// need `db check`.
fn misfit(measure: &str) -> RegistryError {
    RegistryError::Invalid(vec![format!(
        "số liệu tổng hợp \"{measure}\" không khớp chuẩn nghèo; chạy \"giamngheo db check\""
    )])
}
