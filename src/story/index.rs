//! [`StoryIndex`]: the stories of the window, their sketches, and the LSH
//! tables that find a new item's story candidates in time independent of
//! how many stories there are.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::time::{Duration, SystemTime};

use super::sketch::{HASHES, SCHEME, Sketch, equal_values};
use super::{Signature, Story, StoryConfig};

/// LSH bands: the sketch's [`HASHES`] values cut into `BANDS` bands of
/// [`ROWS`]. Two sketches are candidates when one band is equal in both,
/// which happens with probability `1 - (1 - J^4)^32` for Jaccard index J:
/// 0.988 at 0.6, 0.87 at 0.5, 0.23 at 0.3, 0.0003 at 0.1 (the S-curve's
/// steepest point is near `(1/32)^(1/4)` = 0.42, below the threshold, so
/// that few true copies are missed; the candidates are then checked).
pub const BANDS: usize = 32;
/// Values per band.
pub const ROWS: usize = HASHES / BANDS;
const _: () = assert!(
    ROWS == 4 && BANDS * ROWS == HASHES,
    "band_key packs four u16 values"
);

/// Copies remembered so that one assigned again is not counted again: the
/// last 65,536 (a redelivery comes within `pipeline.max_in_flight` items
/// of the first delivery, 10,000 by default, and only items that alert
/// are assigned). 64-bit hashes of their ids, about 1.5 MiB when full.
pub const RECENT_COPIES: usize = 65_536;

/// Stories are numbered in order of creation; `u32`, wrapping (see
/// [`super::MAX_CAPACITY`]).
type Seq = u32;

/// Band key -> story number.
type BandTable = HashMap<u32, Seq, BuildHasherDefault<KeyHasher>>;

/// One story kept.
#[derive(Clone)]
struct Entry {
    values: [u16; HASHES],
    /// The first item's id, which is the story's id.
    first_item: Box<str>,
    first_seen: SystemTime,
    copies: u32,
}

/// The stories of the last window, at most `capacity` of them, with LSH
/// tables over their sketches. Single-threaded; the daemon holds it behind
/// a `Mutex`, and makes sketches ([`Sketch::of`], the costly part) before
/// taking the lock ([`StoryIndex::assign_sketch`]).
#[derive(Clone)]
pub struct StoryIndex {
    config: StoryConfig,
    /// Stories in order of creation (import included), oldest first.
    stories: VecDeque<Entry>,
    /// The number of `stories[0]`.
    front: Seq,
    /// One table per band: band key -> the newest story with that band. A
    /// story whose band an unrelated newer story shares loses that band as
    /// a way to be found (it keeps the other 31); a table never holds more
    /// than one entry per story and band.
    bands: Vec<BandTable>,
    /// Bytes of the ids held.
    id_bytes: usize,
    /// The latest `seen` so far: stories whose window ended before it are
    /// evicted.
    clock: SystemTime,
    /// The copies counted lately ([`RECENT_COPIES`]).
    recent: RecentIds,
}

/// The hashes of the last [`RECENT_COPIES`] item ids counted as copies,
/// oldest forgotten first.
#[derive(Clone, Default)]
struct RecentIds {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    /// Fixed keys: the same id hashes alike for the life of the index.
    hasher: std::hash::RandomState,
}

impl RecentIds {
    /// Remembers `id`; false when it was remembered already.
    fn first_time(&mut self, id: &str) -> bool {
        let h = self.hasher.hash_one(id);
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        if self.order.len() > RECENT_COPIES
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    /// Heap bytes held, estimated as for the band tables.
    fn memory_bytes(&self) -> usize {
        let buckets = (self.set.capacity() * 8 / 7).next_power_of_two();
        buckets * (std::mem::size_of::<u64>() + 1) + self.order.capacity() * 8
    }
}

/// What [`StoryIndex::import`] did with a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// The story is now kept here.
    Added,
    /// A story with this first item is already kept.
    Known,
    /// Its window has ended by this index's clock; not kept.
    Expired,
}

/// Why [`StoryIndex::import`] refused a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Made by another version of the sketch ([`super::SCHEME`]).
    #[error("story signature of scheme {0}, this version reads scheme {SCHEME}")]
    Scheme(u32),
    /// Not [`HASHES`] values.
    #[error("story signature with {0} values, not {HASHES}")]
    Values(usize),
}

impl StoryIndex {
    /// An empty index.
    pub fn new(config: StoryConfig) -> Self {
        Self {
            config,
            stories: VecDeque::new(),
            front: 0,
            bands: (0..BANDS).map(|_| HashMap::default()).collect(),
            id_bytes: 0,
            clock: SystemTime::UNIX_EPOCH,
            recent: RecentIds::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &StoryConfig {
        &self.config
    }

    /// Stories kept.
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// True when no story is kept.
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    /// The story of an item seen at `seen`: [`Sketch::of`] its title and
    /// body, then [`assign_sketch`](Self::assign_sketch).
    pub fn assign(&mut self, item_id: &str, title: &str, body: &str, seen: SystemTime) -> Story {
        self.assign_sketch(item_id, &Sketch::of(title, body), seen)
    }

    /// The story of an item with this sketch, seen at `seen` (when the
    /// item arrived; a `seen` far ahead of the others ends every window
    /// before it). The item joins the kept story whose sketch is most
    /// similar to its own, at least `similarity`, among those whose first
    /// item was seen at most `window` before or after it; otherwise it
    /// starts a story with its own id. An item assigned again (a
    /// redelivery after a crash or a rebalance, or an item of an aborted
    /// exactly-once transaction processed again) does not count as a copy
    /// again: neither the item that started the story nor one of the last
    /// [`RECENT_COPIES`] copies. A sketch without words starts a story
    /// that is not kept.
    ///
    /// Time: the LSH lookups (32 hash-table probes) and one comparison of
    /// 128 values per candidate; independent of how many stories are kept.
    pub fn assign_sketch(&mut self, item_id: &str, sketch: &Sketch, seen: SystemTime) -> Story {
        if seen > self.clock {
            self.clock = seen;
            self.evict_expired();
        }
        if sketch.is_empty() {
            return Story::started(item_id, seen);
        }
        if let Some(i) = self.best_match(sketch.values(), seen) {
            let counted =
                *self.stories[i].first_item != *item_id && self.recent.first_time(item_id);
            let e = &mut self.stories[i];
            if counted {
                e.copies = e.copies.saturating_add(1);
            }
            return Story {
                id: e.first_item.to_string(),
                first_item: e.first_item.to_string(),
                first_seen: e.first_seen,
                copies: e.copies,
                new: false,
            };
        }
        self.insert(sketch.values(), item_id, seen, 1);
        Story::started(item_id, seen)
    }

    /// Takes a story made by another instance ([`Signature::new`]), so that
    /// its copies seen here join it. It counts one copy, its first item.
    ///
    /// # Errors
    /// [`ImportError`] for a signature of another scheme or length.
    pub fn import(&mut self, signature: &Signature) -> Result<Imported, ImportError> {
        if signature.scheme != SCHEME {
            return Err(ImportError::Scheme(signature.scheme));
        }
        let sketch = Sketch::from_values(&signature.values)
            .ok_or(ImportError::Values(signature.values.len()))?;
        if !alive(signature.first_seen, self.config.window(), self.clock) {
            return Ok(Imported::Expired);
        }
        let known = self
            .candidates(sketch.values())
            .any(|i| *self.stories[i].first_item == *signature.first_item);
        if known {
            return Ok(Imported::Known);
        }
        self.insert(
            sketch.values(),
            &signature.first_item,
            signature.first_seen,
            1,
        );
        Ok(Imported::Added)
    }

    /// Heap bytes held, estimated from the capacities of the story queue,
    /// the ids, the band tables and the recent copies (hashbrown's layout:
    /// a power of two of buckets, 8/7 of the capacity, each its entry's
    /// bytes and one control byte).
    pub fn memory_bytes(&self) -> usize {
        let stories = self.stories.capacity() * std::mem::size_of::<Entry>() + self.id_bytes;
        let bands: usize = self
            .bands
            .iter()
            .map(|t| {
                let cap = t.capacity();
                if cap == 0 {
                    return 0;
                }
                let buckets = (cap * 8 / 7).next_power_of_two();
                buckets * (std::mem::size_of::<(u32, Seq)>() + 1) + 16
            })
            .sum();
        stories
            + bands
            + self.bands.capacity() * std::mem::size_of::<BandTable>()
            + self.recent.memory_bytes()
    }

    /// The index in `stories` of the story numbered `seq`, if kept.
    fn position(&self, seq: Seq) -> Option<usize> {
        let i = seq.wrapping_sub(self.front) as usize;
        (i < self.stories.len()).then_some(i)
    }

    /// Positions of the stories that share a band with `values`, each once.
    fn candidates(&self, values: &[u16; HASHES]) -> impl Iterator<Item = usize> + '_ {
        let mut found: [usize; BANDS] = [usize::MAX; BANDS];
        let mut n = 0;
        for (b, table) in self.bands.iter().enumerate() {
            if let Some(i) = table
                .get(&band_key(values, b))
                .and_then(|&s| self.position(s))
                && !found[..n].contains(&i)
            {
                found[n] = i;
                n += 1;
            }
        }
        found.into_iter().take(n)
    }

    /// The position of the most similar candidate at or above the
    /// threshold within the window of `seen`; the older one on a tie.
    fn best_match(&self, values: &[u16; HASHES], seen: SystemTime) -> Option<usize> {
        let window = self.config.window();
        // Equal values needed: the threshold in values, rounded up.
        let need = (self.config.similarity() * HASHES as f64 - 1e-9).ceil() as usize;
        let mut best: Option<(usize, usize)> = None;
        for i in self.candidates(values) {
            let e = &self.stories[i];
            if !within(e.first_seen, seen, window) {
                continue;
            }
            let equal = equal_values(&e.values, values);
            if equal >= need && best.is_none_or(|(bi, be)| equal > be || equal == be && i < bi) {
                best = Some((i, equal));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Keeps a new story, evicting the oldest past the capacity.
    fn insert(
        &mut self,
        values: &[u16; HASHES],
        first_item: &str,
        first_seen: SystemTime,
        copies: u32,
    ) {
        while self.stories.len() >= self.config.capacity() {
            self.evict_front();
        }
        let seq = self.front.wrapping_add(self.stories.len() as Seq);
        for (b, table) in self.bands.iter_mut().enumerate() {
            table.insert(band_key(values, b), seq);
        }
        self.id_bytes += first_item.len();
        self.stories.push_back(Entry {
            values: *values,
            first_item: first_item.into(),
            first_seen,
            copies,
        });
    }

    /// Evicts stories from the oldest on while their window has ended by
    /// the clock. A story imported late, behind newer ones, goes when they
    /// have gone (and never takes a copy past its window).
    fn evict_expired(&mut self) {
        let window = self.config.window();
        while let Some(e) = self.stories.front() {
            if alive(e.first_seen, window, self.clock) {
                break;
            }
            self.evict_front();
        }
    }

    fn evict_front(&mut self) {
        let Some(e) = self.stories.pop_front() else {
            return;
        };
        let seq = self.front;
        for (b, table) in self.bands.iter_mut().enumerate() {
            let key = band_key(&e.values, b);
            if table.get(&key) == Some(&seq) {
                table.remove(&key);
            }
        }
        self.id_bytes -= e.first_item.len();
        self.front = self.front.wrapping_add(1);
    }
}

/// True when the window of a story first seen at `first_seen` has not
/// ended by `clock` (a window past the end of time never ends).
fn alive(first_seen: SystemTime, window: Duration, clock: SystemTime) -> bool {
    first_seen
        .checked_add(window)
        .is_none_or(|end| end >= clock)
}

/// True when `seen` is at most `window` before or after `first_seen`.
fn within(first_seen: SystemTime, seen: SystemTime, window: Duration) -> bool {
    match seen.duration_since(first_seen) {
        Ok(after) => after <= window,
        Err(before) => before.duration() <= window,
    }
}

/// Band `b` of `values` as a 32-bit key: its four 16-bit values are one
/// `u64`, mixed.
#[inline]
fn band_key(values: &[u16; HASHES], b: usize) -> u32 {
    let r = &values[b * ROWS..(b + 1) * ROWS];
    let v = u64::from(r[0]) | u64::from(r[1]) << 16 | u64::from(r[2]) << 32 | u64::from(r[3]) << 48;
    let h = (v ^ (v >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h >> 32) as u32 ^ h as u32
}

/// The band tables' hasher: the key is already a hash, so one multiply
/// spreads it over the 64 bits hashbrown takes its bucket and control bits
/// from.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, k: u32) {
        self.0 = u64::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
