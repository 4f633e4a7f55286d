//! Per-partition offset tracking for at-least-once delivery (SPEC section
//! 4): items complete in any order, but a partition's commit offset
//! only advances over a contiguous run of completed offsets, in the order
//! they were consumed.
//!
//! Pure bookkeeping: no Kafka client here. The source records each consumed
//! offset with [`Offsets::begin`], the pipeline reports completion with
//! [`Offsets::complete`] once every alert of the item is acknowledged, and
//! the source commits what [`Offsets::take_committable`] returns.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A topic partition: the topic's name (shared, not copied per message)
/// and the partition number.
pub type TopicPartition = (Arc<str>, i32);

/// Identifies one consumed item for [`Offsets::complete`]. The generation
/// tells a completion from before a partition was revoked and assigned
/// again apart from one of the current assignment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The consumed message's offset.
    pub offset: i64,
    generation: u64,
}

#[derive(Debug)]
struct Partition {
    generation: u64,
    /// Consumed offsets not yet committable, ascending, with completion.
    window: VecDeque<(i64, bool)>,
    /// The offset to commit: last contiguous completed + 1 (Kafka commits
    /// the next offset to consume).
    commit_offset: Option<i64>,
    /// `commit_offset` moved since it was last taken for a commit.
    dirty: bool,
    /// Under exactly-once: the first offset begun since the last committed
    /// transaction, where an aborted one rewinds to.
    rewind_to: Option<i64>,
    /// Under exactly-once: the offset the last committed transaction
    /// committed for the partition. The consumer's own statistics do not
    /// see offsets a producer commits, so the lag is taken from this.
    committed: Option<i64>,
}

/// Offsets of every assigned partition.
#[derive(Debug, Default)]
pub struct Offsets {
    parts: HashMap<TopicPartition, Partition>,
    /// The topic names seen, to key `parts` without allocating per message.
    topics: Vec<Arc<str>>,
    next_generation: u64,
    /// The total length of the windows: the uncommitted items.
    uncommitted: usize,
}

impl Offsets {
    /// No partition assigned yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A partition was assigned: its offsets may now be begun. A partition
    /// assigned again after a revocation starts a new generation.
    pub fn assign(&mut self, topic: &str, partition: i32) {
        let key = (self.intern(topic), partition);
        let next_generation = &mut self.next_generation;
        self.parts.entry(key).or_insert_with(|| {
            *next_generation += 1;
            Partition {
                generation: *next_generation,
                window: VecDeque::new(),
                commit_offset: None,
                dirty: false,
                rewind_to: None,
                committed: None,
            }
        });
    }

    /// Records a consumed offset; offsets of a partition must come in
    /// ascending order, as Kafka delivers them. `None` when the partition is
    /// not assigned (a message fetched before its partition was revoked or
    /// lost): the caller drops it, and the partition's owner consumes it.
    pub fn begin(&mut self, topic: &str, partition: i32, offset: i64) -> Option<Ticket> {
        let key = (self.known(topic)?, partition);
        let p = self.parts.get_mut(&key)?;
        debug_assert!(p.window.back().is_none_or(|&(o, _)| o < offset));
        p.window.push_back((offset, false));
        p.rewind_to.get_or_insert(offset);
        self.uncommitted += 1;
        Some(Ticket {
            topic: key.0,
            partition,
            offset,
            generation: p.generation,
        })
    }

    /// Marks an item done. Returns false when its partition was revoked
    /// since (the new owner will process it again) or the ticket is unknown.
    pub fn complete(&mut self, t: &Ticket) -> bool {
        let Some(p) = self.parts.get_mut(&(Arc::clone(&t.topic), t.partition)) else {
            return false;
        };
        if p.generation != t.generation {
            return false;
        }
        let Ok(i) = p.window.binary_search_by_key(&t.offset, |&(o, _)| o) else {
            return false;
        };
        if p.window[i].1 {
            return false; // completed twice: ignore
        }
        p.window[i].1 = true;
        while let Some(&(o, true)) = p.window.front() {
            p.window.pop_front();
            self.uncommitted -= 1;
            p.commit_offset = Some(o + 1);
            p.dirty = true;
        }
        true
    }

    /// Commit offsets that advanced since the last call: (topic, partition,
    /// next offset to consume), ready to commit.
    pub fn take_committable(&mut self) -> Vec<(String, i32, i64)> {
        let mut out: Vec<_> = self
            .parts
            .iter_mut()
            .filter_map(|((t, part), p)| {
                let dirty = std::mem::take(&mut p.dirty);
                p.commit_offset
                    .filter(|_| dirty)
                    .map(|o| (t.to_string(), *part, o))
            })
            .collect();
        out.sort();
        out
    }

    /// Every known commit offset, changed or not: for the final commit.
    pub fn commit_offsets(&self) -> Vec<(String, i32, i64)> {
        let mut out: Vec<_> = self
            .parts
            .iter()
            .filter_map(|((t, part), p)| p.commit_offset.map(|o| (t.to_string(), *part, o)))
            .collect();
        out.sort();
        out
    }

    /// A commit of `offset` failed: offer it again with the next
    /// `take_committable`, unless the partition moved on or was revoked.
    pub fn commit_failed(&mut self, topic: &str, partition: i32, offset: i64) {
        if let Some(p) = self.parts.get_mut(&(Arc::from(topic), partition))
            && p.commit_offset == Some(offset)
        {
            p.dirty = true;
        }
    }

    /// Items begun and not completed on one partition (those whose alerts
    /// are not all acknowledged).
    pub fn pending_on(&self, topic: &str, partition: i32) -> usize {
        self.parts
            .get(&(Arc::from(topic), partition))
            .map_or(0, |p| p.window.iter().filter(|(_, done)| !done).count())
    }

    /// Forgets a revoked partition, returning its commit offset if it
    /// advanced. Items still in flight on it will be consumed again by the
    /// partition's next owner.
    pub fn revoke(&mut self, topic: &str, partition: i32) -> Option<i64> {
        let p = self.parts.remove(&(Arc::from(topic), partition))?;
        self.uncommitted -= p.window.len();
        p.commit_offset
    }

    /// The shared name of a topic seen before.
    fn known(&self, topic: &str) -> Option<Arc<str>> {
        self.topics.iter().find(|t| &***t == topic).cloned()
    }

    fn intern(&mut self, topic: &str) -> Arc<str> {
        self.known(topic).unwrap_or_else(|| {
            let t: Arc<str> = Arc::from(topic);
            self.topics.push(Arc::clone(&t));
            t
        })
    }

    /// Some commit offset moved since it was last taken.
    pub fn moved(&self) -> bool {
        self.parts.values().any(|p| p.dirty)
    }

    /// Under exactly-once, a transaction with `offsets` (topic, partition,
    /// next offset to consume: those `take_committable` gave) was
    /// committed: the items begun so far are done for good.
    pub fn transaction_committed(&mut self, offsets: &[(String, i32, i64)]) {
        for p in self.parts.values_mut() {
            p.rewind_to = p.window.front().map(|&(o, _)| o);
        }
        for (t, part, o) in offsets {
            if let Some(p) = self.parts.get_mut(&(Arc::from(t.as_str()), *part)) {
                p.committed = Some(*o);
            }
        }
    }

    /// Under exactly-once, the offset the last committed transaction
    /// committed for an assigned partition, if any since its assignment.
    pub fn transaction_offset(&self, topic: &str, partition: i32) -> Option<i64> {
        self.parts
            .get(&(Arc::from(topic), partition))
            .and_then(|p| p.committed)
    }

    /// Under exactly-once, the open transaction was aborted: forgets every
    /// item begun since the last committed one and returns where to seek
    /// each partition to consume them again: (topic, partition, offset).
    /// Tickets of those items no longer complete anything.
    pub fn rewind(&mut self) -> Vec<(String, i32, i64)> {
        let mut out = Vec::new();
        let mut dropped = 0;
        for ((t, part), p) in &mut self.parts {
            if let Some(o) = p.rewind_to.take() {
                out.push((t.to_string(), *part, o));
            }
            dropped += p.window.len();
            p.window.clear();
            p.dirty = false;
            p.commit_offset = None;
            self.next_generation += 1;
            p.generation = self.next_generation;
        }
        self.uncommitted -= dropped;
        out.sort();
        out
    }

    /// The item of `t` still counts: its partition is assigned and was not
    /// rewound since it was begun. Under exactly-once a worker checks this
    /// before producing an item's alerts, so that an item of an aborted
    /// transaction never reaches the next one.
    pub fn is_live(&self, t: &Ticket) -> bool {
        self.parts
            .get(&(Arc::clone(&t.topic), t.partition))
            .is_some_and(|p| p.generation == t.generation)
    }

    /// Under exactly-once, items were begun since the last committed
    /// transaction: the open one may hold their alerts.
    pub fn begun_since_commit(&self) -> bool {
        self.parts.values().any(|p| p.rewind_to.is_some())
    }

    /// Forgets every partition: the consumer is replaced by a new one,
    /// which starts from the committed offsets. Tickets begun before no
    /// longer complete anything, and a partition the new consumer is
    /// assigned starts a new generation.
    pub fn clear(&mut self) {
        self.parts.clear();
        self.uncommitted = 0;
    }

    /// Items consumed and not yet committable, over all partitions: those
    /// not completed, and the completed ones behind them. This, not the
    /// incomplete count alone, is what `pipeline.max_in_flight` bounds: one
    /// alert stuck on a dead endpoint then pauses the consumer instead of
    /// letting the window behind it grow without limit.
    pub fn uncommitted(&self) -> usize {
        self.uncommitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_the_contiguous_completed_prefix() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        let t: Vec<Ticket> = [10, 11, 12, 15]
            .iter()
            .map(|&n| o.begin("news", 0, n).unwrap())
            .collect();
        assert_eq!(o.uncommitted(), 4);
        assert!(o.complete(&t[1]));
        assert!(o.take_committable().is_empty(), "10 is still in flight");
        assert_eq!(o.uncommitted(), 4, "11 is done but not committable");
        assert!(o.complete(&t[0]));
        assert_eq!(o.uncommitted(), 2);
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 12)]);
        assert!(o.take_committable().is_empty(), "reported once");
        // Gaps in offsets (compaction) are fine: 15 follows 12.
        assert!(o.complete(&t[3]));
        assert!(o.complete(&t[2]));
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 16)]);
        assert_eq!(o.uncommitted(), 0);
        // A failed commit is offered again; commit_offsets() always lists it.
        o.commit_failed("news", 0, 16);
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 16)]);
        assert_eq!(o.commit_offsets(), [("news".to_owned(), 0, 16)]);
    }

    #[test]
    fn partitions_are_independent() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        o.assign("news", 1);
        let a = o.begin("news", 0, 5).unwrap();
        let b = o.begin("news", 1, 7).unwrap();
        o.complete(&b);
        assert_eq!(o.take_committable(), [("news".to_owned(), 1, 8)]);
        o.complete(&a);
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 6)]);
    }

    #[test]
    fn revoked_partitions_ignore_late_completions() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        let a = o.begin("news", 0, 1).unwrap();
        let b = o.begin("news", 0, 2).unwrap();
        o.complete(&a);
        assert_eq!(o.revoke("news", 0), Some(2));
        assert_eq!(o.uncommitted(), 0);
        // Messages fetched before the revocation are not begun.
        assert!(o.begin("news", 0, 3).is_none());
        // Assigned again: a completion from the old assignment is ignored.
        o.assign("news", 0);
        let c = o.begin("news", 0, 2).unwrap();
        assert!(!o.complete(&b));
        assert!(o.take_committable().is_empty());
        assert!(o.complete(&c));
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 3)]);
    }

    #[test]
    fn a_cleared_tracker_lets_a_new_consumer_start_lower_and_ignores_old_tickets() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        let a = o.begin("news", 0, 7).unwrap();
        let b = o.begin("news", 0, 8).unwrap();
        assert!(o.is_live(&a));
        o.clear();
        assert_eq!(o.uncommitted(), 0);
        assert!(!o.is_live(&a));
        // The new consumer starts again from the committed offset, 5.
        o.assign("news", 0);
        let c = o.begin("news", 0, 5).unwrap();
        assert!(!o.complete(&b));
        assert!(!o.is_live(&b));
        assert!(o.is_live(&c));
        assert!(o.complete(&c));
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 6)]);
    }

    #[test]
    fn the_transaction_offset_is_what_the_last_committed_transaction_committed() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        assert_eq!(o.transaction_offset("news", 0), None);
        let a = o.begin("news", 0, 4).unwrap();
        o.complete(&a);
        let taken = o.take_committable();
        o.transaction_committed(&taken);
        assert_eq!(o.transaction_offset("news", 0), Some(5));
        // An aborted one changes nothing.
        let b = o.begin("news", 0, 5).unwrap();
        o.complete(&b);
        let _ = o.take_committable();
        o.rewind();
        assert_eq!(o.transaction_offset("news", 0), Some(5));
        o.revoke("news", 0);
        assert_eq!(o.transaction_offset("news", 0), None);
    }

    #[test]
    fn a_rewind_kills_the_tickets_begun_before_it() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        assert!(!o.begun_since_commit());
        let a = o.begin("news", 0, 1).unwrap();
        assert!(o.begun_since_commit());
        assert_eq!(o.rewind(), [("news".to_owned(), 0, 1)]);
        assert!(!o.begun_since_commit());
        assert!(!o.is_live(&a));
        let again = o.begin("news", 0, 1).unwrap();
        assert!(o.is_live(&again));
    }

    #[test]
    fn double_completion_is_ignored() {
        let mut o = Offsets::new();
        o.assign("news", 0);
        let a = o.begin("news", 0, 1).unwrap();
        let _b = o.begin("news", 0, 2).unwrap();
        assert!(o.complete(&a));
        assert!(!o.complete(&a));
        assert_eq!(o.uncommitted(), 1);
    }
}
