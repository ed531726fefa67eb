//! Reading a file in chunks on several threads, with results handed on in
//! file order and a fixed number of chunks in flight, so that memory does not
//! grow with the size of the file.

use crate::batch::Batch;
use crate::error::FileError;
use crossbeam_channel::{Receiver, Sender, bounded};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// What is done with every batch of a file. `start` makes the output of one
/// chunk; `batch` adds a batch to it. Outputs reach the consumer in file order.
pub trait Job: Sync {
    type Output: Send;
    fn start(&self) -> Self::Output;
    fn batch(&self, batch: &Batch, output: &mut Self::Output);
}

/// A piece of work for a worker: the chunk's number in file order, the row
/// number of its first row (as messages count rows), and its data.
pub(crate) struct Piece<D> {
    pub seq: u64,
    pub first_row: u64,
    pub data: D,
}

/// What a worker made of a piece: the output, or the error, and the piece's
/// data back for reuse.
pub(crate) struct Done<O, D> {
    pub seq: u64,
    pub result: Result<O, PieceError>,
    pub data: D,
}

/// An error of a piece, turned into a `FileError` in file order by `finish`,
/// which knows how many rows came before the piece.
pub(crate) enum PieceError {
    /// Row numbered within the piece; the consumer adds the rows before it.
    Relative(crate::error::RowProblem),
    Absolute(FileError),
}

/// Runs `produce` on one thread, which sends pieces, `work` on `threads`
/// threads, and hands outputs to `consume` in file order on the calling
/// thread. `pool` pieces of data circulate: the producer waits for a free
/// one, so at most `pool` chunks are in flight. `rows_in` tells how many rows
/// of the file a finished piece covered (for error row numbers).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<D, O>(
    threads: usize,
    pool: Vec<D>,
    first_row: u64,
    produce: impl FnOnce(&Receiver<D>, &Sender<Piece<D>>, &AtomicBool) -> Result<(), FileError> + Send,
    work: impl Fn(&mut Batch, &Piece<D>) -> (u64, Result<O, PieceError>) + Sync,
    mut consume: impl FnMut(O) -> Result<(), FileError>,
    to_error: impl Fn(crate::error::RowProblem, u64) -> FileError,
) -> Result<(), FileError>
where
    D: Send,
    O: Send,
{
    let threads = threads.max(1);
    let (free_tx, free_rx) = bounded::<D>(pool.len());
    for d in pool {
        let _ = free_tx.send(d);
    }
    let (piece_tx, piece_rx) = bounded::<Piece<D>>(threads);
    let (done_tx, done_rx) = bounded::<(u64, Done<O, D>)>(threads * 2);
    let abort = AtomicBool::new(false);

    std::thread::scope(|scope| {
        let producer = {
            let piece_tx = piece_tx;
            let free_rx = free_rx.clone();
            let abort = &abort;
            scope.spawn(move || produce(&free_rx, &piece_tx, abort))
        };
        for _ in 0..threads {
            let piece_rx = piece_rx.clone();
            let done_tx = done_tx.clone();
            let work = &work;
            let abort = &abort;
            scope.spawn(move || {
                let mut batch = Batch::default();
                for piece in piece_rx.iter() {
                    if abort.load(Ordering::Relaxed) {
                        break;
                    }
                    let (rows, result) = work(&mut batch, &piece);
                    let done = Done {
                        seq: piece.seq,
                        result,
                        data: piece.data,
                    };
                    if done_tx.send((rows, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        drop(piece_rx);

        let mut waiting: BTreeMap<u64, (u64, Done<O, D>)> = BTreeMap::new();
        let mut next = 0u64;
        let mut rows_before = first_row;
        let mut outcome = Ok(());
        'receive: for (rows, done) in done_rx.iter() {
            waiting.insert(done.seq, (rows, done));
            while let Some((rows, done)) = waiting.remove(&next) {
                next += 1;
                let result = match done.result {
                    Ok(output) => consume(output),
                    Err(PieceError::Relative(problem)) => Err(to_error(problem, rows_before)),
                    Err(PieceError::Absolute(e)) => Err(e),
                };
                rows_before += rows;
                let _ = free_tx.send(done.data);
                if let Err(e) = result {
                    outcome = Err(e);
                    abort.store(true, Ordering::Relaxed);
                    break 'receive;
                }
            }
        }
        // On an error, let the other threads see the abort and drain.
        drop(free_tx);
        drop(free_rx);
        for _ in done_rx.iter() {}
        let produced = producer.join().unwrap_or(Ok(()));
        outcome.and(if abort.load(Ordering::Relaxed) {
            Ok(())
        } else {
            produced
        })
    })
}
