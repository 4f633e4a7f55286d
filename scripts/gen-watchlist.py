#!/usr/bin/env python3
"""Writes a generated watchlist of N terms (TOML) to stdout, for benchmarks.

Terms are English-, Russian- and Chinese-like pseudo-words (Latin and
Cyrillic syllables, runs of Han characters), some of two words, some with a
trailing `*` (prefix terms), spread over 16 sets. A few small "anchor" sets
hold real words that occur in the items of scripts/gen-news.py (H200, Nvidia,
export*, экспорт*, 出口, China, markets, 市场, ...), so the chip news alerts
and every item gets some automaton hits, whatever N is. 10 rules use AND,
OR, NOT, NEAR and an inline term; every set is referenced by a rule.
Generated terms that would match a word of the generated news are dropped,
so the alerts (and their cost) are the same at every N: only the anchors
match.
Deterministic: the same N and seed give the same file.

Usage: scripts/gen-watchlist.py N [SEED] > watchlist.toml
"""
import bisect
import json
import random
import re
import sys
from pathlib import Path

ANCHORS = {
    "anchor_chips": ["H200", "H20", "Nvidia", "AI chip*", "ИИ-чип*", "чипы", "芯片", "英伟达"],
    "anchor_trade": ["export*", "экспорт*", "出口", "licen*", "лиценз*", "许可", "sales"],
    "anchor_places": ["China", "Chinese", "Beijing", "Китай", "Китая", "КНР", "中国", "北京"],
    # Words of gen-news.py's filler paragraphs: nearly every item has some.
    "anchor_common": ["markets", "investors", "analysts", "рынки", "инвесторы", "市场", "投资者"],
}
RANDOM_SETS = [f"s{i:02d}" for i in range(1, 17)]

# (id, severity, when). s01..s16 all appear at least once.
RULES = [
    ("r01-chip-trade", "high", "anchor_chips AND (anchor_trade OR s01 OR s02)"),
    ("r02-chip-china", "medium", 'anchor_chips AND anchor_places AND NOT "gaming"'),
    ("r03-chip-near-trade", "critical", "(anchor_chips NEAR/10 anchor_trade) OR (s03 AND s04)"),
    ("r04-common-random", "low", "anchor_common AND (s05 OR s06)"),
    ("r05-random-pair", "medium", "s07 AND s08"),
    ("r06-random-or", "info", "s09 OR s10"),
    ("r07-random-near", "low", "(s11 NEAR/5 s12) AND NOT s13"),
    ("r08-china-random", "medium", "anchor_places AND (s13 OR s14)"),
    ("r09-random-chip", "high", "s15 AND (anchor_chips OR s16)"),
    ("r10-trade-random", "info", "anchor_trade AND s16"),
]

EN_ON = "b c d f g h k l m n p r s t v z br cr dr gr pl st tr".split()
EN_NU = "a e i o u ai ea io ou".split()
RU_ON = "б в г д ж з к л м н п р с т ф х ц ч ш бр вр гр др кр пр ст тр".split()
RU_NU = "а е и о у ы э ю я".split()


def word(rng, onsets, nuclei, lo, hi):
    w = "".join(rng.choice(onsets) + rng.choice(nuclei) for _ in range(rng.randint(lo, hi)))
    if rng.random() < 0.5:
        w += rng.choice(onsets[:18])  # a closing consonant
    return w


def term(rng):
    r = rng.random()
    if r < 0.25:  # Chinese-like: 2-4 Han characters, anywhere in U+4E00..U+9FA5
        return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 4)))
    onsets, nuclei = (EN_ON, EN_NU) if r < 0.70 else (RU_ON, RU_NU)
    words = [word(rng, onsets, nuclei, 2, 4) for _ in range(2 if rng.random() < 0.15 else 1)]
    if rng.random() < 0.25:
        words[0] = words[0].capitalize()  # case must not matter
    t = " ".join(words)
    if rng.random() < 0.10:
        t += "*"
    return t


def news_vocabulary():
    """The words (lowercase) and the text of the news that gen-news.py makes:
    the test fixtures and its filler paragraphs (read from its source)."""
    root = Path(__file__).resolve().parent
    text = "\n".join(p.read_text(encoding="utf-8").lower() for p in
                     [root / "gen-news.py", *sorted((root.parent / "tests" / "fixtures").glob("*.jsonl"))])
    return sorted(set(re.findall(r"\w+", text))), text


def occurs(t, words, text):
    """Would the random term t match in the generated news?"""
    base = t.rstrip("*").lower()
    if "\u4e00" <= base[0] <= "\u9fff":
        return base in text
    if t.endswith("*"):
        last = base.split()[-1]
        i = bisect.bisect_left(words, last)
        if i < len(words) and words[i].startswith(last):
            return True
    return any(bisect.bisect_left(words, w) < len(words) and words[bisect.bisect_left(words, w)] == w
               for w in base.split())


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return
    try:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
        seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261128
    except ValueError as e:
        sys.exit(f"gen-watchlist.py: N and SEED are whole numbers ({e})")
    rng = random.Random(seed)
    n_anchor = sum(len(v) for v in ANCHORS.values())
    n_random = max(len(RANDOM_SETS), n - n_anchor)
    seen = {t.lower() for v in ANCHORS.values() for t in v}
    words, text = news_vocabulary()
    sets = {s: [] for s in RANDOM_SETS}
    i = 0
    while i < n_random:
        t = term(rng)
        k = t.lower()
        if k in seen or occurs(t, words, text):
            continue
        seen.add(k)
        sets[RANDOM_SETS[i % len(RANDOM_SETS)]].append(t)
        i += 1

    out = sys.stdout
    q = lambda s: json.dumps(s, ensure_ascii=False)  # a TOML basic string
    out.write(f"# Generated by scripts/gen-watchlist.py {n} {seed}: "
              f"{n_anchor + n_random} terms in {len(ANCHORS) + len(sets)} sets, {len(RULES)} rules.\n\n")
    for name, terms in list(ANCHORS.items()) + list(sets.items()):
        out.write(f"[sets.{name}]\nterms = [\n")
        for j in range(0, len(terms), 8):
            out.write("  " + ", ".join(q(t) for t in terms[j:j + 8]) + ",\n")
        out.write("]\n\n")
    for rid, sev, when in RULES:
        out.write(f"[[rules]]\nid = {q(rid)}\nwhen = {q(when)}\nseverity = {q(sev)}\n"
                  f"description = {q('generated rule ' + rid)}\n\n")


if __name__ == "__main__":
    main()
