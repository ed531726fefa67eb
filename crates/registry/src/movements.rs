//! Movements of a unit's households between two approved lists
//! (standards-facts.md §6): start = last year's list, end = this year's.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use crate::values::{HouseholdId, ReviewYear};
use std::collections::BTreeMap;

/// How a household moved between the start and the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Movement {
    /// Poor at start, near-poor at end.
    EscapedToNearPoor,
    /// Poor at start, above the near-poor line at end.
    EscapedAboveNearPoor,
    /// Poor at end, not poor at start, poor in an earlier year.
    RePoor,
    /// Poor at end, not poor at start, never poor before.
    NewlyPoor,
    /// Near-poor at start, above the near-poor line at end.
    EscapedNearPoor,
    /// Near-poor at start, poor at end.
    NearPoorToPoor,
    /// Near-poor at end, not near-poor at start, near-poor in an earlier year.
    ReNearPoor,
    /// Near-poor at end, not near-poor at start, never near-poor before.
    NewlyNearPoor,
    /// Poor at start, not assessed at end (removed, moved away).
    LeftPoorList,
    /// Near-poor at start, not assessed at end.
    LeftNearPoorList,
}

/// The counts of one unit and year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Movements {
    pub start_poor: u64,
    pub end_poor: u64,
    pub start_near_poor: u64,
    pub end_near_poor: u64,
    pub counts: BTreeMap<Movement, u64>,
    /// Each household's movements (a household can have two, e.g. escaped
    /// poverty to near-poor is also newly near-poor).
    pub households: BTreeMap<HouseholdId, Vec<Movement>>,
}

impl Movements {
    pub fn count(&self, m: Movement) -> u64 {
        self.counts.get(&m).copied().unwrap_or(0)
    }

    pub fn escaped(&self) -> u64 {
        self.count(Movement::EscapedToNearPoor) + self.count(Movement::EscapedAboveNearPoor)
    }
}

impl Movements {
    /// The movements as a report (standards-facts.md §6): for the poor, then
    /// the near-poor, last year's list, each way in and out, this year's.
    pub fn report(&self, unit: &str, year: ReviewYear) -> report::Report {
        use report::{Cell, Column, Kind, Report, Section};
        let row = |label: &str, n: u64| vec![Cell::text(label), Cell::Number(n as i64)];
        let c = |m| self.count(m);
        Report {
            title: format!("BIẾN ĐỘNG HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {year}"),
            subtitle: unit.to_string(),
            sheet: format!("Biến động {year}"),
            columns: vec![
                Column::new("Chỉ tiêu", Kind::Text),
                Column::new("Số hộ", Kind::Count),
            ],
            sections: vec![
                Section {
                    heading: Some("Hộ nghèo".into()),
                    rows: vec![
                        row("Hộ nghèo đầu kỳ", self.start_poor),
                        row(
                            "thoát nghèo (thành cận nghèo)",
                            c(Movement::EscapedToNearPoor),
                        ),
                        row(
                            "thoát nghèo (trên chuẩn cận nghèo)",
                            c(Movement::EscapedAboveNearPoor),
                        ),
                        row("tái nghèo", c(Movement::RePoor)),
                        row("nghèo phát sinh", c(Movement::NewlyPoor)),
                        row(
                            "ra khỏi danh sách (không rà soát cuối kỳ)",
                            c(Movement::LeftPoorList),
                        ),
                        row("Hộ nghèo cuối kỳ", self.end_poor),
                    ],
                    subtotal: None,
                },
                Section {
                    heading: Some("Hộ cận nghèo".into()),
                    rows: vec![
                        row("Hộ cận nghèo đầu kỳ", self.start_near_poor),
                        row("thoát cận nghèo", c(Movement::EscapedNearPoor)),
                        row("cận nghèo thành nghèo", c(Movement::NearPoorToPoor)),
                        row("tái cận nghèo", c(Movement::ReNearPoor)),
                        row("cận nghèo phát sinh", c(Movement::NewlyNearPoor)),
                        row(
                            "ra khỏi danh sách (không rà soát cuối kỳ)",
                            c(Movement::LeftNearPoorList),
                        ),
                        row("Hộ cận nghèo cuối kỳ", self.end_near_poor),
                    ],
                    subtotal: None,
                },
            ],
            notes: vec![format!(
                "Đầu kỳ: danh sách được công nhận năm {}; cuối kỳ: năm {year}.",
                year.as_i64() - 1
            )],
            ..Report::default()
        }
    }
}

/// The movements of households given their official status by year.
pub fn movements(statuses: &[(HouseholdId, i64, String)], year: i64) -> Movements {
    let mut by_household: BTreeMap<HouseholdId, BTreeMap<i64, &str>> = BTreeMap::new();
    for (h, y, s) in statuses {
        by_household.entry(*h).or_default().insert(*y, s.as_str());
    }
    let mut out = Movements::default();
    for (h, years) in by_household {
        let start = years.get(&(year - 1)).copied();
        let end = years.get(&year).copied();
        let before = |status: &str| years.range(..year - 1).any(|(_, s)| *s == status);
        let mut moved = Vec::new();
        match (start, end) {
            (Some("poor"), Some("near_poor")) => moved.push(Movement::EscapedToNearPoor),
            (Some("poor"), Some("poor")) => {}
            (Some("poor"), Some(_)) => moved.push(Movement::EscapedAboveNearPoor),
            (Some("poor"), None) => moved.push(Movement::LeftPoorList),
            (_, Some("poor")) => moved.push(if before("poor") {
                Movement::RePoor
            } else {
                Movement::NewlyPoor
            }),
            _ => {}
        }
        match (start, end) {
            (Some("near_poor"), Some("near_poor")) => {}
            (Some("near_poor"), Some("poor")) => moved.push(Movement::NearPoorToPoor),
            (Some("near_poor"), Some(_)) => moved.push(Movement::EscapedNearPoor),
            (Some("near_poor"), None) => moved.push(Movement::LeftNearPoorList),
            (_, Some("near_poor")) => moved.push(if before("near_poor") {
                Movement::ReNearPoor
            } else {
                Movement::NewlyNearPoor
            }),
            _ => {}
        }
        out.start_poor += u64::from(start == Some("poor"));
        out.end_poor += u64::from(end == Some("poor"));
        out.start_near_poor += u64::from(start == Some("near_poor"));
        out.end_near_poor += u64::from(end == Some("near_poor"));
        for m in &moved {
            *out.counts.entry(*m).or_default() += 1;
        }
        if !moved.is_empty() {
            out.households.insert(h, moved);
        }
    }
    out
}

impl Registry {
    /// Movements of a unit (with what is under it or merged into it) in a year.
    pub async fn movements(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
    ) -> Result<Movements, RegistryError> {
        let year = year.as_i64();
        let unit = self
            .unit_by_code(unit_code)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        self.require_in_scope(actor, unit.id, || format!("đơn vị \"{unit_code}\""))
            .await?;
        let family = self.unit_family(unit.id).await?;
        let statuses = self.official_statuses(&family, year).await?;
        Ok(movements(&statuses, year))
    }
}
