//! The connection to the database, SQLite or PostgreSQL by URL, and the
//! versioned migrations.
//!
//! All SQL of the registry is written once, in a subset both engines accept
//! (`$n` parameters, `RETURNING`, `ON CONFLICT`), and runs through sqlx's
//! `Any` driver. The registry stores only integers, floats, booleans and text
//! (dates as ISO `yyyy-mm-dd`, times as RFC 3339 UTC), which `Any` carries
//! without loss. The few DDL differences are tokens in the migrations.
//!
//! Writes go through [`Db::write`]. SQLite has one writer at a time, so the
//! registry keeps one writer connection and queues its writers in the
//! application (`BEGIN IMMEDIATE` on that connection), with a pool of readers
//! beside it in WAL mode: a write never waits on a lock held by another write
//! of this process, and never asks the pool for a second connection while it
//! holds one. PostgreSQL writes through the same pool as it reads.

use crate::error::RegistryError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's statistics refreshed for the tables that need it, each from a
/// sample of its indexes (SQLite's advice): the whole of a million-row
/// index took most of a second after every small import.
const SQLITE_OPTIMIZE: &str = "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002";

impl Backend {
    /// The engine behind a connection (or a transaction on one).
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The SQL that joins a group's `expr` into one text, `;` between:
    /// a few hundred rows of text where there were tens of thousands, for
    /// the driver hands rows over one at a time.
    pub(crate) fn joined(self, expr: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expr}, ';')"),
            Backend::Postgres => format!("string_agg({expr}, ';')"),
        }
    }

    /// `column` is one of `ids`: `IN (…)` on SQLite; on PostgreSQL one
    /// array constant, which it plans in a fraction of the time it takes
    /// over a list of a province's thousands of values (0.3 against 2–3 ms
    /// for 2,500 communes).
    pub(crate) fn in_ids(
        self,
        column: &str,
        ids: &std::collections::BTreeSet<crate::values::UnitId>,
    ) -> String {
        let list = crate::gate::id_list(ids);
        match (self, ids.is_empty()) {
            (_, true) => "1 = 0".to_string(),
            (Backend::Sqlite, false) => format!("{column} IN ({list})"),
            (Backend::Postgres, false) => format!("{column} = ANY('{{{list}}}'::bigint[])"),
        }
    }

    /// The SQL that joins every row's `expr` into one text, a line each:
    /// for rows of long texts, which [`Db::fetch_packed`] would escape.
    pub(crate) fn lines(self, expr: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expr}, char(10))"),
            Backend::Postgres => format!("string_agg({expr}, chr(10))"),
        }
    }
}

/// A packed text (JSON) that does not read as the rows it should hold.
pub(crate) fn decode_error(e: serde_json::Error) -> RegistryError {
    RegistryError::Database(sqlx::Error::Decode(Box::new(e)))
}

/// The (key, number) pairs of a text that [`Backend::joined`] made of
/// `key || '=' || number`; a pair that is not one is an error.
pub(crate) fn read_joined(text: &str) -> Result<Vec<(&str, i64)>, RegistryError> {
    joined_pairs(text)
        .map(|pair| {
            pair.map_err(|pair| {
                RegistryError::Database(sqlx::Error::Decode(format!("\"{pair}\"").into()))
            })
        })
        .collect()
}

/// The pairs of a joined text one by one: each (key, number), or the
/// piece that is not a pair. Split at the bytes of ';' and of the last
/// '=' (ASCII, so every piece is text): a province's tally sheets are
/// hundreds of thousands of pairs, and a `char` pattern compares each
/// match again.
pub(crate) fn joined_pairs(text: &str) -> impl Iterator<Item = Result<(&str, i64), &str>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let (pair, after) = match rest.bytes().position(|b| b == b';') {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, ""),
            };
            rest = after;
            if pair.is_empty() {
                continue;
            }
            return Some(
                pair.bytes()
                    .rposition(|b| b == b'=')
                    .and_then(|eq| Some((&pair[..eq], pair[eq + 1..].parse::<i64>().ok()?)))
                    .ok_or(pair),
            );
        }
    })
}

/// A row [`Db::fetch_packed`] reads: from a row (PostgreSQL) or from its
/// cells in a JSON array (SQLite).
pub(crate) trait PackedRow:
    serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin
{
}

impl<T> PackedRow for T where
    T: serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin
{
}

/// A connection pool to the registry's database.
#[derive(Debug, Clone)]
pub struct Db {
    /// Readers (and, on PostgreSQL, writers too).
    pub(crate) pool: AnyPool,
    /// The one writer connection of SQLite; the same pool on PostgreSQL.
    writer: AnyPool,
    /// Where dashboards and reports read: a read replica when given
    /// (`with_reports`), the readers otherwise.
    reports: AnyPool,
    backend: Backend,
    sqlite_file: Option<PathBuf>,
    /// A shared lock on `<database>.lock` while this process uses a SQLite
    /// file, so that `restore` can tell the database is in use.
    _in_use: Option<Arc<std::fs::File>>,
}

/// The file beside a SQLite database whose lock says it is in use
/// (`.lock`) or that an import runs (`.import.lock`).
fn lock_file(database: &Path, suffix: &str) -> Result<std::fs::File, RegistryError> {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    let path = PathBuf::from(name);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| RegistryError::Io {
            file: path.display().to_string(),
            source,
        })
}

/// Each SQLite connection: foreign keys, a wait for another process's write
/// lock, the WAL's usual durability; pages read through a memory map (no
/// copy per read) and a 32 MB page cache, since pages are what list and
/// dashboard queries spend their time on. Temporary files in memory: a
/// statement that inserts many rows keeps the pages it changes in a
/// statement journal (to undo itself alone, for the foreign keys), and on
/// disk that journal was a sixth of a district's import, in `pwrite`.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
     PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;";

/// Each PostgreSQL connection of the application (see `Db::connect`).
const POSTGRES_SESSION: &str = "SET max_parallel_workers_per_gather = 0; SET jit = off; SET plan_cache_mode = force_custom_plan";

impl Db {
    /// Connects to `sqlite:PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, RegistryError> {
        install_default_drivers();
        let (backend, url, file) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            (
                Backend::Sqlite,
                format!("sqlite://{path}?mode=rwc"),
                Some(PathBuf::from(path)),
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string(), None)
        } else {
            return Err(RegistryError::BadUrl(url.to_string()));
        };
        let in_use = match &file {
            Some(path) => {
                let lock = lock_file(path, ".lock")?;
                if lock.try_lock_shared().is_err() {
                    return Err(RegistryError::Forbidden(format!(
                        "{}: cơ sở dữ liệu đang được khôi phục từ bản sao lưu; chờ lệnh restore xong",
                        path.display()
                    )));
                }
                Some(Arc::new(lock))
            }
            None => None,
        };
        let options = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        match backend {
                            Backend::Sqlite => {
                                conn.execute(SQLITE_PRAGMAS).await?;
                            }
                            // A page reads a few hundred rows: starting
                            // parallel workers for it cost 30 ms of a 45 ms
                            // list at 1M (index builds keep their own), and
                            // compiling a query (JIT) 150 ms of a list at
                            // 5M. Statements are planned for their values
                            // each time: after five runs PostgreSQL may keep
                            // a generic plan, and the generic plan of a name
                            // search in one commune reads every member of the
                            // province whose name starts alike.
                            Backend::Postgres => {
                                conn.execute(POSTGRES_SESSION).await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let connect_error = |e: sqlx::Error| RegistryError::Connect(e.to_string());
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let writer = options(1).connect(&url).await.map_err(connect_error)?;
                // WAL is a property of the file: set once, kept. Readers then
                // never wait for the writer.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                let pool = options(4).connect(&url).await.map_err(connect_error)?;
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = options(8).connect(&url).await.map_err(connect_error)?;
                (pool.clone(), pool)
            }
        };
        Ok(Db {
            reports: pool.clone(),
            pool,
            writer,
            backend,
            sqlite_file: file,
            _in_use: in_use,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Dashboards and reports read from `url` (a read replica of this
    /// database, e.g. PostgreSQL streaming replication, or a copy of a
    /// SQLite file): they read hundreds of kept rows, but at a province's or
    /// the nation's scale they need not queue behind the officers' pages
    /// and writes. Its connections are read-only. A replica trails its
    /// primary by its replication lag; pages that write and read back
    /// (lists, a household, a review) keep to the primary.
    pub async fn with_reports(mut self, url: &str) -> Result<Db, RegistryError> {
        let connect_error = |e: sqlx::Error| RegistryError::Connect(e.to_string());
        let (url, backend) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            (format!("sqlite://{path}?mode=ro"), Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_string(), Backend::Postgres)
        } else {
            return Err(RegistryError::BadUrl(url.to_string()));
        };
        self.reports = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 1073741824;")
                                .await?;
                        }
                        Backend::Postgres => {
                            conn.execute("SET default_transaction_read_only = on").await?;
                            conn.execute(POSTGRES_SESSION).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(connect_error)?;
        Ok(self)
    }

    /// Where dashboards and reports read (see `with_reports`).
    pub(crate) fn reports(&self) -> &AnyPool {
        &self.reports
    }

    /// The rows of `sql`, whose selected columns are named `columns`, with
    /// `binds` bound in order ($1, $2…), read from `pool`. The SQLite
    /// driver hands each row over from its own thread, some microseconds
    /// a row (milliseconds a query for a province's hundreds of communes),
    /// so on SQLite the database packs the rows into one JSON array of
    /// arrays, unpacked here into `T`s (tuples of numbers, texts and
    /// options of them). PostgreSQL's driver reads rows in the caller's
    /// task, where packing would only add the JSON's cost. The order of
    /// the rows is not kept.
    pub(crate) async fn fetch_packed<T: PackedRow>(
        &self,
        pool: &AnyPool,
        sql: &str,
        columns: &[&str],
        binds: &[i64],
    ) -> Result<Vec<T>, RegistryError> {
        self.fetch_packed_in_order(pool, sql, columns, "", binds)
            .await
    }

    /// The same, the rows in `sql`'s own order, which is `order` (columns
    /// `sql` selects, such as `head_sort, code`; none for any order).
    pub(crate) async fn fetch_packed_in_order<T: PackedRow>(
        &self,
        pool: &AnyPool,
        sql: &str,
        columns: &[&str],
        order: &str,
        binds: &[i64],
    ) -> Result<Vec<T>, RegistryError> {
        // The caller's SQL holds only what its own checks allow (ids from
        // the database, fixed text); the columns are names in the code.
        if self.backend == Backend::Postgres {
            let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_string()));
            for bind in binds {
                query = query.bind(*bind);
            }
            return Ok(query.fetch_all(pool).await?);
        }
        let order = if order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {order}")
        };
        let packed = format!(
            "SELECT COALESCE(json_group_array(json_array({}){order}), '[]') FROM ({sql}) AS packed",
            columns.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(packed));
        for bind in binds {
            query = query.bind(*bind);
        }
        let text = query.fetch_one(pool).await?;
        serde_json::from_str(&text).map_err(decode_error)
    }

    /// The same, for tests and tools that check it.
    pub fn reports_pool(&self) -> &AnyPool {
        &self.reports
    }

    /// The readers' pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so what it reads stays true until it commits.
    pub async fn write(&self) -> Result<Transaction<'static, Any>, RegistryError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Keeps the planner's statistics current after many rows changed (a
    /// bulk load): without them SQLite sorts a whole list where an index
    /// read in order and stopped at a page would do.
    pub async fn optimize(&self) -> Result<(), RegistryError> {
        match self.backend {
            Backend::Sqlite => self.writer.execute(SQLITE_OPTIMIZE).await?,
            // Outside a transaction: statistics, and the visibility map that
            // lets a count read an index alone.
            Backend::Postgres => self.writer.execute("VACUUM ANALYZE").await?,
        };
        Ok(())
    }

    /// Closes every connection (SQLite: after refreshing the statistics).
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite {
            let _ = self.writer.execute("PRAGMA optimize").await;
        }
        self.pool.close().await;
        self.writer.close().await;
        self.reports.close().await;
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    /// Returns how many were applied.
    pub async fn migrate(&self) -> Result<usize, RegistryError> {
        self.migrate_until(i64::MAX).await
    }

    /// Applies the migrations not yet applied up to version `last` (a test
    /// builds an older database with it, to check a later migration's
    /// treatment of its rows).
    pub async fn migrate_until(&self, last: i64) -> Result<usize, RegistryError> {
        self.writer
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
            )
            .await?;
        let mut count = 0;
        for (version, name, ddl) in crate::schema::MIGRATIONS {
            if version > last {
                break;
            }
            let mut tx = self.write().await?;
            // Read inside the transaction: two processes starting at once
            // must not both apply a migration.
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if applied.is_some() {
                continue;
            }
            if name == "provinces" {
                crate::provinces::migrate(&mut tx).await?;
            }
            if name == "province_roll_ups" {
                crate::provinces::rebuild_roll_ups(&mut tx).await?;
            }
            for statement in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let statement = self.dialect(statement);
                // The migrations are constants of this crate.
                tx.execute(sqlx::AssertSqlSafe(statement)).await?;
            }
            if matches!(name, "unit_tallies" | "child_tallies" | "score_gap_tallies") {
                // Tallies are computed by the same code that keeps them.
                crate::tallies::rebuild(&mut tx).await?;
            }
            // The sheets are made once their measures can be numbered.
            if name == "tally_measures" {
                crate::tallies::rebuild_sheets(&mut tx).await?;
            }
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(version)
            .bind(name)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            count += 1;
        }
        if self.backend == Backend::Sqlite {
            // Statistics for tables that have grown since they were taken
            // (SQLite's advice for long-lived connections).
            self.writer.execute(SQLITE_OPTIMIZE).await?;
        }
        Ok(count)
    }

    /// The migrations' DDL tokens in this engine's words.
    fn dialect(&self, ddl: &str) -> String {
        let (id, binary_text, blob) = match self.backend {
            Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "BLOB"),
            Backend::Postgres => (
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                "TEXT COLLATE \"C\"",
                "BYTEA",
            ),
        };
        ddl.replace("{id}", id)
            .replace("{binary_text}", binary_text)
            .replace("{blob}", blob)
    }
}

/// Held while an import runs: a second import waits its turn (and is told
/// so) instead of failing on a lock or on codes the first one is creating.
pub struct ImportTurn {
    _file: Option<std::fs::File>,
    _connection: Option<sqlx::AnyConnection>,
}

/// The advisory lock key of imports on PostgreSQL ("giamngheo import").
const IMPORT_LOCK_KEY: i64 = 0x6769_616d_6e67;

impl Db {
    /// Waits until no other import runs on this database, then holds the
    /// turn until the returned value is dropped. `waiting` is called once if
    /// another import is running.
    pub async fn import_turn(
        &self,
        waiting: &(dyn Fn() + Sync),
    ) -> Result<ImportTurn, RegistryError> {
        match self.backend {
            Backend::Sqlite => {
                let Some(database) = self.sqlite_path() else {
                    return Ok(ImportTurn {
                        _file: None,
                        _connection: None,
                    });
                };
                let file = lock_file(&database, ".import.lock")?;
                if file.try_lock().is_err() {
                    waiting();
                    let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                        .await
                        .map_err(|e| RegistryError::Connect(e.to_string()))?
                        .map_err(|source| RegistryError::Io {
                            file: format!("{}.import.lock", database.display()),
                            source,
                        })?;
                    return Ok(ImportTurn {
                        _file: Some(file),
                        _connection: None,
                    });
                }
                Ok(ImportTurn {
                    _file: Some(file),
                    _connection: None,
                })
            }
            Backend::Postgres => {
                // A session lock on a connection of its own, released when the
                // connection closes with the turn.
                let mut connection = self.pool.acquire().await?.detach();
                let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(IMPORT_LOCK_KEY)
                    .fetch_one(&mut connection)
                    .await?;
                if !free {
                    waiting();
                    sqlx::query("SELECT pg_advisory_lock($1)")
                        .bind(IMPORT_LOCK_KEY)
                        .execute(&mut connection)
                        .await?;
                }
                Ok(ImportTurn {
                    _file: None,
                    _connection: Some(connection),
                })
            }
        }
    }

    /// The file of a SQLite database.
    fn sqlite_path(&self) -> Option<PathBuf> {
        self.sqlite_file.clone()
    }
}

impl Db {
    /// A consistent copy of a SQLite database, taken while it is in use
    /// (`VACUUM INTO`). PostgreSQL is backed up with pg_dump (see README).
    pub async fn backup(&self, out: &Path) -> Result<(), RegistryError> {
        if self.backend == Backend::Postgres {
            return Err(RegistryError::Forbidden(
                "với PostgreSQL hãy dùng pg_dump -Fc -f TỆP postgres://… (xem README)".into(),
            ));
        }
        if out.exists() {
            return Err(RegistryError::Forbidden(format!(
                "tệp {} đã có; chọn tên khác",
                out.display()
            )));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(out.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Rows in each table of the registry.
    pub async fn counts(&self) -> Result<Vec<(&'static str, i64)>, RegistryError> {
        let mut out = Vec::new();
        for table in [
            "units",
            "households",
            "members",
            "surveys",
            "assessments",
            "users",
            "audit_log",
        ] {
            // The table names are the constants above.
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&self.pool)
                    .await?;
            out.push((table, n));
        }
        Ok(out)
    }

    /// `PRAGMA integrity_check` of a SQLite database: "ok" when sound.
    pub async fn integrity_check(&self) -> Result<String, RegistryError> {
        if self.backend == Backend::Postgres {
            return Ok("ok".into());
        }
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.join("; "))
    }
}

/// Why a file is not a usable SQLite backup, from its 100-byte header: the
/// magic string, and the size the header announces (page size × page count)
/// against the size on disk, which catches a truncated copy.
fn backup_header_problem(path: &Path) -> Result<Option<String>, std::io::Error> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        let n = file.read(&mut header[read..])?;
        if n == 0 {
            break;
        }
        read += n;
    }
    if read < header.len() || &header[..16] != b"SQLite format 3\0" {
        return Ok(Some(
            "không phải tệp sao lưu của giamngheo (không phải cơ sở dữ liệu SQLite)".into(),
        ));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    let expected = page_size * pages;
    if pages > 0 && size < expected {
        return Ok(Some(format!(
            "tệp sao lưu bị cắt cụt: có {size} byte, cần {expected} byte; chép lại bản sao lưu đầy đủ"
        )));
    }
    Ok(None)
}

/// Replaces the SQLite database at `target` by a backup, after checking the
/// backup (its header and size, `PRAGMA integrity_check`, and that it is a
/// giamngheo database). Refuses while any giamngheo process uses the target
/// (its lock file), and refuses to replace an existing database unless
/// `force`. Nothing is touched until the backup has passed every check.
pub async fn restore_sqlite(
    backup: &Path,
    target: &Path,
    force: bool,
) -> Result<(), RegistryError> {
    let io = |file: &Path, source| RegistryError::Io {
        file: file.display().to_string(),
        source,
    };
    let bad =
        |problem: String| RegistryError::Invalid(vec![format!("{}: {problem}", backup.display())]);
    if !backup.is_file() {
        return Err(RegistryError::NotFound(format!(
            "tệp sao lưu {}",
            backup.display()
        )));
    }
    if let Some(problem) = backup_header_problem(backup).map_err(|e| io(backup, e))? {
        return Err(bad(problem));
    }
    install_default_drivers();
    let mut check = sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=ro", backup.display()))
        .await
        .map_err(|e| bad(format!("không mở được tệp sao lưu: {e}")))?;
    let verdict: Result<Vec<String>, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut check)
        .await;
    let verdict = verdict.map_err(|e| bad(format!("tệp sao lưu hỏng: {e}")))?;
    if verdict.join("; ") != "ok" {
        return Err(bad(format!("tệp sao lưu hỏng: {}", verdict.join("; "))));
    }
    let migrated: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&mut check)
        .await;
    let newest: i64 = crate::schema::MIGRATIONS.len() as i64;
    match migrated {
        Err(_) | Ok(0) => {
            return Err(bad("không phải tệp sao lưu của giamngheo".into()));
        }
        Ok(n) if n > newest => {
            return Err(bad(format!(
                "bản sao lưu của một phiên bản giamngheo mới hơn ({n} bước nâng cấp, bản này biết {newest}); dùng phiên bản mới hơn để khôi phục"
            )));
        }
        Ok(_) => {}
    }
    let _ = check.close().await;

    // Nobody may be using the target while it is replaced.
    let lock = lock_file(target, ".lock")?;
    if lock.try_lock().is_err() {
        return Err(RegistryError::Forbidden(format!(
            "{} đang được dùng (máy chủ giamngheo hay một lệnh khác đang mở nó); dừng máy chủ rồi khôi phục",
            target.display()
        )));
    }
    if target.exists() && !force {
        return Err(RegistryError::Forbidden(format!(
            "{} đã có dữ liệu; khôi phục sẽ thay toàn bộ dữ liệu này bằng bản sao lưu. Thêm --force nếu đúng là muốn thay",
            target.display()
        )));
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".giamngheo-restore-")
        .tempfile_in(dir)
        .map_err(|e| io(target, e))?;
    std::fs::copy(backup, temp.path()).map_err(|e| io(backup, e))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| io(&side, e))?;
        }
    }
    temp.persist(target).map_err(|e| io(target, e.error))?;
    drop(lock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_ids_is_a_list_on_sqlite_and_one_array_on_postgresql() {
        use crate::values::UnitId;
        let ids: std::collections::BTreeSet<UnitId> =
            [UnitId::new(35), UnitId::new(2)].into_iter().collect();
        assert_eq!(
            Backend::Sqlite.in_ids("commune_id", &ids),
            "commune_id IN (2,35)"
        );
        assert_eq!(
            Backend::Postgres.in_ids("unit_id", &ids),
            "unit_id = ANY('{2,35}'::bigint[])"
        );
        // None: no row, on either engine (an empty IN list is not SQL).
        let none = std::collections::BTreeSet::new();
        assert_eq!(Backend::Sqlite.in_ids("commune_id", &none), "1 = 0");
        assert_eq!(Backend::Postgres.in_ids("commune_id", &none), "1 = 0");
    }

    #[tokio::test]
    async fn packed_rows_and_lines_read_back_as_the_rows_were() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        let rows = "SELECT 1 AS a, 'Xã Đông \"Hà\"' AS b, NULL AS c \
                    UNION ALL SELECT 2, 'x;y', 'z' UNION ALL SELECT $1, '', NULL";
        let mut got: Vec<(i64, String, Option<String>)> = db
            .fetch_packed(&db.pool, rows, &["a", "b", "c"], &[-7])
            .await
            .unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                (-7, String::new(), None),
                (1, "Xã Đông \"Hà\"".into(), None),
                (2, "x;y".into(), Some("z".into())),
            ]
        );
        let none: Vec<(i64,)> = db
            .fetch_packed(&db.pool, "SELECT 1 AS a WHERE 1 = 0", &["a"], &[])
            .await
            .unwrap();
        assert!(none.is_empty());
        // In an order asked for, by a column not read (`c` first, then `a`
        // backwards).
        let ordered: Vec<(i64, String)> = db
            .fetch_packed_in_order(&db.pool, rows, &["a", "b"], "c, a DESC", &[-7])
            .await
            .unwrap();
        assert_eq!(
            ordered.iter().map(|r| r.0).collect::<Vec<_>>(),
            [1, -7, 2],
            "NULLs first, then 'z'"
        );

        let sql = format!(
            "SELECT {} FROM (SELECT 'a b' AS x UNION ALL SELECT 'c;d=1') AS t",
            db.backend().lines("x")
        );
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let mut lines: Vec<String> = text.unwrap().lines().map(String::from).collect();
        lines.sort();
        assert_eq!(lines, ["a b", "c;d=1"]);
    }
}
