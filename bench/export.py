"""The ledger export benchmark (issue #11): the time and memory of exporting 10,000 and 100,000
task rows, on whichever database Django is set up with (run it once per backend).

It needs a plan of at least the largest size, as the loop benchmark builds it (bench/loop.py,
`build` step). A size below the plan's is a reader whose scope is the plan's first N tasks in
ledger order (a sort-key range, which the plan's index serves), so both sizes come from one
built database.

    LUOSHI_DATA_DIR=/tmp/x python -m bench.export                      # SQLite in /tmp/x
    DATABASE_URL=postgres://… python -m bench.export --sizes 10000,100000

From the main bench: `from bench import export; result["export"] = export.measure()` in a child
that has called django.setup() on a database built by the loop's `build` step.

For each size: `seconds` (best of `repeat` runs of exporter.write_workbook to a temporary file,
the queries included), `rows_per_s`, `peak_python_mb` (tracemalloc's peak during one further
run: Python's own allocations, which is what would grow with the ledger if anything were held
whole), `file_mb`, and whether it meets the issue's target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc

PLAN_NAME = "基准闭环台账（全市重点工作）"
# Issue #11: seconds allowed per size.
TARGETS = {10_000: 0.8, 100_000: 8.0}


def measure(sizes=(10_000, 100_000), repeat: int = 2, plan_name: str = PLAN_NAME) -> dict:
    from django.db import connection

    from luoshi.ledger.exporter import write_workbook
    from luoshi.ledger.models import Plan, Task

    plan = Plan.objects.get(name=plan_name)
    plans = Plan.objects.filter(pk=plan.pk)
    in_plan = Task.objects.filter(plan=plan).order_by("sort_key", "id")
    available = in_plan.count()
    out: dict = {"vendor": connection.vendor, "plan_tasks": available, "sizes": {}}
    for size in sizes:
        if size > available:
            out["sizes"][str(size)] = {"skipped": f"the plan has {available} tasks"}
            continue
        if size == available:
            tasks = Task.objects.all()
        else:
            last = in_plan.values_list("sort_key", flat=True)[size - 1]
            tasks = Task.objects.filter(sort_key__lte=last)
        times = []
        rows = 0
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "export.xlsx")
            for _ in range(repeat):
                started = time.perf_counter()
                rows = write_workbook(plans, tasks, path)
                times.append(time.perf_counter() - started)
            file_mb = os.path.getsize(path) / 2**20
            tracemalloc.start()
            write_workbook(plans, tasks, path)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        best = min(times)
        target = TARGETS.get(size)
        out["sizes"][str(size)] = {
            "rows": rows,
            "seconds": round(best, 3),
            "seconds_all": [round(t, 3) for t in times],
            "rows_per_s": round(rows / best),
            "peak_python_mb": round(peak / 2**20, 1),
            "file_mb": round(file_mb, 1),
            "target_s": target,
            "meets_target": None if target is None else best < target,
        }
    out["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="task rows, comma-separated")
    p.add_argument("--repeat", type=int, default=2, help="timed runs per size (best kept)")
    p.add_argument("--plan", default=PLAN_NAME, help="the plan to export")
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result = measure(sizes, repeat=args.repeat, plan_name=args.plan)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
