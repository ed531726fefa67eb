//! Parquet input: row groups are read on several threads, only the columns a
//! command needs, and turned column by column into batches.

use crate::batch::{Batch, Columns, Texts, hash_id};
use crate::error::FileError;
use crate::pipeline::{self, Job, Piece, PieceError};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use standard::{Area, DeprivationSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

const BATCH_ROWS: usize = 16 * 1024;

pub(crate) struct ParquetSource {
    pub path: PathBuf,
    pub header: Vec<String>,
    metadata: ArrowReaderMetadata,
    pub rows: u64,
}

impl ParquetSource {
    pub fn open(path: &Path) -> Result<ParquetSource, FileError> {
        let file = File::open(path).map_err(|e| FileError::io(path, e))?;
        let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| FileError::parquet(path, e))?;
        // Read code columns as dictionaries: a few hundred distinct communes
        // need not be copied out as two million strings.
        let fields: Vec<Field> = plain
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                    if f.name() != "household_id" =>
                {
                    Field::new(
                        f.name(),
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                        f.is_nullable(),
                    )
                }
                _ => f.as_ref().clone(),
            })
            .collect();
        let hinted = ArrowReaderOptions::new().with_schema(Arc::new(Schema::new(fields)));
        let metadata =
            ArrowReaderMetadata::try_new(plain.metadata().clone(), hinted).unwrap_or(plain);
        let header = metadata
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let rows = metadata.metadata().file_metadata().num_rows().max(0) as u64;
        Ok(ParquetSource {
            path: path.to_path_buf(),
            header,
            metadata,
            rows,
        })
    }

    pub fn run<J: Job>(
        &self,
        columns: &Columns,
        job: &J,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
        consume: impl FnMut(J::Output) -> Result<(), FileError>,
    ) -> Result<(), FileError> {
        let path = &self.path;
        let parquet = self.metadata.metadata();
        let groups = parquet.num_row_groups();
        let mut first_rows = Vec::with_capacity(groups);
        let mut row = 1u64;
        for g in parquet.row_groups() {
            first_rows.push(row);
            row += g.num_rows().max(0) as u64;
        }
        // Only top-level columns are used; their leaves make the projection.
        let schema = parquet.file_metadata().schema_descr();
        let used = columns.used();
        let mask = ProjectionMask::roots(schema, used.iter().copied());
        let pool = vec![(); threads * 2];
        pipeline::run(
            threads,
            pool,
            1,
            |free, pieces, abort| {
                for seq in 0..groups as u64 {
                    if abort.load(Ordering::Relaxed) || free.recv().is_err() {
                        return Ok(());
                    }
                    if pieces
                        .send(Piece {
                            seq,
                            first_row: 0,
                            data: (),
                        })
                        .is_err()
                    {
                        return Ok(());
                    }
                }
                Ok(())
            },
            |batch, piece: &Piece<()>| {
                let group = piece.seq as usize;
                let result = (|| {
                    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
                    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
                        file,
                        self.metadata.clone(),
                    )
                    .with_row_groups(vec![group])
                    .with_projection(mask.clone())
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map_err(|e| FileError::parquet(path, e))?;
                    let mut output = job.start();
                    let mut first_row = first_rows[group];
                    for record_batch in reader {
                        let record_batch = record_batch.map_err(|e| FileError::parquet(path, e))?;
                        batch.clear();
                        batch.first_row = first_row;
                        fill(path, &record_batch, columns, first_row, batch)?;
                        job.batch(batch, &mut output);
                        progress(record_batch.num_rows() as u64);
                        first_row += record_batch.num_rows() as u64;
                    }
                    Ok(output)
                })();
                (0, result.map_err(PieceError::Absolute))
            },
            consume,
            |problem, before| problem.into_error(path, before),
        )
    }
}

fn cell_error(path: &Path, name: &str, row: u64, problem: impl Into<String>) -> FileError {
    FileError::Cell {
        file: path.to_path_buf(),
        row,
        column: name.to_string(),
        problem: problem.into(),
    }
}

fn column<'a>(
    record_batch: &'a RecordBatch,
    columns: &'a Columns,
    index: usize,
) -> (&'a ArrayRef, &'a str) {
    let name = columns.names[index].as_str();
    // The projection keeps every used column, so the name is always there.
    let array = record_batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("projected column {name} missing"));
    (array, name)
}

fn first_null(array: &dyn Array) -> Option<usize> {
    if array.null_count() == 0 {
        return None;
    }
    (0..array.len()).find(|&i| array.is_null(i))
}

/// Integers of a column of any integer type, or of floats that hold whole numbers.
fn integers(
    path: &Path,
    name: &str,
    array: &ArrayRef,
    first_row: u64,
) -> Result<Vec<i64>, FileError> {
    if let Some(i) = first_null(array) {
        return Err(cell_error(
            path,
            name,
            first_row + i as u64,
            "ô trống; cần một số nguyên",
        ));
    }
    macro_rules! widen {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| v as i64)
                .collect()
        };
    }
    let values: Vec<i64> = match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().values().to_vec(),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int8 => widen!(Int8Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt64 => {
            let a = array.as_primitive::<UInt64Type>();
            if let Some(i) = a.values().iter().position(|&v| v > i64::MAX as u64) {
                return Err(cell_error(path, name, first_row + i as u64, "số quá lớn"));
            }
            a.values().iter().map(|&v| v as i64).collect()
        }
        DataType::Float64 | DataType::Float32 => {
            let floats = floats(path, name, array, first_row)?;
            if let Some(i) = floats
                .iter()
                .position(|v| v.fract() != 0.0 || v.abs() > 9e15)
            {
                return Err(cell_error(
                    path,
                    name,
                    first_row + i as u64,
                    format!("{} không phải số nguyên", floats[i]),
                ));
            }
            floats.into_iter().map(|v| v as i64).collect()
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..a.len()).map(|i| i64::from(a.value(i))).collect()
        }
        other => {
            return Err(cell_error(
                path,
                name,
                first_row,
                format!("kiểu dữ liệu {other} không phải số nguyên"),
            ));
        }
    };
    Ok(values)
}

fn floats(
    path: &Path,
    name: &str,
    array: &ArrayRef,
    first_row: u64,
) -> Result<Vec<f64>, FileError> {
    if let Some(i) = first_null(array) {
        return Err(cell_error(
            path,
            name,
            first_row + i as u64,
            "ô trống; cần một số",
        ));
    }
    Ok(match array.data_type() {
        DataType::Float64 => array.as_primitive::<Float64Type>().values().to_vec(),
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|&v| f64::from(v))
            .collect(),
        _ => integers(path, name, array, first_row)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
    })
}

/// Text values of a column: any string type, a dictionary of strings, or numbers.
fn texts(
    path: &Path,
    name: &str,
    array: &ArrayRef,
    first_row: u64,
    out: &mut Texts,
) -> Result<(), FileError> {
    if let Some(i) = first_null(array) {
        return Err(cell_error(path, name, first_row + i as u64, "ô trống"));
    }
    match array.data_type() {
        DataType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .for_each(|v| out.push(v.unwrap_or("").as_bytes())),
        DataType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .for_each(|v| out.push(v.unwrap_or("").as_bytes())),
        DataType::Utf8View => array
            .as_string_view()
            .iter()
            .for_each(|v| out.push(v.unwrap_or("").as_bytes())),
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let mut values = Texts::default();
            texts(path, name, dictionary.values(), first_row, &mut values)?;
            for key in dictionary.normalized_keys() {
                out.push(values.get(key));
            }
        }
        _ => {
            for v in integers(path, name, array, first_row)? {
                out.push(v.to_string().as_bytes());
            }
        }
    }
    Ok(())
}

fn fill(
    path: &Path,
    rb: &RecordBatch,
    columns: &Columns,
    first_row: u64,
    batch: &mut Batch,
) -> Result<(), FileError> {
    let rows = rb.num_rows();
    // area
    let (array, name) = column(rb, columns, columns.area);
    let bad_area = |row: usize, value: &[u8]| {
        cell_error(
            path,
            name,
            first_row + row as u64,
            format!(
                "\"{}\" không phải khu vực; ghi rural (nông thôn) hoặc urban (thành thị)",
                String::from_utf8_lossy(value)
            ),
        )
    };
    if let (DataType::Dictionary(_, _), None) = (array.data_type(), first_null(array)) {
        // Parse each distinct value once.
        let dictionary = array.as_any_dictionary();
        let mut values = Texts::default();
        texts(path, name, dictionary.values(), first_row, &mut values)?;
        let parsed: Vec<Option<Area>> = (0..values.len())
            .map(|i| Area::parse_bytes(values.get(i)))
            .collect();
        for (row, key) in dictionary.normalized_keys().into_iter().enumerate() {
            match parsed[key] {
                Some(a) => batch.area.push(a),
                None => return Err(bad_area(row, values.get(key))),
            }
        }
    } else {
        let mut areas = Texts::default();
        texts(path, name, array, first_row, &mut areas)?;
        for i in 0..rows {
            match Area::parse_bytes(areas.get(i)) {
                Some(a) => batch.area.push(a),
                None => return Err(bad_area(i, areas.get(i))),
            }
        }
    }
    let (array, name) = column(rb, columns, columns.income_per_capita);
    match (array.data_type(), first_null(array)) {
        (DataType::Int64, None) => batch
            .income_per_capita
            .extend_from_slice(array.as_primitive::<Int64Type>().values()),
        _ => batch.income_per_capita = integers(path, name, array, first_row)?,
    }
    let (array, name) = column(rb, columns, columns.members);
    let members = integers(path, name, array, first_row)?;
    if let Some(i) = members
        .iter()
        .position(|&m| !(1..=i64::from(u16::MAX)).contains(&m))
    {
        return Err(cell_error(
            path,
            name,
            first_row + i as u64,
            format!("số nhân khẩu {} phải từ 1 trở lên", members[i]),
        ));
    }
    batch.members.extend(members.into_iter().map(|m| m as u32));
    match columns.weight {
        None => batch.weight.resize(rows, 1.0),
        Some(c) => {
            let (array, name) = column(rb, columns, c);
            let w = floats(path, name, array, first_row)?;
            if let Some(i) = w.iter().position(|&v| !(v.is_finite() && v > 0.0)) {
                return Err(cell_error(
                    path,
                    name,
                    first_row + i as u64,
                    format!("{} không phải trọng số hợp lệ (một số lớn hơn 0)", w[i]),
                ));
            }
            batch.weight.extend_from_slice(&w);
        }
    }
    match columns.livelihood {
        None => batch.livelihood.resize(rows, standard::Livelihood::Unknown),
        Some(c) => {
            let (array, name) = column(rb, columns, c);
            let mut values = Texts::default();
            texts(path, name, array, first_row, &mut values)?;
            for i in 0..rows {
                let livelihood = crate::batch::parse_livelihood(values.get(i))
                    .map_err(|p| cell_error(path, name, first_row + i as u64, p))?;
                batch.livelihood.push(livelihood);
            }
        }
    }
    let mut masks = vec![0u64; rows];
    for (bit, &c) in columns.deprivations.iter().enumerate() {
        let (array, name) = column(rb, columns, c);
        let flags = integers(path, name, array, first_row)?;
        if let Some(i) = flags.iter().position(|&v| v != 0 && v != 1) {
            return Err(cell_error(
                path,
                name,
                first_row + i as u64,
                format!(
                    "\"{}\" không hợp lệ; ghi 1 (thiếu hụt) hoặc 0 (không thiếu hụt)",
                    flags[i]
                ),
            ));
        }
        for (m, f) in masks.iter_mut().zip(flags) {
            *m |= (f as u64) << bit;
        }
    }
    batch
        .deprivations
        .extend(masks.into_iter().map(DeprivationSet));
    if let Some(g) = columns.group {
        let (array, name) = column(rb, columns, g);
        if let (DataType::Dictionary(_, _), None) = (array.data_type(), first_null(array)) {
            let dictionary = array.as_any_dictionary();
            texts(
                path,
                name,
                dictionary.values(),
                first_row,
                &mut batch.group.values,
            )?;
            batch
                .group
                .keys
                .extend(dictionary.normalized_keys().into_iter().map(|k| k as u32));
        } else {
            let mut values = Texts::default();
            texts(path, name, array, first_row, &mut values)?;
            for i in 0..values.len() {
                batch.group.push(values.get(i));
            }
        }
    }
    if let (Some(s), Some(p)) = (columns.stratum, columns.psu) {
        let (array, name) = column(rb, columns, s);
        texts(path, name, array, first_row, &mut batch.stratum)?;
        let (array, name) = column(rb, columns, p);
        texts(path, name, array, first_row, &mut batch.psu)?;
    }
    if columns.read_ids || columns.read_key {
        let (array, name) = column(rb, columns, columns.household_id);
        let mut ids = Texts::default();
        texts(path, name, array, first_row, &mut ids)?;
        if columns.read_key {
            batch.key = (0..rows).map(|i| hash_id(ids.get(i))).collect();
        }
        if columns.read_ids {
            batch.household_id = ids;
            let (array, name) = column(rb, columns, columns.commune_code);
            texts(path, name, array, first_row, &mut batch.commune_code)?;
            if let Some(v) = columns.village {
                let (array, name) = column(rb, columns, v);
                texts(path, name, array, first_row, &mut batch.village)?;
            }
            for (c, flags) in [
                (columns.merit, &mut batch.merit),
                (columns.social_protection, &mut batch.social_protection),
            ] {
                if let Some(c) = c {
                    let (array, name) = column(rb, columns, c);
                    let values = integers(path, name, array, first_row)?;
                    if let Some(i) = values.iter().position(|&v| v != 0 && v != 1) {
                        return Err(cell_error(
                            path,
                            name,
                            first_row + i as u64,
                            format!("\"{}\" không hợp lệ; ghi 1 (có) hoặc 0 (không)", values[i]),
                        ));
                    }
                    flags.extend(values.iter().map(|&v| v == 1));
                }
            }
        }
    }
    Ok(())
}
