//! Reports as an xlsx workbook, one sheet each: the title and subtitle
//! merged across the table, the header (two rows when columns are grouped,
//! merged), number formats by column kind, the header frozen and repeated
//! on every printed page, A4 landscape fitted to the page width. Text is
//! written as text, never as a formula.

use crate::{Cell, CellRef, Kind, Report, ReportError};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

/// A4 in the paper codes of the xlsx format.
const A4: u8 = 9;

/// The workbook of `reports`, as bytes. Its sheets are built side by side,
/// one thread per core: a province's report set is several sheets of a row
/// per commune, each written cell by cell.
pub fn xlsx(reports: &[Report]) -> Result<Vec<u8>, ReportError> {
    for report in reports {
        report.check()?;
    }
    let formats = Formats::new();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, reports.len().max(1));
    let build = |thread: usize| -> Vec<(usize, Result<Worksheet, ReportError>)> {
        let mine = reports.iter().enumerate().skip(thread).step_by(threads);
        mine.map(|(i, report)| (i, sheet_of(report, &formats)))
            .collect()
    };
    let mut built = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|thread| scope.spawn(move || build(thread)))
            .collect();
        let mut built = build(0);
        for other in others {
            built.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        built
    });
    built.sort_by_key(|(i, _)| *i);
    let mut book = new_book();
    for (_, sheet) in built {
        book.push_worksheet(sheet?);
    }
    Ok(book.save_to_buffer()?)
}

/// A whole report's sheet, its body formatted a column at a time.
fn sheet_of(report: &Report, formats: &Formats) -> Result<Worksheet, ReportError> {
    let mut sheet = Worksheet::new();
    let row = write_head(&mut sheet, formats, report, Formatting::ByColumn)?;
    write_tail(&mut sheet, formats, report, row)?;
    Ok(sheet)
}

fn new_book() -> Workbook {
    let mut book = Workbook::new();
    // The fastest deflate: a commune's list is written while the officer
    // waits, and level 1 is a few percent larger than the default 6.
    book.set_zip_compression_level(1);
    book
}

/// A workbook written as its rows come: each sheet's title and header
/// first, then rows appended one by one ([`StreamedBook::row`]), to any of
/// its sheets in turn, then its totals, notes and signatures at
/// [`StreamedBook::finish`]. Rows go to disk as each is complete, not into
/// a table of cells, so a list of tens of thousands of rows is written
/// while it is read, in a fraction of the time and memory. The appended
/// rows are a list's plain cells: the sheet prints with its grid lines and
/// filters from its header.
pub struct StreamedBook {
    book: Workbook,
    formats: Formats,
    sheets: Vec<Streamed>,
}

struct Streamed {
    report: Report,
    /// The header's last row.
    header: u32,
    /// Where the next row goes.
    row: u32,
}

impl StreamedBook {
    /// A sheet for each report, with its title, header and own sections.
    pub fn new(reports: Vec<Report>) -> Result<StreamedBook, ReportError> {
        let mut book = new_book();
        let formats = Formats::new();
        let mut sheets = Vec::with_capacity(reports.len());
        for report in reports {
            report.check()?;
            let sheet = book.add_worksheet_with_constant_memory()?;
            sheet.set_print_gridlines(true);
            let row = write_head(sheet, &formats, &report, Formatting::EachCell)?;
            let header = if report.grouped() { 4 } else { 3 };
            sheets.push(Streamed {
                report,
                header,
                row,
            });
        }
        Ok(StreamedBook {
            book,
            formats,
            sheets,
        })
    }

    /// Appends a row of cells to sheet `sheet` (0 for the first report).
    pub fn row(&mut self, sheet: usize, cells: &[CellRef]) -> Result<(), ReportError> {
        let Some(Streamed { report, row, .. }) = self.sheets.get_mut(sheet) else {
            return Err(ReportError::NoSheet(sheet));
        };
        if cells.len() != report.columns.len() {
            return Err(ReportError::Shape {
                title: report.title.clone(),
                row: *row as usize + 1,
                cells: cells.len(),
                columns: report.columns.len(),
            });
        }
        let worksheet = self.book.worksheet_from_index(sheet)?;
        write_row(
            worksheet,
            &self.formats,
            report,
            *row,
            cells.iter().copied(),
            Style::Plain,
        )?;
        *row += 1;
        Ok(())
    }

    /// The workbook as bytes, each sheet ended by its report's total,
    /// notes, place and date, and signatures.
    pub fn finish(mut self) -> Result<Vec<u8>, ReportError> {
        for (i, sheet) in self.sheets.iter().enumerate() {
            let worksheet = self.book.worksheet_from_index(i)?;
            if sheet.row > sheet.header + 1 {
                let last = sheet.report.columns.len().saturating_sub(1) as u16;
                worksheet.autofilter(sheet.header, 0, sheet.row - 1, last)?;
            }
            write_tail(worksheet, &self.formats, &sheet.report, sheet.row)?;
        }
        Ok(self.book.save_to_buffer()?)
    }
}

/// How a row's cells look: a list's plain cells, a report's bordered
/// cells, or a report's bold subtotal and total; or bare, their format to
/// be set over the column's run of rows afterwards ([`Formatting::ByColumn`]).
#[derive(Clone, Copy)]
enum Style {
    Plain,
    Body,
    Bold,
    Bare,
}

/// How a report's body cells get their format: each as it is written (a
/// streamed sheet, whose rows are on disk once the next begins), or a
/// column's run of rows at once after them (a whole sheet). Looking a
/// format up hashes all of it, and a province's report of 2,500 communes
/// has 47,500 body cells: it was a third of the workbook's time.
#[derive(Clone, Copy)]
enum Formatting {
    EachCell,
    ByColumn,
}

struct Formats {
    title: Format,
    plain_count: Format,
    plain_percent: Format,
    header: Format,
    text: Format,
    count: Format,
    percent: Format,
    bold_text: Format,
    bold_count: Format,
    bold_percent: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin);
        let count = cell.clone().set_num_format("#,##0");
        let percent = cell.clone().set_num_format("0.00%");
        Formats {
            plain_count: Format::new().set_num_format("#,##0"),
            plain_percent: Format::new().set_num_format("0.00%"),
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_align(FormatAlign::Center),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            bold_text: cell.clone().set_bold(),
            bold_count: count.clone().set_bold(),
            bold_percent: percent.clone().set_bold(),
            text: cell,
            count,
            percent,
        }
    }

    /// The cell format of a column's kind in a style; none for a list's
    /// text (looking a format up costs more than writing the cell).
    fn of(&self, kind: Kind, style: Style) -> Option<&Format> {
        Some(match (kind, style) {
            (Kind::Text, Style::Plain) | (_, Style::Bare) => return None,
            (Kind::Count | Kind::Vnd, Style::Plain) => &self.plain_count,
            (Kind::Percent, Style::Plain) => &self.plain_percent,
            (Kind::Text, Style::Body) => &self.text,
            (Kind::Text, Style::Bold) => &self.bold_text,
            (Kind::Count | Kind::Vnd, Style::Body) => &self.count,
            (Kind::Count | Kind::Vnd, Style::Bold) => &self.bold_count,
            (Kind::Percent, Style::Body) => &self.percent,
            (Kind::Percent, Style::Bold) => &self.bold_percent,
        })
    }
}

/// Writes `text` over the cells from (row, first) to (last_row, last):
/// merged when that is more than one cell.
fn span(
    sheet: &mut Worksheet,
    (row, first): (u32, u16),
    (last_row, last): (u32, u16),
    text: &str,
    format: &Format,
) -> Result<(), ReportError> {
    if row == last_row && first == last {
        sheet.write_string_with_format(row, first, text, format)?;
    } else {
        sheet.merge_range(row, first, last_row, last, text, format)?;
    }
    Ok(())
}

/// A report's own row (`write_row` of its cells, borrowed).
fn write_cells(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &Report,
    row: u32,
    cells: &[Cell],
    style: Style,
) -> Result<(), ReportError> {
    let cells = cells.iter().map(Cell::borrowed);
    write_row(sheet, formats, report, row, cells, style)
}

fn write_row<'a>(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &Report,
    row: u32,
    cells: impl Iterator<Item = CellRef<'a>>,
    style: Style,
) -> Result<(), ReportError> {
    for (c, (cell, column)) in cells.zip(&report.columns).enumerate() {
        let col = c as u16;
        let format = formats.of(column.kind, style);
        match (cell, format) {
            (CellRef::Text(s), Some(format)) => {
                sheet.write_string_with_format(row, col, s, format)?;
            }
            (CellRef::Text(s), None) => {
                sheet.write_string(row, col, s)?;
            }
            (CellRef::Number(n), Some(format)) => {
                sheet.write_number_with_format(row, col, n as f64, format)?;
            }
            (CellRef::Number(n), None) => {
                sheet.write_number(row, col, n as f64)?;
            }
            (CellRef::Percent(p), Some(format)) => {
                sheet.write_number_with_format(row, col, p / 100.0, format)?;
            }
            (CellRef::Percent(p), None) => {
                sheet.write_number(row, col, p / 100.0)?;
            }
            (CellRef::Empty, Some(format)) => {
                sheet.write_blank(row, col, format)?;
            }
            (CellRef::Empty, None) => {}
        }
    }
    Ok(())
}

/// The sheet's name, title, subtitle, header (frozen, repeated on every
/// printed page), its page set-up and column widths, and the report's own
/// sections; returns the row after them. Everything here is written in
/// row order, as a streamed sheet needs.
fn write_head(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &Report,
    formatting: Formatting,
) -> Result<u32, ReportError> {
    let name: String = report.sheet.chars().take(31).collect();
    if !name.is_empty() {
        sheet.set_name(&name)?;
    }
    for (c, column) in report.columns.iter().enumerate() {
        let width = match column.kind {
            Kind::Text => 28.0,
            Kind::Count | Kind::Percent => 12.0,
            Kind::Vnd => 15.0,
        };
        sheet.set_column_width(c as u16, width)?;
    }
    let last = report.columns.len().saturating_sub(1) as u16;
    span(sheet, (0, 0), (0, last), &report.title, &formats.title)?;
    if !report.subtitle.is_empty() {
        let centred = Format::new().set_align(FormatAlign::Center);
        span(sheet, (1, 0), (1, last), &report.subtitle, &centred)?;
    }
    // The header: one row, or two when columns are grouped (a group's
    // heading merged over its columns, an ungrouped header over both rows).
    let top = 3u32;
    let bottom = if report.grouped() { top + 1 } else { top };
    for (first, last_col, group) in report.groups() {
        match group {
            Some(g) => {
                span(
                    sheet,
                    (top, first as u16),
                    (top, last_col as u16),
                    g,
                    &formats.header,
                )?;
            }
            None => {
                let header = &report.columns[first].header;
                span(
                    sheet,
                    (top, first as u16),
                    (bottom, first as u16),
                    header,
                    &formats.header,
                )?;
            }
        }
    }
    if bottom > top {
        for (first, last_col, group) in report.groups() {
            if group.is_some() {
                for c in first..=last_col {
                    let header = &report.columns[c].header;
                    sheet.write_string_with_format(bottom, c as u16, header, &formats.header)?;
                }
            }
        }
    }
    sheet.set_landscape();
    sheet.set_paper_size(A4);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(top, bottom)?;
    let mut row = bottom + 1;
    sheet.set_freeze_panes(row, 0)?;
    for section in &report.sections {
        if let Some(h) = &section.heading {
            span(sheet, (row, 0), (row, last), h, &formats.bold_text)?;
            row += 1;
        }
        let first = row;
        let style = match formatting {
            Formatting::EachCell => Style::Body,
            Formatting::ByColumn => Style::Bare,
        };
        for cells in &section.rows {
            write_cells(sheet, formats, report, row, cells, style)?;
            row += 1;
        }
        if matches!(formatting, Formatting::ByColumn) && row > first {
            for (c, column) in report.columns.iter().enumerate() {
                if let Some(format) = formats.of(column.kind, Style::Body) {
                    sheet.set_range_format(first, c as u16, row - 1, c as u16, format)?;
                }
            }
        }
        if let Some(cells) = &section.subtotal {
            write_cells(sheet, formats, report, row, cells, Style::Bold)?;
            row += 1;
        }
    }
    Ok(row)
}

/// The report's total, notes, place and date, and signatures, from `row`
/// on, in row order.
fn write_tail(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &Report,
    mut row: u32,
) -> Result<(), ReportError> {
    let last = report.columns.len().saturating_sub(1) as u16;
    if let Some(cells) = &report.total {
        write_cells(sheet, formats, report, row, cells, Style::Bold)?;
        row += 1;
    }
    row += 1;
    for note in &report.notes {
        sheet.write_string(row, 0, note)?;
        row += 1;
    }
    if let Some(place) = &report.place_date {
        row += 1;
        let italic = Format::new().set_italic().set_align(FormatAlign::Right);
        span(sheet, (row, 0), (row, last), place, &italic)?;
        row += 1;
    }
    // Signatures side by side, each over an equal share of the columns:
    // their titles, then four rows below (room to sign) their names.
    let n = report.signatures.len();
    if n > 0 {
        let width = report.columns.len().max(n);
        let columns = |i: usize| {
            let first = (i * width / n) as u16;
            let last_col = (((i + 1) * width / n).max(1) - 1) as u16;
            (first, last_col.max(first))
        };
        let bold = Format::new().set_bold().set_align(FormatAlign::Center);
        let centred = Format::new().set_align(FormatAlign::Center);
        for (i, s) in report.signatures.iter().enumerate() {
            let (first, last_col) = columns(i);
            span(sheet, (row, first), (row, last_col), &s.title, &bold)?;
        }
        for (i, s) in report.signatures.iter().enumerate() {
            if !s.name.is_empty() {
                let (first, last_col) = columns(i);
                span(
                    sheet,
                    (row + 4, first),
                    (row + 4, last_col),
                    &s.name,
                    &centred,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, Section};
    use calamine::{Data, Reader, Xlsx};

    fn read(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        read_sheet(bytes, "Kết quả")
    }

    fn read_sheet(bytes: Vec<u8>, sheet: &str) -> Vec<Vec<Data>> {
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range(sheet).unwrap();
        range.rows().map(|r| r.to_vec()).collect()
    }

    /// A part of a workbook (a sheet's XML, the styles), as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        std::io::read_to_string(zip.by_name(name).unwrap()).unwrap()
    }

    #[test]
    fn body_formats_set_a_column_at_a_time_are_those_set_cell_by_cell() {
        let columns = vec![
            Column::new("Xã", Kind::Text),
            Column::under("Hộ nghèo", "Số hộ", Kind::Count),
            Column::under("Hộ nghèo", "Tỷ lệ", Kind::Percent),
            Column::new("Kinh phí", Kind::Vnd),
        ];
        let row = |name: &str, n: i64| {
            vec![
                Cell::text(name),
                Cell::Number(n),
                Cell::Percent(n as f64 / 3.0),
                Cell::Number(n * 1_500_000),
            ]
        };
        let report = Report {
            title: "Kết quả rà soát".into(),
            sheet: "Kết quả".into(),
            columns,
            sections: vec![
                Section {
                    heading: Some("Thành thị".into()),
                    rows: vec![row("Phường A", 12), row("Phường B", 7)],
                    subtotal: Some(row("Cộng", 19)),
                },
                // Empty cells keep their borders; an empty section has none.
                Section {
                    heading: Some("Nông thôn".into()),
                    rows: vec![vec![
                        Cell::text("Xã C"),
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                    ]],
                    subtotal: None,
                },
                Section::default(),
                Section {
                    heading: None,
                    rows: vec![row("Xã D", 3)],
                    subtotal: None,
                },
            ],
            total: Some(row("Tổng cộng", 22)),
            notes: vec!["Số liệu đến 31/12".into()],
            ..Report::default()
        };
        let by_column = xlsx(std::slice::from_ref(&report)).unwrap();

        let mut book = new_book();
        let formats = Formats::new();
        let sheet = book.add_worksheet();
        let row = write_head(sheet, &formats, &report, Formatting::EachCell).unwrap();
        write_tail(sheet, &formats, &report, row).unwrap();
        let each_cell = book.save_to_buffer().unwrap();

        let sheet = part(&by_column, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<v>12</v>"), "{sheet}");
        assert_eq!(sheet, part(&each_cell, "xl/worksheets/sheet1.xml"));
        assert_eq!(
            part(&by_column, "xl/styles.xml"),
            part(&each_cell, "xl/styles.xml")
        );
    }

    #[test]
    fn sheets_built_side_by_side_keep_the_reports_order() {
        let reports: Vec<Report> = (1..=5)
            .map(|i| Report {
                title: format!("Biểu {i}"),
                sheet: format!("Biểu {i}"),
                columns: vec![Column::new("Số hộ", Kind::Count)],
                sections: vec![Section {
                    heading: None,
                    rows: vec![vec![Cell::Number(i)]],
                    subtotal: None,
                }],
                ..Report::default()
            })
            .collect();
        let bytes = xlsx(&reports).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names(),
            ["Biểu 1", "Biểu 2", "Biểu 3", "Biểu 4", "Biểu 5"]
        );
        for i in 1..=5 {
            let range = book.worksheet_range(&format!("Biểu {i}")).unwrap();
            assert_eq!(range.get_value((4, 0)), Some(&Data::Float(i as f64)));
        }
    }

    #[test]
    fn a_streamed_book_reads_back_as_the_whole_report_would() {
        let report = crate::sample();
        let appended = vec![
            vec![
                Cell::text("Xã Xuân Hội"),
                Cell::Number(1_019),
                Cell::Number(7),
                Cell::Percent(0.69),
                Cell::Empty,
            ],
            vec![
                Cell::text("Xã Xuân Viên"),
                Cell::Number(2),
                Cell::Number(0),
                Cell::Percent(0.0),
                Cell::Number(1),
            ],
        ];
        let list = Report {
            title: "Danh sách".into(),
            sheet: "Danh sách".into(),
            columns: vec![Column::new("Mã hộ", Kind::Text)],
            ..Report::default()
        };
        // Rows go to both sheets in turn, as a household and its members do.
        let mut book = StreamedBook::new(vec![report.clone(), list.clone()]).unwrap();
        for (i, cells) in appended.iter().enumerate() {
            let cells: Vec<CellRef> = cells.iter().map(Cell::borrowed).collect();
            book.row(0, &cells).unwrap();
            book.row(1, &[CellRef::Text(&format!("HN-0{i}"))]).unwrap();
        }
        let err = book.row(0, &[CellRef::Empty]).unwrap_err().to_string();
        assert!(err.contains("có 1 ô, báo cáo có 5 cột"), "{err}");
        assert!(matches!(book.row(2, &[]), Err(ReportError::NoSheet(2))));
        let streamed = book.finish().unwrap();

        // The same report with the rows as a last section, written whole.
        let mut whole = report.clone();
        whole.sections.push(Section {
            rows: appended.clone(),
            ..Section::default()
        });
        let expected = xlsx(&[whole]).unwrap();
        assert_eq!(read(streamed.clone()), read(expected.clone()));
        let rows = read(streamed.clone());
        let at = |text: &str| rows.iter().position(|r| r[0] == Data::String(text.into()));
        assert_eq!(at("Xã Xuân Viên").unwrap() + 1, at("Tổng cộng").unwrap());
        assert!(
            rows.iter()
                .flatten()
                .any(|c| *c == Data::String("Nguyễn Văn A".into())),
            "the signer's name is under the signatures"
        );
        let merged = |bytes: Vec<u8>| {
            let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let mut m = book.merge_cells_by_sheet_name("Kết quả").unwrap();
            m.sort_by_key(|d| (d.start, d.end));
            m
        };
        assert_eq!(merged(streamed.clone()), merged(expected));
        let list_rows = read_sheet(streamed, "Danh sách");
        assert_eq!(list_rows[0][0].to_string(), "Danh sách");
        assert_eq!(list_rows[3][0].to_string(), "Mã hộ");
        assert_eq!(list_rows[4][0].to_string(), "HN-00");
        assert_eq!(list_rows[5][0].to_string(), "HN-01");
    }

    #[test]
    fn a_report_reads_back_with_its_header_numbers_and_text() {
        let report = crate::sample();
        let bytes = xlsx(std::slice::from_ref(&report)).unwrap();
        let rows = read(bytes.clone());
        let text = |r: usize, c: usize| rows[r][c].to_string();
        assert_eq!(text(0, 0), report.title);
        assert_eq!(text(3, 0), "Đơn vị");
        assert_eq!(text(3, 2), "Hộ nghèo");
        assert_eq!(text(4, 2), "Số hộ");
        assert_eq!(text(4, 3), "Tỷ lệ");
        assert_eq!(text(5, 0), "Thành thị");
        assert_eq!(rows[6][1], Data::Float(1200.0));
        assert_eq!(rows[6][3], Data::Float(0.025), "a percent is a fraction");
        // A cell that looks like a formula stays text.
        assert_eq!(text(8, 0), "=HYPERLINK(\"x\")");
        assert_eq!(text(9, 0), "Tổng cộng");
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let merged = book.merge_cells_by_sheet_name("Kết quả").unwrap();
        assert!(
            merged.iter().any(|d| d.start == (3, 2) && d.end == (3, 3)),
            "the group heading spans its columns: {merged:?}"
        );
        assert!(
            merged.iter().any(|d| d.start == (3, 0) && d.end == (4, 0)),
            "an ungrouped header spans both rows"
        );
    }
}
