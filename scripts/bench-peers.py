#!/usr/bin/env python3
"""Helpers of scripts/bench-peers.sh (plain python3, no packages).

  bench-peers.py alerts NEWSWATCH_ALERTS.jsonl OUT.tsv
      newswatch scan's alerts as the peer writes its --alerts file: one line
      per alerted item, its id, a tab, its rule ids sorted, space-separated.
  bench-peers.py agree ITEMS.jsonl NEWSWATCH.tsv LUCENE.tsv RULES_JSON [SAMPLES]
      per rule: items both flagged, only newswatch, only Lucene; a sample of
      SAMPLES (default 0) disagreements with the item's title. RULES_JSON
      is the peer's output (its skipped rules are left out). Prints JSON.
  bench-peers.py table RESULTS.jsonl
      the Markdown tables of a run.
"""
import json
import statistics
import sys
from collections import defaultdict


def read_tsv(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            item, _, rules = line.partition("\t")
            out[item] = set(rules.split()) if rules else set()
    return out


def alerts(src, dst):
    by = defaultdict(set)
    with open(src, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)["data"]
                by[str(d["item"]["id"])].add(d["rule"])
    with open(dst, "w", encoding="utf-8") as f:
        for item, rules in by.items():
            f.write(f"{item}\t{' '.join(sorted(rules))}\n")


def agree(items_path, nw_path, lu_path, peer_json, samples=0):
    nw, lu = read_tsv(nw_path), read_tsv(lu_path)
    peer = json.load(open(peer_json, encoding="utf-8"))
    skipped = {s["rule"] for s in peer.get("skipped", [])}
    titles, order = {}, []
    with open(items_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                d = json.loads(line)
                i = str(d.get("id", f"line:{n}"))
                titles[i] = d.get("title", "")
                order.append(i)
    rules = sorted({r for s in list(nw.values()) + list(lu.values()) for r in s})
    per = {}
    diffs = []
    for r in rules:
        if r in skipped:
            continue
        both = only_nw = only_lu = 0
        for i in order:
            a, b = r in nw.get(i, ()), r in lu.get(i, ())
            both += a and b
            only_nw += a and not b
            only_lu += b and not a
            if a != b:
                diffs.append({"item": i, "rule": r, "flagged_by": "newswatch" if a else "lucene",
                              "title": titles.get(i, "")})
        per[r] = {"both": both, "only_newswatch": only_nw, "only_lucene": only_lu}
    # A spread sample: every k-th disagreement.
    k = max(1, len(diffs) // samples) if samples else 0
    sample = diffs[::k][:samples] if samples else []
    print(json.dumps({"rules": per, "skipped": sorted(skipped), "disagreements": len(diffs),
                      "sample": sample}, ensure_ascii=False))


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v, d=0):
    if v is None:
        return "n/a"
    return f"{v:,.{d}f}"


def table(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    sizes = []
    for r in rows:
        if r.get("kind") in ("newswatch", "lucene", "bare") and r["size"] not in sizes:
            sizes.append(r["size"])
    by = defaultdict(list)
    for r in rows:
        if "size" in r:
            by[(r["kind"], r["size"])].append(r)
    out = []
    lu_any = next((r for r in rows if r.get("kind") == "lucene"), {})
    if meta and meta.get("lucene", "?") == "?":
        meta["lucene"] = lu_any.get("lucene", "?")
        out.append(f"`scripts/bench-peers.sh {meta['repeats']}` on {meta['host']}, {meta['date']}, newswatch "
                   f"{meta['version']} (checkout {meta['git']}); {meta['items']:,} items "
                   f"({meta['bytes'] / 1e6:.1f} MB) of scripts/gen-news.py (newswatch scan reads them "
                   f"{meta.get('scan_copies', 1)} times in a run, kcat a topic of them {meta.get('kcat_copies', 1)} times over); Lucene {meta.get('lucene', '?')} "
                   f"on {meta.get('java', '?')}; every process pinned to CPU 0 (`taskset -c 0`); load "
                   f"average {meta['load']} at the start.")
        out.append("")
    out.append("Throughput, items per CPU second (median, min-max over the repeats):")
    out.append("")
    out.append("| watchlist | newswatch scan items/s | Lucene Monitor items/s (best config) | newswatch ÷ Lucene "
               "| Lucene best config | Lucene Monitor build s: translate + register | newswatch start-up CPU s (process, watchlist build) "
               "| peak RSS MB newswatch / Lucene |")
    out.append("|---|---:|---:|---:|---|---:|---:|---|")
    for s in sizes:
        nw, lu = by[("newswatch", s)], by[("lucene", s)]
        nr = [r["items_per_s"] for r in nw]
        lr = [r["docs_per_s"] for r in lu]
        ratios = [a / b for a, b in zip(nr, lr) if b]
        best = sorted({r["best_config"] for r in lu})
        # Monitor build: the translation (parsing, analysing every term) and
        # the registration; the first Monitor's on a cold JVM, the second's warm.
        def builds(r):
            per = {}
            for c in r["configs"]:
                per.setdefault(c["presearcher"], c["build_s"])
            b = list(per.values())
            return r["translate_s"], b[0], (b[1] if len(b) > 1 else None)
        bl = [builds(r) for r in lu]
        nbuild = [r["startup_cpu_s"] for r in nw]
        out.append("| " + " | ".join([
            s,
            f"{fmt(med(nr))} ({fmt(min(nr))}-{fmt(max(nr))})" if nr else "n/a",
            f"{fmt(med(lr))} ({fmt(min(lr))}-{fmt(max(lr))})" if lr else "n/a",
            f"**{fmt(med(ratios), 1)}x** ({fmt(min(ratios), 1)}-{fmt(max(ratios), 1)})" if ratios else "n/a",
            ", ".join(best),
            (f"{fmt(med([b[0] for b in bl]), 2)} + {fmt(med([b[1] for b in bl]), 2)} cold / "
             f"{fmt(med([b[2] for b in bl if b[2] is not None]), 2)} warm") if bl else "n/a",
            fmt(med(nbuild), 2),
            f"{fmt(med([r['rss_kb'] / 1024 for r in nw]))} / {fmt(med([r['peak_rss_kb'] / 1024 for r in lu]))}",
        ]) + " |")
    out.append("")
    out.append("Lucene Monitor per configuration (items per CPU second, median over the repeats of each "
               "configuration's median timed pass; queries run per item from its warm-up pass):")
    out.append("")
    configs = []
    for s in sizes:
        for r in by[("lucene", s)]:
            for c in r["configs"]:
                if c["config"] not in configs:
                    configs.append(c["config"])
    out.append("| watchlist | " + " | ".join(configs) + " |")
    out.append("|---|" + "---:|" * len(configs))
    for s in sizes:
        cells = []
        for cname in configs:
            rates = [c["docs_per_s"] for r in by[("lucene", s)] for c in r["configs"] if c["config"] == cname]
            qs = [c["queries_run_per_doc"] for r in by[("lucene", s)] for c in r["configs"] if c["config"] == cname]
            items = [c["timed_items"] for r in by[("lucene", s)] for c in r["configs"] if c["config"] == cname]
            cells.append(f"{fmt(med(rates))} ({fmt(med(qs), 1)} q/item, {fmt(min(items))} items)" if rates else "")
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    out.append("")
    floor = by[("kcat", "all")]
    out.append("The floor, CPU µs per item (median over the repeats):")
    out.append("")
    out.append("| watchlist | (a) kcat consume | (b) bare automaton (pre-normalized text) | (b) MB/s normalized "
               "| (b') the engine's walk, MB/s (÷ (b)) "
               "| (a)+(b) | newswatch scan | scan ÷ ((a)+(b)) | Lucene Monitor (best config) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    kc = med([r["cpu_s_per_item"] for r in floor]) if floor else None
    for s in sizes:
        bare = by[("bare", s)]
        b = med([r["cpu_s_per_item"] for r in bare]) if bare else None
        mbs = med([r["mb_per_s_normalized"] for r in bare]) if bare else None
        lanes = [r for r in bare if r.get("lanes_mb_per_s_normalized")]
        walk = (f"{fmt(med([r['lanes_mb_per_s_normalized'] for r in lanes]))} "
                f"({med([r['lanes_over_library'] for r in lanes]):.2f}x)") if lanes else "n/a (NFA: one lane)"
        nw = med([1 / r["items_per_s"] for r in by[("newswatch", s)]]) if by[("newswatch", s)] else None
        lu = med([1 / r["docs_per_s"] for r in by[("lucene", s)]]) if by[("lucene", s)] else None
        f = (kc or 0) + (b or 0) if b is not None else None
        us = lambda v: fmt(v * 1e6, 1) if v is not None else "n/a"  # noqa: E731
        out.append("| " + " | ".join([
            s, us(kc) if kc is not None else "not measured (--no-kafka)", us(b), fmt(mbs), walk,
            us(f) + ("" if kc is not None else " (b only)"), us(nw),
            f"**{nw / f:.1f}x**" if nw and f else "n/a", us(lu),
        ]) + " |")
    if not floor:
        out.append("")
        out.append("**(a) was not measured: no Kafka broker (--no-kafka); the multiple is of (b) alone.**")
    agreements = [r for r in rows if r.get("kind") == "agree"]
    if agreements:
        out.append("")
        out.append("Agreement per rule, newswatch scan vs Lucene Monitor (items both flagged / only newswatch "
                   "/ only Lucene):")
        out.append("")
        out.append("| watchlist | rule | both | only newswatch | only Lucene |")
        out.append("|---|---|---:|---:|---:|")
        for a in agreements:
            for rule, v in a["rules"].items():
                out.append(f"| {a['size']} | {rule} | {v['both']:,} | {v['only_newswatch']:,} | {v['only_lucene']:,} |")
            for rule in a.get("skipped", []):
                out.append(f"| {a['size']} | {rule} | skipped by the peer | | |")
        for a in agreements:
            if a.get("sample"):
                out.append("")
                out.append(f"Sample of disagreements, {a['size']} watchlist ({a['disagreements']} in all):")
                out.append("")
                for d in a["sample"]:
                    out.append(f"- {d['item']} `{d['rule']}` only {d['flagged_by']}: {d['title']}")
    print("\n".join(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "alerts":
        alerts(args[0], args[1])
    elif cmd == "agree":
        agree(args[0], args[1], args[2], args[3], int(args[4]) if len(args) > 4 else 0)
    elif cmd == "table":
        table(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
