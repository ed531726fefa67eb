//! Read-only views for the pages and the API: lists with filters, a
//! household with everything about it, the dashboard's counts. Every view
//! takes the actor and shows only what its scope holds; a household outside
//! it is "not found", never "forbidden", so its existence does not leak.

use crate::error::RegistryError;
use crate::service::{Actor, AuditEntry, Registry, Role, Scope};
use crate::units::Unit;

/// `AND <column> IN (…)` for the actor's scope; empty when it sees all.
pub(crate) fn scope_clause(scope: &Scope, column: &str) -> Option<String> {
    match scope.units() {
        None => Some(String::new()),
        Some(units) if units.is_empty() => None,
        Some(units) => Some(format!(
            " AND {column} IN ({})",
            units
                .iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )),
    }
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

/// Filters of the household list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdQuery {
    /// Name prefix, with or without diacritics.
    pub q: String,
    /// A unit code: the commune or village (and what rolled into it).
    pub unit: Option<String>,
    /// Official status in `year`.
    pub status: Option<String>,
    /// Deprived in this indicator in `year`.
    pub deprived: Option<String>,
    /// A group from the members: merit, social_protection, ethnic_minority,
    /// no_working_capacity.
    pub group: Option<String>,
    /// A movement into `year`: escaped, newly_poor, re_poor.
    pub movement: Option<String>,
    pub year: Option<i64>,
    pub page: i64,
    pub per_page: i64,
}

/// A row of the household list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct HouseholdRow {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub commune: String,
    pub village: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MemberView {
    pub id: i64,
    pub full_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub relation: String,
    pub ethnicity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AssessmentView {
    pub year: i64,
    pub standard_id: String,
    pub official: i64,
    pub status: String,
    pub deprivation_count: i64,
    pub deprived: String,
    pub reason: String,
}

/// A household with everything the household page shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HouseholdDetail {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub address: String,
    pub phone: String,
    pub commune: String,
    pub commune_code: String,
    pub village: Option<String>,
    pub removed_on: Option<String>,
    pub members: Vec<MemberView>,
    pub assessments: Vec<AssessmentView>,
    #[serde(skip)]
    pub audit: Vec<AuditEntry>,
}

/// Counts of one review year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct YearCounts {
    pub year: i64,
    pub assessed: i64,
    pub poor: i64,
    pub near_poor: i64,
}

impl Registry {
    /// The units the actor may see, in code order.
    pub async fn units_in_scope(&self, actor: &Actor) -> Result<Vec<Unit>, RegistryError> {
        let scope = self.scope(actor).await?;
        Ok(self
            .units()
            .await?
            .into_iter()
            .filter(|u| scope.contains(u.id))
            .collect())
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
        let scope = self.scope(actor).await?;
        let Some(mut clause) = scope_clause(&scope, "h.commune_id") else {
            return Ok(None);
        };
        if let Some(code) = unit.filter(|c| !c.is_empty()) {
            let Some(u) = self.unit_by_code(code).await? else {
                return Ok(None);
            };
            if !scope.contains(u.id) {
                return Ok(None);
            }
            let family = self.unit_family(u.id).await?;
            let ids = family
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            clause.push_str(&format!(
                " AND (h.commune_id IN ({ids}) OR h.village_id IN ({ids}))"
            ));
        }
        Ok(Some(clause))
    }

    /// A page of the household list and the number of all matching rows.
    pub async fn list_households(
        &self,
        actor: &Actor,
        q: &HouseholdQuery,
    ) -> Result<(Vec<HouseholdRow>, i64), RegistryError> {
        if !actor.role.sees_names() {
            return Err(RegistryError::Forbidden(
                "vai trò này chỉ xem số liệu tổng hợp".into(),
            ));
        }
        let Some(units) = self.unit_filter(actor, q.unit.as_deref()).await? else {
            return Ok((Vec::new(), 0));
        };
        let year = match q.year {
            Some(y) => y,
            None => self.latest_year().await?.unwrap_or(0),
        };
        // Placeholders are numbered in the order they appear and each value
        // is bound once, as both engines require.
        let key = vntext::search_key(&q.q);
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
        if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
            clause.push_str(&format!(
                " AND a.status = {}",
                param(Bind::Text(status.to_string()))
            ));
        }
        if let Some(code) = q.deprived.as_deref().filter(|s| !s.is_empty()) {
            clause.push_str(&format!(
                " AND (';' || a.deprived || ';') LIKE {}",
                param(Bind::Text(format!("%;{code};%")))
            ));
        }
        let member = |condition: &str| {
            format!(
                "EXISTS (SELECT 1 FROM members m WHERE m.household_id = h.id AND m.removed_on IS NULL AND {condition})"
            )
        };
        match q.group.as_deref().unwrap_or("") {
            "merit" => clause.push_str(&format!(" AND {}", member("m.merit = 1"))),
            "social_protection" => clause.push_str(&format!(" AND {}", member("m.social_protection = 1"))),
            "ethnic_minority" => clause.push_str(&format!(" AND {}", member("m.ethnicity NOT IN ('', 'Kinh')"))),
            // Nobody can work: every member is a child, elderly, or unable.
            "no_working_capacity" => clause.push_str(&format!(
                " AND {} AND NOT {}",
                member("1 = 1"),
                member("m.no_working_capacity = 0 AND (m.birth_date IS NULL OR CAST(substr(m.birth_date, 1, 4) AS INTEGER) BETWEEN $1 - 59 AND $1 - 15)")
            )),
            _ => {}
        }
        let earlier_poor = "EXISTS (SELECT 1 FROM assessments e WHERE e.household_id = h.id AND e.official = 1 AND e.status = 'poor' AND e.year < $1 - 1)";
        match q.movement.as_deref().unwrap_or("") {
            "escaped" => clause.push_str(" AND p.status = 'poor' AND a.status <> 'poor'"),
            "newly_poor" => clause.push_str(&format!(
                " AND a.status = 'poor' AND (p.status IS NULL OR p.status <> 'poor') AND NOT {earlier_poor}"
            )),
            "re_poor" => {
                clause.push_str(&format!(" AND a.status = 'poor' AND (p.status IS NULL OR p.status <> 'poor') AND {earlier_poor}"))
            }
            _ => {}
        }
        let from = "FROM households h JOIN units c ON c.id = h.commune_id LEFT JOIN units v ON v.id = h.village_id \
                    LEFT JOIN assessments a ON a.household_id = h.id AND a.year = $1 AND a.official = 1 \
                    LEFT JOIN assessments p ON p.household_id = h.id AND p.year = $1 - 1 AND p.official = 1";
        let per_page = q.per_page.clamp(1, 500);
        let page = q.page.max(1);
        // Only integers from the database and placeholders are formatted into the SQL.
        let count_sql = format!("SELECT COUNT(*) {from} WHERE {clause}");
        let total: i64 = bind_all(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)), &binds)
            .fetch_one(&self.db.pool)
            .await?;
        let (limit, offset) = (binds.len() + 1, binds.len() + 2);
        let rows_sql = format!(
            "SELECT h.id, h.code, h.head_name, c.name AS commune, v.name AS village, a.status {from} WHERE {clause} \
             ORDER BY h.head_sort, h.code LIMIT ${limit} OFFSET ${offset}"
        );
        let rows = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(rows_sql)), &binds)
            .bind(per_page)
            .bind((page - 1) * per_page)
            .fetch_all(&self.db.pool)
            .await?;
        Ok((rows, total))
    }

    /// One household, if the actor may see it.
    pub async fn household_detail(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Option<HouseholdDetail>, RegistryError> {
        if !actor.role.sees_names() {
            return Ok(None);
        }
        let scope = self.scope(actor).await?;
        #[derive(sqlx::FromRow)]
        struct Head {
            id: i64,
            code: String,
            head_name: String,
            address: String,
            phone: String,
            commune: String,
            commune_code: String,
            village: Option<String>,
            removed_on: Option<String>,
            commune_id: i64,
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
        let members = sqlx::query_as(
            "SELECT id, full_name, sex, birth_date, id_number, relation, ethnicity FROM members WHERE household_id = $1 AND removed_on IS NULL ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        let assessments = sqlx::query_as(
            "SELECT year, standard_id, official, status, deprivation_count, deprived, reason FROM assessments WHERE household_id = $1 ORDER BY year DESC, official DESC, standard_id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        let audit = self.audit_trail("household", &code).await?;
        Ok(Some(HouseholdDetail {
            id,
            code,
            head_name,
            address,
            phone,
            commune,
            commune_code,
            village,
            removed_on,
            members,
            assessments,
            audit,
        }))
    }

    /// Households assessed, poor and near-poor by year, in the actor's scope
    /// (or under `unit`).
    pub async fn year_counts(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> Result<Vec<YearCounts>, RegistryError> {
        let Some(units) = self.unit_filter(actor, unit).await? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT a.year, COUNT(*), SUM(CASE WHEN a.status = 'poor' THEN 1 ELSE 0 END), SUM(CASE WHEN a.status = 'near_poor' THEN 1 ELSE 0 END) \
             FROM assessments a JOIN households h ON h.id = a.household_id WHERE a.official = 1{units} GROUP BY a.year ORDER BY a.year"
        );
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(year, assessed, poor, near_poor)| YearCounts {
                year,
                assessed,
                poor,
                near_poor,
            })
            .collect())
    }
}

impl Role {
    /// Whether the role may see names and identity numbers (the statistics
    /// officer sees aggregates only; the agency officer, for now, too).
    pub fn sees_names(self) -> bool {
        !matches!(self, Role::Statistics | Role::AgencyOfficer)
    }
}
