//! Values that have been checked once, where they enter, and carry their
//! type from there: code downstream never checks them again.

/// An identity number: a 12-digit CCCD (căn cước công dân) or a 9-digit
/// CMND, as digits. Only [`IdNumber::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

impl IdNumber {
    /// A number as people type it (spaces or dots between groups of digits
    /// are dropped); None when empty.
    pub fn parse(text: &str) -> Result<Option<IdNumber>, String> {
        let number = text.trim().replace([' ', '.'], "");
        if number.is_empty() {
            return Ok(None);
        }
        if !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("số định danh \"{number}\" chỉ được gồm chữ số"));
        }
        match number.len() {
            9 | 12 => Ok(Some(IdNumber(number))),
            n => Err(format!(
                "số định danh \"{number}\" có {n} chữ số; CCCD có 12, CMND có 9"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A CCCD's 4th digit gives sex and century of birth, its 5th and 6th
    /// the year within it: they must agree with what else is known of the
    /// person. A CMND says neither.
    pub fn agrees_with(&self, sex: Option<&str>, birth_year: Option<i32>) -> Result<(), String> {
        let number = &self.0;
        if number.len() != 12 {
            return Ok(());
        }
        let digit = |i: usize| i32::from(number.as_bytes()[i] - b'0');
        // 0/1: 20th century male/female, 2/3: 21st, 4/5: 22nd, …
        let century = 1900 + 100 * (digit(3) / 2);
        let female = digit(3) % 2 == 1;
        if let Some(s) = sex
            && (s == "female") != female
        {
            return Err(format!(
                "số CCCD \"{number}\": chữ số thứ 4 không khớp giới tính"
            ));
        }
        if let Some(y) = birth_year
            && century + digit(4) * 10 + digit(5) != y
        {
            return Err(format!(
                "số CCCD \"{number}\": chữ số 4–6 không khớp năm sinh {y}"
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An identity number checked as typed and against the person's sex and
/// birth year.
pub fn check_id_number(
    text: &str,
    sex: Option<&str>,
    birth_year: Option<i32>,
) -> Result<Option<IdNumber>, String> {
    let number = IdNumber::parse(text)?;
    if let Some(n) = &number {
        n.agrees_with(sex, birth_year)?;
    }
    Ok(number)
}

/// Row ids of the registry, one type per table, so that a household's id
/// is never passed where a unit's is expected. They are not validated: any
/// integer may name a row, and a missing row is "not found" where it is read.
macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            sqlx::Type, serde::Serialize, serde::Deserialize,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> $name {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        /// An id as a path or a form carries it.
        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                text.trim().parse().map($name)
            }
        }
    };
}

row_id!(
    /// A household of the registry (`households.id`).
    HouseholdId
);
row_id!(
    /// A member of a household (`members.id`).
    MemberId
);
row_id!(
    /// An administrative unit (`units.id`): province, district, commune or
    /// village.
    UnitId
);
row_id!(
    /// A commune's review round of one year (`review_rounds.id`).
    RoundId
);

/// The year of an annual review of poor and near-poor households. Reviews
/// under a national standard began with the 2016–2020 standard; a year
/// outside 2016–2100 is a typing error, not a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ReviewYear(u16);

impl ReviewYear {
    pub const FIRST: u16 = 2016;
    pub const LAST: u16 = 2100;

    /// A year as typed ("2025", " 2025 ").
    pub fn parse(text: &str) -> Result<ReviewYear, String> {
        let t = text.trim();
        let year: i64 = t
            .parse()
            .map_err(|_| format!("năm rà soát \"{t}\" phải là một số năm, ví dụ 2025"))?;
        ReviewYear::new(year)
    }

    /// A year from a number (a database column, a command-line flag).
    pub fn new(year: i64) -> Result<ReviewYear, String> {
        if (i64::from(Self::FIRST)..=i64::from(Self::LAST)).contains(&year) {
            Ok(ReviewYear(year as u16))
        } else {
            Err(format!(
                "năm rà soát {year} nằm ngoài khoảng {}–{}",
                Self::FIRST,
                Self::LAST
            ))
        }
    }

    pub const fn get(self) -> u16 {
        self.0
    }

    /// As the database stores it.
    pub const fn as_i64(self) -> i64 {
        self.0 as i64
    }

    pub fn next(self) -> ReviewYear {
        ReviewYear((self.0 + 1).min(Self::LAST))
    }
}

/// Stored as the integer it is (columns `year`).
impl<DB: sqlx::Database> sqlx::Type<DB> for ReviewYear
where
    i64: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as sqlx::Type<DB>>::type_info()
    }
}

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for ReviewYear
where
    i64: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        self.as_i64().encode_by_ref(buf)
    }
}

impl std::fmt::Display for ReviewYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The code of an administrative unit as the units file gives it (the
/// General Statistics Office's codes: "42" a province, "18682" a commune,
/// villages with a suffix): letters, digits, '-', '.' and '_', at most 32.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type, serde::Serialize)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct UnitCode(String);

impl std::ops::Deref for UnitCode {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl UnitCode {
    pub fn parse(text: &str) -> Result<UnitCode, String> {
        let code = text.trim();
        if code.is_empty() {
            return Err("mã đơn vị trống".into());
        }
        if code.chars().count() > 32 {
            return Err(format!("mã đơn vị \"{code}\" dài quá 32 ký tự"));
        }
        if let Some(c) = code
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        {
            return Err(format!(
                "mã đơn vị \"{code}\" có ký tự \"{c}\"; chỉ dùng chữ, số, '-', '.', '_'"
            ));
        }
        Ok(UnitCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UnitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A classification as a nullable column holds it (no official assessment
/// that year, or a case not yet decided): rows read it with
/// `#[sqlx(try_from = "StatusText")]` into an `Option<Status>`, so that an
/// unknown code is an error where it is read, never a string downstream.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(crate) struct StatusText(Option<String>);

impl TryFrom<StatusText> for Option<standard::Status> {
    type Error = String;

    fn try_from(text: StatusText) -> Result<Option<standard::Status>, String> {
        text.0.map(standard::Status::try_from).transpose()
    }
}

/// The codes of a `;`-joined column (deprivations, causes, policies,
/// agencies), empty ones left out.
pub(crate) fn codes(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_years_and_unit_codes_are_parsed_at_their_boundaries() {
        assert_eq!(ReviewYear::parse(" 2025 ").map(ReviewYear::get), Ok(2025));
        assert_eq!(ReviewYear::parse("2016").map(ReviewYear::get), Ok(2016));
        assert!(ReviewYear::parse("2015").is_err());
        assert_eq!(ReviewYear::parse("2100").map(ReviewYear::get), Ok(2100));
        assert!(ReviewYear::parse("2101").is_err());
        assert!(ReviewYear::parse("năm 2025").is_err());
        assert!(ReviewYear::parse("").is_err());
        assert_eq!(
            ReviewYear::new(2100).map(ReviewYear::next),
            ReviewYear::new(2100)
        );
        assert_eq!(
            UnitCode::parse(" 18682 ").map(|c| c.to_string()),
            Ok("18682".into())
        );
        assert!(UnitCode::parse("18682-03").is_ok());
        assert!(UnitCode::parse("").is_err());
        assert!(UnitCode::parse("186 82").is_err());
        assert!(UnitCode::parse("18682'--").is_err());
        assert!(UnitCode::parse(&"1".repeat(32)).is_ok());
        assert!(UnitCode::parse(&"1".repeat(33)).is_err());
        assert_eq!(HouseholdId::new(7).get(), 7);
    }

    #[test]
    fn identity_numbers_are_parsed_once_and_checked_against_the_person() {
        let ok = |t, s, y| check_id_number(t, s, y).map(|n| n.map(|n| n.as_str().to_string()));
        assert_eq!(
            ok("042090001234", Some("male"), Some(1990)),
            Ok(Some("042090001234".into()))
        );
        assert!(ok("042190001234", Some("female"), Some(1990)).is_ok());
        assert!(ok("042205001234", Some("male"), Some(2005)).is_ok());
        assert!(ok("042090001234", Some("female"), None).is_err());
        assert!(ok("042090001234", None, Some(1991)).is_err());
        assert_eq!(ok("123 456 789", None, None), Ok(Some("123456789".into())));
        assert_eq!(
            ok("0420.9000.1234", None, None),
            Ok(Some("042090001234".into()))
        );
        assert!(ok("12345678", None, None).is_err());
        assert!(ok("04209000123A", None, None).is_err());
        assert_eq!(ok("  ", None, None), Ok(None));
    }
}
