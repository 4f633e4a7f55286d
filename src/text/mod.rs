//! Text as the matcher sees it (SPEC sections 2 and 2a): normalization with
//! a map back to original offsets ([`normalize`]), and words: the CJK
//! predicate, word boundaries next to a match and word spans for NEAR
//! ([`words`]); sentences and paragraphs for `NEAR/S` and `NEAR/P`
//! ([`units`]).
//!
//! Both the watchlist (to normalize terms) and the engine (to normalize and
//! match fields) use these, so a term and the text it is matched against go
//! through one definition. This module owns the character-level rules only:
//! it must not import `watchlist` or `engine`, and knows nothing of terms,
//! matches, rules or I/O.

pub mod normalize;
pub mod units;
pub mod words;
