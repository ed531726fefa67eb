//! Vietnamese text as users write it.
//!
//! - [`nfc`]: every text crossing a boundary is stored in NFC, so "ễ" typed
//!   as one code point or as e + marks is one string.
//! - [`search_key`]: lowercase, without diacritics, đ as d — "nguyen van a"
//!   finds "Nguyễn Văn A" and "duc" finds "Đức".
//! - [`sort_key`]: an ASCII key whose byte order is the Vietnamese dictionary
//!   order (a ă â b c d đ e ê …, then tones: ngang, huyền, hỏi, ngã, sắc,
//!   nặng). Compared as bytes, it sorts the same on SQLite and PostgreSQL.
//! - [`name_sort_key`]: official lists sort by given name, then full name.
//! - [`parse_date`] / [`format_date`]: dd/mm/yyyy. [`format_vnd`]: 1.500.000.
//! - [`legacy`]: sheets typed in TCVN3 (ABC) or VNI: detect and convert.

pub mod legacy;

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The text in Unicode NFC, trimmed, inner runs of whitespace made one space.
pub fn nfc(text: &str) -> String {
    nfc_cow(text).into_owned()
}

/// [`nfc`], borrowing the text when it is already so (most values are):
/// a sheet of millions of cells is not copied to be left as it was.
pub fn nfc_cow(text: &str) -> std::borrow::Cow<'_, str> {
    // ASCII is its own NFC (most cells of a sheet: codes, dates, numbers).
    if (text.is_ascii()
        || unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes)
        && single_spaced(text)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let composed: String = text.nfc().collect();
    std::borrow::Cow::Owned(composed.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// No leading, trailing, doubled or non-space whitespace.
fn single_spaced(text: &str) -> bool {
    let mut previous_space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if c != ' ' || previous_space {
                return false;
            }
            previous_space = true;
        } else {
            previous_space = false;
        }
    }
    !previous_space || text.is_empty()
}

/// The text in NFC, lines and spacing kept as they are (for whole files;
/// [`nfc`] is for single values).
pub fn nfc_keep_lines(text: &str) -> String {
    text.nfc().collect()
}

/// Lowercase, no diacritics, đ → d, single spaces.
pub fn search_key(text: &str) -> String {
    let mut key = Key {
        out: String::with_capacity(text.len()),
        space: false,
    };
    let mut reordered = false;
    for c in text.chars() {
        if c.is_ascii() {
            key.push(c);
        } else {
            // The marks a letter decomposes into are dropped, so NFD's
            // reordering of marks changes nothing, unless a character that
            // is not a mark has a combining class (none in Vietnamese).
            unicode_normalization::char::decompose_canonical(c, |d| {
                if is_combining_mark(d) {
                    return;
                }
                reordered |= unicode_normalization::char::canonical_combining_class(d) != 0;
                key.push(d);
            });
        }
    }
    if reordered {
        return search_key_of_nfd(text);
    }
    key.out
}

/// A search key as it is written, a character at a time.
struct Key {
    out: String,
    /// Whitespace was seen after a word: a space comes before the next.
    space: bool,
}

impl Key {
    /// Appends `c`, neither a mark nor a character of a longer
    /// decomposition.
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.space = !self.out.is_empty();
            return;
        }
        if self.space {
            self.out.push(' ');
            self.space = false;
        }
        match c {
            'đ' | 'Đ' => self.out.push('d'),
            c if c.is_ascii() => self.out.push(c.to_ascii_lowercase()),
            c => self.out.extend(c.to_lowercase()),
        }
    }
}

/// [`search_key`] through the whole text's NFD, for text whose marks NFD
/// would reorder around characters it keeps.
fn search_key_of_nfd(text: &str) -> String {
    let mut key = Key {
        out: String::with_capacity(text.len()),
        space: false,
    };
    for c in text.nfd().filter(|&c| !is_combining_mark(c)) {
        key.push(c);
    }
    key.out
}

/// The letters of the Vietnamese alphabet in order, with the Latin letters it
/// lacks (f, j, w, z) where Latin puts them.
const ALPHABET: [char; 33] = [
    'a', 'ă', 'â', 'b', 'c', 'd', 'đ', 'e', 'ê', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'ô', 'ơ', 'p', 'q', 'r', 's', 't', 'u', 'ư', 'v', 'w', 'x', 'y', 'z',
];

/// Tone marks in dictionary order (ngang has none).
fn tone(mark: char) -> Option<u8> {
    match mark {
        '\u{300}' => Some(1), // huyền
        '\u{309}' => Some(2), // hỏi
        '\u{303}' => Some(3), // ngã
        '\u{301}' => Some(4), // sắc
        '\u{323}' => Some(5), // nặng
        _ => None,
    }
}

/// Rank of a letter (with its vowel marks, without its tone; None when its
/// marks do not compose into one letter), 1-based; digits rank before
/// letters; anything else after them.
fn rank(letter: Option<char>) -> u8 {
    match letter {
        Some(d @ '0'..='9') => 1 + (d as u8 - b'0'),
        Some(l) => ALPHABET
            .iter()
            .position(|a| *a == l)
            .map_or(50, |i| 11 + i as u8),
        None => 50,
    }
}

fn push_rank(out: &mut String, r: u8) {
    out.push((b'A' + r / 26) as char);
    out.push((b'A' + r % 26) as char);
}

/// A character split into its letter (its vowel marks composed back, its
/// tone taken off) and its tone: "ễ" is ('ê', ngã). Without a string per
/// character: a district's import sorts half a million names.
fn letter_and_tone(c: char) -> (Option<char>, u8) {
    let mut letter: Option<Option<char>> = None;
    let mut t = 0u8;
    unicode_normalization::char::decompose_canonical(c, |d| match tone(d) {
        Some(x) => t = x,
        None => {
            letter = Some(match letter {
                None => Some(d),
                Some(so_far) => so_far.and_then(|l| unicode_normalization::char::compose(l, d)),
            })
        }
    });
    (letter.flatten(), t)
}

/// An ASCII key whose byte order is the Vietnamese dictionary order of `text`:
/// letters first (tones ignored), then tones letter by letter.
pub fn sort_key(text: &str) -> String {
    let lower = nfc(text).to_lowercase();
    let mut primary = String::with_capacity(2 * lower.len() + 1);
    let mut tones = String::with_capacity(lower.len());
    for word in lower.split(' ') {
        if !primary.is_empty() {
            // A space sorts before every letter: "An" < "An Bình" < "Anh".
            primary.push_str("AA");
            tones.push('0');
        }
        for c in word.chars() {
            let (letter, t) = letter_and_tone(c);
            push_rank(&mut primary, rank(letter));
            tones.push((b'0' + t) as char);
        }
    }
    // '!' sorts below every rank code and digit: a shorter name whose letters
    // begin a longer one comes first.
    primary.push('!');
    primary.push_str(&tones);
    primary
}

/// The order of unit names as people read them: like [`sort_key`], but a
/// run of digits compares as a number, so "Thôn 2" comes before "Thôn 10".
pub fn natural_sort_key(text: &str) -> String {
    let mut padded = String::with_capacity(text.len() + 16);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            let number = if trimmed.is_empty() { "0" } else { trimmed };
            // Up to 20 digits compare by value; longer runs by their text.
            out.push_str(&format!("{number:0>20}"));
            digits.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut padded);
            padded.push(c);
        }
    }
    flush(&mut digits, &mut padded);
    sort_key(&padded)
}

/// The given name: the last word of a Vietnamese full name.
pub fn given_name(full_name: &str) -> &str {
    full_name.trim().rsplit(' ').next().unwrap_or("")
}

/// The order of official lists: by given name, then by full name.
pub fn name_sort_key(full_name: &str) -> String {
    let name = nfc(full_name);
    format!("{}!{}", sort_key(given_name(&name)), sort_key(&name))
}

/// A date written dd/mm/yyyy (also d/m/yyyy, with - or .), or ISO yyyy-mm-dd.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    // `NaiveDate`'s own parser reads ISO dates (yyyy-mm-dd) without
    // interpreting a format string each time.
    if let Ok(d) = t.parse::<NaiveDate>() {
        return Some(d);
    }
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    if let [d, m, y] = parts[..] {
        if y.len() != 4 {
            return None;
        }
        let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    None
}

/// dd/mm/yyyy.
pub fn format_date(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// Groups thousands with dots, as Vietnamese writes money: 1.500.000.
pub fn format_vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Why a typed number was not understood. The caller adds the field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    Empty,
    /// Not a number at all ("abc").
    NotANumber,
    /// A decimal part where a whole number is needed ("1,5" people).
    NotWhole,
    /// Digit groups that are neither thousands nor a decimal ("1.50.0").
    Grouping,
    Negative,
}

impl std::fmt::Display for NumberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NumberError::Empty => "chưa điền",
            NumberError::NotANumber => "không phải một số",
            NumberError::NotWhole => "phải là số nguyên, không có phần lẻ",
            NumberError::Grouping => {
                "viết số chưa đúng: dùng dấu chấm tách hàng nghìn và dấu phẩy cho phần lẻ, ví dụ 1.500.000 hoặc 25,5"
            }
            NumberError::Negative => "không được là số âm",
        })
    }
}

/// A number as Vietnamese people type it: dots (or spaces) between
/// thousands and a comma before the decimals — "1.500.000", "1 500 000",
/// "25,5" — and, since phones often have an English keyboard, "25.5" (a dot
/// not followed by exactly three digits is a decimal point) and
/// "1,500,000" (commas between groups of three). The words "triệu" and
/// "nghìn"/"ngàn" multiply: "1,5 triệu" is 1.500.000. Anything ambiguous is
/// refused rather than guessed.
pub fn parse_decimal(text: &str) -> Result<f64, NumberError> {
    let lower = nfc(text).to_lowercase();
    let mut t = lower.trim();
    if t.is_empty() {
        return Err(NumberError::Empty);
    }
    let mut scale = 1.0;
    for (word, factor) in [
        ("triệu", 1e6),
        ("tr", 1e6),
        ("nghìn", 1e3),
        ("ngàn", 1e3),
        ("đồng", 1.0),
        ("đ", 1.0),
    ] {
        if let Some(rest) = t.strip_suffix(word) {
            t = rest.trim_end();
            scale = factor;
            break;
        }
    }
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' '))
    {
        return Err(NumberError::NotANumber);
    }
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NumberError::NotANumber);
    }
    let body: String = body.chars().filter(|c| *c != ' ').collect();
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let thousands = |groups: &[&str]| {
        groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3)
    };
    let (whole, fraction): (String, &str) = match (dots, commas) {
        (0, 0) => (body.clone(), ""),
        // Vietnamese: dots group thousands, one comma starts the decimals.
        (_, 0..=1)
            if dots > 0 && commas <= 1 && {
                let (w, _) = body.split_once(',').unwrap_or((&body, ""));
                thousands(&w.split('.').collect::<Vec<_>>())
            } =>
        {
            let (w, f) = body.split_once(',').unwrap_or((&body, ""));
            (w.replace('.', ""), f)
        }
        // One dot, not three digits after it: a decimal point ("25.5").
        (1, 0) => {
            let (w, f) = body.split_once('.').unwrap_or((&body, ""));
            (w.to_string(), f)
        }
        // One comma, no dots: the Vietnamese decimal comma ("25,5"), unless
        // it groups thousands in an English way ("1,500" stays ambiguous).
        (0, 1) => {
            let (w, f) = body.split_once(',').unwrap_or((&body, ""));
            if f.len() == 3 && scale == 1.0 {
                return Err(NumberError::Grouping);
            }
            (w.to_string(), f)
        }
        // Several commas: English thousands ("1,500,000"), with an
        // optional decimal point.
        (0..=1, _)
            if {
                let (w, _) = body.split_once('.').unwrap_or((&body, ""));
                thousands(&w.split(',').collect::<Vec<_>>())
            } =>
        {
            let (w, f) = body.split_once('.').unwrap_or((&body, ""));
            (w.replace(',', ""), f)
        }
        _ => return Err(NumberError::Grouping),
    };
    if whole.is_empty() || fraction.contains(['.', ',']) {
        return Err(NumberError::Grouping);
    }
    let value: f64 = format!(
        "{whole}.{}",
        if fraction.is_empty() { "0" } else { fraction }
    )
    .parse()
    .map_err(|_| NumberError::NotANumber)?;
    let value = value * scale;
    if negative && value != 0.0 {
        return Err(NumberError::Negative);
    }
    Ok(value)
}

/// A whole number (an amount in VND, an age, a count), typed as
/// [`parse_decimal`] reads it. "1,5 triệu" is a whole number of đồng.
pub fn parse_whole(text: &str) -> Result<i64, NumberError> {
    let value = parse_decimal(text)?;
    if value.fract() != 0.0 {
        return Err(NumberError::NotWhole);
    }
    if value > 9.0e15 {
        return Err(NumberError::Grouping);
    }
    Ok(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_joins_decomposed_text() {
        let decomposed = "Nguye\u{302}\u{303}n  Va\u{306}n A ";
        assert_eq!(nfc(decomposed), "Nguyễn Văn A");
        assert_eq!(nfc(decomposed).chars().count(), 12);
    }

    #[test]
    fn nfc_tidies_spacing_of_composed_text_too() {
        assert_eq!(nfc("Nguyễn Văn A"), "Nguyễn Văn A");
        assert_eq!(nfc(" Nguyễn\tVăn  A\n"), "Nguyễn Văn A");
        assert_eq!(nfc("Nguyễn Văn A "), "Nguyễn Văn A");
        assert_eq!(nfc("   "), "");
        assert_eq!(nfc(""), "");
    }

    #[test]
    fn nfc_borrows_what_is_already_so() {
        use std::borrow::Cow;
        assert!(matches!(nfc_cow("Nguyễn Văn A"), Cow::Borrowed(_)));
        assert!(matches!(nfc_cow(""), Cow::Borrowed(_)));
        assert_eq!(nfc_cow("Nguye\u{302}\u{303}n Văn A"), "Nguyễn Văn A");
        assert_eq!(nfc_cow("Văn  A"), "Văn A");
    }

    /// The key a character at a time is the key of the whole text's NFD,
    /// for every character of the Basic Multilingual Plane's first twelve
    /// thousand, alone and between letters and marks.
    #[test]
    fn search_keys_a_character_at_a_time_are_those_of_the_whole_nfd() {
        let characters = (0u32..0x3000).filter_map(char::from_u32);
        for c in characters {
            for text in [
                c.to_string(),
                format!("Nguy{c}\u{301}n {c}\u{323}Văn"),
                format!("\u{300}{c}\u{302}\u{301}{c}ử"),
            ] {
                assert_eq!(search_key(&text), search_key_of_nfd(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn search_keys_fold_case_marks_and_d() {
        assert_eq!(search_key("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(search_key("ĐỨC"), "duc");
        assert_eq!(search_key("Trần Thị Ánh  Tuyết"), "tran thi anh tuyet");
        assert_eq!(search_key("Nguye\u{302}\u{303}n"), "nguyen");
        assert_eq!(search_key("  Lê\tVăn \u{301} \n Tám  "), "le van tam");
        assert_eq!(search_key(" \u{300} "), "");
    }

    fn sorted(names: &[&str], key: fn(&str) -> String) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by_key(|n| key(n));
        v
    }

    /// The sort key as first written, a string per character: the
    /// reference the allocation-free one is held to.
    fn sort_key_by_strings(text: &str) -> String {
        const LETTERS: [&str; 33] = [
            "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
            "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
        ];
        let rank = |letter: &str| -> u8 {
            if let Some(i) = LETTERS.iter().position(|a| *a == letter) {
                return 11 + i as u8;
            }
            match letter.chars().next() {
                Some(d @ '0'..='9') => 1 + (d as u8 - b'0'),
                _ => 50,
            }
        };
        let lower = nfc(text).to_lowercase();
        let (mut primary, mut tones) = (String::new(), String::new());
        for word in lower.split(' ') {
            if !primary.is_empty() {
                primary.push_str("AA");
                tones.push('0');
            }
            for c in word.chars() {
                let (mut letter, mut t) = (String::new(), 0u8);
                for d in c.to_string().nfd() {
                    match tone(d) {
                        Some(x) => t = x,
                        None => letter.push(d),
                    }
                }
                let letter: String = letter.nfc().collect();
                push_rank(&mut primary, rank(&letter));
                tones.push((b'0' + t) as char);
            }
        }
        format!("{primary}!{tones}")
    }

    #[test]
    fn sort_keys_are_those_made_a_string_per_character() {
        let texts = [
            "Nguyễn Văn Ánh",
            "Trần Thị Ỷ",
            "ĐẶNG Quốc Ưng",
            "Lê Ngọc Hạnh  Hương",
            "Thôn 02",
            "Xóm Đồng-Tâm (cũ)",
            "Nguye\u{302}\u{303}n",
            "\u{301}a",
            "Ỹ Ữ Ợ Ẫ Ặ",
            "Çé ñ ö Zürich",
            "Hà Nội 3",
            "",
            " ",
            "ko\u{31b}\u{323}",
            "a\u{323}\u{302}",
            "o\u{328}\u{301}",
        ];
        for text in texts {
            assert_eq!(sort_key(text), sort_key_by_strings(text), "{text:?}");
        }
        // Every letter of the alphabet with every tone, upper and lower case.
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY".chars() {
            for mark in ["", "\u{300}", "\u{309}", "\u{303}", "\u{301}", "\u{323}"] {
                let text = format!("{base}{mark}n");
                assert_eq!(sort_key(&text), sort_key_by_strings(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn alphabet_order() {
        // a ă â b c d đ e ê … o ô ơ … u ư
        let words = [
            "đa", "da", "ơn", "ôn", "on", "ân", "ăn", "an", "ưu", "uu", "ê", "e", "bê", "xa", "ya",
        ];
        assert_eq!(
            sorted(&words, sort_key),
            [
                "an", "ăn", "ân", "bê", "da", "đa", "e", "ê", "on", "ôn", "ơn", "uu", "ưu", "xa",
                "ya"
            ]
        );
    }

    #[test]
    fn tones_order_after_letters() {
        // ngang, huyền, hỏi, ngã, sắc, nặng
        let words = ["mạ", "má", "mã", "mả", "mà", "ma"];
        assert_eq!(
            sorted(&words, sort_key),
            ["ma", "mà", "mả", "mã", "má", "mạ"]
        );
        // Letters decide before tones: "mà" < "man"
        assert_eq!(sorted(&["man", "mà"], sort_key), ["mà", "man"]);
        // Upper and lower case sort together.
        assert_eq!(sort_key("Ánh"), sort_key("ánh"));
    }

    #[test]
    fn official_lists_sort_by_given_name_then_full_name() {
        let names = [
            "Trần Văn Bình",
            "Nguyễn Thị An",
            "Lê Văn An",
            "Đặng Anh",
            "Nguyễn Văn Ân",
        ];
        assert_eq!(
            sorted(&names, name_sort_key),
            [
                "Lê Văn An",
                "Nguyễn Thị An",
                "Đặng Anh",
                "Nguyễn Văn Ân",
                "Trần Văn Bình"
            ]
        );
    }

    #[test]
    fn unit_names_sort_with_numbers_as_numbers() {
        let names = [
            "Thôn 10",
            "Thôn 2",
            "Thôn 1",
            "Thôn 11",
            "Tổ dân phố 3",
            "Thôn Bắc",
        ];
        assert_eq!(
            sorted(&names, natural_sort_key),
            [
                "Thôn 1",
                "Thôn 2",
                "Thôn 10",
                "Thôn 11",
                "Thôn Bắc",
                "Tổ dân phố 3"
            ]
        );
        assert_eq!(natural_sort_key("Thôn 02"), natural_sort_key("Thôn 2"));
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 9).unwrap();
        assert_eq!(parse_date("09/03/2024"), Some(d));
        assert_eq!(parse_date("9/3/2024"), Some(d));
        assert_eq!(parse_date("2024-03-09"), Some(d));
        assert_eq!(parse_date("09-03-2024"), Some(d));
        assert_eq!(parse_date("31/02/2024"), None);
        assert_eq!(parse_date("09/03/24"), None);
        assert_eq!(parse_date("hôm qua"), None);
        assert_eq!(format_date(d), "09/03/2024");
    }

    #[test]
    fn numbers_typed_the_vietnamese_way() {
        use NumberError::*;
        for (text, value) in [
            ("1500000", 1_500_000),
            ("1.500.000", 1_500_000),
            ("1 500 000", 1_500_000),
            ("1,500,000", 1_500_000),
            (" 2.000.000 đ", 2_000_000),
            ("1,5 triệu", 1_500_000),
            ("1.5 triệu", 1_500_000),
            ("2 triệu", 2_000_000),
            ("800 nghìn", 800_000),
            ("0", 0),
            ("-0", 0),
            ("12.345", 12_345),
        ] {
            assert_eq!(parse_whole(text), Ok(value), "{text}");
        }
        for (text, value) in [
            ("25,5", 25.5),
            ("25.5", 25.5),
            ("1.250,75", 1250.75),
            ("40", 40.0),
        ] {
            assert_eq!(parse_decimal(text), Ok(value), "{text}");
        }
        for (text, error) in [
            ("", Empty),
            ("  ", Empty),
            ("abc", NotANumber),
            ("1,5", NotWhole),
            ("-5.000.000", Negative),
            ("1.50.0", Grouping),
            ("1,500", Grouping),
            ("1.500,000,5", Grouping),
            ("12a", NotANumber),
            (".5", NotANumber),
        ] {
            assert_eq!(parse_whole(text), Err(error.clone()), "{text}");
        }
        assert!(NumberError::Grouping.to_string().contains("1.500.000"));
    }

    #[test]
    fn vnd_uses_dots() {
        assert_eq!(format_vnd(0), "0");
        assert_eq!(format_vnd(999), "999");
        assert_eq!(format_vnd(1_000), "1.000");
        assert_eq!(format_vnd(1_500_000), "1.500.000");
        assert_eq!(format_vnd(-2_000_000), "-2.000.000");
    }
}
