//! The audit log as an officer reads it: the action in words, and each
//! change as "field: before → after" with Vietnamese field names and values
//! (statuses, indicators, dates), never raw JSON.

use crate::i18n::Tr;
use serde_json::Value;

/// One entry of a history table: when, who, what, the changes.
pub struct Line {
    pub when: String,
    pub who: String,
    pub action: String,
    pub changes: String,
}

fn value(tr: Tr, key: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => tr.t("yes").into(),
        Value::Bool(false) => tr.t("no").into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) if key != "year" && key != "survey" && !key.ends_with("_id") => {
                crate::pages::number(tr, i)
            }
            _ => n.to_string(),
        },
        Value::String(s) => match key {
            "status" | "recheck" | "recheck_status" => tr.status(s).to_string(),
            _ => match vntext::parse_date(s) {
                Some(d) if s.len() == 10 => vntext::format_date(d),
                _ => s.clone(),
            },
        },
        Value::Array(items) => match items.as_slice() {
            // A field's change is [before, after].
            [before, after] if key_is_change(key) => {
                format!("{} → {}", value(tr, key, before), value(tr, key, after))
            }
            _ => items
                .iter()
                .map(|i| value(tr, key, i))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", label(tr, k), value(tr, k, v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Fields whose audit value is a [before, after] pair.
fn key_is_change(key: &str) -> bool {
    !matches!(key, "deprived" | "back_to_survey" | "complaints")
}

fn label(tr: Tr, key: &str) -> String {
    let k = format!("field_{key}");
    match tr.t(&k) {
        t if t == k => key.replace('_', " "),
        t => t.to_string(),
    }
}

/// Indicator codes under their standard's names.
fn name_indicators(tr: Tr, catalogue: &standard::Catalogue, v: &mut Value) {
    let Value::Object(map) = v else { return };
    let Some(standard) = map
        .get("standard")
        .and_then(Value::as_str)
        .and_then(|id| catalogue.get(id))
    else {
        return;
    };
    if let Some(Value::Array(codes)) = map.get_mut("deprived") {
        for code in codes.iter_mut() {
            if let Value::String(c) = code {
                *c = tr.indicator(standard, c);
            }
        }
    }
}

/// A stored time (RFC 3339, UTC) as "dd/mm/yyyy hh:mm" in Vietnam's time.
pub fn when(at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(t) => (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(7))
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// An audit entry in words.
pub fn line(tr: Tr, catalogue: &standard::Catalogue, entry: &registry::AuditEntry) -> Line {
    let key = format!("action_{}", entry.action.code());
    let action = match tr.t(&key) {
        t if t == key => entry.action.code().replace('_', " "),
        t => t.to_string(),
    };
    let changes = match serde_json::from_str::<Value>(&entry.changes) {
        Ok(Value::Object(map)) if map.is_empty() => String::new(),
        Ok(mut v) => {
            name_indicators(tr, catalogue, &mut v);
            value(tr, "", &v)
        }
        Err(_) => entry.changes.clone(),
    };
    Line {
        when: when(&entry.at),
        who: entry.actor.clone(),
        action,
        changes,
    }
}
