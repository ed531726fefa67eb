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
    /// By commune code (as at the year's end; its name in `names`).
    pub by_commune: Vec<GroupMeasures>,
    /// By group of households (`tallies::Group` codes): H, A, M0 and their
    /// errors, each group a domain of the whole; a household can be in
    /// several groups, and the indicators are not kept by group.
    pub by_group: Vec<GroupMeasures>,
    /// Each commune's name by code.
    pub names: std::collections::BTreeMap<String, String>,
}

/// How much of a unit's measures to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// With a table by commune, from each commune's sheet.
    ByCommune,
    /// The whole unit's, by area and by group, from the tallies summed.
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
        self.statistics_with(actor, unit_code, year, standard, &counts, Detail::ByCommune)
            .await
    }

    /// The measures of `unit_code` in the first of `years` (as
    /// [`Registry::statistics`]) and the whole unit's in the others (by
    /// area and by group, no table by commune), in the same order: a page
    /// comparing a year with the one before reads the year before from
    /// the kept tallies summed (a province's roll-up: a few hundred rows),
    /// not from each commune's sheet. The years' counts (whether each is
    /// closed) are read once for all.
    pub async fn statistics_of_years(
        &self,
        actor: &Actor,
        unit_code: &str,
        years: &[ReviewYear],
        standard: &Standard,
    ) -> Result<Vec<Option<Statistics>>, RegistryError> {
        let counts = self.year_counts(actor, Some(unit_code)).await?;
        futures_util::future::try_join_all(years.iter().enumerate().map(|(i, y)| {
            let detail = if i == 0 {
                Detail::ByCommune
            } else {
                Detail::Whole
            };
            self.statistics_with(actor, unit_code, *y, standard, &counts, detail)
        }))
        .await
    }

    /// The measures of `unit_code` in `year`, whether the year is closed
    /// read from `counts` (the unit's `year_counts`).
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
        let mut codes: std::collections::HashMap<UnitId, String> = Default::default();
        let mut names: std::collections::BTreeMap<String, String> = Default::default();
        let rows = match detail {
            Detail::ByCommune => {
                // Each commune's name as the commune that reviews it at the
                // year's end, then the households by commune id.
                for (id, code, name, _) in self.reviewers_at(&ids, y).await? {
                    codes.insert(id, code.clone());
                    names.insert(code, name);
                }
                // The kept score tallies: a few dozen rows per commune,
                // whatever its size (`tallies::Measure::Scored`,
                // `ScoredDeprived`).
                let communes = self.db.backend().in_ids("commune_id", &ids);
                self.commune_tallies(y, &communes, crate::tallies::Band::Scores)
                    .await?
            }
            // The unit's tallies summed, as the sheet of one commune
            // without a code.
            Detail::Whole => match self.summed_tallies(actor, unit_code, y).await? {
                Some(rows) => rows,
                None => return Ok(None),
            },
        };
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
        if detail == Detail::Whole {
            by_commune.clear();
        }
        by_area.pop();
        let by_group = group_measures(standard, &config, &scored, &grouped)
            .ok_or_else(|| misfit("score_group"))?;
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
