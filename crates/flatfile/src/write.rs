//! Output files: classification results, measure tables and households.
//! Everything is written to a temporary file beside the target, which takes
//! the target's name only when the whole run succeeded.

use crate::batch::Batch;
use crate::error::FileError;
use crate::pipeline::Job;
use crate::{Format, Input};
use arrow_array::{
    ArrayRef, Float64Array, Int8Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use measure::GroupMeasures;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use standard::{Ratio, Standard};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file being written: a temporary file until [`OutputFile::commit`].
pub struct OutputFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
}

impl OutputFile {
    pub fn create(path: &Path) -> Result<OutputFile, FileError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".giamngheo-");
        // A temporary file is private (0600); the result is an ordinary file.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let temp = builder
            .tempfile_in(&dir)
            .map_err(|e| FileError::io(path, e))?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            temp,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self) -> &std::fs::File {
        self.temp.as_file()
    }

    pub fn io(&self, e: std::io::Error) -> FileError {
        FileError::io(&self.path, e)
    }

    /// Gives the finished file its name.
    pub fn commit(self) -> Result<(), FileError> {
        let path = self.path;
        self.temp
            .persist(&path)
            .map(|_| ())
            .map_err(|e| FileError::io(&path, e.error))
    }
}

/// A cell of an output table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Float(f64),
    Empty,
}

impl Value {
    fn float(v: f64) -> Value {
        if v.is_finite() {
            Value::Float(v)
        } else {
            Value::Empty
        }
    }

    fn maybe(v: Option<f64>) -> Value {
        v.map_or(Value::Empty, Value::float)
    }
}

/// Named columns and rows of values: one shape for CSV and JSON output.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Written into JSON output beside the rows.
    pub meta: Vec<(String, String)>,
}

/// The measure output of formats.md, one row per group and the total.
pub fn measures_table(
    standard: &Standard,
    results: &[GroupMeasures],
    k: Ratio<u64>,
    unit: &str,
) -> Table {
    let mut columns: Vec<String> = [
        "group",
        "households",
        "weight_sum",
        "poor",
        "near_poor",
        "poor_rate",
        "near_poor_rate",
        "H",
        "A",
        "M0",
        "vulnerable",
        "severe",
        "se_H",
        "se_A",
        "se_M0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let bootstrap = results.iter().any(|r| r.bootstrap_se.is_some());
    if bootstrap {
        columns.extend(["boot_se_H", "boot_se_A", "boot_se_M0"].map(String::from));
    }
    for prefix in ["censored", "uncensored", "contribution"] {
        columns.extend(
            standard
                .indicators
                .iter()
                .map(|i| format!("{prefix}_{}", i.code)),
        );
    }
    let rows = results
        .iter()
        .map(|r| {
            let mut row = vec![
                Value::Text(r.group.clone()),
                Value::Int(r.households as i64),
                Value::float(r.weight_sum),
                Value::Int(r.poor as i64),
                Value::Int(r.near_poor as i64),
                Value::float(r.poor_rate),
                Value::float(r.near_poor_rate),
                Value::float(r.h),
                Value::maybe(r.a),
                Value::float(r.m0),
                Value::float(r.vulnerable),
                Value::float(r.severe),
                Value::maybe(r.se.h),
                Value::maybe(r.se.a),
                Value::maybe(r.se.m0),
            ];
            if bootstrap {
                let b = r.bootstrap_se.unwrap_or_default();
                row.extend([Value::maybe(b.h), Value::maybe(b.a), Value::maybe(b.m0)]);
            }
            row.extend(r.censored.iter().map(|&v| Value::float(v)));
            row.extend(r.uncensored.iter().map(|&v| Value::float(v)));
            row.extend(r.contribution.iter().map(|&v| Value::maybe(v)));
            row
        })
        .collect();
    Table {
        columns,
        rows,
        meta: vec![
            ("standard".into(), standard.id.clone()),
            ("k".into(), k.to_string()),
            ("unit".into(), unit.to_string()),
        ],
    }
}

fn push_csv_field(out: &mut Vec<u8>, value: &[u8]) {
    if value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in value {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value);
    }
}

/// Writes a table as CSV or JSON, by the extension of `path`.
pub fn write_table(path: &Path, table: &Table) -> Result<(), FileError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let out = OutputFile::create(path)?;
    let mut w = BufWriter::new(out.file());
    match extension.as_str() {
        "csv" => {
            let mut line = Vec::new();
            for (i, c) in table.columns.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                push_csv_field(&mut line, c.as_bytes());
            }
            line.push(b'\n');
            for row in &table.rows {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    match v {
                        Value::Text(t) => push_csv_field(&mut line, t.as_bytes()),
                        Value::Int(n) => line.extend_from_slice(n.to_string().as_bytes()),
                        Value::Float(f) => line.extend_from_slice(f.to_string().as_bytes()),
                        Value::Empty => {}
                    }
                }
                line.push(b'\n');
            }
            w.write_all(&line).map_err(|e| out.io(e))?;
        }
        "json" => {
            let mut doc = serde_json::Map::new();
            for (k, v) in &table.meta {
                doc.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
            let rows: Vec<serde_json::Value> = table
                .rows
                .iter()
                .map(|row| {
                    let object = table
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| {
                            let v = match v {
                                Value::Text(t) => serde_json::Value::String(t.clone()),
                                Value::Int(n) => serde_json::Value::from(*n),
                                Value::Float(f) => serde_json::Value::from(*f),
                                Value::Empty => serde_json::Value::Null,
                            };
                            (c.clone(), v)
                        })
                        .collect();
                    serde_json::Value::Object(object)
                })
                .collect();
            doc.insert("rows".into(), serde_json::Value::Array(rows));
            serde_json::to_writer_pretty(&mut w, &doc).map_err(|e| out.io(e.into()))?;
            w.write_all(b"\n").map_err(|e| out.io(e))?;
        }
        _ => {
            return Err(FileError::UnknownFormat {
                file: path.to_path_buf(),
                extension,
                extra: " hoặc .json",
            });
        }
    }
    w.flush().map_err(|e| out.io(e))?;
    drop(w);
    out.commit()
}

fn parquet_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(256 * 1024))
        .build()
}

/// Writes households as a flat household file (CSV or Parquet by extension).
/// Returns how many were written.
pub fn write_households(
    path: &Path,
    standard: &Standard,
    households: impl Iterator<Item = synth::Household>,
    progress: &dyn Fn(u64),
) -> Result<u64, FileError> {
    let format = Format::of(path)?;
    let out = OutputFile::create(path)?;
    let codes: Vec<String> = standard
        .indicators
        .iter()
        .map(|i| format!("d_{}", i.code))
        .collect();
    let mut written = 0u64;
    let mut households = households.peekable();
    let survey = households.peek().is_some_and(|h| h.stratum.is_some());
    let mut names: Vec<String> = [
        "household_id",
        "province_code",
        "district_code",
        "commune_code",
        "village",
        "area",
        "weight",
        "members",
        "income_per_capita",
        "merit",
        "social_protection",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend(codes.iter().cloned());
    if survey {
        names.extend(["strata".to_string(), "psu".to_string()]);
    }
    const BLOCK: usize = 64 * 1024;
    match format {
        Format::Csv => {
            let mut w = BufWriter::with_capacity(1 << 20, out.file());
            let mut line = names.join(",").into_bytes();
            line.push(b'\n');
            for h in households {
                for text in [
                    &h.household_id,
                    &h.province_code,
                    &h.district_code,
                    &h.commune_code,
                    &h.village,
                ] {
                    push_csv_field(&mut line, text.as_bytes());
                    line.push(b',');
                }
                line.extend_from_slice(h.area.code().as_bytes());
                line.push(b',');
                line.extend_from_slice(h.weight.to_string().as_bytes());
                line.push(b',');
                line.extend_from_slice(h.members.to_string().as_bytes());
                line.push(b',');
                line.extend_from_slice(h.income_per_capita.to_string().as_bytes());
                for flag in [h.merit, h.social_protection] {
                    line.extend_from_slice(if flag { b",1" } else { b",0" });
                }
                for i in 0..codes.len() {
                    line.extend_from_slice(if h.deprivations.contains(i) {
                        b",1"
                    } else {
                        b",0"
                    });
                }
                if let (Some(s), Some(p)) = (&h.stratum, &h.psu) {
                    line.push(b',');
                    push_csv_field(&mut line, s.as_bytes());
                    line.push(b',');
                    push_csv_field(&mut line, p.as_bytes());
                }
                line.push(b'\n');
                written += 1;
                if line.len() > 1 << 20 {
                    w.write_all(&line).map_err(|e| out.io(e))?;
                    line.clear();
                    progress(written);
                }
            }
            w.write_all(&line).map_err(|e| out.io(e))?;
            w.flush().map_err(|e| out.io(e))?;
        }
        Format::Parquet => {
            let mut fields = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let t = match i {
                    6 => DataType::Float64,
                    7 => DataType::Int32,
                    8 => DataType::Int64,
                    0..=5 => DataType::Utf8,
                    _ if survey && i >= names.len() - 2 => DataType::Utf8,
                    _ => DataType::Int8,
                };
                fields.push(Field::new(name, t, false));
            }
            let schema = Arc::new(Schema::new(fields));
            let mut writer = ArrowWriter::try_new(
                out.file().try_clone().map_err(|e| out.io(e))?,
                schema.clone(),
                Some(parquet_properties()),
            )
            .map_err(|e| FileError::parquet(path, e))?;
            let mut block: Vec<synth::Household> = Vec::with_capacity(BLOCK);
            let flush = |block: &mut Vec<synth::Household>,
                         writer: &mut ArrowWriter<std::fs::File>|
             -> Result<(), FileError> {
                if block.is_empty() {
                    return Ok(());
                }
                let text = |f: fn(&synth::Household) -> &str| -> ArrayRef {
                    Arc::new(block.iter().map(|h| Some(f(h))).collect::<StringArray>())
                };
                let mut arrays: Vec<ArrayRef> = vec![
                    text(|h| &h.household_id),
                    text(|h| &h.province_code),
                    text(|h| &h.district_code),
                    text(|h| &h.commune_code),
                    text(|h| &h.village),
                    text(|h| h.area.code()),
                    Arc::new(block.iter().map(|h| h.weight).collect::<Float64Array>()),
                    Arc::new(
                        block
                            .iter()
                            .map(|h| h.members as i32)
                            .collect::<Int32Array>(),
                    ),
                    Arc::new(
                        block
                            .iter()
                            .map(|h| h.income_per_capita)
                            .collect::<Int64Array>(),
                    ),
                    Arc::new(block.iter().map(|h| h.merit as i8).collect::<Int8Array>()),
                    Arc::new(
                        block
                            .iter()
                            .map(|h| h.social_protection as i8)
                            .collect::<Int8Array>(),
                    ),
                ];
                for i in 0..codes.len() {
                    arrays.push(Arc::new(
                        block
                            .iter()
                            .map(|h| h.deprivations.contains(i) as i8)
                            .collect::<Int8Array>(),
                    ));
                }
                if survey {
                    arrays.push(text(|h| h.stratum.as_deref().unwrap_or("")));
                    arrays.push(text(|h| h.psu.as_deref().unwrap_or("")));
                }
                let batch = RecordBatch::try_new(schema.clone(), arrays)
                    .map_err(|e| FileError::parquet(path, e))?;
                writer
                    .write(&batch)
                    .map_err(|e| FileError::parquet(path, e))?;
                block.clear();
                Ok(())
            };
            for h in households {
                block.push(h);
                written += 1;
                if block.len() == BLOCK {
                    flush(&mut block, &mut writer)?;
                    progress(written);
                }
            }
            flush(&mut block, &mut writer)?;
            writer.close().map_err(|e| FileError::parquet(path, e))?;
        }
    }
    progress(written);
    out.commit()?;
    Ok(written)
}

/// The classification of one chunk, ready to be written.
enum Classified {
    /// The CSV lines and how many rows they hold (ids may contain newlines).
    Csv(Vec<u8>, u64),
    Parquet(Vec<RecordBatch>),
}

struct ClassifyJob<'s> {
    standard: &'s Standard,
    k: Ratio<u64>,
    format: Format,
    schema: Arc<Schema>,
}

fn classify_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("household_id", DataType::Utf8, false),
        Field::new("commune_code", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("deprivation_count", DataType::Int32, false),
        Field::new("deprived", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("mpi_poor", DataType::Int8, false),
        Field::new("reason", DataType::Utf8, false),
    ]))
}

const CLASSIFY_HEADER: &str =
    "household_id,commune_code,status,deprivation_count,deprived,score,mpi_poor,reason\n";

impl Job for ClassifyJob<'_> {
    type Output = Classified;

    fn start(&self) -> Classified {
        match self.format {
            Format::Csv => Classified::Csv(Vec::new(), 0),
            Format::Parquet => Classified::Parquet(Vec::new()),
        }
    }

    fn batch(&self, batch: &Batch, out: &mut Classified) {
        let s = self.standard;
        let results: Vec<_> = (0..batch.len())
            .map(|i| {
                s.classify_household(
                    batch.area[i],
                    batch.income_per_capita[i],
                    batch.deprivations[i],
                    batch.livelihood[i],
                )
            })
            .collect();
        let deprived =
            |c: &standard::Classification| c.deprived_codes(s).collect::<Vec<_>>().join(";");
        match out {
            Classified::Csv(buf, rows) => {
                *rows += results.len() as u64;
                for (i, c) in results.iter().enumerate() {
                    push_csv_field(buf, batch.household_id.get(i));
                    buf.push(b',');
                    push_csv_field(buf, batch.commune_code.get(i));
                    let _ = writeln!(
                        buf,
                        ",{},{},{},{},{},{}",
                        c.status.code(),
                        c.deprivation_count(),
                        deprived(c),
                        c.score.as_f64(),
                        u8::from(c.score.at_least(self.k)),
                        c.reason(s).code
                    );
                }
            }
            Classified::Parquet(batches) => {
                let text = |t: &crate::Texts| -> ArrayRef {
                    Arc::new(
                        (0..t.len())
                            .map(|i| Some(String::from_utf8_lossy(t.get(i))))
                            .collect::<StringArray>(),
                    )
                };
                let arrays: Vec<ArrayRef> = vec![
                    text(&batch.household_id),
                    text(&batch.commune_code),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| Some(c.status.code()))
                            .collect::<StringArray>(),
                    ),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| c.deprivation_count() as i32)
                            .collect::<Int32Array>(),
                    ),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| Some(deprived(c)))
                            .collect::<StringArray>(),
                    ),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| c.score.as_f64())
                            .collect::<Float64Array>(),
                    ),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| c.score.at_least(self.k) as i8)
                            .collect::<Int8Array>(),
                    ),
                    Arc::new(
                        results
                            .iter()
                            .map(|c| Some(c.reason(s).code.as_str()))
                            .collect::<StringArray>(),
                    ),
                ];
                batches.push(
                    RecordBatch::try_new(self.schema.clone(), arrays)
                        .expect("columns match the schema"),
                );
            }
        }
    }
}

pub(crate) fn classify_into(
    input: &Input,
    columns: &crate::Columns,
    output: &Path,
    standard: &Standard,
    k: Ratio<u64>,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, FileError> {
    let format = Format::of(output)?;
    let out = OutputFile::create(output)?;
    let schema = classify_schema();
    let job = ClassifyJob {
        standard,
        k,
        format,
        schema: schema.clone(),
    };
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            let mut w = BufWriter::with_capacity(1 << 20, out.file());
            w.write_all(CLASSIFY_HEADER.as_bytes())
                .map_err(|e| out.io(e))?;
            input.run(columns, &job, threads, progress, |chunk| {
                if let Classified::Csv(bytes, count) = chunk {
                    rows += count;
                    w.write_all(&bytes).map_err(|e| out.io(e))?;
                }
                Ok(())
            })?;
            w.flush().map_err(|e| out.io(e))?;
        }
        Format::Parquet => {
            let file = out.file().try_clone().map_err(|e| out.io(e))?;
            let mut writer = ArrowWriter::try_new(file, schema, Some(parquet_properties()))
                .map_err(|e| FileError::parquet(output, e))?;
            input.run(columns, &job, threads, progress, |chunk| {
                if let Classified::Parquet(batches) = chunk {
                    for batch in batches {
                        rows += batch.num_rows() as u64;
                        writer
                            .write(&batch)
                            .map_err(|e| FileError::parquet(output, e))?;
                    }
                }
                Ok(())
            })?;
            writer.close().map_err(|e| FileError::parquet(output, e))?;
        }
    }
    out.commit()?;
    Ok(rows)
}
