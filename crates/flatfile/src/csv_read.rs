//! CSV input: the file is cut into chunks at record boundaries by one thread
//! and parsed by the others. A chunk without quote characters is split on
//! commas and newlines directly (the common case, and the fast one); a chunk
//! with quotes goes through the `csv` crate, which knows RFC 4180.

use crate::batch::{Batch, Columns};
use crate::error::{FileError, RowProblem};
use crate::pipeline::{self, Job, Piece, PieceError};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

const CHUNK: usize = 4 << 20;

pub(crate) struct CsvSource {
    pub path: PathBuf,
    pub header: Vec<String>,
    /// Byte offset of the first data row.
    data_start: u64,
    pub size: u64,
}

impl CsvSource {
    pub fn open(path: &Path) -> Result<CsvSource, FileError> {
        let file = File::open(path).map_err(|e| FileError::io(path, e))?;
        let size = file.metadata().map_err(|e| FileError::io(path, e))?.len();
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        reader
            .read_until(b'\n', &mut line)
            .map_err(|e| FileError::io(path, e))?;
        let data_start = line.len() as u64;
        let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text);
        let mut record = csv::StringRecord::new();
        let read = csv.read_record(&mut record).map_err(|e| FileError::Row {
            file: path.to_path_buf(),
            row: 1,
            problem: format!("dòng tiêu đề không đọc được: {e}"),
        })?;
        if !read || record.iter().all(|h| h.trim().is_empty()) {
            return Err(FileError::Empty {
                file: path.to_path_buf(),
            });
        }
        Ok(CsvSource {
            path: path.to_path_buf(),
            header: record.iter().map(|h| h.trim().to_string()).collect(),
            data_start,
            size,
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
        let pool = (0..threads * 3)
            .map(|_| Vec::with_capacity(CHUNK + 4096))
            .collect();
        pipeline::run(
            threads,
            pool,
            2,
            |free, pieces, abort| self.produce(free, pieces, abort, progress),
            |batch, piece: &Piece<Vec<u8>>| {
                let data = &piece.data;
                let lines = count_lines(data);
                batch.clear();
                batch.first_row = piece.first_row;
                let parsed = if memchr::memchr(b'"', data).is_some() {
                    parse_quoted(data, columns, batch)
                } else {
                    parse_plain(data, columns, batch)
                };
                let result = match parsed {
                    Ok(()) => {
                        let mut output = job.start();
                        job.batch(batch, &mut output);
                        Ok(output)
                    }
                    Err(problem) => Err(PieceError::Relative(problem)),
                };
                (lines, result)
            },
            consume,
            |problem, before| problem.into_error(path, before),
        )
    }

    fn produce(
        &self,
        free: &crossbeam_channel::Receiver<Vec<u8>>,
        pieces: &crossbeam_channel::Sender<Piece<Vec<u8>>>,
        abort: &AtomicBool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(), FileError> {
        let path = &self.path;
        let mut file = File::open(path).map_err(|e| FileError::io(path, e))?;
        std::io::copy(&mut (&mut file).take(self.data_start), &mut std::io::sink())
            .map_err(|e| FileError::io(path, e))?;
        let mut carry: Vec<u8> = Vec::new();
        let mut seq = 0;
        // Line 1 is the header.
        let mut first_row = 2;
        let mut eof = false;
        while !eof {
            if abort.load(Ordering::Relaxed) {
                return Ok(());
            }
            let Ok(mut buf) = free.recv() else {
                return Ok(());
            };
            buf.clear();
            buf.append(&mut carry);
            let mut want = CHUNK;
            loop {
                let before = buf.len();
                (&mut file)
                    .take((want.saturating_sub(before)) as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| FileError::io(path, e))?;
                progress((buf.len() - before) as u64);
                if buf.len() < want {
                    eof = true;
                }
                if eof {
                    break;
                }
                match record_boundary(&buf) {
                    Some(end) => {
                        carry.extend_from_slice(&buf[end..]);
                        buf.truncate(end);
                        break;
                    }
                    // One record longer than a chunk: read more.
                    None => want *= 2,
                }
            }
            if buf.is_empty() {
                break;
            }
            let lines = count_lines(&buf);
            if pieces
                .send(Piece {
                    seq,
                    first_row,
                    data: buf,
                })
                .is_err()
            {
                return Ok(());
            }
            seq += 1;
            first_row += lines;
        }
        Ok(())
    }
}

/// The end of the last complete record in `data`: just after its last newline
/// that is not inside a quoted field. Chunks always start at a record start,
/// so quote parity from the chunk's start is the true one.
fn record_boundary(data: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', data).is_none() {
        return memchr::memrchr(b'\n', data).map(|i| i + 1);
    }
    let mut inside = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', data) {
        if data[i] == b'"' {
            inside = !inside;
        } else if !inside {
            last = Some(i + 1);
        }
    }
    last
}

/// Physical lines in a chunk, counting a last line without its newline.
fn count_lines(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    newlines + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
}

fn wrong_width(row: usize, found: usize, columns: &Columns) -> RowProblem {
    RowProblem {
        row,
        column: None,
        problem: format!(
            "có {found} cột nhưng dòng tiêu đề có {} cột; kiểm tra dấu phẩy thừa hoặc thiếu",
            columns.names.len()
        ),
    }
}

fn parse_plain(data: &[u8], columns: &Columns, batch: &mut Batch) -> Result<(), RowProblem> {
    let width = columns.names.len();
    let mut bounds: Vec<(u32, u32)> = Vec::with_capacity(width + 1);
    let mut field_start = 0usize;
    let mut line = 0usize;
    let mut finish_line = |bounds: &mut Vec<(u32, u32)>, line: usize| -> Result<(), RowProblem> {
        let blank = bounds.len() == 1 && bounds[0].0 == bounds[0].1;
        if !blank {
            if bounds.len() != width {
                return Err(wrong_width(line, bounds.len(), columns));
            }
            batch.push_row(columns, line, |i| {
                let (a, b) = bounds[i];
                &data[a as usize..b as usize]
            })?;
        }
        bounds.clear();
        Ok(())
    };
    for pos in Separators::new(data) {
        if data[pos] == b',' {
            bounds.push((field_start as u32, pos as u32));
        } else {
            let end = if pos > field_start && data[pos - 1] == b'\r' {
                pos - 1
            } else {
                pos
            };
            bounds.push((field_start as u32, end as u32));
            finish_line(&mut bounds, line)?;
            line += 1;
        }
        field_start = pos + 1;
    }
    if field_start < data.len() {
        let mut end = data.len();
        if data[end - 1] == b'\r' {
            end -= 1;
        }
        bounds.push((field_start as u32, end as u32));
        finish_line(&mut bounds, line)?;
    }
    Ok(())
}

/// Positions of commas and newlines, found 64 bytes at a time: a bit mask per
/// block (which the compiler turns into vector compares), then its set bits.
/// Separators are dense in this file (one every few bytes), where a search
/// for the next one at a time costs more than this.
struct Separators<'a> {
    data: &'a [u8],
    block: usize,
    mask: u64,
}

impl<'a> Separators<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut s = Separators {
            data,
            block: 0,
            mask: 0,
        };
        s.mask = s.block_mask(0);
        s
    }

    #[inline]
    fn block_mask(&self, start: usize) -> u64 {
        let end = (start + 64).min(self.data.len());
        let bytes = &self.data[start..end];
        if let Ok(block) = <&[u8; 64]>::try_from(bytes) {
            separator_mask(block)
        } else {
            bytes.iter().enumerate().fold(0, |m, (i, &b)| {
                m | u64::from((b == b',') | (b == b'\n')) << i
            })
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn separator_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut mask = 0u64;
    for k in 0..4 {
        // SAFETY: SSE2 is part of every x86_64 CPU; the unaligned load reads
        // 16 bytes at offset 16·k < 64 of a 64-byte array.
        let bits = unsafe {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let hits = _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            );
            _mm_movemask_epi8(hits)
        };
        mask |= u64::from(bits as u16) << (16 * k);
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn separator_mask(block: &[u8; 64]) -> u64 {
    block.iter().enumerate().fold(0, |m, (i, &b)| {
        m | u64::from((b == b',') | (b == b'\n')) << i
    })
}

impl Iterator for Separators<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.block += 64;
            if self.block >= self.data.len() {
                return None;
            }
            self.mask = self.block_mask(self.block);
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.block + i)
    }
}

fn parse_quoted(data: &[u8], columns: &Columns, batch: &mut Batch) -> Result<(), RowProblem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line().saturating_sub(1) as usize;
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(line, |p| p.line().saturating_sub(1) as usize);
                if record.len() != columns.names.len() {
                    return Err(wrong_width(line, record.len(), columns));
                }
                batch.push_row(columns, line, |i| &record[i])?;
            }
            Err(e) => {
                return Err(RowProblem {
                    row: line,
                    column: None,
                    problem: format!("dòng CSV không hợp lệ: {e}"),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_respect_quotes() {
        assert_eq!(record_boundary(b"a,b\nc,d\ne"), Some(8));
        assert_eq!(record_boundary(b"a,\"b\nc\"\nd"), Some(8));
        assert_eq!(record_boundary(b"a,\"b\nc"), None);
        assert_eq!(record_boundary(b"abc"), None);
        assert_eq!(count_lines(b"a\nb\n"), 2);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b""), 0);
    }

    #[test]
    fn separators_are_found_in_every_position() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| match i % 7 {
                0 => b',',
                3 => b'\n',
                _ => b'x',
            })
            .collect();
        let expected: Vec<usize> = (0..300).filter(|i| i % 7 == 0 || i % 7 == 3).collect();
        for len in [0, 1, 63, 64, 65, 127, 128, 129, 300] {
            let got: Vec<usize> = Separators::new(&data[..len]).collect();
            let want: Vec<usize> = expected.iter().copied().filter(|&i| i < len).collect();
            assert_eq!(got, want, "length {len}");
        }
    }
}
