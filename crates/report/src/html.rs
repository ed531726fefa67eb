//! A report as a printable page: the national motto at the top right, the
//! title, the table (grouped headers merged, repeated on every printed
//! page), notes, the place and date, and the signatures side by side.
//! Self-contained (its own print styles); every text is escaped.

use crate::{Cell, Kind, Report, ReportError, Signature, Words};
use askama::Template;

pub(crate) enum Line {
    Heading(String),
    /// (text, numeric) cells, and whether the row is a subtotal or total.
    Cells(Vec<(String, bool)>, bool),
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    country: &'a str,
    motto: &'a str,
    notes_heading: &'a str,
    title: &'a str,
    subtitle: &'a str,
    /// (text, colspan, rowspan).
    top: Vec<(String, usize, usize)>,
    bottom: Vec<String>,
    width: usize,
    rows: Vec<Line>,
    notes: &'a [String],
    place_date: &'a Option<String>,
    signatures: &'a [Signature],
}

/// The report as a printable HTML page.
pub fn html(report: &Report, words: &Words) -> Result<String, ReportError> {
    report.check()?;
    let grouped = report.grouped();
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for (first, last, group) in report.groups() {
        match group {
            Some(g) => {
                top.push((g.to_string(), last - first + 1, 1));
                bottom.extend((first..=last).map(|c| report.columns[c].header.clone()));
            }
            None => top.push((
                report.columns[first].header.clone(),
                1,
                if grouped { 2 } else { 1 },
            )),
        }
    }
    let cells = |row: &[Cell], bold: bool| {
        Line::Cells(
            row.iter()
                .zip(&report.columns)
                .map(|(c, col)| (c.display(col.kind), col.kind != Kind::Text))
                .collect(),
            bold,
        )
    };
    let mut rows = Vec::new();
    for section in &report.sections {
        if let Some(h) = &section.heading {
            rows.push(Line::Heading(h.clone()));
        }
        rows.extend(section.rows.iter().map(|r| cells(r, false)));
        rows.extend(section.subtotal.iter().map(|r| cells(r, true)));
    }
    rows.extend(report.total.iter().map(|r| cells(r, true)));
    let page = Page {
        country: &words.country,
        motto: &words.motto,
        notes_heading: &words.notes,
        title: &report.title,
        subtitle: &report.subtitle,
        top,
        bottom,
        width: report.columns.len(),
        rows,
        notes: &report.notes,
        place_date: &report.place_date,
        signatures: &report.signatures,
    };
    Ok(page.render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_the_motto_merged_headers_and_signatures_and_escapes_text() {
        let mut report = crate::sample();
        report.sections[0].rows[0][0] = Cell::text("<b>Xuân An</b>");
        let page = html(&report, &crate::words()).unwrap();
        assert!(page.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(page.contains("Độc lập - Tự do - Hạnh phúc"));
        assert!(
            page.contains(r#"<th colspan="2" rowspan="1">Hộ nghèo</th>"#),
            "{page}"
        );
        assert!(page.contains(r#"<th colspan="1" rowspan="2">Đơn vị</th>"#));
        assert!(page.contains("<td class=\"n\">1.200</td>"), "{page}");
        assert!(page.contains("<td class=\"n\">2,50 %</td>"));
        assert!(page.contains("&#60;b&#62;Xuân An") || page.contains("&lt;b&gt;Xuân An"));
        assert!(!page.contains("<b>Xuân An"));
        assert!(page.contains("Nghi Xuân, ngày 10 tháng 12 năm 2024"));
        assert!(page.contains("TM. ỦY BAN NHÂN DÂN") && page.contains("Nguyễn Văn A"));
        assert!(page.contains("size: A4 landscape"));
    }
}
