//! Read-only views for the pages and the API: lists with filters, a
//! household with everything about it, the dashboard's counts. Every view
//! takes the actor and shows only what its scope holds; a household outside
//! it is "not found", never "forbidden", so its existence does not leak.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability, id_list, scope_clause};
use crate::service::{Action, AuditEntry, Entity, Registry};
use crate::units::Unit;
use crate::values::{HouseholdId, MemberId, UnitId};
use std::collections::BTreeSet;

/// A name search of the list: the scope's SQL restriction, the search key
/// and its upper bound, the text as typed (an exact household code), the
/// year of the statuses shown and the page asked for.
struct NameSearch<'a> {
    units: &'a str,
    key: &'a str,
    upper: String,
    code: &'a str,
    year: i64,
    page: i64,
    per_page: i64,
}

impl NameSearch<'_> {
    /// The asked page of households in search order.
    fn page_of(&self, order: impl IntoIterator<Item = HouseholdId>) -> Vec<HouseholdId> {
        order
            .into_iter()
            .skip(((self.page - 1) * self.per_page) as usize)
            .take(self.per_page as usize)
            .collect()
    }
}

/// The columns of a read of `household_spans` (the removal date empty
/// as none).
pub(crate) const SPAN_COLUMNS: &[&str] = &["commune_id", "first_year", "removed_on", "households"];

/// Units depth first, siblings by [`vntext::natural_sort_key`] of their name.
pub(crate) fn tree_order(units: Vec<Unit>) -> Vec<Unit> {
    use std::collections::{BTreeMap, HashSet};
    let ids: HashSet<UnitId> = units.iter().map(|u| u.id).collect();
    let mut children: BTreeMap<Option<UnitId>, Vec<Unit>> = BTreeMap::new();
    for u in units {
        let parent = u.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(u);
    }
    for list in children.values_mut() {
        list.sort_by_cached_key(|u| (vntext::natural_sort_key(&u.name), u.code.clone()));
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut stack: Vec<Unit> = children.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(u) = stack.pop() {
        if let Some(mut kids) = children.remove(&Some(u.id)) {
            kids.reverse();
            stack.extend(kids);
        }
        out.push(u);
    }
    out
}

/// A value bound to a numbered placeholder.
enum Bind {
    Int(i64),
    Text(String),
}

/// Binds values in order to a query of any of sqlx's kinds.
fn bind_all<'q, Q: BindValues<'q>>(mut query: Q, binds: &'q [Bind]) -> Q {
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind_i64(*v),
            Bind::Text(v) => query.bind_text(v),
        };
    }
    query
}

trait BindValues<'q> {
    fn bind_i64(self, v: i64) -> Self;
    fn bind_text(self, v: &'q str) -> Self;
}

impl<'q, O> BindValues<'q> for sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    fn bind_i64(self, v: i64) -> Self {
        self.bind(v)
    }
    fn bind_text(self, v: &'q str) -> Self {
        self.bind(v)
    }
}

impl<'q, O> BindValues<'q> for sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    fn bind_i64(self, v: i64) -> Self {
        self.bind(v)
    }
    fn bind_text(self, v: &'q str) -> Self {
        self.bind(v)
    }
}

/// A name search counts its matches up to this many; beyond, the total is
/// "at least" this (`list_households` returns the cap).
pub const SEARCH_COUNT_CAP: i64 = 1_000;

/// A list's total from the kept counts.
enum Kept {
    Exact(i64),
    /// The list holds at least this many.
    AtLeast(i64),
}

/// Where a list's SQL compares the official status (see `list_households`).
const STATUS: &str = "{status}";
/// Where it compares the year before's official status.
const PREVIOUS: &str = "{previous}";

/// A list's SQL with its status placeholders: for a small scope as
/// expressions no index serves (the scope's households are read first and
/// each tested), for a large one as the columns.
fn statuses_read(sql: &str, small: bool) -> String {
    if small {
        sql.replace(STATUS, "(a.status || '')")
            .replace(PREVIOUS, "(p.status || '')")
    } else {
        sql.replace(STATUS, "a.status")
            .replace(PREVIOUS, "p.status")
    }
}

/// The assessment a list with many matches reads in name order when its
/// filters fix its status (`assessments_year`): the year's (a status,
/// newly or again poor) or the year before's (escaped: its poor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walked {
    Year,
    YearBefore,
}

impl Walked {
    /// Its alias in the list's SQL (`a` the year's, `p` the year before's).
    fn alias(self) -> &'static str {
        match self {
            Walked::Year => "a",
            Walked::YearBefore => "p",
        }
    }
}

/// A list counts its matches up to this many; beyond, it says "more than"
/// (a province's list would otherwise count a million rows per page).
pub const LIST_COUNT_CAP: i64 = 10_000;

/// How many households a list matched: exact, or at least `count` when
/// `capped` (the count stopped at a cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTotal {
    pub count: i64,
    pub capped: bool,
}

impl ListTotal {
    /// Whether a page after the first `shown` rows has rows.
    pub fn has_more_than(self, shown: i64) -> bool {
        self.capped || shown < self.count
    }
}

/// A scope of fewer households than this is searched household by household.
pub(crate) const SMALL_SCOPE: i64 = 5_000;

/// Filters of the household list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdQuery {
    /// Name prefix, with or without diacritics.
    pub q: String,
    /// A unit code: the commune or village (and what rolled into it).
    pub unit: Option<String>,
    /// Official status in `year`.
    pub status: Option<standard::Status>,
    /// Deprived in this indicator in `year`.
    pub deprived: Option<String>,
    /// A group from the members.
    pub group: Option<crate::tallies::Group>,
    /// A movement into `year`.
    pub movement: Option<crate::movements::MovementFilter>,
    pub year: Option<i64>,
    pub page: i64,
    pub per_page: i64,
    /// A household's code: the page is the one after it in the list's
    /// name order, read from there by the index (a deep page costs what
    /// the first does) rather than by counting past `page - 1` pages.
    /// Not for name searches, which rank their matches.
    pub after: Option<String>,
    /// A household's code: the page is the one before it.
    pub before: Option<String>,
}

/// A row of the household list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: HouseholdId,
    pub code: String,
    pub head_name: String,
    pub commune: String,
    pub village: Option<String>,
    #[sqlx(try_from = "crate::values::StatusText")]
    pub status: Option<standard::Status>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberView {
    pub id: MemberId,
    pub full_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub relation: String,
    pub ethnicity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssessmentView {
    pub year: i64,
    pub standard_id: String,
    pub official: i64,
    #[sqlx(try_from = "String")]
    pub status: standard::Status,
    pub deprivation_count: i64,
    pub deprived: String,
    pub reason: String,
}

/// A household with everything the household page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdDetail {
    pub id: HouseholdId,
    pub code: String,
    pub head_name: String,
    pub address: String,
    pub phone: String,
    pub commune: String,
    pub commune_code: String,
    /// The commune the household's commune is part of today, when it has
    /// been merged (the household keeps its history under its own).
    pub commune_now: Option<String>,
    pub village: Option<String>,
    pub removed_on: Option<String>,
    pub members: Vec<MemberView>,
    pub assessments: Vec<AssessmentView>,
    pub audit: Vec<AuditEntry>,
}

/// One review year of a unit. The rate of a year is over the households on
/// the registry in the unit that year — there by its end (registered, or
/// assessed in it or before) and not removed before it ended, or assessed
/// in it — and only once every commune of the unit
/// has closed its review of the year; until then the year is in progress
/// and only its own counts are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct YearCounts {
    pub year: i64,
    /// Households on the registry in the unit that year.
    pub households: i64,
    /// Households with an official assessment of the year.
    pub assessed: i64,
    pub poor: i64,
    pub near_poor: i64,
    /// Communes of the unit with households that year …
    pub communes: i64,
    /// … and of those, the ones whose review of the year is closed.
    pub communes_closed: i64,
}

impl YearCounts {
    /// Every commune has closed its review: the year's results are final.
    pub fn closed(&self) -> bool {
        self.communes > 0 && self.communes_closed == self.communes
    }
}

/// What a list reads: the family of the unit asked for (None: no unit
/// asked; its communes, or its villages when it is a village) and the
/// split of what it reads into whole provinces and other communes.
pub(crate) struct ListUnits {
    family: Option<BTreeSet<UnitId>>,
    /// The unit asked for is a village.
    pub(crate) village: bool,
    /// What the list reads, as the kept counts and the provinces hold it:
    /// the family's split if a unit is asked for (a family in the scope is
    /// within it), else the scope's; None: everything.
    split: Option<std::sync::Arc<crate::service::Split>>,
}

/// `AND …` restricting a kept table (`commune_id`: a commune, or a
/// province's roll-up row) to what a list reads: every province's roll-up
/// when it reads everything.
pub(crate) fn kept_clause(split: Option<&crate::service::Split>) -> String {
    match split {
        None => " AND commune_id IN (SELECT id FROM units WHERE parent_id IS NULL)".to_string(),
        Some(s) => {
            let kept = s.kept();
            if kept.is_empty() {
                " AND 1 = 0".to_string()
            } else {
                format!(" AND commune_id IN ({})", id_list(&kept))
            }
        }
    }
}

impl ListUnits {
    /// The list is of one commune's households, which its index holds in
    /// name order.
    pub(crate) fn one_commune(&self) -> bool {
        !self.village
            && self
                .split
                .as_deref()
                .is_some_and(|s| s.provinces.is_empty() && s.communes.len() == 1)
    }

    /// `AND …` on the households `h` of the list (see `clause`), read
    /// through the communes' index.
    pub(crate) fn households_clause(&self) -> String {
        self.clause(true)
    }

    /// `AND …` restricting a kept table to what the list reads.
    pub(crate) fn kept_clause(&self) -> String {
        kept_clause(self.split.as_deref())
    }

    /// `AND …` on the households `h`: in the unit's family if one is asked
    /// for (within the scope), else in the scope: whole provinces by their
    /// `province_id` (on PostgreSQL, their partitions), other communes one
    /// by one, a village's villages. Unindexed (`+h.commune_id`), the
    /// planner tests each household of the name order instead of reading
    /// the communes first.
    fn clause(&self, indexed: bool) -> String {
        let plus = if indexed { "" } else { "+" };
        if self.village {
            return match &self.family {
                Some(ids) if !ids.is_empty() => {
                    format!(" AND {plus}h.village_id IN ({})", id_list(ids))
                }
                _ => " AND 1 = 0".to_string(),
            };
        }
        match &self.split {
            Some(split) => split.households_clause(plus),
            None => String::new(),
        }
    }
}

/// The list asks for a status and nothing else of the households.
fn clause_is_status_only(q: &HouseholdQuery) -> bool {
    q.deprived.as_deref().is_none_or(str::is_empty) && q.group.is_none() && q.movement.is_none()
}

impl Registry {
    /// The units the actor may see, as a tree read from the top: each unit
    /// followed by its own, those in the order people read names (numbers as
    /// numbers: Thôn 2 before Thôn 10).
    pub async fn units_in_scope(&self, actor: &Actor) -> Result<Vec<Unit>, RegistryError> {
        let scope = self.scope(actor).await?;
        let units: Vec<Unit> = match scope.units() {
            None => self.units().await?,
            Some(ids) if ids.is_empty() => Vec::new(),
            // Only unit ids (integers from the database) are formatted into the SQL.
            Some(ids) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units WHERE id IN ({})",
                    id_list(ids)
                )))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        Ok(tree_order(units))
    }

    /// The units a list's picker offers: those of the scope above the
    /// villages, and the villages of one commune only (the actor's own, or
    /// that of `selected`), in tree order. A province has thousands of
    /// villages; an `<option>` for each is a page no officer can use.
    pub async fn unit_choices(
        &self,
        actor: &Actor,
        selected: Option<&str>,
    ) -> Result<Vec<Unit>, RegistryError> {
        let scope = self.scope(actor).await?;
        let columns =
            "id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note";
        // In tree order, kept with the scope (ordering a province's
        // communes by name is most of a picker's time).
        let mut units: Vec<Unit> = match (scope.units(), actor.unit_id) {
            (Some(_), None) => Vec::new(),
            (_, unit) => {
                let key = unit.unwrap_or(UnitId::new(0));
                match self.cached_choices(key) {
                    Some(units) => units.as_ref().clone(),
                    None => {
                        let units = tree_order(
                            self.units_above_villages()
                                .await?
                                .iter()
                                .filter(|u| scope.contains(u.id))
                                .cloned()
                                .collect(),
                        );
                        self.keep_choices(key, std::sync::Arc::new(units.clone()));
                        units
                    }
                }
            }
        };
        // The commune whose villages are listed.
        let commune = match selected.filter(|c| !c.is_empty()) {
            Some(code) => self.unit_by_code(code).await?.and_then(|u| match u.level {
                crate::units::Level::Village => u.parent_id,
                crate::units::Level::Commune => Some(u.id),
                _ => None,
            }),
            None => units
                .iter()
                .find(|u| u.level == crate::units::Level::Commune && Some(u.id) == actor.unit_id)
                .map(|u| u.id),
        };
        if let Some(commune) = commune.filter(|c| scope.contains(*c)) {
            let villages: Vec<Unit> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM units WHERE parent_id = $1 AND level = 'village'"
            )))
            .bind(commune)
            .fetch_all(&self.db.pool)
            .await?;
            // The villages right under their commune, in their own order.
            let villages = tree_order(villages);
            let at = units
                .iter()
                .position(|u| u.id == commune)
                .map_or(units.len(), |i| i + 1);
            units.splice(at..at, villages);
        }
        Ok(units)
    }

    /// The units above the villages of the actor's scope (and the
    /// villages of the actor's own commune) whose code starts with `text`
    /// or whose name holds it, marks and case aside: a picker's search as
    /// you type. At most `limit`: the unit so named first, then the names
    /// that begin with it, then the others, each in tree order.
    pub async fn find_units(
        &self,
        actor: &Actor,
        text: &str,
        limit: usize,
    ) -> Result<Vec<Unit>, RegistryError> {
        let text = text.trim();
        let key = vntext::search_key(text);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        // The name itself first, then names that begin so, then the rest.
        let mut found: Vec<(u8, usize, Unit)> = self
            .unit_choices(actor, None)
            .await?
            .into_iter()
            .enumerate()
            .filter_map(|(order, u)| {
                let name = vntext::search_key(&u.name);
                let rank = if name == key || u.code == text {
                    0
                } else if name.starts_with(&key) || u.code.starts_with(text) {
                    1
                } else if name.contains(&key) {
                    2
                } else {
                    return None;
                };
                Some((rank, order, u))
            })
            .collect();
        found.sort_by_key(|(rank, order, _)| (*rank, *order));
        Ok(found.into_iter().take(limit).map(|(_, _, u)| u).collect())
    }

    /// The latest review year with official assessments.
    pub async fn latest_year(&self) -> Result<Option<i64>, RegistryError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(year) FROM assessments WHERE official = 1")
                .fetch_one(&self.db.pool)
                .await?,
        )
    }

    async fn unit_filter(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> Result<Option<String>, RegistryError> {
        Ok(self.list_units(actor, unit).await?.map(|u| u.clause(true)))
    }

    /// The communes (and villages) a list reads: the actor's scope, and
    /// the family of the unit asked for. None when the actor sees none of
    /// it.
    pub(crate) async fn list_units(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> Result<Option<ListUnits>, RegistryError> {
        let scope = self.scope(actor).await?;
        if scope.communes().is_some_and(BTreeSet::is_empty) {
            return Ok(None);
        }
        let mut family = None;
        let mut village = false;
        let mut split = match (actor.role, actor.unit_id) {
            (crate::gate::Role::Admin, _) | (_, None) => None,
            (_, Some(unit)) => Some(self.unit_split(unit).await?),
        };
        if let Some(code) = unit.filter(|c| !c.is_empty()) {
            let Some(u) = self.unit_by_code(code).await? else {
                return Ok(None);
            };
            if !scope.contains(u.id) {
                return Ok(None);
            }
            village = u.level == crate::units::Level::Village;
            // A household's village is one of its commune's, so a unit above
            // the villages is its communes alone (an OR with the villages
            // made PostgreSQL misjudge a commune's size tenfold and walk the
            // whole name order); a village is its villages.
            let wanted = if village {
                crate::units::Level::Village
            } else {
                crate::units::Level::Commune
            };
            family = Some(
                self.unit_family_levels(u.id)
                    .await?
                    .iter()
                    .filter(|(_, level)| *level == wanted)
                    .map(|(id, _)| *id)
                    .collect(),
            );
            split = Some(self.unit_split(u.id).await?);
        }
        Ok(Some(ListUnits {
            family,
            village,
            split,
        }))
    }

    /// Whether the units hold a large share (a quarter or more) of the
    /// registry's households, by the kept spans. Then a list walks the name
    /// order and tests the commune of each household, rather than reading
    /// the communes' households through their index and sorting them all.
    async fn holds_much(&self, units: &ListUnits) -> Result<bool, RegistryError> {
        let Some(split) = &units.split else {
            return Ok(true);
        };
        if units.village {
            return Ok(false);
        }
        // The provinces' roll-ups and the other communes' rows, against
        // every province's roll-up. Only unit ids (integers from the
        // database) are formatted into the SQL.
        let sum = |clause: String| {
            format!(
                "SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) FROM household_spans WHERE removed_on = ''{clause}"
            )
        };
        let within: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sum(kept_clause(Some(split)))))
            .fetch_one(&self.db.pool)
            .await?;
        if within == 0 {
            return Ok(false);
        }
        let all: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sum(kept_clause(None))))
            .fetch_one(&self.db.pool)
            .await?;
        Ok(within * 4 >= all && all > 0)
    }

    /// The number of households a list matches, from the kept counts
    /// (`official_counts`, `unit_tallies`) when its filters are ones they
    /// keep: exactly for one status, an indicator (with or without a
    /// status), a group with a status, a movement; at least, for a group
    /// alone (its households assessed in the year; the list shows the
    /// others too). The kept counts include removed households, which the
    /// list leaves out: those (few, found by a partial index) are counted by
    /// the list's own filter and taken away. None otherwise, and for a
    /// village (counts are kept by commune).
    async fn kept_total(
        &self,
        units: &ListUnits,
        year: i64,
        q: &HouseholdQuery,
        matching: &str,
        binds: &[Bind],
    ) -> Result<Option<Kept>, RegistryError> {
        use crate::tallies::Measure;
        if units.village {
            return Ok(None);
        }
        let statuses: Vec<standard::Status> = match q.status {
            Some(s) => vec![s],
            None => standard::Status::ALL.to_vec(),
        };
        let deprived = q.deprived.as_deref().filter(|d| !d.is_empty());
        let at_least =
            q.status.is_none() && deprived.is_none() && q.movement.is_none() && q.group.is_some();
        // (table, column, values)
        let (table, column, values): (&str, &str, Vec<String>) =
            match (q.status, deprived, q.group, q.movement) {
                (Some(s), None, None, None) => {
                    ("official_counts", "status", vec![s.code().to_string()])
                }
                (_, Some(d), None, None) => (
                    "unit_tallies",
                    "measure",
                    statuses
                        .iter()
                        .map(|s| Measure::Deprived(d.to_string(), *s).code())
                        .collect(),
                ),
                (_, None, Some(g), None) => (
                    "unit_tallies",
                    "measure",
                    statuses
                        .iter()
                        .map(|s| Measure::Group(g, *s).code())
                        .collect(),
                ),
                (None, None, None, Some(m)) => (
                    "unit_tallies",
                    "measure",
                    m.movements()
                        .iter()
                        .map(|m| Measure::Movement(*m).code())
                        .collect(),
                ),
                _ => return Ok(None),
            };
        let communes = units.kept_clause();
        let list = (2..values.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Only table and column names of this module, unit ids and
        // placeholders are formatted into the SQL.
        let mut kept = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COALESCE(SUM(households), 0) AS BIGINT) FROM {table} WHERE year = $1 AND {column} IN ({list}){communes}"
        )))
        .bind(year);
        for value in &values {
            kept = kept.bind(value);
        }
        let kept = kept.fetch_one(&self.db.pool).await?;
        // The removed households the same filter matches.
        let removed_sql = format!(
            "SELECT COUNT(*) {}",
            statuses_read(matching, true).replacen(
                "h.removed_on IS NULL",
                "h.removed_on IS NOT NULL",
                1
            )
        );
        let removed: i64 = bind_all(sqlx::query_scalar(sqlx::AssertSqlSafe(removed_sql)), binds)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(Some(if at_least {
            Kept::AtLeast(kept - removed)
        } else {
            Kept::Exact(kept - removed)
        }))
    }

    /// A page of the household list and the number of all matching rows.
    pub async fn list_households(
        &self,
        actor: &Actor,
        q: &HouseholdQuery,
    ) -> Result<(Vec<HouseholdRow>, ListTotal), RegistryError> {
        actor.require(Capability::SeeNames)?;
        let Some(list_units) = self.list_units(actor, q.unit.as_deref()).await? else {
            return Ok((
                Vec::new(),
                ListTotal {
                    count: 0,
                    capped: false,
                },
            ));
        };
        // A small scope (a commune) is read through its communes' index,
        // household by household, its status tested on each (read by
        // status, the year's matches of the whole province would be
        // sorted); a large one walks the name order or reads by status.
        let small = !self.holds_much(&list_units).await?;
        let units = list_units.clause(small);
        let year = match q.year {
            Some(y) => y,
            None => self.latest_year().await?.unwrap_or(0),
        };
        // Placeholders are numbered in the order they appear and each value
        // is bound once, as both engines require.
        let key = vntext::search_key(&q.q);
        let only_name = q.status.is_none() && clause_is_status_only(q);
        let page = q.page.max(1);
        let per_page = q.per_page.clamp(1, 500);
        if !key.is_empty() && only_name && page * per_page <= SEARCH_COUNT_CAP {
            let search = NameSearch {
                units: &units,
                key: &key,
                upper: format!("{key}\u{10FFFF}"),
                code: q.q.trim(),
                year,
                page,
                per_page,
            };
            let (rows, count) = self.search_page(&search).await?;
            return Ok((
                rows,
                ListTotal {
                    count,
                    capped: count >= SEARCH_COUNT_CAP,
                },
            ));
        }
        let mut binds: Vec<Bind> = vec![Bind::Int(year)];
        let mut param = |b: Bind| {
            binds.push(b);
            format!("${}", binds.len())
        };
        let mut clause = format!("h.removed_on IS NULL{units}");
        if !key.is_empty() {
            let (lo, hi) = (
                param(Bind::Text(key.clone())),
                param(Bind::Text(format!("{key}\u{10FFFF}"))),
            );
            let code = param(Bind::Text(q.q.trim().to_string()));
            clause.push_str(&format!(
                " AND h.id IN (SELECT id FROM households WHERE head_search >= {lo} AND head_search < {hi} \
                 UNION SELECT id FROM households WHERE head_given_search >= {lo} AND head_given_search < {hi} \
                 UNION SELECT household_id FROM members WHERE name_search >= {lo} AND name_search < {hi} \
                 UNION SELECT household_id FROM members WHERE given_search >= {lo} AND given_search < {hi} \
                 UNION SELECT id FROM households WHERE code = {code})"
            ));
        }
        // What the year's assessment (`a`) and the year before's (`p`)
        // must show, apart from what the household itself must.
        let mut yearly = String::new();
        if let Some(status) = q.status {
            yearly.push_str(&format!(
                " AND {STATUS} = {}",
                param(Bind::Text(status.code().to_string()))
            ));
        }
        if let Some(code) = q.deprived.as_deref().filter(|s| !s.is_empty()) {
            yearly.push_str(&format!(
                " AND (';' || a.deprived || ';') LIKE {}",
                param(Bind::Text(format!("%;{code};%")))
            ));
        }
        let member = |condition: &str| {
            format!(
                "EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id AND m.removed_on IS NULL AND {condition})"
            )
        };
        use crate::movements::MovementFilter;
        use crate::tallies::Group;
        match q.group {
            // Nobody can work: every member is a child, elderly, or unable.
            Some(Group::NoWorkingCapacity) => clause.push_str(&format!(
                " AND {} AND NOT {}",
                member("1 = 1"),
                member("m.no_working_capacity = 0 AND (m.birth_date IS NULL OR CAST(substr(m.birth_date, 1, 4) AS INTEGER) BETWEEN $1 - 59 AND $1 - 15)")
            )),
            Some(group) => {
                if let Some(condition) = member_in_group(group) {
                    clause.push_str(&format!(" AND {}", member(condition)));
                }
            }
            None => {}
        }
        let earlier_poor = "EXISTS (SELECT 1 FROM assessments e WHERE e.household_id = h.id AND e.official = 1 AND e.status = 'poor' AND e.year < $1 - 1)";
        match q.movement {
            Some(MovementFilter::Escaped) => {
                yearly.push_str(&format!(" AND {PREVIOUS} = 'poor' AND {STATUS} <> 'poor'"))
            }
            Some(MovementFilter::NewlyPoor) => yearly.push_str(&format!(
                " AND {STATUS} = 'poor' AND ({PREVIOUS} IS NULL OR {PREVIOUS} <> 'poor') AND NOT {earlier_poor}"
            )),
            Some(MovementFilter::RePoor) => yearly.push_str(&format!(
                " AND {STATUS} = 'poor' AND ({PREVIOUS} IS NULL OR {PREVIOUS} <> 'poor') AND {earlier_poor}"
            )),
            None => {}
        }
        let official =
            "LEFT JOIN assessments a ON a.household_id = h.id AND a.year = $1 AND a.official = 1";
        let previous = if yearly.contains(PREVIOUS) {
            " LEFT JOIN assessments p ON p.household_id = h.id AND p.year = $1 - 1 AND p.official = 1"
        } else {
            ""
        };
        // The count and the page join only what the filters read; names
        // and places are read for the page's households alone.
        let matching = if !yearly.is_empty() || clause.contains("$1") {
            format!("FROM households h {official}{previous} WHERE {clause}{yearly}")
        } else {
            // Nothing read from the assessments: the households alone (the
            // year is still bound, so it appears once).
            format!("FROM households h WHERE CAST($1 AS BIGINT) IS NOT NULL AND {clause}")
        };
        let kept = if key.is_empty() {
            self.kept_total(&list_units, year, q, &matching, &binds)
                .await?
        } else {
            None
        };
        let total = match kept {
            // An exact total, however many.
            Some(Kept::Exact(count)) => ListTotal {
                count,
                capped: false,
            },
            // More than the cap for sure: no need to count.
            Some(Kept::AtLeast(count)) if count > self.list_count_cap => ListTotal {
                count: self.list_count_cap,
                capped: true,
            },
            _ => {
                // Only integers from the database and placeholders are formatted into the SQL.
                let count_sql = format!(
                    "SELECT COUNT(*) FROM (SELECT 1 {} LIMIT {}) s",
                    statuses_read(&matching, small),
                    self.list_count_cap + 1
                );
                let counted: i64 =
                    bind_all(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)), &binds)
                        .fetch_one(&self.db.pool)
                        .await?;
                ListTotal {
                    count: counted.min(self.list_count_cap),
                    capped: counted > self.list_count_cap,
                }
            }
        };
        // Many matches to walk in name order: more than the cap, or a kept
        // total as large.
        let many = total.capped || total.count > self.list_count_cap;
        // The page's households first, from the households and only the
        // assessments the filters read (so the planner can walk the name
        // order and stop), then their names and places.
        // A page next to a household of the list: from its place in the
        // name order, not past the pages before it.
        let cursor = match (&q.after, &q.before) {
            (Some(code), _) => Some((code, ">", "")),
            (None, Some(code)) => Some((code, "<", " DESC")),
            (None, None) => None,
        };
        // Many matches whose status of a year is fixed by the filters are
        // read in name order from the year's assessments by status (which
        // carry the head's sort key), stopping at the page; other filters
        // walk the households in name order.
        let dense = many && !yearly.is_empty();
        let walked = match (dense, q.status, q.movement) {
            (false, _, _) => None,
            (true, Some(_), _)
            | (true, None, Some(MovementFilter::NewlyPoor | MovementFilter::RePoor)) => {
                Some(Walked::Year)
            }
            (true, None, Some(MovementFilter::Escaped)) => Some(Walked::YearBefore),
            (true, None, None) => None,
        };
        let sort = format!("{}.head_sort", walked.map_or("h", Walked::alias));
        let mut order = "";
        let mut from_cursor = String::new();
        let mut skip = (page - 1) * per_page;
        if let Some((code, comparison, direction)) = cursor {
            let place: Option<(String, String)> =
                sqlx::query_as("SELECT head_sort, code FROM households WHERE code = $1")
                    .bind(code.trim())
                    .fetch_optional(&self.db.pool)
                    .await?;
            if let Some((place_sort, place_code)) = place {
                binds.push(Bind::Text(place_sort));
                binds.push(Bind::Text(place_code));
                let (s, c) = (binds.len() - 1, binds.len());
                from_cursor = format!(" AND ({sort}, h.code) {comparison} (${s}, ${c})");
                order = direction;
                skip = 0;
            }
        }
        let (limit, offset) = (binds.len() + 1, binds.len() + 2);
        // Many matches (beyond the cap) that need the year's assessment:
        // walking the name order finds a page of them at once. Few
        // matches: read them by status and sort those.
        let backend = self.db.backend();
        let page_of = if let Some(walked) = walked {
            // The walked assessment comes first (CROSS JOIN: SQLite keeps
            // the order written), the other year's beside it.
            let w = walked.alias();
            let (first_year, other) = match walked {
                Walked::Year => ("$1", previous.to_string()),
                Walked::YearBefore => ("$1 - 1", format!(" {official}")),
            };
            format!(
                "FROM assessments {w} CROSS JOIN households h{other} \
                 WHERE {w}.year = {first_year} AND {w}.official = 1 AND h.id = {w}.household_id {} \
                 AND {clause}{}",
                match backend {
                    // Each household read from its own partition.
                    crate::db::Backend::Postgres => format!("AND h.province_id = {w}.province_id "),
                    crate::db::Backend::Sqlite => String::new(),
                },
                statuses_read(&yearly, false)
            )
        } else if dense {
            // What the year's assessments must show is asked of each
            // household in name order, as a scalar subquery: neither engine
            // turns one into a join, so neither starts from a year's
            // assessments of the province (PostgreSQL misjudges how many
            // a LIKE on the deprivations matches and would read them all).
            let previous =
                previous.replace("p.household_id = h.id", "p.household_id = a.household_id");
            format!(
                "FROM households h WHERE {clause} AND (SELECT 1 FROM assessments a{previous} \
                 WHERE a.household_id = h.id AND a.year = $1 AND a.official = 1{}) = 1",
                statuses_read(&yearly, true)
            )
        } else {
            statuses_read(&matching, small)
        };
        let ids_sql = format!(
            "SELECT h.id {page_of}{from_cursor} ORDER BY {sort}{order}, h.code{order} LIMIT ${limit} OFFSET ${offset}"
        );
        let mut ids: Vec<HouseholdId> =
            bind_all(sqlx::query_scalar(sqlx::AssertSqlSafe(ids_sql)), &binds)
                .bind(per_page)
                .bind(skip)
                .fetch_all(&self.db.pool)
                .await?;
        if !order.is_empty() {
            // Read backwards from the cursor; shown in the list's order.
            ids.reverse();
        }
        Ok((self.rows_in_order(&ids, year).await?, total))
    }

    /// A page of a name search, in the order search as you type shows it
    /// (an exact household code, then head's full name, head's given name,
    /// a member's full name, a member's given name), each one range of an
    /// index read in order and stopped early; the total counted up to
    /// [`SEARCH_COUNT_CAP`].
    async fn search_page(
        &self,
        search: &NameSearch<'_>,
    ) -> Result<(Vec<HouseholdRow>, i64), RegistryError> {
        let NameSearch {
            units,
            key,
            upper,
            code,
            ..
        } = search;
        // A small scope (a commune) is read household by household, which
        // costs the same whatever the name; a large one through the name
        // indexes, read in order and stopped at the cap.
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM households h WHERE h.removed_on IS NULL{units} LIMIT {}) s",
            self.small_scope
        );
        // Only unit ids (integers from the database) are formatted into the SQL.
        let size: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.db.pool)
            .await?;
        if size < self.small_scope {
            return self.search_small_scope(search).await;
        }
        let arms = [
            format!(
                "SELECT h.id FROM households h WHERE h.code = $3 AND $1 <> $2 AND h.removed_on IS NULL{units} LIMIT $4"
            ),
            format!(
                "SELECT h.id FROM households h WHERE h.head_search >= $1 AND h.head_search < $2 AND h.removed_on IS NULL{units} AND $3 = $3 \
                 ORDER BY h.head_search, h.head_sort, h.id LIMIT $4"
            ),
            format!(
                "SELECT h.id FROM households h WHERE h.head_given_search >= $1 AND h.head_given_search < $2 AND h.removed_on IS NULL{units} AND $3 = $3 \
                 ORDER BY h.head_given_search, h.head_sort, h.id LIMIT $4"
            ),
            format!(
                "SELECT m.household_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.name_search >= $1 AND m.name_search < $2 AND m.removed_on IS NULL AND h.removed_on IS NULL{units} AND $3 = $3 \
                 ORDER BY m.name_search, m.name_sort, m.id LIMIT $4"
            ),
            format!(
                "SELECT m.household_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.given_search >= $1 AND m.given_search < $2 AND m.removed_on IS NULL AND h.removed_on IS NULL{units} AND $3 = $3 \
                 ORDER BY m.given_search, m.name_sort, m.id LIMIT $4"
            ),
        ];
        let mut order: Vec<HouseholdId> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for arm in arms {
            // Only unit ids (integers from the database) are formatted into the SQL.
            let found: Vec<HouseholdId> = sqlx::query_scalar(sqlx::AssertSqlSafe(arm))
                .bind(*key)
                .bind(upper)
                .bind(*code)
                .bind(SEARCH_COUNT_CAP)
                .fetch_all(&self.db.pool)
                .await?;
            for id in found {
                if seen.insert(id) {
                    order.push(id);
                }
            }
            if order.len() as i64 >= SEARCH_COUNT_CAP {
                break;
            }
        }
        let total = (order.len() as i64).min(SEARCH_COUNT_CAP);
        let ids = search.page_of(order);
        Ok((self.rows_in_order(&ids, search.year).await?, total))
    }

    /// The list rows of households, in the order of `ids`, with their
    /// official status of `year`.
    async fn rows_in_order(
        &self,
        ids: &[HouseholdId],
        year: i64,
    ) -> Result<Vec<HouseholdRow>, RegistryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // Only integers from the database are formatted into the SQL.
        let rows: Vec<HouseholdRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT h.id, h.code, h.head_name, c.name AS commune, v.name AS village, a.status \
             FROM households h JOIN units c ON c.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id \
             LEFT JOIN assessments a ON a.household_id = h.id AND a.year = $1 AND a.official = 1 WHERE h.id IN ({list})"
        )))
        .bind(year)
        .fetch_all(&self.db.pool)
        .await?;
        let mut by_id: std::collections::HashMap<HouseholdId, HouseholdRow> =
            rows.into_iter().map(|r| (r.id, r)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// [`Registry::search_page`] in a small scope: every household of it
    /// checked once (its head's names, its code, its members' names), in
    /// the same order of kinds of match; an exact total.
    async fn search_small_scope(
        &self,
        search: &NameSearch<'_>,
    ) -> Result<(Vec<HouseholdRow>, i64), RegistryError> {
        let NameSearch {
            units,
            key,
            upper,
            code,
            ..
        } = search;
        // Two plain queries rather than one with EXISTS inside an OR, which
        // PostgreSQL answers by reading every member of the registry.
        let own = format!(
            "SELECT h.id, CASE WHEN h.code = $3 THEN 0 WHEN h.head_search >= $1 AND h.head_search < $2 THEN 1 ELSE 2 END AS kind, \
             h.head_sort, h.code FROM households h WHERE h.removed_on IS NULL{units} AND (h.code = $3 \
             OR (h.head_search >= $1 AND h.head_search < $2) OR (h.head_given_search >= $1 AND h.head_given_search < $2))"
        );
        let by_member = format!(
            "SELECT DISTINCT h.id, 3 AS kind, h.head_sort, h.code FROM members m JOIN households h ON h.id = m.household_id \
             WHERE m.removed_on IS NULL AND h.removed_on IS NULL{units} \
             AND ((m.name_search >= $1 AND m.name_search < $2) OR (m.given_search >= $1 AND m.given_search < $2)) AND $3 = $3"
        );
        let mut best: std::collections::HashMap<HouseholdId, (i32, String, String)> =
            std::collections::HashMap::new();
        for sql in [own, by_member] {
            // Only unit ids (integers from the database) are formatted into the SQL.
            let found: Vec<(HouseholdId, i32, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(*key)
                    .bind(upper)
                    .bind(*code)
                    .fetch_all(&self.db.pool)
                    .await?;
            for (id, kind, head_sort, code) in found {
                best.entry(id)
                    .and_modify(|b| b.0 = b.0.min(kind))
                    .or_insert((kind, head_sort, code));
            }
        }
        let mut order: Vec<(HouseholdId, (i32, String, String))> = best.into_iter().collect();
        order.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let total = order.len() as i64;
        let ids = search.page_of(order.into_iter().map(|(id, _)| id));
        Ok((self.rows_in_order(&ids, search.year).await?, total))
    }

    /// One household, if the actor may see it, with its members' identity
    /// numbers masked (0420******34) and masked in its history too.
    pub async fn household_detail(
        &self,
        actor: &Actor,
        id: HouseholdId,
    ) -> Result<Option<HouseholdDetail>, RegistryError> {
        self.household_detail_as(actor, id, false).await
    }

    /// One household, with identity numbers in full when `full_id_numbers`
    /// (see [`Registry::household_detail_with_id_numbers`]), else masked.
    pub async fn household_detail_showing(
        &self,
        actor: &Actor,
        id: HouseholdId,
        full_id_numbers: bool,
    ) -> Result<Option<HouseholdDetail>, RegistryError> {
        if full_id_numbers {
            self.household_detail_with_id_numbers(actor, id).await
        } else {
            self.household_detail(actor, id).await
        }
    }

    /// One household with its members' identity numbers in full, for a role
    /// whose work needs them; the view is recorded in the audit log.
    pub async fn household_detail_with_id_numbers(
        &self,
        actor: &Actor,
        id: HouseholdId,
    ) -> Result<Option<HouseholdDetail>, RegistryError> {
        actor.require(Capability::SeeIdNumbers)?;
        let Some(detail) = self.household_detail_as(actor, id, true).await? else {
            return Ok(None);
        };
        let mut tx = self.db.write().await?;
        crate::service::audit(
            &mut tx,
            actor,
            Action::ViewIdNumbers,
            Entity::Household,
            &detail.code,
            None,
            serde_json::json!({"members": detail.members.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(detail))
    }

    async fn household_detail_as(
        &self,
        actor: &Actor,
        id: HouseholdId,
        full_id_numbers: bool,
    ) -> Result<Option<HouseholdDetail>, RegistryError> {
        if !actor.may(Capability::SeeNames) {
            return Ok(None);
        }
        let scope = self.scope(actor).await?;
        #[derive(sqlx::FromRow)]
        struct Head {
            id: HouseholdId,
            code: String,
            head_name: String,
            address: String,
            phone: String,
            commune: String,
            commune_code: String,
            village: Option<String>,
            removed_on: Option<String>,
            commune_id: UnitId,
        }
        let row: Option<Head> = sqlx::query_as(
            "SELECT h.id, h.code, h.head_name, h.address, h.phone, c.name AS commune, c.code AS commune_code, v.name AS village, h.removed_on, h.commune_id \
             FROM households h JOIN units c ON c.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id WHERE h.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(Head {
            id,
            code,
            head_name,
            address,
            phone,
            commune,
            commune_code,
            village,
            removed_on,
            commune_id,
        }) = row
        else {
            return Ok(None);
        };
        if !scope.contains(commune_id) {
            return Ok(None);
        }
        let mut members: Vec<MemberView> = sqlx::query_as(
            "SELECT id, full_name, sex, birth_date, id_number, relation, ethnicity FROM members WHERE household_id = $1 AND removed_on IS NULL ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        if !full_id_numbers {
            for m in &mut members {
                m.id_number = m.id_number.as_deref().map(mask_id_number);
            }
        }
        let assessments = sqlx::query_as(
            "SELECT year, standard_id, official, status, deprivation_count, deprived, reason FROM assessments WHERE household_id = $1 ORDER BY year DESC, official DESC, standard_id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        // A member's entries are "CODE/MEMBER": the range after "CODE/"
        // ('0' is the byte after '/'), which the index reads.
        let mut audit: Vec<AuditEntry> = sqlx::query_as(
            "SELECT at, actor, action, entity, entity_id, unit_id, changes FROM audit_log \
             WHERE (entity = 'household' AND entity_id = $1) OR (entity = 'member' AND entity_id >= $2 AND entity_id < $3) ORDER BY id",
        )
        .bind(&code)
        .bind(format!("{code}/"))
        .bind(format!("{code}0"))
        .fetch_all(&self.db.pool)
        .await?;
        if !full_id_numbers {
            for entry in &mut audit {
                entry.changes = mask_id_numbers_in(&entry.changes);
            }
        }
        // A type 3 is seen by commune officers and approvers only.
        if !self.sees_persuasion_type(actor).await? {
            for entry in audit.iter_mut().filter(|e| e.action == Action::Profile) {
                entry.changes = crate::profiles::hide_persuasion(&entry.changes);
            }
        }
        // Merged, and merged again: the last commune of the chain.
        let mut conn = self.db.pool.acquire().await?;
        let commune_now = crate::units::merged_into_chain(&mut conn, commune_id)
            .await?
            .pop()
            .map(|(_, name)| name);
        Ok(Some(HouseholdDetail {
            id,
            code,
            head_name,
            address,
            phone,
            commune,
            commune_code,
            commune_now,
            village,
            removed_on,
            members,
            assessments,
            audit,
        }))
    }

    /// The review years of the actor's scope (or of `unit` in it), oldest
    /// first, with their counts and whether each is closed. Assessed, poor
    /// and near-poor come from the kept counts (a village's, from its
    /// households); the households on the registry from each household's
    /// first year and removal date.
    ///
    /// Every page without a year asks for them (its default year), and
    /// counting a province's years takes milliseconds, so they are kept by
    /// scope and unit while the audit log's last change stays the same
    /// (`last_change`): every write that can change them (an assessment, a
    /// round's step, a household added or removed, an import, a unit
    /// merged) writes the audit log in its transaction. On PostgreSQL a
    /// transaction with a lower id may commit after one with a higher id,
    /// so they are kept for at most `FAMILY_TTL` as well.
    pub async fn year_counts(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> Result<Vec<YearCounts>, RegistryError> {
        // The scope's key: everything (None) or a unit's family; an
        // account with neither sees nothing, counted in no time.
        let scope = match (actor.role, actor.unit_id) {
            (crate::gate::Role::Admin, _) => Some(None),
            (_, unit) => unit.map(Some),
        };
        let Some(scope) = scope else {
            return self.count_years(actor, unit).await;
        };
        let key = (scope, unit.unwrap_or_default().to_string());
        let stamp = self.last_change().await?;
        if let Some(years) = self.cached_year_counts(&key, stamp) {
            return Ok(years);
        }
        let years = self.count_years(actor, unit).await?;
        self.keep_year_counts(key, stamp, &years);
        Ok(years)
    }

    /// [`Registry::year_counts`], counted.
    async fn count_years(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> Result<Vec<YearCounts>, RegistryError> {
        let Some(units) = self.unit_filter(actor, unit).await? else {
            return Ok(Vec::new());
        };
        let village = match unit.filter(|u| !u.is_empty()) {
            Some(code) => self
                .unit_by_code(code)
                .await?
                .is_some_and(|u| u.level == crate::units::Level::Village),
            None => false,
        };
        // (year, commune, assessed, poor, near-poor), and the households by
        // (commune, first year, removal date) with their number.
        type Assessed = Vec<(i64, i64, i64, i64, i64)>;
        type Spans = Vec<(UnitId, i64, Option<String>, i64)>;
        // The spans the households are summed from, when not the communes'.
        let mut totals: Option<Spans> = None;
        let (assessed, spans): (Assessed, Spans) = if village {
            let sql = format!(
                "SELECT a.year, h.commune_id, COUNT(*), SUM(CASE WHEN a.status = 'poor' THEN 1 ELSE 0 END), SUM(CASE WHEN a.status = 'near_poor' THEN 1 ELSE 0 END) \
                 FROM assessments a JOIN households h ON h.id = a.household_id WHERE a.official = 1{units} GROUP BY a.year, h.commune_id"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let assessed = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.db.reports())
                .await?;
            let sql = format!(
                "SELECT h.commune_id, h.first_year, h.removed_on, COUNT(*) FROM households h \
                 WHERE h.first_year IS NOT NULL{units} GROUP BY h.commune_id, h.first_year, h.removed_on"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let spans = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.db.reports())
                .await?;
            (assessed, spans)
        } else {
            let scope = self.scope(actor).await?;
            let Some(communes) = scope_clause(&scope, "commune_id") else {
                return Ok(Vec::new());
            };
            let Some(list_units) = self.list_units(actor, unit).await? else {
                return Ok(Vec::new());
            };
            // The sums from the provinces' roll-ups and the other communes'
            // rows; which communes have households (for whether a year is
            // closed), from the communes' own spans.
            let kept = list_units.kept_clause();
            // The family's communes: not the unit itself, whose own rows
            // are a province's roll-up (one more "commune", never closed),
            // nor its villages, which no kept row names.
            let family = match unit.filter(|u| !u.is_empty()) {
                Some(code) => match self.unit_by_code(code).await? {
                    Some(u) => {
                        let scope = self.unit_scope(u.id).await?;
                        let none = BTreeSet::new();
                        let communes = scope.communes().unwrap_or(&none);
                        format!(" AND {}", self.db.backend().in_ids("commune_id", communes))
                    }
                    None => return Ok(Vec::new()),
                },
                None => String::new(),
            };
            let sql = format!(
                "SELECT year, commune_id, CAST(SUM(households) AS BIGINT), CAST(SUM(CASE WHEN status = 'poor' THEN households ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN status = 'near_poor' THEN households ELSE 0 END) AS BIGINT) \
                 FROM official_counts WHERE households <> 0{kept} GROUP BY year, commune_id"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let assessed = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.db.reports())
                .await?;
            let sql = format!(
                "SELECT commune_id, first_year, CASE WHEN removed_on = '' THEN NULL ELSE removed_on END AS removed_on, households \
                 FROM household_spans WHERE households <> 0{kept}"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let kept_spans: Spans = self
                .db
                .fetch_packed(self.db.reports(), &sql, SPAN_COLUMNS, &[])
                .await?;
            let only_communes = if communes.is_empty() && family.is_empty() {
                " AND commune_id IN (SELECT id FROM units WHERE level = 'commune')"
            } else {
                ""
            };
            let sql = format!(
                "SELECT commune_id, first_year, CASE WHEN removed_on = '' THEN NULL ELSE removed_on END AS removed_on, households \
                 FROM household_spans WHERE households <> 0{communes}{family}{only_communes}"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let spans = self
                .db
                .fetch_packed(self.db.reports(), &sql, SPAN_COLUMNS, &[])
                .await?;
            totals = Some(kept_spans);
            (assessed, spans)
        };
        let years: std::collections::BTreeSet<i64> =
            assessed.iter().filter(|r| r.2 > 0).map(|r| r.0).collect();
        // The communes merged into others, from the units kept in memory
        // (the 2025 merges alone are thousands of communes).
        let above_villages = self.units_above_villages().await?;
        let by_id: std::collections::HashMap<UnitId, &crate::units::Unit> =
            above_villages.iter().map(|u| (u.id, u)).collect();
        // The few households that left in a year they were assessed in.
        let sql = format!(
            "SELECT h.commune_id, a.year, h.removed_on FROM households h JOIN assessments a ON a.household_id = h.id AND a.official = 1 \
             WHERE h.removed_on IS NOT NULL{units}"
        );
        // Only unit ids (integers from the database) are formatted into the SQL.
        let removed: Vec<(UnitId, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.db.reports())
            .await?;
        // Each year's households by commune and the communes that review
        // them, then the closed rounds of those communes only (the whole
        // registry's would be every commune of the nation's years).
        let mut by_year = Vec::new();
        let mut reviewing: std::collections::BTreeSet<UnitId> = std::collections::BTreeSet::new();
        for year in years {
            let end = format!("{year}-12-31");
            let households = crate::report_set::on_registry(&spans, &removed, year);
            // The commune that reviews a commune's households in `year`: the
            // one it was merged into, if the merge came before that year ended.
            let reviewer = |commune: UnitId| {
                crate::units::successor_at(&by_id, commune, &end).map_or(commune, |u| u.id)
            };
            let reviewers: std::collections::BTreeSet<UnitId> =
                households.keys().map(|c| reviewer(*c)).collect();
            reviewing.extend(reviewers.iter().copied());
            by_year.push((year, households, reviewers));
        }
        let closed_rounds: Vec<(i64, UnitId)> = if reviewing.is_empty() {
            Vec::new()
        } else {
            // Only unit ids (integers from the database) are formatted into the SQL.
            let sql = format!(
                "SELECT year, commune_id FROM review_rounds WHERE step = 'closed' AND {}",
                self.db.backend().in_ids("commune_id", &reviewing)
            );
            self.db
                .fetch_packed(self.db.reports(), &sql, &["year", "commune_id"], &[])
                .await?
        };
        let mut out = Vec::new();
        for (year, households, reviewers) in by_year {
            let closed: std::collections::HashSet<UnitId> = closed_rounds
                .iter()
                .filter(|(y, _)| *y == year)
                .map(|(_, c)| *c)
                .collect();
            let of_year = assessed.iter().filter(|r| r.0 == year);
            let on_registry: i64 = match &totals {
                None => households.values().sum(),
                Some(kept) => crate::report_set::on_registry(kept, &removed, year)
                    .values()
                    .sum(),
            };
            out.push(YearCounts {
                year,
                households: on_registry,
                assessed: of_year.clone().map(|r| r.2).sum(),
                poor: of_year.clone().map(|r| r.3).sum(),
                near_poor: of_year.map(|r| r.4).sum(),
                communes: reviewers.len() as i64,
                communes_closed: reviewers.iter().filter(|c| closed.contains(c)).count() as i64,
            });
        }
        Ok(out)
    }

    /// The year a list shows when none is asked: the latest closed year of
    /// the actor's scope, else the latest year with results.
    pub async fn default_list_year(&self, actor: &Actor) -> Result<Option<i64>, RegistryError> {
        let years = self.year_counts(actor, None).await?;
        Ok(years
            .iter()
            .rev()
            .find(|y| y.closed())
            .or(years.last())
            .map(|y| y.year))
    }
}

/// An identity number with its middle hidden: the province code and the
/// sex-and-century digit of a CCCD stay, with the last two digits
/// ("0420******34"); a 9-digit CMND keeps its first two and last two.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let (head, tail) = if chars.len() >= 12 { (4, 2) } else { (2, 2) };
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < head || i >= chars.len() - tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// The audit changes (JSON) with every identity number masked.
pub fn mask_id_numbers_in(changes: &str) -> String {
    fn walk(v: &mut serde_json::Value, key: Option<&str>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    walk(v, Some(k));
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, key);
                }
            }
            serde_json::Value::String(s) if key == Some("id_number") => {
                *s = mask_id_number(s);
            }
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(changes) {
        Ok(mut v) => {
            walk(&mut v, None);
            v.to_string()
        }
        Err(_) => changes.to_string(),
    }
}

/// The condition on a member (`m`) of a group that has an index of its own
/// (migration 31, whose conditions are these, term for term, beside
/// `removed_on IS NULL`): none for the households where nobody can work,
/// which asks of every member.
pub(crate) fn member_in_group(group: crate::tallies::Group) -> Option<&'static str> {
    use crate::tallies::Group;
    match group {
        Group::Merit => Some("m.merit = 1"),
        Group::SocialProtection => Some("m.social_protection = 1"),
        // As `tallies::ethnic_minority`: anything but Kinh, however cased.
        Group::EthnicMinority => Some("lower(m.ethnicity) NOT IN ('', 'kinh')"),
        Group::NoWorkingCapacity => None,
    }
}
