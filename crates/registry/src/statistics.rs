//! The statistics office's figures (issue 12): the Alkire–Foster measures
//! of a unit and year from the official assessments (each household's
//! area, income and deprivations, as the assessment recorded them), for
//! the whole unit, by area and by commune, with standard errors, and the
//! change from another year. The registry is a census of the households on
//! it; the standard errors are those of a simple random sample of
//! households, each group a domain of the whole (`measure`).

use crate::error::RegistryError;
use crate::gate::{Actor, id_list};
use crate::service::Registry;
use crate::units::{SUCCESSOR_JOIN, successor};
use crate::values::{ReviewYear, UnitId};
use futures_util::TryStreamExt;
use measure::{Accumulator, Config, GroupMeasures, Row};
use standard::{Area, DeprivationSet, Standard};
use std::collections::BTreeSet;

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
    /// Each commune's name by code.
    pub names: std::collections::BTreeMap<String, String>,
    /// With incomes deflated by the CPI factor asked for (the lines
    /// updated for prices), for statistical reporting beside the legal
    /// rates: (factor, measures of the whole unit).
    pub cpi: Option<(f64, GroupMeasures)>,
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
        cpi_factor: Option<f64>,
    ) -> Result<Option<Statistics>, RegistryError> {
        self.unit_in_scope(actor, unit_code).await?;
        let communes: BTreeSet<UnitId> = self
            .communes_within(actor, unit_code)
            .await?
            .into_iter()
            .collect();
        if communes.is_empty() {
            return Ok(None);
        }
        let y = year.as_i64();
        let day = format!("'{y}-12-31'");
        let list = id_list(&communes);
        // Each commune's name as the commune that reviews it at the year's
        // end (a few hundred rows), then the households by commune id.
        let sql = format!(
            "SELECT u.id, {}, {} FROM units u {SUCCESSOR_JOIN} WHERE u.id IN ({list})",
            successor("code", &day),
            successor("name", &day)
        );
        // Only unit ids (integers from the database) and the year are
        // formatted into the SQL.
        let reviewers: Vec<(UnitId, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.db.reports())
            .await?;
        let codes: std::collections::HashMap<UnitId, String> = reviewers
            .iter()
            .map(|(id, code, _)| (*id, code.clone()))
            .collect();
        let names: std::collections::BTreeMap<String, String> = reviewers
            .into_iter()
            .map(|(_, code, name)| (code, name))
            .collect();
        let sql = format!(
            "SELECT h.id, h.commune_id, a.inputs FROM assessments a JOIN households h ON h.id = a.household_id \
             WHERE a.year = $1 AND a.official = 1 AND a.standard_id = $2 AND h.commune_id IN ({list})"
        );
        let config = Config::for_standard(standard);
        let mut by_commune = Accumulator::new(standard, config.clone());
        let mut by_area = Accumulator::new(standard, config.clone());
        let mut deflated = Accumulator::new(standard, config);
        let mut rows = sqlx::query_as::<_, (i64, UnitId, String)>(sqlx::AssertSqlSafe(sql))
            .bind(y)
            .bind(&standard.id)
            .fetch(self.db.reports());
        let mut seen = false;
        while let Some((id, commune_id, inputs)) = rows.try_next().await? {
            seen = true;
            let commune = codes.get(&commune_id).map_or("", String::as_str);
            let Ok(inputs) = serde_json::from_str::<Inputs>(&inputs) else {
                continue;
            };
            let area = if inputs.area == "urban" {
                Area::Urban
            } else {
                Area::Rural
            };
            let mut deprivations = DeprivationSet::EMPTY;
            for code in &inputs.deprived {
                if let Some(i) = standard.indicator_index(code) {
                    deprivations.insert(i);
                }
            }
            let row = Row {
                area,
                income_per_capita: inputs.income_per_capita,
                deprivations,
                weight: 1.0,
                members: 1,
                key: flatfile::hash_id(id.to_string().as_bytes()),
            };
            by_commune.add(Some(commune.as_bytes()), &row, None);
            by_area.add(Some(area.code().as_bytes()), &row, None);
            if let Some(factor) = cpi_factor {
                // Income in the line's prices: the same as the line raised
                // by the factor.
                let real = Row {
                    income_per_capita: (row.income_per_capita as f64 / factor).round() as i64,
                    ..row
                };
                deflated.add(None, &real, None);
            }
        }
        drop(rows);
        if !seen {
            return Ok(None);
        }
        let mut by_commune = by_commune.finish();
        let mut by_area = by_area.finish();
        let Some(total) = by_commune.pop() else {
            return Ok(None);
        };
        by_area.pop();
        let closed = self
            .year_counts(actor, Some(unit_code))
            .await?
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
            names,
            cpi: cpi_factor.and_then(|f| deflated.finish().pop().map(|m| (f, m))),
        }))
    }
}
