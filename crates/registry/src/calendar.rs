//! Working days and the review procedure's time limits, from the data file
//! `calendar/vn-review.toml` (public holidays by year, days of posting, the
//! request deadline). Pure: dates in, dates out.

use chrono::{Datelike, NaiveDate, Weekday};
use standard::Confidence;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// How a time limit counts its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    Calendar,
    Working,
}

/// A time limit in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    pub days: u32,
    pub count: DayCount,
    #[serde(default)]
    pub confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPosting {
    working_days: u32,
    #[serde(default)]
    #[allow(dead_code)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    days_off: Vec<String>,
    #[serde(default)]
    working_weekend_days: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolidays {
    every_year: Vec<String>,
    years: Vec<RawYear>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReporting {
    monthly_day: u32,
    annual: String,
    #[serde(default)]
    #[allow(dead_code)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    posting: RawPosting,
    reporting: RawReporting,
    request_answer: TimeLimit,
    holidays: RawHolidays,
}

/// A calendar file that cannot be used, naming what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// The procedure's time limits and the days off.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Working days the list stays posted.
    pub posting_days: u32,
    /// The day of the next month a monthly report is due.
    pub monthly_report_day: u32,
    /// Month and day of its year the annual report is due.
    pub annual_report: (u32, u32),
    pub request_answer: TimeLimit,
    /// Month and day of the holidays of every year.
    every_year: Vec<(u32, u32)>,
    days_off: BTreeSet<NaiveDate>,
    working_weekend_days: BTreeSet<NaiveDate>,
    /// Years whose days off are listed (make-up days included).
    listed_years: BTreeSet<i32>,
}

const BUILTIN: &str = include_str!("../../../calendar/vn-review.toml");

impl Calendar {
    /// Reads a calendar file's text.
    pub fn parse(file: &str, text: &str) -> Result<Calendar, CalendarError> {
        let fail = |message: String| CalendarError::Invalid {
            file: file.to_string(),
            message,
        };
        let raw: RawCalendar = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        if !(1..=30).contains(&raw.posting.working_days) {
            return Err(fail("posting.working_days: từ 1 đến 30".into()));
        }
        if !(1..=90).contains(&raw.request_answer.days) {
            return Err(fail("request_answer.days: từ 1 đến 90".into()));
        }
        if !(1..=28).contains(&raw.reporting.monthly_day) {
            return Err(fail("reporting.monthly_day: từ 1 đến 28".into()));
        }
        let annual_report = raw
            .reporting
            .annual
            .split_once('-')
            .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
            .filter(|(m, d)| NaiveDate::from_ymd_opt(2023, *m, *d).is_some())
            .ok_or_else(|| {
                fail(format!(
                    "reporting.annual: \"{}\" không phải tháng-ngày (MM-DD)",
                    raw.reporting.annual
                ))
            })?;
        let mut every_year = Vec::new();
        for md in &raw.holidays.every_year {
            let parsed = md
                .split_once('-')
                .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
                .filter(|(m, d)| NaiveDate::from_ymd_opt(2024, *m, *d).is_some());
            match parsed {
                Some(md) => every_year.push(md),
                None => {
                    return Err(fail(format!(
                        "holidays.every_year: \"{md}\" không phải tháng-ngày (MM-DD)"
                    )));
                }
            }
        }
        let mut days_off = BTreeSet::new();
        let mut working_weekend_days = BTreeSet::new();
        let mut listed_years = BTreeSet::new();
        for y in raw.holidays.years {
            listed_years.insert(y.year);
            let dates = |field: &str, texts: &[String]| -> Result<Vec<NaiveDate>, CalendarError> {
                texts
                    .iter()
                    .map(|t| {
                        NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                            fail(format!(
                                "holidays.years[{}].{field}: \"{t}\" không phải ngày YYYY-MM-DD",
                                y.year
                            ))
                        })
                    })
                    .collect()
            };
            let off = dates("days_off", &y.days_off)?;
            let worked = dates("working_weekend_days", &y.working_weekend_days)?;
            for d in &off {
                if d.year() != y.year {
                    return Err(fail(format!(
                        "holidays.years[{}]: {d} không thuộc năm",
                        y.year
                    )));
                }
            }
            for d in &worked {
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(fail(format!(
                        "holidays.years[{}].working_weekend_days: {d} không phải thứ Bảy, Chủ nhật",
                        y.year
                    )));
                }
            }
            days_off.extend(off);
            working_weekend_days.extend(worked);
        }
        Ok(Calendar {
            posting_days: raw.posting.working_days,
            monthly_report_day: raw.reporting.monthly_day,
            annual_report,
            request_answer: raw.request_answer,
            every_year,
            days_off,
            working_weekend_days,
            listed_years,
        })
    }

    /// The day a report of `year` (and `month`, for a monthly one) is due:
    /// the set day of the next month, or the set day of the year.
    pub fn report_due(&self, year: i32, month: Option<u32>) -> Option<NaiveDate> {
        match month {
            Some(m) => {
                let (y, next) = if m == 12 {
                    (year + 1, 1)
                } else {
                    (year, m + 1)
                };
                NaiveDate::from_ymd_opt(y, next, self.monthly_report_day)
            }
            None => NaiveDate::from_ymd_opt(year, self.annual_report.0, self.annual_report.1),
        }
    }

    /// The calendar shipped with the binary.
    pub fn builtin() -> &'static Calendar {
        static CALENDAR: OnceLock<Calendar> = OnceLock::new();
        CALENDAR.get_or_init(|| {
            // The file is part of the source and checked by the tests.
            Calendar::parse("calendar/vn-review.toml", BUILTIN)
                .unwrap_or_else(|e| panic!("the shipped calendar is invalid: {e}"))
        })
    }

    fn statutory(&self, day: NaiveDate) -> bool {
        self.every_year
            .iter()
            .any(|&(m, d)| day.month() == m && day.day() == d)
    }

    /// A statutory holiday on a weekend is made up on the next working day
    /// (Labour Code 2019 art. 111); only the fixed-date ones need working
    /// out for a year without its own list.
    fn made_up(&self, day: NaiveDate) -> bool {
        if self.listed_years.contains(&day.year()) {
            return false;
        }
        let mut back = day;
        loop {
            let Some(previous) = back.pred_opt() else {
                return false;
            };
            back = previous;
            let weekend = matches!(back.weekday(), Weekday::Sat | Weekday::Sun);
            if !weekend && !self.days_off.contains(&back) {
                return false;
            }
            if weekend && self.statutory(back) {
                return true;
            }
        }
    }

    /// Whether offices work on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.working_weekend_days.contains(&day) {
            return true;
        }
        !(matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            || self.statutory(day)
            || self.days_off.contains(&day)
            || self.made_up(day))
    }

    /// The last of `n` working days counted from `start` (itself when it is
    /// a working day).
    pub fn nth_working_day(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut counted = 0;
        loop {
            if self.is_working_day(day) {
                counted += 1;
                if counted >= n.max(1) {
                    return day;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
        }
    }

    /// The last day of a posting that starts on `start`.
    pub fn posting_end(&self, start: NaiveDate) -> NaiveDate {
        self.nth_working_day(start, self.posting_days)
    }

    /// The day by which a request submitted on `submitted` must be answered:
    /// the days are counted from the day after it.
    pub fn request_deadline(&self, submitted: NaiveDate) -> NaiveDate {
        let limit = self.request_answer;
        match limit.count {
            DayCount::Calendar => submitted + chrono::Duration::days(i64::from(limit.days)),
            DayCount::Working => submitted
                .succ_opt()
                .map_or(submitted, |next| self.nth_working_day(next, limit.days)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_shipped_calendar_reads() {
        let c = Calendar::builtin();
        assert_eq!(c.posting_days, 3);
        assert_eq!(c.request_answer.days, 15);
    }

    #[test]
    fn weekends_holidays_and_swapped_days() {
        let c = Calendar::builtin();
        // Thursday 2 October 2025 is a working day; Saturday is not.
        assert!(c.is_working_day(d(2025, 10, 2)));
        assert!(!c.is_working_day(d(2025, 10, 4)));
        // 2/9 and the day before; Tết 2025; a Saturday worked in exchange.
        assert!(!c.is_working_day(d(2025, 9, 1)) && !c.is_working_day(d(2025, 9, 2)));
        assert!(!c.is_working_day(d(2025, 1, 29)));
        assert!(c.is_working_day(d(2025, 4, 26)));
        // A year without its own list: the fixed holidays, and one on a
        // weekend made up on the Monday (2/9/2029 is a Sunday).
        assert!(!c.is_working_day(d(2027, 4, 30)));
        assert!(!c.is_working_day(d(2029, 9, 3)));
        assert!(c.is_working_day(d(2029, 9, 4)));
    }

    #[test]
    fn posting_lasts_three_working_days() {
        let c = Calendar::builtin();
        // From Thursday 2/10/2025: Thursday, Friday, Monday.
        assert_eq!(c.posting_end(d(2025, 10, 2)), d(2025, 10, 6));
        // From Monday 6/10/2025: to Wednesday.
        assert_eq!(c.posting_end(d(2025, 10, 6)), d(2025, 10, 8));
        // From Friday 29/8/2025: Friday, then 1/9 and 2/9 are off: 3 and 4/9.
        assert_eq!(c.posting_end(d(2025, 8, 29)), d(2025, 9, 4));
        // Posted on a Sunday: the count starts on Monday.
        assert_eq!(c.posting_end(d(2025, 10, 5)), d(2025, 10, 8));
    }

    #[test]
    fn request_deadline_counts_as_the_file_says() {
        let c = Calendar::builtin();
        assert_eq!(c.request_deadline(d(2025, 10, 1)), d(2025, 10, 16));
        let text = BUILTIN.replace("count = \"calendar\"", "count = \"working\"");
        let working = Calendar::parse("t.toml", &text).unwrap();
        // 15 working days from Wednesday 1/10/2025: 2/10 … 22/10.
        assert_eq!(working.request_deadline(d(2025, 10, 1)), d(2025, 10, 22));
    }

    #[test]
    fn a_bad_file_names_what_is_wrong() {
        let bad = |from: &str, to: &str| {
            assert!(BUILTIN.contains(from), "{from}");
            Calendar::parse("t.toml", &BUILTIN.replacen(from, to, 1))
                .unwrap_err()
                .to_string()
        };
        assert!(bad("working_days = 3", "working_days = 0").contains("posting.working_days"));
        assert!(bad("\"04-30\"", "\"04-31\"").contains("04-31"));
        assert!(bad("\"2025-04-26\"", "\"2025-04-28\"").contains("2025-04-28"));
        assert!(bad("count = \"calendar\"", "count = \"lunar\"").contains("lunar"));
        assert!(bad("\"2024-02-08\"", "\"2023-02-08\"").contains("2023-02-08"));
    }
}
