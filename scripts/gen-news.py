#!/usr/bin/env python3
"""Writes N realistic news items as JSON Lines to stdout, for benchmarks.

Items are 1-3 KB, in English, Russian and Chinese, built from the test
fixtures plus filler paragraphs; about 4% are chip-export news that the
default watchlist alerts on. Deterministic (seeded).
Usage: scripts/gen-news.py N > items.jsonl
"""
import json
import random
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
fixtures = root / "tests" / "fixtures"


def load(name):
    return [json.loads(l) for l in (fixtures / name).read_text().splitlines() if l.strip()]


chips = load("chip_news.jsonl")
plain = load("non_chip_news.jsonl")
filler = {
    "en": "Markets were mixed on the day as investors weighed the latest economic data, "
          "with analysts pointing to “steady demand” in services and a softer outlook for "
          "manufacturing — a pattern seen across several regions this quarter. ",
    "ru": "Рынки завершили день разнонаправленно: инвесторы оценивали свежие экономические "
          "данные, а аналитики указывали на «устойчивый спрос» в сфере услуг и более слабые "
          "ожидания в промышленности. ",
    "zh": "当日市场涨跌互现，投资者评估最新经济数据，分析人士指出服务业需求“保持稳定”，"
          "而制造业前景有所走弱，这一态势在本季度多个地区均有体现。",
}

if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
    print(__doc__.strip())
    sys.exit(0)
try:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
except ValueError:
    sys.exit(f"gen-news.py: N must be a whole number of items, not {sys.argv[1]!r}\nUsage: scripts/gen-news.py N > items.jsonl")
rng = random.Random(20261128)
out = sys.stdout
for i in range(n):
    src = chips[i // 25 % len(chips)] if i % 25 == 0 else plain[rng.randrange(len(plain))]
    item = dict(src)
    item["id"] = f"bench-{i}"
    lang = item.get("lang") if item.get("lang") in filler else "en"
    body = item.get("body", "")
    target = rng.randrange(1000, 3000)
    while len(body.encode()) < target:
        body += "\n\n" + filler[lang]
    item["body"] = body
    out.write(json.dumps(item, ensure_ascii=False))
    out.write("\n")
