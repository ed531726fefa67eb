//! Reading a policy catalogue file: every code checked against the agencies
//! it names and the indicators of the standards; an error names the file and
//! the field.

use crate::{Agency, Catalogue, Clause, Group, Policy, Recipient, Standing};
use standard::{Confidence, Text};

/// A catalogue file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}, {field}: {message}")]
    Invalid {
        file: String,
        field: String,
        message: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    id: String,
    name: Text,
    years: RawYears,
    agencies: Vec<RawAgency>,
    policies: Vec<RawPolicy>,
    #[serde(default)]
    causes: Vec<crate::Choice>,
    #[serde(default)]
    wishes: Vec<crate::Choice>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYears {
    from: i64,
    to: i64,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgency {
    code: String,
    name: Text,
    #[serde(default)]
    duties: Option<Text>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAges {
    from: u32,
    below: u32,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    #[serde(default)]
    statuses: Vec<Standing>,
    escaped_within: Option<u32>,
    #[serde(default)]
    groups: Vec<Group>,
    ages: Option<RawAges>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    code: String,
    name: Text,
    agency: String,
    #[serde(default)]
    cooperating: Vec<String>,
    to: Recipient,
    eligible: Vec<RawClause>,
    #[serde(default)]
    priority: Vec<Group>,
    addresses: Vec<String>,
    #[serde(default)]
    records: Vec<String>,
    #[serde(default)]
    confidence: Confidence,
}

impl Catalogue {
    /// Reads a catalogue; `indicators` are the indicator codes of the
    /// standards it may address.
    pub fn parse(file: &str, text: &str, indicators: &[&str]) -> Result<Catalogue, CatalogueError> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| CatalogueError::Syntax {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let fail = |field: String, message: String| CatalogueError::Invalid {
            file: file.to_string(),
            field,
            message,
        };
        if raw.years.from > raw.years.to {
            return Err(fail("years".into(), "from phải không sau to".into()));
        }
        let mut agencies: Vec<Agency> = Vec::new();
        for (i, a) in raw.agencies.into_iter().enumerate() {
            if a.code.trim().is_empty() || agencies.iter().any(|b| b.code == a.code) {
                return Err(fail(
                    format!("agencies[{i}].code"),
                    format!("mã \"{}\" trống hoặc trùng", a.code),
                ));
            }
            agencies.push(Agency {
                code: a.code,
                name: a.name,
                duties: a.duties,
            });
        }
        let mut policies: Vec<Policy> = Vec::new();
        for (i, p) in raw.policies.into_iter().enumerate() {
            let at = |field: &str| format!("policies[{i}] ({}).{field}", p.code);
            if p.code.trim().is_empty() || policies.iter().any(|q| q.code == p.code) {
                return Err(fail(
                    at("code"),
                    format!("mã \"{}\" trống hoặc trùng", p.code),
                ));
            }
            for (field, code) in std::iter::once(("agency", &p.agency))
                .chain(p.cooperating.iter().map(|c| ("cooperating", c)))
            {
                if !agencies.iter().any(|a| &a.code == code) {
                    return Err(fail(
                        at(field),
                        format!("không có cơ quan \"{code}\" trong danh sách agencies"),
                    ));
                }
            }
            if let Some(unknown) = p
                .addresses
                .iter()
                .find(|a| !indicators.contains(&a.as_str()))
            {
                return Err(fail(
                    at("addresses"),
                    format!("không có chỉ số \"{unknown}\" trong các chuẩn"),
                ));
            }
            if p.eligible.is_empty() {
                return Err(fail(at("eligible"), "cần ít nhất một điều kiện".into()));
            }
            let mut eligible = Vec::new();
            for (k, c) in p.eligible.into_iter().enumerate() {
                let field = at(&format!("eligible[{k}]"));
                let escaped = c.statuses.contains(&Standing::Escaped);
                if escaped != c.escaped_within.is_some() {
                    return Err(fail(
                        field,
                        "\"escaped\" và escaped_within (số năm sau khi thoát nghèo) đi cùng nhau"
                            .into(),
                    ));
                }
                let ages = match c.ages {
                    None => None,
                    Some(_) if p.to == Recipient::Household => {
                        return Err(fail(
                            field,
                            "ages chỉ dùng cho chính sách đến từng thành viên (to = \"member\")"
                                .into(),
                        ));
                    }
                    Some(a) if a.from >= a.below || a.below > 131 => {
                        return Err(fail(
                            field,
                            format!("ages: from {} phải nhỏ hơn below {}", a.from, a.below),
                        ));
                    }
                    Some(a) => Some((a.from, a.below)),
                };
                eligible.push(Clause {
                    standings: c.statuses,
                    escaped_within: c.escaped_within,
                    groups: c.groups,
                    ages,
                });
            }
            policies.push(Policy {
                code: p.code,
                name: p.name,
                agency: p.agency,
                cooperating: p.cooperating,
                to: p.to,
                eligible,
                priority: p.priority,
                addresses: p.addresses,
                records: p.records,
                confidence: p.confidence,
            });
        }
        for (field, list) in [("causes", &raw.causes), ("wishes", &raw.wishes)] {
            for (i, c) in list.iter().enumerate() {
                if c.code.trim().is_empty() || list[..i].iter().any(|o| o.code == c.code) {
                    return Err(fail(
                        format!("{field}[{i}].code"),
                        format!("mã \"{}\" trống hoặc trùng", c.code),
                    ));
                }
            }
        }
        Ok(Catalogue {
            causes: raw.causes,
            wishes: raw.wishes,
            id: raw.id,
            name: raw.name,
            years: raw.years.from..=raw.years.to,
            agencies,
            policies,
        })
    }

    /// The catalogue shipped with the binary, checked against the shipped
    /// standards' indicators.
    pub fn builtin(standards: &standard::Catalogue) -> Result<Catalogue, CatalogueError> {
        let codes: Vec<&str> = standards
            .all()
            .iter()
            .flat_map(|s| s.indicators.iter().map(|i| i.code.as_str()))
            .collect();
        Catalogue::parse(
            "policies/ntp-2019-2030.toml",
            include_str!("../../../policies/ntp-2019-2030.toml"),
            &codes,
        )
    }
}
