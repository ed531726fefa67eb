//! Text typed in the legacy Vietnamese encodings TCVN3 (ABC, fonts such as
//! ".VnTime") and VNI-Windows (fonts such as "VNI-Times").
//!
//! Such a file read today hands over each legacy byte as the Unicode
//! character that Windows-1252 gives it: TCVN3 "Nguyễn" arrives as
//! "NguyÔn", VNI "Nguyễn" as "Nguyeãn". [`detect`] tells from a sample of
//! cells which encoding a sheet was typed in; [`to_unicode`] turns a cell
//! back into Unicode NFC.
//!
//! The tables follow TCVN 5712:1993 (the VN3 subset, which is what the ABC
//! fonts implement) and the VNI-Windows font layout, as the UniKey converter
//! (VnConv) maps them; they were checked against UniKey's tables, the xvnkb
//! tables and several independent converters (see the notes at each table).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::compose;

/// How the text of a sheet was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Ordinary Unicode (or plain ASCII).
    Unicode,
    /// TCVN 5712:1993 VN3, the "ABC" fonts (.VnTime, .VnArial, …).
    Tcvn3,
    /// VNI-Windows, the "VNI-" fonts (VNI-Times, VNI-Helve, …).
    Vni,
}

// ---------------------------------------------------------------------------
// TCVN3
// ---------------------------------------------------------------------------

/// TCVN3 (TCVN 5712:1993 VN3): byte → letter. One byte, one letter.
///
/// VN3 has the seven upper-case letters Ă Â Ê Ô Ơ Ư Đ but no upper-case
/// letter with a tone mark: those were typed with the lower-case glyphs (or
/// with the separate upper-case ".VnTimeH" fonts, which reuse the same
/// bytes), so they come back lower-case. The fuller VN1 table of the same
/// standard puts upper-case toned letters in 0x80–0x9F and the C0 controls
/// (xvnkb and X11's "tcvn" follow VN1); the ABC fonts and UniKey's TCVN3
/// table do not, and those code points are the Windows-1252 punctuation
/// (– “ ” …) that real sheets contain, so they are left alone here.
///
/// Checked against UniKey (VnConv `data.cpp`), xvnkb `tcvn.h` and two
/// independent C# converters; all agree. One JavaScript converter maps 0xD0
/// to "đ"; the standard and UniKey have "é" there, as here.
const TCVN3_PAIRS: [(u8, char); 74] = [
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
    (0xA8, 'ă'),
    (0xA9, 'â'),
    (0xAA, 'ê'),
    (0xAB, 'ô'),
    (0xAC, 'ơ'),
    (0xAD, 'ư'),
    (0xAE, 'đ'),
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB8, 'á'),
    (0xB9, 'ạ'),
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xBE, 'ắ'),
    (0xC6, 'ặ'),
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCA, 'ấ'),
    (0xCB, 'ậ'),
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD0, 'é'),
    (0xD1, 'ẹ'),
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD5, 'ế'),
    (0xD6, 'ệ'),
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDD, 'í'),
    (0xDE, 'ị'),
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE3, 'ó'),
    (0xE4, 'ọ'),
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE8, 'ố'),
    (0xE9, 'ộ'),
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xED, 'ớ'),
    (0xEE, 'ợ'),
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF3, 'ú'),
    (0xF4, 'ụ'),
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF8, 'ứ'),
    (0xF9, 'ự'),
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFD, 'ý'),
    (0xFE, 'ỵ'),
];

/// [`TCVN3_PAIRS`] indexed by byte; '\0' where the byte is no letter.
const TCVN3_TABLE: [char; 256] = {
    let mut table = ['\0'; 256];
    let mut i = 0;
    while i < TCVN3_PAIRS.len() {
        table[TCVN3_PAIRS[i].0 as usize] = TCVN3_PAIRS[i].1;
        i += 1;
    }
    table
};

/// The letter a TCVN3 character stands for, if it stands for one.
fn tcvn3_letter(c: char) -> Option<char> {
    let code = c as u32;
    if code > 0xFF {
        return None;
    }
    match TCVN3_TABLE[code as usize] {
        '\0' => None,
        letter => Some(letter),
    }
}

fn tcvn3_to_unicode(text: &str) -> String {
    fold_capitals(text.chars().map(|c| tcvn3_letter(c).unwrap_or(c)))
}

/// Unicode text as a TCVN3 ("ABC" fonts) sheet writes it: each letter its
/// byte; a capital with a tone, which TCVN3 lacks, as the capital base letter
/// and then the lower-case toned letter ("Ánh" → "Aánh"), as old sheets do.
/// Characters TCVN3 does not have are kept. For tests and for writing files
/// that old tools read.
pub fn to_tcvn3(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let byte_of = |c: char| {
        TCVN3_PAIRS
            .iter()
            .find(|(_, letter)| *letter == c)
            .map(|(b, _)| char::from(*b))
    };
    let mut out = String::new();
    for c in text.nfc() {
        if let Some(b) = byte_of(c) {
            out.push(b);
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        if c.is_uppercase()
            && lower != c
            && let Some(b) = byte_of(lower)
        {
            // The capital base letter (Ă Â Ê Ô Ơ Ư keep their own), then the toned letter.
            let base: String = c
                .to_string()
                .nfd()
                .filter(|d| !matches!(d, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}'))
                .collect::<String>()
                .nfc()
                .collect();
            let mut bases = base.chars();
            match (bases.next().and_then(byte_of), bases.next()) {
                (Some(capital), None) => out.push(capital),
                _ => out.push_str(&base),
            }
            out.push(b);
            continue;
        }
        out.push(c);
    }
    out
}

/// TCVN3 has no capital letter with a tone, so sheets write the capital
/// base letter and then the lower-case toned letter: "Aánh" for "Ánh",
/// "Êễnh" for "Ễnh". A capital vowel followed by the same vowel in lower
/// case carrying a tone is one capital letter with that tone.
fn fold_capitals(chars: impl Iterator<Item = char>) -> String {
    use unicode_normalization::UnicodeNormalization;
    let tone = |c: char| matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}');
    // A letter without its tone, and its tone.
    let split = |c: char| -> (String, Option<char>) {
        let mut base = String::new();
        let mut mark = None;
        for d in c.to_string().nfd() {
            if tone(d) {
                mark = Some(d);
            } else {
                base.push(d);
            }
        }
        (base.nfc().collect(), mark)
    };
    let mut out = String::new();
    let mut chars = chars.peekable();
    while let Some(c) = chars.next() {
        if c.is_uppercase()
            && let Some(&next) = chars.peek()
            && next.is_lowercase()
            && let (base, Some(mark)) = split(next)
            && base == c.to_lowercase().to_string()
        {
            let capital: String = format!("{c}{mark}").nfc().collect();
            out.push_str(&capital);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// VNI-Windows
// ---------------------------------------------------------------------------

/// The vowel shape a VNI mark adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circumflex,
    Breve,
}

/// The combining character of a shape.
fn shape_mark(shape: Shape) -> char {
    match shape {
        Shape::Circumflex => '\u{302}',
        Shape::Breve => '\u{306}',
    }
}

const ACUTE: char = '\u{301}'; // sắc
const GRAVE: char = '\u{300}'; // huyền
const HOOK: char = '\u{309}'; // hỏi
const TILDE: char = '\u{303}'; // ngã
const DOT: char = '\u{323}'; // nặng

/// A VNI mark character: the shape and/or tone it puts on the letter
/// before it. VNI writes a marked vowel as the base letter followed by one
/// such character; upper-case letters use the upper-case mark (Windows-1252
/// 0xC0–0xDC), lower-case ones the lower-case mark (0xE0–0xFC).
///
/// Per UniKey's VNI-WIN table and xvnkb `vni.h` (they agree):
/// tones ù/Ù sắc, ø/Ø huyền, û/Û hỏi, õ/Õ ngã, ï/Ï nặng;
/// â/Â circumflex and á à å ã ä (Á À Å Ã Ä) circumflex with a tone;
/// ê/Ê breve and é è ú ü ë (É È Ú Ü Ë) breve with a tone.
fn vni_mark(c: char) -> Option<(Option<Shape>, Option<char>)> {
    use Shape::{Breve, Circumflex};
    Some(match c as u32 {
        0xF9 | 0xD9 => (None, Some(ACUTE)),
        0xF8 | 0xD8 => (None, Some(GRAVE)),
        0xFB | 0xDB => (None, Some(HOOK)),
        0xF5 | 0xD5 => (None, Some(TILDE)),
        0xEF | 0xCF => (None, Some(DOT)),
        0xE2 | 0xC2 => (Some(Circumflex), None),
        0xE1 | 0xC1 => (Some(Circumflex), Some(ACUTE)),
        0xE0 | 0xC0 => (Some(Circumflex), Some(GRAVE)),
        0xE5 | 0xC5 => (Some(Circumflex), Some(HOOK)),
        0xE3 | 0xC3 => (Some(Circumflex), Some(TILDE)),
        0xE4 | 0xC4 => (Some(Circumflex), Some(DOT)),
        0xEA | 0xCA => (Some(Breve), None),
        0xE9 | 0xC9 => (Some(Breve), Some(ACUTE)),
        0xE8 | 0xC8 => (Some(Breve), Some(GRAVE)),
        0xFA | 0xDA => (Some(Breve), Some(HOOK)),
        0xFC | 0xDC => (Some(Breve), Some(TILDE)),
        0xEB | 0xCB => (Some(Breve), Some(DOT)),
        _ => return None,
    })
}

/// VNI characters that are whole letters: ơ ư đ (ô ö ñ), and i with a tone
/// and ỵ, which VNI has as single characters (í ì æ ó ò, î).
fn vni_letter(c: char) -> Option<char> {
    Some(match c as u32 {
        0xF4 => 'ơ',
        0xD4 => 'Ơ',
        0xF6 => 'ư',
        0xD6 => 'Ư',
        0xF1 => 'đ',
        0xD1 => 'Đ',
        0xED => 'í',
        0xCD => 'Í',
        0xEC => 'ì',
        0xCC => 'Ì',
        0xE6 => 'ỉ',
        0xC6 => 'Ỉ',
        0xF3 => 'ĩ',
        0xD3 => 'Ĩ',
        0xF2 => 'ị',
        0xD2 => 'Ị',
        0xEE => 'ỵ',
        0xCE => 'Ỵ',
        _ => return None,
    })
}

/// A vowel that takes VNI marks after it (ơ and ư as already decoded).
fn is_vni_base(c: char) -> bool {
    matches!(
        c,
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'y'
            | 'ơ'
            | 'ư'
            | 'A'
            | 'E'
            | 'I'
            | 'O'
            | 'U'
            | 'Y'
            | 'Ơ'
            | 'Ư'
    )
}

/// Whether `base` takes `shape`: circumflex on a, e, o; breve on a.
fn takes_shape(base: char, shape: Shape) -> bool {
    match shape {
        Shape::Circumflex => matches!(base, 'a' | 'e' | 'o' | 'A' | 'E' | 'O'),
        Shape::Breve => matches!(base, 'a' | 'A'),
    }
}

fn vni_to_unicode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let base = vni_letter(c).unwrap_or(c);
        if !is_vni_base(base) {
            out.push(base);
            continue;
        }
        // Take the marks that follow: at most one shape and one tone, in
        // either order, whether written as one combined character (the VNI
        // way: "eã") or as two ("eâõ", "eõâ"). A mark that does not fit the
        // letter is left as it is.
        let mut shape: Option<Shape> = None;
        let mut tone: Option<char> = None;
        while let Some(&next) = chars.peek() {
            let Some((s, t)) = vni_mark(next) else { break };
            let shape_fits = match s {
                None => true,
                Some(s) => shape.is_none() && takes_shape(base, s),
            };
            let tone_fits = t.is_none() || tone.is_none();
            if !(shape_fits && tone_fits) {
                break;
            }
            shape = shape.or(s);
            tone = tone.or(t);
            chars.next();
        }
        let mut letter = base;
        if let Some(s) = shape {
            letter = compose(letter, shape_mark(s)).unwrap_or(letter);
        }
        if let Some(t) = tone {
            match compose(letter, t) {
                Some(toned) => letter = toned,
                None => {
                    // Not reachable for the bases above; keep the mark.
                    out.push(letter);
                    out.push(t);
                    continue;
                }
            }
        }
        out.push(letter);
    }
    out
}

// ---------------------------------------------------------------------------
// Conversion and detection
// ---------------------------------------------------------------------------

/// The characters Windows-1252 gives to 0x80–0x9F.
const CP1252_HIGH: [char; 27] = [
    '€', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', '‘', '’', '“', '”', '•', '–',
    '—', '˜', '™', 'š', '›', 'œ', 'ž', 'Ÿ',
];

/// Whether `c` can be a legacy byte read as Windows-1252 (or as Latin-1).
fn is_byte_char(c: char) -> bool {
    c <= '\u{FF}' || CP1252_HIGH.contains(&c)
}

/// The text in Unicode NFC.
///
/// For [`Encoding::Tcvn3`] and [`Encoding::Vni`], each legacy character is
/// replaced by the Vietnamese letter it stands for; ASCII and characters the
/// encoding does not use are kept. A cell that holds a character no legacy
/// byte can produce (ễ, ư, a combining mark, ₫ …) was already typed in
/// Unicode, as happens when a legacy sheet was later edited: it is only
/// normalised, never converted twice.
pub fn to_unicode(text: &str, encoding: Encoding) -> String {
    if encoding == Encoding::Unicode || !text.chars().all(is_byte_char) {
        return text.nfc().collect();
    }
    let converted = match encoding {
        Encoding::Tcvn3 => tcvn3_to_unicode(text),
        Encoding::Vni => vni_to_unicode(text),
        Encoding::Unicode => unreachable!("handled above"),
    };
    converted.nfc().collect()
}

/// The Vietnamese letters that ordinary Unicode writes with characters in
/// Latin-1: À Á Â Ã È É Ê Ì Í Ò Ó Ô Õ Ù Ú Ý and their lower case. A legacy
/// character equal to one of them tells nothing.
fn is_vietnamese_latin1(c: char) -> bool {
    matches!(
        c,
        'À' | 'Á'
            | 'Â'
            | 'Ã'
            | 'È'
            | 'É'
            | 'Ê'
            | 'Ì'
            | 'Í'
            | 'Ò'
            | 'Ó'
            | 'Ô'
            | 'Õ'
            | 'Ù'
            | 'Ú'
            | 'Ý'
            | 'à'
            | 'á'
            | 'â'
            | 'ã'
            | 'è'
            | 'é'
            | 'ê'
            | 'ì'
            | 'í'
            | 'ò'
            | 'ó'
            | 'ô'
            | 'õ'
            | 'ù'
            | 'ú'
            | 'ý'
    )
}

/// A Vietnamese letter (or combining mark) that only Unicode has: ă đ ĩ ũ ơ
/// ư, every letter of Latin Extended Additional (ạ … ỹ), and the combining
/// accents of decomposed text. No legacy byte read as Windows-1252 gives one.
fn is_vietnamese_unicode(c: char) -> bool {
    matches!(
        c,
        'Ă' | 'ă' | 'Đ' | 'đ' | 'Ĩ' | 'ĩ' | 'Ũ' | 'ũ' | 'Ơ' | 'ơ' | 'Ư' | 'ư'
    ) || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
        || matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

/// Whether `c` is used by VNI at all (as a mark or as a whole letter).
fn is_vni_char(c: char) -> bool {
    vni_mark(c).is_some() || vni_letter(c).is_some()
}

/// Whether `mark` after `prev` reads as a VNI mark on a vowel and could not
/// be ordinary Vietnamese Unicode. Cases must agree (VNI puts upper-case
/// marks after upper-case letters). Marks that are Vietnamese letters in
/// Latin-1 count only where Unicode never has them after that vowel: "uâ"
/// (Xuân), "iê", "oá", "oà" are ordinary Unicode, "aâ", "eã", "aê", "où"
/// are not.
fn is_vni_pair(prev: char, mark: char) -> bool {
    let base = vni_letter(prev).unwrap_or(prev);
    if !is_vni_base(base) || base.is_uppercase() != mark.is_uppercase() {
        return false;
    }
    let Some((shape, _)) = vni_mark(mark) else {
        return false;
    };
    if let Some(s) = shape
        && !takes_shape(base, s)
    {
        return false;
    }
    if !is_vietnamese_latin1(mark) {
        return true;
    }
    let lower_base = base.to_lowercase().next().unwrap_or(base);
    match mark.to_lowercase().next().unwrap_or(mark) {
        // Tones alone: no Vietnamese vowel is followed by ù or õ.
        'ù' | 'õ' => true,
        // Circumflex: "aâ", "eâ", "oâ" never occur in Unicode.
        'â' => true,
        // Circumflex with a tone: "oá", "oà", "oã" are ordinary (hoá, hoà).
        'á' | 'à' | 'ã' => lower_base != 'o',
        // Breve (with a tone), only ever after a: "aê", "aé", "aè", "aú".
        'ê' | 'é' | 'è' | 'ú' => true,
        _ => false,
    }
}

/// Counts of telling characters in a sample.
#[derive(Debug, Default)]
struct Evidence {
    /// Alphabetic characters, to weigh the rest by.
    letters: usize,
    /// Vietnamese letters that only Unicode has.
    unicode: usize,
    /// Characters that only TCVN3 uses (¡–®, µ–¹, »–¾, Ç Ð × Þ ß ç ÷ þ).
    tcvn3: usize,
    /// VNI marks on vowels, and characters only VNI uses.
    vni: usize,
    /// Characters both legacy encodings use and Vietnamese Unicode does not
    /// (ö ñ ø û ï ä å ë ü æ î …).
    shared: usize,
}

impl Evidence {
    fn add(&mut self, text: &str) {
        let mut prev = '\0';
        for c in text.chars() {
            if c.is_alphabetic() {
                self.letters += 1;
            }
            if !is_byte_char(c) {
                if is_vietnamese_unicode(c) {
                    self.unicode += 1;
                }
            } else if is_vni_pair(prev, c) {
                self.vni += 1;
            } else if c >= '\u{A0}' && !is_vietnamese_latin1(c) {
                match (tcvn3_letter(c).is_some(), is_vni_char(c)) {
                    (true, false) => self.tcvn3 += 1,
                    (false, true) => self.vni += 1,
                    (true, true) => self.shared += 1,
                    (false, false) => {}
                }
            }
            prev = c;
        }
    }

    fn verdict(&self) -> Encoding {
        let legacy = self.tcvn3 + self.vni + self.shared;
        // Too few legacy characters, real Vietnamese Unicode letters
        // holding their own against them, or legacy characters under 2 % of
        // the letters (a stray "©" or "µ" in ASCII data): Unicode.
        if legacy < 2 || self.unicode * 2 >= legacy || legacy * 50 < self.letters {
            return Encoding::Unicode;
        }
        if self.vni > self.tcvn3 {
            Encoding::Vni
        } else {
            // Ties (only characters both encodings use) go to TCVN3, the
            // national standard and the commoner of the two.
            Encoding::Tcvn3
        }
    }
}

/// The encoding a sheet was typed in, judged from a sample of its cells
/// (the more the better; a whole sheet is best).
///
/// Heuristic: legacy text read as Windows-1252 shows characters that
/// Vietnamese Unicode never uses, and never shows a Vietnamese letter
/// outside Latin-1 (ă đ ơ ư ạ … ỹ), since no legacy byte becomes one.
/// - TCVN3 puts its commonest letters (à á ả ã ạ ă â ê ô ơ ư đ …) on the
///   Latin-1 symbols 0xA1–0xBE (µ ¸ © ® ¬ «…), which VNI never uses.
/// - VNI writes a vowel followed by a mark (aù, eã, oä, ôø); pairs that
///   ordinary Unicode never has count for VNI.
/// - ö ñ ø û ï ä å ë ü æ î … occur in both and count as legacy, undecided.
///
/// The sample is legacy only with at least two such characters, making at
/// least 2 % of its letters, and less than half as many real Vietnamese
/// Unicode letters as legacy characters; then the encoding with more
/// characters of its own wins, TCVN3 on a tie. ASCII-only text is Unicode.
pub fn detect(texts: &[&str]) -> Encoding {
    let mut evidence = Evidence::default();
    for text in texts {
        evidence.add(text);
    }
    evidence.verdict()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tcvn3_capitals_are_a_capital_and_the_toned_letter() {
        use super::{Encoding, to_unicode};
        // "Aánh" (A, then á as TCVN3 0xB8), "Êễnh" (Ê 0xA3, ễ 0xD4).
        assert_eq!(to_unicode("A\u{b8}nh", Encoding::Tcvn3), "Ánh");
        assert_eq!(to_unicode("\u{a3}\u{d4}nh", Encoding::Tcvn3), "Ễnh");
        assert_eq!(to_unicode("U\u{f3}t", Encoding::Tcvn3), "Út");
        assert_eq!(to_unicode("\u{a6}\u{f9}a", Encoding::Tcvn3), "Ựa");
        // A capital followed by another vowel, or by the same one without a
        // tone, stays two letters.
        assert_eq!(to_unicode("O\u{b8}n", Encoding::Tcvn3), "Oán");
        assert_eq!(to_unicode("Oo", Encoding::Tcvn3), "Oo");
        assert_eq!(to_unicode("\u{a2}\u{a9}", Encoding::Tcvn3), "Ââ");
        // Lower case is untouched: "aá" is two letters.
        assert_eq!(to_unicode("a\u{b8}", Encoding::Tcvn3), "aá");
    }

    use super::*;

    // ---- Independent test encoders, written from the published tables ----

    /// TCVN3 by letter: each vowel's row is the plain letter's byte (None:
    /// plain ASCII), then sắc, huyền, hỏi, ngã, nặng. Written in UniKey's
    /// letter order, not byte order, to cross-check `TCVN3_PAIRS`.
    const TCVN3_ROWS: [(char, Option<u8>, [u8; 5]); 12] = [
        ('a', None, [0xB8, 0xB5, 0xB6, 0xB7, 0xB9]),
        ('ă', Some(0xA8), [0xBE, 0xBB, 0xBC, 0xBD, 0xC6]),
        ('â', Some(0xA9), [0xCA, 0xC7, 0xC8, 0xC9, 0xCB]),
        ('e', None, [0xD0, 0xCC, 0xCE, 0xCF, 0xD1]),
        ('ê', Some(0xAA), [0xD5, 0xD2, 0xD3, 0xD4, 0xD6]),
        ('i', None, [0xDD, 0xD7, 0xD8, 0xDC, 0xDE]),
        ('o', None, [0xE3, 0xDF, 0xE1, 0xE2, 0xE4]),
        ('ô', Some(0xAB), [0xE8, 0xE5, 0xE6, 0xE7, 0xE9]),
        ('ơ', Some(0xAC), [0xED, 0xEA, 0xEB, 0xEC, 0xEE]),
        ('u', None, [0xF3, 0xEF, 0xF1, 0xF2, 0xF4]),
        ('ư', Some(0xAD), [0xF8, 0xF5, 0xF6, 0xF7, 0xF9]),
        ('y', None, [0xFD, 0xFA, 0xFB, 0xFC, 0xFE]),
    ];

    /// Tones in the order of the rows above.
    const TONES: [char; 5] = [ACUTE, GRAVE, HOOK, TILDE, DOT];

    /// The 12 vowels with their marks, lower case.
    const VOWELS: [&str; 12] = [
        "a", "a\u{306}", "a\u{302}", "e", "e\u{302}", "i", "o", "o\u{302}", "o\u{31B}", "u",
        "u\u{31B}", "y",
    ];

    fn nfc(s: &str) -> String {
        s.nfc().collect()
    }

    /// Every Vietnamese letter: 12 vowels × (no tone + 5 tones), then đ.
    fn all_lower_letters() -> Vec<String> {
        let mut out = Vec::new();
        for v in VOWELS {
            out.push(nfc(v));
            for t in TONES {
                out.push(nfc(&format!("{v}{t}")));
            }
        }
        out.push("đ".to_string());
        out
    }

    fn upper(s: &str) -> String {
        s.to_uppercase()
    }

    fn byte(b: u8) -> char {
        char::from(b)
    }

    /// Unicode → TCVN3 as UniKey does it: upper-case letters with a tone
    /// take the lower-case byte; Ă Â Ê Ô Ơ Ư Đ have their own.
    fn tcvn3_encode(text: &str) -> String {
        let upper_plain = [
            ('Ă', 0xA1),
            ('Â', 0xA2),
            ('Ê', 0xA3),
            ('Ô', 0xA4),
            ('Ơ', 0xA5),
            ('Ư', 0xA6),
            ('Đ', 0xA7),
        ];
        let mut out = String::new();
        'chars: for c in text.chars() {
            if let Some(&(_, b)) = upper_plain.iter().find(|(u, _)| *u == c) {
                out.push(byte(b));
                continue;
            }
            if c == 'đ' {
                out.push(byte(0xAE));
                continue;
            }
            let lower = c.to_lowercase().next().unwrap();
            for (letter, plain, toned) in TCVN3_ROWS {
                if lower == letter {
                    match plain {
                        Some(b) => out.push(byte(b)),
                        None => out.push(c),
                    }
                    continue 'chars;
                }
                for (t, b) in TONES.iter().zip(toned) {
                    if nfc(&format!("{letter}{t}")) == lower.to_string() {
                        out.push(byte(b));
                        continue 'chars;
                    }
                }
            }
            out.push(c);
        }
        out
    }

    /// Unicode → VNI-Windows, from the VNI layout: base letter, then one
    /// mark character; i with a tone and ỵ are single characters.
    fn vni_encode(text: &str) -> String {
        // Index 0 = no tone, then sắc, huyền, hỏi, ngã, nặng.
        const TONE: [&str; 6] = ["", "ù", "ø", "û", "õ", "ï"];
        const CIRC: [&str; 6] = ["â", "á", "à", "å", "ã", "ä"];
        const BREVE: [&str; 6] = ["ê", "é", "è", "ú", "ü", "ë"];
        const I: [&str; 6] = ["i", "í", "ì", "æ", "ó", "ò"];
        let mut out = String::new();
        for c in text.chars() {
            let decomposed: Vec<char> = c.to_string().nfd().collect();
            let is_upper = c.is_uppercase();
            let case = |s: &str| {
                if is_upper {
                    s.to_uppercase()
                } else {
                    s.to_string()
                }
            };
            let base = decomposed[0].to_ascii_lowercase();
            let marks = &decomposed[1..];
            let tone = marks
                .iter()
                .find_map(|m| TONES.iter().position(|t| t == m))
                .map_or(0, |i| i + 1);
            let has = |m: char| marks.contains(&m);
            let piece = match base {
                'đ' | 'Đ' => case("ñ"),
                'a' if has('\u{302}') => case(&format!("a{}", CIRC[tone])),
                'a' if has('\u{306}') => case(&format!("a{}", BREVE[tone])),
                'e' | 'o' if has('\u{302}') => case(&format!("{base}{}", CIRC[tone])),
                'o' if has('\u{31B}') => case(&format!("ô{}", TONE[tone])),
                'u' if has('\u{31B}') => case(&format!("ö{}", TONE[tone])),
                'i' => case(I[tone]),
                'y' if tone == 5 => case("î"),
                'a' | 'e' | 'o' | 'u' | 'y' => case(&format!("{base}{}", TONE[tone])),
                _ => c.to_string(),
            };
            out.push_str(&piece);
        }
        out
    }

    // ---- TCVN3 ----

    #[test]
    fn to_tcvn3_reads_back_and_writes_capitals_as_old_sheets_do() {
        let text = "Lê Thị Ánh, Nguyễn Văn Ễnh: Việc làm, Bảo hiểm y tế, ĐẶNG";
        assert_eq!(to_unicode(&to_tcvn3(text), Encoding::Tcvn3), text);
        assert_eq!(to_tcvn3("Ánh"), "A\u{b8}nh");
        assert_eq!(to_tcvn3("việc"), tcvn3_encode("việc"));
    }

    #[test]
    fn tcvn3_table_has_every_letter_once() {
        let mut seen: Vec<char> = TCVN3_PAIRS.iter().map(|&(_, c)| c).collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n, "a letter mapped twice");
        // 12 vowels × 5 tones, ă â ê ô ơ ư đ and their upper case.
        assert_eq!(n, 60 + 7 + 7);
        // Cross-check byte-order table against the letter-order rows.
        for (letter, plain, toned) in TCVN3_ROWS {
            if let Some(b) = plain {
                assert_eq!(tcvn3_letter(byte(b)), Some(letter));
            }
            for (t, b) in TONES.iter().zip(toned) {
                let want = nfc(&format!("{letter}{t}")).chars().next().unwrap();
                assert_eq!(tcvn3_letter(byte(b)), Some(want), "byte {b:#X}");
            }
        }
    }

    #[test]
    fn tcvn3_sentences() {
        let cases = [
            ("Uû ban nh©n d©n x· Xu©n Héi", "Uỷ ban nhân dân xã Xuân Hội"),
            ("ñy ban nh©n d©n x· Xu©n Héi", "ủy ban nhân dân xã Xuân Hội"),
            ("Danh s¸ch hé nghÌo n¨m 2024", "Danh sách hộ nghèo năm 2024"),
            ("NguyÔn V¨n §øc", "Nguyễn Văn Đức"),
            // Á has no TCVN3 byte: it was typed with the á glyph.
            ("TrÇn ThÞ ¸nh TuyÕt", "Trần Thị ánh Tuyết"),
            ("Ph\u{AD}êng B¾c Hång", "Phường Bắc Hồng"),
            ("§¾k L¾k", "Đắk Lắk"),
            ("ViÖt Nam", "Việt Nam"),
            ("Hµ Néi – 5%", "Hà Nội – 5%"),
        ];
        for (legacy, unicode) in cases {
            assert_eq!(to_unicode(legacy, Encoding::Tcvn3), unicode, "{legacy}");
        }
    }

    #[test]
    fn tcvn3_round_trips_every_letter() {
        let lower = all_lower_letters();
        for letter in &lower {
            let word = format!("x{letter}n");
            assert_eq!(to_unicode(&tcvn3_encode(&word), Encoding::Tcvn3), word);
        }
        let all: String = lower.concat();
        assert_eq!(to_unicode(&tcvn3_encode(&all), Encoding::Tcvn3), all);
        // Upper case: the plain letters survive; toned ones become lower.
        for letter in [
            "Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ", "A", "E", "I", "O", "U", "Y",
        ] {
            assert_eq!(to_unicode(&tcvn3_encode(letter), Encoding::Tcvn3), letter);
        }
        assert_eq!(to_unicode(&tcvn3_encode("ỐNG"), Encoding::Tcvn3), "ốNG");
    }

    #[test]
    fn tcvn3_leaves_ascii_and_unused_bytes() {
        let text = "H-0012; 1.500.000 ° ± € “x”";
        assert_eq!(to_unicode(text, Encoding::Tcvn3), text);
    }

    // ---- VNI ----

    #[test]
    fn vni_sentences() {
        let cases = [
            (
                "UÛy ban nhaân daân xaõ Xuaân Hoäi",
                "Ủy ban nhân dân xã Xuân Hội",
            ),
            (
                "Danh saùch hoä ngheøo naêm 2024",
                "Danh sách hộ nghèo năm 2024",
            ),
            ("Nguyeãn Vaên Ñöùc", "Nguyễn Văn Đức"),
            ("Traàn Thò AÙnh Tuyeát", "Trần Thị Ánh Tuyết"),
            ("Phöôøng Baéc Hoàng", "Phường Bắc Hồng"),
            ("Vieät Nam", "Việt Nam"),
            ("Tænh Vónh Long, Myõ Tho, Kyø", "Tỉnh Vĩnh Long, Mỹ Tho, Kỳ"),
            (
                "UÛY BAN NHAÂN DAÂN XAÕ XUAÂN HOÄI",
                "ỦY BAN NHÂN DÂN XÃ XUÂN HỘI",
            ),
            ("NGUYEÃN VAÊN ÑÖÙC", "NGUYỄN VĂN ĐỨC"),
            ("PHÖÔØNG BAÉC HOÀNG", "PHƯỜNG BẮC HỒNG"),
            ("TRAÀN THÒ AÙNH TUYEÁT", "TRẦN THỊ ÁNH TUYẾT"),
        ];
        for (legacy, unicode) in cases {
            assert_eq!(to_unicode(legacy, Encoding::Vni), unicode, "{legacy}");
        }
    }

    #[test]
    fn vni_marks_in_either_order() {
        // Shape and tone as two characters, shape first or tone first.
        assert_eq!(to_unicode("Nguyeâõn", Encoding::Vni), "Nguyễn");
        assert_eq!(to_unicode("Nguyeõân", Encoding::Vni), "Nguyễn");
        assert_eq!(to_unicode("naêù", Encoding::Vni), "nắ");
        assert_eq!(to_unicode("naùê", Encoding::Vni), "nắ");
        // Tone on ơ / ư (shape already in the letter).
        assert_eq!(to_unicode("ngöôøi", Encoding::Vni), "người");
        // Lower-case mark after an upper-case letter keeps the upper case.
        assert_eq!(to_unicode("Aùnh", Encoding::Vni), "Ánh");
    }

    #[test]
    fn vni_leaves_marks_that_do_not_fit() {
        // Breve on o, a second tone, a mark after a consonant: kept as is.
        assert_eq!(to_unicode("oê", Encoding::Vni), "oê");
        assert_eq!(to_unicode("aùø", Encoding::Vni), "áø");
        assert_eq!(to_unicode("hù", Encoding::Vni), "hù");
        let text = "H-0012; 1.500.000 ° ± € “x”";
        assert_eq!(to_unicode(text, Encoding::Vni), text);
    }

    #[test]
    fn vni_round_trips_every_letter() {
        let lower = all_lower_letters();
        let upper_letters: Vec<String> = lower.iter().map(|l| upper(l)).collect();
        assert_eq!(lower.len(), 73);
        for letter in lower.iter().chain(&upper_letters) {
            for word in [letter.clone(), format!("x{letter}n"), format!("X{letter}N")] {
                let encoded = vni_encode(&word);
                assert_eq!(to_unicode(&encoded, Encoding::Vni), word, "{encoded}");
            }
        }
        let all = format!("{}{}", lower.concat(), upper_letters.concat());
        assert_eq!(to_unicode(&vni_encode(&all), Encoding::Vni), all);
    }

    // ---- Unicode ----

    #[test]
    fn unicode_is_only_normalised() {
        let decomposed = "Nguye\u{302}\u{303}n";
        assert_eq!(to_unicode(decomposed, Encoding::Unicode), "Nguyễn");
        assert_eq!(to_unicode("Xuân", Encoding::Unicode), "Xuân");
    }

    #[test]
    fn unicode_cells_in_a_legacy_sheet_are_not_converted_twice() {
        for enc in [Encoding::Tcvn3, Encoding::Vni] {
            assert_eq!(to_unicode("Nguyễn Văn Đức", enc), "Nguyễn Văn Đức");
            assert_eq!(to_unicode("Nguye\u{302}\u{303}n", enc), "Nguyễn");
            assert_eq!(to_unicode("5.000 ₫ hộ", enc), "5.000 ₫ hộ");
        }
    }

    // ---- Detection ----

    const SENTENCES: [&str; 7] = [
        "Ủy ban nhân dân xã Xuân Hội",
        "Danh sách hộ nghèo năm 2024",
        "Nguyễn Văn Đức",
        "Trần Thị Ánh Tuyết",
        "Phường Bắc Hồng",
        "Lê Thị Hoà",
        "Quý Tiên",
    ];

    fn sheet(encode: fn(&str) -> String) -> Vec<String> {
        let mut cells: Vec<String> = SENTENCES.iter().map(|s| encode(s)).collect();
        cells.extend(["H-0012", "12", "1.500.000", "09/03/2024", ""].map(String::from));
        cells
    }

    fn detect_owned(cells: &[String]) -> Encoding {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        detect(&refs)
    }

    #[test]
    fn detects_tcvn3() {
        assert_eq!(detect_owned(&sheet(tcvn3_encode)), Encoding::Tcvn3);
        let typed = [
            "Uû ban nh©n d©n x· Xu©n Héi",
            "Danh s¸ch hé nghÌo n¨m 2024",
            "NguyÔn V¨n §øc",
            "TrÇn ThÞ ¸nh TuyÕt",
            "Ph\u{AD}êng B¾c Hång",
        ];
        assert_eq!(detect(&typed), Encoding::Tcvn3);
        for cell in typed {
            assert_eq!(detect(&[cell]), Encoding::Tcvn3, "{cell}");
        }
    }

    #[test]
    fn detects_vni() {
        assert_eq!(detect_owned(&sheet(vni_encode)), Encoding::Vni);
        assert_eq!(
            detect_owned(&sheet(|s| vni_encode(&s.to_uppercase()))),
            Encoding::Vni
        );
        let typed = [
            "UÛy ban nhaân daân xaõ Xuaân Hoäi",
            "Danh saùch hoä ngheøo naêm 2024",
            "Nguyeãn Vaên Ñöùc",
            "Traàn Thò AÙnh Tuyeát",
            "Phöôøng Baéc Hoàng",
        ];
        assert_eq!(detect(&typed), Encoding::Vni);
        for cell in typed {
            assert_eq!(detect(&[cell]), Encoding::Vni, "{cell}");
        }
    }

    #[test]
    fn detected_sheets_convert_back() {
        for (encode, enc) in [
            (tcvn3_encode as fn(&str) -> String, Encoding::Tcvn3),
            (vni_encode as fn(&str) -> String, Encoding::Vni),
        ] {
            let cells = sheet(encode);
            let found = detect_owned(&cells);
            assert_eq!(found, enc);
            let back: Vec<String> = cells.iter().map(|c| to_unicode(c, found)).collect();
            let plain = sheet(|s| s.to_string());
            if enc == Encoding::Vni {
                assert_eq!(back, plain);
            } else {
                // TCVN3 has no upper-case toned letters: compare lower case.
                let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
                assert_eq!(lower(&back), lower(&plain));
            }
        }
    }

    #[test]
    fn unicode_vietnamese_is_not_mistaken() {
        assert_eq!(detect(&SENTENCES), Encoding::Unicode);
        let caps: Vec<String> = SENTENCES.iter().map(|s| s.to_uppercase()).collect();
        assert_eq!(detect_owned(&caps), Encoding::Unicode);
        let nfd: Vec<String> = SENTENCES.iter().map(|s| s.nfd().collect()).collect();
        assert_eq!(detect_owned(&nfd), Encoding::Unicode);
        // Words whose letters are all in Latin-1, with vowel pairs that look
        // like VNI marks (uâ, iê, yê, oà, oá, uý, uô).
        let latin1_only = [
            "Xuân", "Tiên", "Nguyên", "Hoà", "Khoá", "Quý", "Luôn", "Tú", "Yên", "Thuê", "Hoè",
        ];
        assert_eq!(detect(&latin1_only), Encoding::Unicode);
        // Stray symbols in Unicode text.
        let symbols = ["«Hộ nghèo» © 2024", "Xã Xuân Hội ± 5 %", "Sở LĐTBXH®"];
        assert_eq!(detect(&symbols), Encoding::Unicode);
    }

    #[test]
    fn ascii_is_not_mistaken() {
        assert_eq!(detect(&[]), Encoding::Unicode);
        assert_eq!(detect(&[""]), Encoding::Unicode);
        let ascii = [
            "H-0012",
            "12345",
            "1.500.000",
            "09/03/2024",
            "Xa Xuan Hoi",
            "Nguyen Van Duc",
            "Ho ngheo",
        ];
        assert_eq!(detect(&ascii), Encoding::Unicode);
        // One stray legacy-looking symbol in ASCII data is not enough.
        assert_eq!(detect(&["Xa Xuan Hoi ©", "H-0012"]), Encoding::Unicode);
    }
}
