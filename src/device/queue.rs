//! The queue between a live log stream's reader task and the command that analyses it, bounded
//! in bytes as well as in items.
//!
//! Why: `watch` and `probe` read the phone in a task of their own, so that a crash-report
//! look-up or a signal is handled between entries without interrupting a read; the reader runs
//! ahead of the analysis by up to a queue. Bounded by items only (4,096), a phone that floods
//! entries of up to 1 MiB while the analysis falls behind could fill it with 4 GiB. Here every
//! item also takes permits for its size (heap bytes plus its own size) from a semaphore of
//! [`LOG_QUEUE_BYTES`] permits, and gives them back when it is taken out: the reader waits when
//! the budget is spent, so at most [`LOG_QUEUE_BYTES`] of entries wait, whatever the phone sends.
//!
//! The whole bound of a reader: this queue, plus the entry the reader holds while it waits for
//! room and the one being analysed (each at most 1 MiB: `syslog::MAX_ENTRY`,
//! `ostrace::MAX_ENTRY`), plus the stream's own buffer (one partial entry and one 64 KiB read).

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Bytes of entries that may wait between a log stream's reader and its consumer.
pub(crate) const LOG_QUEUE_BYTES: usize = 8 << 20;
/// Entries that may wait (whatever their size).
pub(crate) const LOG_QUEUE_ITEMS: usize = 4096;

/// What an item weighs in the queue: its heap bytes (its own size is added by the queue).
pub(crate) trait Weigh {
    /// Bytes this item holds on the heap.
    fn heap_bytes(&self) -> usize;
}

/// The reader's end.
#[derive(Debug)]
pub(crate) struct Sender<T> {
    tx: mpsc::Sender<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    bytes: usize,
}

/// The consumer's end.
#[derive(Debug)]
pub(crate) struct Receiver<T> {
    rx: mpsc::Receiver<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    #[cfg(test)]
    bytes: usize,
}

/// The consumer is gone: the item comes back.
#[derive(Debug)]
pub(crate) struct Closed<T>(pub T);

/// A queue of at most `items` items and `bytes` bytes (an item heavier than `bytes` alone still
/// passes, alone).
pub(crate) fn bounded<T: Weigh>(items: usize, bytes: usize) -> (Sender<T>, Receiver<T>) {
    let bytes = bytes.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let (tx, rx) = mpsc::channel(items.max(1));
    let budget = Arc::new(Semaphore::new(bytes));
    (
        Sender {
            tx,
            budget: budget.clone(),
            bytes,
        },
        Receiver {
            rx,
            budget,
            #[cfg(test)]
            bytes,
        },
    )
}

/// The weight of one item, in permits (at least 1, at most the whole budget).
fn weight<T: Weigh>(item: &T, budget: usize) -> u32 {
    let w = item
        .heap_bytes()
        .saturating_add(std::mem::size_of::<T>())
        .clamp(1, budget);
    u32::try_from(w).unwrap_or(u32::MAX)
}

impl<T: Weigh> Sender<T> {
    /// Queue `item`, waiting while the queue is full (by items or by bytes).
    pub(crate) async fn send(&self, item: T) -> Result<(), Closed<T>> {
        let n = weight(&item, self.bytes);
        let Ok(permit) = self.budget.clone().acquire_many_owned(n).await else {
            return Err(Closed(item));
        };
        self.tx
            .send((item, permit))
            .await
            .map_err(|e| Closed(e.0.0))
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` when the reader is gone and the queue is empty. Its bytes go back to
    /// the budget here.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await.map(|(item, _permit)| item)
    }

    /// Bytes waiting now.
    #[cfg(test)]
    pub(crate) fn queued_bytes(&self) -> usize {
        self.bytes - self.budget.available_permits()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // A reader waiting for room gives up instead of waiting for ever.
        self.budget.close();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Blob(Vec<u8>);

    impl Weigh for Blob {
        fn heap_bytes(&self) -> usize {
            self.0.capacity()
        }
    }

    const MIB: usize = 1 << 20;

    /// Let the other tasks of this (single-threaded) runtime run until they wait.
    async fn settle() {
        for _ in 0..64 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_flood_of_large_items_waits_for_the_byte_budget_not_the_item_count() {
        let (tx, mut rx) = bounded::<Blob>(4096, 8 * MIB);
        let sent = Arc::new(AtomicUsize::new(0));
        let s = sent.clone();
        let reader = tokio::spawn(async move {
            for _ in 0..40 {
                if tx.send(Blob(vec![b'~'; MIB])).await.is_err() {
                    break;
                }
                s.fetch_add(1, Ordering::SeqCst);
            }
        });
        settle().await;
        // 1 MiB plus the item's own size each: 7 fit in 8 MiB, the 8th waits.
        assert_eq!(sent.load(Ordering::SeqCst), 7);
        assert!(rx.queued_bytes() <= 8 * MIB);
        let mut received = 0;
        while let Some(b) = rx.recv().await {
            received += 1;
            assert_eq!(b.0.len(), MIB);
            settle().await;
            assert!(rx.queued_bytes() <= 8 * MIB, "{}", rx.queued_bytes());
            assert!(sent.load(Ordering::SeqCst) <= received + 7);
        }
        assert_eq!(received, 40);
        reader.await.unwrap();
    }

    #[tokio::test]
    async fn small_items_are_bounded_by_count() {
        let (tx, mut rx) = bounded::<Blob>(16, 8 * MIB);
        let sent = Arc::new(AtomicUsize::new(0));
        let s = sent.clone();
        let reader = tokio::spawn(async move {
            for _ in 0..100 {
                tx.send(Blob(vec![1; 100])).await.unwrap();
                s.fetch_add(1, Ordering::SeqCst);
            }
        });
        settle().await;
        assert_eq!(sent.load(Ordering::SeqCst), 16);
        let mut received = 0;
        while rx.recv().await.is_some() {
            received += 1;
        }
        assert_eq!(received, 100);
        assert_eq!(rx.queued_bytes(), 0);
        reader.await.unwrap();
    }

    #[tokio::test]
    async fn an_item_heavier_than_the_budget_passes_alone() {
        let (tx, mut rx) = bounded::<Blob>(16, MIB);
        tx.send(Blob(vec![0; 3 * MIB])).await.unwrap();
        assert_eq!(rx.queued_bytes(), MIB);
        assert_eq!(rx.recv().await.unwrap().0.len(), 3 * MIB);
        assert_eq!(rx.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn a_reader_waiting_for_room_stops_when_the_consumer_goes() {
        let (tx, rx) = bounded::<Blob>(16, MIB);
        tx.send(Blob(vec![0; MIB / 2])).await.unwrap();
        let waiting = tokio::spawn(async move { tx.send(Blob(vec![0; MIB])).await.is_err() });
        settle().await;
        drop(rx);
        assert!(waiting.await.unwrap());
    }
}
