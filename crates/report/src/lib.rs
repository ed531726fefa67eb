//! Reports as data, and their renderers side by side.
//!
//! A [`Report`] is what a district office prints or sends up: a title, the
//! unit and period, columns (grouped under merged headings), sections of
//! rows with their subtotals, a total, notes, the place and date, and the
//! signature block. The same report renders as xlsx ([`xlsx`]), as a
//! printable page with the national motto ([`html`]) and as CSV ([`csv`]);
//! [`svg_bars`] draws a chart of one of its columns. Words the renderers
//! print themselves (the motto, "Tổng cộng") come from the caller
//! ([`Words`]), which takes them from its translation files.
//!
//! Nothing here reads a file or a database: renderers return bytes or text.

mod chart;
mod html;
mod xlsx;

pub use chart::{Bar, svg_bars};
pub use html::html;
pub use xlsx::{StreamedBook, xlsx};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("không tạo được tệp xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("bảng tính không có trang thứ {}", .0 + 1)]
    NoSheet(usize),
    #[error("không tạo được tệp CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("không tạo được trang in: {0}")]
    Html(#[from] askama::Error),
    #[error("báo cáo \"{title}\": dòng {row} có {cells} ô, báo cáo có {columns} cột")]
    Shape {
        title: String,
        row: usize,
        cells: usize,
        columns: usize,
    },
}

/// What a column holds, which decides its number format and alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number (households, people): 1.019.
    Count,
    /// A percentage, in percent (2.2 is 2,20 %).
    Percent,
    /// An amount of money in đồng: 1.500.000.
    Vnd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// The merged heading above this column and its neighbours of the same
    /// group ("Hộ nghèo" over "Số hộ" and "Tỷ lệ").
    pub group: Option<String>,
    pub kind: Kind,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: Kind) -> Column {
        Column {
            header: header.into(),
            group: None,
            kind,
        }
    }

    pub fn under(group: impl Into<String>, header: impl Into<String>, kind: Kind) -> Column {
        Column {
            header: header.into(),
            group: Some(group.into()),
            kind,
        }
    }
}

/// One cell. Text is always text: never evaluated as a formula, whatever
/// it begins with.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    /// Percent (2.2 is 2,20 %).
    Percent(f64),
    Empty,
}

/// A cell borrowed from what its row is written from: a streamed row's
/// cells (`StreamedBook::row`) are tens of thousands, not copied first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    Text(&'a str),
    Number(i64),
    /// Percent (2.2 is 2,20 %).
    Percent(f64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell, borrowed.
    pub fn borrowed(&self) -> CellRef<'_> {
        match self {
            Cell::Text(s) => CellRef::Text(s),
            Cell::Number(n) => CellRef::Number(*n),
            Cell::Percent(p) => CellRef::Percent(*p),
            Cell::Empty => CellRef::Empty,
        }
    }

    /// The cell as a page shows it, the Vietnamese way.
    pub fn display(&self, kind: Kind) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => match kind {
                Kind::Vnd | Kind::Count | Kind::Text => vntext::format_vnd(*n),
                Kind::Percent => format!("{n} %"),
            },
            Cell::Percent(p) => format!("{} %", format!("{p:.2}").replace('.', ",")),
            Cell::Empty => String::new(),
        }
    }
}

/// A group of rows under an optional heading (a village, urban or rural),
/// with an optional subtotal row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub heading: Option<String>,
    pub rows: Vec<Vec<Cell>>,
    pub subtotal: Option<Vec<Cell>>,
}

/// A signature: the title ("TM. ỦY BAN NHÂN DÂN", "NGƯỜI LẬP BIỂU"), and
/// the signer's name when known.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    pub title: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub title: String,
    /// The unit and the period ("Xã Xuân Hội — năm 2024").
    pub subtitle: String,
    /// The sheet's name in a workbook (31 characters at most; cut if longer).
    pub sheet: String,
    pub columns: Vec<Column>,
    pub sections: Vec<Section>,
    pub total: Option<Vec<Cell>>,
    pub notes: Vec<String>,
    /// "Nghi Xuân, ngày 10 tháng 12 năm 2024".
    pub place_date: Option<String>,
    pub signatures: Vec<Signature>,
}

impl Report {
    /// Every row, subtotal and total has one cell per column.
    pub fn check(&self) -> Result<(), ReportError> {
        let columns = self.columns.len();
        let rows = self
            .sections
            .iter()
            .flat_map(|s| s.rows.iter().chain(&s.subtotal))
            .chain(&self.total);
        for (i, row) in rows.enumerate() {
            if row.len() != columns {
                return Err(ReportError::Shape {
                    title: self.title.clone(),
                    row: i + 1,
                    cells: row.len(),
                    columns,
                });
            }
        }
        Ok(())
    }

    /// Whether any column sits under a group heading (a two-row header).
    pub fn grouped(&self) -> bool {
        self.columns.iter().any(|c| c.group.is_some())
    }

    /// The header's groups: (first column, last column, heading) for each
    /// run of neighbours with the same group.
    pub fn groups(&self) -> Vec<(usize, usize, Option<&str>)> {
        let mut out: Vec<(usize, usize, Option<&str>)> = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            let g = c.group.as_deref();
            match out.last_mut() {
                Some(last) if g.is_some() && last.2 == g => last.1 = i,
                _ => out.push((i, i, g)),
            }
        }
        out
    }
}

/// The words renderers print themselves, in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Words {
    /// "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".
    pub country: String,
    /// "Độc lập - Tự do - Hạnh phúc".
    pub motto: String,
    /// The heading of the notes ("Ghi chú").
    pub notes: String,
}

/// The report as CSV: one header line (a grouped column reads "Hộ nghèo –
/// Tỷ lệ"), then the rows; a section's heading is a line of its own, and
/// numbers are plain (no thousands separator), for programs to read.
pub fn csv(report: &Report) -> Result<String, ReportError> {
    report.check()?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(report.columns.iter().map(|c| match &c.group {
        Some(g) => format!("{g} – {}", c.header),
        None => c.header.clone(),
    }))?;
    let plain = |cells: &[Cell]| -> Vec<String> {
        cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Percent(p) => format!("{p:.2}"),
                Cell::Empty => String::new(),
            })
            .collect()
    };
    let blank = |first: &str| {
        let mut line = vec![String::new(); report.columns.len()];
        if let Some(cell) = line.first_mut() {
            *cell = first.to_string();
        }
        line
    };
    for section in &report.sections {
        if let Some(h) = &section.heading {
            w.write_record(blank(h))?;
        }
        for row in &section.rows {
            w.write_record(plain(row))?;
        }
        if let Some(row) = &section.subtotal {
            w.write_record(plain(row))?;
        }
    }
    if let Some(row) = &report.total {
        w.write_record(plain(row))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The report as plain text for a terminal: the title, then each section's
/// heading and its rows as "label: value" lines (the first column is the
/// label), numbers the Vietnamese way.
pub fn text(report: &Report) -> Result<String, ReportError> {
    report.check()?;
    let mut out = format!("{}\n", report.title);
    if !report.subtitle.is_empty() {
        out.push_str(&format!("{}\n", report.subtitle));
    }
    let line = |cells: &[Cell], indent: &str| -> String {
        let mut parts = cells.iter().zip(&report.columns);
        let label = parts
            .next()
            .map_or(String::new(), |(c, k)| c.display(k.kind));
        let values: Vec<String> = parts
            .map(|(c, k)| match &k.group {
                Some(g) if report.columns.len() > 2 => {
                    format!("{g} {}: {}", k.header, c.display(k.kind))
                }
                _ if report.columns.len() > 2 => format!("{}: {}", k.header, c.display(k.kind)),
                _ => c.display(k.kind),
            })
            .collect();
        format!("{indent}{label}: {}\n", values.join(", "))
    };
    for section in &report.sections {
        let indent = match &section.heading {
            Some(h) => {
                out.push_str(&format!("{h}\n"));
                "  "
            }
            None => "",
        };
        for row in &section.rows {
            out.push_str(&line(row, indent));
        }
        if let Some(row) = &section.subtotal {
            out.push_str(&line(row, ""));
        }
    }
    if let Some(row) = &report.total {
        out.push_str(&line(row, ""));
    }
    for note in &report.notes {
        out.push_str(&format!("{note}\n"));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) fn sample() -> Report {
    Report {
        title: "KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2024".into(),
        subtitle: "Huyện Nghi Xuân".into(),
        sheet: "Kết quả".into(),
        columns: vec![
            Column::new("Đơn vị", Kind::Text),
            Column::new("Tổng số hộ", Kind::Count),
            Column::under("Hộ nghèo", "Số hộ", Kind::Count),
            Column::under("Hộ nghèo", "Tỷ lệ", Kind::Percent),
            Column::under("Hộ cận nghèo", "Số hộ", Kind::Count),
        ],
        sections: vec![
            Section {
                heading: Some("Thành thị".into()),
                rows: vec![vec![
                    Cell::text("Thị trấn Xuân An"),
                    Cell::Number(1200),
                    Cell::Number(30),
                    Cell::Percent(2.5),
                    Cell::Number(12),
                ]],
                subtotal: None,
            },
            Section {
                heading: Some("Nông thôn".into()),
                rows: vec![vec![
                    Cell::text("=HYPERLINK(\"x\")"),
                    Cell::Number(800),
                    Cell::Number(40),
                    Cell::Percent(5.0),
                    Cell::Number(20),
                ]],
                subtotal: None,
            },
        ],
        total: Some(vec![
            Cell::text("Tổng cộng"),
            Cell::Number(2000),
            Cell::Number(70),
            Cell::Percent(3.5),
            Cell::Number(32),
        ]),
        notes: vec!["Tỷ lệ tính trên tổng số hộ.".into()],
        place_date: Some("Nghi Xuân, ngày 10 tháng 12 năm 2024".into()),
        signatures: vec![
            Signature {
                title: "NGƯỜI LẬP BIỂU".into(),
                name: String::new(),
            },
            Signature {
                title: "TM. ỦY BAN NHÂN DÂN".into(),
                name: "Nguyễn Văn A".into(),
            },
        ],
    }
}

#[cfg(test)]
pub(crate) fn words() -> Words {
    Words {
        country: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
        motto: "Độc lập - Tự do - Hạnh phúc".into(),
        notes: "Ghi chú".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_of_a_group_share_one_heading() {
        let r = sample();
        assert!(r.grouped());
        assert_eq!(
            r.groups(),
            [
                (0, 0, None),
                (1, 1, None),
                (2, 3, Some("Hộ nghèo")),
                (4, 4, Some("Hộ cận nghèo"))
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut r = sample();
        r.sections[0].rows[0].pop();
        assert!(matches!(
            r.check(),
            Err(ReportError::Shape {
                row: 1,
                cells: 4,
                columns: 5,
                ..
            })
        ));
        assert!(csv(&r).is_err());
    }

    #[test]
    fn csv_has_plain_numbers_and_grouped_headers() {
        let text = csv(&sample()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Đơn vị,Tổng số hộ,Hộ nghèo – Số hộ,Hộ nghèo – Tỷ lệ,Hộ cận nghèo – Số hộ"
        );
        assert_eq!(lines[1], "Thành thị,,,,");
        assert_eq!(lines[2], "Thị trấn Xuân An,1200,30,2.50,12");
        assert_eq!(lines.last(), Some(&"Tổng cộng,2000,70,3.50,32"));
    }

    #[test]
    fn text_has_a_line_per_row_under_its_section() {
        let t = text(&sample()).unwrap();
        assert!(t.contains("Thành thị\n  Thị trấn Xuân An: Tổng số hộ: 1.200, Hộ nghèo Số hộ: 30, Hộ nghèo Tỷ lệ: 2,50 %"), "{t}");
        assert!(t.contains("\nTổng cộng: Tổng số hộ: 2.000"), "{t}");
    }

    #[test]
    fn cells_display_the_vietnamese_way() {
        assert_eq!(Cell::Number(1_500_000).display(Kind::Vnd), "1.500.000");
        assert_eq!(Cell::Percent(2.2).display(Kind::Percent), "2,20 %");
        assert_eq!(Cell::Empty.display(Kind::Count), "");
    }
}
