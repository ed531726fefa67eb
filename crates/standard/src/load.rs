//! Reading a standard from its TOML text, and validating every part of it.
//! The file's name is only carried into error messages: this module does no I/O.

use crate::model::*;
use num_rational::Ratio;
use std::collections::HashSet;

/// A standard file that cannot be used. Messages are in Vietnamese, name the
/// file and the field, and say what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: không đọc được tệp chuẩn (TOML): {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: trường `{field}`: {problem}")]
    Invalid {
        file: String,
        field: String,
        problem: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    id: String,
    #[serde(default)]
    provisional: bool,
    name: Text,
    legal_basis: RawLegalBasis,
    review_years: RawYears,
    deprivation_cutoff: RawCutoff,
    notes: Option<Text>,
    income_lines: Vec<RawLine>,
    rules: Vec<RawRule>,
    dimensions: Vec<RawDimension>,
    score_form: Option<RawScoreForm>,
    screening: Option<RawScreening>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScreening {
    form: Text,
    #[serde(default)]
    confidence: Confidence,
    criteria: Vec<crate::model::ScreeningCriterion>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegalBasis {
    vi: String,
    en: String,
    #[serde(default)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYears {
    from: u16,
    to: u16,
    #[serde(default)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCutoff {
    count: u32,
    /// The Alkire–Foster k as a fraction ("1/4"); the count over the
    /// indicators when absent.
    mpi_k: Option<String>,
    #[serde(default)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    code: String,
    name: Text,
    rural: i64,
    urban: i64,
    #[serde(default)]
    confidence: Confidence,
    note: Option<Text>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    status: Status,
    reason: RawReason,
    above: Option<String>,
    at_most: Option<String>,
    deprivations: Option<DeprivationCondition>,
    livelihood: Option<crate::model::LivelihoodCondition>,
    #[serde(default)]
    confidence: Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReason {
    code: String,
    vi: String,
    en: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    code: String,
    name: Text,
    weight: String,
    indicators: Vec<RawIndicator>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: String,
    name: Text,
    deprived_when: Text,
    weight: String,
    #[serde(default)]
    confidence: Confidence,
    #[serde(default)]
    survey: Option<crate::survey::SurveyRule>,
    /// Other headings district lists give the indicator's column.
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoreForm {
    name: Text,
    score_a: Text,
    score_b: Text,
    points_per_deprivation: u32,
    b_cutoff: u32,
    note: Option<Text>,
    lines: Vec<RawLine>,
    rules: Vec<RawRule>,
}

/// At most this many indicators: a household's deprivations are a 64-bit set.
pub const MAX_INDICATORS: usize = 64;

struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn fail<T>(
        &self,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Result<T, LoadError> {
        Err(LoadError::Invalid {
            file: self.file.to_string(),
            field: field.into(),
            problem: problem.into(),
        })
    }

    fn text(&self, field: &str, text: &Text) -> Result<(), LoadError> {
        if text.vi.trim().is_empty() {
            return self.fail(format!("{field}.vi"), "không được để trống");
        }
        if text.en.trim().is_empty() {
            return self.fail(format!("{field}.en"), "không được để trống");
        }
        Ok(())
    }

    fn code(&self, field: &str, code: &str) -> Result<(), LoadError> {
        let ok = !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(())
        } else {
            self.fail(
                field,
                format!("mã \"{code}\" chỉ được gồm chữ thường không dấu, chữ số, '_' và '-'"),
            )
        }
    }

    fn lines(&self, field: &str, raw: Vec<RawLine>, unit: &str) -> Result<Vec<Line>, LoadError> {
        let mut seen = HashSet::new();
        let mut lines: Vec<Line> = Vec::with_capacity(raw.len());
        for (i, l) in raw.into_iter().enumerate() {
            let at = format!("{field}[{i}]");
            self.code(&format!("{at}.code"), &l.code)?;
            if !seen.insert(l.code.clone()) {
                return self.fail(format!("{at}.code"), format!("mã \"{}\" bị trùng", l.code));
            }
            self.text(&format!("{at}.name"), &l.name)?;
            if let Some(note) = &l.note {
                self.text(&format!("{at}.note"), note)?;
            }
            for (area, value) in [("rural", l.rural), ("urban", l.urban)] {
                if value <= 0 {
                    return self.fail(format!("{at}.{area}"), format!("phải là số {unit} dương"));
                }
                if let Some(prev) = lines.last() {
                    let prev_value = if area == "rural" {
                        prev.rural
                    } else {
                        prev.urban
                    };
                    if value <= prev_value {
                        return self.fail(
                            format!("{at}.{area}"),
                            format!(
                                "các mức phải xếp tăng dần: {value} không lớn hơn mức \"{}\" ({prev_value})",
                                prev.code
                            ),
                        );
                    }
                }
            }
            lines.push(Line {
                code: l.code,
                name: l.name,
                rural: l.rural,
                urban: l.urban,
                confidence: l.confidence,
                note: l.note,
            });
        }
        Ok(lines)
    }

    fn rules(
        &self,
        field: &str,
        raw: Vec<RawRule>,
        lines: &[Line],
        lines_field: &str,
    ) -> Result<Vec<Rule>, LoadError> {
        if raw.is_empty() {
            return self.fail(field, "cần ít nhất một quy tắc");
        }
        let find = |at: &str, code: &Option<String>| -> Result<Option<usize>, LoadError> {
            match code {
                None => Ok(None),
                Some(code) => match lines.iter().position(|l| &l.code == code) {
                    Some(i) => Ok(Some(i)),
                    None => self.fail(
                        at,
                        format!(
                            "quy tắc nhắc tới mức \"{code}\" nhưng `{lines_field}` không có mức này"
                        ),
                    ),
                },
            }
        };
        let count = raw.len();
        let mut rules = Vec::with_capacity(count);
        for (i, r) in raw.into_iter().enumerate() {
            let at = format!("{field}[{i}]");
            let above = find(&format!("{at}.above"), &r.above)?;
            let at_most = find(&format!("{at}.at_most"), &r.at_most)?;
            if let (Some(a), Some(b)) = (above, at_most)
                && a >= b
            {
                return self.fail(
                    format!("{at}.at_most"),
                    "mức `at_most` phải cao hơn mức `above`, nếu không quy tắc không bao giờ đúng",
                );
            }
            self.code(&format!("{at}.reason.code"), &r.reason.code)?;
            let text = Text {
                vi: r.reason.vi,
                en: r.reason.en,
            };
            self.text(&format!("{at}.reason"), &text)?;
            let unconditional = above.is_none()
                && at_most.is_none()
                && r.deprivations.is_none()
                && r.livelihood.is_none();
            if unconditional && i + 1 != count {
                return self.fail(at, "quy tắc không điều kiện phải đứng cuối cùng");
            }
            if !unconditional && i + 1 == count {
                return self.fail(
                    at,
                    "quy tắc cuối cùng phải không có điều kiện (ví dụ status = \"not_poor\") để hộ nào cũng được xếp loại",
                );
            }
            rules.push(Rule {
                status: r.status,
                reason: Reason {
                    code: r.reason.code,
                    text,
                },
                above,
                at_most,
                deprivations: r.deprivations,
                livelihood: r.livelihood,
                confidence: r.confidence,
            });
        }
        Ok(rules)
    }
}

/// Parses a weight written as a fraction ("1/12") or a decimal ("0.25") into an
/// exact ratio.
pub fn parse_ratio(text: &str) -> Option<Ratio<u64>> {
    let text = text.trim();
    if let Some((n, d)) = text.split_once('/') {
        let n: u64 = n.trim().parse().ok()?;
        let d: u64 = d.trim().parse().ok()?;
        if d == 0 {
            return None;
        }
        return Some(Ratio::new(n, d));
    }
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 18 {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let denominator = 10u64.checked_pow(frac.len() as u32)?;
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_value: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let numerator = int.checked_mul(denominator)?.checked_add(frac_value)?;
    Some(Ratio::new(numerator, denominator))
}

fn lcm(a: u64, b: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    a / gcd(a, b) * b
}

/// Reads and validates a standard. `file` names the source in error messages.
pub fn parse(file: &str, text: &str) -> Result<Standard, LoadError> {
    let raw: RawStandard = toml::from_str(text).map_err(|e| LoadError::Syntax {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let check = Checker { file };

    check.code("id", &raw.id)?;
    check.text("name", &raw.name)?;
    let legal_basis = Text {
        vi: raw.legal_basis.vi,
        en: raw.legal_basis.en,
    };
    check.text("legal_basis", &legal_basis)?;
    if let Some(notes) = &raw.notes {
        check.text("notes", notes)?;
    }
    if raw.review_years.from > raw.review_years.to {
        return check.fail(
            "review_years.to",
            "năm kết thúc phải không nhỏ hơn năm bắt đầu",
        );
    }

    let income_lines = check.lines("income_lines", raw.income_lines, "đồng")?;
    if income_lines.is_empty() {
        return check.fail("income_lines", "cần ít nhất một mức thu nhập (chuẩn nghèo)");
    }
    let rules = check.rules("rules", raw.rules, &income_lines, "income_lines")?;

    // Dimensions and indicators, with exact weights.
    if raw.dimensions.is_empty() {
        return check.fail("dimensions", "cần ít nhất một chiều thiếu hụt");
    }
    let mut dimensions = Vec::new();
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut dimension_codes = HashSet::new();
    let mut indicator_codes = HashSet::new();
    let mut total = Ratio::new(0u64, 1);
    for (d, dim) in raw.dimensions.into_iter().enumerate() {
        let at = format!("dimensions[{d}]");
        check.code(&format!("{at}.code"), &dim.code)?;
        if !dimension_codes.insert(dim.code.clone()) {
            return check.fail(
                format!("{at}.code"),
                format!("mã chiều \"{}\" bị trùng", dim.code),
            );
        }
        check.text(&format!("{at}.name"), &dim.name)?;
        let Some(weight) = parse_ratio(&dim.weight).filter(|w| *w.numer() > 0) else {
            return check.fail(
                format!("{at}.weight"),
                format!("trọng số \"{}\" không hợp lệ: viết dạng phân số \"1/6\" hoặc số thập phân \"0.25\", lớn hơn 0", dim.weight),
            );
        };
        if dim.indicators.is_empty() {
            return check.fail(
                format!("{at}.indicators"),
                "mỗi chiều cần ít nhất một chỉ số",
            );
        }
        let start = indicators.len();
        let mut within = Ratio::new(0u64, 1);
        for (i, ind) in dim.indicators.into_iter().enumerate() {
            let at = format!("{at}.indicators[{i}]");
            check.code(&format!("{at}.code"), &ind.code)?;
            if !indicator_codes.insert(ind.code.clone()) {
                return check.fail(
                    format!("{at}.code"),
                    format!("mã chỉ số \"{}\" bị trùng", ind.code),
                );
            }
            check.text(&format!("{at}.name"), &ind.name)?;
            check.text(&format!("{at}.deprived_when"), &ind.deprived_when)?;
            let Some(w) = parse_ratio(&ind.weight).filter(|w| *w.numer() > 0) else {
                return check.fail(
                    format!("{at}.weight"),
                    format!("trọng số \"{}\" không hợp lệ: viết dạng phân số \"1/12\" hoặc số thập phân, lớn hơn 0", ind.weight),
                );
            };
            within += w;
            indicators.push(Indicator {
                code: ind.code,
                name: ind.name,
                deprived_when: ind.deprived_when,
                weight: w,
                points: 0,
                dimension: d,
                confidence: ind.confidence,
                survey: ind.survey,
                aliases: ind.aliases,
            });
        }
        if within != weight {
            return check.fail(
                format!("{at}.indicators"),
                format!("tổng trọng số các chỉ số của chiều là {within}, phải bằng trọng số của chiều ({weight})"),
            );
        }
        total += weight;
        dimensions.push(Dimension {
            code: dim.code,
            name: dim.name,
            weight,
            indicators: start..indicators.len(),
        });
    }
    if total != Ratio::new(1, 1) {
        return check.fail(
            "dimensions",
            format!("tổng trọng số các chiều là {total}, phải bằng 1"),
        );
    }
    if indicators.len() > MAX_INDICATORS {
        return check.fail("dimensions", format!("nhiều nhất {MAX_INDICATORS} chỉ số"));
    }
    let denominator = indicators
        .iter()
        .fold(1u64, |acc, i| lcm(acc, *i.weight.denom()));
    let Ok(points_denominator) = u32::try_from(denominator) else {
        return check.fail(
            "dimensions",
            "mẫu số chung của các trọng số quá lớn; dùng phân số đơn giản hơn",
        );
    };
    for indicator in &mut indicators {
        indicator.points =
            (indicator.weight * Ratio::from_integer(denominator)).to_integer() as u32;
    }

    // A sheet's heading must name one indicator at most.
    let mut headings: std::collections::HashMap<String, &str> = Default::default();
    for ind in &indicators {
        for heading in std::iter::once(&ind.name.vi).chain(&ind.aliases) {
            let key = vntext::search_key(heading);
            if let Some(other) = headings.insert(key, &ind.code)
                && other != ind.code
            {
                return check.fail(
                    "dimensions.indicators.aliases",
                    format!("\"{heading}\" gọi cả chỉ số {other} và {}", ind.code),
                );
            }
        }
    }
    let cutoff = raw.deprivation_cutoff.count;
    if cutoff == 0 || cutoff as usize > indicators.len() {
        return check.fail(
            "deprivation_cutoff.count",
            format!("phải từ 1 đến số chỉ số ({})", indicators.len()),
        );
    }

    let mpi_k = match &raw.deprivation_cutoff.mpi_k {
        None => Ratio::new(u64::from(cutoff), indicators.len() as u64),
        Some(text) => match parse_ratio(text) {
            Some(k) if *k.numer() > 0 && k <= Ratio::from_integer(1) => k,
            _ => {
                return check.fail(
                    "deprivation_cutoff.mpi_k",
                    "phải là một phân số trong khoảng (0, 1], ví dụ \"1/4\"",
                );
            }
        },
    };

    let score_form = match raw.score_form {
        None => None,
        Some(f) => {
            check.text("score_form.name", &f.name)?;
            check.text("score_form.score_a", &f.score_a)?;
            check.text("score_form.score_b", &f.score_b)?;
            if let Some(note) = &f.note {
                check.text("score_form.note", note)?;
            }
            if f.points_per_deprivation == 0 {
                return check.fail("score_form.points_per_deprivation", "phải lớn hơn 0");
            }
            if f.b_cutoff == 0 {
                return check.fail("score_form.b_cutoff", "phải lớn hơn 0");
            }
            let lines = check.lines("score_form.lines", f.lines, "điểm")?;
            let rules = check.rules("score_form.rules", f.rules, &lines, "score_form.lines")?;
            Some(ScoreForm {
                name: f.name,
                score_a: f.score_a,
                score_b: f.score_b,
                points_per_deprivation: f.points_per_deprivation,
                b_cutoff: f.b_cutoff,
                lines,
                rules,
                note: f.note,
            })
        }
    };

    let screening = match raw.screening {
        None => None,
        Some(sc) => {
            check.text("screening.form", &sc.form)?;
            if sc.criteria.is_empty() {
                return check.fail("screening.criteria", "cần ít nhất một tiêu chí");
            }
            for (i, c) in sc.criteria.iter().enumerate() {
                if c.code.trim().is_empty() || c.vi.trim().is_empty() || c.en.trim().is_empty() {
                    return check.fail(
                        format!("screening.criteria[{i}]"),
                        "mã, vi và en không được trống",
                    );
                }
                if sc.criteria[..i].iter().any(|o| o.code == c.code) {
                    return check.fail(
                        format!("screening.criteria[{i}].code"),
                        format!("mã \"{}\" trùng", c.code),
                    );
                }
            }
            Some(crate::model::Screening {
                form: sc.form,
                criteria: sc.criteria,
                confidence: sc.confidence,
            })
        }
    };
    let compiled = crate::classify::Compiled::new(
        &indicators,
        &rules,
        &income_lines,
        cutoff,
        score_form.as_ref(),
    );
    Ok(Standard {
        compiled,
        id: raw.id,
        name: raw.name,
        legal_basis,
        legal_basis_confidence: raw.legal_basis.confidence,
        provisional: raw.provisional,
        review_years: raw.review_years.from..=raw.review_years.to,
        review_years_confidence: raw.review_years.confidence,
        income_lines,
        rules,
        dimensions,
        indicators,
        deprivation_cutoff: cutoff,
        deprivation_cutoff_confidence: raw.deprivation_cutoff.confidence,
        mpi_k,
        score_form,
        screening,
        notes: raw.notes,
        points_denominator,
    })
}
