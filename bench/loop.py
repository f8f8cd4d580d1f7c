"""The loop benchmark (issue #9): assess 1,000 units over 100,000 tasks, draft a bulletin for a
plan of 100,000 tasks (the .docx included), and the cockpit page's p95, on SQLite and PostgreSQL.

    python -m bench.run --only loop                        # both backends
    python -m bench.run --only loop --only sqlite          # one backend
    python -m bench.run --only loop --loop-tasks 5000 --loop-units 300   # a quick smoke run

For each backend the top level (`bench.run`) makes a new database and runs two child processes
(`python -m bench.run --loop-step STEP`), one after the other:

1. `build`: `migrate`, `luoshi demo`, then LOOP_UNITS units under one parent and one plan of
   LOOP_TASKS tasks spread over them, written set-based by bench/lights.py's generator (the same
   shares of done, late, overdue, report slots and problems), a responsible assignment per task,
   and the lights computed once. Not timed as part of the figures.
2. `run`: each timed operation twice, in this order, in one process:
   - `assessment.services.compute(plan, period, actor=system, today=TODAY)` for May 2026 (the
     last whole month: its report cycle is past due, so every indicator has data);
   - `bulletins.services.draft(actor=system, plan=plan, today=TODAY)` and then
     `bulletins.documents.write_docx(bulletin)`, timed apart and together;
   - the cockpit: GET /cockpit/ (and /cockpit/?plan=…) as the city's supervisor through Django's
     test client (the whole view, template and middleware, no network), WARMUP untimed then
     REQUESTS timed each; p50/p95/max; "cold" with Django's cache emptied before each request
     (the figures counted, as on the first view after a write), then "warm" (kept).

docs/benchmarks.md explains the figures.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import lights

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "LUOSHI_BENCH_LOOP_PG_URL", "postgres://postgres@127.0.0.1:5432/luoshi_bench_loop"
)
TODAY = lights.TODAY  # Friday 12 June 2026
PERIOD = "2026-05"
PLAN_NAME = "基准闭环台账（全市重点工作）"
PARENT_UNIT = "基准考核单位"
SEED = 11
TARGETS = {"assess_s": 10.0, "bulletin_s": 5.0, "cockpit_p95_ms": 300.0}


# --- the top level -----------------------------------------------------------------------------


def orchestrate(args, h, backends: list[str]) -> dict:
    out: dict = {
        "what": "assess, draft a bulletin (with its .docx) and open the cockpit over one plan",
        "tasks": args.loop_tasks,
        "units": args.loop_units,
        "today": TODAY.isoformat(),
        "period": PERIOD,
        "targets": {
            "assess": f"< {TARGETS['assess_s']:g} s",
            "bulletin (draft + .docx)": f"< {TARGETS['bulletin_s']:g} s",
            "cockpit p95": f"< {TARGETS['cockpit_p95_ms']:g} ms",
        },
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "cases": [],
    }
    for backend in backends:
        out["cases"].append(run_case(args, h, backend))
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out["summary"] = [summary_row(c) for c in out["cases"]]
    return out


def run_case(args, h, backend: str) -> dict:
    case: dict = {"backend": backend}
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "0",
            "LOG_LEVEL": "ERROR",
            "PYTHONUNBUFFERED": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
    )
    data_dir = tempfile.mkdtemp(prefix=f"luoshi-bench-loop-{backend}-")
    env["LUOSHI_DATA_DIR"] = data_dir
    if backend == "sqlite":
        env.pop("DATABASE_URL", None)
    else:
        ok, note, version = h.prepare_postgres(PG_URL)
        h.log(f"loop {backend}: {note}")
        if not ok:
            shutil.rmtree(data_dir, ignore_errors=True)
            return case | {"skipped": True, "note": note}
        case["postgresql_server"] = version
        env["DATABASE_URL"] = PG_URL
    for step in ("build", "run"):
        out = Path(data_dir) / f"loop-{step}.json"
        cmd = [sys.executable, "-m", "bench.run", "--loop-step", step, "--out", str(out)]
        cmd += ["--loop-tasks", str(args.loop_tasks), "--loop-units", str(args.loop_units)]
        cmd += ["--requests", str(args.requests), "--warmup", str(args.warmup)]
        h.log(f"loop {backend}: {step} starts")
        t = time.perf_counter()
        try:
            rc = subprocess.run(  # noqa: PLW1510
                cmd, cwd=ROOT, env=env, stdout=sys.stderr, timeout=args.lights_timeout
            ).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"error": "the child wrote no result"}
        result["child_exit"] = rc
        result["process_wall_s"] = round(time.perf_counter() - t, 1)
        case[step] = result
        h.log(f"loop {backend}: {step} done in {result['process_wall_s']} s (exit {rc})")
        if rc != 0:
            case["error"] = f"{step} failed"
            break
    if args.keep_data:
        case["data_dir"] = data_dir
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return case


def summary_row(case: dict) -> dict:
    row: dict = {"backend": case["backend"]}
    if case.get("skipped") or case.get("error"):
        row["error"] = case.get("note") or case.get("error")
    run = case.get("run", {}).get("timed")
    if not run:
        return row
    row["tasks"] = case["build"].get("tasks")
    row["units"] = case["build"].get("units")
    row["assess_s"] = [r["seconds"] for r in run["assess"]]
    row["bulletin_s"] = [r["total_s"] for r in run["bulletin"]]
    row["bulletin_red_tasks"] = run["bulletin"][0].get("red_tasks")
    row["docx_kib"] = run["bulletin"][0].get("docx_kib")
    row["cockpit_ms"] = {k: v["p95_ms"] for k, v in run["cockpit"].items()}
    row["peak_rss_mb"] = case["run"].get("ru_maxrss_mb")
    sizes = (case["run"].get("export") or {}).get("sizes", {})
    row["export"] = {
        n: {k: r.get(k) for k in ("seconds", "peak_python_mb", "meets_target", "skipped")}
        for n, r in sizes.items()
    }
    row["targets_met"] = {
        "assess": max(row["assess_s"]) < TARGETS["assess_s"],
        "bulletin": max(row["bulletin_s"]) < TARGETS["bulletin_s"],
        "cockpit_cold": all(
            v < TARGETS["cockpit_p95_ms"] for k, v in row["cockpit_ms"].items() if "cold" in k
        ),
        "cockpit_warm": all(
            v < TARGETS["cockpit_p95_ms"] for k, v in row["cockpit_ms"].items() if "warm" in k
        ),
        "export": all(r.get("meets_target") is not False for r in row["export"].values()),
    }
    return row


# --- the child ---------------------------------------------------------------------------------


def child(args, h) -> int:
    out_path = Path(args.out)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # a stray print() must not reach the parent's stdout
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    result: dict = {"step": args.loop_step}
    rc = 0
    try:
        import django

        django.setup()
        if args.loop_step == "build":
            build(args.loop_tasks, args.loop_units, result, h)
        else:
            measure(args, result, h)
    except Exception:  # noqa: BLE001 - report what failed alongside what was measured
        result["error"] = traceback.format_exc()
        h.log(result["error"])
        rc = 1
    result["ru_maxrss_mb"] = h.maxrss()
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    sys.stdout = real_stdout
    return rc


def build(size: int, nunits: int, out: dict, h) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max

    from luoshi.core.actors import system_actor
    from luoshi.core.calendar import current_calendar
    from luoshi.demo import city
    from luoshi.dispatch.models import Cycle, Schedule, Slot
    from luoshi.ledger.models import Assignment, Category, Milestone, Plan, Task
    from luoshi.org import services as org
    from luoshi.org.models import Person, Unit
    from luoshi.supervision.models import Problem
    from luoshi.supervision.services import recompute_lights

    out["database"] = lights.database_info()
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("demo", quiet=True, stdout=io.StringIO())
    out["setup_s"] = round(time.perf_counter() - t, 1)
    actor = system_actor()
    city_unit = Unit.objects.get(name=city.CITY)
    office = Unit.objects.get(name=city.SUPERVISION_OFFICE)
    t = time.perf_counter()
    with transaction.atomic():
        (parent,) = org.create_units([{"name": PARENT_UNIT, "parent": city_unit}], actor=actor)
        units = org.create_units(
            [{"name": f"基准单位{k + 1:04d}", "parent": parent} for k in range(nunits)],
            actor=actor,
        )
    unit_ids = [u.pk for u in units]
    out["units_s"] = round(time.perf_counter() - t, 1)
    people = list(Person.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    h.log(f"loop build: {nunits} units; writing {size} tasks")

    t_all = time.perf_counter()
    with transaction.atomic():
        plan = Plan.objects.create(
            name=PLAN_NAME,
            year=lights.YEAR,
            owner_unit=office,
            status=Plan.Status.DEPLOYED,
            deployed_at=lights._aware(dt.date(lights.YEAR, 1, 20), 9),
        )
        cats = Category.objects.bulk_create(
            [Category(plan=plan, name=f"重点工作类别{c + 1}", order=c) for c in range(12)]
        )
        schedule = Schedule.objects.create(plan=plan, kind=Schedule.Kind.MONTHLY, day=25)
        cycles = []
        for due in lights.CYCLE_DUES:
            closed = due < TODAY - dt.timedelta(days=10)
            cycles.append(
                Cycle.objects.create(
                    plan=plan,
                    schedule=schedule,
                    period_start=due.replace(day=1),
                    due_at=lights._aware(due),
                    closes_at=lights._aware(due + dt.timedelta(days=10)),
                    status=Cycle.Status.CLOSED if closed else Cycle.Status.OPEN,
                    closed_at=lights._aware(due + dt.timedelta(days=10)) if closed else None,
                )
            )
    writer = lights.Writer()
    next_id = {
        m.__name__: (m.objects.aggregate(x=Max("pk"))["x"] or 0) + 1
        for m in (Task, Milestone, Slot, Problem)
    }
    gen = lights.Generator(random.Random(SEED), current_calendar(), unit_ids, people, people[:6])
    cat_ids, cycle_ids = [c.pk for c in cats], [c.pk for c in cycles]
    unit_at = lights.TASK_FIELDS.index("primary_unit_id")
    for c0 in range(0, size, lights.CHUNK):
        c1 = min(size, c0 + lights.CHUNK)
        batch = gen.chunk(next_id, plan.pk, cat_ids, cycle_ids, c0, c1, size)
        with transaction.atomic():
            writer.insert(Task, lights.TASK_FIELDS, batch["tasks"])
            writer.insert(Milestone, lights.MILESTONE_FIELDS, batch["milestones"])
            writer.insert(Slot, lights.SLOT_FIELDS, batch["slots"])
            writer.insert(Problem, lights.PROBLEM_FIELDS, batch["problems"])
            # Assessment and bulletins count a task for its responsible unit: one each, as an
            # import of a one-unit 责任单位 column makes it.
            writer.insert(
                Assignment,
                ("task_id", "unit_id", "role", "position", "ack", "reason"),
                [(t[0], t[unit_at], "responsible", 0, "", "") for t in batch["tasks"]],
            )
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Task, Milestone, Slot, Problem]
            ):
                cur.execute(sql)
    out["write_s"] = round(time.perf_counter() - t_all, 1)
    t = time.perf_counter()
    out["lights"] = recompute_lights(actor=actor, today=TODAY)
    out["lights_s"] = round(time.perf_counter() - t, 1)
    lights.settle(out)
    out["tasks"] = Task.objects.filter(plan=plan).count()
    out["units"] = nunits
    out["profile"] = gen.stats
    out["counts"] = lights.table_counts()
    h.log(f"loop build: {out['tasks']} tasks, lights {out['lights']}")


def measure(args, out: dict, h) -> None:
    from django.core.cache import cache
    from django.test import Client

    from luoshi.assessment import services as assessment
    from luoshi.bulletins import documents
    from luoshi.bulletins import services as bulletins
    from luoshi.core.actors import system_actor
    from luoshi.ledger.models import Plan
    from luoshi.org.models import Person

    out["database"] = lights.database_info()
    actor = system_actor()
    plan = Plan.objects.get(name=PLAN_NAME)
    timed: dict = {"assess": [], "bulletin": [], "cockpit": {}}
    for k in range(2):
        gc.collect()
        t = time.perf_counter()
        result = assessment.compute(plan, PERIOD, actor=actor, today=TODAY)
        seconds = time.perf_counter() - t
        scores = result.scores.count()
        timed["assess"].append({"seconds": round(seconds, 2), "units_scored": scores})
        h.log(f"loop assess {k + 1}: {seconds:.2f} s, {scores} units")
    for k in range(2):
        gc.collect()
        t = time.perf_counter()
        bulletin = bulletins.draft(actor=actor, plan=plan, today=TODAY)
        drafted = time.perf_counter() - t
        docx = documents.write_docx(bulletin)
        total = time.perf_counter() - t
        red = bulletin.content["totals"]["red"]
        timed["bulletin"].append(
            {
                "draft_s": round(drafted, 2),
                "docx_s": round(total - drafted, 2),
                "total_s": round(total, 2),
                "red_tasks": red,
                "docx_kib": round(len(docx) / 1024),
            }
        )
        h.log(f"loop bulletin {k + 1}: draft {drafted:.2f} s, total {total:.2f} s, {red} red")
    client = Client()
    client.force_login(Person.objects.get(username="supervisor"))
    urls = (("cockpit", "/cockpit/"), ("cockpit_plan", f"/cockpit/?plan={plan.pk}"))
    # "cold": Django's cache emptied before every request, so each one counts the figures, as
    # the first view after any write does; "warm": the figures kept since the last write.
    for mode in ("cold", "warm"):
        for label, url in urls:
            samples = []
            for k in range(args.warmup + args.requests):
                if mode == "cold":
                    cache.clear()
                t = time.perf_counter()
                resp = client.get(url)
                ms = (time.perf_counter() - t) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{url} answered {resp.status_code}")
                if k >= args.warmup:
                    samples.append(ms)
            samples.sort()
            key = f"{label}_{mode}"
            timed["cockpit"][key] = {
                "url": url,
                "requests": len(samples),
                "p50_ms": round(samples[len(samples) // 2], 1),
                "p95_ms": round(samples[max(0, math.ceil(len(samples) * 0.95) - 1)], 1),
                "max_ms": round(samples[-1], 1),
                "bytes": len(resp.content),
            }
            h.log(f"loop {key}: {timed['cockpit'][key]}")
    out["timed"] = timed
    # The ledger export of issue #11, on the same 100,000-task plan: 10,000 of its rows and all.
    from . import export

    out["export"] = export.measure(sizes=(10_000, args.loop_tasks), plan_name=PLAN_NAME)
    h.log(f"loop export: {out['export']}")
