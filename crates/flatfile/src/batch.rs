//! The columns of the flat household file, and a batch of parsed rows.

use crate::error::{FileError, RowProblem};
use standard::{Area, DeprivationSet, Livelihood, Standard};
use std::path::Path;

/// Which optional columns a command needs read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The grouping column (`--by`).
    pub by: Option<String>,
    /// Stratum and PSU columns of a survey design. When None, columns named
    /// `strata` (or `stratum`) and `psu` are used if the file has them.
    pub strata: Option<String>,
    pub psu: Option<String>,
    /// Read `household_id` and `commune_code` as text (to copy to the output).
    pub ids: bool,
    /// Hash `household_id` into `Batch::key` (the Poisson bootstrap needs it).
    pub key: bool,
}

/// The position in the file of every column a command reads.
#[derive(Debug, Clone)]
pub struct Columns {
    /// The header, as read.
    pub names: Vec<String>,
    pub household_id: usize,
    pub commune_code: usize,
    pub area: usize,
    pub weight: Option<usize>,
    /// farm / non_farm / empty: what the average-living status needs.
    pub livelihood: Option<usize>,
    pub members: usize,
    pub income_per_capita: usize,
    /// Per indicator of the standard, in its order.
    pub deprivations: Vec<usize>,
    pub group: Option<usize>,
    pub stratum: Option<usize>,
    pub psu: Option<usize>,
    pub read_ids: bool,
    pub read_key: bool,
    /// Read with the ids (for import into the registry), when present.
    pub village: Option<usize>,
    pub merit: Option<usize>,
    pub social_protection: Option<usize>,
}

impl Columns {
    pub fn resolve(
        file: &Path,
        header: &[String],
        standard: &Standard,
        options: &ReadOptions,
    ) -> Result<Columns, FileError> {
        for (i, name) in header.iter().enumerate() {
            if header[..i].contains(name) {
                return Err(FileError::DuplicateColumn {
                    file: file.to_path_buf(),
                    column: name.clone(),
                });
            }
        }
        let mut needed: Vec<String> = [
            "household_id",
            "commune_code",
            "area",
            "members",
            "income_per_capita",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        needed.extend(standard.indicators.iter().map(|i| format!("d_{}", i.code)));
        let find = |name: &str| header.iter().position(|h| h == name);
        let require = |name: &str| {
            find(name).ok_or_else(|| FileError::MissingColumn {
                file: file.to_path_buf(),
                column: name.to_string(),
                needed: needed.join(", "),
            })
        };
        let deprivations = standard
            .indicators
            .iter()
            .map(|i| require(&format!("d_{}", i.code)))
            .collect::<Result<Vec<_>, _>>()?;
        let optional =
            |given: &Option<String>, defaults: &[&str]| -> Result<Option<usize>, FileError> {
                match given {
                    Some(name) => require(name).map(Some),
                    None => Ok(defaults.iter().find_map(|d| find(d))),
                }
            };
        let stratum = optional(&options.strata, &["strata", "stratum"])?;
        let psu = optional(&options.psu, &["psu"])?;
        if stratum.is_some() != psu.is_some() {
            let missing = if stratum.is_none() { "strata" } else { "psu" };
            return Err(FileError::MissingColumn {
                file: file.to_path_buf(),
                column: missing.to_string(),
                needed: "strata và psu phải đi cùng nhau khi tính sai số theo thiết kế mẫu"
                    .to_string(),
            });
        }
        Ok(Columns {
            names: header.to_vec(),
            household_id: require("household_id")?,
            commune_code: require("commune_code")?,
            area: require("area")?,
            weight: find("weight"),
            livelihood: find("livelihood"),
            members: require("members")?,
            income_per_capita: require("income_per_capita")?,
            deprivations,
            group: optional(&options.by, &[])?,
            stratum,
            psu,
            read_ids: options.ids,
            read_key: options.key,
            village: find("village").filter(|_| options.ids),
            merit: find("merit").filter(|_| options.ids),
            social_protection: find("social_protection").filter(|_| options.ids),
        })
    }

    /// The indices of the columns that are read, sorted (for Parquet projection).
    pub fn used(&self) -> Vec<usize> {
        let mut used = vec![self.area, self.members, self.income_per_capita];
        used.extend(&self.deprivations);
        used.extend(self.weight);
        used.extend(self.livelihood);
        used.extend(self.group);
        used.extend(self.stratum);
        used.extend(self.psu);
        if self.read_ids {
            used.extend([self.household_id, self.commune_code]);
            used.extend(self.village);
            used.extend(self.merit);
            used.extend(self.social_protection);
        }
        if self.read_key {
            used.push(self.household_id);
        }
        used.sort_unstable();
        used.dedup();
        used
    }
}

/// Text values of one column, packed.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl Texts {
    pub fn push(&mut self, value: &[u8]) {
        self.bytes.extend_from_slice(value);
        self.ends.push(self.bytes.len() as u32);
    }

    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// A text column with few distinct values (a grouping column): each row holds
/// the number of its value, so that a group is looked up once per value, not
/// once per row.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    pub values: Texts,
    pub keys: Vec<u32>,
    index: std::collections::HashMap<Vec<u8>, u32>,
}

impl Codes {
    pub fn push(&mut self, value: &[u8]) {
        // Files are usually sorted by unit: most rows repeat the last value.
        if let Some(&last) = self.keys.last()
            && self.values.get(last as usize) == value
        {
            self.keys.push(last);
            return;
        }
        let key = match self.index.get(value) {
            Some(&k) => k,
            None => {
                let k = self.values.len() as u32;
                self.values.push(value);
                self.index.insert(value.to_vec(), k);
                k
            }
        };
        self.keys.push(key);
    }

    pub fn get(&self, row: usize) -> &[u8] {
        self.values.get(self.keys[row] as usize)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.keys.clear();
        self.index.clear();
    }
}

/// Parsed rows, column by column. Text columns are filled only when the
/// command asked for them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The number of the first row in the file, as error messages count rows.
    pub first_row: u64,
    pub area: Vec<Area>,
    pub income_per_capita: Vec<i64>,
    pub deprivations: Vec<DeprivationSet>,
    pub weight: Vec<f64>,
    pub livelihood: Vec<Livelihood>,
    pub members: Vec<u32>,
    pub household_id: Texts,
    pub commune_code: Texts,
    pub group: Codes,
    pub stratum: Texts,
    pub psu: Texts,
    pub key: Vec<u64>,
    /// Filled with the ids when the file has these columns.
    pub village: Texts,
    pub merit: Vec<bool>,
    pub social_protection: Vec<bool>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.area.len()
    }

    pub fn is_empty(&self) -> bool {
        self.area.is_empty()
    }

    pub fn clear(&mut self) {
        self.area.clear();
        self.income_per_capita.clear();
        self.deprivations.clear();
        self.weight.clear();
        self.livelihood.clear();
        self.members.clear();
        self.household_id.clear();
        self.commune_code.clear();
        self.group.clear();
        self.stratum.clear();
        self.psu.clear();
        self.key.clear();
        self.village.clear();
        self.merit.clear();
        self.social_protection.clear();
    }

    /// Parses one row whose cells `cell(i)` gives by column index.
    #[inline]
    pub(crate) fn push_row<'a>(
        &mut self,
        columns: &Columns,
        row: usize,
        cell: impl Fn(usize) -> &'a [u8],
    ) -> Result<(), RowProblem> {
        let bad = |column: usize, problem: String| RowProblem {
            row,
            column: Some(columns.names[column].clone()),
            problem,
        };
        let area = cell(columns.area);
        let area = Area::parse_bytes(area).ok_or_else(|| {
            bad(
                columns.area,
                format!(
                    "\"{}\" không phải khu vực; ghi rural (nông thôn) hoặc urban (thành thị)",
                    show(area)
                ),
            )
        })?;
        let income = parse_int(cell(columns.income_per_capita))
            .map_err(|p| bad(columns.income_per_capita, p))?;
        let members = parse_int(cell(columns.members)).map_err(|p| bad(columns.members, p))?;
        if !(1..=i64::from(u16::MAX)).contains(&members) {
            return Err(bad(
                columns.members,
                format!("số nhân khẩu {members} phải từ 1 trở lên"),
            ));
        }
        let weight = match columns.weight {
            None => 1.0,
            Some(c) => parse_weight(cell(c)).map_err(|p| bad(c, p))?,
        };
        let livelihood = match columns.livelihood {
            None => Livelihood::Unknown,
            Some(c) => parse_livelihood(cell(c)).map_err(|p| bad(c, p))?,
        };
        let mut set = DeprivationSet::EMPTY;
        for (i, &c) in columns.deprivations.iter().enumerate() {
            match cell(c) {
                b"1" => set.insert(i),
                b"0" => {}
                other => {
                    return Err(bad(
                        c,
                        format!(
                            "\"{}\" không hợp lệ; ghi 1 (thiếu hụt) hoặc 0 (không thiếu hụt)",
                            show(other)
                        ),
                    ));
                }
            }
        }
        if let Some(g) = columns.group {
            self.group.push(cell(g));
        }
        if let (Some(s), Some(p)) = (columns.stratum, columns.psu) {
            for (c, texts) in [(s, &mut self.stratum), (p, &mut self.psu)] {
                let value = cell(c);
                if value.is_empty() {
                    return Err(bad(
                        c,
                        "ô trống; mỗi hộ cần tầng (strata) và địa bàn mẫu (psu)".into(),
                    ));
                }
                texts.push(value);
            }
        }
        if columns.read_ids || columns.read_key {
            let id = cell(columns.household_id);
            if id.is_empty() {
                return Err(bad(
                    columns.household_id,
                    "ô trống; mỗi hộ cần một mã hộ".into(),
                ));
            }
            if columns.read_ids {
                self.household_id.push(id);
                self.commune_code.push(cell(columns.commune_code));
                if let Some(v) = columns.village {
                    self.village.push(cell(v));
                }
                for (column, flags) in [
                    (columns.merit, &mut self.merit),
                    (columns.social_protection, &mut self.social_protection),
                ] {
                    if let Some(c) = column {
                        flags.push(parse_flag(cell(c)).map_err(|p| bad(c, p))?);
                    }
                }
            }
            if columns.read_key {
                self.key.push(hash_id(id));
            }
        }
        self.area.push(area);
        self.income_per_capita.push(income);
        self.members.push(members as u32);
        self.weight.push(weight);
        self.livelihood.push(livelihood);
        self.deprivations.push(set);
        Ok(())
    }
}

/// A `livelihood` cell: farm, non_farm, or empty (not recorded).
pub(crate) fn parse_livelihood(value: &[u8]) -> Result<Livelihood, String> {
    match value {
        b"" => Ok(Livelihood::Unknown),
        b"farm" => Ok(Livelihood::Farm),
        b"non_farm" => Ok(Livelihood::NonFarm),
        other => Err(format!(
            "\"{}\" không hợp lệ; ghi farm (nông, lâm, ngư, diêm nghiệp), non_farm (ngành nghề khác) hoặc để trống",
            show(other)
        )),
    }
}

/// A stable hash of a household id (the same on every machine and run).
pub fn hash_id(id: &[u8]) -> u64 {
    // FNV-1a: simple, stable, and good enough to seed bootstrap draws.
    id.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn parse_flag(value: &[u8]) -> Result<bool, String> {
    match value {
        b"1" => Ok(true),
        b"0" => Ok(false),
        other => Err(format!(
            "\"{}\" không hợp lệ; ghi 1 (có) hoặc 0 (không)",
            show(other)
        )),
    }
}

fn show(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

#[inline]
fn parse_int(value: &[u8]) -> Result<i64, String> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, value),
    };
    if digits.is_empty() || digits.len() > 18 {
        return Err(if value.is_empty() {
            "ô trống; cần một số nguyên".to_string()
        } else {
            format!("\"{}\" không phải số nguyên", show(value))
        });
    }
    let mut n: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(format!(
                "\"{}\" không phải số nguyên (chỉ gồm chữ số, không có dấu chấm hay dấu phẩy)",
                show(value)
            ));
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Ok(if negative { -n } else { n })
}

#[inline]
fn parse_weight(value: &[u8]) -> Result<f64, String> {
    if value == b"1" {
        return Ok(1.0);
    }
    let parsed = std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    match parsed {
        Some(w) if w.is_finite() && w > 0.0 => Ok(w),
        _ if value.is_empty() => Err("ô trống; trọng số phải là số dương".to_string()),
        _ => Err(format!(
            "\"{}\" không phải trọng số hợp lệ (một số lớn hơn 0)",
            show(value)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int(b"1500000"), Ok(1_500_000));
        assert_eq!(parse_int(b"-5"), Ok(-5));
        assert!(parse_int(b"").is_err());
        assert!(parse_int(b"-").is_err());
        assert!(parse_int(b"1.500.000").unwrap_err().contains("1.500.000"));
        assert!(parse_int(b"12a").is_err());
        assert!(parse_int(b"9999999999999999999").is_err());
    }

    #[test]
    fn weights() {
        assert_eq!(parse_weight(b"1"), Ok(1.0));
        assert_eq!(parse_weight(b"2.5"), Ok(2.5));
        assert!(parse_weight(b"0").is_err());
        assert!(parse_weight(b"-1").is_err());
        assert!(parse_weight(b"NaN").is_err());
        assert!(parse_weight(b"inf").is_err());
        assert!(parse_weight(b"").is_err());
    }
}
