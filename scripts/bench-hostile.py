#!/usr/bin/env python3
"""The doubling table of each complexity class of hostile input (issue 14).

  bench-hostile.py BINARY [ROUNDS]

Runs `BINARY scan --watchlist W item.jsonl` on one item of 0.25, 0.5 and
1 MB per class, ROUNDS times each (default 3, the fastest kept), and
prints a Markdown table: seconds, the ratio to the same class at half the
size (linear time doubles: 2.0), the ratio to the plain 1 MB item measured
in the same run, and peak RSS (the child's maximum resident set size, from
wait4) with its ratio to the plain item's.

Classes (each item is one JSON line `{"id", "body"}`):
  plain       English-like words, the default watchlist: the baseline
  near        "H200 " x n, twenty filler words, "bans " x n, the default
              watchlist (its rules put bans NEAR/8 chips)
  rules-1000  "x x x ...", 1,000 rules over one set with the term "x"
  overlap-32  "x x x ...", one set of 32 overlapping terms "x", "x x", ...
  sets-32     "x x x ...", 32 sets each with the term "x", one rule each
  nested-or   "x x x ...", a rule NEAR over an OR of 32 sets

Needs only Python 3; BINARY is the release build (`scripts/bench-hostile.sh`
builds it).
"""
import os
import subprocess
import sys
import tempfile
import time

SIZES = [250_000, 500_000, 1_000_000]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WATCHLIST = os.path.join(ROOT, "config", "watchlist.toml")

FILLER = (
    "the of and to in a is that for it as was with be by on not he this are "
    "or his from at which but have an they you were her she there been one "
    "all we their has would when if so no will more about said up out them"
).split()


def plain(size):
    words, n, i = [], 0, 0
    while n < size:
        w = FILLER[(i * 7919) % len(FILLER)]
        words.append(w)
        n += len(w) + 1
        i += 1
    return " ".join(words)[:size]


def near(size):
    n = (size - 200) // 10
    return "H200 " * n + " ".join(FILLER[:20]) + " " + "bans " * n


def xs(size):
    return ("x " * (size // 2))[:size]


def watchlist(sets, rules):
    out = []
    for name, terms in sets:
        quoted = ", ".join('"%s"' % t for t in terms)
        out.append("[sets.%s]\nterms = [%s]\n" % (name, quoted))
    for i, when in enumerate(rules):
        out.append('[[rules]]\nid = "r%d"\nwhen = "%s"\n' % (i, when))
    return "\n".join(out)


def classes(tmp):
    def write(name, text):
        path = os.path.join(tmp, name + ".toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    rules_1000 = write("rules", watchlist([("s", ["x"])], ["s"] * 1000))
    overlap = write(
        "overlap", watchlist([("s", [" ".join(["x"] * k) for k in range(1, 33)])], ["s"])
    )
    sets = [("s%d" % k, ["x"]) for k in range(32)]
    sets_32 = write("sets", watchlist(sets, ["s%d" % k for k in range(32)]))
    ors = " OR ".join("s%d" % k for k in range(1, 32))
    nested = write("nested", watchlist(sets, ["s0 NEAR/0 (%s)" % ors]))
    return [
        ("plain", DEFAULT_WATCHLIST, plain),
        ("near", DEFAULT_WATCHLIST, near),
        ("rules-1000", rules_1000, xs),
        ("overlap-32", overlap, xs),
        ("sets-32", sets_32, xs),
        ("nested-or", nested, xs),
    ]


def run(binary, watchlist_path, item_path):
    # stderr to a file, not a pipe: a child writing more than a pipe holds
    # would block while we wait for it.
    with open(os.devnull, "w") as null, tempfile.TemporaryFile() as errf:
        start = time.monotonic()
        p = subprocess.Popen(
            [binary, "scan", "--watchlist", watchlist_path, item_path],
            stdout=null,
            stderr=errf,
        )
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.monotonic() - start
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 65):
        sys.exit("scan exited %d on %s: %s" % (code, item_path, err[-500:]))
    return seconds, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, wl, make in classes(tmp):
            for size in SIZES:
                item = os.path.join(tmp, "%s-%d.jsonl" % (name, size))
                with open(item, "w") as f:
                    f.write('{"id": "hostile", "body": "%s"}\n' % make(size))
                best = min(run(binary, wl, item) for _ in range(rounds))
                results[(name, size)] = best
                print("%-11s %9d bytes: %.3f s, %.0f MB" % (name, size, *best), file=sys.stderr)
        base_s, base_mb = results[("plain", SIZES[-1])]
        print("| class | size | seconds | x per doubling | x plain 1 MB | peak RSS MB | x plain RSS |")
        print("|---|---|---|---|---|---|---|")
        for name, _, _ in classes(tmp):
            prev = None
            for size in SIZES:
                s, mb = results[(name, size)]
                doubling = "%.2f" % (s / prev) if prev else ""
                print(
                    "| %s | %.2f MB | %.3f | %s | %.1f | %.0f | %.1f |"
                    % (name, size / 1e6, s, doubling, s / base_s, mb, mb / base_mb)
                )
                prev = s


if __name__ == "__main__":
    main()
