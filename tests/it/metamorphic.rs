//! Metamorphic tests of SPEC section 2a over the whole corpus: every item of
//! the fixtures, the sample news and the generated benchmark corpus is
//! rewritten the ways publishers' text differs (NFD, invisible characters
//! inside words, trade-mark signs after words, a BOM, CRLF, full-width
//! ASCII, half-width katakana, `ё`/`е`, hyphen/space, case, `ß`/`ss`), and
//! no rewrite may change which (rule, set, term) alerts the item raises.
//! Every reported match `text` must still be the original slice at
//! `start..end`, with no invisible character at either end.
//!
//! These catch a kind of fault, not an example: a rewrite that breaks
//! matching anywhere in the corpus fails with the item and the rewrite.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::SystemTime;

use newswatch::alert::{AlertOptions, alerts_for};
use newswatch::engine::{Engine, Scratch};
use newswatch::item::{DecodeOptions, Provenance, decode};
use newswatch::text::words::{is_ignorable, is_word_char};
use newswatch::watchlist::Watchlist;
use newswatch_test_support::{corpus, fixtures, root};
use unicode_normalization::UnicodeNormalization;

/// One way publishers' text differs. `cased`: the rewrite changes letter
/// case, so case-sensitive sets may rightly see a difference.
struct Rewrite {
    name: &'static str,
    text: fn(&str) -> String,
    cased: bool,
}

const fn rw(name: &'static str, text: fn(&str) -> String) -> Rewrite {
    Rewrite {
        name,
        text,
        cased: false,
    }
}

const REWRITES: &[Rewrite] = &[
    rw("NFD", |t| t.nfd().collect()),
    rw("NFC of NFD", |t| {
        t.nfd().collect::<String>().nfc().collect()
    }),
    rw("soft hyphen inside words", |t| inside_words(t, "\u{ad}")),
    rw("ZWSP inside words", |t| inside_words(t, "\u{200b}")),
    rw("ZWJ inside words", |t| inside_words(t, "\u{200d}")),
    rw("WJ inside words", |t| inside_words(t, "\u{2060}")),
    rw("LRM inside words", |t| inside_words(t, "\u{200e}")),
    rw("variation selector inside words", |t| {
        inside_words(t, "\u{fe0f}")
    }),
    rw("™ after words", |t| after_words(t, "™")),
    rw("® after words", |t| after_words(t, "®")),
    rw("℠ after words", |t| after_words(t, "℠")),
    rw("CRLF line ends", |t| t.replace('\n', "\r\n")),
    rw("full-width ASCII", full_width),
    rw("half-width katakana", half_width_katakana),
    rw("ё as е", |t| t.replace('ё', "е").replace('Ё', "Е")),
    rw("е as ё", |t| t.replace('е', "ё").replace('Е', "Ё")),
    rw("hyphens between words as spaces", |t| {
        between_words(t, '-', ' ')
    }),
    rw("spaces between words as hyphens", |t| {
        between_words(t, ' ', '-')
    }),
    rw("ss as ß", |t| t.replace("ss", "ß")),
    rw("ß as ss", |t| t.replace('ß', "ss")),
    Rewrite {
        name: "upper case",
        text: |t| t.to_uppercase(),
        cased: true,
    },
    Rewrite {
        name: "lower case",
        text: |t| t.to_lowercase(),
        cased: true,
    },
];

/// The words of `t` as byte ranges: maximal runs of letters, digits and
/// marks, an apostrophe between two of them joining them (SPEC 2a); CJK
/// runs are one word here, so a rewrite does not cut a CJK term.
fn words(t: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    let chars: Vec<(usize, char)> = t.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let joins = matches!(c, '\'' | '\u{2019}')
            && k > 0
            && is_word_char(chars[k - 1].1)
            && chars.get(k + 1).is_some_and(|&(_, n)| is_word_char(n));
        match (is_word_char(c) || joins, open) {
            (true, None) => open = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        out.push((s, t.len()));
    }
    out
}

/// `x` inserted in the middle of every word of two characters or more.
fn inside_words(t: &str, x: &str) -> String {
    let mut out = String::with_capacity(t.len() * 2);
    let mut at = 0;
    for (s, e) in words(t) {
        let n = t[s..e].chars().count();
        if n < 2 {
            continue;
        }
        let mid = s + t[s..e].char_indices().nth(n / 2).map_or(0, |(i, _)| i);
        out.push_str(&t[at..mid]);
        out.push_str(x);
        at = mid;
    }
    out.push_str(&t[at..]);
    out
}

/// `x` appended after every word.
fn after_words(t: &str, x: &str) -> String {
    let mut out = String::with_capacity(t.len() * 2);
    let mut at = 0;
    for (_, e) in words(t) {
        out.push_str(&t[at..e]);
        out.push_str(x);
        at = e;
    }
    out.push_str(&t[at..]);
    out
}

/// Every `from` that has a letter or digit on both sides as `to`.
fn between_words(t: &str, from: char, to: char) -> String {
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in chars.iter().enumerate() {
        let between = i > 0
            && i + 1 < chars.len()
            && is_word_char(chars[i - 1])
            && is_word_char(chars[i + 1]);
        out.push(if c == from && between { to } else { c });
    }
    out
}

/// Printable ASCII as its full-width form (U+FF01..U+FF5E).
fn full_width(t: &str) -> String {
    t.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Katakana as its half-width form, voiced ones as a letter and a
/// half-width voicing mark: the inverse of NFKC on U+FF61..U+FF9F.
fn half_width_katakana(t: &str) -> String {
    let mut back: BTreeMap<char, char> = BTreeMap::new();
    for cp in 0xFF61..=0xFF9F {
        let Some(h) = char::from_u32(cp) else {
            continue;
        };
        let mut k = std::iter::once(h).nfkc();
        if let (Some(full), None) = (k.next(), k.next()) {
            back.entry(full).or_insert(h);
        }
    }
    back.insert('\u{3099}', '\u{FF9E}');
    back.insert('\u{309A}', '\u{FF9F}');
    t.nfd()
        .map(|c| match c {
            '\u{30A1}'..='\u{30FC}' | '\u{3099}' | '\u{309A}' => *back.get(&c).unwrap_or(&c),
            c => c,
        })
        .collect()
}

/// The items: fixtures, sample news, and 256 KB of generated news as
/// `{"id", "body"}` objects.
fn items() -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut lines = fixtures::fixture_items();
    lines.extend(fixtures::lines(&root().join("config/samples/news.jsonl")));
    let mut items: Vec<serde_json::Map<String, serde_json::Value>> = lines
        .iter()
        .map(|l| serde_json::from_slice(l).expect("fixture lines are JSON objects"))
        .collect();
    for (i, body) in corpus::corpus(256 << 10).into_iter().enumerate() {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), format!("gen-{i}").into());
        m.insert("body".into(), body.into());
        items.push(m);
    }
    items
}

/// The default watchlist, and a generated one over the generated corpus's
/// terms (NEAR rules included).
fn engines() -> Vec<(&'static str, Engine)> {
    let default = Watchlist::load(&root().join("config/watchlist.toml"), None)
        .expect("the default watchlist loads");
    let generated = Watchlist::parse(&corpus::watchlist_toml(2_000, 200), None)
        .expect("the generated watchlist loads");
    [("default", default), ("generated", generated)]
        .into_iter()
        .map(|(n, w)| (n, Engine::build(Arc::new(w)).expect("engine builds")))
        .collect()
}

type Fingerprint = BTreeSet<(String, String, String)>;

/// The (rule, set or term, term) of every alert match of the item `line`,
/// skipping rules on case-sensitive sets when `skip_cased`. Checks that
/// each match text is its field's slice at `start..end`, without invisible
/// characters at its ends.
fn fingerprint(
    engine: &Engine,
    line: &[u8],
    skip_cased: bool,
    what: &str,
) -> Result<Fingerprint, String> {
    let opts = DecodeOptions::default();
    let item = decode(line, &opts).map_err(|e| format!("{what}: rejected: {e}"))?;
    let w = engine.watchlist();
    let cased: BTreeSet<&str> = w
        .sets
        .iter()
        .filter(|s| s.case_sensitive)
        .map(|s| &*s.name)
        .collect();
    let mut out = Fingerprint::new();
    let alerts = alerts_for(
        engine,
        &item,
        &Provenance::Line(1),
        &AlertOptions::default(),
        SystemTime::UNIX_EPOCH,
        &mut Scratch::new(),
    );
    for a in alerts {
        for m in &a.alert.data.matches {
            let field = item
                .fields
                .iter()
                .find(|(n, _)| *n == m.field)
                .map(|(_, t)| t.as_ref())
                .ok_or_else(|| format!("{what}: no field {}", m.field))?;
            if field.get(m.start..m.end) != Some(m.text.as_str()) {
                return Err(format!("{what}: {m:?} is not the slice of its field"));
            }
            let ends = [m.text.chars().next(), m.text.chars().next_back()];
            if ends.into_iter().flatten().any(is_ignorable) {
                return Err(format!(
                    "{what}: {m:?} has an invisible character at an end"
                ));
            }
            let set = m.set.as_deref().unwrap_or_default().to_owned();
            if skip_cased && cased.contains(set.as_str()) {
                continue;
            }
            out.insert((engine.rule(a.rule).id.clone(), set, m.term.to_string()));
        }
    }
    Ok(out)
}

#[test]
fn publisher_rewrites_do_not_change_alerts_anywhere_in_the_corpus() {
    let items = items();
    let engines = engines();
    let mut failures = Vec::new();
    let mut alerting = 0;
    for (name, engine) in &engines {
        for (i, item) in items.iter().enumerate() {
            let line = serde_json::to_vec(item).expect("serializes");
            let id = item
                .get("id")
                .map_or_else(|| i.to_string(), |v| v.to_string());
            let base = |skip| fingerprint(engine, &line, skip, &format!("{name} {id}"));
            let (Ok(want), Ok(want_uncased)) = (base(false), base(true)) else {
                failures.push(format!("{name} {id}: the original item fails"));
                continue;
            };
            alerting += usize::from(!want.is_empty());
            for r in REWRITES {
                let mut changed = item.clone();
                for (k, v) in changed.iter_mut() {
                    if let (serde_json::Value::String(s), false) = (&*v, k == "id") {
                        *v = (r.text)(s).into();
                    }
                }
                let line = serde_json::to_vec(&changed).expect("serializes");
                let what = format!("{name} {id}, {}", r.name);
                let want = if r.cased { &want_uncased } else { &want };
                match fingerprint(engine, &line, r.cased, &what) {
                    Ok(got) if &got == want => {}
                    Ok(got) => failures.push(format!(
                        "{what}: lost {:?}, gained {:?}",
                        want.difference(&got).collect::<Vec<_>>(),
                        got.difference(want).collect::<Vec<_>>()
                    )),
                    Err(e) => failures.push(e),
                }
            }
            // A BOM before the line, and the line ended by CRLF.
            for (how, bytes) in [
                ("BOM", [b"\xEF\xBB\xBF".as_slice(), &line].concat()),
                ("CR at the end", [line.as_slice(), b"\r"].concat()),
            ] {
                let what = format!("{name} {id}, {how}");
                match fingerprint(engine, &bytes, false, &what) {
                    Ok(got) if got == want => {}
                    Ok(_) => failures.push(format!("{what}: alerts differ")),
                    Err(e) => failures.push(e),
                }
            }
        }
    }
    assert!(
        alerting >= 40,
        "only {alerting} items alert: the corpus no longer tests much"
    );
    assert!(
        failures.is_empty(),
        "{} failures, the first:\n{}",
        failures.len(),
        failures[..failures.len().min(25)].join("\n")
    );
}

#[test]
fn rewrites_change_the_text_they_claim_to() {
    let t = "Nvidia's export-control Straße ёлка カード 芯片";
    assert_eq!(
        inside_words(t, "|"),
        "Nvid|ia's exp|ort-con|trol Str|aße ёл|ка カ|ード 芯|片"
    );
    assert_eq!(
        after_words(t, "™"),
        "Nvidia's™ export™-control™ Straße™ ёлка™ カード™ 芯片™"
    );
    assert_eq!(
        between_words(t, '-', ' '),
        "Nvidia's export control Straße ёлка カード 芯片"
    );
    assert_eq!(half_width_katakana("カード"), "ｶｰﾄﾞ");
    assert_eq!(full_width("H200-x"), "Ｈ２００－ｘ");
}
