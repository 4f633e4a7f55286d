#!/usr/bin/env python3
"""Produce-to-alert latency of a running newswatch (scripts/bench-e2e.sh).

Produces news items to TOPIC at a steady RATE (items/s) for SECONDS, every
one of them an alerting chip-export item (about 1.5 KB, "Nvidia H200 export
licence ... China"), each with a unique id, while a consumer in another
thread reads ALERTS. For each item, the latency of its first alert is

  - kafka: the alert message's Kafka timestamp (CreateTime, set by
    newswatch's producer when it produces the alert) minus the item's Kafka
    timestamp (CreateTime, set by this producer at produce()), and
  - received: the time this consumer received the alert minus that item
    timestamp (what a subscriber sees; adds the alert's trip through the
    broker and Python's own delays).

The same consumer also reads TOPIC itself: "item_received" (when it got
the item minus the item's timestamp) is the floor, what any consumer of
the topic sees on this machine at this moment.

Timestamps are whole milliseconds. The producer sends each item at once
(linger.ms=0), like a wire publishing one story at a time. Before
measuring, warm-up items are sent until one alerts (newswatch has joined
its group), then WARMUP_SECONDS (default 5) of paced items that are left
out of the figures (JIT of the broker, caches). Prints one JSON line with p50/p99/max in ms for both, the rate
achieved, and how many items had no alert within the wait.

With --swap SRC:DST and --swap-at S, SRC is copied over DST (written
beside it, then renamed onto it, as an editor or a ConfigMap update does)
S seconds into the measured phase: a live watchlist reload under the
steady stream. The output then also has p50/p99/max of the items produced
from that moment on ("after_swap"), and the longest gap between two
consecutive alerts received ("max_alert_gap_ms"): a stalled stream shows
as a gap as long as the stall.

Usage: latency.py --brokers B --topic T --alerts-topic A [--rate 1000] [--seconds 30]
                  [--swap SRC:DST --swap-at S]
"""
import argparse
import math
import json
import os
import shutil
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, Producer

FILLER = ("Markets were mixed on the day as investors weighed the latest economic data, "
          "with analysts pointing to steady demand in services and a softer outlook for "
          "manufacturing, a pattern seen across several regions this quarter. ")


def item(item_id):
    return json.dumps({
        "id": item_id,
        "title": "Nvidia H200 export licence for China under review",
        "summary": "US officials weigh an export licence for Nvidia H200 AI chips sold to Chinese buyers.",
        "body": "The Commerce Department is reviewing an export licence that would let Nvidia ship "
                "H200 chips to China. " + FILLER * 6,
        "url": f"https://example.org/{item_id}",
        "source": "bench", "lang": "en",
    }).encode()


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--alerts-topic", required=True)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup-timeout", type=float, default=90)
    ap.add_argument("--warmup-seconds", type=float, default=5,
                    help="paced items sent first at RATE and left out of the figures")
    ap.add_argument("--drain-timeout", type=float, default=30)
    ap.add_argument("--swap", help="SRC:DST: copy SRC over DST at --swap-at seconds")
    ap.add_argument("--swap-at", type=float, default=10)
    ap.add_argument("--dump", help="write item id, item ts, alert ts, received ms per item (CSV) here")
    args = ap.parse_args()
    if args.swap and ":" not in args.swap:
        ap.error("--swap takes SRC:DST")

    first_alert = {}  # item id -> (alert kafka ts ms, received ms)
    item_seen = {}  # item id -> received ms (the item itself, read from TOPIC)
    alerts_seen = [0]
    alert_times = []  # received ms of every alert, for the longest gap
    lock = threading.Lock()
    stop = threading.Event()

    def consume():
        c = Consumer({"bootstrap.servers": args.brokers, "group.id": f"latency-{time.time_ns()}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False,
                      "fetch.wait.max.ms": 10})
        c.subscribe([args.alerts_topic, args.topic])
        while not stop.is_set():
            m = c.poll(0.1)  # not consume(): that waits to fill its batch
            if m is None:
                continue
            now_ms = time.time() * 1000
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    print(f"alerts consumer: {m.error()}", file=sys.stderr)
                continue
            if m.topic() == args.topic:  # the item itself: the floor
                with lock:
                    item_seen.setdefault(m.key().decode(), now_ms)
                continue
            iid = json.loads(m.value())["data"]["item"]["id"]
            with lock:
                alerts_seen[0] += 1
                alert_times.append(now_ms)
                if iid not in first_alert:
                    first_alert[iid] = (m.timestamp()[1], now_ms)
        c.close()

    t = threading.Thread(target=consume, daemon=True)
    t.start()

    produced = {}  # item id -> its Kafka timestamp (ms)

    def delivered(err, msg):
        if err is not None:
            print(f"produce failed: {err}", file=sys.stderr)
        else:
            produced[msg.key().decode()] = msg.timestamp()[1]

    p = Producer({"bootstrap.servers": args.brokers, "linger.ms": 0, "acks": "all"})

    # Warm-up: until newswatch alerts on one item.
    deadline = time.time() + args.warmup_timeout
    w = 0
    while True:
        with lock:
            if any(k.startswith("warm-") for k in first_alert):
                break
        if time.time() > deadline:
            sys.exit("latency: no alert for a warm-up item within "
                     f"{args.warmup_timeout:.0f}s: is newswatch consuming {args.topic}?")
        iid = f"warm-{w}"
        p.produce(args.topic, item(iid), key=iid, on_delivery=delivered)
        p.flush(5)
        w += 1
        time.sleep(0.5)
    time.sleep(1)

    n_pre = int(args.rate * args.warmup_seconds)
    n = int(args.rate * args.seconds)
    ids = [f"pre-{i}" for i in range(n_pre)] + [f"lat-{i}" for i in range(n)]
    n += n_pre
    payloads = [item(i) for i in ids]
    swap_i = n_pre + int(args.rate * args.swap_at) if args.swap else None
    swap_ms = None
    t0 = time.perf_counter()
    for i in range(n):
        if i == swap_i:
            src, dst = args.swap.split(":", 1)
            shutil.copyfile(src, dst + ".swap")
            os.replace(dst + ".swap", dst)
            swap_ms = time.time() * 1000
        due = t0 + i / args.rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        p.produce(args.topic, payloads[i], key=ids[i], on_delivery=delivered)
        p.poll(0)
    t_sent = time.perf_counter() - t0
    p.flush(30)
    ids, n, t_sent = ids[n_pre:], n - n_pre, t_sent * (n - n_pre) / n

    deadline = time.time() + args.drain_timeout
    while time.time() < deadline:
        with lock:
            if all(i in first_alert for i in ids):
                break
        time.sleep(0.1)
    stop.set()
    t.join(5)

    kafka_ms, recv_ms, floor_ms, after_ms, missing = [], [], [], [], 0
    with lock:
        for i in ids:
            if i not in first_alert or i not in produced:
                missing += 1
                continue
            a_ts, r_ms = first_alert[i]
            kafka_ms.append(a_ts - produced[i])
            if swap_ms is not None and produced[i] >= swap_ms:
                after_ms.append(a_ts - produced[i])
            recv_ms.append(round(r_ms - produced[i], 1))
            if i in item_seen:
                floor_ms.append(round(item_seen[i] - produced[i], 1))
        seen = alerts_seen[0]
        # Gaps between alerts received during the measured phase.
        times = sorted(alert_times)
        first = min((produced[i] for i in ids if i in produced), default=None)
        times = [x for x in times if first is not None and x >= first]
        gap = max((b - a for a, b in zip(times, times[1:])), default=None)
    if args.dump:
        with open(args.dump, "w") as f:
            f.write("item,item_ts_ms,alert_ts_ms,alert_received_ms,item_received_ms\n")
            for i in ids:
                a_ts, r_ms = first_alert.get(i, ("", ""))
                f.write(f"{i},{produced.get(i, '')},{a_ts},{r_ms},{item_seen.get(i, '')}\n")
    kafka_ms.sort()
    recv_ms.sort()
    floor_ms.sort()
    after_ms.sort()
    out = {"items": n, "rate_target": args.rate, "rate_achieved": round(n / t_sent, 1),
           "seconds": round(t_sent, 2), "alerted_items": len(kafka_ms), "missing": missing,
           "alerts": seen, "warmup_items": w,
           "max_alert_gap_ms": None if gap is None else round(gap, 1)}
    series = [("kafka", kafka_ms), ("received", recv_ms), ("item_received", floor_ms)]
    if swap_ms is not None:
        out["swap_at_ms"] = round(swap_ms)
        out["after_swap_items"] = len(after_ms)
        series.append(("after_swap", after_ms))
    for name, v in series:
        for q in (50, 90, 99):
            out[f"{name}_p{q}_ms"] = percentile(v, q)
        out[f"{name}_max_ms"] = v[-1] if v else None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
