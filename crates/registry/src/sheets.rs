//! Reading district spreadsheets: the household sheet and the member sheet,
//! in xlsx or CSV, whatever sits around the table.
//!
//! Real sheets open with title rows (the People's Committee, the list's title
//! and year), put a one- or two-row header (often merged cells) above the
//! table, sometimes a row numbering the columns "(1) (2) (3)", and end with a
//! signature block. [`find_table`] finds the header by matching cells against
//! the Vietnamese (and English) names of the fields, and takes the rows under
//! it up to the first empty row. Text typed in the legacy TCVN3 or VNI
//! encodings is converted to Unicode; all text is NFC.

use crate::error::RegistryError;
use std::path::Path;

/// The cells of one sheet as text, with the row number of its first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub name: String,
    /// 1-based spreadsheet row number of `rows[0]`.
    pub first_row: usize,
    /// 0-based column index of each row's first cell.
    pub first_col: usize,
    pub rows: Vec<Vec<String>>,
}

/// A field of a sheet and the header texts it is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// The household sheet.
pub const HOUSEHOLD_FIELDS: &[Field] = &[
    Field {
        key: "household_code",
        aliases: &[
            "Mã hộ",
            "Mã số hộ",
            "Mã hộ gia đình",
            "household_id",
            "household_code",
        ],
        // A list without codes gets them (see `sheet_import::assign_codes`).
        required: false,
    },
    Field {
        key: "head_name",
        aliases: &[
            "Họ và tên chủ hộ",
            "Họ tên chủ hộ",
            "Tên chủ hộ",
            "Chủ hộ",
            "head_name",
        ],
        required: true,
    },
    Field {
        key: "village",
        aliases: &[
            "Thôn/Xóm",
            "Thôn, xóm",
            "Thôn",
            "Xóm",
            "Tổ dân phố",
            "Thôn/Tổ dân phố",
            "village",
        ],
        required: false,
    },
    Field {
        key: "commune_code",
        aliases: &["Mã xã", "Mã đơn vị", "commune_code"],
        required: false,
    },
    Field {
        key: "address",
        aliases: &["Địa chỉ", "address"],
        required: false,
    },
    Field {
        key: "phone",
        aliases: &["Số điện thoại", "Điện thoại", "phone"],
        required: false,
    },
    // The head as a person: created as the household's first member.
    Field {
        key: "head_id_number",
        aliases: &[
            "Số CCCD của chủ hộ",
            "Số CCCD chủ hộ",
            "CCCD chủ hộ",
            "Số CCCD",
            "CCCD",
            "Số CMND/CCCD",
            "Số CCCD/CMND",
            "Số định danh",
            "Số định danh cá nhân",
            "head_id_number",
        ],
        required: false,
    },
    Field {
        key: "head_birth_date",
        aliases: &[
            "Ngày sinh",
            "Ngày sinh chủ hộ",
            "Ngày, tháng, năm sinh",
            "Ngày tháng năm sinh",
            "head_birth_date",
        ],
        required: false,
    },
    Field {
        key: "head_sex",
        aliases: &["Giới tính", "Giới tính chủ hộ", "head_sex"],
        required: false,
    },
    Field {
        key: "head_ethnicity",
        aliases: &["Dân tộc", "head_ethnicity"],
        required: false,
    },
    Field {
        key: "merit",
        aliases: &["Người có công", "Hộ người có công", "NCC", "merit"],
        required: false,
    },
    Field {
        key: "social_protection",
        aliases: &[
            "Bảo trợ xã hội",
            "Hộ bảo trợ xã hội",
            "BTXH",
            "Đối tượng BTXH",
            "social_protection",
        ],
        required: false,
    },
    Field {
        key: "ethnic_minority",
        aliases: &[
            "Dân tộc thiểu số",
            "Hộ dân tộc thiểu số",
            "DTTS",
            "ethnic_minority",
        ],
        required: false,
    },
    Field {
        key: "member_count",
        aliases: &[
            "Số nhân khẩu",
            "Số khẩu",
            "Nhân khẩu",
            "Số thành viên",
            "member_count",
        ],
        required: false,
    },
];

/// What a header column that no field takes holds, so the import can say
/// what it does with it instead of dropping it unseen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherColumn {
    /// "STT": the row's number in the list.
    Ordinal,
    /// Notes and signatures: read, not stored, said in the summary.
    Note,
    /// A result the registry computes itself (the classification, the
    /// deprivations it found, the standard): said in the summary.
    Result,
    /// Survey facts: income, a deprivation mark. Not imported from sheets
    /// yet, so refused rather than lost.
    SurveyFact,
    Unknown,
}

impl OtherColumn {
    pub fn of(label: &str) -> OtherColumn {
        let key = normal(label);
        let any = |words: &[&str]| words.iter().any(|w| key.contains(&normal(w)));
        let is = |words: &[&str]| words.iter().any(|w| key == normal(w));
        if is(&["STT", "TT", "Số TT", "Số thứ tự"]) {
            OtherColumn::Ordinal
        } else if any(&["Ghi chú", "Ký nhận", "Ký tên", "Chữ ký"]) {
            OtherColumn::Note
        } else if any(&[
            "Thu nhập",
            "Việc làm",
            "Người phụ thuộc",
            "Dinh dưỡng",
            "Bảo hiểm y tế",
            "BHYT",
            "Giáo dục",
            "Đi học",
            "Nhà ở",
            "Nước sinh hoạt",
            "Nguồn nước",
            "Nhà tiêu",
            "Viễn thông",
            "Tiếp cận thông tin",
        ]) && !is(&["Các chỉ số thiếu hụt", "Chỉ số thiếu hụt"])
        {
            OtherColumn::SurveyFact
        } else if any(&[
            "Phân loại",
            "Kết quả",
            "Số chỉ số thiếu hụt",
            "Các chỉ số thiếu hụt",
            "Chỉ số thiếu hụt",
            "Chuẩn áp dụng",
            "Hộ nghèo",
            "Hộ cận nghèo",
            "Điểm",
        ]) {
            OtherColumn::Result
        } else {
            OtherColumn::Unknown
        }
    }
}

/// The member sheet.
pub const MEMBER_FIELDS: &[Field] = &[
    Field {
        key: "household_code",
        aliases: &["Mã hộ", "Mã số hộ", "household_id", "household_code"],
        required: true,
    },
    Field {
        key: "full_name",
        aliases: &["Họ và tên", "Họ tên", "Họ và tên thành viên", "full_name"],
        required: true,
    },
    Field {
        key: "sex",
        aliases: &["Giới tính", "sex"],
        required: false,
    },
    Field {
        key: "birth_date",
        aliases: &[
            "Ngày sinh",
            "Ngày, tháng, năm sinh",
            "Ngày tháng năm sinh",
            "birth_date",
        ],
        required: false,
    },
    Field {
        key: "id_number",
        aliases: &[
            "Số CCCD",
            "CCCD",
            "Số CMND/CCCD",
            "Số CCCD/CMND",
            "Số định danh",
            "Số định danh cá nhân",
            "id_number",
        ],
        required: false,
    },
    Field {
        key: "relation",
        aliases: &["Quan hệ với chủ hộ", "Quan hệ", "relation"],
        required: false,
    },
    Field {
        key: "ethnicity",
        aliases: &["Dân tộc", "ethnicity"],
        required: false,
    },
    Field {
        key: "disability",
        aliases: &["Khuyết tật", "Người khuyết tật", "disability"],
        required: false,
    },
    Field {
        key: "merit",
        aliases: &["Người có công", "NCC", "merit"],
        required: false,
    },
    Field {
        key: "social_protection",
        aliases: &[
            "Bảo trợ xã hội",
            "BTXH",
            "Đối tượng BTXH",
            "social_protection",
        ],
        required: false,
    },
];

/// A table found in a grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub sheet: String,
    /// (field key, column index in the grid's rows, header text as found).
    pub columns: Vec<(&'static str, usize, String)>,
    /// The spreadsheet rows taken as the header (first, last).
    pub header_rows: (usize, usize),
    /// Header columns no field took: (column index, label as shown).
    pub others: Vec<(usize, String)>,
    /// The household codes are the import's, the sheet having none
    /// (see `Table::add_code_column`).
    pub codes_assigned: bool,
    /// (spreadsheet row number, cells).
    pub rows: Vec<(usize, Vec<String>)>,
    /// 0-based column index of the grid's first cell (for column letters).
    pub first_col: usize,
}

impl Table {
    /// Where the table was found, for a message: "tiêu đề ở dòng 4–5, dữ
    /// liệu từ dòng 7".
    pub fn found_at(&self) -> String {
        let (first, last) = self.header_rows;
        let header = if first == last {
            format!("tiêu đề ở dòng {first}")
        } else {
            format!("tiêu đề ở dòng {first}–{last}")
        };
        match self.rows.first() {
            Some((row, _)) => format!("{header}, dữ liệu từ dòng {row}"),
            None => format!("{header}, không có dòng dữ liệu nào"),
        }
    }

    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().find(|c| c.0 == key).map(|c| c.1)
    }

    pub fn header(&self, key: &str) -> String {
        self.columns
            .iter()
            .find(|c| c.0 == key)
            .map(|(_, c, h)| format!("{} ({h})", column_letter(self.first_col + c)))
            .unwrap_or_else(|| key.to_string())
    }

    pub fn cell<'a>(&self, row: &'a [String], key: &str) -> &'a str {
        self.column(key)
            .and_then(|c| row.get(c))
            .map_or("", |s| s.as_str())
    }
}

/// The heads of a household table as a member table: the same rows and
/// cells (so a problem names the household sheet's own cells), the head's
/// name as the member's, and "Chủ hộ" as the relation. None when the
/// table has no household codes. Only the rows `keep` keeps are copied.
pub fn heads_table(households: &Table, keep: impl Fn(&[String]) -> bool) -> Option<Table> {
    households.column("household_code")?;
    let relation = households
        .rows
        .iter()
        .map(|(_, r)| r.len())
        .max()
        .unwrap_or(0);
    let mut columns = Vec::new();
    for (from, to) in [
        ("household_code", "household_code"),
        ("head_name", "full_name"),
        ("head_sex", "sex"),
        ("head_birth_date", "birth_date"),
        ("head_id_number", "id_number"),
        ("head_ethnicity", "ethnicity"),
        ("merit", "merit"),
        ("social_protection", "social_protection"),
    ] {
        if let Some(c) = households.column(from) {
            let shown = households
                .columns
                .iter()
                .find(|x| x.0 == from)
                .map_or(String::new(), |x| x.2.clone());
            columns.push((to, c, shown));
        }
    }
    columns.push(("relation", relation, "Quan hệ với chủ hộ".into()));
    let rows = households
        .rows
        .iter()
        .filter(|(_, cells)| keep(cells))
        .map(|(n, cells)| {
            let mut cells = cells.clone();
            cells.resize(relation, String::new());
            cells.push("Chủ hộ".into());
            (*n, cells)
        })
        .collect();
    Some(Table {
        sheet: households.sheet.clone(),
        columns,
        header_rows: households.header_rows,
        others: Vec::new(),
        codes_assigned: households.codes_assigned,
        rows,
        first_col: households.first_col,
    })
}

impl Table {
    /// Gives a table without a code column one, after its last cell, for
    /// the codes the import assigns; returns its index.
    pub fn add_code_column(&mut self) -> usize {
        let at = self.rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        for (_, cells) in &mut self.rows {
            cells.resize(at + 1, String::new());
        }
        self.columns
            .push(("household_code", at, "Mã hộ (hệ thống đặt)".into()));
        self.codes_assigned = true;
        at
    }
}

/// A, B, …, Z, AA, AB, …
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn normal(text: &str) -> String {
    vntext::search_key(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// How well a header text names a field: 3 exact, 2 the text ends with an
/// alias (a merged group label above it), 0 otherwise.
fn score(header: &str, field: &Field) -> (u8, usize) {
    let h = normal(header);
    if h.is_empty() {
        return (0, 0);
    }
    let mut best = (0, 0);
    for alias in field.aliases {
        let a = normal(alias);
        let s = if h == a {
            3
        } else if h.ends_with(&format!(" {a}")) {
            2
        } else {
            0
        };
        if (s, a.len()) > best && s > 0 {
            best = (s, a.len());
        }
    }
    best
}

/// Assigns header cells to fields: each column to its best field, each field
/// to its best column. A column may be known by several texts (a merged
/// header's group label, its sub-label, both); the flag says whether the
/// chosen text used the second header row.
/// A field matched to a column: (field, column, header text, whether the text
/// used a second header row).
type Match = (&'static str, usize, String, bool);

fn assign(headers: &[Vec<HeaderText>], fields: &'static [Field]) -> Vec<Match> {
    let mut candidates = Vec::new();
    for (c, texts) in headers.iter().enumerate() {
        for h in texts {
            for f in fields {
                let s = score(&h.text, f);
                if s.0 > 0 {
                    candidates.push((s, f.key, c, h));
                }
            }
        }
    }
    // Equal matches: a column's own label before a group's label over it,
    // then the first header row before the second.
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.3.own.cmp(&a.3.own))
            .then(a.3.second.cmp(&b.3.second))
    });
    let mut taken_cols = Vec::new();
    let mut out: Vec<Match> = Vec::new();
    for (_, key, c, h) in candidates {
        let (h, second) = (h.text.clone(), h.second);
        if taken_cols.contains(&c) || out.iter().any(|o| o.0 == key) {
            continue;
        }
        taken_cols.push(c);
        out.push((key, c, h, second));
    }
    out
}

fn blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// A row that only numbers the columns: "(1)", "(2)", … or 1, 2, 3, ….
fn numbering(row: &[String]) -> bool {
    let cells: Vec<&str> = row
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    cells.len() >= 2
        && cells.iter().enumerate().all(|(i, c)| {
            let inner = c.trim_start_matches('(').trim_end_matches(')');
            inner == (i + 1).to_string() || inner.parse::<u32>().is_ok() && c.starts_with('(')
        })
}

/// The texts each column of a header block is known by: every row's own
/// text, a merged group label carried over the empty cells to its right
/// (when a row below names the column), and the group label joined with the
/// label under it, each with whether it used a row below the first and
/// whether it holds the column's own label ([`HeaderText`]).
fn header_texts(rows: &[Vec<String>]) -> Vec<Vec<HeaderText>> {
    header_columns(rows).into_iter().map(|c| c.1).collect()
}

/// For each column of a header block: its label at each level (empty where
/// none) and the texts it is known by (see [`header_texts`]).
type HeaderColumn = (Vec<String>, Vec<HeaderText>);

/// A text a header column is known by.
#[derive(Debug, Clone)]
struct HeaderText {
    text: String,
    /// It uses a header row below the first.
    second: bool,
    /// It holds the column's own (lowest) label, not only a group's over it.
    own: bool,
}

fn header_columns(rows: &[Vec<String>]) -> Vec<HeaderColumn> {
    let width = rows.iter().map(|x| x.len()).max().unwrap_or(0);
    let cell = |row: &[String], c: usize| row.get(c).map_or("", |s| s.trim()).to_string();
    let mut carried = vec![String::new(); rows.len()];
    (0..width)
        .map(|c| {
            let own: Vec<String> = rows.iter().map(|r| cell(r, c)).collect();
            for (level, text) in own.iter().enumerate() {
                if !text.is_empty() {
                    carried[level] = text.clone();
                } else if own[level + 1..].iter().all(|t| t.is_empty()) {
                    // Nothing below: the column ends the group to its left.
                    carried[level] = String::new();
                }
            }
            // The column's label at each level: its own text, or the group
            // label over it when a lower row names the column.
            let labels: Vec<&str> = (0..rows.len())
                .map(|level| {
                    if !own[level].is_empty() {
                        own[level].as_str()
                    } else if own[level + 1..].iter().any(|t| !t.is_empty()) {
                        carried[level].as_str()
                    } else {
                        ""
                    }
                })
                .collect();
            // The lowest label names the column itself; one above it only
            // its group (a merged "Địa chỉ" over "Thôn", "Mã xã", "Địa chỉ").
            let lowest = labels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
            let mut texts = Vec::new();
            for (level, label) in labels.iter().enumerate() {
                if label.is_empty() {
                    continue;
                }
                let known = |text: String, second: bool| HeaderText {
                    text,
                    second,
                    own: level == lowest,
                };
                texts.push(known(label.to_string(), level > 0));
                for group in &labels[..level] {
                    if !group.is_empty() && group != label {
                        texts.push(known(format!("{group} {label}"), true));
                        texts.push(known(format!("{label} {group}"), true));
                    }
                }
            }
            (labels.iter().map(|l| l.to_string()).collect(), texts)
        })
        .collect()
}

/// How many header rows a block starting at `r` has: the rows under the
/// first that carry labels and no key (the household code, or the name
/// when the sheet has no code column), a blank spacer row among them, at
/// most three rows of labels in all.
fn header_height(grid: &Grid, r: usize, fields: &'static [Field]) -> usize {
    let key = |found: &[Match]| {
        found
            .iter()
            .find(|m| m.0 == "household_code")
            .or_else(|| {
                found
                    .iter()
                    .find(|m| fields.iter().any(|f| f.key == m.0 && f.required))
            })
            .map(|m| m.1)
    };
    let mut height = 1;
    let mut labelled = 1;
    let mut next = r + 1;
    while labelled < 3 && next < grid.rows.len() {
        let row = &grid.rows[next];
        if blank(row) {
            // A spacer only if labels follow it.
            next += 1;
            continue;
        }
        if numbering(row) {
            break;
        }
        let found = assign(&header_texts(&grid.rows[r..=next]), fields);
        let Some(k) = key(&found) else { break };
        // A row under the header that has its key is data, unless it has
        // no digit at all and names a field with the labels above it ("Họ
        // và tên" under "Chủ hộ" in a list without codes, where the name
        // is the key).
        let filled = |c: usize| !row.get(c).is_none_or(|cell| cell.trim().is_empty());
        let has_digit = row.iter().any(|c| c.chars().any(|ch| ch.is_ascii_digit()));
        // A row whose code is blank is data too when a required field is
        // filled beside numbers (an agency's list, keyed by name, where
        // only some rows carry the household code).
        let required_filled = found
            .iter()
            .filter(|m| fields.iter().any(|f| f.key == m.0 && f.required))
            .any(|m| filled(m.1));
        let has_key = filled(k) || (required_filled && has_digit);
        let names_a_field = found.iter().any(|m| m.3) && !has_digit;
        if has_key && !names_a_field {
            break;
        }
        // Labels: text that is not a number or a mark.
        let labels = row
            .iter()
            .filter(|c| {
                let t = c.trim();
                !t.is_empty() && t.chars().any(|ch| ch.is_alphabetic()) && t.chars().count() > 1
            })
            .count();
        if labels == 0 {
            break;
        }
        labelled += 1;
        height = next - r + 1;
        next += 1;
    }
    height
}

/// Finds the table of `fields` in a grid: the header block (one to three
/// rows, merged group labels over sub-labels, blank spacer rows) that names
/// the most fields, all required ones among them; then the rows under it
/// (after a row numbering the columns) up to the first empty row.
pub fn find_table(grid: &Grid, fields: &'static [Field]) -> Option<Table> {
    let found = locate(grid, fields)?;
    let mut table = found.table;
    table.rows = found
        .body
        .map(|i| (grid.first_row + i, grid.rows[i].clone()))
        .collect();
    Some(table)
}

/// A table found in a grid ([`locate`]): its header and columns, and the
/// grid's rows that are its body, still in the grid.
pub struct Found {
    table: Table,
    body: std::ops::Range<usize>,
}

impl Found {
    /// The number of fields the header names.
    pub fn fields(&self) -> usize {
        self.table.columns.len()
    }

    /// The table, its rows moved out of the grid it was found in (a
    /// member sheet's hundreds of thousands of rows are not copied).
    pub fn take(self, mut grid: Grid) -> Table {
        let Found { mut table, body } = self;
        let first = grid.first_row + body.start;
        table.rows = grid
            .rows
            .drain(body)
            .enumerate()
            .map(|(k, cells)| (first + k, cells))
            .collect();
        table
    }
}

/// Where the table of `fields` is in a grid, as [`find_table`] finds it,
/// without its rows.
pub fn locate(grid: &Grid, fields: &'static [Field]) -> Option<Found> {
    let mut best: Option<(usize, usize, Vec<Match>)> = None;
    let scan = grid.rows.len().min(40);
    for r in 0..scan {
        // A header row names at least two columns itself.
        if grid.rows[r].iter().filter(|c| !c.trim().is_empty()).count() < 2 {
            continue;
        }
        let height = header_height(grid, r, fields);
        let found = assign(&header_texts(&grid.rows[r..r + height]), fields);
        let required = fields
            .iter()
            .filter(|f| f.required)
            .all(|f| found.iter().any(|x| x.0 == f.key));
        if !required {
            continue;
        }
        if best.as_ref().is_none_or(|b| found.len() > b.2.len()) {
            best = Some((r, height, found));
        }
        if best.as_ref().is_some_and(|b| b.0 + 1 < r) {
            break;
        }
    }
    let (r, height, columns) = best?;
    // Name each column as the sheet shows it: "group / label" under a merged header.
    let labels = header_columns(&grid.rows[r..r + height]);
    let width = labels.len();
    let shown = |c: usize| {
        let mut parts: Vec<&str> = Vec::new();
        for l in &labels[c].0 {
            if !l.is_empty() && !parts.contains(&l.as_str()) {
                parts.push(l);
            }
        }
        parts.join(" / ")
    };
    let others = (0..width)
        .filter(|c| !columns.iter().any(|m| m.1 == *c))
        .map(|c| (c, shown(c)))
        .filter(|(_, label)| !label.is_empty())
        .collect();
    let columns = columns
        .into_iter()
        .map(|(k, c, _, _)| (k, c, shown(c)))
        .collect();
    let mut i = r + height;
    while i < grid.rows.len()
        && (numbering(&grid.rows[i]) || (blank(&grid.rows[i]) && i == r + height))
    {
        i += 1;
    }
    let start = i;
    while i < grid.rows.len() && !blank(&grid.rows[i]) {
        i += 1;
    }
    Some(Found {
        table: Table {
            sheet: grid.name.clone(),
            columns,
            header_rows: (grid.first_row + r, grid.first_row + r + height - 1),
            others,
            codes_assigned: false,
            rows: Vec::new(),
            first_col: grid.first_col,
        },
        body: start..i,
    })
}

/// Converts text typed in a legacy encoding, and makes everything NFC.
fn normalise(mut grid: Grid) -> Grid {
    let sample: Vec<&str> = grid.rows.iter().flatten().map(|s| s.as_str()).collect();
    let encoding = vntext::legacy::detect(&sample);
    let convert = |text: &str| {
        if encoding == vntext::legacy::Encoding::Unicode {
            vntext::nfc(text)
        } else {
            vntext::nfc(&vntext::legacy::to_unicode(text, encoding))
        }
    };
    for row in &mut grid.rows {
        for cell in row.iter_mut() {
            if encoding != vntext::legacy::Encoding::Unicode {
                *cell = convert(cell);
            } else if let std::borrow::Cow::Owned(tidy) = vntext::nfc_cow(cell) {
                *cell = tidy;
            }
        }
    }
    // The sheet's name, when it was typed in the same font ("Danh s¸ch hé
    // nghÌo"); a name already in Unicode is left as it is.
    grid.name = if encoding != vntext::legacy::Encoding::Unicode
        && foreign_letters(&grid.name) > 0
        && foreign_letters(&convert(&grid.name)) == 0
    {
        convert(&grid.name)
    } else {
        vntext::nfc(&grid.name)
    };
    grid
}

/// A sheet read whole into a range (xls, ods) as a grid.
fn range_grid(name: &str, range: &calamine::Range<calamine::Data>) -> Grid {
    let (first_row, first_col) = range
        .start()
        .map_or((0, 0), |(r, c)| (r as usize, c as usize));
    Grid {
        name: name.to_string(),
        first_row: first_row + 1,
        first_col,
        rows: range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect(),
    }
}

/// An xlsx sheet as a grid, its cells taken as the reader gives them: each
/// text made once, where a range would copy every cell into a sparse list,
/// then into a dense one, then into text (a district's member sheet is
/// four million cells). The grid spans the non-empty cells, as a range does.
fn xlsx_grid<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<Grid, calamine::XlsxError> {
    use calamine::DataRef;
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet holds no cells.
        Err(calamine::XlsxError::NotAWorksheet(_)) => {
            return Ok(range_grid(name, &Default::default()));
        }
        Err(e) => return Err(e),
    };
    // Rows as they come (in order, in every file seen; sorted below if not).
    let mut sparse: Vec<(u32, Vec<(u32, String)>)> = Vec::new();
    while let Some(cell) = reader.next_cell()? {
        let (row, col) = cell.get_position();
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::SharedString(s) => s.to_string(),
            DataRef::String(s) => s.clone(),
            other => cell_text(&calamine::Data::from(other.clone())),
        };
        match sparse.last_mut() {
            Some((r, cells)) if *r == row => cells.push((col, text)),
            _ => sparse.push((row, vec![(col, text)])),
        }
    }
    if !sparse.is_sorted_by_key(|(row, _)| *row) {
        sparse.sort_by_key(|(row, _)| *row);
    }
    let (Some(first_row), Some(last_row)) =
        (sparse.first().map(|r| r.0), sparse.last().map(|r| r.0))
    else {
        return Ok(range_grid(name, &Default::default()));
    };
    let cols = sparse
        .iter()
        .flat_map(|(_, cells)| cells.iter().map(|c| c.0));
    let (first_col, last_col) = cols.fold((u32::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)));
    let width = (last_col - first_col + 1) as usize;
    let mut rows: Vec<Vec<String>> = Vec::with_capacity((last_row - first_row + 1) as usize);
    for (row, cells) in sparse {
        let at = (row - first_row) as usize;
        while rows.len() <= at {
            rows.push(vec![String::new(); width]);
        }
        for (col, text) in cells {
            rows[at][(col - first_col) as usize] = text;
        }
    }
    Ok(Grid {
        name: name.to_string(),
        first_row: first_row as usize + 1,
        first_col: first_col as usize,
        rows,
    })
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        // Dates are serial numbers in the 1900 or 1904 system; calamine knows which.
        Data::DateTime(d) => d
            .as_datetime()
            .map(|dt| dt.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| d.as_f64().to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The text of a CSV file. UTF-8 (with or without a byte-order mark) is
/// taken as it is. Other bytes are decoded when the encoding can be told: a
/// sheet typed in TCVN3 or VNI (whose bytes read as Windows-1252 letters,
/// converted later, sheet by sheet), or Windows-1258 (Vietnamese Windows,
/// with separate tone marks). Anything else is refused, naming the file,
/// rather than stored as "Nguy��n".
pub fn decode_csv(file: &str, bytes: &[u8]) -> Result<String, RegistryError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    // Windows-1258 puts each tone as its own byte right after the vowel it
    // marks; in TCVN3 or VNI those bytes are letters of their own.
    let vowel = |b: u8| {
        matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        ) || matches!(
            b,
            0xE2 | 0xEA | 0xF4 | 0xF5 | 0xFD | 0xE3 | 0xC2 | 0xCA | 0xD4 | 0xD5 | 0xDD | 0xC3
        )
    };
    let tones: Vec<usize> = (1..bytes.len())
        .filter(|&i| matches!(bytes[i], 0xCC | 0xEC | 0xDE | 0xD2 | 0xF2))
        .collect();
    let after_vowel = tones.iter().filter(|&&i| vowel(bytes[i - 1])).count();
    if !tones.is_empty() && after_vowel * 10 >= tones.len() * 9 {
        let (text, _, errors) = encoding_rs::WINDOWS_1258.decode(bytes);
        let text = vntext::nfc_keep_lines(&text);
        if !errors && foreign_letters(&text) == 0 {
            return Ok(text);
        }
    }
    // TCVN3 and VNI read as Windows-1252 letters; sheets are converted from
    // those, sheet by sheet, like xlsx cells.
    let (as_1252, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    let words: Vec<&str> = as_1252
        .split([',', ';', '\n', '\r', ' ', '"'])
        .filter(|w| !w.is_empty())
        .collect();
    let legacy = vntext::legacy::detect(&words);
    if legacy != vntext::legacy::Encoding::Unicode
        && foreign_letters(&vntext::legacy::to_unicode(&as_1252, legacy)) == 0
    {
        return Ok(as_1252.into_owned());
    }
    Err(RegistryError::Invalid(vec![format!(
        "{file}: tệp không phải UTF-8 và không nhận ra bảng mã tiếng Việt (Windows-1258, TCVN3, VNI); trong Excel chọn Lưu thành → \"CSV UTF-8\" rồi nạp lại"
    )]))
}

/// Letters Vietnamese does not write (after NFC): anything beyond ASCII
/// that is not a Latin letter with Vietnamese marks (at most a vowel mark
/// and a tone) or đ.
fn foreign_letters(text: &str) -> usize {
    use unicode_normalization::UnicodeNormalization;
    text.chars()
        .filter(|c| !c.is_ascii() && !matches!(c, 'đ' | 'Đ' | '–' | '“' | '”' | '’' | '…'))
        .filter(|c| {
            let d: Vec<char> = c.to_string().nfd().collect();
            let base_ok = d.first().is_some_and(|b| b.is_ascii_alphabetic());
            let marks: Vec<&char> = d.iter().skip(1).collect();
            let tones = marks
                .iter()
                .filter(|m| matches!(m, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}'))
                .count();
            let shape_ok = marks.iter().all(|m| {
                matches!(
                    m,
                    '\u{300}'
                        | '\u{301}'
                        | '\u{303}'
                        | '\u{309}'
                        | '\u{323}'
                        | '\u{302}'
                        | '\u{306}'
                        | '\u{31B}'
                )
            });
            !(base_ok && shape_ok && tones <= 1 && marks.len() <= 2)
        })
        .count()
}

/// Every sheet of a workbook (xlsx, xls, ods), or the one sheet of a CSV file.
pub fn read_grids(path: &Path) -> Result<Vec<Grid>, RegistryError> {
    let (file, stem, bytes) = opened(path)?;
    all_grids(&file, &stem, bytes)
}

/// Every sheet of the file at `path` handed to `each` with its place among
/// the file's sheets as soon as it is read, on the thread that read it: a
/// district's household sheet is checked against the registry while its
/// member sheet, four times longer, is still being read.
pub fn each_grid(path: &Path, each: impl Fn(usize, Grid) + Sync) -> Result<(), RegistryError> {
    let (file, stem, bytes) = opened(path)?;
    grids_of(&file, &stem, bytes, &each)
}

/// Every sheet of an uploaded workbook or CSV file, named `file` (its
/// extension says which).
pub fn read_uploaded_grids(file: &str, bytes: Vec<u8>) -> Result<Vec<Grid>, RegistryError> {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s).to_string();
    all_grids(file, &stem, bytes)
}

/// The file at `path`: its name as messages give it, its stem (a CSV
/// file's sheet name) and its bytes.
fn opened(path: &Path) -> Result<(String, String, Vec<u8>), RegistryError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| RegistryError::Io {
        file: file.clone(),
        source: e,
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("csv")
        .to_string();
    Ok((file, stem, bytes))
}

/// Every sheet of a file, in the file's order.
fn all_grids(file: &str, stem: &str, bytes: Vec<u8>) -> Result<Vec<Grid>, RegistryError> {
    let read = std::sync::Mutex::new(Vec::new());
    grids_of(file, stem, bytes, &|i, grid| {
        read.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((i, grid))
    })?;
    let mut grids = read.into_inner().unwrap_or_else(|e| e.into_inner());
    grids.sort_by_key(|(i, _)| *i);
    Ok(grids.into_iter().map(|(_, grid)| grid).collect())
}

fn grids_of(
    file: &str,
    stem: &str,
    bytes: Vec<u8>,
    each: &(impl Fn(usize, Grid) + Sync),
) -> Result<(), RegistryError> {
    let io = |e: String| RegistryError::Io {
        file: file.to_string(),
        source: std::io::Error::other(e),
    };
    let extension = file
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    if extension == "csv" {
        let text = decode_csv(file, &bytes)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| io(e.to_string()))?;
            rows.push(record.iter().map(String::from).collect());
        }
        each(
            0,
            normalise(Grid {
                name: stem.to_string(),
                first_row: 1,
                first_col: 0,
                rows,
            }),
        );
        return Ok(());
    }
    use calamine::Reader;
    // calamine's messages are English ("Could not find EOCD"): say what it
    // means instead.
    let damaged = || {
        RegistryError::Invalid(vec![format!(
            "{file}: không mở được bảng tính: tệp bị hỏng, bị cắt cụt (chép chưa hết?) hoặc không phải tệp Excel (xlsx, xls) hay ods; mở lại bằng Excel và lưu lại"
        )])
    };
    let open = || calamine::open_workbook_auto_from_rs(std::io::Cursor::new(&bytes[..]));
    let names = open().map_err(|_| damaged())?.sheet_names();
    // The sheets are read, turned to text and normalised on as many
    // threads as there are cores, each with its own reader of the same
    // bytes: a district's member sheet and its household sheet take the
    // time of the longer one, not of both.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(names.len())
        .max(1);
    let read = |first: usize| -> Result<(), RegistryError> {
        let mut book = open().map_err(|_| damaged())?;
        for (i, name) in names.iter().enumerate().skip(first).step_by(threads) {
            let grid = match &mut book {
                calamine::Sheets::Xlsx(xlsx) => xlsx_grid(xlsx, name).map_err(|e| e.to_string()),
                other => other
                    .worksheet_range(name)
                    .map_err(|e| e.to_string())
                    .map(|range| range_grid(name, &range)),
            }
            .map_err(|_| damaged())?;
            each(i, normalise(grid));
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| scope.spawn(move || read(first)))
            .collect();
        for worker in workers {
            worker.join().unwrap_or_else(|_| Err(damaged()))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Grid {
        Grid {
            name: "Hộ".into(),
            first_row: 1,
            first_col: 0,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn finds_the_table_under_titles_with_a_merged_header_and_above_signatures() {
        let g = grid(&[
            &["ỦY BAN NHÂN DÂN XÃ XUÂN HỘI", "", "", ""],
            &["DANH SÁCH HỘ NGHÈO NĂM 2024", "", "", ""],
            &["", "", "", ""],
            &["STT", "Mã hộ", "Chủ hộ", "Thôn/Xóm"],
            &["", "", "Họ và tên", ""],
            &["(1)", "(2)", "(3)", "(4)"],
            &["1", "H01", "Nguyễn Văn An", "Thôn 1"],
            &["2", "H02", "Lê Thị Bình", "Thôn 2"],
            &["", "", "", ""],
            &["", "Người lập biểu", "", "TM. UBND XÃ"],
        ]);
        let t = find_table(&g, HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.column("household_code"), Some(1));
        assert_eq!(t.column("head_name"), Some(2));
        assert_eq!(t.column("village"), Some(3));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].0, 7, "spreadsheet row numbers");
        assert_eq!(t.cell(&t.rows[1].1, "head_name"), "Lê Thị Bình");
        assert_eq!(t.header("village"), "D (Thôn/Xóm)");
    }

    #[test]
    fn a_group_label_over_columns_yields_to_the_columns_own_labels() {
        // "Địa chỉ" merged over "Thôn", "Mã xã" and "Địa chỉ": the group's
        // label is not the first column's.
        let g = grid(&[
            &[
                "Mã hộ",
                "Họ và tên chủ hộ",
                "Địa chỉ",
                "",
                "",
                "Số điện thoại",
            ],
            &["", "", "Thôn", "Mã xã", "Địa chỉ", ""],
            &[
                "H01",
                "Nguyễn Văn An",
                "Thôn 1",
                "42001",
                "Xóm Đông",
                "0912345678",
            ],
        ]);
        let t = find_table(&g, HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.column("village"), Some(2));
        assert_eq!(t.column("commune_code"), Some(3));
        assert_eq!(t.column("address"), Some(4));
        assert_eq!(t.column("phone"), Some(5));
        assert!(t.others.is_empty(), "{:?}", t.others);
        assert_eq!(t.cell(&t.rows[0].1, "address"), "Xóm Đông");
    }

    #[test]
    fn member_sheets_and_headers_without_diacritics() {
        let g = grid(&[
            &["Ma ho", "Ho va ten", "Gioi tinh", "Ngay sinh", "So CCCD"],
            &["H01", "Nguyễn Văn An", "Nam", "01/02/1980", "042080001234"],
        ]);
        let t = find_table(&g, MEMBER_FIELDS).unwrap();
        assert_eq!(t.columns.len(), 5);
        assert_eq!(t.cell(&t.rows[0].1, "id_number"), "042080001234");
        // A member sheet is not a household sheet: no head name.
        assert!(find_table(&g, HOUSEHOLD_FIELDS).is_none());
    }

    #[test]
    fn legacy_tcvn3_and_vni_sheets_are_read_as_unicode() {
        let tcvn3 = grid(&[
            &["Uû ban nh©n d©n x· Xu©n Héi", "", ""],
            &["Ma ho", "Ho va ten chu ho", "Thon/Xom"],
            &["H01", "NguyÔn V¨n §øc", "Th«n 1"],
            &["H02", "TrÇn ThÞ ¸nh TuyÕt", "Th«n 2"],
        ]);
        let t = find_table(&normalise(tcvn3), HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.cell(&t.rows[0].1, "head_name"), "Nguyễn Văn Đức");
        assert_eq!(t.cell(&t.rows[0].1, "village"), "Thôn 1");
        let vni = grid(&[
            &["UÛy ban nhaân daân xaõ Xuaân Hoäi", "", ""],
            &["Ma ho", "Ho va ten chu ho", "Thon/Xom"],
            &["H01", "Nguyeãn Vaên Ñöùc", "Thoân 1"],
        ]);
        let t = find_table(&normalise(vni), HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.cell(&t.rows[0].1, "head_name"), "Nguyễn Văn Đức");
        assert_eq!(t.cell(&t.rows[0].1, "village"), "Thôn 1");
        // Unicode stays as it is, in NFC.
        let unicode = grid(&[
            &["Mã hộ", "Họ và tên chủ hộ"],
            &["H01", "Nguye\u{302}\u{303}n Văn Đức"],
        ]);
        let t = find_table(&normalise(unicode), HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.cell(&t.rows[0].1, "head_name"), "Nguyễn Văn Đức");
    }

    #[test]
    fn an_xlsx_sheet_read_cell_by_cell_is_the_grid_of_its_range() {
        use calamine::Reader;
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name("Hộ").unwrap();
        // Nothing before C3; a blank row and a blank column inside; text
        // (shared, as Excel writes it), whole and decimal numbers, a date,
        // a true value, and text not in NFC.
        sheet.write_string(2, 2, "Mã hộ").unwrap();
        sheet.write_string(2, 4, "Ngày sinh").unwrap();
        sheet.write_string(3, 2, "H01").unwrap();
        sheet.write_number(3, 3, 3.0).unwrap();
        let date = ExcelDateTime::from_ymd(1980, 2, 1).unwrap();
        let dated = Format::new().set_num_format("dd/mm/yyyy");
        sheet
            .write_datetime_with_format(3, 4, &date, &dated)
            .unwrap();
        sheet
            .write_string(5, 2, "Nguye\u{302}\u{303}n  Văn")
            .unwrap();
        sheet.write_number(5, 3, 1.5).unwrap();
        sheet.write_boolean(5, 5, true).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let open =
            || calamine::open_workbook_auto_from_rs(std::io::Cursor::new(&bytes[..])).unwrap();
        let calamine::Sheets::Xlsx(mut xlsx) = open() else {
            panic!("not read as xlsx");
        };
        let by_cell = xlsx_grid(&mut xlsx, "Hộ").unwrap();
        let range = open().worksheet_range("Hộ").unwrap();
        let whole = range_grid("Hộ", &range);
        assert_eq!((by_cell.first_row, by_cell.first_col), (3, 2));
        assert_eq!(
            (by_cell.first_row, by_cell.first_col),
            (whole.first_row, whole.first_col)
        );
        assert_eq!(by_cell.rows, whole.rows);
        assert_eq!(by_cell.rows[1], ["H01", "3", "01/02/1980", ""]);
        assert_eq!(by_cell.rows[2], ["", "", "", ""]);
        assert_eq!(by_cell.rows[3][3], "1");
        assert_eq!(normalise(by_cell).rows[3][0], "Nguyễn Văn");
    }

    #[test]
    fn a_table_taken_from_its_grid_is_the_table_found_in_it() {
        let g = grid(&[
            &["DANH SÁCH", "", ""],
            &["Mã hộ", "Họ và tên chủ hộ", "Thôn/Xóm"],
            &["H01", "Nguyễn Văn An", "Thôn 1"],
            &["H02", "Lê Thị Bình", "Thôn 2"],
            &["", "", ""],
            &["", "Người lập biểu", ""],
        ]);
        let found = find_table(&g, HOUSEHOLD_FIELDS).unwrap();
        let taken = locate(&g, HOUSEHOLD_FIELDS).unwrap().take(g);
        assert_eq!(taken.rows, found.rows);
        assert_eq!(taken.rows[0].0, 3);
        assert_eq!(taken.columns, found.columns);
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
