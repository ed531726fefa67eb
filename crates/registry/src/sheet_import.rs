//! Importing a household sheet and a member sheet (xlsx or CSV), linked by
//! household code: every cell validated, every problem listed by sheet, row
//! and column in Vietnamese, duplicates reported, and all or nothing.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::households::{
    Assessed, CheckedMember, FlatRow, HouseholdInsert, MemberInsert, NewHousehold,
    insert_households, insert_members,
};
use crate::service::Registry;
use crate::sheets::{HOUSEHOLD_FIELDS, MEMBER_FIELDS, OtherColumn, Table, locate};
use crate::units::{ImportSummary, Level, Unit};
use crate::values::IdNumber;
use crate::values::{HouseholdId, ReviewYear, UnitId};
use chrono::Datelike;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use standard::{DeprivationSet, Standard, Status};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn yes(text: &str) -> Option<bool> {
    match vntext::search_key(text).as_str() {
        "" | "0" | "khong" | "no" | "false" => Some(false),
        "1" | "x" | "co" | "yes" | "true" | "✓" | "✔" | "v" => Some(true),
        _ => None,
    }
}

fn sex(text: &str) -> Option<Option<String>> {
    match vntext::search_key(text).as_str() {
        "" => Some(None),
        "nam" | "male" | "m" => Some(Some("male".into())),
        "nu" | "female" | "f" => Some(Some("female".into())),
        _ => None,
    }
}

struct HouseholdRow {
    new: NewHousehold,
    commune_id: UnitId,
    village_id: Option<UnitId>,
    area: standard::Area,
    /// The year's survey facts the list gives, when it is imported with them.
    facts: Option<RowFacts>,
}

/// The year and the standard a list's survey facts (income, deprivation
/// marks) are recorded for.
pub struct SheetSurvey<'a> {
    pub year: ReviewYear,
    pub standard: &'a Standard,
}

/// One household's survey facts from a list.
struct RowFacts {
    at: String,
    income: i64,
    deprivations: DeprivationSet,
    /// The classification the commune wrote, to compare with the standard's.
    written: Option<Status>,
}

/// Where a household sheet keeps its survey facts.
#[derive(Default)]
struct FactColumns {
    income: Option<usize>,
    /// (column, indicator index in the standard).
    indicators: Vec<(usize, usize)>,
    /// A column with the written classification in words.
    status_text: Option<usize>,
    /// Columns marked x for one classification ("Hộ nghèo", "Hộ cận nghèo").
    status_marks: Vec<(usize, Status)>,
}

impl FactColumns {
    /// The columns of `others` (column, heading) that hold survey facts,
    /// read against the standard when the import has one.
    fn of(others: &[(usize, String)], standard: Option<&Standard>) -> FactColumns {
        let mut found = FactColumns::default();
        for (c, label) in others {
            let key = vntext::search_key(label);
            // Under a merged heading the label is "Group / Sub-label".
            let leaf = label.rsplit(" / ").next().unwrap_or(label);
            let indicator = standard.and_then(|s| {
                s.indicators
                    .iter()
                    .position(|i| i.named_by(leaf) || i.named_by(label))
            });
            if let Some(i) = indicator {
                found.indicators.push((*c, i));
            } else if key.contains("thu nhap") {
                found.income = Some(*c);
            } else if [
                "phan loai",
                "phan loai ho",
                "xep loai",
                "ket qua",
                "ket qua phan loai",
                "ket qua ra soat",
                "ket qua xep loai",
            ]
            .contains(&key.as_str())
            {
                found.status_text = Some(*c);
            } else if let Some(status) = match key.as_str() {
                "ho ngheo" => Some(Status::Poor),
                "ho can ngheo" => Some(Status::NearPoor),
                "ho co muc song trung binh" | "muc song trung binh" => Some(Status::Average),
                _ => None,
            } {
                found.status_marks.push((*c, status));
            }
        }
        found
    }

    fn takes(&self, column: usize) -> bool {
        self.income == Some(column)
            || self.indicators.iter().any(|(c, _)| *c == column)
            || self.status_text == Some(column)
            || self.status_marks.iter().any(|(c, _)| *c == column)
    }

    fn any_fact(&self) -> bool {
        self.income.is_some() || !self.indicators.is_empty()
    }
}

/// A classification as a commune writes it: "Hộ nghèo", "cận nghèo", "HCN",
/// "Thoát nghèo", "Mức sống trung bình".
fn written_status(text: &str) -> Option<Option<Status>> {
    let key = vntext::search_key(text);
    let key = key.strip_prefix("ho ").unwrap_or(&key);
    Some(match key {
        "" => None,
        "ngheo" | "hn" | "n" => Some(Status::Poor),
        "can ngheo" | "hcn" | "cn" => Some(Status::NearPoor),
        "co muc song trung binh" | "muc song trung binh" | "trung binh" | "tb" => {
            Some(Status::Average)
        }
        "khong ngheo" | "thoat ngheo" | "thoat can ngheo" | "kn" => Some(Status::NotPoor),
        _ => return None,
    })
}

#[derive(sqlx::FromRow)]
struct Existing {
    code: String,
    id: HouseholdId,
    commune_id: UnitId,
    village_id: Option<UnitId>,
    head_name: String,
    address: String,
    phone: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct Known {
    code: String,
    name_search: String,
    birth_date: Option<String>,
    commune_id: UnitId,
}

/// Which of an import's tables a sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Households,
    Members,
}

/// What the registry holds of the households an import's sheets name and
/// of the people of their communes, read as the sheets come: codes and
/// communes already read are not read again.
#[derive(Default)]
struct Held {
    existing: HashMap<String, Existing>,
    codes_read: HashSet<String>,
    known: Vec<Known>,
    communes_read: BTreeSet<UnitId>,
}

/// The household codes a household table names (sorted, once each) and
/// the communes its rows say, or `commune_code` where a row says none.
fn named_in(
    table: &Table,
    units: &UnitIndex,
    commune_code: Option<&str>,
) -> (Vec<String>, BTreeSet<UnitId>) {
    let default = commune_code.and_then(|c| units.commune(c));
    let mut codes = Vec::with_capacity(table.rows.len());
    let mut communes = BTreeSet::new();
    for (_, cells) in &table.rows {
        let code = table.cell(cells, "household_code").trim();
        if !code.is_empty() {
            codes.push(code.to_string());
        }
        communes.extend(units.row_commune(table, cells, default).map(|u| u.id));
    }
    codes.sort_unstable();
    codes.dedup();
    (codes, communes)
}

/// The search keys of a member table's names, a row each, made on every
/// core (a district's member sheet has hundreds of thousands).
fn name_keys_of(table: &Table) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = table.rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = table
            .rows
            .chunks(chunk)
            .map(|rows| {
                scope.spawn(move || {
                    rows.iter()
                        .map(|(_, cells)| vntext::search_key(table.cell(cells, "full_name")))
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        let mut keys = Vec::with_capacity(table.rows.len());
        for part in parts {
            keys.extend(part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        keys
    })
}

/// The unit table, found by code and by village name instead of scanned
/// once per row.
struct UnitIndex {
    communes: HashMap<String, Unit>,
    villages: HashMap<(UnitId, String), Unit>,
}

impl UnitIndex {
    fn new(units: Vec<Unit>) -> Self {
        let mut communes = HashMap::default();
        let mut villages = HashMap::default();
        for u in units {
            match (u.level, u.parent_id) {
                (Level::Commune, _) => {
                    communes.insert(u.code.clone(), u);
                }
                (Level::Village, Some(parent)) => {
                    // A village is named by its code or by its name, as the
                    // sheet writes it.
                    villages.insert((parent, vntext::search_key(&u.name)), u.clone());
                    villages.insert((parent, u.code.clone()), u);
                }
                _ => {}
            }
        }
        UnitIndex { communes, villages }
    }

    fn commune(&self, code: &str) -> Option<&Unit> {
        self.communes.get(code)
    }

    /// The commune of a table's row: its commune code, or `default` where
    /// the row has none.
    fn row_commune<'a>(
        &'a self,
        table: &Table,
        cells: &[String],
        default: Option<&'a Unit>,
    ) -> Option<&'a Unit> {
        match table.cell(cells, "commune_code").trim() {
            "" => default,
            code => self.commune(code),
        }
    }

    fn village(&self, commune: UnitId, text: &str) -> Option<&Unit> {
        self.villages
            .get(&(commune, text.to_string()))
            .or_else(|| self.villages.get(&(commune, vntext::search_key(text))))
    }
}

struct MemberRow {
    at: Place,
    household_code: String,
    member: CheckedMember,
}

/// A member row of the sheets: its table (in the import's member tables)
/// and spreadsheet row, written out only when a message names it.
#[derive(Clone, Copy)]
struct Place {
    table: usize,
    row: usize,
}

/// A person as the checks tell people apart: commune, name as searched,
/// birth date (yyyy-mm-dd); borrowed from the registry's rows where it can.
type PersonKey<'a> = (UnitId, Cow<'a, str>, Cow<'a, str>);

/// Where a person or an identity number was first seen: a member row of
/// the sheets, or a household on the registry.
enum Seen<'a> {
    Sheet(Place),
    Registry(&'a str),
}

impl Registry {
    /// Imports household and member sheets from one or more files (an xlsx
    /// workbook with both sheets, or CSV files). `commune_code` names the
    /// commune when the household sheet has no commune column. With
    /// `survey`, a list's income and deprivation marks are recorded as that
    /// year's survey and classified by its standard, and the classification
    /// the commune wrote is compared with the standard's.
    pub async fn import_sheets(
        &self,
        actor: &Actor,
        files: &[PathBuf],
        commune_code: Option<&str>,
        survey: Option<&SheetSurvey<'_>>,
        dry_run: bool,
    ) -> Result<ImportSummary, RegistryError> {
        let _turn = self.import_turn().await?;
        // The sheets are read on their own threads; each household sheet,
        // as soon as it is read, has what the registry holds of it read
        // while the others are still being read.
        let units = UnitIndex::new(self.units().await?);
        let (send, mut received) = tokio::sync::mpsc::unbounded_channel();
        let paths = files.to_vec();
        let reading = tokio::task::spawn_blocking(move || {
            for (f, path) in paths.iter().enumerate() {
                crate::sheets::each_grid(path, |i, grid| {
                    // A closed channel: the import stopped on an error of its own.
                    let _ = send.send(((f, i), grid));
                })?;
            }
            Ok::<_, RegistryError>(())
        });
        let mut held = Held::default();
        let mut found: Vec<((usize, usize), Holds, Table)> = Vec::new();
        while let Some((place, grid)) = received.recv().await {
            let h = locate(&grid, HOUSEHOLD_FIELDS);
            let m = locate(&grid, MEMBER_FIELDS);
            let (holds, table) = match (h, m) {
                (Some(h), Some(m)) if m.fields() > h.fields() => (Holds::Members, m.take(grid)),
                (Some(h), _) => (Holds::Households, h.take(grid)),
                (None, Some(m)) => (Holds::Members, m.take(grid)),
                (None, None) => continue,
            };
            if holds == Holds::Households {
                let (codes, communes) = named_in(&table, &units, commune_code);
                self.read_held(&mut held, codes, communes).await?;
            }
            found.push((place, holds, table));
        }
        reading.await.map_err(|e| RegistryError::Io {
            file: "?".into(),
            source: std::io::Error::other(e.to_string()),
        })??;
        found.sort_by_key(|(place, ..)| *place);
        let mut household_tables: Vec<(String, Table)> = Vec::new();
        let mut member_tables: Vec<(String, Table)> = Vec::new();
        for ((f, _), holds, table) in found {
            let file = files[f]
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or("?")
                .to_string();
            match holds {
                Holds::Households => household_tables.push((file, table)),
                Holds::Members => member_tables.push((file, table)),
            }
        }
        if household_tables.is_empty() && member_tables.is_empty() {
            return Err(RegistryError::Invalid(vec![
                "không tìm thấy bảng hộ (cột \"Mã hộ\", \"Họ và tên chủ hộ\") hay bảng thành viên (cột \"Mã hộ\", \"Họ và tên\") nào".into(),
            ]));
        }
        let read_as: Vec<String> = household_tables
            .iter()
            .chain(&member_tables)
            .map(|(file, t)| format!("{file}, sheet \"{}\": {}", t.sheet, t.found_at()))
            .collect();
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let standard = survey.map(|s| s.standard);
        let fact_columns: Vec<FactColumns> = household_tables
            .iter()
            .map(|(_, t)| FactColumns::of(&t.others, standard))
            .collect();
        let no_facts = FactColumns::default();
        for (i, (file, t)) in household_tables.iter().chain(&member_tables).enumerate() {
            let facts = fact_columns.get(i).unwrap_or(&no_facts);
            let letter = |c: usize| crate::sheets::column_letter(t.first_col + c);
            if let Some(s) = survey {
                if facts.any_fact() {
                    let mut missing: Vec<&str> = s
                        .standard
                        .indicators
                        .iter()
                        .enumerate()
                        .filter(|(n, _)| !facts.indicators.iter().any(|(_, i)| i == n))
                        .map(|(_, ind)| ind.name.vi.as_str())
                        .collect();
                    if facts.income.is_none() {
                        missing.insert(0, "thu nhập bình quân đầu người");
                    }
                    if !missing.is_empty() {
                        problems.push(format!(
                            "{file}, sheet \"{}\": xếp loại năm {} theo {} cần đủ thu nhập và {} chỉ số thiếu hụt; bảng thiếu cột: {}",
                            t.sheet,
                            s.year,
                            s.standard.id,
                            s.standard.indicators.len(),
                            missing.join(", ")
                        ));
                    }
                } else if i < household_tables.len() {
                    problems.push(format!(
                        "{file}, sheet \"{}\": --year {}: bảng hộ không có cột thu nhập hay chỉ số thiếu hụt để ghi kết quả khảo sát; bỏ --year và --standard",
                        t.sheet, s.year
                    ));
                }
            }
            let mut read_only = Vec::new();
            for (c, label) in &t.others {
                // Read as the year's survey facts.
                if survey.is_some() && facts.takes(*c) {
                    continue;
                }
                let column = format!("cột {} ({label})", letter(*c));
                match OtherColumn::of(label) {
                    OtherColumn::Ordinal => {}
                    OtherColumn::Note | OtherColumn::Result => read_only.push(column),
                    OtherColumn::SurveyFact if survey.is_none() => problems.push(format!(
                        "{file}, sheet \"{}\", {column}: thu nhập và dấu thiếu hụt là kết quả khảo sát của một năm — chạy với --year NĂM (và --standard nếu cần) để ghi và xếp loại, hoặc bỏ cột này khỏi bảng",
                        t.sheet
                    )),
                    OtherColumn::SurveyFact => problems.push(format!(
                        "{file}, sheet \"{}\", {column}: không ứng với chỉ số nào của chuẩn {}; đổi tiêu đề thành tên chỉ số (ví dụ \"{}\")",
                        t.sheet,
                        standard.map_or("", |s| s.id.as_str()),
                        standard
                            .and_then(|s| s.indicators.first())
                            .map_or("", |i| i.name.vi.as_str())
                    )),
                    OtherColumn::Unknown => problems.push(format!(
                        "{file}, sheet \"{}\", {column}: không biết cột này ghi gì, nên không nạp; đổi tiêu đề thành một tên đã biết (ví dụ \"Số CCCD\", \"Ngày sinh\", \"Dân tộc\", \"Số nhân khẩu\") hoặc bỏ cột khỏi bảng",
                        t.sheet
                    )),
                }
            }
            if !read_only.is_empty() {
                notes.push(format!(
                    "{file}, sheet \"{}\": không nạp {} (ghi chú, hay kết quả mà hệ thống tự tính từ phiếu khảo sát)",
                    t.sheet,
                    read_only.join(", ")
                ));
            }
        }
        let default_code = commune_code;
        for (file, t) in &mut household_tables {
            if t.column("household_code").is_none() {
                let note = self.assign_codes(file, t, &units, default_code).await?;
                notes.extend(note);
            }
        }
        // The head of each household is its first member: the household
        // sheet's head columns make a member row, unless a member sheet
        // names the head in that household itself.
        // Each member's name key, made once for these checks and the
        // member checks below.
        let mut name_keys: Vec<Vec<String>> =
            member_tables.iter().map(|(_, t)| name_keys_of(t)).collect();
        let mut listed: HashSet<(&str, &str)> = HashSet::with_capacity_and_hasher(
            member_tables.iter().map(|(_, t)| t.rows.len()).sum(),
            Default::default(),
        );
        for ((_, t), keys) in member_tables.iter().zip(&name_keys) {
            listed.extend(
                t.rows.iter().zip(keys).map(|((_, cells), key)| {
                    (t.cell(cells, "household_code").trim(), key.as_str())
                }),
            );
        }
        let heads: Vec<(String, Table)> = household_tables
            .iter()
            .filter_map(|(file, t)| {
                let (code, name) = (t.column("household_code")?, t.column("head_name")?);
                let heads = crate::sheets::heads_table(t, |cells| {
                    let cell = |c: usize| cells.get(c).map_or("", |s| s.trim());
                    // Rows without a code or a name are reported once, as households.
                    !cell(code).is_empty()
                        && !cell(name).is_empty()
                        && !listed.contains(&(cell(code), vntext::search_key(cell(name)).as_str()))
                })?;
                Some((file.clone(), heads))
            })
            .collect();
        name_keys.extend(heads.iter().map(|(_, t)| name_keys_of(t)));
        member_tables.extend(heads);
        let scope = self.write_scope(actor).await?;
        let default_commune = match commune_code {
            None => None,
            Some(code) => Some(
                units
                    .commune(code)
                    .ok_or_else(|| RegistryError::NotFound(format!("xã \"{code}\"")))?,
            ),
        };
        let at = |file: &str, t: &Table, row: usize, key: &str| {
            format!(
                "{file}, sheet \"{}\", dòng {row}, cột {}",
                t.sheet,
                t.header(key)
            )
        };

        // Households.
        let mut households: Vec<HouseholdRow> = Vec::new();
        let mut member_counts: HashMap<String, (usize, String)> = HashMap::default();
        let mut codes: HashMap<String, String> = HashMap::default();
        for ((file, t), facts) in household_tables.iter().zip(&fact_columns) {
            let letter = |c: usize| crate::sheets::column_letter(t.first_col + c);
            for (row, cells) in &t.rows {
                let code = t.cell(cells, "household_code").trim().to_string();
                let head = t.cell(cells, "head_name").trim().to_string();
                let here = |c: usize| {
                    format!(
                        "{file}, sheet \"{}\", dòng {row}, cột {}",
                        t.sheet,
                        letter(c)
                    )
                };
                let text = |c: usize| cells.get(c).map_or("", |s| s.trim());
                let row_facts = match survey {
                    Some(_) if facts.any_fact() => {
                        let mut deprivations = DeprivationSet::EMPTY;
                        for &(c, i) in &facts.indicators {
                            match yes(text(c)) {
                                Some(true) => deprivations.insert(i),
                                Some(false) => {}
                                None => problems.push(format!(
                                    "{}: \"{}\" không hợp lệ; đánh x (thiếu hụt) hoặc để trống",
                                    here(c),
                                    text(c)
                                )),
                            }
                        }
                        let income = match facts.income.map(|c| (c, text(c))) {
                            Some((c, "")) => {
                                problems.push(format!(
                                    "{}: ô trống; ghi thu nhập bình quân đầu người/tháng (đồng)",
                                    here(c)
                                ));
                                0
                            }
                            Some((c, t)) => match vntext::parse_whole(t) {
                                Ok(v) if (0..=standard::INCOME_MAX).contains(&v) => v,
                                _ => {
                                    problems.push(format!(
                                        "{}: \"{t}\" không phải thu nhập bình quân đầu người/tháng (số đồng, ví dụ 1.200.000)",
                                        here(c)
                                    ));
                                    0
                                }
                            },
                            None => 0,
                        };
                        let mut written = None;
                        if let Some(c) = facts.status_text {
                            match written_status(text(c)) {
                                Some(w) => written = w,
                                None => problems.push(format!(
                                    "{}: \"{}\" không phải một phân loại; ghi Hộ nghèo, Hộ cận nghèo, Hộ có mức sống trung bình hoặc Hộ không nghèo",
                                    here(c),
                                    text(c)
                                )),
                            }
                        }
                        for &(c, status) in &facts.status_marks {
                            match yes(text(c)) {
                                Some(true) => written = Some(status),
                                Some(false) => {}
                                None => problems.push(format!(
                                    "{}: \"{}\" không hợp lệ; đánh x hoặc để trống",
                                    here(c),
                                    text(c)
                                )),
                            }
                        }
                        Some(RowFacts {
                            at: format!("{file}, sheet \"{}\", dòng {row}", t.sheet),
                            income,
                            deprivations,
                            written,
                        })
                    }
                    _ => None,
                };
                // A code the system was to assign and could not: the row's
                // commune or head is missing, which the checks below say.
                let unassigned = code.is_empty() && t.codes_assigned;
                if code.is_empty() && !unassigned {
                    problems.push(format!(
                        "{}: ô trống; mỗi hộ cần một mã hộ",
                        at(file, t, *row, "household_code")
                    ));
                    continue;
                }
                if !unassigned
                    && let Some(first) = codes.insert(code.clone(), format!("{file} dòng {row}"))
                {
                    problems.push(format!(
                        "{}: mã hộ \"{code}\" trùng với {first}",
                        at(file, t, *row, "household_code")
                    ));
                }
                if head.is_empty() {
                    problems.push(format!(
                        "{}: ô trống; ghi họ và tên chủ hộ",
                        at(file, t, *row, "head_name")
                    ));
                }
                // The group of the list is the head's ethnicity as the
                // registry keeps it: the mark must agree with it.
                let ethnicity = t.cell(cells, "head_ethnicity").trim();
                match yes(t.cell(cells, "ethnic_minority")) {
                    None => problems.push(format!(
                        "{}: \"{}\" không hợp lệ; ghi x (có) hoặc để trống",
                        at(file, t, *row, "ethnic_minority"),
                        t.cell(cells, "ethnic_minority")
                    )),
                    Some(true) if ethnicity.is_empty() => problems.push(format!(
                        "{}: hộ dân tộc thiểu số; ghi dân tộc của chủ hộ (cột \"Dân tộc\")",
                        at(file, t, *row, "ethnic_minority")
                    )),
                    Some(true) if !crate::tallies::ethnic_minority(ethnicity) => {
                        problems.push(format!(
                            "{}: đánh dấu dân tộc thiểu số nhưng chủ hộ là dân tộc \"{ethnicity}\"",
                            at(file, t, *row, "ethnic_minority")
                        ))
                    }
                    Some(_) => {}
                }
                match t.cell(cells, "member_count").trim() {
                    "" => {}
                    n => match n.parse::<usize>() {
                        Ok(n) if (1..=60).contains(&n) => {
                            member_counts.insert(code.clone(), (n, format!("{file} dòng {row}")));
                        }
                        _ => problems.push(format!(
                            "{}: \"{n}\" không phải số nhân khẩu (một số nguyên từ 1 đến 60)",
                            at(file, t, *row, "member_count")
                        )),
                    },
                }
                let Some(commune) = units.row_commune(t, cells, default_commune) else {
                    problems.push(format!(
                        "{}: không biết hộ thuộc xã nào; thêm cột \"Mã xã\" hoặc chạy với --commune MÃ_XÃ",
                        at(file, t, *row, "commune_code")
                    ));
                    continue;
                };
                if !scope.contains(commune.id) {
                    problems.push(format!(
                        "{}: xã \"{}\" nằm ngoài phạm vi của tài khoản",
                        at(file, t, *row, "commune_code"),
                        commune.code
                    ));
                    continue;
                }
                let village_text = t.cell(cells, "village").trim();
                let village = if village_text.is_empty() {
                    None
                } else {
                    match units.village(commune.id, village_text) {
                        Some(v) => Some(v),
                        None => {
                            problems.push(format!(
                                "{}: xã {} không có thôn \"{village_text}\" trong danh mục đơn vị",
                                at(file, t, *row, "village"),
                                commune.name
                            ));
                            continue;
                        }
                    }
                };
                households.push(HouseholdRow {
                    new: NewHousehold {
                        code,
                        commune_code: commune.code.clone(),
                        village_code: village.map(|v| v.code.clone()),
                        address: t.cell(cells, "address").trim().to_string(),
                        head_name: head,
                        phone: t.cell(cells, "phone").trim().to_string(),
                    },
                    commune_id: commune.id,
                    village_id: village.map(|v| v.id),
                    area: if commune.area.as_deref() == Some("urban") {
                        standard::Area::Urban
                    } else {
                        standard::Area::Rural
                    },
                    facts: row_facts,
                });
            }
        }

        // What the database already holds of the households the sheets
        // name, and of the people of their communes: the memory of an
        // import follows the file, not the registry.
        let mut named: Vec<String> = households.iter().map(|h| h.new.code.clone()).collect();
        for (_, t) in &member_tables {
            for (_, cells) in &t.rows {
                named.push(t.cell(cells, "household_code").trim().to_string());
            }
        }
        named.sort_unstable();
        named.dedup();
        let sheet_communes: BTreeSet<UnitId> = households.iter().map(|h| h.commune_id).collect();
        self.read_held(&mut held, named.clone(), sheet_communes)
            .await?;
        // The communes the registry puts the sheets' households in.
        let registry_communes: BTreeSet<UnitId> =
            held.existing.values().map(|e| e.commune_id).collect();
        self.read_held(&mut held, Vec::new(), registry_communes)
            .await?;
        let Held {
            mut existing,
            known: mut known_members,
            ..
        } = held;
        // What was read of households and communes the checks left out
        // (a row with a problem) is not the import's.
        existing.retain(|code, _| named.binary_search(code).is_ok());
        let communes: BTreeSet<UnitId> = households
            .iter()
            .map(|h| h.commune_id)
            .chain(existing.values().map(|e| e.commune_id))
            .collect();
        known_members.retain(|k| communes.contains(&k.commune_id));
        let mut sheet_numbers: Vec<String> = Vec::new();
        for (_, t) in &member_tables {
            for (_, cells) in &t.rows {
                if let Ok(Some(n)) = IdNumber::parse(t.cell(cells, "id_number")) {
                    sheet_numbers.push(n.to_string());
                }
            }
        }
        sheet_numbers.sort_unstable();
        sheet_numbers.dedup();
        let numbers_elsewhere: Vec<(String, String)> = self
            .fetch_in(
                "SELECT m.id_number, h.code FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.removed_on IS NULL AND m.id_number IN ({list})",
                &sheet_numbers,
            )
            .await?;

        // Members.
        let sheet_communes: HashMap<&str, UnitId> = households
            .iter()
            .map(|h| (h.new.code.as_str(), h.commune_id))
            .collect();
        let household_commune = |code: &str| -> Option<UnitId> {
            sheet_communes
                .get(code)
                .copied()
                .or_else(|| existing.get(code).map(|e| e.commune_id))
        };
        let known_people: HashSet<(&str, &str, Option<&str>)> = known_members
            .iter()
            .map(|k| {
                (
                    k.code.as_str(),
                    k.name_search.as_str(),
                    k.birth_date.as_deref(),
                )
            })
            .collect();
        let member_rows: usize = member_tables.iter().map(|(_, t)| t.rows.len()).sum();
        let mut members: Vec<MemberRow> = Vec::with_capacity(member_rows);
        // Keyed by what the registry holds, borrowed; the sheets' own keys
        // are made once per row.
        let place = |p: Place| {
            let (file, t) = &member_tables[p.table];
            format!("{file}, sheet \"{}\", dòng {}", t.sheet, p.row)
        };
        let seen = |s: &Seen<'_>| match s {
            Seen::Sheet(p) => place(*p),
            Seen::Registry(code) => format!("hộ {code} trong cơ sở dữ liệu"),
        };
        let mut by_id_number: HashMap<Cow<'_, str>, Seen<'_>> = HashMap::with_capacity_and_hasher(
            numbers_elsewhere.len() + member_rows,
            Default::default(),
        );
        let mut by_person: HashMap<PersonKey<'_>, (Cow<'_, str>, Seen<'_>)> =
            HashMap::with_capacity_and_hasher(
                known_members.len() + member_rows,
                Default::default(),
            );
        for (n, code) in &numbers_elsewhere {
            by_id_number.insert(n.as_str().into(), Seen::Registry(code));
        }
        for k in &known_members {
            if let Some(b) = &k.birth_date {
                by_person.insert(
                    (
                        k.commune_id,
                        k.name_search.as_str().into(),
                        b.as_str().into(),
                    ),
                    (k.code.as_str().into(), Seen::Registry(&k.code)),
                );
            }
        }
        for (table, ((file, t), keys)) in member_tables.iter().zip(&name_keys).enumerate() {
            for ((row, cells), name_key) in t.rows.iter().zip(keys) {
                let code = t.cell(cells, "household_code").trim().to_string();
                let name = t.cell(cells, "full_name").trim().to_string();
                let mut bad = |key: &str, problem: String| {
                    problems.push(format!("{}: {problem}", at(file, t, *row, key)))
                };
                if name.is_empty() {
                    bad("full_name", "ô trống; ghi họ và tên".into());
                    continue;
                }
                let Some(commune) = household_commune(&code) else {
                    bad(
                        "household_code",
                        format!("không có hộ \"{code}\" trong bảng hộ hay trong cơ sở dữ liệu"),
                    );
                    continue;
                };
                if !scope.contains(commune) {
                    bad(
                        "household_code",
                        format!("hộ \"{code}\" thuộc xã nằm ngoài phạm vi của tài khoản"),
                    );
                    continue;
                }
                let sex_value = match sex(t.cell(cells, "sex")) {
                    Some(s) => s,
                    None => {
                        bad(
                            "sex",
                            format!("\"{}\" không hợp lệ; ghi Nam hoặc Nữ", t.cell(cells, "sex")),
                        );
                        None
                    }
                };
                let birth_text = t.cell(cells, "birth_date").trim();
                let birth = if birth_text.is_empty() {
                    None
                } else {
                    match vntext::parse_date(birth_text) {
                        Some(d) => Some(d),
                        None => {
                            bad(
                                "birth_date",
                                format!("\"{birth_text}\" không phải ngày; ghi dd/mm/yyyy"),
                            );
                            None
                        }
                    }
                };
                // A number that disagrees with the person is reported, and
                // still compared with the others (a duplicate is its own
                // problem).
                let id_number = match IdNumber::parse(t.cell(cells, "id_number")) {
                    Ok(number) => {
                        if let Some(n) = &number
                            && let Err(p) =
                                n.agrees_with(sex_value.as_deref(), birth.map(|d| d.year()))
                        {
                            bad("id_number", p);
                        }
                        number
                    }
                    Err(p) => {
                        bad("id_number", p);
                        None
                    }
                };
                let mut flag = |key: &str| -> bool {
                    let text = t.cell(cells, key);
                    yes(text).unwrap_or_else(|| {
                        problems.push(format!(
                            "{}: \"{text}\" không hợp lệ; ghi x (có) hoặc để trống",
                            at(file, t, *row, key)
                        ));
                        false
                    })
                };
                let (disability, merit, social_protection) =
                    (flag("disability"), flag("merit"), flag("social_protection"));
                let here = Place { table, row: *row };
                let birth_iso = birth.map(|d| d.format("%Y-%m-%d").to_string());
                if known_people.contains(&(code.as_str(), name_key.as_str(), birth_iso.as_deref()))
                {
                    // Already recorded in this household: re-importing a sheet is not a duplicate.
                    continue;
                }
                if let Some(n) = &id_number
                    && let Some(first) =
                        by_id_number.insert(n.to_string().into(), Seen::Sheet(here))
                {
                    problems.push(format!(
                        "{}: số định danh {n} trùng với {}; kiểm tra lại, hệ thống không tự gộp",
                        at(file, t, *row, "id_number"),
                        seen(&first)
                    ));
                }
                if let (Some(b), Some(iso)) = (birth, &birth_iso) {
                    let key = (commune, name_key.as_str().into(), iso.clone().into());
                    if let Some((other_code, first)) =
                        by_person.insert(key, (code.clone().into(), Seen::Sheet(here)))
                    {
                        problems.push(format!(
                            "{}: \"{name}\" sinh {} trùng họ tên và ngày sinh với người ở {} (hộ {other_code}) cùng xã; kiểm tra lại, hệ thống không tự gộp",
                            place(here),
                            vntext::format_date(b),
                            seen(&first)
                        ));
                    }
                }
                members.push(MemberRow {
                    at: here,
                    household_code: code,
                    member: CheckedMember {
                        full_name: name,
                        sex: sex_value,
                        birth,
                        id_number,
                        relation: t.cell(cells, "relation").trim().to_string(),
                        ethnicity: t.cell(cells, "ethnicity").trim().to_string(),
                        disability,
                        no_working_capacity: false,
                        merit,
                        social_protection,
                    },
                });
            }
        }
        // The number of members a list writes against those the household
        // will have: a difference is said, not corrected.
        let mut counted: HashMap<&str, usize> = HashMap::default();
        for k in &known_members {
            *counted.entry(k.code.as_str()).or_default() += 1;
        }
        for m in &members {
            *counted.entry(m.household_code.as_str()).or_default() += 1;
        }
        let counted_members: HashMap<String, u32> = counted
            .iter()
            .map(|(code, n)| (code.to_string(), *n as u32))
            .collect();
        let mut differ: Vec<String> = member_counts
            .iter()
            .filter(|(code, (n, _))| counted.get(code.as_str()).copied().unwrap_or(0) != *n)
            .map(|(code, (n, at))| {
                format!(
                    "hộ {code} ({at}) ghi {n} nhân khẩu, có {}",
                    counted.get(code.as_str()).copied().unwrap_or(0)
                )
            })
            .collect();
        if !differ.is_empty() {
            differ.sort();
            let total = differ.len();
            differ.truncate(5);
            notes.push(format!(
                "{total} hộ có số nhân khẩu ghi trong bảng khác số thành viên có trong sổ (bổ sung bảng thành viên): {}{}",
                differ.join("; "),
                if total > 5 { "; …" } else { "" }
            ));
        }
        if !problems.is_empty() {
            // Say how each sheet was read: a header taken at the wrong rows
            // explains a whole column of problems.
            return Err(RegistryError::Invalid(
                read_as.into_iter().chain(problems).collect(),
            ));
        }

        let mut summary = ImportSummary {
            notes,
            ..ImportSummary::default()
        };
        // A household on the registry: its fields now and as the sheet
        // writes them.
        let fields = |h: &HouseholdRow, e: &Existing| {
            let current = crate::households::HouseholdFields {
                village_id: e.village_id,
                head_name: e.head_name.clone(),
                address: e.address.clone(),
                phone: e.phone.clone(),
            };
            let wanted = crate::households::HouseholdFields {
                village_id: h.village_id,
                head_name: h.new.head_name.clone(),
                address: h.new.address.clone(),
                phone: h.new.phone.clone(),
            };
            (current, wanted)
        };
        if dry_run && survey.is_none() {
            // Every row has been checked above, against the sheet and the
            // registry; what is left is writing, which the import does all
            // or nothing. So a dry run without a survey counts what the
            // import would do without writing it (a third of the time of
            // writing and rolling back a district's workbook). With a
            // survey it writes and rolls back: the standard's
            // classification is compared with the commune's as it is
            // recorded.
            for h in &households {
                match existing.get(&h.new.code) {
                    None => summary.created += 1,
                    Some(e) => {
                        let (current, wanted) = fields(h, e);
                        let communes = (e.commune_id, h.commune_id);
                        match crate::households::household_changes(communes, &current, &wanted) {
                            Some(_) => summary.updated += 1,
                            None => summary.unchanged += 1,
                        }
                    }
                }
            }
            // A district's sheets are millions of strings: freed on a
            // thread of their own, not before the answer.
            let read = (household_tables, member_tables, name_keys, members);
            std::thread::spawn(move || drop(read));
            return Ok(summary);
        }
        let mut ids: HashMap<String, (HouseholdId, UnitId)> = existing
            .iter()
            .map(|(c, e)| (c.clone(), (e.id, e.commune_id)))
            .collect();
        let mut tx = self.db.write().await?;
        let created: Vec<HouseholdInsert<'_>> = households
            .iter()
            .filter(|h| !existing.contains_key(&h.new.code))
            .map(|h| HouseholdInsert {
                commune_id: h.commune_id,
                village_id: h.village_id,
                new: &h.new,
            })
            .collect();
        let created_ids =
            insert_households(&mut tx, actor, &created, Some(&crate::households::today())).await?;
        for (h, id) in created.iter().zip(created_ids) {
            ids.insert(h.new.code.clone(), (id, h.commune_id));
        }
        summary.created = created.len();
        for h in &households {
            let Some(e) = existing.get(&h.new.code) else {
                continue;
            };
            let (current, wanted) = fields(h, e);
            let changed = crate::households::update_household_tx(
                &mut tx,
                actor,
                e.id,
                &h.new.code,
                (e.commune_id, h.commune_id),
                &current,
                &wanted,
            )
            .await?;
            if changed {
                summary.updated += 1;
            } else {
                summary.unchanged += 1;
            }
        }
        let mut added: Vec<MemberInsert<'_>> = Vec::with_capacity(members.len());
        for m in &members {
            let Some(&(household_id, commune_id)) = ids.get(&m.household_code) else {
                return Err(RegistryError::Invalid(vec![format!(
                    "{}: không có hộ \"{}\"",
                    place(m.at),
                    m.household_code
                )]));
            };
            added.push(MemberInsert {
                household_id,
                household_code: &m.household_code,
                commune_id,
                member: &m.member,
            });
        }
        insert_members(&mut tx, actor, &added).await?;
        if let Some(survey) = survey {
            let disagreements = self
                .record_sheet_facts(
                    &mut tx,
                    actor,
                    survey,
                    &households,
                    &ids,
                    &counted_members,
                    &existing,
                )
                .await?;
            let assessed = households.iter().filter(|h| h.facts.is_some()).count();
            summary.notes.push(format!(
                "ghi khảo sát và xếp loại năm {} theo {} cho {assessed} hộ",
                survey.year, survey.standard.id
            ));
            if !disagreements.is_empty() {
                let total = disagreements.len();
                let shown: Vec<&str> = disagreements.iter().take(10).map(String::as_str).collect();
                summary.notes.push(format!(
                    "{total} hộ có phân loại xã ghi khác kết quả theo chuẩn (kiểm tra lại phiếu): {}{}",
                    shown.join("; "),
                    if total > 10 { "; …" } else { "" }
                ));
            }
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            self.db.optimize().await?;
        }
        Ok(summary)
    }

    /// A list's survey facts: for each household that has them, the year's
    /// survey and official assessment (new households in bulk, those on the
    /// registry one by one, as the flat import records them); returns where
    /// the classification the commune wrote differs from the standard's.
    /// Reads into `held` the households of `codes` and the people of
    /// `communes` it does not hold yet.
    async fn read_held(
        &self,
        held: &mut Held,
        mut codes: Vec<String>,
        communes: BTreeSet<UnitId>,
    ) -> Result<(), RegistryError> {
        codes.retain(|c| !held.codes_read.contains(c));
        if !codes.is_empty() {
            let rows = self
                .fetch_in::<Existing>(
                    "SELECT code, id, commune_id, village_id, head_name, address, phone FROM households WHERE code IN ({list})",
                    &codes,
                )
                .await?;
            held.existing
                .extend(rows.into_iter().map(|e| (e.code.clone(), e)));
            held.codes_read.extend(codes);
        }
        let communes: BTreeSet<UnitId> =
            communes.difference(&held.communes_read).copied().collect();
        if !communes.is_empty() {
            // Packed on SQLite: a district's communes hold hundreds of
            // thousands of people, each a wake-up of the driver's thread.
            let sql = format!(
                "SELECT h.code, m.name_search, m.birth_date, h.commune_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.removed_on IS NULL AND h.commune_id IN ({})",
                crate::gate::id_list(&communes)
            );
            let columns = ["code", "name_search", "birth_date", "commune_id"];
            let known: Vec<Known> = self
                .db
                .fetch_packed(&self.db.pool, &sql, &columns, &[])
                .await?;
            held.known.extend(known);
            held.communes_read.extend(communes);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_sheet_facts(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        survey: &SheetSurvey<'_>,
        households: &[HouseholdRow],
        ids: &HashMap<String, (HouseholdId, UnitId)>,
        members: &HashMap<String, u32>,
        existing: &HashMap<String, Existing>,
    ) -> Result<Vec<String>, RegistryError> {
        let (year, standard) = (survey.year.as_i64(), survey.standard);
        let now = crate::now();
        let mut rows: Vec<(Assessed<'_>, FlatRow, bool)> = Vec::new();
        let mut disagreements = Vec::new();
        let mut sources: Vec<&str> = Vec::new();
        for h in households {
            let (Some(f), Some(&(id, commune_id))) = (&h.facts, ids.get(&h.new.code)) else {
                continue;
            };
            let source = f.at.split(", sheet").next().unwrap_or("");
            if !sources.contains(&source) {
                sources.push(source);
            }
            let row = FlatRow {
                row: 0,
                code: h.new.code.clone(),
                commune: h.new.commune_code.clone(),
                village: String::new(),
                area: h.area,
                members: members.get(&h.new.code).copied().unwrap_or(1).max(1),
                income_per_capita: f.income,
                deprivations: f.deprivations,
                livelihood: standard::Livelihood::Unknown,
                merit: false,
                social_protection: false,
                not_utf8: None,
            };
            if let Some(written) = f.written {
                let c = standard.classify(h.area, f.income, f.deprivations);
                if c.status != written {
                    disagreements.push(format!(
                        "hộ {} ({}): xã ghi \"{}\", theo chuẩn là \"{}\" (thu nhập {} đồng, {} chỉ số thiếu hụt)",
                        h.new.code,
                        f.at,
                        crate::export::status_name(written.code()),
                        crate::export::status_name(c.status.code()),
                        vntext::format_vnd(f.income),
                        c.deprivation_count()
                    ));
                }
            }
            let household = Assessed {
                id,
                code: h.new.code.as_str(),
                commune_id,
            };
            rows.push((household, row, existing.contains_key(&h.new.code)));
        }
        let source = sources.join(", ");
        let fresh: Vec<(Assessed<'_>, &FlatRow)> = rows
            .iter()
            .filter(|(_, _, known)| !known)
            .map(|(h, r, _)| (*h, r))
            .collect();
        if !fresh.is_empty() {
            self.assess_new_households(tx, actor, &source, standard, year, &now, &fresh)
                .await?;
        }
        for (household, row, _) in rows.iter().filter(|(_, _, known)| *known) {
            self.assess_from_file(tx, actor, &source, standard, year, &now, household, row)
                .await?;
        }
        Ok(disagreements)
    }

    /// Codes for a list that has none (common: communes number their rows,
    /// not their households). Each row is matched with a household already
    /// in the registry — by the head's identity number, then by the head's
    /// name, birth date and village — so the same list imported twice
    /// creates nobody twice; a household not found gets the next free code
    /// of its commune: the commune's code, a dash, five digits
    /// ("18652-00001"). Rows whose commune or head cannot be told are left
    /// without a code, for the import to report.
    async fn assign_codes(
        &self,
        file: &str,
        t: &mut Table,
        units: &UnitIndex,
        default_commune: Option<&str>,
    ) -> Result<Option<String>, RegistryError> {
        let column = t.add_code_column();
        struct Head {
            row: usize,
            commune: UnitId,
            commune_code: String,
            village: Option<UnitId>,
            name: String,
            birth: Option<String>,
            id_number: Option<String>,
        }
        let mut heads = Vec::new();
        for (i, (_, cells)) in t.rows.iter().enumerate() {
            let commune =
                units.row_commune(t, cells, default_commune.and_then(|c| units.commune(c)));
            let name = vntext::search_key(t.cell(cells, "head_name"));
            let (Some(commune), false) = (commune, name.is_empty()) else {
                continue;
            };
            let village = match t.cell(cells, "village").trim() {
                "" => None,
                v => units.village(commune.id, v).map(|u| u.id),
            };
            heads.push(Head {
                row: i,
                commune: commune.id,
                commune_code: commune.code.clone(),
                village,
                name,
                birth: vntext::parse_date(t.cell(cells, "head_birth_date").trim())
                    .map(|d| d.format("%Y-%m-%d").to_string()),
                id_number: IdNumber::parse(t.cell(cells, "head_id_number"))
                    .ok()
                    .flatten()
                    .map(|n| n.to_string()),
            });
        }
        let numbers: Vec<String> = heads.iter().filter_map(|h| h.id_number.clone()).collect();
        let by_number: HashMap<String, String> = self
            .fetch_in::<(String, String)>(
                "SELECT m.id_number, h.code FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.removed_on IS NULL AND h.removed_on IS NULL AND m.id_number IN ({list})",
                &numbers,
            )
            .await?
            .into_iter()
            .collect();
        let communes: BTreeSet<UnitId> = heads.iter().map(|h| h.commune).collect();
        #[derive(sqlx::FromRow)]
        struct Person {
            code: String,
            name_search: String,
            birth_date: Option<String>,
            village_id: Option<UnitId>,
        }
        let people: Vec<Person> = if communes.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT h.code, m.name_search, m.birth_date, h.village_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.removed_on IS NULL AND h.removed_on IS NULL AND h.commune_id IN ({})",
                crate::gate::id_list(&communes)
            )))
            .fetch_all(&self.db.pool)
            .await?
        };
        let by_person: HashMap<(&str, Option<&str>, Option<UnitId>), &str> = people
            .iter()
            .map(|p| {
                (
                    (
                        p.name_search.as_str(),
                        p.birth_date.as_deref(),
                        p.village_id,
                    ),
                    p.code.as_str(),
                )
            })
            .collect();
        // The next free number of each commune.
        let mut next: HashMap<String, u32> = HashMap::default();
        let prefixes: Vec<String> = heads
            .iter()
            .map(|h| h.commune_code.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for prefix in &prefixes {
            let codes: Vec<String> =
                sqlx::query_scalar("SELECT code FROM households WHERE code >= $1 AND code < $2")
                    .bind(format!("{prefix}-"))
                    .bind(format!("{prefix}."))
                    .fetch_all(&self.db.pool)
                    .await?;
            let last = codes
                .iter()
                .filter_map(|c| c.strip_prefix(&format!("{prefix}-"))?.parse::<u32>().ok())
                .max()
                .unwrap_or(0);
            next.insert(prefix.clone(), last + 1);
        }
        let (mut by_id, mut by_name, mut made) = (0, 0, Vec::new());
        for h in &heads {
            let found = h
                .id_number
                .as_ref()
                .and_then(|n| by_number.get(n).cloned())
                .inspect(|_| by_id += 1)
                .or_else(|| {
                    by_person
                        .get(&(h.name.as_str(), h.birth.as_deref(), h.village))
                        .map(|c| c.to_string())
                        .inspect(|_| by_name += 1)
                });
            let code = match found {
                Some(code) => code,
                None => {
                    let n = next.entry(h.commune_code.clone()).or_insert(1);
                    let code = format!("{}-{:05}", h.commune_code, n);
                    *n += 1;
                    made.push(code.clone());
                    code
                }
            };
            t.rows[h.row].1[column] = code;
        }
        if heads.is_empty() {
            return Ok(None);
        }
        Ok(Some(format!(
            "{file}, sheet \"{}\": bảng không có cột mã hộ; {} hộ nhận ra trong sổ theo số CCCD của chủ hộ, {} theo họ tên, ngày sinh và thôn của chủ hộ, {} hộ mới được đặt mã (mã xã-số thứ tự năm chữ số){}",
            t.sheet,
            by_id,
            by_name,
            made.len(),
            match (made.first(), made.last()) {
                (Some(a), Some(b)) if a != b => format!(": {a} … {b}"),
                (Some(a), _) => format!(": {a}"),
                _ => String::new(),
            }
        )))
    }
}
