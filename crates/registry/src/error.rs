/// What the registry refuses or fails at. Messages are Vietnamese and say
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("địa chỉ cơ sở dữ liệu \"{0}\" không hợp lệ; dùng sqlite:ĐƯỜNG_DẪN hoặc postgres://…")]
    BadUrl(String),
    #[error("không kết nối được cơ sở dữ liệu: {0}")]
    Connect(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[from] sqlx::Error),
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
    #[error("{0}")]
    File(#[from] flatfile::FileError),
    #[error("mật khẩu: {0}")]
    Password(String),
}
