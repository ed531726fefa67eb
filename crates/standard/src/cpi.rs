//! The consumer price index as data (`cpi/vn-cpi.toml`): each year's
//! average change over the year before. It updates a standard's income
//! lines for statistical reporting only — a household's classification
//! always uses the lines of the law.

use std::collections::BTreeMap;

/// Annual CPI changes, in percent, by year.
#[derive(Debug, Clone, PartialEq)]
pub struct Cpi {
    pub years: BTreeMap<i64, f64>,
    pub confidence: crate::Confidence,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCpi {
    #[serde(default)]
    confidence: crate::Confidence,
    years: BTreeMap<String, f64>,
}

impl Cpi {
    /// The built-in series.
    pub fn builtin() -> Cpi {
        Cpi::parse("cpi/vn-cpi.toml", include_str!("../../../cpi/vn-cpi.toml"))
            .expect("the built-in CPI series is valid")
    }

    /// Reads a series; an error names the file and the year.
    pub fn parse(file: &str, text: &str) -> Result<Cpi, String> {
        let raw: RawCpi = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let mut years = BTreeMap::new();
        for (year, change) in raw.years {
            let y: i64 = year
                .parse()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| format!("{file}, năm \"{year}\": không phải một năm"))?;
            if !(-50.0..=100.0).contains(&change) {
                return Err(format!(
                    "{file}, năm {y}: {change} % không phải mức thay đổi giá hợp lý"
                ));
            }
            years.insert(y, change);
        }
        Ok(Cpi {
            years,
            confidence: raw.confidence,
        })
    }

    /// How much prices grew from the end of `base` to `year`: the product
    /// of (1 + change) over the years after `base` up to `year`; None when
    /// a year is missing from the series or `year` is not after `base`.
    pub fn factor(&self, base: i64, year: i64) -> Option<f64> {
        if year <= base {
            return None;
        }
        (base + 1..=year).try_fold(1.0, |f, y| Some(f * (1.0 + self.years.get(&y)? / 100.0)))
    }
}
