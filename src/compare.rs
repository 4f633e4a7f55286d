//! Alerts per rule over many items, and what changes between two
//! watchlists (SPEC section 6a, `replay` and `scan --compare`): per rule,
//! the alerts of the current watchlist, those of the old one, and the items
//! whose alert was added or removed, with the first few of each by input
//! order.
//!
//! Rules are told apart by id: a rule renamed counts as one removed and
//! one added. Pure: the caller says, item by item, which rules each
//! watchlist raised.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Items listed per rule and direction at most.
pub const SAMPLES: usize = 5;

/// An item as a report lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    /// Where it came from, for the order (a line number, or partition and
    /// offset packed by the caller): the smallest come first.
    pub order: (i64, i64),
    /// The item id.
    pub item: String,
    /// Its title, if it has one.
    pub title: Option<String>,
}

/// One rule's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTally {
    /// Alerts of the current watchlist.
    pub new: usize,
    /// Alerts of the old watchlist (`--compare`).
    pub old: usize,
    /// Items it alerts on now and did not before.
    pub added: usize,
    /// Items it alerted on before and does not now.
    pub removed: usize,
    /// The first [`SAMPLES`] added items by order.
    pub added_samples: Vec<Sample>,
    /// The first [`SAMPLES`] removed items by order.
    pub removed_samples: Vec<Sample>,
}

/// Alerts per rule id over the items seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Whether an old watchlist is compared.
    pub comparing: bool,
    /// Items counted.
    pub items: usize,
    /// Per rule id.
    pub rules: BTreeMap<String, RuleTally>,
}

fn keep_first(samples: &mut Vec<Sample>, s: Sample) {
    samples.push(s);
    samples.sort();
    samples.truncate(SAMPLES);
}

impl Tally {
    /// A tally; `comparing` when an old watchlist's alerts are given too.
    pub fn new(comparing: bool) -> Self {
        Tally {
            comparing,
            ..Tally::default()
        }
    }

    /// Declares a rule, so that it is listed even with no alert.
    pub fn declare(&mut self, rule: &str) {
        self.rules.entry(rule.to_owned()).or_default();
    }

    /// Counts one item: the rule ids the current watchlist raised on it
    /// (`new`) and those the old one raised (`old`; empty unless
    /// comparing). `sample` is called only when the item is to be listed.
    pub fn add(&mut self, new: &[&str], old: &[&str], sample: impl Fn() -> Sample) {
        self.items += 1;
        for &r in new {
            let t = self.rules.entry(r.to_owned()).or_default();
            t.new += 1;
            if self.comparing && !old.contains(&r) {
                t.added += 1;
                keep_first(&mut t.added_samples, sample());
            }
        }
        for &r in old {
            let t = self.rules.entry(r.to_owned()).or_default();
            t.old += 1;
            if !new.contains(&r) {
                t.removed += 1;
                keep_first(&mut t.removed_samples, sample());
            }
        }
    }

    /// Adds another tally of other items (a worker's) to this one.
    pub fn merge(&mut self, other: Tally) {
        self.items += other.items;
        for (rule, o) in other.rules {
            let t = self.rules.entry(rule).or_default();
            t.new += o.new;
            t.old += o.old;
            t.added += o.added;
            t.removed += o.removed;
            for s in o.added_samples {
                keep_first(&mut t.added_samples, s);
            }
            for s in o.removed_samples {
                keep_first(&mut t.removed_samples, s);
            }
        }
    }

    /// The rules whose alerts differ between the two watchlists.
    pub fn changed(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|(_, t)| t.added > 0 || t.removed > 0)
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// The report: one row per rule with its alerts (and, comparing, the
    /// old watchlist's, added and removed, then the first items of each
    /// change, `+` added, `-` removed). Item text is escaped.
    pub fn render(&self) -> String {
        let width = self
            .rules
            .keys()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = String::new();
        if self.comparing {
            let _ = writeln!(
                out,
                "{:<width$}  {:>8}  {:>8}  {:>8}  {:>8}",
                "rule", "alerts", "old", "added", "removed"
            );
        } else {
            let _ = writeln!(out, "{:<width$}  {:>8}", "rule", "alerts");
        }
        for (rule, t) in &self.rules {
            let name = crate::escape::human(rule);
            if !self.comparing {
                let _ = writeln!(out, "{name:<width$}  {:>8}", t.new);
                continue;
            }
            let _ = writeln!(
                out,
                "{name:<width$}  {:>8}  {:>8}  {:>8}  {:>8}",
                t.new, t.old, t.added, t.removed
            );
            for (sign, samples) in [('+', &t.added_samples), ('-', &t.removed_samples)] {
                for s in samples {
                    let _ = write!(out, "  {sign} {}", crate::escape::human(&s.item));
                    if let Some(title) = &s.title {
                        let _ = write!(out, "  {}", crate::escape::human(title));
                    }
                    out.push('\n');
                }
            }
        }
        let _ = writeln!(out, "{} items", self.items);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: i64) -> impl Fn() -> Sample {
        move || Sample {
            order: (0, n),
            item: format!("i{n}"),
            title: Some(format!("title {n}")),
        }
    }

    #[test]
    fn counts_added_and_removed_per_rule_with_the_first_items() {
        let mut t = Tally::new(true);
        t.declare("quiet");
        for n in (0..10).rev() {
            t.add(&["a", "b"], &["b", "c"], sample(n));
        }
        t.add(&[], &[], sample(99));
        assert_eq!(t.items, 11);
        assert_eq!(t.changed(), ["a", "c"]);
        let a = &t.rules["a"];
        assert_eq!((a.new, a.old, a.added, a.removed), (10, 0, 10, 0));
        assert_eq!(
            a.added_samples
                .iter()
                .map(|s| s.item.as_str())
                .collect::<Vec<_>>(),
            ["i0", "i1", "i2", "i3", "i4"],
            "the first by order, whatever the arrival"
        );
        assert_eq!(t.rules["c"].removed, 10);
        assert_eq!(t.rules["quiet"], RuleTally::default());
        let text = t.render();
        assert!(text.contains("+ i0  title 0"), "{text}");
        assert!(text.contains("- i0  title 0"), "{text}");
        assert!(text.ends_with("11 items\n"), "{text}");
    }

    #[test]
    fn merged_tallies_equal_one_tally_of_all_items() {
        let mut whole = Tally::new(true);
        let mut parts = [Tally::new(true), Tally::new(true)];
        for n in 0..20 {
            let (new, old): (&[&str], &[&str]) = if n % 3 == 0 {
                (&["a"], &[])
            } else {
                (&[], &["a"])
            };
            whole.add(new, old, sample(n));
            parts[(n % 2) as usize].add(new, old, sample(n));
        }
        let [mut left, right] = parts;
        left.merge(right);
        assert_eq!(left, whole);
    }
}
