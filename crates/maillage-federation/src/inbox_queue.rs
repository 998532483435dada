//! What stands between a verified activity and its processing: the group
//! commit that makes it durable, the slots for processing it while its
//! sender waits, and the signal that wakes the inbox worker.
//!
//! Group commit: inbox requests hand their activity to one writer task per
//! process, which stores everything waiting in one transaction and then
//! answers each request. Alone, a request waits for its own insert; under
//! load, one commit carries many activities. A request is answered 202 only
//! after the commit that holds its activity.
//!
//! Processing: a request processes its activity itself, and waits for it
//! (at most [`crate::inbox::PROCESSING_BUDGET`]), when one of the process's
//! inline slots (one per core) is free. Otherwise the activity is stored
//! unleased and the inbox worker of any process takes it, so a burst is
//! absorbed at the speed of storing and processed at its own pace.

use std::sync::Arc;

use maillage_db::{Database, DbError, NewReceived};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::error::FederationError;

/// The most activities one commit carries.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer before new ones wait to enqueue.
const QUEUE: usize = 4096;

type Answer = oneshot::Sender<Result<Option<i64>, DbError>>;

/// The inbox's shared machinery in one process (cheap to clone).
#[derive(Clone)]
pub struct InboxQueue {
    writer: mpsc::Sender<(NewReceived, Answer)>,
    inline_slots: Arc<Semaphore>,
    wakeup: Arc<Notify>,
}

impl InboxQueue {
    /// Starts the writer task (on the current Tokio runtime).
    pub fn start(db: Database) -> Self {
        let (writer, requests) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, requests));
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        InboxQueue { writer, inline_slots: Arc::new(Semaphore::new(cores)), wakeup: Arc::new(Notify::new()) }
    }

    /// Stores `activity` durably (in the next group commit); `None` for a
    /// duplicate id.
    pub async fn store(&self, activity: NewReceived) -> Result<Option<i64>, FederationError> {
        let (answer, answered) = oneshot::channel();
        let gone = || FederationError::Database(DbError::Pool("the inbox writer has stopped".into()));
        self.writer.send((activity, answer)).await.map_err(|_| gone())?;
        Ok(answered.await.map_err(|_| gone())??)
    }

    /// A slot to process an activity while its sender waits, if one is free.
    pub fn inline_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.inline_slots.clone().try_acquire_owned().ok()
    }

    /// Tells this process's inbox worker that unleased activities wait.
    pub fn wake_worker(&self) {
        self.wakeup.notify_one();
    }

    /// Resolves when [`Self::wake_worker`] was called (now or since the last wait).
    pub async fn woken(&self) {
        self.wakeup.notified().await;
    }
}

/// The writer task: drains what is waiting, stores it in one commit, answers.
async fn write_batches(db: Database, mut requests: mpsc::Receiver<(NewReceived, Answer)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (activities, answers): (Vec<_>, Vec<_>) = std::mem::take(&mut batch).into_iter().unzip();
        match db.store_received_batch(&activities).await {
            Ok(ids) => {
                for (answer, id) in answers.into_iter().zip(ids) {
                    let _ = answer.send(Ok(id));
                }
            }
            // One bad row must not fail its neighbours: store them one by one,
            // each answered with its own outcome.
            Err(error) if activities.len() > 1 => {
                tracing::warn!(%error, n = activities.len(), "a group commit failed; storing its activities one by one");
                for (activity, answer) in activities.into_iter().zip(answers) {
                    let outcome = db.store_received_batch(std::slice::from_ref(&activity)).await;
                    let _ = answer.send(outcome.map(|mut ids| ids.pop().flatten()));
                }
            }
            Err(error) => {
                if let Some(answer) = answers.into_iter().next() {
                    let _ = answer.send(Err(error));
                }
            }
        }
    }
}
