#!/usr/bin/env python3
"""The driver of the soak run (scripts/soak.sh sets everything up and runs
newswatch; run with the bench venv's python).

  soak.py run --pid PID --metrics URL ... --out RESULTS.json
      For MINUTES minutes, while newswatch (PID) runs:

      - a producer at a steady RATE items/s to TOPIC, each item with a unique
        id (`soak-N`, also its key): the news of POOL (scripts/gen-news.py,
        about 4% chip news) in turn, every 50th item latency.py's alerting
        chip-export item instead, and BAD_PER_MINUTE bad items a minute
        (key `bad-N`: not JSON, not an object, no text, invalid UTF-8,
        empty), which newswatch must park in the dead-letter topic. Every
        good item is also written to ITEMS.jsonl.gz, what `newswatch scan`
        reads at the end;
      - a webhook receiver on 127.0.0.1:WEBHOOK_PORT that answers 500 to a
        random 10% of the requests and 200 to the rest, recording the
        `webhook-id` (the alert id) of each one it accepted;
      - a subscriber of the alert topic (the key is the alert id) and of the
        dead-letter topic;
      - every 60 s the watchlist rewritten with a new first comment line
        (written beside it, then renamed onto it), and the time until
        newswatch_watchlist_reloads_total on /metrics counts it;
      - at half time `scripts/kafka.sh restart` (its data kept);
      - every 10 s a sample of newswatch's RSS (VmRSS), open fds (entries
        of /proc/PID/fd, also by kind), threads and CPU seconds.

      Then it stops producing, waits until newswatch has caught up (none in
      flight on /metrics, the group's committed offsets at the end of every
      partition), computes the expected alerts with `newswatch scan` over
      the items file and the live watchlist, and compares. Lost: items whose
      offset is not committed; expected alert ids not received on the topic,
      not accepted by the webhook; bad items without their dead letter.
      Duplicates (at least once) are counted, not lost. Writes RESULTS.json.
  soak.py table RESULTS.json --exit-status N --command CMD
      The Markdown tables of a run (N: newswatch's exit status after
      SIGTERM). Exit 1 when anything was lost, the exit status was not 0,
      a reload failed or went unseen, the broker restart failed, or an
      alert came that scan does not predict.
"""
import argparse
import gzip
import http.server
import importlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request
from array import array
from collections import Counter, defaultdict

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

import latency  # its alerting chip-export item and percentile()

bench_util = importlib.import_module("bench-util")  # cpu(), alive()

# The driver's own Kafka clients log only critical librdkafka messages (else
# a line every 50 ms while the broker restarts), and retry a lost broker at
# least once a second (librdkafka's default backs off up to 10 s), so that
# after the restart the driver is not what is late.
QUIET = {"log_level": 2, "reconnect.backoff.max.ms": 1000}
SAMPLE_EVERY = 10  # seconds between two samples of the process
RELOAD_EVERY = 60  # seconds between two watchlist rewrites
RELOAD_SEEN_WITHIN = 30  # seconds a rewrite may take to show on /metrics
CHIP_EVERY = 50  # every 50th item is latency.py's alerting item
FAIL_SHARE = 0.10  # webhook requests answered 500
BAD_ITEMS = [  # value, and the rejection newswatch should report
    (b"not json", "not_json"),
    (b"[1, 2, 3]", "not_object"),
    (b'{"id": "bad", "title": ""}', "no_text"),
    (b'{"id": "bad", "title": "caf\xe9"}', "invalid_utf8"),
    (b"", "empty"),
]


def log(msg):
    sys.stderr.write(f"soak: {msg}\n")  # one write: threads log too


# --- newswatch from the outside ----------------------------------------------------

SERIES = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", re.M)


def scrape(url):
    """Every series of newswatch's /metrics as {'name{labels}': value}, or None."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None
    return {name + (labels or ""): float(v) for name, labels, v in SERIES.findall(text)}


def metric(series, name, **labels):
    """The sum of the series NAME whose labels include LABELS."""
    total = 0.0
    for key, v in (series or {}).items():
        if key.split("{", 1)[0] == name and all(f'{k}="{x}"' in key for k, x in labels.items()):
            total += v
    return total


def metric_by(series, name, label):
    """{label value: value} of the series NAME (only the non-zero ones)."""
    out = {}
    for key, v in (series or {}).items():
        m = re.match(rf'{name}\{{.*{label}="([^"]*)"', key)
        if m and v:
            out[m.group(1)] = out.get(m.group(1), 0) + v
    return out


def fd_kinds(pid, ports):
    """The open fds of PID by kind: TCP connections named by their port in
    PORTS ({port: name}, the remote or else the local one), other sockets,
    eventfds, epoll instances, pipes, files."""
    tcp = {}  # socket inode -> (remote port, local port)
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{name}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            tcp[cols[9]] = (int(cols[2].rsplit(":", 1)[1], 16), int(cols[1].rsplit(":", 1)[1], 16))
    kinds = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            remote, local = tcp.get(target[8:-1], (None, None))
            kinds[ports.get(remote) or ports.get(local) or ("tcp, other" if remote is not None else "socket")] += 1
        elif target.startswith("anon_inode:"):
            kinds[target[11:].strip("[]")] += 1
        elif target.startswith("pipe:"):
            kinds["pipe"] += 1
        else:
            kinds["file"] += 1
    return dict(kinds)


def sample(pid, t0, ports):
    """RSS (kB), open fds (also by kind, see fd_kinds), threads and CPU
    seconds of PID, at seconds since T0."""
    s = {"t": round(time.time() - t0, 1)}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    s["rss_kb"] = int(line.split()[1])
                elif line.startswith("Threads:"):
                    s["threads"] = int(line.split()[1])
        s["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        s["fd_kinds"] = fd_kinds(pid, ports)
    except OSError:
        sys.exit(f"soak: newswatch (pid {pid}) is gone")
    s["cpu_s"] = bench_util.cpu(pid)
    return s


def wait_ready(url, pid, timeout):
    """Wait for newswatch's /readyz to answer 200 (group joined, sinks up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not bench_util.alive(pid):
            sys.exit(f"soak: newswatch (pid {pid}) exited before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"soak: newswatch not ready ({url}) after {timeout} s")


# --- the webhook receiver ----------------------------------------------------------


class Receiver:
    """An HTTP endpoint for newswatch's webhook sink that fails a share of
    the requests. Each request is handled on a thread of its own."""

    def __init__(self, port, fail_share):
        self.lock = threading.Lock()
        self.accepted = Counter()  # alert id (webhook-id) -> 2xx answers given
        self.failed = 0  # 500 answers given
        rng = random.Random(13)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                alert_id = self.headers.get("webhook-id", "")
                with receiver.lock:
                    fail = rng.random() < fail_share
                    if fail:
                        receiver.failed += 1
                    else:
                        receiver.accepted[alert_id] += 1
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()


# --- the subscriber ------------------------------------------------------------------


class Subscriber(threading.Thread):
    """Reads the alert topic (every alert: its id; the first of each: its item and Kafka timestamp)
    and the dead-letter topic (rejected items by key, parked alerts)."""

    def __init__(self, brokers, alerts_topic, dead_letter_topic):
        super().__init__(daemon=True)
        self.alerts_topic, self.dead_letter_topic = alerts_topic, dead_letter_topic
        # Partitions assigned, not a group subscription: a rejoin after the
        # broker restart must not start over from the earliest offsets.
        self.consumer = Consumer({
            "bootstrap.servers": brokers, "group.id": f"soak-subscriber-{time.time_ns()}",
            "enable.auto.commit": False, **QUIET})
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.alerts = Counter()  # alert id -> times received
        self.first = []  # (item number, Kafka timestamp ms) of the first alert of each id
        self.received_at = array("d")  # when each alert was received (for the longest gap)
        self.dead_items = Counter()  # key of a rejected item -> times received
        self.dead_reasons = Counter()  # newswatch-error reason -> count
        self.parked = Counter()  # alert ids parked by a sink (newswatch-sink header)
        self.next_offset = {}  # (topic, partition) -> offset after the last one read
        self.errors = Counter()

    def run(self):
        topics = self.consumer.list_topics(timeout=10).topics
        self.consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING)
                              for t in (self.alerts_topic, self.dead_letter_topic)
                              for p in topics[t].partitions])
        while not self.stop.is_set():
            msgs = self.consumer.consume(500, 0.2)
            now = time.time()
            with self.lock:
                for m in msgs:
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            self.errors[m.error().name()] += 1
                        continue
                    self.next_offset[(m.topic(), m.partition())] = m.offset() + 1
                    if m.topic() == self.alerts_topic:
                        self.on_alert(m, now)
                    else:
                        self.on_dead_letter(m)
        self.consumer.close()

    def on_alert(self, m, now):
        alert_id = m.key().decode()
        self.alerts[alert_id] += 1
        self.received_at.append(now)
        item_id = json.loads(m.value())["data"]["item"]["id"]
        if self.alerts[alert_id] == 1 and item_id.startswith("soak-"):
            self.first.append((int(item_id.removeprefix("soak-")), m.timestamp()[1]))

    def on_dead_letter(self, m):
        headers = {k: v.decode(errors="replace") for k, v in (m.headers() or [])}
        key = m.key().decode(errors="replace") if m.key() else ""
        if "newswatch-sink" in headers:
            self.parked[key] += 1
        else:
            self.dead_items[key] += 1
            self.dead_reasons[headers.get("newswatch-error", "?").split(":", 1)[0]] += 1

    def caught_up(self, ends):
        """Has every partition of ENDS ({(topic, partition): end offset}) been read to its end?"""
        with self.lock:
            return all(self.next_offset.get(tp, 0) >= end for tp, end in ends.items() if end > 0)


# --- the producer ----------------------------------------------------------------------


class Feed(threading.Thread):
    """Produces COUNT items at a steady RATE, paced by the clock (an item
    late is sent at once, so the average holds)."""

    def __init__(self, brokers, topic, pool, rate, count, bad_per_minute, items_path):
        super().__init__(daemon=True)
        self.topic, self.rate, self.count = topic, rate, count
        self.producer = Producer({
            "bootstrap.servers": brokers, "acks": "all", "enable.idempotence": True,
            "linger.ms": 5, "message.timeout.ms": 900_000, **QUIET})
        # The pool's items and latency.py's item as JSON with a placeholder id.
        self.templates = [json.dumps(dict(i, id="@ID@"), ensure_ascii=False).encode() for i in pool]
        self.chip = latency.item("@ID@")
        self.bad_every = max(1, round(rate * 60 / bad_per_minute)) if bad_per_minute else 0
        self.items_file = gzip.open(items_path, "wb", compresslevel=1)
        self.sent = array("d", bytes(8 * count))  # time.time() of each item's produce()
        self.stored = array("d", bytes(8 * count))  # time.time() of its delivery report
        self.stop = threading.Event()
        self.produced = 0  # produce() calls
        self.bad_produced = 0
        self.seconds = None  # from the first produce() to the last
        self.lock = threading.Lock()
        self.delivered = defaultdict(lambda: array("q"))  # partition -> offsets of delivered items
        self.delivered_count = 0
        self.bad_delivered = {}  # key -> expected rejection reason
        self.failed = []  # keys whose delivery failed
        self.last_delivery = None  # time of the last delivery report

    def item(self, n):
        """(key, value, good) of item number N."""
        if self.bad_every and n % self.bad_every == self.bad_every // 2:
            value, _ = BAD_ITEMS[n // self.bad_every % len(BAD_ITEMS)]
            return f"bad-{n}".encode(), value, False
        key = f"soak-{n}".encode()
        template = self.chip if n % CHIP_EVERY == 0 else self.templates[n % len(self.templates)]
        return key, template.replace(b"@ID@", key), True

    def on_delivery(self, err, msg):
        key = msg.key().decode()
        with self.lock:
            self.last_delivery = time.time()
            if err is not None:
                self.failed.append(key)
                return
            self.delivered[msg.partition()].append(msg.offset())
            self.delivered_count += 1
            if key.startswith("soak-"):
                self.stored[int(key.removeprefix("soak-"))] = self.last_delivery
            elif key.startswith("bad-"):
                n = int(key.removeprefix("bad-"))
                self.bad_delivered[key] = BAD_ITEMS[n // self.bad_every % len(BAD_ITEMS)][1]

    def run(self):
        t0 = time.perf_counter()
        for n in range(self.count):
            if self.stop.is_set():
                break
            delay = t0 + n / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            key, value, good = self.item(n)
            self.sent[n] = time.time()
            while True:
                try:
                    self.producer.produce(self.topic, value, key=key, on_delivery=self.on_delivery)
                    break
                except BufferError:  # the local queue is full (a broker away): wait
                    self.producer.poll(0.1)
            if good:
                self.items_file.write(value + b"\n")
            else:
                self.bad_produced += 1
            self.produced = n + 1
            self.producer.poll(0)
        self.seconds = time.perf_counter() - t0
        self.items_file.close()

    def flush(self, timeout):
        return self.producer.flush(timeout)


# --- the run -----------------------------------------------------------------------------


def rewrite_watchlist(path, n):
    """Rewrite PATH with a new first comment line: beside it, then renamed
    onto it, as an editor or a ConfigMap update does."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.startswith("# soak reload"):
        text = text.split("\n", 1)[1]
    tmp = f"{path}.soak-tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"# soak reload {n} at {time.strftime('%H:%M:%S')}\n{text}")
    os.replace(tmp, path)


def restart_broker(kafka_sh, out):
    """`kafka.sh restart` (data kept); fills OUT with its times and status."""
    if not os.environ.get("NEWSWATCH_KAFKA_PORT") or not os.environ.get("NEWSWATCH_KAFKA_DIR"):
        out.update(error="NEWSWATCH_KAFKA_PORT and NEWSWATCH_KAFKA_DIR must be set: not restarting")
        return
    out["start"] = time.time()
    log("restarting the broker")
    r = subprocess.run([kafka_sh, "restart"], capture_output=True, text=True)
    out["end"] = time.time()
    out["status"] = r.returncode
    out["output"] = (r.stdout + r.stderr).strip().splitlines()[-3:]
    log(f"broker restart: exit {r.returncode} after {out['end'] - out['start']:.1f} s: {out['output']}")


def ends_of(brokers, topic):
    """{(topic, partition): end offset} of every partition of TOPIC."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"soak-ends-{time.time_ns()}", **QUIET})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        return {(topic, p): c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in parts}
    finally:
        c.close()


def committed_of(brokers, group, topic, partitions):
    """{partition: committed offset} of GROUP (without joining it)."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False, **QUIET})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def wait_caught_up(args):
    """Wait (up to DRAIN_TIMEOUT) for newswatch to have every item done and
    committed; returns the committed offsets and the seconds waited."""
    t0 = time.time()
    deadline = t0 + args.drain_timeout
    while True:
        ends = ends_of(args.brokers, args.topic)
        committed = committed_of(args.brokers, args.group, args.topic, [p for _, p in ends])
        in_flight = metric(scrape(args.metrics), "newswatch_items_in_flight")
        if in_flight == 0 and all(end == 0 or committed.get(p, -1) >= end for (_, p), end in ends.items()):
            return committed, time.time() - t0
        if time.time() > deadline:
            log(f"not caught up after {args.drain_timeout} s: {in_flight} in flight, "
                f"committed {committed}, ends {ends}")
            return committed, time.time() - t0
        time.sleep(1)


def expected_alerts(args, failed):
    """{alert id: item id} from `newswatch scan` over the items produced."""
    gz = subprocess.Popen(["gzip", "-dc", args.items], stdout=subprocess.PIPE)
    scan = subprocess.Popen([args.newswatch, "scan", "--config", args.config,
                             "--watchlist", args.watchlist],
                            stdin=gz.stdout, stdout=subprocess.PIPE)
    gz.stdout.close()
    out = {}
    for line in scan.stdout:
        a = json.loads(line)
        if a["data"]["item"]["id"] not in failed:
            out[a["id"]] = a["data"]["item"]["id"]
    if scan.wait() != 0 or gz.wait() != 0:
        sys.exit(f"soak: newswatch scan exited {scan.returncode} (gzip {gz.returncode})")
    return out


def log_summary(path):
    """{level: {message: count}} of newswatch's WARN and ERROR log lines, the
    digits of each message written as N so that like lines count together."""
    out = defaultdict(Counter)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if '"level":"INFO"' in line or '"level":"DEBUG"' in line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                out["unparsed"][line[:80]] += 1
                continue
            out[rec.get("level", "?")][re.sub(r"\d+", "N", rec.get("message", ""))[:120]] += 1
    return {level: dict(c.most_common()) for level, c in out.items()}


def latencies(feed, first, restart):
    """Produce-to-alert latency (ms) of the first alert of each id: its Kafka
    timestamp (set by newswatch's producer) minus when the item was sent.
    Returns all of them sorted; those of the items sent from 10 s before the
    broker restart to 60 s after it, each paired with the latency from the
    item's delivery report instead (which leaves out the time this driver's
    producer took to get the item stored); and the others, sorted."""
    def near_restart(i):
        return "end" in restart and restart["start"] - 10 <= feed.sent[i] <= restart["end"] + 60

    lat = sorted(ts - feed.sent[i] * 1000 for i, ts in first)
    around = [(ts - feed.sent[i] * 1000, ts - feed.stored[i] * 1000) for i, ts in first if near_restart(i)]
    away = sorted(ts - feed.sent[i] * 1000 for i, ts in first if not near_restart(i))
    return lat, around, away


def run(args):
    pool = [json.loads(line) for line in open(args.pool, encoding="utf-8") if line.strip()]
    seconds = args.minutes * 60
    count = int(args.rate * seconds)
    feed = Feed(args.brokers, args.topic, pool, args.rate, count, args.bad_per_minute, args.items)
    sub = Subscriber(args.brokers, args.alerts_topic, args.dead_letter_topic)
    hook = Receiver(args.webhook_port, args.fail_share)
    hook.start()
    sub.start()
    wait_ready(args.metrics.replace("/metrics", "/readyz"), args.pid, 120)
    reloads_before = metric(scrape(args.metrics), "newswatch_watchlist_reloads_total")

    ports = {int(args.brokers.rsplit(":", 1)[1]): "kafka", args.webhook_port: "webhook",
             int(args.metrics.split(":")[2].split("/")[0]): "http"}
    t0 = time.time()
    samples = [sample(args.pid, t0, ports)]
    log(f"producing {count:,} items at {args.rate:g}/s for {args.minutes} min; "
        f"first sample {samples[0]}")
    feed.start()
    restart = {"at": args.restart_at if args.restart_at is not None else seconds / 2}
    restarter = threading.Thread(target=restart_broker, args=(args.kafka_sh, restart), daemon=True)
    reloads = []  # {"n", "at", "seen_after"}: one per rewrite
    next_sample, next_reload, next_report = SAMPLE_EVERY, RELOAD_EVERY, 60
    while feed.is_alive():
        feed.join(0.25)
        t = time.time() - t0
        if t >= next_sample:
            samples.append(sample(args.pid, t0, ports))
            next_sample += SAMPLE_EVERY
        if t >= next_reload and t < seconds:
            rewrite_watchlist(args.watchlist, len(reloads) + 1)
            reloads.append({"n": len(reloads) + 1, "at": round(t, 1), "seen_after": None})
            next_reload += RELOAD_EVERY
        pending = [r for r in reloads if r["seen_after"] is None and t - r["at"] < RELOAD_SEEN_WITHIN]
        if pending:
            done = metric(scrape(args.metrics), "newswatch_watchlist_reloads_total") - reloads_before
            for r in pending:
                if done >= r["n"]:
                    r["seen_after"] = round(t - r["at"], 1)
        if t >= restart["at"] and restarter.ident is None:  # not started yet
            restarter.start()
        if t >= next_report:
            s = samples[-1]
            log(f"{t / 60:.0f} min: {feed.produced:,} produced, {len(sub.alerts):,} alerts on the topic, "
                f"{len(hook.accepted):,} on the webhook; RSS {s['rss_kb'] / 1024:.1f} MB, "
                f"{s['fds']} fds, {s['threads']} threads")
            next_report += 60
    samples.append(sample(args.pid, t0, ports))
    rate = feed.produced / feed.seconds
    log(f"produced {feed.produced:,} items in {feed.seconds:.1f} s ({rate:,.1f}/s); flushing")
    if restarter.is_alive():
        restarter.join()
    left = feed.flush(300)

    committed, drain_s = wait_caught_up(args)
    alert_ends = ends_of(args.brokers, args.alerts_topic)
    alert_ends.update(ends_of(args.brokers, args.dead_letter_topic))
    deadline = time.time() + 120
    while not sub.caught_up(alert_ends) and time.time() < deadline:
        time.sleep(0.5)
    final = scrape(args.metrics)
    samples.append(sample(args.pid, t0, ports))
    sub.stop.set()
    sub.join(10)
    hook.stop()

    # Lost items: delivered, but at or past their partition's committed offset.
    items_lost = sum(sum(1 for o in offs if o >= committed.get(p, -1))
                     for p, offs in feed.delivered.items())
    failed = set(feed.failed)
    log("computing the expected alerts with newswatch scan")
    expected = expected_alerts(args, failed)
    topic_ids, hook_ids = set(sub.alerts), set(hook.accepted)
    expected_ids = set(expected)
    bad = feed.bad_delivered
    lat, around, away = latencies(feed, sub.first, restart)
    gaps = sorted(sub.received_at)
    gap = max(((b - a, a) for a, b in zip(gaps, gaps[1:])), default=(None, None))
    res = {
        "meta": json.loads(args.meta),
        "minutes": args.minutes, "rate_target": args.rate, "rate": round(rate, 1),
        "produced": feed.produced, "delivered": feed.delivered_count, "produce_failed": len(failed),
        "produce_seconds": round(feed.seconds, 1), "flush_left": left,
        "good_items": feed.produced - feed.bad_produced, "bad_items": feed.bad_produced,
        "bad_reasons": dict(Counter(bad.values())),
        "samples": samples,
        "alerts_expected": len(expected_ids),
        "alert_items_expected": len(set(expected.values())),
        "topic_received": sum(sub.alerts.values()), "topic_distinct": len(topic_ids),
        "topic_lost": len(expected_ids - topic_ids), "topic_unexpected": len(topic_ids - expected_ids),
        "webhook_accepted": sum(hook.accepted.values()), "webhook_distinct": len(hook_ids),
        "webhook_lost": len(expected_ids - hook_ids), "webhook_unexpected": len(hook_ids - expected_ids),
        "webhook_500s": hook.failed,
        "dead_letters": sum(sub.dead_items.values()), "dead_letters_distinct": len(sub.dead_items),
        "dead_letters_lost": len(set(bad) - set(sub.dead_items)),
        "dead_letter_reasons": dict(sub.dead_reasons),
        "alerts_parked": sum(sub.parked.values()),
        "items_lost": items_lost, "committed": committed, "drain_seconds": round(drain_s, 1),
        "reloads": reloads,
        "reloads_ok": metric(final, "newswatch_watchlist_reloads_total", outcome="ok"),
        "reloads_error": metric(final, "newswatch_watchlist_reloads_total", outcome="error"),
        "restart": {k: v for k, v in restart.items()},
        "restart_at_s": round(restart["start"] - t0, 1) if "start" in restart else None,
        "restart_seconds": round(restart["end"] - restart["start"], 1) if "end" in restart else None,
        "latency_p50_ms": ms(latency.percentile(lat, 50)), "latency_p99_ms": ms(latency.percentile(lat, 99)),
        "latency_max_ms": ms(lat[-1] if lat else None),
        "latency_around_restart_items": len(around),
        "latency_around_restart_max_ms": ms(max((a for a, _ in around), default=None)),
        "latency_around_restart_stored_max_ms": ms(max((b for _, b in around), default=None)),
        "latency_away_p99_ms": ms(latency.percentile(away, 99)),
        "latency_away_max_ms": ms(away[-1] if away else None),
        "longest_alert_gap_s": None if gap[0] is None else round(gap[0], 1),
        "longest_alert_gap_at_s": None if gap[1] is None else round(gap[1] - t0, 1),
        "subscriber_errors": dict(sub.errors),
        "log": log_summary(args.log),
        "metrics": {
            "consumer_errors": metric_by(final, "newswatch_consumer_errors_total", "kind"),
            "sink_retries": metric_by(final, "newswatch_sink_retries_total", "sink"),
            "deliveries_not_delivered": {k: v for k, v in metric_by(
                final, "newswatch_sink_deliveries_total", "outcome").items() if k != "delivered"},
            "producer_replacements": metric(final, "newswatch_producer_replacements_total"),
            "items_consumed": metric(final, "newswatch_items_consumed_total"),
            "items_rejected": metric(final, "newswatch_items_rejected_total"),
        },
    }
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    log(f"results in {args.out}")


# --- the table ------------------------------------------------------------------------------


def ms(v):
    return None if v is None else round(v, 1)


def n(v, digits=0):
    return "" if v is None else f"{v:,.{digits}f}"


def table(args):
    r = json.load(open(args.results))
    s = r["samples"]
    out = []
    meta = r.get("meta", {})
    if meta:
        out.append(f"`{args.command}` on {meta['host']}, {meta['date']}, newswatch {meta['version']} "
                   f"(checkout {meta['git']}, binary sha256 {meta['binary']}), broker {meta['brokers']}; "
                   f"load average {meta['load']} at the start.")
        out.append("")
    out.append(f"Every {SAMPLE_EVERY} s ({len(s)} samples), newswatch's process:")
    out.append("")
    out.append("| | first | max | last |")
    out.append("|---|---:|---:|---:|")
    for key, name, scale, digits in (("rss_kb", "RSS MB", 1 / 1024, 1), ("fds", "open fds", 1, 0),
                                     ("threads", "threads", 1, 0)):
        v = [x[key] * scale for x in s]
        out.append(f"| {name} | {n(v[0], digits)} | {n(max(v), digits)} | {n(v[-1], digits)} |")
    cpu = (s[-1]["cpu_s"] - s[0]["cpu_s"]) / (s[-1]["t"] - s[0]["t"]) if len(s) > 1 else None
    if "fd_kinds" in s[0]:
        top = max(s, key=lambda x: x["fds"])
        out.append("")
        out.append(f"Open fds by kind: first {fmt_counts(s[0]['fd_kinds'])}; at the most ({top['fds']}, "
                   f"{top['t']:.0f} s) {fmt_counts(top['fd_kinds'])}; last {fmt_counts(s[-1]['fd_kinds'])}.")
    out.append("")
    lost = {k: r[k] for k in ("items_lost", "topic_lost", "webhook_lost", "dead_letters_lost")}
    m = r["metrics"]
    rows = [
        ("items produced", f"{r['produced']:,} in {r['produce_seconds']:,.0f} s ({r['good_items']:,} news, "
                           f"{r['bad_items']} bad: {fmt_counts(r['bad_reasons'])}); produce failures "
                           f"{r['produce_failed']}"),
        ("rate achieved", f"{r['rate']:,.1f} items/s (target {r['rate_target']:,.0f})"),
        ("alerts expected (`newswatch scan` over the items produced)",
         f"{r['alerts_expected']:,} (on {r['alert_items_expected']:,} items)"),
        ("alerts received on the topic", f"{r['topic_distinct']:,} distinct, {r['topic_received']:,} in all "
                                         f"({r['topic_received'] - r['topic_distinct']:,} duplicates)"),
        ("alerts accepted by the webhook (2xx)",
         f"{r['webhook_distinct']:,} distinct, {r['webhook_accepted']:,} in all "
         f"({r['webhook_accepted'] - r['webhook_distinct']:,} duplicates)"),
        ("webhook requests answered 500", f"{r['webhook_500s']:,}; newswatch retries "
                                          f"{fmt_counts(m['sink_retries'])}; alerts parked "
                                          f"{r['alerts_parked']}"),
        ("dead letters (bad items)", f"{r['dead_letters_distinct']} distinct, {r['dead_letters']} in all; "
                                     f"{fmt_counts(r['dead_letter_reasons'])}"),
        ("watchlist rewrites; reloads ok / error (`/metrics`)",
         f"{len(r['reloads'])}; {r['reloads_ok']:.0f} / {r['reloads_error']:.0f}; seen on `/metrics` "
         f"{seen_range(r['reloads'])}"),
        ("broker restart (`scripts/kafka.sh restart`)",
         f"at {n(r['restart_at_s'])} s, {n(r['restart_seconds'], 1)} s until it answered again; "
         f"longest gap between two alerts received {n(r['longest_alert_gap_s'], 1)} s "
         f"(at {n(r['longest_alert_gap_at_s'])} s); consumer errors {fmt_counts(m['consumer_errors'])}; "
         f"producers replaced {m['producer_replacements']:.0f}"),
        ("produce-to-alert latency (alert's Kafka timestamp - item sent), ms",
         f"p50 {n(r['latency_p50_ms'])} / p99 {n(r['latency_p99_ms'])} / max {n(r['latency_max_ms'])}; "
         f"items sent from 10 s before the restart to 60 s after it: max "
         f"{n(r['latency_around_restart_max_ms'])} ({n(r['latency_around_restart_stored_max_ms'])} from "
         f"the item's delivery report); the other items: p99 {n(r['latency_away_p99_ms'])} / "
         f"max {n(r['latency_away_max_ms'])}"),
        ("caught up after the last item", f"{r['drain_seconds']:.0f} s"),
        ("newswatch CPU", f"{n(cpu, 3)} cores on average"),
        ("newswatch log, WARN and ERROR lines", fmt_log(r["log"])),
        ("**lost** (must be 0): items uncommitted / alerts on the topic / on the webhook / dead letters",
         " / ".join(str(v) for v in lost.values())),
        ("unexpected (received, not predicted by `scan`): topic / webhook",
         f"{r['topic_unexpected']} / {r['webhook_unexpected']}"),
        ("newswatch exit status after SIGTERM", str(args.exit_status)),
        ("command", f"`{args.command}`"),
    ]
    out.append("| measurement | value |")
    out.append("|---|---|")
    out.extend(f"| {a} | {b} |" for a, b in rows)
    print("\n".join(out))

    problems = [f"{k} {v}" for k, v in lost.items() if v]
    if args.exit_status != 0:
        problems.append(f"newswatch exited {args.exit_status}")
    if r["reloads_error"] or any(x["seen_after"] is None for x in r["reloads"]):
        problems.append("a watchlist reload failed or was not seen")
    if r["restart"].get("status") != 0:
        problems.append(f"the broker restart failed: {r['restart']}")
    if r["topic_unexpected"] or r["webhook_unexpected"]:
        problems.append("alerts that scan does not predict")
    if problems:
        print(f"\nsoak: FAILED: {', '.join(problems)}", file=sys.stderr)
        sys.exit(1)


def fmt_counts(d):
    return ", ".join(f"{k} {v:,.0f}" for k, v in sorted(d.items())) or "none"


def fmt_log(levels):
    parts = []
    for level in ("ERROR", "WARN"):
        msgs = levels.get(level, {})
        top = "; ".join(f"{c:,} `{m[:60]}{'…' if len(m) > 60 else ''}`" for m, c in list(msgs.items())[:3])
        more = f"; {len(msgs) - 3} other messages" if len(msgs) > 3 else ""
        parts.append(f"{level} {sum(msgs.values()):,}" + (f" ({top}{more})" if top else ""))
    return ", ".join(parts)


def seen_range(reloads):
    seen = [x["seen_after"] for x in reloads if x["seen_after"] is not None]
    unseen = len(reloads) - len(seen)
    text = "never"
    if seen:
        lo, hi = min(seen), max(seen)
        text = f"after {lo} s" if lo == hi else f"after {lo}-{hi} s"
    return text + (f", {unseen} not within {RELOAD_SEEN_WITHIN} s" if unseen else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    for a in ("brokers", "topic", "alerts-topic", "dead-letter-topic", "group", "metrics", "watchlist",
              "config", "log", "pool", "items", "newswatch", "out"):
        r.add_argument(f"--{a}", required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--webhook-port", type=int, required=True)
    r.add_argument("--minutes", type=float, required=True)
    r.add_argument("--rate", type=float, default=1000)
    r.add_argument("--bad-per-minute", type=int, default=6)
    r.add_argument("--fail-share", type=float, default=FAIL_SHARE)
    r.add_argument("--restart-at", type=float, help="seconds into the run (default: half time)")
    r.add_argument("--kafka-sh", default=os.path.join(os.path.dirname(__file__), "kafka.sh"))
    r.add_argument("--drain-timeout", type=float, default=600)
    r.add_argument("--meta", default="{}", help="JSON: host, date, version, ... for the table")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--exit-status", type=int, required=True)
    t.add_argument("--command", required=True)
    args = ap.parse_args()
    run(args) if args.cmd == "run" else table(args)


if __name__ == "__main__":
    main()
