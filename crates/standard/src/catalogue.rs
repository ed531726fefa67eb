//! The set of standards known to the system, and the choice of the one in
//! force for a review year.

use crate::load::{LoadError, parse};
use crate::model::Standard;

/// The standards shipped in `standards/`, compiled into the binary so that it
/// needs no data directory. Their files stay the source of truth.
const BUILTIN: [(&str, &str); 3] = [
    (
        "standards/vn-2016-2020.toml",
        include_str!("../../../standards/vn-2016-2020.toml"),
    ),
    (
        "standards/vn-2022-2025.toml",
        include_str!("../../../standards/vn-2022-2025.toml"),
    ),
    (
        "standards/vn-2027-2030.toml",
        include_str!("../../../standards/vn-2027-2030.toml"),
    ),
];

#[derive(Debug, Clone)]
pub struct Catalogue {
    standards: Vec<Standard>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("hai chuẩn có cùng mã \"{0}\"; mỗi tệp chuẩn cần một mã riêng")]
    DuplicateId(String),
    #[error(
        "chuẩn \"{first}\" và \"{second}\" cùng áp dụng cho năm rà soát {year}; sửa `review_years` để mỗi năm chỉ có một chuẩn"
    )]
    OverlappingYears {
        first: String,
        second: String,
        year: u16,
    },
}

impl Catalogue {
    /// The standards shipped with giamngheo.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_sources(BUILTIN)
    }

    /// Standards from (file name, TOML text) pairs.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalogue, CatalogueError> {
        let standards = sources
            .into_iter()
            .map(|(file, text)| parse(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Catalogue::new(standards)
    }

    pub fn new(mut standards: Vec<Standard>) -> Result<Catalogue, CatalogueError> {
        standards.sort_by_key(|s| *s.review_years.start());
        for (i, a) in standards.iter().enumerate() {
            for b in &standards[i + 1..] {
                if a.id == b.id {
                    return Err(CatalogueError::DuplicateId(a.id.clone()));
                }
                if let Some(year) = a.review_years.clone().find(|y| b.review_years.contains(y)) {
                    return Err(CatalogueError::OverlappingYears {
                        first: a.id.clone(),
                        second: b.id.clone(),
                        year,
                    });
                }
            }
        }
        Ok(Catalogue { standards })
    }

    pub fn all(&self) -> &[Standard] {
        &self.standards
    }

    pub fn get(&self, id: &str) -> Option<&Standard> {
        self.standards.iter().find(|s| s.id == id)
    }

    /// The standard in force for a review year (2016–2021, 2022–2026, 2027–2030).
    pub fn for_review_year(&self, year: u16) -> Option<&Standard> {
        self.standards
            .iter()
            .find(|s| s.review_years.contains(&year))
    }
}
