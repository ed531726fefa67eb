//! The score form's point table: for each region, each question (item) of
//! the form and each answer (option), the points of score A (B1 in
//! 2016–2020). The circulars publish these tables by region; they are data an
//! administrator loads, not code.

use std::collections::{BTreeMap, HashMap};

/// A point table, read from CSV `region,item,option,points`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PointTable {
    points: HashMap<(String, String, String), i64>,
    /// The items each region asks, in file order.
    items: BTreeMap<String, Vec<String>>,
}

/// A problem with a point table or with answers scored against it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("{file}, dòng {row}: {problem}")]
    Row {
        file: String,
        row: usize,
        problem: String,
    },
    #[error("{file}: thiếu cột \"{column}\" (cần: region, item, option, points)")]
    MissingColumn { file: String, column: String },
    #[error("bảng điểm không có vùng \"{0}\"")]
    UnknownRegion(String),
    #[error("phiếu thiếu câu \"{0}\"")]
    MissingAnswer(String),
    #[error("câu \"{item}\" không có phương án \"{option}\" trong bảng điểm")]
    UnknownOption { item: String, option: String },
}

impl PointTable {
    /// Reads a table; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<PointTable, PointsError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| PointsError::Row {
                file: file.into(),
                row: 1,
                problem: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| PointsError::MissingColumn {
                    file: file.into(),
                    column: name.into(),
                })
        };
        let (region, item, option, points) = (
            column("region")?,
            column("item")?,
            column("option")?,
            column("points")?,
        );
        let mut table = PointTable::default();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            let bad = |problem: String| PointsError::Row {
                file: file.into(),
                row,
                problem,
            };
            let record = record.map_err(|e| bad(e.to_string()))?;
            let get = |c: usize| record.get(c).unwrap_or("").to_string();
            let (r, it, op) = (get(region), get(item), get(option));
            if r.is_empty() || it.is_empty() || op.is_empty() {
                return Err(bad("vùng, câu hỏi và phương án không được để trống".into()));
            }
            let p: i64 = get(points)
                .parse()
                .map_err(|_| bad(format!("điểm \"{}\" không phải số nguyên", get(points))))?;
            if table
                .points
                .insert((r.clone(), it.clone(), op.clone()), p)
                .is_some()
            {
                return Err(bad(format!(
                    "vùng \"{r}\", câu \"{it}\", phương án \"{op}\" lặp lại"
                )));
            }
            let items = table.items.entry(r).or_default();
            if !items.contains(&it) {
                items.push(it);
            }
        }
        Ok(table)
    }

    /// A table from (region, item, option, points) rows; items keep the order
    /// in which they first appear.
    pub fn from_entries(
        rows: impl IntoIterator<Item = (String, String, String, i64)>,
    ) -> PointTable {
        let mut table = PointTable::default();
        for (region, item, option, points) in rows {
            let items = table.items.entry(region.clone()).or_default();
            if !items.contains(&item) {
                items.push(item.clone());
            }
            table.points.insert((region, item, option), points);
        }
        table
    }

    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }

    /// Every (region, item, option, points), sorted.
    pub fn entries(&self) -> Vec<(&str, &str, &str, i64)> {
        let mut out: Vec<_> = self
            .points
            .iter()
            .map(|((r, i, o), p)| (r.as_str(), i.as_str(), o.as_str(), *p))
            .collect();
        out.sort();
        out
    }

    /// Score A of a household of `region` from its answers (item → option):
    /// every item of the region must be answered with one of its options.
    pub fn score(
        &self,
        region: &str,
        answers: &BTreeMap<String, String>,
    ) -> Result<i64, PointsError> {
        let items = self
            .items
            .get(region)
            .ok_or_else(|| PointsError::UnknownRegion(region.into()))?;
        let mut total = 0;
        for item in items {
            let option = answers
                .get(item)
                .ok_or_else(|| PointsError::MissingAnswer(item.clone()))?;
            total += self
                .points
                .get(&(region.to_string(), item.clone(), option.clone()))
                .ok_or_else(|| PointsError::UnknownOption {
                    item: item.clone(),
                    option: option.clone(),
                })?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "region,item,option,points\n\
        bac_trung_bo,members,1,40\nbac_trung_bo,members,2_3,30\nbac_trung_bo,members,4_plus,15\n\
        bac_trung_bo,roof,durable,30\nbac_trung_bo,roof,makeshift,5\n\
        tay_nguyen,members,1,35\n";

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn scores_sum_the_answers_of_the_region() {
        let t = PointTable::parse("p.csv", TABLE).unwrap();
        assert_eq!(
            t.score(
                "bac_trung_bo",
                &answers(&[("members", "2_3"), ("roof", "makeshift")])
            ),
            Ok(35)
        );
        assert_eq!(t.score("tay_nguyen", &answers(&[("members", "1")])), Ok(35));
        assert_eq!(
            t.score("bac_trung_bo", &answers(&[("members", "1")])),
            Err(PointsError::MissingAnswer("roof".into()))
        );
        assert!(matches!(
            t.score(
                "bac_trung_bo",
                &answers(&[("members", "9"), ("roof", "durable")])
            ),
            Err(PointsError::UnknownOption { .. })
        ));
        assert_eq!(
            t.score("dong_nam_bo", &answers(&[])),
            Err(PointsError::UnknownRegion("dong_nam_bo".into()))
        );
        assert_eq!(
            t.regions().collect::<Vec<_>>(),
            ["bac_trung_bo", "tay_nguyen"]
        );
    }

    #[test]
    fn bad_tables_name_file_and_row() {
        let e = PointTable::parse("p.csv", "region,item,option,points\nx,y,z,abc\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.csv, dòng 2: điểm \"abc\" không phải số nguyên"
        );
        let e = PointTable::parse("p.csv", "region,item,option,points\nx,y,z,1\nx,y,z,2\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("p.csv, dòng 3:"), "{e}");
        let e = PointTable::parse("p.csv", "region,item,points\n").unwrap_err();
        assert_eq!(
            e,
            PointsError::MissingColumn {
                file: "p.csv".into(),
                column: "option".into()
            }
        );
    }
}
