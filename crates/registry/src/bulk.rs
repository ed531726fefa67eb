//! Many rows in few statements: a bulk load (the province demo, a large
//! import) writes thousands of rows per `INSERT`, inside the caller's one
//! transaction, so it stays all or nothing and costs a statement per few
//! thousand rows instead of one per row. Into an empty table, the secondary
//! indexes are dropped first and built again at the end, in the same
//! transaction: sorting once is far cheaper than a million random index
//! inserts.

use crate::db::Backend;
use crate::error::RegistryError;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// The most parameters one statement carries: SQLite allows 32,766,
/// PostgreSQL 65,535.
const PARAMETERS: usize = 32_000;

/// A statement being bound, as `insert_rows`'s callback receives it.
pub(crate) type Bound<'q> = Query<'q, Any, AnyArguments>;

/// Inserts `rows` into `table` (`columns` in order), `bind` binding one
/// row's values in that order, as few statements as the parameter limit
/// allows. Every full statement has the same text, so it is prepared once.
pub(crate) async fn insert_rows<T>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[T],
    bind: impl for<'q> Fn(Bound<'q>, &'q T) -> Bound<'q>,
) -> Result<(), RegistryError> {
    let per_statement = (PARAMETERS / columns.len()).max(1);
    let mut full: Option<String> = None;
    for chunk in rows.chunks(per_statement) {
        let sql = if chunk.len() == per_statement {
            full.get_or_insert_with(|| insert_sql(backend, table, columns, per_statement))
                .clone()
        } else {
            insert_sql(backend, table, columns, chunk.len())
        };
        // Only table and column names of this crate and `$n` placeholders
        // are in the text; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
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

/// On SQLite the placeholders are anonymous (`?`): the driver looks up a
/// named one (`$n`) by walking the statement's list of names, which made a
/// statement of thousands of parameters quadratic. PostgreSQL numbers them.
fn insert_sql(backend: Backend, table: &str, columns: &[&str], rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns.len() {
            n += 1;
            if c > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// The secondary indexes of some tables, dropped for a bulk load and built
/// again by [`DroppedIndexes::rebuild`] (each engine's own definition, read
/// from its catalogue, so nothing here repeats the migrations). Indexes
/// behind a constraint (a primary key, `UNIQUE`) stay: the load needs them.
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
        }
        for (name, _) in &indexes {
            // Names come from the engine's catalogue, not from a user.
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                .execute(&mut *conn)
                .await?;
        }
        Ok(DroppedIndexes {
            definitions: indexes.into_iter().map(|(_, sql)| sql).collect(),
        })
    }

    /// Builds the dropped indexes again, in the caller's transaction.
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
    use crate::db::Backend;

    #[test]
    fn placeholders_number_across_rows_on_postgres_and_are_anonymous_on_sqlite() {
        assert_eq!(
            insert_sql(Backend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            insert_sql(Backend::Sqlite, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
    }
}
