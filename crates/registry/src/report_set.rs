//! The official report set of a unit and year (issue 12): review results
//! by commune with urban and rural subtotals, movements with their
//! identity checked, deprivations, groups and types, causes, and the
//! support delivered. Every figure comes from the kept counts and tallies
//! of the communes (a few rows each) and, for causes and deliveries, from
//! the year's records of the unit's communes — never typed in.
//!
//! [`Registry::report_figures`] reads; the report builders are pure
//! functions of [`ReportFigures`], so a test checks them against tables
//! computed by hand.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::movements::Movement;
use crate::service::Registry;
use crate::tallies::{Group, Measure};
use crate::units::Unit;
use crate::values::{ReviewYear, UnitId};
use report::{Cell, Column, Kind, Report, Section};
use rustc_hash::FxHashMap;
use standard::{Language, Standard, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

/// A report of the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReportKind {
    /// Poor, near-poor and average-living households by commune.
    Results,
    /// Movements of poor and near-poor households by commune.
    Movements,
    /// Poor and near-poor households deprived in each indicator.
    Deprivations,
    /// Poor and near-poor households by group and by the plan's type.
    Groups,
    /// Poor and near-poor households by cause of poverty.
    Causes,
    /// Deprivations of poor and near-poor households with children.
    Children,
    /// Support delivered, by policy and agency.
    Support,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::Results,
        ReportKind::Movements,
        ReportKind::Deprivations,
        ReportKind::Groups,
        ReportKind::Causes,
        ReportKind::Children,
        ReportKind::Support,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Results => "results",
            ReportKind::Movements => "movements",
            ReportKind::Deprivations => "deprivations",
            ReportKind::Groups => "groups",
            ReportKind::Causes => "causes",
            ReportKind::Children => "children",
            ReportKind::Support => "support",
        }
    }

    pub fn parse(code: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Whether a commune is urban or rural (the units file's `area`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    Urban,
    Rural,
    /// The units file does not say.
    Unknown,
}

impl Area {
    fn parse(code: Option<&str>) -> Area {
        match code {
            Some("urban") => Area::Urban,
            Some("rural") => Area::Rural,
            _ => Area::Unknown,
        }
    }
}

/// What a commune, as it stood at the year's end (communes merged before
/// then count under the commune they joined), counts in the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneFigures {
    pub code: String,
    pub name: String,
    pub area: Area,
    /// Households on the registry in the year.
    pub households: i64,
    /// Households by official status, in the year and the year before.
    pub statuses: BTreeMap<Status, i64>,
    pub statuses_before: BTreeMap<Status, i64>,
    /// The kept tallies of the year.
    pub tallies: MeasureCounts,
}

impl CommuneFigures {
    pub fn new(code: &str, name: &str, area: Area) -> CommuneFigures {
        CommuneFigures {
            code: code.to_string(),
            name: name.to_string(),
            area,
            households: 0,
            statuses: BTreeMap::new(),
            statuses_before: BTreeMap::new(),
            tallies: MeasureCounts::default(),
        }
    }

    fn status(&self, s: Status) -> i64 {
        self.statuses.get(&s).copied().unwrap_or(0)
    }

    fn before(&self, s: Status) -> i64 {
        self.statuses_before.get(&s).copied().unwrap_or(0)
    }

    fn tally(&self, m: &Measure) -> i64 {
        self.tallies.get(m)
    }

    fn moved(&self, m: Movement) -> i64 {
        self.tally(&Measure::Movement(m))
    }

    fn add(&mut self, other: &CommuneFigures) {
        self.households += other.households;
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        for (s, n) in &other.statuses_before {
            *self.statuses_before.entry(*s).or_default() += n;
        }
        self.tallies.add(&other.tallies);
    }
}

/// Households by measure, of a commune or a sum of communes: numbers in
/// the order of a table of the measures that the communes of a set
/// share, so that adding communes adds numbers, not map entries (a
/// province's hundreds of communes, a hundred measures each).
#[derive(Debug, Clone, Default)]
pub struct MeasureCounts {
    measures: Arc<MeasureTable>,
    counts: Vec<i64>,
}

/// The measures of a set of [`MeasureCounts`], each once.
#[derive(Debug, Clone, Default)]
struct MeasureTable {
    list: Vec<Measure>,
    index: FxHashMap<Measure, usize>,
}

impl MeasureTable {
    fn position(&mut self, m: &Measure) -> usize {
        if let Some(i) = self.index.get(m) {
            return *i;
        }
        self.list.push(m.clone());
        self.index.insert(m.clone(), self.list.len() - 1);
        self.list.len() - 1
    }
}

impl MeasureCounts {
    /// Households of measure `m` (0 when not counted).
    pub fn get(&self, m: &Measure) -> i64 {
        self.measures
            .index
            .get(m)
            .and_then(|i| self.counts.get(*i))
            .copied()
            .unwrap_or(0)
    }

    /// The measures counted, with their households (those not zero).
    pub fn iter(&self) -> impl Iterator<Item = (&Measure, i64)> {
        self.measures
            .list
            .iter()
            .zip(self.counts.iter().copied())
            .filter(|(_, n)| *n != 0)
    }

    /// Adds `n` households to measure `m`.
    pub fn add_one(&mut self, m: &Measure, n: i64) {
        let i = Arc::make_mut(&mut self.measures).position(m);
        self.add_at(i, n);
    }

    /// None counted yet, on `table`.
    fn on(table: &Arc<MeasureTable>) -> MeasureCounts {
        MeasureCounts {
            measures: Arc::clone(table),
            counts: vec![0; table.list.len()],
        }
    }

    fn add_at(&mut self, i: usize, n: i64) {
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += n;
    }

    fn add(&mut self, other: &MeasureCounts) {
        if self.measures.list.is_empty() {
            // Nothing counted yet: take the other's table with its numbers.
            *self = other.clone();
        } else if Arc::ptr_eq(&self.measures, &other.measures) {
            for (i, n) in other.counts.iter().enumerate() {
                self.add_at(i, *n);
            }
        } else {
            for (m, n) in other.iter() {
                self.add_one(m, n);
            }
        }
    }
}

impl PartialEq for MeasureCounts {
    fn eq(&self, other: &MeasureCounts) -> bool {
        let of = |c: &MeasureCounts| -> BTreeMap<Measure, i64> {
            let mut all = BTreeMap::new();
            for (m, n) in c.iter() {
                *all.entry(m.clone()).or_default() += n;
            }
            all
        };
        of(self) == of(other)
    }
}

impl Eq for MeasureCounts {}

/// Support delivered under one policy in the year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivered {
    pub deliveries: i64,
    pub households: i64,
    /// In đồng; None when no delivery recorded an amount.
    pub amount: Option<i64>,
}

/// What the report set of a unit and year is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFigures {
    pub unit_name: String,
    pub year: ReviewYear,
    /// Communes in code order.
    pub communes: Vec<CommuneFigures>,
    /// Communes that closed the year's review, of those reviewing.
    pub communes_closed: i64,
    pub communes_reviewing: i64,
    /// Households by official status and cause code.
    pub causes: BTreeMap<(Status, String), i64>,
    /// Poor and near-poor households by status and the plan's type (1–3).
    pub types: BTreeMap<(Status, i64), i64>,
    /// By policy code.
    pub delivered: BTreeMap<String, Delivered>,
    /// Households served by any policy (each once).
    pub households_served: i64,
    /// Those still missing each policy's support, by policy code (the gap
    /// finder's counts, `Registry::gap_counts`); None when not counted.
    pub missing: Option<BTreeMap<String, crate::support_facts::Missing>>,
    /// The communes' sum, made once, when a report first asks for it:
    /// the set's reports each show it.
    total: OnceLock<CommuneFigures>,
}

impl ReportFigures {
    /// Whether every commune reviewing in the year has closed its round:
    /// only then are the rates the year's.
    pub fn closed(&self) -> bool {
        self.communes_reviewing > 0 && self.communes_closed == self.communes_reviewing
    }

    /// The figures of `unit_name` in `year`, with no commune yet: the
    /// communes are set before any report is made of them, as their sum
    /// is made once.
    pub fn new(unit_name: impl Into<String>, year: ReviewYear) -> ReportFigures {
        ReportFigures {
            unit_name: unit_name.into(),
            year,
            communes: Vec::new(),
            communes_closed: 0,
            communes_reviewing: 0,
            causes: BTreeMap::new(),
            types: BTreeMap::new(),
            delivered: BTreeMap::new(),
            households_served: 0,
            missing: None,
            total: OnceLock::new(),
        }
    }

    fn total(&self) -> &CommuneFigures {
        self.total.get_or_init(|| {
            let mut total = CommuneFigures::new("", "", Area::Unknown);
            for c in &self.communes {
                total.add(c);
            }
            total
        })
    }
}

/// The words of one language.
fn words(language: Language) -> impl Fn(&'static str, &'static str) -> &'static str {
    move |vi, en| match language {
        Language::Vi => vi,
        Language::En => en,
    }
}

fn count(n: i64) -> Cell {
    Cell::Number(n)
}

/// A share in percent, empty when there is nothing to divide by.
fn share(part: i64, whole: i64) -> Cell {
    if whole == 0 {
        Cell::Empty
    } else {
        Cell::Percent(100.0 * part as f64 / whole as f64)
    }
}

/// The note of a year still under review, or none.
fn provisional(f: &ReportFigures, language: Language) -> Vec<String> {
    if f.closed() {
        return Vec::new();
    }
    vec![match language {
        Language::Vi => format!(
            "Năm {} đang rà soát ({}/{} xã đã kết thúc): số liệu tạm thời, chưa phải kết quả của năm.",
            f.year, f.communes_closed, f.communes_reviewing
        ),
        Language::En => format!(
            "The {} review is in progress ({}/{} communes closed): provisional figures, not the year's result.",
            f.year, f.communes_closed, f.communes_reviewing
        ),
    }]
}

fn subtitle(f: &ReportFigures, language: Language) -> String {
    match language {
        Language::Vi => format!("{} — năm {}", f.unit_name, f.year),
        Language::En => format!("{} — {}", f.unit_name, f.year),
    }
}

/// Rows of communes in sections by area (urban, rural, unknown), each
/// with its subtotal, and the total; `row` makes a row from a label and
/// figures.
fn by_area(
    f: &ReportFigures,
    language: Language,
    row: &dyn Fn(&str, &CommuneFigures) -> Vec<Cell>,
) -> (Vec<Section>, Vec<Cell>) {
    let w = words(language);
    let mut sections = Vec::new();
    for (area, heading) in [
        (Area::Urban, w("Thành thị", "Urban")),
        (Area::Rural, w("Nông thôn", "Rural")),
        (Area::Unknown, w("Chưa xác định khu vực", "Area not set")),
    ] {
        let communes: Vec<&CommuneFigures> = f.communes.iter().filter(|c| c.area == area).collect();
        if communes.is_empty() {
            continue;
        }
        let mut subtotal = CommuneFigures::new("", "", area);
        for c in &communes {
            subtotal.add(c);
        }
        sections.push(Section {
            heading: Some(heading.to_string()),
            rows: communes.iter().map(|c| row(&c.name, c)).collect(),
            subtotal: Some(row(
                &format!("{} {heading}", w("Cộng", "Subtotal")),
                &subtotal,
            )),
        });
    }
    let total = row(w("Tổng cộng", "Total"), f.total());
    (sections, total)
}

/// The columns of a table of poor and near-poor households: a label, then
/// households and share under each.
fn poor_and_near_columns(
    label: &str,
    poor_group: &str,
    near_group: &str,
    language: Language,
) -> Vec<Column> {
    let w = words(language);
    vec![
        Column::new(label, Kind::Text),
        Column::under(poor_group, w("Số hộ", "Households"), Kind::Count),
        Column::under(poor_group, w("Tỷ lệ (%)", "Share (%)"), Kind::Percent),
        Column::under(near_group, w("Số hộ", "Households"), Kind::Count),
        Column::under(near_group, w("Tỷ lệ (%)", "Share (%)"), Kind::Percent),
    ]
}

/// A row of such a table: `p` of `poor` and `n` of `near`.
fn poor_and_near_row(label: &str, p: i64, poor: i64, n: i64, near: i64) -> Vec<Cell> {
    vec![
        Cell::text(label),
        count(p),
        share(p, poor),
        count(n),
        share(n, near),
    ]
}

/// Review results by commune: households on the registry and the poor,
/// near-poor and average-living, with their shares of all households.
pub fn results_report(f: &ReportFigures, language: Language) -> Report {
    let w = words(language);
    let row = |label: &str, c: &CommuneFigures| {
        let mut cells = vec![Cell::text(label), count(c.households)];
        for s in [Status::Poor, Status::NearPoor, Status::Average] {
            cells.push(count(c.status(s)));
            cells.push(share(c.status(s), c.households));
        }
        cells
    };
    let (sections, total) = by_area(f, language, &row);
    let mut columns = vec![
        Column::new(w("Đơn vị", "Unit"), Kind::Text),
        Column::new(w("Tổng số hộ", "All households"), Kind::Count),
    ];
    for group in [
        w("Hộ nghèo", "Poor"),
        w("Hộ cận nghèo", "Near-poor"),
        w("Hộ có mức sống trung bình", "Average-living"),
    ] {
        columns.push(Column::under(group, w("Số hộ", "Households"), Kind::Count));
        columns.push(Column::under(
            group,
            w("Tỷ lệ (%)", "Share (%)"),
            Kind::Percent,
        ));
    }
    let mut notes = provisional(f, language);
    notes.push(
        w(
            "Tỷ lệ: trên tổng số hộ trên sổ hộ của năm.",
            "Shares: of all households on the registry that year.",
        )
        .to_string(),
    );
    Report {
        title: match language {
            Language::Vi => format!("KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {}", f.year),
            Language::En => format!("POOR AND NEAR-POOR HOUSEHOLD REVIEW RESULTS, {}", f.year),
        },
        subtitle: subtitle(f, language),
        sheet: w("Kết quả rà soát", "Review results").to_string(),
        columns,
        sections,
        total: Some(total),
        notes,
        ..Report::default()
    }
}

/// Movements of poor and of near-poor households by commune, each with
/// its identity checked (start − out + in = end).
pub fn movements_report(f: &ReportFigures, language: Language) -> Report {
    use Movement::*;
    let w = words(language);
    let check = |expected: i64, end: i64| {
        if expected == end {
            Cell::text(w("Khớp", "Balanced"))
        } else {
            Cell::text(format!("{} {}", w("Lệch", "Off by"), end - expected))
        }
    };
    let row = |label: &str, c: &CommuneFigures| {
        let poor_start = c.before(Status::Poor);
        let escaped = c.moved(EscapedToNearPoor) + c.moved(EscapedAboveNearPoor);
        let poor_in = c.moved(RePoor) + c.moved(NewlyPoor);
        let poor_end = c.status(Status::Poor);
        let near_start = c.before(Status::NearPoor);
        let near_out = c.moved(EscapedNearPoor) + c.moved(NearPoorToPoor);
        let near_in = c.moved(ReNearPoor) + c.moved(NewlyNearPoor);
        let near_end = c.status(Status::NearPoor);
        vec![
            Cell::text(label),
            count(poor_start),
            count(escaped),
            count(c.moved(LeftPoorList)),
            count(c.moved(NewlyPoor)),
            count(c.moved(RePoor)),
            count(c.moved(NearPoorToPoor)),
            count(poor_end),
            check(
                poor_start - escaped - c.moved(LeftPoorList) + poor_in,
                poor_end,
            ),
            count(near_start),
            count(c.moved(EscapedNearPoor)),
            count(c.moved(NearPoorToPoor)),
            count(c.moved(LeftNearPoorList)),
            count(c.moved(NewlyNearPoor)),
            count(c.moved(ReNearPoor)),
            count(c.moved(EscapedToNearPoor)),
            count(near_end),
            check(
                near_start - near_out - c.moved(LeftNearPoorList) + near_in,
                near_end,
            ),
        ]
    };
    let (sections, total) = by_area(f, language, &row);
    let poor = w("Hộ nghèo", "Poor");
    let near = w("Hộ cận nghèo", "Near-poor");
    let columns = vec![
        Column::new(w("Đơn vị", "Unit"), Kind::Text),
        Column::under(poor, w("Đầu kỳ", "Start"), Kind::Count),
        Column::under(poor, w("Thoát nghèo", "Escaped"), Kind::Count),
        Column::under(poor, w("Ra khỏi danh sách", "Left the list"), Kind::Count),
        Column::under(poor, w("Nghèo phát sinh", "Newly poor"), Kind::Count),
        Column::under(poor, w("Tái nghèo", "Poor again"), Kind::Count),
        Column::under(
            poor,
            w("Trong đó từ cận nghèo", "Of which from near-poor"),
            Kind::Count,
        ),
        Column::under(poor, w("Cuối kỳ", "End"), Kind::Count),
        Column::under(poor, w("Kiểm tra", "Check"), Kind::Text),
        Column::under(near, w("Đầu kỳ", "Start"), Kind::Count),
        Column::under(near, w("Thoát cận nghèo", "Escaped"), Kind::Count),
        Column::under(near, w("Thành hộ nghèo", "Became poor"), Kind::Count),
        Column::under(near, w("Ra khỏi danh sách", "Left the list"), Kind::Count),
        Column::under(
            near,
            w("Cận nghèo phát sinh", "Newly near-poor"),
            Kind::Count,
        ),
        Column::under(near, w("Tái cận nghèo", "Near-poor again"), Kind::Count),
        Column::under(
            near,
            w("Trong đó từ hộ nghèo", "Of which from poor"),
            Kind::Count,
        ),
        Column::under(near, w("Cuối kỳ", "End"), Kind::Count),
        Column::under(near, w("Kiểm tra", "Check"), Kind::Text),
    ];
    let mut notes = provisional(f, language);
    notes.push(match language {
        Language::Vi => format!(
            "Đầu kỳ: danh sách được công nhận năm {}; cuối kỳ: năm {}. Kiểm tra: đầu kỳ − thoát − ra khỏi danh sách + phát sinh + tái = cuối kỳ.",
            f.year.as_i64() - 1,
            f.year
        ),
        Language::En => format!(
            "Start: the lists recognised in {}; end: in {}. Check: start − escaped − left + new + again = end.",
            f.year.as_i64() - 1,
            f.year
        ),
    });
    Report {
        title: match language {
            Language::Vi => format!("BIẾN ĐỘNG HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {}", f.year),
            Language::En => format!("MOVEMENTS OF POOR AND NEAR-POOR HOUSEHOLDS, {}", f.year),
        },
        subtitle: subtitle(f, language),
        sheet: w("Biến động", "Movements").to_string(),
        columns,
        sections,
        total: Some(total),
        notes,
        ..Report::default()
    }
}

/// A section per dimension of the standard, a row per indicator: the poor
/// and near-poor households `deprived(code, status)` counts, with their
/// shares of `(poor, near)`.
fn by_indicator(
    standard: &Standard,
    language: Language,
    (poor, near): (i64, i64),
    deprived: impl Fn(&str, Status) -> i64,
) -> Vec<Section> {
    standard
        .dimensions
        .iter()
        .map(|d| Section {
            heading: Some(d.name.get(language).to_string()),
            rows: standard.indicators[d.indicators.clone()]
                .iter()
                .map(|i| {
                    let p = deprived(&i.code, Status::Poor);
                    let n = deprived(&i.code, Status::NearPoor);
                    poor_and_near_row(i.name.get(language), p, poor, n, near)
                })
                .collect(),
            subtotal: None,
        })
        .collect()
}

/// Poor and near-poor households deprived in each indicator of the year's
/// standard, by dimension, with their shares of the poor and the near-poor.
pub fn deprivations_report(f: &ReportFigures, standard: &Standard, language: Language) -> Report {
    let w = words(language);
    let total = f.total();
    let poor = total.status(Status::Poor);
    let near = total.status(Status::NearPoor);
    let sections = by_indicator(standard, language, (poor, near), |code, status| {
        total.tally(&Measure::Deprived(code.to_string(), status))
    });
    let poor_group = w("Hộ nghèo thiếu hụt", "Poor households deprived");
    let near_group = w("Hộ cận nghèo thiếu hụt", "Near-poor households deprived");
    let mut notes = provisional(f, language);
    notes.push(match language {
        Language::Vi => format!(
            "Tỷ lệ: trên {poor} hộ nghèo và {near} hộ cận nghèo. Chuẩn: {}.",
            standard.name.get(language)
        ),
        Language::En => format!(
            "Shares: of {poor} poor and {near} near-poor households. Standard: {}.",
            standard.name.get(language)
        ),
    });
    Report {
        title: match language {
            Language::Vi => format!(
                "PHÂN TÍCH THIẾU HỤT DỊCH VỤ XÃ HỘI CƠ BẢN CỦA HỘ NGHÈO, HỘ CẬN NGHÈO NĂM {}",
                f.year
            ),
            Language::En => format!(
                "DEPRIVATIONS OF POOR AND NEAR-POOR HOUSEHOLDS IN BASIC SOCIAL SERVICES, {}",
                f.year
            ),
        },
        subtitle: subtitle(f, language),
        sheet: w("Thiếu hụt", "Deprivations").to_string(),
        columns: poor_and_near_columns(w("Chỉ số", "Indicator"), poor_group, near_group, language),
        sections,
        notes,
        ..Report::default()
    }
}

/// Poor and near-poor households with children (a member under 16 that
/// year) deprived in each indicator, with their shares of the poor and
/// near-poor households with children.
pub fn children_report(f: &ReportFigures, standard: &Standard, language: Language) -> Report {
    let w = words(language);
    let total = f.total();
    let poor = total.tally(&Measure::WithChildren(Status::Poor));
    let near = total.tally(&Measure::WithChildren(Status::NearPoor));
    let sections = by_indicator(standard, language, (poor, near), |code, status| {
        total.tally(&Measure::ChildDeprived(code.to_string(), status))
    });
    let poor_group = w("Hộ nghèo có trẻ em", "Poor households with children");
    let near_group = w(
        "Hộ cận nghèo có trẻ em",
        "Near-poor households with children",
    );
    let mut notes = provisional(f, language);
    notes.push(match language {
        Language::Vi => format!(
            "Trẻ em: thành viên dưới 16 tuổi trong năm. Tỷ lệ: trên {poor} hộ nghèo và {near} hộ cận nghèo có trẻ em."
        ),
        Language::En => format!(
            "Children: members under 16 that year. Shares: of {poor} poor and {near} near-poor households with children."
        ),
    });
    Report {
        title: match language {
            Language::Vi => format!(
                "THIẾU HỤT CỦA HỘ NGHÈO, HỘ CẬN NGHÈO CÓ TRẺ EM NĂM {}",
                f.year
            ),
            Language::En => format!(
                "DEPRIVATIONS OF POOR AND NEAR-POOR HOUSEHOLDS WITH CHILDREN, {}",
                f.year
            ),
        },
        subtitle: subtitle(f, language),
        sheet: w("Trẻ em", "Children").to_string(),
        columns: poor_and_near_columns(w("Chỉ số", "Indicator"), poor_group, near_group, language),
        sections,
        notes,
        ..Report::default()
    }
}

/// Poor and near-poor households by group (no working capacity,
/// meritorious people, social protection, ethnic minority) and by the
/// plan's type 1, 2, 3.
pub fn groups_report(f: &ReportFigures, language: Language) -> Report {
    let w = words(language);
    let total = f.total();
    let poor = total.status(Status::Poor);
    let near = total.status(Status::NearPoor);
    let group_name = |g: Group| match g {
        Group::NoWorkingCapacity => w("Hộ không có khả năng lao động", "No member able to work"),
        Group::Merit => w("Hộ có người có công", "With a meritorious person"),
        Group::SocialProtection => w(
            "Hộ có người hưởng bảo trợ xã hội",
            "With a social-protection beneficiary",
        ),
        Group::EthnicMinority => w("Hộ dân tộc thiểu số", "Ethnic-minority households"),
    };
    let row = |label: &str, p: i64, n: i64| poor_and_near_row(label, p, poor, n, near);
    let groups = [
        Group::NoWorkingCapacity,
        Group::Merit,
        Group::SocialProtection,
        Group::EthnicMinority,
    ]
    .into_iter()
    .map(|g| {
        row(
            group_name(g),
            total.tally(&Measure::Group(g, Status::Poor)),
            total.tally(&Measure::Group(g, Status::NearPoor)),
        )
    })
    .collect();
    let types = (1..=3)
        .map(|t| {
            row(
                &format!("{} {t}", w("Nhóm", "Type")),
                f.types.get(&(Status::Poor, t)).copied().unwrap_or(0),
                f.types.get(&(Status::NearPoor, t)).copied().unwrap_or(0),
            )
        })
        .collect();
    let poor_group = w("Hộ nghèo", "Poor");
    let near_group = w("Hộ cận nghèo", "Near-poor");
    let mut notes = provisional(f, language);
    notes.push(w(
        "Một hộ có thể thuộc nhiều nhóm. Nhóm 1: có khả năng thoát nghèo; nhóm 2: cần hỗ trợ lâu dài; nhóm 3: cần vận động. Hộ chưa phân nhóm không được tính ở phần phân nhóm.",
        "A household can be in several groups. Type 1: can escape; type 2: needs lasting support; type 3: needs persuasion. Households without a type are not counted by type.",
    ).to_string());
    Report {
        title: match language {
            Language::Vi => format!("HỘ NGHÈO, HỘ CẬN NGHÈO THEO NHÓM ĐỐI TƯỢNG NĂM {}", f.year),
            Language::En => format!("POOR AND NEAR-POOR HOUSEHOLDS BY GROUP, {}", f.year),
        },
        subtitle: subtitle(f, language),
        sheet: w("Nhóm đối tượng", "Groups").to_string(),
        columns: poor_and_near_columns(w("Nhóm", "Group"), poor_group, near_group, language),
        sections: vec![
            Section {
                heading: Some(w("Theo đối tượng", "By group").to_string()),
                rows: groups,
                subtotal: None,
            },
            Section {
                heading: Some(w("Theo phân nhóm hộ", "By type").to_string()),
                rows: types,
                subtotal: None,
            },
        ],
        notes,
        ..Report::default()
    }
}

/// Poor and near-poor households by cause of poverty (a household can
/// have several), as the year's profiles record them.
pub fn causes_report(f: &ReportFigures, causes: &[support::Choice], language: Language) -> Report {
    let w = words(language);
    let total = f.total();
    let poor = total.status(Status::Poor);
    let near = total.status(Status::NearPoor);
    let of = |s: Status, code: &str| f.causes.get(&(s, code.to_string())).copied().unwrap_or(0);
    let rows = causes
        .iter()
        .map(|c| {
            let p = of(Status::Poor, &c.code);
            let n = of(Status::NearPoor, &c.code);
            poor_and_near_row(c.text(language), p, poor, n, near)
        })
        .collect();
    let poor_group = w("Hộ nghèo", "Poor");
    let near_group = w("Hộ cận nghèo", "Near-poor");
    let mut notes = provisional(f, language);
    notes.push(
        w(
            "Một hộ có thể có nhiều nguyên nhân; tỷ lệ trên tổng số hộ nghèo, hộ cận nghèo.",
            "A household can have several causes; shares of all poor and near-poor households.",
        )
        .to_string(),
    );
    Report {
        title: match language {
            Language::Vi => format!("NGUYÊN NHÂN NGHÈO, CẬN NGHÈO NĂM {}", f.year),
            Language::En => format!("CAUSES OF POVERTY AND NEAR-POVERTY, {}", f.year),
        },
        subtitle: subtitle(f, language),
        sheet: w("Nguyên nhân", "Causes").to_string(),
        columns: poor_and_near_columns(w("Nguyên nhân", "Cause"), poor_group, near_group, language),
        sections: vec![Section {
            heading: None,
            rows,
            subtotal: None,
        }],
        notes,
        ..Report::default()
    }
}

/// Support delivered in the year by agency and policy: deliveries,
/// households reached and amounts, and, when counted, the gaps: the
/// households eligible for a policy that addresses one of their
/// deprivations and not served by it in the year (members, for a policy
/// to members).
pub fn support_report(
    f: &ReportFigures,
    catalogue: &support::Catalogue,
    language: Language,
) -> Report {
    let w = words(language);
    let mut sections = Vec::new();
    // Deliveries and amount; households from `households_served`.
    let mut all = (0, 0);
    let gap_cells = |code: &str, to: support::Recipient| -> Vec<Cell> {
        let Some(missing) = &f.missing else {
            return Vec::new();
        };
        let m = missing.get(code).copied().unwrap_or_default();
        vec![
            count(m.households),
            match to {
                support::Recipient::Member => count(m.members),
                support::Recipient::Household => Cell::Empty,
            },
        ]
    };
    for agency in &catalogue.agencies {
        let rows: Vec<Vec<Cell>> = catalogue
            .policies
            .iter()
            .filter(|p| p.agency == agency.code)
            .map(|p| {
                let d = f.delivered.get(&p.code).cloned().unwrap_or_default();
                all.0 += d.deliveries;
                all.1 += d.amount.unwrap_or(0);
                let mut row = vec![
                    Cell::text(p.name.get(language)),
                    count(d.deliveries),
                    count(d.households),
                    d.amount.map_or(Cell::Empty, Cell::Number),
                ];
                row.extend(gap_cells(&p.code, p.to));
                row
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        sections.push(Section {
            heading: Some(agency.name.get(language).to_string()),
            rows,
            subtotal: None,
        });
    }
    let mut columns = vec![
        Column::new(w("Chính sách", "Policy"), Kind::Text),
        Column::new(w("Lượt hỗ trợ", "Deliveries"), Kind::Count),
        Column::new(w("Số hộ được hỗ trợ", "Households reached"), Kind::Count),
        Column::new(w("Số tiền (đồng)", "Amount (đồng)"), Kind::Vnd),
    ];
    let mut total = vec![
        Cell::text(w("Tổng cộng", "Total")),
        count(all.0),
        count(f.households_served),
        Cell::Number(all.1),
    ];
    let mut notes = vec![w(
        "Số hộ được hỗ trợ: mỗi hộ tính một lần cho mỗi chính sách, và một lần ở dòng tổng cộng.",
        "Households reached: each household once per policy, and once in the total.",
    )
    .to_string()];
    if f.missing.is_some() {
        columns.push(Column::new(
            w("Số hộ còn thiếu hỗ trợ", "Households still missing it"),
            Kind::Count,
        ));
        columns.push(Column::new(
            w("Số người còn thiếu", "People still missing it"),
            Kind::Count,
        ));
        // A household missing two policies is in two rows: no total.
        total.extend([Cell::Empty, Cell::Empty]);
        notes.push(w(
            "Còn thiếu hỗ trợ: hộ đủ điều kiện của chính sách, thiếu hụt chỉ số mà chính sách giải quyết, chưa được hỗ trợ trong năm (chính sách cho thành viên: số người). Một hộ có thể thiếu nhiều chính sách nên không cộng dồn. Danh sách từng hộ: trang Việc cần làm của từng xã.",
            "Still missing it: households eligible for the policy, deprived in what it addresses and not served in the year (for a policy to members, the people). A household can miss several policies, so there is no total. Each household: the commune's work list.",
        ).to_string());
    } else {
        notes.push(
            w(
                "Danh sách hộ còn thiếu hỗ trợ: trang Việc cần làm của từng xã.",
                "Households still missing support: each commune's work list.",
            )
            .to_string(),
        );
    }
    Report {
        title: match language {
            Language::Vi => format!("KẾT QUẢ THỰC HIỆN CHÍNH SÁCH HỖ TRỢ NĂM {}", f.year),
            Language::En => format!("SUPPORT DELIVERED, {}", f.year),
        },
        subtitle: subtitle(f, language),
        sheet: w("Hỗ trợ", "Support").to_string(),
        columns,
        sections,
        total: Some(total),
        notes,
        ..Report::default()
    }
}

/// One report of the set, or None when the year has no standard (the
/// deprivations report needs one).
pub fn report_of(
    kind: ReportKind,
    f: &ReportFigures,
    standard: Option<&Standard>,
    catalogue: &support::Catalogue,
    language: Language,
) -> Option<Report> {
    Some(match kind {
        ReportKind::Results => results_report(f, language),
        ReportKind::Movements => movements_report(f, language),
        ReportKind::Deprivations => deprivations_report(f, standard?, language),
        ReportKind::Groups => groups_report(f, language),
        ReportKind::Causes => causes_report(f, &catalogue.causes, language),
        ReportKind::Children => children_report(f, standard?, language),
        ReportKind::Support => support_report(f, catalogue, language),
    })
}

/// Households on the registry in `year` by commune: those there by the
/// year's end and not removed before it, and those removed but assessed
/// that year. `spans`: (commune, first year, removal date, households);
/// `removed`: (commune, a year assessed, removal date) of removed ones.
pub(crate) fn on_registry(
    spans: &[(UnitId, i64, Option<String>, i64)],
    removed: &[(UnitId, i64, String)],
    year: i64,
) -> BTreeMap<UnitId, i64> {
    let end = format!("{year}-12-31");
    let mut households: BTreeMap<UnitId, i64> = BTreeMap::new();
    for (commune, first, removed_on, n) in spans {
        if *first <= year && removed_on.as_deref().is_none_or(|r| r > end.as_str()) {
            *households.entry(*commune).or_default() += n;
        }
    }
    for (commune, assessed, removed_on) in removed {
        if *assessed == year && removed_on.as_str() <= end.as_str() {
            *households.entry(*commune).or_default() += 1;
        }
    }
    households
}

/// The figures of the commune that reviews `commune`.
fn at<'a>(
    by_code: &'a mut BTreeMap<String, CommuneFigures>,
    reviewer_of: &BTreeMap<UnitId, String>,
    commune: UnitId,
) -> Option<&'a mut CommuneFigures> {
    reviewer_of.get(&commune).and_then(|c| by_code.get_mut(c))
}

/// `read` when `wanted`, else the empty value, nothing read (a future
/// does nothing until awaited).
async fn read_if<T: Default, E>(
    wanted: bool,
    read: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    if wanted { read.await } else { Ok(T::default()) }
}

/// What a report set's figures read beyond each commune's households,
/// statuses and closed round (all a report set's page and the review
/// results show): the kept tallies (which of their measures), the causes
/// and types of poverty, the deliveries. At a province of thousands of
/// communes each is tens of milliseconds of the database's and the
/// server's time, so a report reads what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Reads(u8);

impl Reads {
    /// The tallies' measures of movements, deprivations, children, groups.
    const MOVEMENTS: Reads = Reads(1);
    const DEPRIVED: Reads = Reads(1 << 1);
    const CHILDREN: Reads = Reads(1 << 2);
    const GROUPS: Reads = Reads(1 << 3);
    /// Every measure of the tallies (`report_figures`: the plans' targets).
    const EVERY_MEASURE: Reads = Reads(1 << 4);
    /// Any of the above.
    const TALLIES: Reads = Reads((1 << 5) - 1);
    const PROFILES: Reads = Reads(1 << 5);
    const DELIVERIES: Reads = Reads(1 << 6);
    /// Everything the reports show.
    const ALL: Reads = Reads((1 << 7) - 1);

    fn has(self, what: Reads) -> bool {
        self.0 & what.0 != 0
    }

    /// What the reports `kinds` show, together.
    fn of(kinds: &[ReportKind]) -> Reads {
        Reads(kinds.iter().fold(0, |reads, kind| {
            reads
                | match kind {
                    ReportKind::Results => 0,
                    ReportKind::Movements => Reads::MOVEMENTS.0,
                    ReportKind::Deprivations => Reads::DEPRIVED.0,
                    ReportKind::Children => Reads::CHILDREN.0,
                    // By group from the tallies, by the plan's type from the profiles.
                    ReportKind::Groups => Reads::GROUPS.0 | Reads::PROFILES.0,
                    ReportKind::Causes => Reads::PROFILES.0,
                    ReportKind::Support => Reads::DELIVERIES.0,
                }
        }))
    }

    /// Whether a measure of the tallies is kept for the reports: the
    /// sheets hold every measure of a commune (a hundred or so), a report
    /// shows a dozen, and each kept one is added up by area and unit.
    fn wants(self, measure: &Measure) -> bool {
        let family = match measure {
            Measure::Movement(_) => Reads::MOVEMENTS,
            Measure::Deprived(..) => Reads::DEPRIVED,
            Measure::WithChildren(_) | Measure::ChildDeprived(..) => Reads::CHILDREN,
            Measure::Group(..) => Reads::GROUPS,
            _ => Reads::EVERY_MEASURE,
        };
        self.has(Reads::EVERY_MEASURE) || self.has(family)
    }
}

impl Registry {
    /// What the report set of `unit_code` (in the actor's scope) and
    /// `year` is computed from.
    pub async fn report_figures(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
    ) -> Result<ReportFigures, RegistryError> {
        self.figures_as_of(actor, unit_code, year, year).await
    }

    /// [`Registry::report_figures`] with only what the reports `kinds`
    /// show read (`Reads::of`): the review results need the communes'
    /// households and statuses alone, the movements their tallies too, not
    /// the causes or the deliveries.
    pub async fn figures_for(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        kinds: &[ReportKind],
    ) -> Result<ReportFigures, RegistryError> {
        self.figures_read(actor, unit_code, year, year, Reads::of(kinds))
            .await
    }

    /// The report set's page: [`Registry::report_figures`] without what
    /// only the reports themselves show — the kept tallies, the causes
    /// and the deliveries. Each commune's households and statuses and
    /// whether it closed the year are read as for the reports (the kept
    /// counts and spans, a few rows per commune); the communes' sheets,
    /// megabytes at a province of thousands of communes, are not.
    pub async fn report_overview(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
    ) -> Result<ReportFigures, RegistryError> {
        self.figures_read(actor, unit_code, year, year, Reads::default())
            .await
    }

    /// The figures of `year` grouped by the communes as they stood at the
    /// end of `as_of` (a year's figures compared with a later year's, a
    /// merged commune's history under the commune it joined).
    pub(crate) async fn figures_as_of(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        as_of: ReviewYear,
    ) -> Result<ReportFigures, RegistryError> {
        self.figures_read(actor, unit_code, year, as_of, Reads::ALL)
            .await
    }

    async fn figures_read(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        as_of: ReviewYear,
        reads: Reads,
    ) -> Result<ReportFigures, RegistryError> {
        let unit: Unit = self.unit_in_scope(actor, unit_code).await?;
        let ids: BTreeSet<UnitId> = self
            .communes_within(actor, unit_code)
            .await?
            .into_iter()
            .collect();
        let y = year.as_i64();
        let mut figures = ReportFigures::new(unit.name.clone(), year);
        if ids.is_empty() {
            return Ok(figures);
        }
        let communes = self.db.backend().in_ids("commune_id", &ids);
        // The same households for the reads of households: a whole
        // province by its `province_id`.
        let households = self.unit_split(unit.id).await?.households_clause("");
        // Each commune and the one that reviews it at the year's end.
        let reviewers = self.reviewers_at(&ids, as_of.as_i64()).await?;
        let mut by_code: BTreeMap<String, CommuneFigures> = BTreeMap::new();
        let mut reviewer_of: BTreeMap<UnitId, String> = BTreeMap::new();
        for (id, code, name, area) in &reviewers {
            by_code
                .entry(code.clone())
                .or_insert_with(|| CommuneFigures::new(code, name, Area::parse(area.as_deref())));
            reviewer_of.insert(*id, code.clone());
        }

        // The reads below are independent of each other: they go to the
        // database together, each on its own connection, so a province's
        // page waits for the longest of them rather than for their sum.
        // The kept counts of the two years, as one text row per commune
        // (`year status=households;…`): the driver hands rows over one at
        // a time.
        let joined = self
            .db
            .backend()
            .joined("year || ' ' || status || '=' || households");
        let (years, year) = ([y, y - 1], [y]);
        let counts_sql = format!(
            "SELECT commune_id, {joined} AS joined FROM official_counts WHERE year IN ($1, $2) AND households <> 0 AND {communes} GROUP BY commune_id"
        );
        let counts = self.db.fetch_packed::<(UnitId, String)>(
            self.db.reports(),
            &counts_sql,
            &["commune_id", "joined"],
            &years,
        );
        let spans_sql = format!(
            "SELECT commune_id, first_year, CASE WHEN removed_on = '' THEN NULL ELSE removed_on END AS removed_on, households \
             FROM household_spans WHERE households <> 0 AND {communes}"
        );
        let spans = self.db.fetch_packed::<(UnitId, i64, Option<String>, i64)>(
            self.db.reports(),
            &spans_sql,
            crate::views::SPAN_COLUMNS,
            &[],
        );
        let removed_sql = format!(
            "SELECT h.commune_id, a.year, h.removed_on FROM households h JOIN assessments a ON a.household_id = h.id AND a.official = 1 \
             WHERE h.removed_on IS NOT NULL{households}"
        );
        let removed = sqlx::query_as::<_, (UnitId, i64, String)>(sqlx::AssertSqlSafe(removed_sql))
            .fetch_all(self.db.reports());
        // The counts' sheets: the score tallies are the statistics'.
        let tallies = read_if(
            reads.has(Reads::TALLIES),
            self.commune_tallies(y, &communes, crate::tallies::Band::Counts),
        );
        // Closed rounds of the year.
        let closed_sql = format!(
            "SELECT commune_id FROM review_rounds WHERE year = $1 AND step = 'closed' AND {communes}"
        );
        let closed = self.db.fetch_packed::<(UnitId,)>(
            self.db.reports(),
            &closed_sql,
            &["commune_id"],
            &year,
        );
        // Causes and types of the year's poor and near-poor.
        let profiles_sql = format!(
            "SELECT a.status, p.causes, p.poverty_type FROM household_profiles p \
             JOIN households h ON h.id = p.household_id \
             JOIN assessments a ON a.household_id = p.household_id AND a.year = p.year AND a.official = 1 \
             WHERE p.year = $1 AND a.status IN ('poor', 'near_poor'){households}"
        );
        let profiles = read_if(
            reads.has(Reads::PROFILES),
            sqlx::query_as::<_, (String, String, Option<i64>)>(sqlx::AssertSqlSafe(profiles_sql))
                .bind(y)
                .fetch_all(self.db.reports()),
        );
        let delivered_sql = format!(
            "SELECT d.policy, COUNT(*), COUNT(DISTINCT d.household_id), CAST(SUM(d.amount) AS BIGINT) FROM deliveries d \
             JOIN households h ON h.id = d.household_id WHERE d.year = $1{households} GROUP BY d.policy"
        );
        let delivered = read_if(
            reads.has(Reads::DELIVERIES),
            sqlx::query_as::<_, (String, i64, i64, Option<i64>)>(sqlx::AssertSqlSafe(
                delivered_sql,
            ))
            .bind(y)
            .fetch_all(self.db.reports()),
        );
        let served_sql = format!(
            "SELECT COUNT(DISTINCT d.household_id) FROM deliveries d \
             JOIN households h ON h.id = d.household_id WHERE d.year = $1{households}"
        );
        let served = read_if(
            reads.has(Reads::DELIVERIES),
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(served_sql))
                .bind(y)
                .fetch_one(self.db.reports()),
        );
        use futures_util::TryFutureExt;
        let (counts, spans, removed, tallies, closed, profiles, delivered, served) = tokio::try_join!(
            counts,
            spans,
            removed.map_err(RegistryError::from),
            tallies,
            closed,
            profiles.map_err(RegistryError::from),
            delivered.map_err(RegistryError::from),
            served.map_err(RegistryError::from),
        )?;
        for (commune, joined) in &counts {
            let Some(c) = at(&mut by_code, &reviewer_of, *commune) else {
                continue;
            };
            for (key, n) in crate::db::read_joined(joined)? {
                let parsed = key.split_once(' ').and_then(|(year, status)| {
                    Some((year.parse::<i64>().ok()?, Status::parse(status)?))
                });
                let Some((year_of, s)) = parsed else {
                    continue;
                };
                let map = if year_of == y {
                    &mut c.statuses
                } else {
                    &mut c.statuses_before
                };
                *map.entry(s).or_default() += n;
            }
        }

        for (commune, n) in on_registry(&spans, &removed, y) {
            if let Some(c) = at(&mut by_code, &reviewer_of, commune) {
                c.households += n;
            }
        }

        // One table of the measures for every commune (those this build
        // knows), and where each of the sheets' measures is in it.
        let mut table = MeasureTable::default();
        let positions: Vec<Option<usize>> = tallies
            .measures
            .iter()
            .map(|(_, m)| {
                m.as_ref()
                    .filter(|m| reads.wants(m))
                    .map(|m| table.position(m))
            })
            .collect();
        let table = Arc::new(table);
        for (commune, counts) in tallies.communes {
            let Some(c) = at(&mut by_code, &reviewer_of, commune) else {
                continue;
            };
            if c.tallies.measures.list.is_empty() {
                c.tallies = MeasureCounts::on(&table);
            }
            for (i, n) in counts {
                if let Some(Some(j)) = positions.get(i) {
                    c.tallies.add_at(*j, n);
                }
            }
        }

        // Closed rounds of the year, by the commune that reviews.
        let closed: BTreeSet<String> = closed
            .into_iter()
            .filter_map(|(c,)| reviewer_of.get(&c).cloned())
            .collect();
        figures.communes = by_code
            .into_values()
            .filter(|c| c.households > 0 || !c.statuses.is_empty() || !c.statuses_before.is_empty())
            .collect();
        figures.communes_reviewing = figures.communes.len() as i64;
        figures.communes_closed = figures
            .communes
            .iter()
            .filter(|c| closed.contains(&c.code))
            .count() as i64;

        // Causes and types of the year's poor and near-poor.
        for (status, causes, kind) in profiles {
            let Some(s) = Status::parse(&status) else {
                continue;
            };
            for cause in crate::values::codes(&causes) {
                *figures.causes.entry((s, cause)).or_default() += 1;
            }
            if let Some(t) = kind {
                *figures.types.entry((s, t)).or_default() += 1;
            }
        }

        figures.households_served = served;
        figures.delivered = delivered
            .into_iter()
            .map(|(policy, deliveries, households, amount)| {
                (
                    policy,
                    Delivered {
                        deliveries,
                        households,
                        amount,
                    },
                )
            })
            .collect();
        Ok(figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_counts_add_on_a_shared_table_and_across_tables() {
        let newly = Measure::Movement(Movement::NewlyPoor);
        let merit = Measure::Group(Group::Merit, Status::Poor);
        let water = Measure::Deprived("water".into(), Status::NearPoor);
        let mut table = MeasureTable::default();
        let (i_newly, i_merit) = (table.position(&newly), table.position(&merit));
        assert_eq!(
            table.position(&newly),
            i_newly,
            "a measure is in a table once"
        );
        let table = Arc::new(table);
        let (mut a, mut b) = (MeasureCounts::on(&table), MeasureCounts::on(&table));
        a.add_at(i_newly, 3);
        b.add_at(i_newly, 4);
        b.add_at(i_merit, 2);

        // Nothing counted yet, then the same table, then another table.
        let mut total = MeasureCounts::default();
        total.add(&a);
        total.add(&b);
        let mut other = MeasureCounts::default();
        other.add_one(&water, 5);
        other.add_one(&newly, 1);
        total.add(&other);
        assert_eq!(total.get(&newly), 3 + 4 + 1);
        assert_eq!(total.get(&merit), 2);
        assert_eq!(total.get(&water), 5);
        assert_eq!(total.get(&Measure::Movement(Movement::RePoor)), 0);
        // The tables the parts were counted on are not changed.
        assert_eq!(a.get(&newly), 3);
        assert_eq!(a.get(&water), 0);

        // Equal when the same measures have the same numbers, whatever
        // the tables; a zero is as good as not counted.
        let mut same = MeasureCounts::default();
        for (m, n) in [(&water, 5), (&merit, 2), (&newly, 8)] {
            same.add_one(m, n);
        }
        same.add_one(&Measure::Movement(Movement::RePoor), 0);
        assert_eq!(total, same);
        same.add_one(&merit, 1);
        assert_ne!(total, same);
    }
}
