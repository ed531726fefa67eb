/// What the registry refuses or fails at. Messages are Vietnamese and say
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("địa chỉ cơ sở dữ liệu \"{0}\" không hợp lệ; dùng sqlite:ĐƯỜNG_DẪN hoặc postgres://…")]
    BadUrl(String),
    #[error("không kết nối được cơ sở dữ liệu: {0}")]
    Connect(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(sqlx::Error),
    /// Another process holds the database's write lock longer than a write
    /// may wait (an import, a restore): try again later.
    #[error(
        "cơ sở dữ liệu đang bận (có thể một lần nạp dữ liệu đang chạy); chưa ghi gì, thử lại sau ít phút"
    )]
    Busy,
    /// A value that must be unique already exists.
    #[error("{0}")]
    Conflict(String),
    #[error("không có quyền: {0}")]
    Forbidden(String),
    #[error("không tìm thấy {0}")]
    NotFound(String),
    #[error("{file}: không đọc được tệp: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("dữ liệu không hợp lệ, không ghi gì vào cơ sở dữ liệu:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    File(#[from] flatfile::FileError),
    #[error("mật khẩu: {0}")]
    Password(String),
}

impl From<sqlx::Error> for RegistryError {
    /// Lock timeouts and uniqueness violations are conditions a user can act
    /// on, not server faults: they get their own variants.
    fn from(e: sqlx::Error) -> RegistryError {
        if let sqlx::Error::Database(d) = &e {
            let message = d.message();
            // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their
            // extended codes; PostgreSQL: lock_not_available (55P03).
            let code = d.code().unwrap_or_default();
            let busy = message.contains("database is locked")
                || message.contains("database table is locked")
                || code == "55P03"
                || code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
            if busy {
                return RegistryError::Busy;
            }
            if d.is_unique_violation() {
                return RegistryError::Conflict(
                    "dữ liệu trùng với một bản ghi đã có (có thể vừa được ghi ở nơi khác); tải lại trang và kiểm tra"
                        .into(),
                );
            }
        }
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return RegistryError::Busy;
        }
        RegistryError::Database(e)
    }
}

impl RegistryError {
    /// One problem of the data, as [`RegistryError::Invalid`].
    pub fn invalid(problem: impl Into<String>) -> RegistryError {
        RegistryError::Invalid(vec![problem.into()])
    }
}
