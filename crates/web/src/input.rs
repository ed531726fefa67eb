//! What users type, parsed once at the edge: numbers the Vietnamese way,
//! list parameters within their bounds, texts without control characters.
//! A problem is a sentence that names the field, in the page's language.

use crate::i18n::Tr;
use registry::ReviewYear;

/// A whole number typed into the field `label`, within `range`.
pub fn whole(
    tr: Tr,
    label: &str,
    text: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, String> {
    let key = match vntext::parse_whole(text) {
        Ok(v) if range.contains(&v) => return Ok(v),
        Ok(_) => {
            return Err(format!(
                "{label}: {} {}–{}",
                tr.t("input_range"),
                vntext::format_vnd(*range.start()),
                vntext::format_vnd(*range.end())
            ));
        }
        Err(vntext::NumberError::Empty) => "input_empty",
        Err(vntext::NumberError::NotANumber) => "input_not_a_number",
        Err(vntext::NumberError::NotWhole) => "input_not_whole",
        Err(vntext::NumberError::Grouping) => "input_grouping",
        Err(vntext::NumberError::Negative) => "input_negative",
    };
    Err(format!("{label}: {}", tr.t(key)))
}

/// A review year as typed: four digits, from the first year of a national
/// standard to `latest` (a review is never for a year further ahead).
pub fn review_year(tr: Tr, text: &str, latest: i64) -> Result<ReviewYear, String> {
    let label = tr.t("household_year");
    let out_of_range = || {
        format!(
            "{label}: {} {}–{latest}",
            tr.t("input_range"),
            ReviewYear::FIRST
        )
    };
    let year = match vntext::parse_whole(text.trim()) {
        Ok(y) if y <= latest => y,
        Ok(_) => return Err(out_of_range()),
        Err(_) => return Err(format!("{label}: {}", tr.t("survey_bad_year"))),
    };
    ReviewYear::new(year).map_err(|_| out_of_range())
}

/// A list's year filter: empty is none, else a review year (as the
/// database stores it).
pub fn year_filter(tr: Tr, text: Option<&str>, latest: i64) -> Result<Option<i64>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => review_year(tr, t, latest).map(|y| Some(y.as_i64())),
    }
}

/// A classification chosen in a filter ("poor", "near_poor", …); empty is
/// no filter.
pub fn status(tr: Tr, text: Option<&str>) -> Result<Option<standard::Status>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(code) => standard::Status::parse(code).map(Some).ok_or_else(|| {
            format!(
                "{}: {} (\"{code}\")",
                tr.t("households_status"),
                tr.t("input_unknown_choice")
            )
        }),
    }
}

/// The classification filters of a list (status, group, movement),
/// parsed together: the values, or every problem, each naming its field.
#[derive(Debug)]
pub struct ListFilters {
    pub status: Option<standard::Status>,
    pub group: Option<registry::Group>,
    pub movement: Option<registry::MovementFilter>,
}

pub fn list_filters(
    tr: Tr,
    status: Option<&str>,
    group: Option<&str>,
    movement: Option<&str>,
) -> Result<ListFilters, Vec<String>> {
    match (
        self::status(tr, status),
        self::group(tr, group),
        self::movement(tr, movement),
    ) {
        (Ok(status), Ok(group), Ok(movement)) => Ok(ListFilters {
            status,
            group,
            movement,
        }),
        (status, group, movement) => Err([status.err(), group.err(), movement.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}

/// A group filter from its code (none when empty).
pub fn group(tr: Tr, text: Option<&str>) -> Result<Option<registry::Group>, String> {
    choice(tr, "households_group", text, registry::Group::parse)
}

/// A movement filter from its code (none when empty).
pub fn movement(tr: Tr, text: Option<&str>) -> Result<Option<registry::MovementFilter>, String> {
    choice(
        tr,
        "households_movement",
        text,
        registry::MovementFilter::parse,
    )
}

/// One of a list of codes, or none; otherwise a problem naming the field.
fn choice<T>(
    tr: Tr,
    field: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(code) => parse(code).map(Some).ok_or_else(|| {
            format!(
                "{}: {} (\"{code}\")",
                tr.t(field),
                tr.t("input_unknown_choice")
            )
        }),
    }
}

/// Pages of a list run from 1 to this.
pub const PAGE_MAX: i64 = 100_000;
/// The longest search text.
pub const QUERY_MAX: usize = 100;

/// A page number from the query string (absent: the first).
pub fn page(tr: Tr, text: Option<&str>) -> Result<i64, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(1),
        Some(t) => whole(tr, tr.t("input_page"), t, 1..=PAGE_MAX),
    }
}

/// A search text: no control characters (a NUL byte would fail on
/// PostgreSQL), not too long.
pub fn query(tr: Tr, text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) || text.chars().count() > QUERY_MAX {
        return Err(format!(
            "{}: {}",
            tr.t("households_search"),
            tr.t("input_bad_query")
        ));
    }
    Ok(text.to_string())
}

/// A form's field, trimmed; empty when absent.
pub(crate) fn field(form: &std::collections::HashMap<String, String>, key: &str) -> String {
    form.get(key)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// The codes whose box `<prefix><code>` the form ticked, in the order
/// given.
pub(crate) fn ticked<'a>(
    form: &std::collections::HashMap<String, String>,
    prefix: &str,
    codes: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    codes
        .into_iter()
        .filter(|c| form.contains_key(&format!("{prefix}{c}")))
        .map(String::from)
        .collect()
}

/// An upload form read whole: its text fields, and the part named `file`
/// (its file name, or `default_name` without one, and its bytes as sent,
/// empty when no file was chosen).
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads an upload form; None when its body cannot be read (broken, or
/// over the route's size limit). A text field that cannot be read is left
/// out.
pub async fn upload(mut multipart: axum::extract::Multipart, default_name: &str) -> Option<Upload> {
    let mut upload = Upload {
        fields: std::collections::HashMap::new(),
        file: None,
    };
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or(default_name).to_string();
            upload.file = Some((file_name, field.bytes().await.ok()?.to_vec()));
        } else if let Ok(text) = field.text().await {
            upload.fields.insert(name, text);
        }
    }
    Some(upload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    const VI: Tr = Tr { lang: Lang::Vi };

    #[test]
    fn a_review_year_is_taken_within_its_range_and_said_without_thousands_dots() {
        assert_eq!(
            review_year(VI, " 2025 ", 2027).map(ReviewYear::get),
            Ok(2025)
        );
        assert_eq!(review_year(VI, "2016", 2027).map(ReviewYear::get), Ok(2016));
        assert_eq!(review_year(VI, "2027", 2027).map(ReviewYear::get), Ok(2027));
        let late = review_year(VI, "2028", 2027).unwrap_err();
        assert_eq!(late, "Năm: phải trong khoảng 2016–2027");
        assert!(review_year(VI, "2015", 2027).is_err());
        assert!(
            review_year(VI, "năm ngoái", 2027)
                .unwrap_err()
                .starts_with("Năm: ")
        );
    }

    #[test]
    fn a_status_filter_is_a_classification_or_a_named_error() {
        assert_eq!(status(VI, None), Ok(None));
        assert_eq!(status(VI, Some(" ")), Ok(None));
        assert_eq!(
            status(VI, Some("near_poor")),
            Ok(Some(standard::Status::NearPoor))
        );
        let e = status(VI, Some("rich")).unwrap_err();
        assert!(
            e.starts_with("Phân loại: ") && e.contains("\"rich\""),
            "{e}"
        );
    }

    #[test]
    fn group_and_movement_filters_are_codes_or_named_errors() {
        let f = list_filters(VI, Some("poor"), Some("merit"), Some("re_poor")).unwrap();
        assert_eq!(f.status, Some(standard::Status::Poor));
        assert_eq!(f.group, Some(registry::Group::Merit));
        assert_eq!(f.movement, Some(registry::MovementFilter::RePoor));
        let f = list_filters(VI, None, Some(""), None).unwrap();
        assert!(f.group.is_none() && f.movement.is_none());
        let problems = list_filters(VI, Some("rich"), Some("vip"), Some("up")).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[1].starts_with("Nhóm: ") && problems[1].contains("\"vip\""));
        assert!(problems[2].starts_with("Biến động: ") && problems[2].contains("\"up\""));
    }
}
