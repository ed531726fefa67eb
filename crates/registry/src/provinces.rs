//! The microdata by province. Households, members, surveys and
//! assessments carry `province_id`: the unit at the top of the household's
//! commune's parent chain (a province; for history, the province the commune
//! belonged to, since a unit's parent does not change when it is merged).
//!
//! On PostgreSQL these four tables are partitioned by it (declarative
//! partitioning, one partition per province, created with the province), so
//! a national database keeps each province's rows and indexes apart; their
//! keys include it (`(id, province_id)`, `(code, province_id)`), as a
//! Citus-style distributed PostgreSQL requires of its distribution column.
//! On SQLite it is a plain column.

use crate::db::Backend;
use crate::error::RegistryError;
use crate::values::{HouseholdId, UnitId};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The tables partitioned by province, parents before children.
pub(crate) const PARTITIONED: [&str; 4] = ["households", "surveys", "members", "assessments"];

fn id_text<T: std::fmt::Display>(ids: impl IntoIterator<Item = T>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The root (province) of each unit given, walking up the parent chain in
/// the database.
pub(crate) async fn roots_of(
    conn: &mut AnyConnection,
    units: &[UnitId],
) -> Result<HashMap<UnitId, UnitId>, RegistryError> {
    let mut out = HashMap::new();
    for chunk in units.chunks(500) {
        // Only unit ids (integers) are formatted into the SQL.
        let rows: Vec<(UnitId, UnitId)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE up (start, id, parent) AS ( \
               SELECT id, id, parent_id FROM units WHERE id IN ({}) \
               UNION ALL SELECT up.start, u.id, u.parent_id FROM up JOIN units u ON u.id = up.parent \
             ) SELECT start, id FROM up WHERE parent IS NULL",
            id_text(chunk)
        )))
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The province whose roll-up rows each commune's kept counts add to
/// (none for a commune that is its own root: its rows are its province's).
pub(crate) async fn roll_ups(
    conn: &mut AnyConnection,
    communes: impl IntoIterator<Item = UnitId>,
) -> Result<HashMap<UnitId, UnitId>, RegistryError> {
    let mut ids: Vec<UnitId> = communes.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(roots_of(conn, &ids)
        .await?
        .into_iter()
        .filter(|(commune, root)| commune != root)
        .collect())
}

/// The root of every unit that has households or may get some (communes).
async fn commune_roots(conn: &mut AnyConnection) -> Result<HashMap<UnitId, UnitId>, RegistryError> {
    let rows: Vec<(UnitId, UnitId)> = sqlx::query_as(
        "WITH RECURSIVE up (start, id, parent) AS ( \
           SELECT id, id, parent_id FROM units WHERE level = 'commune' \
           UNION ALL SELECT up.start, u.id, u.parent_id FROM up JOIN units u ON u.id = up.parent \
         ) SELECT start, id FROM up WHERE parent IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The province of each household given, as its row says.
pub(crate) async fn of_households(
    conn: &mut AnyConnection,
    households: &[HouseholdId],
) -> Result<HashMap<HouseholdId, UnitId>, RegistryError> {
    Ok(heads_of(conn, households)
        .await?
        .into_iter()
        .map(|(id, (province, _))| (id, province))
        .collect())
}

/// The province and the head's sort key of each household given (an
/// assessment carries both).
pub(crate) async fn heads_of(
    conn: &mut AnyConnection,
    households: &[HouseholdId],
) -> Result<HashMap<HouseholdId, (UnitId, String)>, RegistryError> {
    let mut ids: Vec<HouseholdId> = households.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        // Only household ids (integers) are formatted into the SQL.
        let rows: Vec<(HouseholdId, UnitId, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, province_id, head_sort FROM households WHERE id IN ({})",
                id_text(chunk)
            )))
            .fetch_all(&mut *conn)
            .await?;
        out.extend(rows.into_iter().map(|(id, p, sort)| (id, (p, sort))));
    }
    Ok(out)
}

/// What was read of one household (its province, its head), or an error
/// naming it (a write about a household that is not there).
pub(crate) fn province<T>(
    read: &HashMap<HouseholdId, T>,
    household: HouseholdId,
) -> Result<&T, RegistryError> {
    read.get(&household)
        .ok_or_else(|| RegistryError::NotFound(format!("hộ số {household}")))
}

/// Before units change: the communes' provinces, to tell afterwards whose
/// households move (`UnitsChanging::done`).
pub(crate) struct UnitsChanging(HashMap<UnitId, UnitId>);

impl UnitsChanging {
    pub(crate) async fn start(conn: &mut AnyConnection) -> Result<UnitsChanging, RegistryError> {
        Ok(UnitsChanging(commune_roots(conn).await?))
    }

    /// After the units changed, in the same transaction: a partition for
    /// each new province (PostgreSQL), and the households of a commune now
    /// under another province moved there with everything they hold.
    pub(crate) async fn done(self, conn: &mut AnyConnection) -> Result<(), RegistryError> {
        let backend = Backend::of(conn);
        if backend == Backend::Postgres {
            ensure_partitions(conn).await?;
        }
        let now = commune_roots(conn).await?;
        let mut moved: Vec<(UnitId, UnitId)> = now
            .iter()
            .filter(|(commune, root)| self.0.get(commune).is_some_and(|before| before != *root))
            .map(|(c, r)| (*c, *r))
            .collect();
        moved.sort_unstable();
        let regrouped = !moved.is_empty();
        for (commune, root) in moved {
            move_commune(conn, commune, root).await?;
        }
        if regrouped {
            rebuild_roll_ups(conn).await?;
        }
        Ok(())
    }
}

/// The households of `commune` (and what they hold) under province `root`.
async fn move_commune(
    conn: &mut AnyConnection,
    commune: UnitId,
    root: UnitId,
) -> Result<(), RegistryError> {
    sqlx::query(
        "UPDATE households SET province_id = $1 WHERE commune_id = $2 AND province_id <> $1",
    )
    .bind(root)
    .bind(commune)
    .execute(&mut *conn)
    .await?;
    for table in ["surveys", "members", "assessments"] {
        // On PostgreSQL the keys cascade already; SQLite needs the update.
        // Only this module's table names are formatted into the SQL.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET province_id = $1 WHERE province_id <> $1 AND household_id IN (SELECT id FROM households WHERE commune_id = $2)"
        )))
        .bind(root)
        .bind(commune)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A household moved to a commune under another province: it and what it
/// holds go with it.
pub(crate) async fn household_moved(
    conn: &mut AnyConnection,
    household: HouseholdId,
    to_commune: UnitId,
) -> Result<(), RegistryError> {
    let Some(root) = roots_of(conn, &[to_commune])
        .await?
        .get(&to_commune)
        .copied()
    else {
        return Ok(());
    };
    let moved =
        sqlx::query("UPDATE households SET province_id = $1 WHERE id = $2 AND province_id <> $1")
            .bind(root)
            .bind(household)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if moved > 0 {
        for table in ["surveys", "members", "assessments"] {
            // Only this module's table names are formatted into the SQL.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET province_id = $1 WHERE household_id = $2 AND province_id <> $1"
            )))
            .bind(root)
            .bind(household)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The provinces' roll-up rows of the kept counts made again from their
/// communes' rows (the migration that adds them; a units file that moves a
/// commune to another province).
pub(crate) async fn rebuild_roll_ups(conn: &mut AnyConnection) -> Result<(), RegistryError> {
    sqlx::query(sqlx::AssertSqlSafe(ROOTS.replace(
        "CREATE TEMPORARY TABLE unit_roots",
        "CREATE TEMPORARY TABLE roll_up_roots",
    )))
    .execute(&mut *conn)
    .await?;
    for (table, key) in [
        ("official_counts", "year, status"),
        ("household_spans", "first_year, removed_on"),
        ("unit_tallies", "year, measure"),
    ] {
        let columns: Vec<&str> = key.split(", ").collect();
        let from_c = columns
            .iter()
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Only this module's table and column names are formatted in.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE commune_id IN (SELECT id FROM units WHERE parent_id IS NULL AND level <> 'commune')"
        )))
        .execute(&mut *conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (commune_id, {key}, households) \
             SELECT r.root_id, {from_c}, SUM(c.households) FROM {table} c \
             JOIN roll_up_roots r ON r.unit_id = c.commune_id JOIN units u ON u.id = c.commune_id \
             WHERE r.root_id <> c.commune_id AND u.level = 'commune' \
             GROUP BY r.root_id, {from_c} HAVING SUM(c.households) <> 0"
        )))
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DROP TABLE roll_up_roots")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// PostgreSQL: a partition of each partitioned table for every root unit
/// that has none yet.
pub(crate) async fn ensure_partitions(conn: &mut AnyConnection) -> Result<(), RegistryError> {
    let roots: Vec<UnitId> =
        sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    for root in roots {
        for table in PARTITIONED {
            // Names of this module and a unit id (an integer) only.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE IF NOT EXISTS {table}_p{root} PARTITION OF {table} FOR VALUES IN ({root})"
            )))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The migration that adds the provinces: on SQLite a column, filled from
/// the units; on PostgreSQL the four tables rebuilt partitioned by it, their
/// rows copied, keys and indexes made again with the province in them.
pub(crate) async fn migrate(conn: &mut AnyConnection) -> Result<(), RegistryError> {
    let statements: Vec<String> = match Backend::of(conn) {
        Backend::Sqlite => SQLITE
            .iter()
            .map(|s| s.to_string())
            .chain(["DROP TABLE unit_roots".to_string()])
            .collect(),
        Backend::Postgres => {
            let mut all: Vec<String> = POSTGRES_TABLES.iter().map(|s| s.to_string()).collect();
            // The partitions exist before the rows arrive.
            let roots: Vec<UnitId> =
                sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id")
                    .fetch_all(&mut *conn)
                    .await?;
            for table in PARTITIONED {
                for root in &roots {
                    all.push(format!(
                        "CREATE TABLE {table}_new_p{root} PARTITION OF {table}_new FOR VALUES IN ({root})"
                    ));
                }
            }
            all.extend(POSTGRES_COPY.iter().map(|s| s.to_string()));
            all.extend(POSTGRES_INDEXES.iter().map(|s| s.to_string()));
            // Partitions named after their table's final name.
            for table in PARTITIONED {
                for root in &roots {
                    all.push(format!(
                        "ALTER TABLE {table}_new_p{root} RENAME TO {table}_p{root}"
                    ));
                }
            }
            all.push("DROP TABLE unit_roots".into());
            all
        }
    };
    for statement in statements {
        // The statements are constants of this module and unit ids.
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The root unit of each commune, for filling `province_id`.
const ROOTS: &str = "CREATE TEMPORARY TABLE unit_roots AS \
    WITH RECURSIVE up (start, id, parent) AS ( \
      SELECT id, id, parent_id FROM units \
      UNION ALL SELECT up.start, u.id, u.parent_id FROM up JOIN units u ON u.id = up.parent \
    ) SELECT start AS unit_id, id AS root_id FROM up WHERE parent IS NULL";

const SQLITE: [&str; 9] = [
    "ALTER TABLE households ADD COLUMN province_id BIGINT",
    "ALTER TABLE surveys ADD COLUMN province_id BIGINT",
    "ALTER TABLE members ADD COLUMN province_id BIGINT",
    "ALTER TABLE assessments ADD COLUMN province_id BIGINT",
    ROOTS,
    "UPDATE households SET province_id = (SELECT root_id FROM unit_roots WHERE unit_id = households.commune_id)",
    "UPDATE surveys SET province_id = (SELECT province_id FROM households WHERE id = surveys.household_id)",
    "UPDATE members SET province_id = (SELECT province_id FROM households WHERE id = members.household_id)",
    "UPDATE assessments SET province_id = (SELECT province_id FROM households WHERE id = assessments.household_id)",
];

/// The partitioned tables, beside the old ones until the rows are copied.
/// Columns, defaults and checks as before (`LIKE … INCLUDING DEFAULTS
/// INCLUDING CONSTRAINTS`, identity dropped: PostgreSQL before 17 has none
/// on a partitioned table; a sequence serves), the province added.
const POSTGRES_TABLES: [&str; 9] = [
    ROOTS,
    "CREATE TABLE households_new (LIKE households INCLUDING DEFAULTS INCLUDING CONSTRAINTS, province_id BIGINT NOT NULL) PARTITION BY LIST (province_id)",
    "CREATE TABLE surveys_new (LIKE surveys INCLUDING DEFAULTS INCLUDING CONSTRAINTS, province_id BIGINT NOT NULL) PARTITION BY LIST (province_id)",
    "CREATE TABLE members_new (LIKE members INCLUDING DEFAULTS INCLUDING CONSTRAINTS, province_id BIGINT NOT NULL) PARTITION BY LIST (province_id)",
    "CREATE TABLE assessments_new (LIKE assessments INCLUDING DEFAULTS INCLUDING CONSTRAINTS, province_id BIGINT NOT NULL) PARTITION BY LIST (province_id)",
    // A household whose commune has no province yet (never, in a sound
    // units file) still has somewhere to go.
    "CREATE TABLE households_new_default PARTITION OF households_new DEFAULT",
    "CREATE TABLE surveys_new_default PARTITION OF surveys_new DEFAULT",
    "CREATE TABLE members_new_default PARTITION OF members_new DEFAULT",
    "CREATE TABLE assessments_new_default PARTITION OF assessments_new DEFAULT",
];

const POSTGRES_COPY: [&str; 42] = [
    "INSERT INTO households_new SELECT h.*, COALESCE(r.root_id, 0) FROM households h LEFT JOIN unit_roots r ON r.unit_id = h.commune_id",
    "INSERT INTO surveys_new SELECT s.*, h.province_id FROM surveys s JOIN households_new h ON h.id = s.household_id",
    "INSERT INTO members_new SELECT m.*, h.province_id FROM members m JOIN households_new h ON h.id = m.household_id",
    "INSERT INTO assessments_new SELECT a.*, h.province_id FROM assessments a JOIN households_new h ON h.id = a.household_id",
    // The old tables go, with the keys other tables held on them.
    "DROP TABLE assessments, members, surveys, households CASCADE",
    "ALTER TABLE households_new RENAME TO households",
    "ALTER TABLE surveys_new RENAME TO surveys",
    "ALTER TABLE members_new RENAME TO members",
    "ALTER TABLE assessments_new RENAME TO assessments",
    "ALTER TABLE households_new_default RENAME TO households_default",
    "ALTER TABLE surveys_new_default RENAME TO surveys_default",
    "ALTER TABLE members_new_default RENAME TO members_default",
    "ALTER TABLE assessments_new_default RENAME TO assessments_default",
    // Ids from sequences, continuing after the rows copied.
    "CREATE SEQUENCE households_id_seq OWNED BY households.id",
    "CREATE SEQUENCE surveys_id_seq OWNED BY surveys.id",
    "CREATE SEQUENCE members_id_seq OWNED BY members.id",
    "CREATE SEQUENCE assessments_id_seq OWNED BY assessments.id",
    "ALTER TABLE households ALTER COLUMN id SET DEFAULT nextval('households_id_seq')",
    "ALTER TABLE surveys ALTER COLUMN id SET DEFAULT nextval('surveys_id_seq')",
    "ALTER TABLE members ALTER COLUMN id SET DEFAULT nextval('members_id_seq')",
    "ALTER TABLE assessments ALTER COLUMN id SET DEFAULT nextval('assessments_id_seq')",
    "SELECT setval('households_id_seq', COALESCE((SELECT MAX(id) FROM households), 0) + 1, false)",
    "SELECT setval('surveys_id_seq', COALESCE((SELECT MAX(id) FROM surveys), 0) + 1, false)",
    "SELECT setval('members_id_seq', COALESCE((SELECT MAX(id) FROM members), 0) + 1, false)",
    "SELECT setval('assessments_id_seq', COALESCE((SELECT MAX(id) FROM assessments), 0) + 1, false)",
    // Keys with the province in them; children follow a household's move.
    "ALTER TABLE households ADD PRIMARY KEY (id, province_id)",
    "ALTER TABLE households ADD UNIQUE (code, province_id)",
    "ALTER TABLE surveys ADD PRIMARY KEY (id, province_id)",
    "ALTER TABLE members ADD PRIMARY KEY (id, province_id)",
    "ALTER TABLE assessments ADD PRIMARY KEY (id, province_id)",
    "ALTER TABLE households ADD FOREIGN KEY (commune_id) REFERENCES units (id)",
    "ALTER TABLE households ADD FOREIGN KEY (village_id) REFERENCES units (id)",
    "ALTER TABLE surveys ADD FOREIGN KEY (household_id, province_id) REFERENCES households (id, province_id) ON UPDATE CASCADE",
    "ALTER TABLE members ADD FOREIGN KEY (household_id, province_id) REFERENCES households (id, province_id) ON UPDATE CASCADE",
    "ALTER TABLE assessments ADD FOREIGN KEY (household_id, province_id) REFERENCES households (id, province_id) ON UPDATE CASCADE",
    "ALTER TABLE assessments ADD FOREIGN KEY (survey_id, province_id) REFERENCES surveys (id, province_id) ON UPDATE CASCADE",
    // The indexes of the migrations before, on every partition.
    "CREATE INDEX households_commune ON households (commune_id, head_sort)",
    "CREATE INDEX households_head_search ON households (head_search, head_sort, id)",
    "CREATE INDEX households_head_given_search ON households (head_given_search, head_sort, id)",
    "CREATE INDEX households_head_sort ON households (head_sort, code)",
    "CREATE INDEX households_village ON households (village_id)",
    "CREATE INDEX households_years ON households (commune_id, first_year, removed_on)",
];

/// The rest of the indexes (one array would not say which table is done).
const POSTGRES_INDEXES: [&str; 9] = [
    "CREATE INDEX households_removed ON households (commune_id) WHERE removed_on IS NOT NULL",
    "CREATE INDEX members_household ON members (household_id)",
    "CREATE INDEX members_name_search ON members (name_search, name_sort, id)",
    "CREATE INDEX members_given_search ON members (given_search, name_sort, id)",
    "CREATE INDEX members_id_number ON members (id_number)",
    "CREATE INDEX surveys_household ON surveys (household_id, year)",
    "CREATE UNIQUE INDEX assessments_official ON assessments (household_id, year, province_id) WHERE official = 1",
    "CREATE INDEX assessments_year ON assessments (year, status)",
    "CREATE INDEX assessments_household ON assessments (household_id, year, official, status)",
];
