//! Plans and their targets (issue 12). A plan is issued by a unit (number,
//! date, years, legal bases); each target is one shape of measure over the
//! registry ([`TargetShape`]) with its value, so its progress — for the
//! whole unit and for each commune — is computed from the kept counts and
//! tallies and the delivery records, never typed in. A target's status
//! ([`TargetStatus`]) weighs the progress against the plan's years and the
//! day asked.

use crate::error::RegistryError;
use crate::gate::{Actor, id_list};
use crate::limits::{LINE, LONG_TEXT};
use crate::report_set::{CommuneFigures, ReportFigures};
use crate::service::{Action, Entity, Registry, audit};
use crate::tallies::{Group, Measure};
use crate::values::{ReviewYear, UnitId};
use chrono::NaiveDate;
use serde_json::json;
use standard::Status;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use support::Standing;

/// What a target measures. Values are in hundredths for rates, points and
/// shares (2,5 % is 250), plain for counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetShape {
    /// The poor-household rate falls by at least the value (percentage
    /// points, in hundredths) a year on average, from the year before the
    /// plan (or its first year) to the latest year.
    PoorRateDrop,
    /// Every commune's poor-household rate is below the value; with
    /// `excluding`, poor households of social-protection beneficiaries and
    /// those poor because of a sudden accident or a grave illness are left
    /// out of the count (the advanced new-rural criterion).
    PoorRateBelow { excluding: bool },
    /// A model commune with no poor household.
    NoPoor { commune: String },
    /// At least the value of people (member policies) or households
    /// served by any of the policies during the plan's years.
    Served { policies: Vec<String> },
    /// At least the value (a share, in hundredths) of the households (or
    /// their members, for a member policy) of the standings, in the latest
    /// year, served by the policy during the plan's years.
    ShareServed {
        policy: String,
        standings: Vec<Standing>,
    },
}

impl TargetShape {
    pub fn code(&self) -> &'static str {
        match self {
            TargetShape::PoorRateDrop => "poor_rate_drop",
            TargetShape::PoorRateBelow { .. } => "poor_rate_below",
            TargetShape::NoPoor { .. } => "no_poor",
            TargetShape::Served { .. } => "served",
            TargetShape::ShareServed { .. } => "share_served",
        }
    }

    /// Whether the value is a count (else hundredths).
    pub fn counts(&self) -> bool {
        matches!(
            self,
            TargetShape::Served { .. } | TargetShape::NoPoor { .. }
        )
    }
}

/// The shapes' codes, for forms.
pub const TARGET_SHAPES: [&str; 5] = [
    "poor_rate_drop",
    "poor_rate_below",
    "no_poor",
    "served",
    "share_served",
];

fn standing_code(s: Standing) -> &'static str {
    match s {
        Standing::Poor => "poor",
        Standing::NearPoor => "near_poor",
        Standing::Average => "average",
        Standing::NotPoor => "not_poor",
        Standing::Escaped => "escaped",
    }
}

fn standing_of(code: &str) -> Option<Standing> {
    [Standing::Poor, Standing::NearPoor, Standing::Escaped]
        .into_iter()
        .find(|s| standing_code(*s) == code)
}

/// A target as a form gives it: the shape's code, its value as typed
/// ("0,5", "2,5", "4.000", "100"), and what the shape reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTarget {
    pub title: String,
    pub shape: String,
    pub value: String,
    /// Policy codes (`served`: any of them; `share_served`: the first).
    pub policies: Vec<String>,
    /// `poor`, `near_poor`, `escaped` (`share_served`).
    pub standings: Vec<String>,
    /// The model commune's code (`no_poor`).
    pub commune: String,
    /// `poor_rate_below`: leave out social protection, accidents and grave
    /// illness.
    pub excluding: bool,
}

/// A plan as a unit's officer issues it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPlan {
    pub unit_code: String,
    /// "35/KH-UBND".
    pub number: String,
    /// dd/mm/yyyy.
    pub issued_on: String,
    pub title: String,
    pub from_year: String,
    pub to_year: String,
    pub legal_bases: String,
}

/// A target as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub title: String,
    pub shape: TargetShape,
    /// Hundredths, or a count (see [`TargetShape::counts`]).
    pub value: i64,
}

/// A plan with its targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub title: String,
    pub from_year: i64,
    pub to_year: i64,
    pub legal_bases: String,
    pub targets: Vec<Target>,
}

/// Where a target stands on the day asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// Met (for a rate, at the plan's end).
    Achieved,
    /// Met so far, or on the way at the pace the plan's time asks.
    OnTrack,
    /// Not met, and behind the pace.
    AtRisk,
    /// Not met when the plan ended.
    Missed,
    /// No result to measure yet.
    NoData,
}

impl TargetStatus {
    pub fn code(self) -> &'static str {
        match self {
            TargetStatus::Achieved => "achieved",
            TargetStatus::OnTrack => "on_track",
            TargetStatus::AtRisk => "at_risk",
            TargetStatus::Missed => "missed",
            TargetStatus::NoData => "no_data",
        }
    }
}

/// A commune's part of a target: its measure (in the target's unit:
/// percent, points a year, a count) and whether it meets the value on its
/// own (None where a commune has no value of its own, as for a count).
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneProgress {
    pub code: String,
    pub name: String,
    pub measure: Option<f64>,
    pub meets: Option<bool>,
}

/// A target's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetProgress {
    pub target: Target,
    /// The year measured, and whether its review is closed everywhere.
    pub year: Option<i64>,
    pub closed: bool,
    /// The base year of a rate's change.
    pub base_year: Option<i64>,
    /// The whole unit's measure (for `poor_rate_below`, the highest
    /// commune's rate).
    pub measure: Option<f64>,
    pub status: TargetStatus,
    pub communes: Vec<CommuneProgress>,
}

/// What a target's progress is computed from besides the figures of the
/// year and of the base year: by commune code, the poor households to
/// leave out (`poor_rate_below`), the served (numerator) and those who
/// count (denominator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFacts {
    pub excluded: BTreeMap<String, i64>,
    pub served: BTreeMap<String, i64>,
    pub eligible: BTreeMap<String, i64>,
}

fn rate(poor: i64, households: i64) -> Option<f64> {
    (households > 0).then(|| 100.0 * poor as f64 / households as f64)
}

fn poor_of(c: &CommuneFigures) -> i64 {
    c.statuses.get(&Status::Poor).copied().unwrap_or(0)
}

/// A target's progress from the figures of the year measured and of its
/// base year (grouped by the communes of the year measured), the facts,
/// the plan's last year and the day asked. Pure: tested against cases
/// computed by hand.
pub fn progress(
    target: &Target,
    plan_to_year: i64,
    plan_from_year: i64,
    now: Option<&ReportFigures>,
    base: Option<&ReportFigures>,
    facts: &TargetFacts,
    today: NaiveDate,
) -> TargetProgress {
    let value = if target.shape.counts() {
        target.value as f64
    } else {
        target.value as f64 / 100.0
    };
    let mut out = TargetProgress {
        target: target.clone(),
        year: now.map(|f| f.year.as_i64()),
        closed: now.is_some_and(ReportFigures::closed),
        base_year: None,
        measure: None,
        status: TargetStatus::NoData,
        communes: Vec::new(),
    };
    let ended = today > NaiveDate::from_ymd_opt(plan_to_year as i32, 12, 31).unwrap_or(today);
    let elapsed_share = {
        let start = NaiveDate::from_ymd_opt(plan_from_year as i32, 1, 1).unwrap_or(today);
        let end = NaiveDate::from_ymd_opt(plan_to_year as i32, 12, 31).unwrap_or(today);
        let whole = (end - start).num_days().max(1) as f64;
        ((today - start).num_days() as f64 / whole).clamp(0.0, 1.0)
    };
    // Deliveries count whether or not a review year has results.
    if let TargetShape::Served { .. } = &target.shape {
        let n: i64 = facts.served.values().sum();
        out.measure = Some(n as f64);
        out.communes = now
            .map(|f| {
                f.communes
                    .iter()
                    .map(|c| CommuneProgress {
                        code: c.code.clone(),
                        name: c.name.clone(),
                        measure: Some(facts.served.get(&c.code).copied().unwrap_or(0) as f64),
                        meets: None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.status = if n as f64 >= value {
            TargetStatus::Achieved
        } else if ended {
            TargetStatus::Missed
        } else if n as f64 >= value * elapsed_share {
            TargetStatus::OnTrack
        } else {
            TargetStatus::AtRisk
        };
        return out;
    }
    let Some(now) = now.filter(|f| !f.communes.is_empty()) else {
        return out;
    };
    let year = now.year.as_i64();
    let total_of = |f: &ReportFigures| {
        f.communes
            .iter()
            .fold((0, 0), |(p, h), c| (p + poor_of(c), h + c.households))
    };
    let commune = |c: &CommuneFigures, measure: Option<f64>, meets: Option<bool>| CommuneProgress {
        code: c.code.clone(),
        name: c.name.clone(),
        measure,
        meets,
    };
    // Whether a rate-like target is met, and whether it is cumulative.
    let (met, cumulative) = match &target.shape {
        TargetShape::PoorRateDrop => {
            let Some(base) = base.filter(|b| b.year.as_i64() < year) else {
                return out;
            };
            let years = (year - base.year.as_i64()) as f64;
            out.base_year = Some(base.year.as_i64());
            let drop = |before: Option<f64>, after: Option<f64>| Some((before? - after?) / years);
            let (bp, bh) = total_of(base);
            let (np, nh) = total_of(now);
            out.measure = drop(rate(bp, bh), rate(np, nh));
            let base_by: BTreeMap<&str, &CommuneFigures> =
                base.communes.iter().map(|c| (c.code.as_str(), c)).collect();
            out.communes = now
                .communes
                .iter()
                .map(|c| {
                    let before = base_by
                        .get(c.code.as_str())
                        .and_then(|b| rate(poor_of(b), b.households));
                    let m = drop(before, rate(poor_of(c), c.households));
                    commune(c, m, m.map(|m| m >= value))
                })
                .collect();
            (out.measure.is_some_and(|m| m >= value), false)
        }
        TargetShape::PoorRateBelow { excluding } => {
            out.communes = now
                .communes
                .iter()
                .map(|c| {
                    let left_out = if *excluding {
                        facts.excluded.get(&c.code).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    let m = rate((poor_of(c) - left_out).max(0), c.households);
                    commune(c, m, m.map(|m| m < value))
                })
                .collect();
            out.measure = out
                .communes
                .iter()
                .filter_map(|c| c.measure)
                .fold(None, |worst: Option<f64>, m| {
                    Some(worst.map_or(m, |w| w.max(m)))
                });
            (out.communes.iter().all(|c| c.meets != Some(false)), false)
        }
        TargetShape::NoPoor { commune: code } => {
            out.communes = now
                .communes
                .iter()
                .filter(|c| &c.code == code)
                .map(|c| commune(c, Some(poor_of(c) as f64), Some(poor_of(c) == 0)))
                .collect();
            out.measure = out.communes.first().and_then(|c| c.measure);
            (out.measure == Some(0.0), false)
        }
        TargetShape::Served { .. } => unreachable!("counted above"),
        TargetShape::ShareServed { .. } => {
            let share = |served: i64, eligible: i64| {
                (eligible > 0).then(|| 100.0 * served as f64 / eligible as f64)
            };
            out.communes = now
                .communes
                .iter()
                .map(|c| {
                    let m = share(
                        facts.served.get(&c.code).copied().unwrap_or(0),
                        facts.eligible.get(&c.code).copied().unwrap_or(0),
                    );
                    commune(c, m, m.map(|m| m >= value))
                })
                .collect();
            out.measure = share(facts.served.values().sum(), facts.eligible.values().sum());
            (out.measure.is_some_and(|m| m >= value), true)
        }
    };
    out.status = match (met, ended && out.closed) {
        (true, true) => TargetStatus::Achieved,
        // A share reached in a closed year stays reached.
        (true, false) if cumulative && out.closed => TargetStatus::Achieved,
        // Met so far, or in a year still under review: not yet the result.
        (true, false) => TargetStatus::OnTrack,
        (false, true) => TargetStatus::Missed,
        (false, false) => match (cumulative, out.measure) {
            (true, Some(m)) if m >= value * elapsed_share => TargetStatus::OnTrack,
            _ => TargetStatus::AtRisk,
        },
    };
    if out.measure.is_none() {
        out.status = TargetStatus::NoData;
    }
    out
}

fn invalid(problems: Vec<String>) -> RegistryError {
    RegistryError::Invalid(problems)
}

/// A value in hundredths from "2,5" (or a count from "4.000").
fn parse_value(text: &str, counts: bool) -> Result<i64, String> {
    let bad = || format!("giá trị chỉ tiêu: \"{text}\" không phải số");
    if counts {
        return vntext::parse_whole(text)
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(bad);
    }
    let v = vntext::parse_decimal(text).map_err(|_| bad())?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("giá trị chỉ tiêu: {text} ngoài khoảng 0–100"));
    }
    Ok((v * 100.0).round() as i64)
}

impl Registry {
    /// Issues a plan of a unit the actor writes in.
    pub async fn add_plan(&self, actor: &Actor, new: &NewPlan) -> Result<i64, RegistryError> {
        let unit = self.writable_unit(actor, new.unit_code.trim()).await?;
        let mut problems = Vec::new();
        let number =
            crate::limits::checked_into("số kế hoạch", &new.number, LINE, true, &mut problems);
        let title =
            crate::limits::checked_into("tên kế hoạch", &new.title, LINE, true, &mut problems);
        let bases = crate::limits::checked_into(
            "căn cứ",
            &new.legal_bases,
            LONG_TEXT,
            false,
            &mut problems,
        );
        let issued = vntext::parse_date(&new.issued_on);
        if issued.is_none() {
            problems.push(format!(
                "ngày ban hành: \"{}\" không đúng dạng dd/mm/yyyy",
                new.issued_on
            ));
        }
        let years = (
            ReviewYear::parse(new.from_year.trim()),
            ReviewYear::parse(new.to_year.trim()),
        );
        let (from, to) = match years {
            (Ok(f), Ok(t)) if f <= t => (f, t),
            (Ok(_), Ok(_)) => {
                problems.push("năm kết thúc: không trước năm bắt đầu".into());
                return Err(invalid(problems));
            }
            (f, t) => {
                for (label, e) in [("năm bắt đầu", f.err()), ("năm kết thúc", t.err())] {
                    if let Some(e) = e {
                        problems.push(format!("{label}: {e}"));
                    }
                }
                return Err(invalid(problems));
            }
        };
        let (Some(issued), true) = (issued, problems.is_empty()) else {
            return Err(invalid(problems));
        };
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plans (unit_id, number, issued_on, title, from_year, to_year, legal_bases, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(unit.id)
        .bind(&number)
        .bind(issued.format("%Y-%m-%d").to_string())
        .bind(&title)
        .bind(from.as_i64())
        .bind(to.as_i64())
        .bind(&bases)
        .bind(crate::now())
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Plan,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"plan": number, "title": title, "issued_on": vntext::format_date(issued), "years": format!("{from}–{to}")}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plan `id` with its unit, in the actor's scope (else not found).
    async fn plan_row(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(Plan, crate::units::Unit), RegistryError> {
        type Row = (i64, UnitId, String, String, String, i64, i64, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, unit_id, number, issued_on, title, from_year, to_year, legal_bases FROM plans WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let not_found = || RegistryError::NotFound(format!("kế hoạch {id}"));
        let (id, unit_id, number, issued_on, title, from_year, to_year, legal_bases) =
            row.ok_or_else(not_found)?;
        let unit = self.unit(unit_id).await?.ok_or_else(not_found)?;
        if !self.reads_issued_by(actor, unit.id).await? {
            return Err(not_found());
        }
        let targets = self.targets_of(id).await?;
        Ok((
            Plan {
                id,
                unit_code: unit.code.clone(),
                unit_name: unit.name.clone(),
                number,
                issued_on: vntext::parse_date(&issued_on).unwrap_or_default(),
                title,
                from_year,
                to_year,
                legal_bases,
                targets,
            },
            unit,
        ))
    }

    async fn targets_of(&self, plan: i64) -> Result<Vec<Target>, RegistryError> {
        type Row = (
            i64,
            String,
            String,
            i64,
            String,
            String,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT t.id, t.title, t.shape, t.value, t.policies, t.standings, u.code, t.excluding \
             FROM plan_targets t LEFT JOIN units u ON u.id = t.commune_id WHERE t.plan_id = $1 ORDER BY t.id",
        )
        .bind(plan)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, title, shape, value, policies, standings, commune, excluding)| {
                    let policies = crate::values::codes(&policies);
                    let shape = match shape.as_str() {
                        "poor_rate_drop" => TargetShape::PoorRateDrop,
                        "poor_rate_below" => TargetShape::PoorRateBelow {
                            excluding: excluding == 1,
                        },
                        "no_poor" => TargetShape::NoPoor { commune: commune? },
                        "served" => TargetShape::Served { policies },
                        "share_served" => TargetShape::ShareServed {
                            policy: policies.into_iter().next()?,
                            standings: crate::values::codes(&standings)
                                .iter()
                                .filter_map(|s| standing_of(s))
                                .collect(),
                        },
                        _ => return None,
                    };
                    Some(Target {
                        id,
                        title,
                        shape,
                        value,
                    })
                },
            )
            .collect())
    }

    /// Adds a target to a plan of a unit the actor writes in.
    pub async fn add_target(
        &self,
        actor: &Actor,
        plan_id: i64,
        new: &NewTarget,
        policies: &support::Catalogue,
    ) -> Result<i64, RegistryError> {
        let (plan, unit) = self.plan_row(actor, plan_id).await?;
        self.writable_unit(actor, &unit.code).await?;
        let mut problems = Vec::new();
        let title = crate::limits::checked_into("chỉ tiêu", &new.title, LINE, true, &mut problems);
        let mut commune_id = None;
        let shape = match new.shape.as_str() {
            "poor_rate_drop" => TargetShape::PoorRateDrop,
            "poor_rate_below" => TargetShape::PoorRateBelow {
                excluding: new.excluding,
            },
            "no_poor" => {
                let code = new.commune.trim().to_string();
                match self.communes_within(actor, &unit.code).await {
                    _ if code.is_empty() => problems.push("xã điểm: chưa chọn xã".into()),
                    Ok(within) => match self.unit_by_code(&code).await? {
                        Some(c)
                            if c.level == crate::units::Level::Commune
                                && within.contains(&c.id) =>
                        {
                            commune_id = Some(c.id)
                        }
                        _ => problems.push(format!(
                            "xã điểm: \"{code}\" không phải một xã của {}",
                            unit.name
                        )),
                    },
                    Err(e) => return Err(e),
                }
                TargetShape::NoPoor { commune: code }
            }
            "served" | "share_served" => {
                for p in &new.policies {
                    if policies.policy(p).is_none() {
                        problems.push(format!("chính sách: \"{p}\" không có trong danh mục"));
                    }
                }
                if new.policies.is_empty() {
                    problems.push("chính sách: chưa chọn chính sách".into());
                }
                if new.shape == "served" {
                    TargetShape::Served {
                        policies: new.policies.clone(),
                    }
                } else {
                    let standings: Vec<Standing> = new
                        .standings
                        .iter()
                        .filter_map(|s| standing_of(s))
                        .collect();
                    if standings.is_empty() || standings.len() != new.standings.len() {
                        problems.push(
                            "đối tượng: chọn hộ nghèo, hộ cận nghèo hoặc hộ mới thoát nghèo".into(),
                        );
                    }
                    if new.policies.len() > 1 {
                        problems
                            .push("chính sách: tỷ lệ được hỗ trợ tính cho một chính sách".into());
                    }
                    TargetShape::ShareServed {
                        policy: new.policies.first().cloned().unwrap_or_default(),
                        standings,
                    }
                }
            }
            other => {
                problems.push(format!("loại chỉ tiêu: \"{other}\" không có"));
                return Err(invalid(problems));
            }
        };
        let value = if matches!(shape, TargetShape::NoPoor { .. }) {
            0
        } else {
            parse_value(new.value.trim(), shape.counts()).unwrap_or_else(|p| {
                problems.push(p);
                0
            })
        };
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let standings = match &shape {
            TargetShape::ShareServed { standings, .. } => standings
                .iter()
                .map(|s| standing_code(*s))
                .collect::<Vec<_>>()
                .join(";"),
            _ => String::new(),
        };
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_targets (plan_id, title, shape, value, policies, standings, commune_id, excluding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(plan.id)
        .bind(&title)
        .bind(shape.code())
        .bind(value)
        .bind(new.policies.join(";"))
        .bind(&standings)
        .bind(commune_id)
        .bind(i64::from(matches!(shape, TargetShape::PoorRateBelow { excluding: true })))
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::PlanTarget,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"plan": plan.number, "target": title, "shape": shape.code(), "value": new.value.trim()}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plans of a unit in the actor's scope, and of the units above it
    /// (a commune reads its province's plan), newest first.
    pub async fn plans(&self, actor: &Actor, unit_code: &str) -> Result<Vec<Plan>, RegistryError> {
        let unit = self.unit_in_scope(actor, unit_code).await?;
        let mut units = vec![unit.id];
        let mut parent = unit.parent_id;
        while let Some(p) = parent {
            units.push(p);
            parent = self.unit(p).await?.and_then(|u| u.parent_id);
        }
        let ids: BTreeSet<UnitId> = units.into_iter().collect();
        let sql = format!(
            "SELECT id FROM plans WHERE unit_id IN ({}) ORDER BY issued_on DESC, id DESC",
            id_list(&ids)
        );
        // Only unit ids (integers from the database) are formatted into the SQL.
        let plan_ids: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for (id,) in plan_ids {
            out.push(self.plan_row(actor, id).await?.0);
        }
        Ok(out)
    }

    /// A plan and each target's progress on `today`, for the plan's unit
    /// as a whole and by commune. The year measured is the latest with
    /// results within the plan's years.
    pub async fn plan_progress(
        &self,
        actor: &Actor,
        plan_id: i64,
        today: NaiveDate,
        catalogue: &support::Catalogue,
    ) -> Result<(Plan, Vec<TargetProgress>), RegistryError> {
        let (plan, unit) = self.plan_row(actor, plan_id).await?;
        // The figures are read as the administrator of the plan's unit: a
        // commune reading its district's plan sees every commune's progress
        // (aggregates only).
        let reader = Registry::aggregates_reader(actor, unit.id);
        let years: Vec<i64> = self
            .year_counts(&reader, Some(&unit.code))
            .await?
            .iter()
            .filter(|y| y.assessed > 0)
            .map(|y| y.year)
            .collect();
        let year = years
            .iter()
            .copied()
            .filter(|y| *y >= plan.from_year && *y <= plan.to_year)
            .max();
        let base_year = years
            .iter()
            .copied()
            .filter(|y| *y < plan.from_year)
            .max()
            .or_else(|| years.iter().copied().filter(|y| *y >= plan.from_year).min());
        let communes: BTreeSet<UnitId> = self
            .communes_within(&reader, &unit.code)
            .await?
            .into_iter()
            .collect();
        // Deliveries count up to today's year within the plan, whatever
        // year the review has reached.
        let served_to = plan.to_year.min(i64::from(chrono::Datelike::year(&today)));
        // The figures of the year measured (and its base), if any.
        let now = match year.and_then(|y| ReviewYear::new(y).ok()) {
            Some(y) => Some(self.figures_as_of(&reader, &unit.code, y, y).await?),
            None => None,
        };
        let base = match (
            base_year.and_then(|y| ReviewYear::new(y).ok()),
            now.as_ref().map(|n| n.year),
        ) {
            (Some(b), Some(y)) if b < y => {
                Some(self.figures_as_of(&reader, &unit.code, b, y).await?)
            }
            _ => None,
        };
        let mut out = Vec::new();
        for t in &plan.targets {
            let facts = self
                .target_facts(
                    t,
                    &communes,
                    (plan.from_year, served_to),
                    now.as_ref(),
                    policies_member(t, catalogue),
                )
                .await?;
            out.push(progress(
                t,
                plan.to_year,
                plan.from_year,
                now.as_ref(),
                base.as_ref(),
                &facts,
                today,
            ));
        }
        Ok((plan, out))
    }

    /// What a target reads besides the kept figures, by the code of the
    /// commune that reviews at `year`'s end.
    async fn target_facts(
        &self,
        target: &Target,
        communes: &BTreeSet<UnitId>,
        (from_year, served_to): (i64, i64),
        now: Option<&ReportFigures>,
        member_policy: Option<bool>,
    ) -> Result<TargetFacts, RegistryError> {
        let mut facts = TargetFacts::default();
        if communes.is_empty() {
            return Ok(facts);
        }
        let list = id_list(communes);
        // The year measured, else (deliveries only) the last year counted.
        let y = now.map_or(served_to, |n| n.year.as_i64());

        // Each commune's code as the commune that reviews it at the year's
        // end: read once, so the counts below group by the commune's id
        // (a subquery per row cost seconds at a million households).
        let day = format!("'{y}-12-31'");
        let sql = format!(
            "SELECT u.id, {} FROM units u {} WHERE u.id IN ({list})",
            crate::units::successor("code", &day),
            crate::units::SUCCESSOR_JOIN
        );
        // Only unit ids (integers from the database) and the year are formatted into the SQL.
        let reviewer_of: HashMap<UnitId, String> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.db.reports())
            .await?
            .into_iter()
            .collect();
        let reviewer = "h.commune_id";
        let add = |map: &mut BTreeMap<String, i64>, rows: Vec<(UnitId, i64)>| {
            for (commune, n) in rows {
                if let Some(code) = reviewer_of.get(&commune) {
                    *map.entry(code.clone()).or_default() += n;
                }
            }
        };
        if let TargetShape::Served { policies } = &target.shape {
            let list_of = policy_list(policies);
            let sql = format!(
                "SELECT {reviewer}, COUNT(DISTINCT CASE WHEN d.member_id IS NULL THEN -d.household_id ELSE d.member_id END) \
                 FROM deliveries d JOIN households h ON h.id = d.household_id \
                 WHERE d.policy IN ({list_of}) AND d.year BETWEEN $1 AND $2 AND h.commune_id IN ({list}) GROUP BY 1"
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(from_year)
                .bind(served_to);
            for p in policies {
                q = q.bind(p.clone());
            }
            let rows: Vec<(UnitId, i64)> = q.fetch_all(self.db.reports()).await?;
            add(&mut facts.served, rows);
            return Ok(facts);
        }
        let Some(now) = now else {
            return Ok(facts);
        };
        match &target.shape {
            TargetShape::PoorRateBelow { excluding: true } => {
                // Social protection, from the kept tallies; accidents and
                // grave illness from the profiles, less those already left
                // out for social protection.
                for c in &now.communes {
                    let n = c
                        .tallies
                        .get(&Measure::Group(Group::SocialProtection, Status::Poor));
                    facts.excluded.insert(c.code.clone(), n);
                }
                let sql = format!(
                    "SELECT {reviewer}, p.causes FROM household_profiles p \
                     JOIN households h ON h.id = p.household_id \
                     JOIN assessments a ON a.household_id = p.household_id AND a.year = p.year AND a.official = 1 AND a.status = 'poor' \
                     WHERE p.year = $1 AND h.commune_id IN ({list}) \
                     AND NOT EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id AND m.removed_on IS NULL AND m.social_protection = 1)"
                );
                // Only unit ids and the year are formatted into the SQL.
                let rows: Vec<(UnitId, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(y)
                    .fetch_all(self.db.reports())
                    .await?;
                let accident: Vec<(UnitId, i64)> = rows
                    .into_iter()
                    .filter(|(_, causes)| {
                        crate::values::codes(causes)
                            .iter()
                            .any(|c| c == "sudden_accident" || c == "grave_illness")
                    })
                    .map(|(code, _)| (code, 1))
                    .collect();
                add(&mut facts.excluded, accident);
            }
            TargetShape::ShareServed { policy, standings } => {
                // The households of the standings in `year`: poor and
                // near-poor by their status; escaped: poor in a year of
                // the plan (or the one before) and neither since. The
                // standings are apart (no household is in two), so each is
                // counted on its own and added: an escaped household is
                // found from the poor of the years before (an index range),
                // not by looking at every household of the year.
                let members = member_policy == Some(true);
                let (count, join, served_join) = if members {
                    (
                        "COUNT(DISTINCT m.id)",
                        "JOIN members m ON m.household_id = h.id AND m.removed_on IS NULL",
                        "JOIN deliveries d ON d.member_id = m.id",
                    )
                } else {
                    (
                        "COUNT(DISTINCT h.id)",
                        "",
                        "JOIN deliveries d ON d.household_id = h.id",
                    )
                };
                for s in standings {
                    let (from, who) = match s {
                        Standing::Poor => ("FROM assessments a", "a.status = 'poor'".to_string()),
                        Standing::NearPoor => {
                            ("FROM assessments a", "a.status = 'near_poor'".to_string())
                        }
                        Standing::Escaped => {
                            let years: Vec<String> =
                                (from_year - 1..y).map(|y| y.to_string()).collect();
                            if years.is_empty() {
                                continue;
                            }
                            // From the poor of those years (the index by
                            // year and status), then their year measured:
                            // CROSS JOIN keeps SQLite to that order.
                            (
                                "FROM assessments b CROSS JOIN assessments a",
                                format!(
                                    "a.household_id = b.household_id AND a.status NOT IN ('poor', 'near_poor') \
                                     AND b.official = 1 AND b.status = 'poor' AND b.year IN ({})",
                                    years.join(", ")
                                ),
                            )
                        }
                        _ => continue,
                    };
                    let base = format!("{from} CROSS JOIN households h {join}");
                    let filter = format!(
                        "WHERE h.id = a.household_id AND a.year = $1 AND a.official = 1 AND {who} AND h.commune_id IN ({list})"
                    );
                    let sql = format!("SELECT {reviewer}, {count} {base} {filter} GROUP BY 1");
                    // Only unit ids, years and fixed words are formatted into the SQL.
                    let rows: Vec<(UnitId, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(y)
                        .fetch_all(self.db.reports())
                        .await?;
                    add(&mut facts.eligible, rows);
                    let sql = format!(
                        "SELECT {reviewer}, {count} {base} {served_join} AND d.policy = $2 AND d.year BETWEEN $3 AND $1 {filter} GROUP BY 1"
                    );
                    let rows: Vec<(UnitId, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(y)
                        .bind(policy.clone())
                        .bind(from_year)
                        .fetch_all(self.db.reports())
                        .await?;
                    add(&mut facts.served, rows);
                }
            }
            _ => {}
        }
        Ok(facts)
    }
}

/// `$3, $4, …` for the policies of a query whose first two parameters are
/// the years.
fn policy_list(policies: &[String]) -> String {
    (3..policies.len() + 3)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a target's policy is delivered to members (None: no policy).
fn policies_member(target: &Target, catalogue: &support::Catalogue) -> Option<bool> {
    match &target.shape {
        TargetShape::ShareServed { policy, .. } => Some(
            catalogue
                .policy(policy)
                .is_some_and(|p| p.to == support::Recipient::Member),
        ),
        _ => None,
    }
}
