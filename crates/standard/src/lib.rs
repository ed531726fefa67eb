//! The national poverty standards as data, and the classification of
//! households under them.
//!
//! A standard is a TOML file (see `standards/` and the README): income lines by
//! area, the ordered rules that combine income with the deprivation count, the
//! dimensions and indicators with exact weights, and the score form. This crate
//! parses and validates such files and classifies households; it does no I/O,
//! so the same code serves a web form and a national batch.

mod catalogue;
mod classify;
pub mod cpi;
mod describe;
mod load;
mod model;
mod points;
mod survey;

pub use catalogue::{Catalogue, CatalogueError};
pub use classify::{Classification, ClassifyError, DeprivationSet, Score, ScoreFormClassification};
pub use load::{LoadError, MAX_INDICATORS, parse, parse_ratio};
pub use model::*;
pub use num_rational::Ratio;
pub use points::{PointTable, PointsError};
pub use survey::{
    AGE_MAX, AREA_MAX_M2, AgeMonths, Diploma, HouseType, INCOME_MAX, Latrine, MEMBERS_MAX,
    MemberAnswers, REFERENCE_MONTH, Retirement, RetirementAge, Sex, SurveyAnswers, SurveyError,
    SurveyRule, WaterSource, Work,
};
