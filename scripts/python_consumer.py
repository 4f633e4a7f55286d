#!/usr/bin/env python3
"""The plain Python consumer a user might write instead of newswatch: the
benchmark's comparison point (scripts/bench-e2e.sh).

confluent-kafka consumer -> json.loads -> lowercase title/summary/body ->
one pyahocorasick automaton of every watchlist term -> whole-word check
(CJK needs no boundary, `*` terms are prefixes) -> each rule's `when`
evaluated on the sets that matched -> alert JSON (CloudEvents-like, id =
sha256(rule, item id)) produced to the alerts topic, key = alert id.

Simplifications against newswatch (so it does a little less work): no NFKC,
`str.lower()` and white space runs as they are; `A NEAR/n B` is taken as
`A AND B`; no dedup, no per-match offsets into the original text, no
at-least-once bookkeeping (auto commit). Case-sensitive sets are lowercased
like the others.

Consumes from the beginning of TOPIC with a new group until every assigned
partition reached its end, or --max-items were consumed. Prints one JSON
line: items, bytes, alerts, seconds (from process start, imports included).

Usage: python_consumer.py --brokers B --topic T --alerts-topic A --watchlist W [--max-items N]
"""
import time

T_START = time.time()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tomllib  # noqa: E402

import ahocorasick  # noqa: E402
from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402


def is_cjk(c):
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3040 <= o <= 0x30FF
            or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F)


TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|(NEAR/\d+)|([A-Za-z_][A-Za-z0-9_-]*))', re.I)


def compile_rules(wl, set_index, add_inline):
    """Each rule's `when` as a Python function of the set of matched set indices."""
    rules = []
    for r in wl.get("rules", []):
        when, pos, expr = r["when"], 0, []
        while pos < len(when):
            m = TOKEN.match(when, pos)
            if not m:
                if when[pos:].strip():
                    sys.exit(f"rule {r['id']}: cannot parse `when` at column {pos + 1}")
                break
            pos = m.end()
            lp, rp, quoted, near, word = m.groups()
            if lp or rp:
                expr.append(lp or rp)
            elif quoted is not None:
                expr.append(f"({add_inline(quoted)} in h)")
            elif near:
                expr.append("and")  # simplification: NEAR/n = AND
            elif word.upper() in ("AND", "OR", "NOT"):
                expr.append(word.lower())
            else:
                expr.append(f"({set_index[word]} in h)")
        fn = eval("lambda h: " + " ".join(expr))  # noqa: S307 (our own watchlist)
        rules.append((r["id"], r.get("severity", "medium"), r.get("description", ""), fn))
    return rules


def build(path):
    with open(path, "rb") as f:
        wl = tomllib.load(f)
    names = list(wl.get("sets", {}))
    set_index = {n: i for i, n in enumerate(names)}
    entries = {}  # key -> [(set index, prefix, term)]

    def add(term, idx):
        prefix = term.endswith("*")
        key = term.rstrip("*").lower()
        entries.setdefault(key, []).append((idx, prefix, term))

    for name in names:
        for t in wl["sets"][name]["terms"]:
            add(t, set_index[name])
    inline = {}

    def add_inline(t):
        if t not in inline:
            inline[t] = len(names) + len(inline)
            add(t, inline[t])
        return inline[t]

    rules = compile_rules(wl, set_index, add_inline)
    a = ahocorasick.Automaton()
    for key, ents in entries.items():
        a.add_word(key, (len(key), is_cjk(key[0]), is_cjk(key[-1]), tuple(ents)))
    a.make_automaton()
    return a, rules, len(entries)


def matched_sets(a, text, hits, terms):
    n = len(text)
    for end, (ln, cjk_first, cjk_last, ents) in a.iter(text):
        start = end - ln + 1
        if start > 0 and not cjk_first:
            c = text[start - 1]
            if c.isalnum() and not is_cjk(c):
                continue
        after_ok = True
        if end + 1 < n and not cjk_last:
            c = text[end + 1]
            after_ok = not c.isalnum() or is_cjk(c)
        for idx, prefix, term in ents:
            if after_ok or prefix:
                hits.add(idx)
                terms.append(term)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--alerts-topic", required=True)
    ap.add_argument("--watchlist", required=True)
    ap.add_argument("--group", default=f"py-bench-{int(T_START)}")
    ap.add_argument("--max-items", type=int, default=0, help="stop after this many (0: the whole topic)")
    ap.add_argument("--fields", default="title,summary,body")
    args = ap.parse_args()
    fields = args.fields.split(",")

    automaton, rules, patterns = build(args.watchlist)
    t_built = time.time()
    consumer = Consumer({
        "bootstrap.servers": args.brokers, "group.id": args.group,
        "auto.offset.reset": "earliest", "enable.partition.eof": True,
    })
    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 5})
    consumer.subscribe([args.topic])

    items = nbytes = alerts = rejected = 0
    t_first = None  # the first message: start-up (build, group join) is over
    assigned, at_end = None, set()
    limit = args.max_items or float("inf")
    while items < limit:
        msgs = consumer.consume(num_messages=500, timeout=1.0)
        if assigned is None and consumer.assignment():
            assigned = {(p.topic, p.partition) for p in consumer.assignment()}
        if msgs and t_first is None:
            t_first = time.time()
        for msg in msgs:
            err = msg.error()
            if err:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_end.add((msg.topic(), msg.partition()))
                    continue
                sys.exit(f"consumer error: {err}")
            at_end.discard((msg.topic(), msg.partition()))
            value = msg.value()
            items += 1
            nbytes += len(value)
            try:
                item = json.loads(value)
            except ValueError:
                rejected += 1
                continue
            hits, terms = set(), []
            for f in fields:
                v = item.get(f)
                if isinstance(v, str) and v:
                    matched_sets(automaton, v.lower(), hits, terms)
            if not hits:
                continue
            item_id = str(item.get("id", f"{msg.topic()}/{msg.partition()}/{msg.offset()}"))
            for rid, sev, desc, fn in rules:
                if fn(hits):
                    aid = hashlib.sha256(f"{rid}\0{item_id}".encode()).hexdigest()[:32]
                    event = {
                        "specversion": "1.0", "type": "newswatch.alert", "source": "/py-consumer",
                        "id": aid, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "subject": rid,
                        "data": {"rule": rid, "severity": sev, "description": desc,
                                 "item": {k: item.get(k) for k in ("id", "title", "url", "source", "lang")},
                                 "matches": terms[:50],
                                 "origin": {"topic": msg.topic(), "partition": msg.partition(),
                                            "offset": msg.offset()}},
                    }
                    producer.produce(args.alerts_topic, json.dumps(event, ensure_ascii=False).encode(),
                                     key=aid, headers={"newswatch-rule": rid, "newswatch-severity": sev})
                    alerts += 1
            producer.poll(0)
            if items >= limit:
                break
        if assigned and at_end >= assigned:
            break
    left = producer.flush(60)
    consumer.close()
    t_end = time.time()
    print(json.dumps({
        "items": items, "bytes": nbytes, "alerts": alerts, "rejected": rejected,
        "patterns": patterns, "rules": len(rules), "undelivered": left,
        "seconds": round(t_end - T_START, 3),
        "steady_seconds": round(t_end - (t_first or T_START), 3), "build_seconds": round(t_built - T_START, 3),
        "limited": items >= limit,
    }))


if __name__ == "__main__":
    main()
