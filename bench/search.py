"""Text search on the ledger (issue #11): the ledger's first page of 50 and its count for a
`?q=` search, through today's LIKE and through the search index (luoshi/ledger/search.py),
on whatever database the environment names.

    LUOSHI_DATA_DIR=/tmp/x python -m bench.search                      # SQLite in /tmp/x
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/db python -m bench.search
    python -m bench.search --explain     # also print each query's plan
    python -m bench.search --repeat 11 --word 环境 --word 公交线路

Build 100,000 tasks first with `python -m bench.run --loop-step build ...`. The default words
are drawn from that data set: a common and a rare one of 1, 2 and 4+ characters, plus a word
found nowhere. Prints one JSON object: for each word and path, the rows matched and the
median / p95 / max milliseconds of the first page and of the count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

# (label, word): words of the bench's 100k ledger (bench.run --loop-step build).
WORDS = [
    ("1 char, common", "完"),
    ("1 char, rare", "岭"),
    ("2 chars, common", "推进"),
    ("2 chars, rare", "反弹"),
    ("4 chars, common", "公交线路"),
    ("4 chars, rare", "限期整改"),
    ("number, rare", "56281"),
    ("nowhere", "鑫"),
]


def _ms(fn, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median": round(statistics.median(times), 2),
        "p95": round(p95, 2),
        "max": round(times[-1], 2),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--word", action="append", help="search these instead of the defaults")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--path", choices=["like", "index", "both"], default="both")
    args = ap.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Q

    from luoshi.ledger.filters import TaskFilter
    from luoshi.ledger.models import Task

    base = Task.objects.order_by("plan_id", "sort_key")

    def like(word):
        # The search before the index: what filter_q did (and what the index must equal).
        return base.filter(
            Q(title__icontains=word)
            | Q(content__icontains=word)
            | Q(no=word)
            | Q(notes__icontains=word)
        )

    def index(word):
        return TaskFilter({"q": word}, queryset=base).qs

    paths = {"like": like, "index": index}
    chosen = ["like", "index"] if args.path == "both" else [args.path]
    words = [(w, w) for w in args.word] if args.word else WORDS
    out = {
        "vendor": connection.vendor,
        "tasks": Task.objects.count(),
        "repeat": args.repeat,
        "results": [],
    }
    for label, word in words:
        row = {"label": label, "word": word}
        for name in chosen:
            qs = paths[name](word)
            list(qs[:50])  # warm the cache: every figure is a warm one
            row[name] = {
                "rows": qs.count(),
                "page_ms": _ms(lambda qs=qs: list(qs[:50]), args.repeat),
                "count_ms": _ms(lambda qs=qs: qs.count(), args.repeat),
            }
            if args.explain:
                row[name]["plan"] = qs[:50].explain()
        if len(chosen) == 2 and row["like"]["rows"] != row["index"]["rows"]:
            row["MISMATCH"] = True
        out["results"].append(row)
        print(f"[search] {label} {word}: done", file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
