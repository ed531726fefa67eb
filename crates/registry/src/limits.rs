//! Lengths and ranges of what users type, and the one check of a text
//! field: NFC, no control characters (a NUL byte would fail on PostgreSQL),
//! not longer than its limit. Messages name the field.

/// Codes, numbers of decisions, phone numbers.
pub const SHORT_TEXT: usize = 50;
/// Names of people and units.
pub const NAME: usize = 100;
/// Addresses, relations, ethnicities and other one-line texts.
pub const LINE: usize = 200;
/// Reasons, complaints, notes.
pub const LONG_TEXT: usize = 2_000;
/// Meeting minutes typed in.
pub const MINUTES_TEXT: usize = 20_000;

/// The text of field `label` in NFC, or why it cannot be stored.
pub fn text(label: &str, value: &str, max: usize) -> Result<String, String> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!("{label}: có ký tự điều khiển không hợp lệ"));
    }
    let value = vntext::nfc(value);
    let n = value.chars().count();
    if n > max {
        return Err(format!("{label}: dài {n} ký tự, tối đa {max}"));
    }
    Ok(value)
}

/// Like [`text`], and refused when empty.
pub fn required(label: &str, value: &str, max: usize) -> Result<String, String> {
    let value = text(label, value, max)?;
    if value.is_empty() {
        return Err(format!("{label}: không được để trống"));
    }
    Ok(value)
}

/// [`required`] (or [`text`] when `needed` is false) of a trimmed value,
/// its problem added to `problems` (then an empty text).
pub(crate) fn checked_into(
    label: &str,
    value: &str,
    max: usize,
    needed: bool,
    problems: &mut Vec<String>,
) -> String {
    let value = value.trim();
    let checked = if needed {
        required(label, value, max)
    } else {
        text(label, value, max)
    };
    checked.unwrap_or_else(|p| {
        problems.push(p);
        String::new()
    })
}

/// Problems gathered while checking a form, so that all are reported at
/// once.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<String>);

impl Problems {
    /// The value, or an empty text with its problem kept.
    pub fn keep(&mut self, checked: Result<String, String>) -> String {
        checked.unwrap_or_else(|p| {
            self.0.push(p);
            String::new()
        })
    }

    pub fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// Ok when there is no problem.
    pub fn done(self) -> Result<(), crate::RegistryError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::RegistryError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_bounded_and_clean() {
        assert_eq!(
            text("Tên", "  Nguyễn  Văn A ", NAME).unwrap(),
            "Nguyễn Văn A"
        );
        assert!(text("Tên", "a\u{0}b", NAME).unwrap_err().contains("Tên"));
        assert!(
            text("Tên", &"a".repeat(101), NAME)
                .unwrap_err()
                .contains("tối đa 100")
        );
        assert_eq!(
            text("Tên", &"ễ".repeat(100), NAME).unwrap().chars().count(),
            100
        );
        assert!(
            required("Mã hộ", "  ", SHORT_TEXT)
                .unwrap_err()
                .contains("không được để trống")
        );
    }
}
