//! Movements of a unit's households between two approved lists
//! (standards-facts.md §6): start = last year's list, end = this year's.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use crate::values::{HouseholdId, ReviewYear};
use standard::{Language, Status};
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

impl Movement {
    pub const ALL: [Movement; 10] = [
        Movement::EscapedToNearPoor,
        Movement::EscapedAboveNearPoor,
        Movement::RePoor,
        Movement::NewlyPoor,
        Movement::EscapedNearPoor,
        Movement::NearPoorToPoor,
        Movement::ReNearPoor,
        Movement::NewlyNearPoor,
        Movement::LeftPoorList,
        Movement::LeftNearPoorList,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Movement::EscapedToNearPoor => "escaped_to_near_poor",
            Movement::EscapedAboveNearPoor => "escaped_above_near_poor",
            Movement::RePoor => "re_poor",
            Movement::NewlyPoor => "newly_poor",
            Movement::EscapedNearPoor => "escaped_near_poor",
            Movement::NearPoorToPoor => "near_poor_to_poor",
            Movement::ReNearPoor => "re_near_poor",
            Movement::NewlyNearPoor => "newly_near_poor",
            Movement::LeftPoorList => "left_poor_list",
            Movement::LeftNearPoorList => "left_near_poor_list",
        }
    }

    pub fn parse(code: &str) -> Option<Movement> {
        Movement::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// What a list filters on among the movements into a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementFilter {
    /// Poor the year before, not poor this year (to near-poor or above).
    Escaped,
    /// Poor, never poor before.
    NewlyPoor,
    /// Poor again after escaping.
    RePoor,
}

impl MovementFilter {
    pub const ALL: [MovementFilter; 3] = [
        MovementFilter::Escaped,
        MovementFilter::NewlyPoor,
        MovementFilter::RePoor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MovementFilter::Escaped => "escaped",
            MovementFilter::NewlyPoor => "newly_poor",
            MovementFilter::RePoor => "re_poor",
        }
    }

    pub fn parse(code: &str) -> Option<MovementFilter> {
        MovementFilter::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The movements it is made of (a household has at most one of them).
    pub fn movements(self) -> &'static [Movement] {
        match self {
            MovementFilter::Escaped => {
                &[Movement::EscapedToNearPoor, Movement::EscapedAboveNearPoor]
            }
            MovementFilter::NewlyPoor => &[Movement::NewlyPoor],
            MovementFilter::RePoor => &[Movement::RePoor],
        }
    }
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
    pub fn report(&self, unit: &str, year: ReviewYear, language: Language) -> report::Report {
        use report::{Cell, Column, Kind, Report, Section};
        let w = |vi: &'static str, en: &'static str| match language {
            Language::Vi => vi,
            Language::En => en,
        };
        let row = |label: &str, n: u64| vec![Cell::text(label), Cell::Number(n as i64)];
        let c = |m| self.count(m);
        let left = w(
            "ra khỏi danh sách (không rà soát cuối kỳ)",
            "left the list (not reviewed at the end)",
        );
        Report {
            title: match language {
                Language::Vi => format!("BIẾN ĐỘNG HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {year}"),
                Language::En => format!("MOVEMENTS OF POOR AND NEAR-POOR HOUSEHOLDS, {year}"),
            },
            subtitle: unit.to_string(),
            sheet: format!("{} {year}", w("Biến động", "Movements")),
            columns: vec![
                Column::new(w("Chỉ tiêu", "Item"), Kind::Text),
                Column::new(w("Số hộ", "Households"), Kind::Count),
            ],
            sections: vec![
                Section {
                    heading: Some(w("Hộ nghèo", "Poor households").into()),
                    rows: vec![
                        row(w("Hộ nghèo đầu kỳ", "Poor at the start"), self.start_poor),
                        row(
                            w(
                                "thoát nghèo (thành cận nghèo)",
                                "escaped poverty (to near-poor)",
                            ),
                            c(Movement::EscapedToNearPoor),
                        ),
                        row(
                            w(
                                "thoát nghèo (trên chuẩn cận nghèo)",
                                "escaped poverty (above near-poor)",
                            ),
                            c(Movement::EscapedAboveNearPoor),
                        ),
                        row(w("tái nghèo", "poor again"), c(Movement::RePoor)),
                        row(w("nghèo phát sinh", "newly poor"), c(Movement::NewlyPoor)),
                        row(left, c(Movement::LeftPoorList)),
                        row(w("Hộ nghèo cuối kỳ", "Poor at the end"), self.end_poor),
                    ],
                    subtotal: None,
                },
                Section {
                    heading: Some(w("Hộ cận nghèo", "Near-poor households").into()),
                    rows: vec![
                        row(
                            w("Hộ cận nghèo đầu kỳ", "Near-poor at the start"),
                            self.start_near_poor,
                        ),
                        row(
                            w("thoát cận nghèo", "escaped near-poverty"),
                            c(Movement::EscapedNearPoor),
                        ),
                        row(
                            w("cận nghèo thành nghèo", "near-poor become poor"),
                            c(Movement::NearPoorToPoor),
                        ),
                        row(
                            w("tái cận nghèo", "near-poor again"),
                            c(Movement::ReNearPoor),
                        ),
                        row(
                            w("cận nghèo phát sinh", "newly near-poor"),
                            c(Movement::NewlyNearPoor),
                        ),
                        row(left, c(Movement::LeftNearPoorList)),
                        row(
                            w("Hộ cận nghèo cuối kỳ", "Near-poor at the end"),
                            self.end_near_poor,
                        ),
                    ],
                    subtotal: None,
                },
            ],
            notes: vec![match language {
                Language::Vi => format!(
                    "Đầu kỳ: danh sách được công nhận năm {}; cuối kỳ: năm {year}.",
                    year.as_i64() - 1
                ),
                Language::En => format!(
                    "Start: the lists recognised in {}; end: in {year}.",
                    year.as_i64() - 1
                ),
            }],
            ..Report::default()
        }
    }
}

/// A household's movements into `year`, from its official status by year
/// (a household can have two, e.g. escaped poverty to near-poor is also
/// newly near-poor).
pub(crate) fn household_movements(years: &BTreeMap<i64, Status>, year: i64) -> Vec<Movement> {
    use Status::{NearPoor, Poor};
    let start = years.get(&(year - 1)).copied();
    let end = years.get(&year).copied();
    let before = |status: Status| years.range(..year - 1).any(|(_, s)| *s == status);
    let mut moved = Vec::new();
    match (start, end) {
        (Some(Poor), Some(NearPoor)) => moved.push(Movement::EscapedToNearPoor),
        (Some(Poor), Some(Poor)) => {}
        (Some(Poor), Some(_)) => moved.push(Movement::EscapedAboveNearPoor),
        (Some(Poor), None) => moved.push(Movement::LeftPoorList),
        (_, Some(Poor)) => moved.push(if before(Poor) {
            Movement::RePoor
        } else {
            Movement::NewlyPoor
        }),
        _ => {}
    }
    match (start, end) {
        (Some(NearPoor), Some(NearPoor)) => {}
        (Some(NearPoor), Some(Poor)) => moved.push(Movement::NearPoorToPoor),
        (Some(NearPoor), Some(_)) => moved.push(Movement::EscapedNearPoor),
        (Some(NearPoor), None) => moved.push(Movement::LeftNearPoorList),
        (_, Some(NearPoor)) => moved.push(if before(NearPoor) {
            Movement::ReNearPoor
        } else {
            Movement::NewlyNearPoor
        }),
        _ => {}
    }
    moved
}

/// The movements of households given their official status by year.
pub fn movements(statuses: &[(HouseholdId, i64, Status)], year: i64) -> Movements {
    let mut by_household: BTreeMap<HouseholdId, BTreeMap<i64, Status>> = BTreeMap::new();
    for (h, y, s) in statuses {
        by_household.entry(*h).or_default().insert(*y, *s);
    }
    let mut out = Movements::default();
    for (h, years) in by_household {
        let start = years.get(&(year - 1)).copied();
        let end = years.get(&year).copied();
        let moved = household_movements(&years, year);
        out.start_poor += u64::from(start == Some(Status::Poor));
        out.end_poor += u64::from(end == Some(Status::Poor));
        out.start_near_poor += u64::from(start == Some(Status::NearPoor));
        out.end_near_poor += u64::from(end == Some(Status::NearPoor));
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
        let units = self
            .list_units(actor, Some(unit_code))
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        let statuses = self.official_statuses(&units, year).await?;
        Ok(movements(&statuses, year))
    }
}
