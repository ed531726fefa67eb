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

#[cfg(test)]
mod tests {
    use super::*;

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
