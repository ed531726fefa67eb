//! Many rows in few statements: a bulk load (the province demo, a large
//! import) writes thousands of rows per `INSERT`, inside the caller's one
//! transaction, so it stays all or nothing and costs a statement per few
//! thousand rows instead of one per row. Into an empty table, the secondary
//! indexes are dropped first and built again at the end, in the same
//! transaction: sorting once is far cheaper than a million random index
//! inserts.

use crate::db::Backend;
use crate::error::RegistryError;
use sqlx::AnyConnection;

/// The most parameters one SQLite statement carries (it allows 32,766).
const PARAMETERS: usize = 32_000;
/// Rows per PostgreSQL statement: one JSON value of this many rows.
const JSON_ROWS: usize = 20_000;

/// One value of a row being written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

/// A row's values, in the order of the columns, as `insert_rows`'s
/// callback gives them (`row.bind(a).bind(b)`).
#[derive(Debug, Default)]
pub(crate) struct Row(Vec<Cell>);

impl Row {
    pub(crate) fn bind(mut self, value: impl Into<Cell>) -> Row {
        self.0.push(value.into());
        self
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(Some(v))
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        Cell::Int(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(Some(v.to_string()))
    }
}

impl From<&String> for Cell {
    fn from(v: &String) -> Cell {
        Cell::Text(Some(v.clone()))
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(Some(v))
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        Cell::Text(v)
    }
}

impl From<Option<&str>> for Cell {
    fn from(v: Option<&str>) -> Cell {
        Cell::Text(v.map(str::to_string))
    }
}

impl From<&Option<String>> for Cell {
    fn from(v: &Option<String>) -> Cell {
        Cell::Text(v.clone())
    }
}

macro_rules! id_cells {
    ($($id:ty),*) => {$(
        impl From<$id> for Cell {
            fn from(v: $id) -> Cell {
                Cell::Int(Some(v.get()))
            }
        }

        impl From<Option<$id>> for Cell {
            fn from(v: Option<$id>) -> Cell {
                Cell::Int(v.map(<$id>::get))
            }
        }
    )*};
}

id_cells!(
    crate::values::HouseholdId,
    crate::values::MemberId,
    crate::values::UnitId,
    crate::values::RoundId
);

/// Statements of a bulk insert, made ready apart from the connection (a
/// load draws and prepares its rows on another thread while the writer
/// sends the previous ones), then sent by [`Prepared::execute`].
pub(crate) struct Prepared(Vec<(String, Payload)>);

enum Payload {
    /// SQLite: the values bound in order.
    Cells(Vec<Cell>),
    /// PostgreSQL: the rows as one JSON value.
    Json(String),
}

impl Prepared {
    /// The statements inserting `rows` into `table` (`columns` in order),
    /// `row` giving one row's values in that order, as few as the engine
    /// allows: on SQLite thousands of rows of bound values per statement
    /// (every full statement has the same text, so it is prepared once);
    /// on PostgreSQL a chunk of rows as one JSON value that the server
    /// turns into rows of the table's own types (`json_populate_recordset`),
    /// so a statement binds one value instead of tens of thousands.
    pub(crate) fn new<T>(
        backend: Backend,
        table: &str,
        columns: &[&str],
        rows: &[T],
        row: impl Fn(Row, &T) -> Row,
    ) -> Prepared {
        let mut statements = Vec::new();
        match backend {
            Backend::Sqlite => {
                let per_statement = (PARAMETERS / columns.len()).max(1);
                let mut full: Option<String> = None;
                for chunk in rows.chunks(per_statement) {
                    let sql = if chunk.len() == per_statement {
                        full.get_or_insert_with(|| insert_sql(table, columns, per_statement))
                            .clone()
                    } else {
                        insert_sql(table, columns, chunk.len())
                    };
                    let mut cells = Vec::with_capacity(chunk.len() * columns.len());
                    for r in chunk {
                        cells.extend(row(Row::default(), r).0);
                    }
                    statements.push((sql, Payload::Cells(cells)));
                }
            }
            Backend::Postgres => {
                let names = columns.join(", ");
                let sql = format!(
                    "INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, $1::json)"
                );
                let keys: Vec<String> = columns
                    .iter()
                    .map(|c| serde_json::Value::from(*c).to_string())
                    .collect();
                for chunk in rows.chunks(JSON_ROWS) {
                    let mut json = String::with_capacity(chunk.len() * 48 * columns.len());
                    json.push('[');
                    for (i, r) in chunk.iter().enumerate() {
                        if i > 0 {
                            json.push(',');
                        }
                        json.push('{');
                        for (k, (key, cell)) in
                            keys.iter().zip(row(Row::default(), r).0).enumerate()
                        {
                            if k > 0 {
                                json.push(',');
                            }
                            json.push_str(key);
                            json.push(':');
                            match cell {
                                Cell::Int(Some(v)) => json.push_str(&v.to_string()),
                                Cell::Text(Some(v)) => {
                                    json.push_str(&serde_json::Value::String(v).to_string())
                                }
                                Cell::Int(None) | Cell::Text(None) => json.push_str("null"),
                            }
                        }
                        json.push('}');
                    }
                    json.push(']');
                    statements.push((sql.clone(), Payload::Json(json)));
                }
            }
        }
        Prepared(statements)
    }

    /// Sends the statements, inside the caller's transaction (a load stays
    /// all or nothing).
    pub(crate) async fn execute(self, conn: &mut AnyConnection) -> Result<(), RegistryError> {
        for (sql, payload) in self.0 {
            // Only table and column names of this crate and placeholders
            // are in the text; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            match payload {
                Payload::Cells(cells) => {
                    for cell in cells {
                        query = match cell {
                            Cell::Int(v) => query.bind(v),
                            Cell::Text(v) => query.bind(v),
                        };
                    }
                }
                Payload::Json(json) => query = query.bind(json),
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Inserts `rows` into `table` (`columns` in order), `row` giving one
/// row's values in that order, in as few statements as the engine allows
/// ([`Prepared::new`]), inside the caller's transaction.
pub(crate) async fn insert_rows<T>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[T],
    row: impl Fn(Row, &T) -> Row,
) -> Result<(), RegistryError> {
    Prepared::new(backend, table, columns, rows, row)
        .execute(conn)
        .await
}

/// `n` fresh ids for `table`, inside the caller's write: on SQLite the
/// next after the largest (the write holds the database's one write lock);
/// on PostgreSQL drawn from the table's sequence, so a writer beside the
/// load never takes one of them.
pub(crate) async fn reserve_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    n: usize,
) -> Result<Vec<i64>, RegistryError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).unwrap_or(i64::MAX);
    Ok(match backend {
        Backend::Sqlite => {
            // Only this crate's table names are formatted into the SQL.
            let last: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"
            )))
            .fetch_one(&mut *conn)
            .await?;
            (last + 1..=last + count).collect()
        }
        Backend::Postgres => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
        )))
        .bind(count)
        .fetch_all(&mut *conn)
        .await?,
    })
}

/// The placeholders are anonymous (`?`): the SQLite driver looks up a
/// named one (`$n`) by walking the statement's list of names, which made a
/// statement of thousands of parameters quadratic.
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let one = format!("({})", vec!["?"; columns.len()].join(","));
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(&one);
    }
    sql
}

/// The secondary indexes of some tables, dropped for a bulk load and built
/// again by [`DroppedIndexes::rebuild`] (each engine's own definition, read
/// from its catalogue, so nothing here repeats the migrations). Indexes
/// behind a constraint (a primary key, `UNIQUE`) stay: the load needs them.
/// On PostgreSQL the tables' foreign keys go too and come back checked in
/// one pass each, instead of a lookup per row (a third of a load's time).
pub(crate) struct DroppedIndexes {
    definitions: Vec<String>,
}

impl DroppedIndexes {
    pub(crate) async fn drop(
        conn: &mut AnyConnection,
        backend: Backend,
        tables: &[&str],
    ) -> Result<DroppedIndexes, RegistryError> {
        let mut indexes: Vec<(String, String)> = Vec::new();
        let mut definitions = Vec::new();
        for table in tables {
            let sql = match backend {
                Backend::Sqlite => {
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name"
                }
                Backend::Postgres => {
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 \
                     AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
                }
            };
            let found: Vec<(String, String)> = sqlx::query_as(sql)
                .bind(*table)
                .fetch_all(&mut *conn)
                .await?;
            indexes.extend(found);
            if backend == Backend::Postgres {
                let keys: Vec<(String, String)> = sqlx::query_as(
                    "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                     WHERE contype = 'f' AND conrelid = $1::regclass AND conparentid = 0 ORDER BY conname",
                )
                .bind(*table)
                .fetch_all(&mut *conn)
                .await?;
                for (name, definition) in keys {
                    // Names come from the engine's catalogue, not from a user.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "ALTER TABLE {table} DROP CONSTRAINT {name}"
                    )))
                    .execute(&mut *conn)
                    .await?;
                    definitions.push(format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
                    ));
                }
            }
        }
        for (name, _) in &indexes {
            // Names come from the engine's catalogue, not from a user.
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                .execute(&mut *conn)
                .await?;
        }
        // A partitioned table's index reads "ON ONLY" in the catalogue;
        // made again on the table, it is made on every partition.
        definitions.splice(
            0..0,
            indexes
                .into_iter()
                .map(|(_, sql)| sql.replacen(" ON ONLY ", " ON ", 1)),
        );
        Ok(DroppedIndexes { definitions })
    }

    /// Builds the dropped indexes (and keys) again, in the caller's
    /// transaction.
    pub(crate) async fn rebuild(self, conn: &mut AnyConnection) -> Result<(), RegistryError> {
        for definition in self.definitions {
            sqlx::query(sqlx::AssertSqlSafe(definition))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::insert_sql;

    #[test]
    fn placeholders_are_anonymous() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
    }
}
