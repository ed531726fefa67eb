//! Words users read, from the translation files `i18n/vi.toml` (the default)
//! and `i18n/en.toml`.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Vi }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

type Table = HashMap<String, String>;

fn load(text: &str) -> Table {
    // The files are part of the binary; a broken one fails the test suite.
    toml::from_str(text).unwrap_or_default()
}

fn table(lang: Lang) -> &'static Table {
    static VI: OnceLock<Table> = OnceLock::new();
    static EN: OnceLock<Table> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| load(include_str!("../i18n/vi.toml"))),
        Lang::En => EN.get_or_init(|| load(include_str!("../i18n/en.toml"))),
    }
}

/// The translator a page is rendered with.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The reader's language as the standards and policies name things.
    pub fn language(&self) -> standard::Language {
        match self.lang {
            Lang::Vi => standard::Language::Vi,
            Lang::En => standard::Language::En,
        }
    }

    /// The text of `key`; the key itself if a translation is missing (a test
    /// checks that none is).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match table(self.lang).get(key) {
            Some(text) => text.as_str(),
            None => key,
        }
    }

    pub fn status(&self, code: &str) -> &'static str {
        let key: &'static str = match code {
            "poor" => "status_poor",
            "near_poor" => "status_near_poor",
            "average" => "status_average",
            "not_poor" => "status_not_poor",
            _ => "status_none",
        };
        table(self.lang).get(key).map_or(key, |s| s.as_str())
    }

    pub fn role(&self, role: registry::Role) -> &'static str {
        let key = format!("role_{}", role.code());
        table(self.lang).get(&key).map_or("", |s| s.as_str())
    }

    pub fn indicator(&self, standard: &standard::Standard, code: &str) -> String {
        let language = match self.lang {
            Lang::Vi => standard::Language::Vi,
            Lang::En => standard::Language::En,
        };
        standard
            .indicator_index(code)
            .map_or(code.to_string(), |i| {
                standard.indicators[i].name.get(language).to_string()
            })
    }
}

/// Every key of one file is in the other, and no text is empty.
pub fn check_tables() -> Result<(), String> {
    let (vi, en) = (table(Lang::Vi), table(Lang::En));
    if vi.is_empty() || en.is_empty() {
        return Err("a translation file does not parse".into());
    }
    for (a, b, name) in [(vi, en, "en"), (en, vi, "vi")] {
        if let Some(k) = a.keys().find(|k| !b.contains_key(*k)) {
            return Err(format!("{name}.toml lacks {k}"));
        }
    }
    match vi
        .iter()
        .chain(en.iter())
        .find(|(_, v)| v.trim().is_empty())
    {
        Some((k, _)) => Err(format!("empty text for {k}")),
        None => Ok(()),
    }
}

/// The words printed reports carry, in the reader's language.
pub fn report_words(tr: Tr) -> report::Words {
    report::Words {
        country: tr.t("print_country").to_string(),
        motto: tr.t("print_motto").to_string(),
        notes: tr.t("print_notes").to_string(),
    }
}

/// The place and date line of a printed report: "Xã Xuân Hội, ngày 10
/// tháng 12 năm 2024".
pub fn place_date(tr: Tr, place: &str, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let words = tr
        .t("print_date")
        .replace("{d}", &format!("{:02}", date.day()))
        .replace("{m}", &format!("{:02}", date.month()))
        .replace("{y}", &date.year().to_string());
    format!("{place}, {words}")
}
