//! Reports as an xlsx workbook, one sheet each: the title and subtitle
//! merged across the table, the header (two rows when columns are grouped,
//! merged), number formats by column kind, the header frozen and repeated
//! on every printed page, A4 landscape fitted to the page width. Text is
//! written as text, never as a formula.

use crate::{Cell, Kind, Report, ReportError};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

/// A4 in the paper codes of the xlsx format.
const A4: u8 = 9;

/// The workbook of `reports`, as bytes.
pub fn xlsx(reports: &[Report]) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    // The fastest deflate: a commune's list is written while the officer
    // waits, and level 1 is a few percent larger than the default 6.
    book.set_zip_compression_level(1);
    for report in reports {
        report.check()?;
        let sheet = book.add_worksheet();
        write_sheet(sheet, report)?;
    }
    Ok(book.save_to_buffer()?)
}

struct Formats {
    title: Format,
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

    fn of(&self, kind: Kind, bold: bool) -> &Format {
        match (kind, bold) {
            (Kind::Text, false) => &self.text,
            (Kind::Text, true) => &self.bold_text,
            (Kind::Count | Kind::Vnd, false) => &self.count,
            (Kind::Count | Kind::Vnd, true) => &self.bold_count,
            (Kind::Percent, false) => &self.percent,
            (Kind::Percent, true) => &self.bold_percent,
        }
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

fn write_row(
    sheet: &mut Worksheet,
    formats: &Formats,
    report: &Report,
    row: u32,
    cells: &[Cell],
    bold: bool,
) -> Result<(), ReportError> {
    for (c, (cell, column)) in cells.iter().zip(&report.columns).enumerate() {
        let col = c as u16;
        let format = formats.of(column.kind, bold);
        match cell {
            Cell::Text(s) => {
                sheet.write_string_with_format(row, col, s, format)?;
            }
            Cell::Number(n) => {
                sheet.write_number_with_format(row, col, *n as f64, format)?;
            }
            Cell::Percent(p) => {
                sheet.write_number_with_format(row, col, p / 100.0, format)?;
            }
            Cell::Empty => {
                sheet.write_blank(row, col, format)?;
            }
        }
    }
    Ok(())
}

fn write_sheet(sheet: &mut Worksheet, report: &Report) -> Result<(), ReportError> {
    let formats = Formats::new();
    let name: String = report.sheet.chars().take(31).collect();
    if !name.is_empty() {
        sheet.set_name(&name)?;
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
                for c in first..=last_col {
                    let header = &report.columns[c].header;
                    sheet.write_string_with_format(bottom, c as u16, header, &formats.header)?;
                }
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
    let mut row = bottom + 1;
    sheet.set_freeze_panes(row, 0)?;
    for section in &report.sections {
        if let Some(h) = &section.heading {
            span(sheet, (row, 0), (row, last), h, &formats.bold_text)?;
            row += 1;
        }
        for cells in &section.rows {
            write_row(sheet, &formats, report, row, cells, false)?;
            row += 1;
        }
        if let Some(cells) = &section.subtotal {
            write_row(sheet, &formats, report, row, cells, true)?;
            row += 1;
        }
    }
    if let Some(cells) = &report.total {
        write_row(sheet, &formats, report, row, cells, true)?;
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
    // Signatures side by side, each over an equal share of the columns.
    let n = report.signatures.len();
    if n > 0 {
        let width = report.columns.len().max(n);
        let bold = Format::new().set_bold().set_align(FormatAlign::Center);
        let centred = Format::new().set_align(FormatAlign::Center);
        for (i, s) in report.signatures.iter().enumerate() {
            let first = (i * width / n) as u16;
            let last_col = (((i + 1) * width / n).max(1) - 1) as u16;
            span(
                sheet,
                (row, first),
                (row, last_col.max(first)),
                &s.title,
                &bold,
            )?;
            if !s.name.is_empty() {
                span(
                    sheet,
                    (row + 4, first),
                    (row + 4, last_col.max(first)),
                    &s.name,
                    &centred,
                )?;
            }
        }
    }
    for (c, column) in report.columns.iter().enumerate() {
        let width = match column.kind {
            Kind::Text => 28.0,
            Kind::Count | Kind::Percent => 12.0,
            Kind::Vnd => 15.0,
        };
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(A4);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(top, bottom)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    fn read(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Kết quả").unwrap();
        range.rows().map(|r| r.to_vec()).collect()
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
