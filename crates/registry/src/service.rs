//! The one place that writes: every change goes through [`Registry`], which
//! asks the gate ([`crate::gate`]) whether the actor may touch the unit and
//! writes the audit row in the same transaction as the change.

use crate::db::Db;
use crate::error::RegistryError;
use crate::gate::Actor;
use crate::review::Step;
use crate::values::UnitId;
use crate::views::YearCounts;
use serde_json::{Value, json};
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// Called when an import has to wait for another one to finish.
pub type ImportWait = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The registry's service layer.
#[derive(Clone)]
pub struct Registry {
    pub(crate) db: Db,
    import_wait: Option<ImportWait>,
    /// Scopes with fewer households are name-searched household by
    /// household (see `views::search_page`).
    pub(crate) small_scope: i64,
    /// Lists count their matches up to this many (`views::LIST_COUNT_CAP`).
    pub(crate) list_count_cap: i64,
    /// Households an export reads at a time on SQLite (`export::PACKED`).
    pub(crate) export_chunk: usize,
    /// Unit families already walked (see `unit_family_levels`).
    families: std::sync::Arc<std::sync::Mutex<FamilyCache>>,
    /// The tally sheets' measure numbers read so far (see
    /// `tallies::MeasureNames`).
    pub(crate) tally_measures:
        std::sync::Arc<std::sync::Mutex<std::sync::Arc<crate::tallies::MeasureNames>>>,
}

/// Families walked lately, by unit. A page asks for its actor's scope
/// several times, and a province's walk reads thousands of units, so a
/// walk is kept for `FAMILY_TTL`; a units import in this process clears
/// them at once, one in another process is seen after `FAMILY_TTL`.
#[derive(Default)]
struct FamilyCache {
    walked: std::collections::HashMap<UnitId, (std::time::Instant, Family)>,
    split: std::collections::HashMap<UnitId, (std::time::Instant, std::sync::Arc<Split>)>,
    scopes: std::collections::HashMap<UnitId, (std::time::Instant, crate::gate::Scope)>,
    /// The units above the villages a scope holds, in tree order.
    choices: std::collections::HashMap<
        UnitId,
        (std::time::Instant, std::sync::Arc<Vec<crate::units::Unit>>),
    >,
    /// Every unit above the villages (pickers search them as you type).
    above_villages: Option<(std::time::Instant, std::sync::Arc<Vec<crate::units::Unit>>)>,
    /// The years' counts by scope (None: everything) and unit asked for
    /// (empty: the scope), with the audit log's last change when they were
    /// counted (see `Registry::year_counts`).
    year_counts: std::collections::HashMap<YearsKey, (std::time::Instant, i64, Vec<YearCounts>)>,
}

/// A family's communes as the kept counts hold them: the provinces (root
/// units) it holds whole, whose roll-up rows stand for all their communes,
/// and the communes it holds of other provinces (merged in), read one by
/// one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub provinces: BTreeSet<UnitId>,
    pub communes: BTreeSet<UnitId>,
}

impl Split {
    /// The units whose kept rows add up to the family's.
    pub(crate) fn kept(&self) -> BTreeSet<UnitId> {
        self.provinces.union(&self.communes).copied().collect()
    }

    /// `AND …` on the households `h` of the family: whole provinces by
    /// their `province_id` (on PostgreSQL, their partitions: a condition
    /// planned in no time, where thousands of commune ids take PostgreSQL
    /// longer to plan than to run), other communes one by one. `plus` is
    /// "+" to keep SQLite off the communes' index.
    pub(crate) fn households_clause(&self, plus: &str) -> String {
        use crate::gate::id_list;
        match (self.provinces.is_empty(), self.communes.is_empty()) {
            (true, true) => " AND 1 = 0".to_string(),
            (true, false) => format!(" AND {plus}h.commune_id IN ({})", id_list(&self.communes)),
            // No index has the province (on PostgreSQL, the partitions
            // do): the column as it is, so PostgreSQL's statistics see it
            // holds every household of the province.
            (false, true) => format!(" AND h.province_id IN ({})", id_list(&self.provinces)),
            (false, false) => format!(
                " AND (h.province_id IN ({}) OR {plus}h.commune_id IN ({}))",
                id_list(&self.provinces),
                id_list(&self.communes)
            ),
        }
    }
}

type Family = std::sync::Arc<Vec<(UnitId, crate::units::Level)>>;

const FAMILY_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The audit log's last change: the condition is the index
/// `audit_changes`'s, word for word, so both engines read the index's
/// last entry.
const LAST_CHANGE: &str = "SELECT id FROM audit_log WHERE action NOT IN ('sign_in', 'export', 'view_id_numbers', 'what_if') ORDER BY id DESC LIMIT 1";

/// The years' counts kept at most (each a few years' rows).
const YEARS_KEPT: usize = 10_000;

/// Whose years' counts: a scope (None: everything) and the unit asked for
/// (empty: the whole scope).
pub(crate) type YearsKey = (Option<UnitId>, String);

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("db", &self.db).finish()
    }
}

impl Registry {
    pub fn new(db: Db) -> Registry {
        Registry {
            db,
            import_wait: None,
            small_scope: crate::views::SMALL_SCOPE,
            list_count_cap: crate::views::LIST_COUNT_CAP,
            export_chunk: crate::export::PACKED,
            families: Default::default(),
            tally_measures: Default::default(),
        }
    }

    /// Sets the size under which a scope is name-searched household by
    /// household (tests run both ways of searching on small data).
    pub fn with_small_scope(mut self, households: i64) -> Registry {
        self.small_scope = households;
        self
    }

    /// Sets the number up to which a list counts its matches (tests take
    /// the path of a list beyond its cap on small data).
    pub fn with_list_count_cap(mut self, households: i64) -> Registry {
        self.list_count_cap = households;
        self
    }

    /// Sets the number of households an export reads at a time on SQLite
    /// (tests take a list over several chunks on small data).
    pub fn with_export_chunk(mut self, households: usize) -> Registry {
        self.export_chunk = households.max(1);
        self
    }

    /// Tells `wait` when an import waits for another import to finish.
    pub fn on_import_wait(mut self, wait: ImportWait) -> Registry {
        self.import_wait = Some(wait);
        self
    }

    /// Waits for this process's turn to import (one import at a time).
    pub(crate) async fn import_turn(&self) -> Result<crate::db::ImportTurn, RegistryError> {
        let wait = self.import_wait.clone();
        self.db
            .import_turn(&move || {
                if let Some(w) = &wait {
                    w();
                }
            })
            .await
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A unit with everything under it, and every unit merged into any of
    /// those (whose households roll up to the new unit).
    pub async fn unit_family(&self, unit_id: UnitId) -> Result<BTreeSet<UnitId>, RegistryError> {
        Ok(self
            .unit_family_levels(unit_id)
            .await?
            .iter()
            .map(|(id, _)| *id)
            .collect())
    }

    /// [`Registry::unit_family`] with each unit's level, walked one level at
    /// a time along the parent and merged-into indexes: a commune's family
    /// is a few dozen rows whatever the size of the unit table. (A recursive
    /// CTE says the same, but SQLite's planner gave it milliseconds where
    /// these few lookups take tens of microseconds.)
    pub(crate) async fn unit_family_levels(
        &self,
        unit_id: UnitId,
    ) -> Result<Family, RegistryError> {
        if let Ok(cache) = self.families.lock()
            && let Some((at, family)) = cache.walked.get(&unit_id)
            && at.elapsed() < FAMILY_TTL
        {
            return Ok(family.clone());
        }
        let family = std::sync::Arc::new(self.walk_unit_family(unit_id).await?);
        if let Ok(mut cache) = self.families.lock() {
            cache
                .walked
                .insert(unit_id, (std::time::Instant::now(), family.clone()));
        }
        Ok(family)
    }

    /// Forgets the families walked: the units changed.
    pub(crate) fn units_changed(&self) {
        if let Ok(mut cache) = self.families.lock() {
            cache.walked.clear();
            cache.split.clear();
            cache.scopes.clear();
            cache.choices.clear();
            cache.above_villages = None;
            cache.year_counts.clear();
        }
    }

    /// The audit log's last change (0: none): its last row that is not a
    /// read (a sign-in, an export, identity numbers shown, a what-if), the
    /// last entry of its index `audit_changes`.
    /// A stamp for what is kept while nothing is written: an export or a
    /// sign-in, audited too, would otherwise count as a change.
    pub(crate) async fn last_change(&self) -> Result<i64, RegistryError> {
        let last: Option<i64> = sqlx::query_scalar(LAST_CHANGE)
            .fetch_optional(self.db.reports())
            .await?;
        Ok(last.unwrap_or(0))
    }

    /// The years' counts of `key`, if counted lately and nothing was
    /// written since (`stamp`, `last_change`, unchanged).
    pub(crate) fn cached_year_counts(&self, key: &YearsKey, stamp: i64) -> Option<Vec<YearCounts>> {
        let cache = self.families.lock().ok()?;
        let (at, at_stamp, years) = cache.year_counts.get(key)?;
        (*at_stamp == stamp && at.elapsed() < FAMILY_TTL).then(|| years.clone())
    }

    pub(crate) fn keep_year_counts(&self, key: YearsKey, stamp: i64, years: &[YearCounts]) {
        if let Ok(mut cache) = self.families.lock() {
            // Bounded: a province's officers asking for each of its
            // thousands of communes in turn.
            if cache.year_counts.len() >= YEARS_KEPT {
                cache.year_counts.clear();
            }
            cache
                .year_counts
                .insert(key, (std::time::Instant::now(), stamp, years.to_vec()));
        }
    }

    /// The scope of an actor at `unit`, if built lately.
    pub(crate) fn cached_scope(&self, unit: UnitId) -> Option<crate::gate::Scope> {
        let cache = self.families.lock().ok()?;
        let (at, scope) = cache.scopes.get(&unit)?;
        (at.elapsed() < FAMILY_TTL).then(|| scope.clone())
    }

    /// The units above the villages of the scope of an actor at `unit`
    /// (0: everything), in tree order, if ordered lately.
    pub(crate) fn cached_choices(
        &self,
        unit: UnitId,
    ) -> Option<std::sync::Arc<Vec<crate::units::Unit>>> {
        let cache = self.families.lock().ok()?;
        let (at, units) = cache.choices.get(&unit)?;
        (at.elapsed() < FAMILY_TTL).then(|| units.clone())
    }

    pub(crate) fn keep_choices(
        &self,
        unit: UnitId,
        units: std::sync::Arc<Vec<crate::units::Unit>>,
    ) {
        if let Ok(mut cache) = self.families.lock() {
            cache
                .choices
                .insert(unit, (std::time::Instant::now(), units));
        }
    }

    pub(crate) fn keep_scope(&self, unit: UnitId, scope: &crate::gate::Scope) {
        if let Ok(mut cache) = self.families.lock() {
            cache
                .scopes
                .insert(unit, (std::time::Instant::now(), scope.clone()));
        }
    }

    /// Every unit above the villages — provinces, districts, communes, a
    /// few thousand in the national table — kept like the walks: pickers
    /// filter them by scope and search them in memory.
    pub(crate) async fn units_above_villages(
        &self,
    ) -> Result<std::sync::Arc<Vec<crate::units::Unit>>, RegistryError> {
        if let Ok(cache) = self.families.lock()
            && let Some((at, units)) = &cache.above_villages
            && at.elapsed() < FAMILY_TTL
        {
            return Ok(units.clone());
        }
        let units: Vec<crate::units::Unit> = sqlx::query_as(
            "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units WHERE level <> 'village'",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let units = std::sync::Arc::new(units);
        if let Ok(mut cache) = self.families.lock() {
            cache.above_villages = Some((std::time::Instant::now(), units.clone()));
        }
        Ok(units)
    }

    /// The family of `unit_id` split into whole provinces and other
    /// communes (see [`Split`]), kept like the walk.
    pub(crate) async fn unit_split(
        &self,
        unit_id: UnitId,
    ) -> Result<std::sync::Arc<Split>, RegistryError> {
        if let Ok(cache) = self.families.lock()
            && let Some((at, split)) = cache.split.get(&unit_id)
            && at.elapsed() < FAMILY_TTL
        {
            return Ok(split.clone());
        }
        let family = self.unit_family_levels(unit_id).await?;
        let units: BTreeSet<UnitId> = family.iter().map(|(id, _)| *id).collect();
        let communes: Vec<UnitId> = family
            .iter()
            .filter(|(_, level)| *level == crate::units::Level::Commune)
            .map(|(id, _)| *id)
            .collect();
        let mut conn = self.db.pool.acquire().await?;
        let roots = crate::provinces::roots_of(&mut conn, &communes).await?;
        let mut split = Split::default();
        for commune in communes {
            match roots.get(&commune) {
                Some(root) if units.contains(root) => {
                    split.provinces.insert(*root);
                }
                _ => {
                    split.communes.insert(commune);
                }
            }
        }
        let split = std::sync::Arc::new(split);
        if let Ok(mut cache) = self.families.lock() {
            cache
                .split
                .insert(unit_id, (std::time::Instant::now(), split.clone()));
        }
        Ok(split)
    }

    async fn walk_unit_family(
        &self,
        unit_id: UnitId,
    ) -> Result<Vec<(UnitId, crate::units::Level)>, RegistryError> {
        let level = |(id, level): (UnitId, String)| {
            crate::units::Level::try_from(level)
                .map(|l| (id, l))
                .map_err(|e| RegistryError::Invalid(vec![e]))
        };
        let first: Option<(UnitId, String)> =
            sqlx::query_as("SELECT id, level FROM units WHERE id = $1")
                .bind(unit_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let mut family: Vec<(UnitId, crate::units::Level)> =
            first.into_iter().map(level).collect::<Result<_, _>>()?;
        let mut seen: BTreeSet<UnitId> = family.iter().map(|(id, _)| *id).collect();
        let mut frontier = seen.clone();
        // Each pass goes one level down (or one merger back); a unit already
        // reached is not walked again, so a cycle in the data ends the walk.
        while !frontier.is_empty() {
            let ids = crate::gate::id_list(&frontier);
            // Only unit ids (integers from the database) are formatted into the SQL.
            let next: Vec<(UnitId, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, level FROM units WHERE parent_id IN ({ids}) OR merged_into_id IN ({ids})"
            )))
            .fetch_all(&self.db.pool)
            .await?;
            frontier = BTreeSet::new();
            for row in next {
                let (id, l) = level(row)?;
                if seen.insert(id) {
                    frontier.insert(id);
                    family.push((id, l));
                }
            }
        }
        Ok(family)
    }
}

/// What an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Remove,
    Merge,
    /// An official assessment recorded (a survey's, a score form's).
    Assess,
    Survey,
    WhatIf,
    ViewIdNumbers,
    Export,
    Request,
    AcceptRequest,
    RefuseRequest,
    Open,
    /// A review round moved to this step.
    Step(Step),
    Recognise,
    PastReview,
    Minutes,
    /// Complaints recorded without moving the round (during the posting, or
    /// late, before the recognition).
    Complaint,
    /// An applicant screened with form A.
    Screen,
    /// Support delivered to a household or a member.
    Deliver,
    /// Causes, wishes and the type of a household recorded.
    Profile,
    /// A household put on the year's expected-escape list, with its cadre.
    PlanEscape,
    /// A follow-up note on an expected escape.
    FollowUp,
    /// A steering committee member assigned to a commune.
    Steering,
    /// A steering committee member's visit, with its findings.
    Visit,
    /// A loan's use checked against its purpose.
    CheckUse,
    /// A task set for an agency.
    Task,
    /// An agency's progress report on a task.
    TaskReport,
    /// A unit's report of a period submitted to the level above.
    SubmitReport,
    /// The level above accepts it (locked) or returns it with a comment.
    AcceptReport,
    ReturnReport,
    Plan,
    PlanTarget,
    Load,
    SignIn,
    ChangePassword,
    SetRole,
}

impl Action {
    const FIXED: [Action; 36] = [
        Action::Create,
        Action::Update,
        Action::Remove,
        Action::Merge,
        Action::Assess,
        Action::Survey,
        Action::WhatIf,
        Action::ViewIdNumbers,
        Action::Export,
        Action::Request,
        Action::AcceptRequest,
        Action::RefuseRequest,
        Action::Open,
        Action::Recognise,
        Action::PastReview,
        Action::Minutes,
        Action::Complaint,
        Action::Screen,
        Action::Deliver,
        Action::Profile,
        Action::PlanEscape,
        Action::FollowUp,
        Action::Steering,
        Action::Visit,
        Action::CheckUse,
        Action::Task,
        Action::TaskReport,
        Action::SubmitReport,
        Action::AcceptReport,
        Action::ReturnReport,
        Action::Plan,
        Action::PlanTarget,
        Action::Load,
        Action::SignIn,
        Action::ChangePassword,
        Action::SetRole,
    ];

    /// The action's code in the audit log and the translation keys
    /// (`action_<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Remove => "remove",
            Action::Merge => "merge",
            Action::Assess => "assess",
            Action::Survey => "survey",
            Action::WhatIf => "what_if",
            Action::ViewIdNumbers => "view_id_numbers",
            Action::Export => "export",
            Action::Request => "request",
            Action::AcceptRequest => "accept_request",
            Action::RefuseRequest => "refuse_request",
            Action::Open => "open",
            Action::Step(step) => step.code(),
            Action::Recognise => "recognise",
            Action::PastReview => "past_review",
            Action::Minutes => "minutes",
            Action::Complaint => "complaint",
            Action::Screen => "screen",
            Action::Deliver => "deliver",
            Action::Profile => "profile",
            Action::PlanEscape => "plan_escape",
            Action::FollowUp => "follow_up",
            Action::Steering => "steering",
            Action::Visit => "visit",
            Action::CheckUse => "check_use",
            Action::Task => "task",
            Action::TaskReport => "task_report",
            Action::SubmitReport => "submit_report",
            Action::AcceptReport => "accept_report",
            Action::ReturnReport => "return_report",
            Action::Plan => "plan",
            Action::PlanTarget => "plan_target",
            Action::Load => "load",
            Action::SignIn => "sign_in",
            Action::ChangePassword => "change_password",
            Action::SetRole => "set_role",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::FIXED
            .into_iter()
            .find(|a| a.code() == code)
            .or_else(|| Step::parse(code).map(Action::Step))
    }
}

impl TryFrom<String> for Action {
    type Error = String;

    fn try_from(code: String) -> Result<Action, String> {
        Action::parse(&code).ok_or_else(|| format!("hành động không rõ trong nhật ký: {code}"))
    }
}

/// What an audit row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Household,
    Member,
    Unit,
    User,
    ReviewRound,
    PointTable,
}

impl Entity {
    pub fn code(self) -> &'static str {
        match self {
            Entity::Household => "household",
            Entity::Member => "member",
            Entity::Unit => "unit",
            Entity::User => "user",
            Entity::ReviewRound => "review_round",
            Entity::PointTable => "point_table",
        }
    }
}

/// Writes one audit row inside the caller's transaction.
pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    action: Action,
    entity: Entity,
    entity_id: &str,
    unit_id: Option<UnitId>,
    changes: Value,
) -> Result<(), RegistryError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, unit_id, changes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crate::now())
    .bind(&actor.name)
    .bind(action.code())
    .bind(entity.code())
    .bind(entity_id)
    .bind(unit_id)
    .bind(changes.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One audit row of [`audit_many`].
pub(crate) struct AuditRow {
    pub entity_id: String,
    pub unit_id: Option<UnitId>,
    pub changes: Value,
}

/// Audit rows of one action by one actor (a bulk write), a few thousand
/// per statement, in the caller's transaction.
pub(crate) async fn audit_many(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    action: Action,
    entity: Entity,
    rows: &[AuditRow],
) -> Result<(), RegistryError> {
    let backend = crate::db::Backend::of(tx);
    audit_prepared(backend, actor, action, entity, rows, &crate::now())
        .execute(tx)
        .await
}

/// The statements of [`audit_many`], made ready apart from the connection.
pub(crate) fn audit_prepared(
    backend: crate::db::Backend,
    actor: &Actor,
    action: Action,
    entity: Entity,
    rows: &[AuditRow],
    at: &str,
) -> crate::bulk::Prepared {
    crate::bulk::Prepared::new(
        backend,
        "audit_log",
        &[
            "at",
            "actor",
            "action",
            "entity",
            "entity_id",
            "unit_id",
            "changes",
        ],
        rows,
        |q, r| {
            q.bind(at)
                .bind(&actor.name)
                .bind(action.code())
                .bind(entity.code())
                .bind(&r.entity_id)
                .bind(r.unit_id)
                .bind(r.changes.to_string())
        },
    )
}

/// Field-level changes between two JSON objects: {field: [old, new]}.
pub(crate) fn diff(old: &Value, new: &Value) -> Value {
    let empty = serde_json::Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut out = serde_json::Map::new();
    for (k, v) in new {
        let before = old.get(k).cloned().unwrap_or(Value::Null);
        if &before != v {
            out.insert(k.clone(), json!([before, v]));
        }
    }
    Value::Object(out)
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    #[sqlx(try_from = "String")]
    pub action: Action,
    pub entity: String,
    pub entity_id: String,
    pub unit_id: Option<UnitId>,
    pub changes: String,
}

impl Registry {
    /// The audit trail of one entity, oldest first.
    pub async fn audit_trail(
        &self,
        entity: Entity,
        entity_id: &str,
    ) -> Result<Vec<AuditEntry>, RegistryError> {
        Ok(sqlx::query_as(
            "SELECT at, actor, action, entity, entity_id, unit_id, changes FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity.code())
        .bind(entity_id)
        .fetch_all(&self.db.pool)
        .await?)
    }
}

impl Registry {
    /// The rows of `sql`, whose `{list}` stands for the bound `values`, read
    /// a few hundred values per statement.
    pub(crate) async fn fetch_in<T>(
        &self,
        sql: &str,
        values: &[String],
    ) -> Result<Vec<T>, RegistryError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut rows = Vec::new();
        for chunk in values.chunks(500) {
            let list = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(",");
            // Only placeholders go into the text; the values are bound.
            let text = sql.replace("{list}", &list);
            let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(text));
            for v in chunk {
                query = query.bind(v);
            }
            rows.extend(query.fetch_all(&self.db.pool).await?);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reads the stamp skips — a sign-in, an export, identity numbers
    /// shown, a what-if — in the query and in the index it reads, word for
    /// word (else the planner would not use the index, or a read would
    /// count as a change).
    #[test]
    fn the_last_change_skips_the_reads_through_its_index() {
        // Actions audited that change nothing counted.
        let reads = [
            Action::SignIn,
            Action::Export,
            Action::ViewIdNumbers,
            Action::WhatIf,
        ];
        let reads: Vec<String> = reads.iter().map(|a| format!("'{}'", a.code())).collect();
        let condition = format!("WHERE action NOT IN ({})", reads.join(", "));
        assert!(LAST_CHANGE.contains(&condition), "{LAST_CHANGE}");
        let (_, name, index) = crate::schema::MIGRATIONS[29];
        assert_eq!(name, "audit_changes");
        assert!(index.contains(&condition), "{index}");
    }

    #[test]
    fn each_group_list_names_the_conditions_of_its_index() {
        use crate::tallies::Group;
        let (_, name, indexes) = crate::schema::MIGRATIONS[30];
        assert_eq!(name, "member_groups");
        let mut indexed = 0;
        for group in [
            Group::Merit,
            Group::SocialProtection,
            Group::EthnicMinority,
            Group::NoWorkingCapacity,
        ] {
            if let Some(condition) = crate::views::member_in_group(group) {
                // The index's condition, as the list writes it on `m`.
                let wanted = format!(
                    "WHERE {} AND removed_on IS NULL",
                    condition.replace("m.", "")
                );
                assert!(indexes.contains(&wanted), "{wanted}\n{indexes}");
                indexed += 1;
            }
        }
        assert_eq!(indexed, 3);
    }
}
