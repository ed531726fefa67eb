//! The flat household file (formats.md): one row per household, in CSV or
//! Parquet. Reading is streamed and spread over threads with a fixed number of
//! chunks in flight, so a national file is measured in one pass in bounded
//! memory; writing goes to a temporary file that replaces the target only when
//! everything succeeded, so a failed run leaves no output behind.
//!
//! This crate is the edge: the rules live in `standard`, the arithmetic in
//! `measure`.

mod batch;
mod csv_read;
mod error;
mod parquet_read;
mod pipeline;
mod write;

pub use batch::{Batch, Codes, Columns, ReadOptions, Texts, hash_id};
pub use error::FileError;
pub use pipeline::Job;
pub use write::{OutputFile, Table, Value, measures_table, write_households, write_table};

use measure::{Accumulator, Design, GroupId, GroupMeasures, Row};
use standard::{Ratio, Standard};
use std::path::Path;

/// The two formats of the flat household file, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format, FileError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(FileError::UnknownFormat {
                file: path.to_path_buf(),
                extension,
                extra: "",
            }),
        }
    }
}

/// An opened flat household file.
pub struct Input {
    source: Source,
}

enum Source {
    Csv(csv_read::CsvSource),
    Parquet(parquet_read::ParquetSource),
}

/// How much work a file is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    Bytes(u64),
    Rows(u64),
}

impl Input {
    pub fn open(path: &Path) -> Result<Input, FileError> {
        let source = match Format::of(path)? {
            Format::Csv => Source::Csv(csv_read::CsvSource::open(path)?),
            Format::Parquet => Source::Parquet(parquet_read::ParquetSource::open(path)?),
        };
        Ok(Input { source })
    }

    pub fn header(&self) -> &[String] {
        match &self.source {
            Source::Csv(s) => &s.header,
            Source::Parquet(s) => &s.header,
        }
    }

    pub fn path(&self) -> &Path {
        match &self.source {
            Source::Csv(s) => &s.path,
            Source::Parquet(s) => &s.path,
        }
    }

    pub fn extent(&self) -> Extent {
        match &self.source {
            Source::Csv(s) => Extent::Bytes(s.size),
            Source::Parquet(s) => Extent::Rows(s.rows),
        }
    }

    pub fn columns(
        &self,
        standard: &Standard,
        options: &ReadOptions,
    ) -> Result<Columns, FileError> {
        Columns::resolve(self.path(), self.header(), standard, options)
    }

    /// Runs `job` over every row on `threads` threads; `consume` receives the
    /// outputs of the chunks in file order. `progress` is told the bytes or
    /// rows done (see [`Input::extent`]).
    pub fn run<J: Job>(
        &self,
        columns: &Columns,
        job: &J,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
        consume: impl FnMut(J::Output) -> Result<(), FileError>,
    ) -> Result<(), FileError> {
        match &self.source {
            Source::Csv(s) => s.run(columns, job, threads, progress, consume),
            Source::Parquet(s) => s.run(columns, job, threads, progress, consume),
        }
    }
}

/// The rows of a batch as the measures see them.
pub fn measure_row(batch: &Batch, i: usize) -> Row {
    Row {
        area: batch.area[i],
        income_per_capita: batch.income_per_capita[i],
        deprivations: batch.deprivations[i],
        weight: batch.weight[i],
        members: batch.members[i],
        key: batch.key.get(i).copied().unwrap_or(0),
    }
}

struct MeasureJob<'s> {
    standard: &'s Standard,
    config: measure::Config,
    grouped: bool,
    designed: bool,
}

impl<'s> Job for MeasureJob<'s> {
    type Output = Accumulator<'s>;

    fn start(&self) -> Accumulator<'s> {
        Accumulator::new(self.standard, self.config.clone())
    }

    fn batch(&self, batch: &Batch, acc: &mut Accumulator<'s>) {
        let values = &batch.group.values;
        let groups: Vec<GroupId> = if self.grouped {
            (0..values.len())
                .map(|v| acc.group(values.get(v)))
                .collect()
        } else {
            Vec::new()
        };
        for i in 0..batch.len() {
            let group = if self.grouped {
                groups[batch.group.keys[i] as usize]
            } else {
                GroupId::TOTAL
            };
            let design = self.designed.then(|| Design {
                stratum: batch.stratum.get(i),
                psu: batch.psu.get(i),
            });
            acc.add_to(group, &measure_row(batch, i), design);
        }
    }
}

/// Measures a whole file in one pass.
pub fn measure_file(
    input: &Input,
    standard: &Standard,
    config: measure::Config,
    options: &ReadOptions,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<GroupMeasures>, FileError> {
    let mut options = options.clone();
    options.key = config.bootstrap.is_some();
    let columns = input.columns(standard, &options)?;
    let job = MeasureJob {
        standard,
        grouped: columns.group.is_some(),
        designed: columns.stratum.is_some(),
        config: config.clone(),
    };
    let mut total = Accumulator::new(standard, config);
    input.run(&columns, &job, threads, progress, |part| {
        total.merge(part);
        Ok(())
    })?;
    let lonely = total.single_psu_strata();
    if !lonely.is_empty() {
        return Err(FileError::SinglePsu {
            file: input.path().to_path_buf(),
            strata: lonely.join(", "),
        });
    }
    Ok(total.finish())
}

/// Classifies every row of `input` into `output` (CSV or Parquet, by its
/// extension). Returns the number of rows. On any error no output is left.
pub fn classify_file(
    input: &Input,
    output: &Path,
    standard: &Standard,
    k: Ratio<u64>,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, FileError> {
    let options = ReadOptions {
        ids: true,
        ..ReadOptions::default()
    };
    let columns = input.columns(standard, &options)?;
    write::classify_into(input, &columns, output, standard, k, threads, progress)
}
