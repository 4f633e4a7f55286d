//! [`StoryConfig`]: the three settings of story detection (SPEC 5,
//! `alerts.story_similarity`, `alerts.story_window`, `alerts.story_capacity`),
//! checked once when made, so a `StoryConfig` that exists is valid.

use std::time::Duration;

/// How stories are told apart and how long and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryConfig {
    similarity: f64,
    window: Duration,
    capacity: usize,
}

/// The most stories an index may keep: 2^31 - 1. Stories are numbered with
/// wrapping `u32`s in the LSH tables; with at most half of that range alive
/// at once, a number never means two stories.
pub const MAX_CAPACITY: usize = (u32::MAX / 2) as usize;

/// A story setting out of range; `Display` names the key and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The similarity is not a Jaccard index in `(0, 1]`.
    #[error("alerts.story_similarity must be more than 0 and at most 1, not {0}")]
    Similarity(f64),
    /// The window is zero.
    #[error("alerts.story_window must be longer than 0s")]
    Window,
    /// The capacity is 0 or more than [`MAX_CAPACITY`].
    #[error("alerts.story_capacity must be between 1 and {MAX_CAPACITY}, not {0}")]
    Capacity(usize),
}

impl StoryConfig {
    /// The default `alerts.story_similarity`: 0.6.
    pub const DEFAULT_SIMILARITY: f64 = 0.6;
    /// The default `alerts.story_window`: 24 hours.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);
    /// The default `alerts.story_capacity`: 1,000,000 stories (about 470 MiB,
    /// see the module documentation of [`crate::story`]).
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// A configuration: `similarity`, the estimated Jaccard index of two
    /// texts' shingles at or above which they are one story, in `(0, 1]`;
    /// `window`, how long after its first item a story takes copies (and is
    /// kept), more than zero; `capacity`, the most stories kept (the oldest
    /// are evicted first), `1..=MAX_CAPACITY`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first value out of range.
    pub fn new(similarity: f64, window: Duration, capacity: usize) -> Result<Self, ConfigError> {
        if !(similarity > 0.0 && similarity <= 1.0) {
            return Err(ConfigError::Similarity(similarity));
        }
        if window.is_zero() {
            return Err(ConfigError::Window);
        }
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(ConfigError::Capacity(capacity));
        }
        Ok(Self {
            similarity,
            window,
            capacity,
        })
    }

    /// The Jaccard threshold, in `(0, 1]`.
    pub fn similarity(&self) -> f64 {
        self.similarity
    }

    /// How long after its first item a story takes copies.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The most stories kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Default for StoryConfig {
    fn default() -> Self {
        Self {
            similarity: Self::DEFAULT_SIMILARITY,
            window: Self::DEFAULT_WINDOW,
            capacity: Self::DEFAULT_CAPACITY,
        }
    }
}
