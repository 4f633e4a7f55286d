#!/usr/bin/env python3
"""Helpers of scripts/bench-e2e.sh (run with the bench venv's python).

  bench-util.py create-topics BROKERS NAME:PARTITIONS...
      create topics (replication factor 1) with the Kafka admin API, so any
      broker works, not only the one of scripts/kafka.sh.
  bench-util.py warm-groups BROKERS TOPIC
      make the broker ready for consumer groups (its __consumer_offsets topic
      is created on the first group's first request) before anything is
      timed: else the first measured group pays for it.
  bench-util.py cpu PID
      print the CPU seconds (user + system) PID used so far.
  bench-util.py wait-done LOG ITEMS PID [TIMEOUT_S]
      follow newswatch's JSON log and poll its /metrics until ITEMS items are
      done (see wait_done); print {"assigned_at", "done_at", "how", "rss_kb",
      "alerts", "startup_cpu_s"} (epoch seconds; rss_kb = VmHWM of PID read at
      that moment; startup_cpu_s = PID's CPU seconds when its partitions were
      assigned).
      Exit 1 if PID exits first or the timeout passes.
  bench-util.py rss PID
      print VmHWM of PID in kB.
  bench-util.py threads PID
      print the CPU seconds of PID's threads, summed by thread name, largest
      first ("newswatch-worke 1.52, rdk:broker1 0.21, ..."): where a run's
      CPU went (workers, librdkafka's broker threads, the poll loop).
  bench-util.py table RESULTS.jsonl
      the Markdown table of the results that bench-e2e.sh wrote.
"""
import json
import os
import re
import sys
import time


def create_topics(brokers, specs):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": brokers})
    topics = []
    for s in specs:
        name, parts = s.rsplit(":", 1)
        topics.append(NewTopic(name, num_partitions=int(parts), replication_factor=1))
    for name, fut in admin.create_topics(topics, operation_timeout=30).items():
        try:
            fut.result()
        except Exception as e:  # noqa: BLE001
            if "TOPIC_ALREADY_EXISTS" not in str(e):
                sys.exit(f"creating topic {name}: {e}")
    # Wait until the metadata shows every partition with a leader.
    deadline = time.time() + 30
    while time.time() < deadline:
        md = admin.list_topics(timeout=10).topics
        if all(t.topic in md and len(md[t.topic].partitions) == t.num_partitions
               and all(p.leader >= 0 for p in md[t.topic].partitions.values()) for t in topics):
            return
        time.sleep(0.2)
    sys.exit("topics not ready after 30 s")


def warm_groups(brokers, topic):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": brokers, "group.id": f"bench-warm-{time.time_ns()}",
                  "enable.auto.commit": False})
    deadline = time.time() + 60
    try:
        while True:
            try:
                # Finding the group's coordinator creates __consumer_offsets.
                c.committed([TopicPartition(topic, 0)], timeout=10)
                return
            except Exception as e:  # noqa: BLE001
                if time.time() > deadline:
                    sys.exit(f"the broker's group coordinator is not ready after 60 s: {e}")
                time.sleep(0.5)
    finally:
        c.close()


def vmhwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu(pid):
    """CPU seconds (user + system) used by a process so far, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def threads(pid):
    """CPU seconds of each thread of PID, summed by thread name (the
    kernel's 15 characters), largest first, as "name s, name s". A name
    several threads share gets each thread's part too, in thread id order:
    librdkafka names the broker thread of every client after the broker
    ("rdk:broker1" for the consumer and for the alert producer alike)."""
    by = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return ""
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                head, rest = f.read().rsplit(") ", 1)
            name = head.split(" (", 1)[1]
            fields = rest.split()
            by.setdefault(name, []).append((int(tid), (int(fields[11]) + int(fields[12])) / tick))
        except (OSError, IndexError, ValueError):
            continue

    total = {name: sum(s for _, s in ts) for name, ts in by.items()}

    def part(name):
        ts = by[name]
        if len(ts) < 2:
            return f"{name} {total[name]:.2f}"
        parts = " + ".join(f"{s:.2f}" for _, s in sorted(ts))
        return f"{name} {total[name]:.2f} ({len(ts)} threads: {parts})"

    return ", ".join(part(n) for n in sorted(total, key=lambda n: -total[n]) if total[n] > 0)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] not in ("Z", "X")
    except OSError:
        return False


OFFSETS = re.compile(r'\("([^"]+)", (\d+), (\d+)\)')
METRIC = re.compile(r"^(newswatch_items_consumed_total|newswatch_items_in_flight) (\S+)$", re.M)


def scrape(addr):
    """(items consumed, items in flight) from newswatch's /metrics, or None."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{addr}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = dict(METRIC.findall(text))
    if len(m) < 2:
        return None
    return float(m["newswatch_items_consumed_total"]), float(m["newswatch_items_in_flight"])


def wait_done(log, items, pid, timeout):
    """Done when /metrics shows ITEMS consumed and none in flight (an item is
    in flight until every alert of it was acknowledged and its offset is
    committable), polled every 50 ms. Without /metrics: when the committed
    offsets in the debug log add up to ITEMS (newswatch commits about once a
    second, so up to a second late)."""
    committed, assigned_at, addr, alerts, buf = {}, None, None, 0, ""
    startup_cpu = None
    deadline = time.time() + timeout
    with open(log, encoding="utf-8", errors="replace") as f:
        while True:
            chunk = f.read()
            now = time.time()
            if chunk:
                buf += chunk
                *lines, buf = buf.split("\n")
                for line in lines:
                    if '"message":"alert"' in line:
                        alerts += 1
                    elif "partitions assigned" in line and assigned_at is None:
                        assigned_at = now
                        # The start-up: the watchlist built, the group joined.
                        startup_cpu = cpu(pid)
                    elif "serving /metrics" in line and addr is None:
                        try:
                            addr = json.loads(line).get("addr")
                        except ValueError:
                            pass
                    elif "committing offsets" in line:
                        try:
                            rec = json.loads(line)
                        except ValueError:
                            continue
                        for t, p, o in OFFSETS.findall(str(rec.get("offsets", ""))):
                            committed[(t, int(p))] = int(o)
            m = scrape(addr) if addr else None
            how = None
            if m and m[0] >= items and m[1] == 0:
                how = "metrics"
            elif sum(committed.values()) >= items:
                how = "commits"
            if how:
                print(json.dumps({"assigned_at": assigned_at, "done_at": now, "how": how,
                                  "rss_kb": vmhwm(pid), "alerts": alerts,
                                  "startup_cpu_s": startup_cpu}))
                return 0
            if not alive(pid):
                print(f"newswatch (pid {pid}) exited before finishing {items} items "
                      f"(committed {sum(committed.values())})", file=sys.stderr)
                return 1
            if now > deadline:
                print(f"timeout: committed {sum(committed.values())} of {items} items", file=sys.stderr)
                return 1
            time.sleep(0.05)


def fmt(v, digits=0):
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"


def table(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    meta = next((r for r in rows if r.get("kind") == "meta"), {})
    by = {r["key"]: r for r in rows if "key" in r}
    kcat = by.get("kcat")
    out = []
    if meta:
        out.append(f"`scripts/bench-e2e.sh {meta['items']}` on {meta['host']}, {meta['date']}, "
                   f"newswatch {meta['version']} (checkout {meta['git']}, binary sha256 "
                   f"{meta.get('binary', '?')}); {meta['items']:,} items, "
                   f"{meta['bytes'] / 1e6:,.0f} MB, topic of {meta['partitions']} partitions on "
                   f"{meta['brokers']}; load average {meta.get('load', '?')} at the start.")
        if float(meta.get("load", 0)) > 0.5 * int(meta["host"].split()[0]):
            out.append("")
            out.append(f"**The machine was busy when the run started (load average {meta['load']}): "
                       "throughput is low and latency high. Rerun on an idle machine.**")
        out.append("")
    out.append("| measurement | items | seconds | items/s | MB/s | vs kcat | CPU s | items per CPU s | broker CPU s "
               "| alerts | peak RSS MB | notes | command |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        if r.get("kind") != "row":
            continue
        items, secs, b = r.get("items"), r.get("seconds"), r.get("bytes")
        ips = items / secs if items and secs else None
        mbs = b / 1e6 / secs if b and secs else None
        vs = ""
        if ips and kcat and r["key"] != "kcat" and r.get("throughput", True):
            vs = f"{ips / (kcat['items'] / kcat['seconds']):.3f}"
        rss = r.get("rss_kb")
        out.append("| " + " | ".join([
            r["name"], fmt(items), fmt(secs, 2),
            fmt(ips) if r.get("throughput", True) else "",
            fmt(mbs, 1) if r.get("throughput", True) else "",
            vs, fmt(r.get("cpu_s"), 1),
            fmt(items / r["cpu_s"]) if items and r.get("cpu_s") and r.get("throughput", True) else "",
            fmt(r.get("broker_cpu_s"), 1), fmt(r.get("alerts")), fmt(rss / 1024 if rss else None),
            "; ".join(x for x in (r.get("notes"), f"load avg {r['load']}" if r.get("load") else "") if x),
            f"`{r['cmd']}`",
        ]) + " |")
    out.append("")
    goals = []

    def steady(r):
        """items/s from the group join to the last item (start-up left out)."""
        return r["items"] / (r.get("steady_seconds") or r["seconds"])

    if kcat:
        k = kcat["items"] / kcat["seconds"]
        for key, goal in (("default", 0.8), ("10k", 0.5)):
            r = by.get(key)
            if r:
                goals.append(f"- newswatch ({key}) / kcat, items/s from the group join on: "
                             f"{steady(r) / k:.2f} (goal: at least {goal})")
    d, rp = by.get("default"), by.get("replay")
    if d and rp:
        goals.append(f"- replay / run, same topic and watchlist, items/s start-up included: "
                     f"{(rp['items'] / rp['seconds']) / (d['items'] / d['seconds']):.2f}x; replay kept "
                     f"{rp['cpu_s'] / rp['seconds']:.2f} cores busy (goal: both cores)")
    r = by.get("10k")
    if r and r.get("rss_kb"):
        goals.append(f"- peak RSS at 10k terms: {r['rss_kb'] / 1024:.0f} MB (goal: under 100 MB)")
    a, b = by.get("1k"), by.get("100k")
    if a and b:
        goals.append(f"- 100k-term / 1k-term end-to-end time: {b['seconds'] / a['seconds']:.2f}x "
                     f"(goal: at most 2x)")
    p = by.get("python")
    if a and p:
        r = steady(a) / steady(p)
        goals.append(f"- newswatch / Python consumer, items/s from the first item on, same 1k-term watchlist: {r:.1f}x "
                     f"(goal: at least 10x)")
        if a.get("cpu_s") and p.get("cpu_s"):
            r = (a["items"] / a["cpu_s"]) / (p["items"] / p["cpu_s"])
            goals.append(f"- newswatch / Python consumer, items per CPU second (the work each does, "
                         f"whatever share of the cores it got): {r:.1f}x")
    for key, how in (("latency", "built-in fetch settings"), ("latency-fetch", "64 KB / 5 ms fetch wait")):
        lat = by.get(key)
        if lat and lat.get("p99") is not None:
            goals.append(f"- produce-to-alert latency p99 at {lat['rate']:,.0f} items/s, {how}: {lat['p99']} ms "
                         f"(goal: under 20 ms; the floor's p99: {lat.get('floor_p99')} ms)")
    rl = by.get("reload")
    if rl:
        goals.append(f"- live reload to 1M terms: built in {rl['build_ms'] / 1000:.1f} s (goal: under 10 s); "
                     f"longest gap between two alerts {rl['gap']} ms at {rl['rate']:,.0f} items/s")
    # Issue 20: CPU per item of newswatch run against the floor, (a) kcat
    # consuming the items plus (b) the bare automaton over their
    # normalized text.
    for key in ("default", "1k", "10k", "100k"):
        r, f = by.get(key), by.get(f"floor-{key}")
        if not (r and f and kcat and r.get("cpu_s") and kcat.get("cpu_s")):
            continue
        run_us = r["cpu_s"] / r["items"] * 1e6
        a_us = kcat["cpu_s"] / kcat["items"] * 1e6
        b_us = f["cpu_s"] / f["items"] * 1e6
        floor = a_us + b_us
        # A daemon builds its watchlist and joins its group once, over
        # millions of items: the items' own cost is what comes after.
        startup = r.get("startup_cpu_s")
        steady = ""
        if startup is not None:
            steady_us = (r["cpu_s"] - startup) / r["items"] * 1e6
            steady = (f"; without the start-up ({startup:.2f} CPU s to the partitions' "
                      f"assignment) {steady_us:.1f} µs, **{steady_us / floor:.1f}x**")
        goals.append(f"- CPU per item, newswatch run ({key}): {run_us:.1f} µs, "
                     f"{run_us / floor:.1f}x the floor (a) kcat {a_us:.1f} + "
                     f"(b) bare automaton {b_us:.1f} µs{steady} (goal: at most 1.5x)")
    c = by.get("check-1000000")
    if c:
        goals.append(f"- 1M-term watchlist build, `newswatch check`: {c['seconds']} s (goal: under 10 s)")
    out.extend(goals)
    print("\n".join(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "create-topics":
        create_topics(args[0], args[1:])
    elif cmd == "wait-done":
        sys.exit(wait_done(args[0], int(args[1]), int(args[2]),
                                float(args[3]) if len(args) > 3 else 3600))
    elif cmd == "warm-groups":
        warm_groups(args[0], args[1])
    elif cmd == "cpu":
        v = cpu(int(args[0])) if args and args[0] else None
        print("" if v is None else v)
    elif cmd == "rss":
        print(vmhwm(int(args[0])) or "")
    elif cmd == "threads":
        print(threads(int(args[0])))
    elif cmd == "table":
        table(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
