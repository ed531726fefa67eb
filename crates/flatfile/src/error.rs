use std::path::{Path, PathBuf};

/// What went wrong with a flat household file. Messages are Vietnamese, name
/// the file and, for a bad cell, its row and column, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{file}: không đọc/ghi được tệp: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}: thiếu cột \"{column}\". Tệp cần các cột: {needed}. Thêm cột này vào dòng tiêu đề rồi chạy lại."
    )]
    MissingColumn {
        file: PathBuf,
        column: String,
        needed: String,
    },
    #[error(
        "{file}: cột \"{column}\" xuất hiện hai lần trong dòng tiêu đề; xoá một cột rồi chạy lại."
    )]
    DuplicateColumn { file: PathBuf, column: String },
    #[error("{file}: tệp trống, không có dòng tiêu đề.")]
    Empty { file: PathBuf },
    #[error(
        "{file}: tầng mẫu {strata} (cột stratum) chỉ có một đơn vị mẫu cấp 1 (cột psu): không ước lượng được sai số trong tầng này. Gộp tầng đó với một tầng gần nó rồi chạy lại."
    )]
    SinglePsu { file: PathBuf, strata: String },
    #[error("{file}, dòng {row}, cột \"{column}\": {problem}")]
    Cell {
        file: PathBuf,
        row: u64,
        column: String,
        problem: String,
    },
    #[error("{file}, dòng {row}: {problem}")]
    Row {
        file: PathBuf,
        row: u64,
        problem: String,
    },
    #[error("{file}: tệp Parquet không đọc được: {message}")]
    Parquet { file: PathBuf, message: String },
    #[error(
        "{file}: không nhận ra định dạng \"{extension}\"; dùng đuôi .csv hoặc .parquet{extra}."
    )]
    UnknownFormat {
        file: PathBuf,
        extension: String,
        extra: &'static str,
    },
}

impl FileError {
    pub(crate) fn io(file: &Path, source: std::io::Error) -> FileError {
        FileError::Io {
            file: file.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parquet(file: &Path, e: impl std::fmt::Display) -> FileError {
        FileError::Parquet {
            file: file.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A problem found in one row, before the file name and absolute row number
/// are known (they are added by the reader that knows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowProblem {
    /// Index of the row within its chunk.
    pub row: usize,
    /// The column's name; None when the problem is with the whole row.
    pub column: Option<String>,
    pub problem: String,
}

impl RowProblem {
    pub(crate) fn into_error(self, file: &Path, first_row: u64) -> FileError {
        let row = first_row + self.row as u64;
        match self.column {
            Some(column) => FileError::Cell {
                file: file.to_path_buf(),
                row,
                column,
                problem: self.problem,
            },
            None => FileError::Row {
                file: file.to_path_buf(),
                row,
                problem: self.problem,
            },
        }
    }
}
