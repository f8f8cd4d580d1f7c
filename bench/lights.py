"""The lights benchmark (issue #7): `luoshi.supervision.services.recompute_lights` over
100,000 and 1,000,000 tasks, on SQLite and on PostgreSQL.

    python -m bench.run --only lights                          # both backends, both sizes
    python -m bench.run --only lights --only sqlite            # one backend
    python -m bench.run --only lights --lights-sizes 100000    # one size

For each backend and size, the top level (`bench.run`) makes a new database and runs three
child processes, one after the other (`python -m bench.run --lights-step STEP`):

1. `build`: `migrate`, `luoshi demo`, then the bench's own ledger written set-based (multi-row
   INSERTs through sqlite3's executemany, COPY on PostgreSQL) up to SIZE tasks in all. Not timed
   as part of the figures.
2. `run1`: `recompute_lights(actor=system_actor(), today=TODAY)` with no light stored yet:
   every TaskLight and a first LightChange created, every task's ledger light written.
3. `run2`: a few changes to the data (untimed), then `recompute_lights` on the next working day.

Each timed run is alone in its process, so the process's peak RSS (`ru_maxrss`) is that run's
own peak (plus Django's import, reported as `ru_maxrss_mb_before_run`). docs/benchmarks.md
explains the figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "LUOSHI_BENCH_LIGHTS_PG_URL", "postgres://postgres@127.0.0.1:5432/luoshi_bench_lights"
)
SIZES = (100_000, 1_000_000)
TODAY = dt.date(2026, 6, 12)  # a Friday; the second run is the next working day (Monday 15th)
YEAR = 2026
SEED = 7
TARGET_S = {100_000: 5.0, 1_000_000: 60.0}
TARGET_PEAK_MB = {1_000_000: 1024.0}
CHUNK = 20_000  # tasks generated and written per transaction while building

# Plans: (name, share of the generated tasks, categories).
PLANS = [
    ("基准亮灯台账A（全市重点工作）", 0.45, 12),
    ("基准亮灯台账B（民生实事）", 0.30, 10),
    ("基准亮灯台账C（重大项目）", 0.15, 8),
    ("基准亮灯台账D（百日攻坚）", 0.10, 6),
]
# Plan D has its own, stricter thresholds (PlanLightRules), so that path is exercised too.
PLAN_D_RULES = {
    "milestone_red_after": 3,
    "deadline_window": 15,
    "deadline_window_percent": 90,
    "problem_sla_days": [3, 5, 10],
}
# Report cycles of every plan's monthly schedule (day 25, 17:00): three past-due, one open.
CYCLE_DUES = [
    dt.date(2026, 3, 25),
    dt.date(2026, 4, 25),
    dt.date(2026, 5, 25),
    dt.date(2026, 6, 25),
]
VERBS = ["推进", "完成", "实施", "建设", "开展", "优化", "提升", "整治", "落实", "加快"]
OBJECTS = [
    "枢纽配套道路",
    "公交线路",
    "农村公路",
    "客运站",
    "充电设施",
    "执法规范化",
    "审批事项",
    "隐患排查",
    "桥梁维修加固",
    "智慧交通平台",
    "物流园区",
    "停车设施",
    "慢行系统",
    "老旧小区改造",
    "污水管网",
    "学校扩容",
]
MILESTONE_NAMES = ["完成前期手续", "开工建设", "完成主体工程", "竣工验收"]
CONTENT = [
    "按照年度目标分解任务，明确责任人和时间节点，定期调度推进情况。",
    "加强部门协同，按月报送进展，确保按期完成。",
    "落实专项资金，完成项目招标并组织实施。",
    "",
]


# --- the top level -----------------------------------------------------------------------------


def orchestrate(args, h, backends: list[str]) -> dict:
    """Every (backend, size) case, each in a new database; returns the JSON section."""
    sizes = [int(s) for s in str(args.lights_sizes).split(",") if s.strip()]
    out: dict = {
        "what": "recompute_lights(actor=system_actor(), today=...) over the whole ledger",
        "today": TODAY.isoformat(),
        "sizes": sizes,
        "postgres_url": PG_URL,
        "targets": {
            "100000": "< 5 s per run",
            "1000000": "< 60 s per run, peak RSS < 1 GiB (1024 MiB)",
        },
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "busy_processes_at_start": h.busy_processes(),
        "cases": [],
    }
    for backend in backends:
        for size in sizes:
            out["cases"].append(run_case(args, h, backend, size))
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out["busy_processes_at_end"] = h.busy_processes()
    out["summary"] = [summary_row(c) for c in out["cases"]]
    return out


def run_case(args, h, backend: str, size: int) -> dict:
    case: dict = {"backend": backend, "tasks": size}
    env = dict(os.environ)
    env.update({"DEBUG": "0", "LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"})
    data_dir = tempfile.mkdtemp(prefix=f"luoshi-bench-lights-{backend}-{size}-")
    env["LUOSHI_DATA_DIR"] = data_dir
    if backend == "sqlite":
        env.pop("DATABASE_URL", None)
    else:
        ok, note, version = h.prepare_postgres(PG_URL)
        h.log(f"lights {backend} {size}: {note}")
        if not ok:
            shutil.rmtree(data_dir, ignore_errors=True)
            return case | {"skipped": True, "note": note}
        case["postgresql_server"] = version
        env["DATABASE_URL"] = PG_URL
    t0 = time.perf_counter()
    for step in ("build", "run1", "run2"):
        out = Path(data_dir) / f"lights-{step}.json"
        cmd = [sys.executable, "-m", "bench.run", "--lights-step", step]
        cmd += ["--lights-size", str(size), "--out", str(out)]
        h.log(f"lights {backend} {size}: {step} starts")
        t = time.perf_counter()
        try:
            proc = subprocess.run(  # noqa: PLW1510
                cmd, cwd=ROOT, env=env, stdout=sys.stderr, timeout=args.lights_timeout
            )
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"error": "the child wrote no result"}
        result["child_exit"] = rc
        result["process_wall_s"] = round(time.perf_counter() - t, 1)
        case[step] = result
        h.log(f"lights {backend} {size}: {step} done in {result['process_wall_s']} s (exit {rc})")
        if rc != 0:
            case["error"] = f"{step} failed"
            break
    case["wall_seconds"] = round(time.perf_counter() - t0, 1)
    if args.keep_data:
        case["data_dir"] = data_dir
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return case


def summary_row(case: dict) -> dict:
    row = {"backend": case["backend"], "tasks": case["tasks"]}
    if case.get("skipped") or case.get("error"):
        row["error"] = case.get("note") or case.get("error")
    target_s = TARGET_S.get(case["tasks"])
    target_mb = TARGET_PEAK_MB.get(case["tasks"])
    row["tasks_total"] = case.get("build", {}).get("tasks_total")
    for step in ("run1", "run2"):
        r = case.get(step, {}).get("run")
        if not r:
            continue
        met = None
        if target_s is not None:
            met = r["seconds"] < target_s
            if target_mb is not None:
                met = met and r["ru_maxrss_mb"] < target_mb
        row[step] = {
            "today": r["today"],
            "seconds": r["seconds"],
            "tasks_per_s": r["tasks_per_s"],
            "peak_rss_mb": r["ru_maxrss_mb"],
            "queries": r["queries"],
            "created": r["result"].get("created"),
            "changed": r["result"].get("changed"),
            "unchanged": r["result"].get("unchanged"),
            "cpu_s": round(r["cpu_s"]["user"] + r["cpu_s"]["system"], 1),
            "postgres_backend_cpu_s": r["cpu_s"]["postgres_backend"],
            "other_cpu_cores": r.get("other_cpu_cores"),
            "busy_during": [f"{b['name']} {b['cpu']}" for b in r["busy_processes_during"]],
            "target_met": met,
        }
    return row


# --- the child ---------------------------------------------------------------------------------


def child(args, h) -> int:
    out_path = Path(args.out)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # a stray print() must not reach the parent's stdout
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    result: dict = {
        "step": args.lights_step,
        "size": args.lights_size,
        "ru_maxrss_mb_before_django": h.maxrss(),
    }
    rc = 0
    try:
        import django

        django.setup()
        result["ru_maxrss_mb_after_setup"] = h.maxrss()
        if args.lights_step == "build":
            build(args.lights_size, result, h)
        else:
            measure(args.lights_step, result, h)
    except Exception:  # noqa: BLE001 - report what failed alongside what was measured
        result["error"] = traceback.format_exc()
        h.log(result["error"])
        rc = 1
    out_path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    sys.stdout = real_stdout
    return rc


def database_info() -> dict:
    from django.db import connection

    info = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("select sqlite_version()")
            info["version"] = cur.fetchone()[0]
            for pragma in ("journal_mode", "synchronous", "cache_size", "mmap_size"):
                cur.execute(f"PRAGMA {pragma}")
                info[pragma] = cur.fetchone()[0]
        else:
            cur.execute("show server_version")
            info["version"] = cur.fetchone()[0]
            for name in ("shared_buffers", "work_mem", "jit", "max_wal_size", "synchronous_commit"):
                cur.execute(f"SHOW {name}")
                info[name] = cur.fetchone()[0]
    return info


def database_size_mb() -> float | None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("select pg_database_size(current_database())")
            return round(cur.fetchone()[0] / 2**20, 1)
    name = Path(str(connection.settings_dict["NAME"]))
    sizes = [p.stat().st_size for p in (name, Path(f"{name}-wal")) if p.exists()]
    return round(sum(sizes) / 2**20, 1) if sizes else None


def table_counts() -> dict:
    from luoshi.dispatch.models import Cycle, Slot
    from luoshi.ledger.models import Assignment, Milestone, Plan, Task
    from luoshi.supervision.models import LightChange, Problem, TaskLight

    return {
        m.__name__: m.objects.count()
        for m in (Plan, Task, Assignment, Milestone, Cycle, Slot, Problem, TaskLight, LightChange)
    }


def settle(out: dict) -> None:
    """What a quiet night gives a database: on PostgreSQL `VACUUM ANALYZE` (autovacuum's work
    after a million-row load or update) and a CHECKPOINT; on SQLite a WAL checkpoint. Then the
    OS writes its dirty pages out, so they do not land in the timed run. SQLite gets no
    ANALYZE: nothing in the app runs one."""
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE")
            with contextlib.suppress(Exception):
                cur.execute("CHECKPOINT")
        else:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()
    out["settle_s"] = round(time.perf_counter() - t, 1)


# --- building the ledger -------------------------------------------------------------------


class Writer:
    """The bench's ledger written as plain tuples through the app's own set-based writer
    (`luoshi.core.bulk.insert_rows`: sqlite3 executemany, COPY on PostgreSQL), ids given."""

    def insert(self, model, fields: tuple[str, ...], rows: list[tuple]) -> int:
        from luoshi.core import bulk

        return bulk.insert_rows(model, fields, rows)


def _aware(day: dt.date, hour: int = 17) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build(size: int, out: dict, h) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max

    from luoshi.core.calendar import current_calendar
    from luoshi.demo import city
    from luoshi.dispatch.models import Cycle, Schedule, Slot
    from luoshi.ledger.models import Category, Milestone, Plan, Task
    from luoshi.org.models import Person, Unit
    from luoshi.supervision.models import PlanLightRules, Problem

    out["database"] = database_info()
    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out["migrate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    call_command("demo", quiet=True, stdout=io.StringIO())
    out["demo_s"] = round(time.perf_counter() - t, 1)
    have = Task.objects.count()
    n = max(0, size - have)
    out["demo_tasks"] = have
    h.log(f"lights build: migrated, demo city loaded ({have} tasks); writing {n} tasks")

    rng = random.Random(SEED)
    cal = current_calendar()
    units = list(Unit.objects.filter(depth__gte=1).order_by("pk").values_list("pk", flat=True))
    people = list(Person.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    leaders = people[:6]
    office = Unit.objects.get(name=city.SUPERVISION_OFFICE)

    t_all = time.perf_counter()
    # Plans, categories, schedules and cycles through the ORM (a few dozen rows).
    plans = []
    with transaction.atomic():
        for name, share, ncat in PLANS:
            plan = Plan.objects.create(
                name=name,
                year=YEAR,
                owner_unit=office,
                status=Plan.Status.DEPLOYED,
                deployed_at=_aware(dt.date(YEAR, 1, 20), 9),
            )
            cats = Category.objects.bulk_create(
                [Category(plan=plan, name=f"重点工作类别{c + 1}", order=c) for c in range(ncat)]
            )
            schedule = Schedule.objects.create(plan=plan, kind=Schedule.Kind.MONTHLY, day=25)
            cycles = []
            for due in CYCLE_DUES:
                past = _aware(due) < _aware(TODAY, 23)
                cycles.append(
                    Cycle.objects.create(
                        plan=plan,
                        schedule=schedule,
                        period_start=due.replace(day=1),
                        due_at=_aware(due),
                        closes_at=_aware(due + dt.timedelta(days=10)),
                        status=Cycle.Status.CLOSED
                        if due < TODAY - dt.timedelta(days=10)
                        else Cycle.Status.OPEN,
                        closed_at=_aware(due + dt.timedelta(days=10)) if past else None,
                    )
                )
            plans.append((plan, share, [c.pk for c in cats], [c.pk for c in cycles]))
        PlanLightRules.objects.create(plan=plans[-1][0], **PLAN_D_RULES)

    writer = Writer()
    next_id = {
        m.__name__: (m.objects.aggregate(x=Max("pk"))["x"] or 0) + 1
        for m in (Task, Milestone, Slot, Problem)
    }
    # Which plan and category each generated task falls in (contiguous, as imports make them).
    bounds, start = [], 0
    for k, (plan, share, cats, cycles) in enumerate(plans):
        count = n - start if k == len(plans) - 1 else int(n * share)
        bounds.append((start, start + count, plan.pk, cats, cycles))
        start += count

    gen = Generator(rng, cal, units, people, leaders)
    written = dict.fromkeys(("tasks", "milestones", "slots", "problems"), 0)
    timings = dict.fromkeys(("generate_s", "write_s"), 0.0)
    for lo, hi, plan_id, cats, cycles in bounds:
        size_p = hi - lo
        for c0 in range(lo, hi, CHUNK):
            c1 = min(hi, c0 + CHUNK)
            t = time.perf_counter()
            batch = gen.chunk(next_id, plan_id, cats, cycles, c0 - lo, c1 - lo, size_p)
            timings["generate_s"] += time.perf_counter() - t
            t = time.perf_counter()
            with transaction.atomic():
                writer.insert(Task, TASK_FIELDS, batch["tasks"])
                writer.insert(Milestone, MILESTONE_FIELDS, batch["milestones"])
                writer.insert(Slot, SLOT_FIELDS, batch["slots"])
                writer.insert(Problem, PROBLEM_FIELDS, batch["problems"])
            timings["write_s"] += time.perf_counter() - t
            for key in written:
                written[key] += len(batch[key])
            if written["tasks"] % 200_000 < CHUNK or c1 == hi:
                h.log(f"lights build: {written['tasks']}/{n} tasks written")
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Task, Milestone, Slot, Problem]
            ):
                cur.execute(sql)
    out["generated"] = written | {k: round(v, 1) for k, v in timings.items()}
    out["generated"]["seconds"] = round(time.perf_counter() - t_all, 1)
    out["generated"]["tasks_per_s"] = round(n / (time.perf_counter() - t_all)) if n else None
    out["profile"] = gen.stats
    settle(out)
    out["counts"] = table_counts()
    out["tasks_total"] = out["counts"]["Task"]
    out["database_size_mb"] = database_size_mb()
    out["ru_maxrss_mb"] = h.maxrss()
    h.log(f"lights build: {out['generated']}; {out['counts']}")


TASK_FIELDS = (
    "id",
    "plan_id",
    "category_id",
    "no",
    "key",
    "sort_key",
    "title",
    "content",
    "lead_leader_id",
    "primary_unit_id",
    "owner_id",
    "start_date",
    "deadline",
    "ongoing",
    "deadline_text",
    "key_task",
    "status",
    "completed_on",
    "percent",
    "last_update",
)
MILESTONE_FIELDS = ("id", "task_id", "date", "name", "expected_percent", "reached_on")
SLOT_FIELDS = (
    "id",
    "cycle_id",
    "task_id",
    "unit_id",
    "due_at",
    "status",
    "submitted_at",
    "days_late",
)
PROBLEM_FIELDS = (
    "id",
    "task_id",
    "unit_id",
    "title",
    "raised_by_id",
    "raised_at",
    "raised_level",
    "level",
    "level_entered_on",
    "sla_due_on",
    "assignee_id",
    "status",
    "closed_at",
    "resolution",
)


class Generator:
    """The bench's ledger, task by task, from one seeded RNG. Shares (of generated tasks):
    10% ongoing (长期坚持), 10% done (a quarter of them late), 3% suspended or cancelled, the rest
    open (deadlines 15% past, 85% ahead, a fifth of those at year end); start dates on 40% of
    open tasks, % complete on 75%; 3 milestones on a third of the tasks (a fifth of the past ones
    not reached); report slots in 4 monthly cycles for 40% of open and ongoing tasks (a tenth
    of those with a second unit); open problems on ~1% (levels 1–3), resolved ones on 0.5%."""

    def __init__(self, rng, cal, units, people, leaders):
        self.rng = rng
        self.cal = cal
        self.units = units
        self.people = people
        self.leaders = leaders
        self.year_start = dt.date(YEAR, 1, 1)
        self.year_end = dt.date(YEAR, 12, 31)
        self.stats = dict.fromkeys(
            (
                "ongoing",
                "done",
                "done_late",
                "off",
                "open",
                "open_past_deadline",
                "with_start",
                "with_percent",
                "with_milestones",
                "milestones_overdue",
                "with_slots",
                "slots_missing",
                "problems_open",
                "problems_resolved",
            ),
            0,
        )
        self.sla = {}

    def _day(self, offset: int) -> dt.date:
        return TODAY + dt.timedelta(days=offset)

    def chunk(self, next_id, plan_id, cats, cycles, i0, i1, plan_size) -> dict:
        rng, st = self.rng, self.stats
        tasks, milestones, slots, problems = [], [], [], []
        ncat = len(cats)
        per_cat = -(-plan_size // ncat)
        for i in range(i0, i1):
            task_id = self._take(next_id, "Task")
            cat = i // per_cat
            no = i - cat * per_cat + 1
            unit = rng.choice(self.units)
            start = deadline = completed = percent = None
            ongoing = False
            status = "in_progress"
            r = rng.random()
            if r < 0.10:  # ongoing
                ongoing = True
                deadline_text = "长期坚持"
                percent = rng.choice([None, None, 30, 50, 60, 80])
                st["ongoing"] += 1
            elif r < 0.20:  # done
                deadline = self._day(rng.randint(-160, 90))
                late = rng.random() < 0.25
                if late:
                    completed = deadline + dt.timedelta(days=rng.randint(1, 25))
                else:
                    completed = deadline - dt.timedelta(days=rng.randint(0, 60))
                completed = min(completed, TODAY - dt.timedelta(days=1))
                if completed > deadline:
                    st["done_late"] += 1
                status, percent = "done", 100
                st["done"] += 1
            elif r < 0.23:  # suspended or cancelled
                deadline = self._day(rng.randint(-60, 180))
                status = "suspended" if r < 0.215 else "cancelled"
                percent = rng.choice([None, 10, 20, 40])
                st["off"] += 1
            else:  # open
                st["open"] += 1
                if rng.random() < 0.15:
                    deadline = self._day(-rng.randint(1, 90))
                    st["open_past_deadline"] += 1
                elif rng.random() < 0.2:
                    deadline = self.year_end
                else:
                    deadline = self._day(rng.randint(1, 200))
                if rng.random() < 0.15:
                    status = "not_started"
                if rng.random() < 0.4:
                    start = self.year_start + dt.timedelta(days=rng.randint(0, 150))
                    if start >= deadline:
                        start = deadline - dt.timedelta(days=30)
                    st["with_start"] += 1
                if rng.random() < 0.75:
                    span_start = start or self.year_start
                    span = max(1, (deadline - span_start).days)
                    share = min(1.0, max(0.0, (TODAY - span_start).days / span))
                    percent = max(0, min(95, int(share * 100 + rng.gauss(0, 20)) // 5 * 5))
                    if status == "not_started":
                        percent = 0
                    st["with_percent"] += 1
            if deadline is not None:
                deadline_text = f"{deadline.month}月{deadline.day}日前"
            tasks.append(
                (
                    task_id,
                    plan_id,
                    cats[min(cat, ncat - 1)],
                    str(no),
                    str(i + 1),
                    f"{min(cat, ncat - 1) + 1:03d}.{no:07d}",
                    f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}第{i + 1}批",
                    rng.choice(CONTENT),
                    rng.choice(self.leaders),
                    unit,
                    rng.choice(self.people) if rng.random() < 0.7 else None,
                    start,
                    deadline,
                    ongoing,
                    deadline_text,
                    rng.random() < 0.2,
                    status,
                    completed,
                    percent,
                    None,
                )
            )
            # Milestones: 3 on a third of the tasks, spread from the start to the deadline.
            if rng.random() < 1 / 3:
                st["with_milestones"] += 1
                m0 = start or self.year_start + dt.timedelta(days=rng.randint(10, 60))
                m1 = deadline or self.year_end
                if m1 <= m0:
                    m0 = m1 - dt.timedelta(days=90)
                with_expected = rng.random() < 0.7
                for k in range(3):
                    due = m0 + (m1 - m0) * (k + 1) // 4
                    reached = None
                    if due < TODAY:
                        if status == "done" or rng.random() < 0.8:
                            reached = due + dt.timedelta(days=rng.randint(-10, 3))
                            reached = min(reached, TODAY)
                        else:
                            st["milestones_overdue"] += 1
                    milestones.append(
                        (
                            self._take(next_id, "Milestone"),
                            task_id,
                            due,
                            MILESTONE_NAMES[k + (1 if k and rng.random() < 0.3 else 0)],
                            (30, 60, 90)[k] if with_expected else None,
                            reached,
                        )
                    )
            # Report slots: 40% of the open and ongoing tasks report monthly.
            if status in ("in_progress", "not_started") and rng.random() < 0.4:
                st["with_slots"] += 1
                slot_units = [unit]
                if rng.random() < 0.1:
                    other = rng.choice(self.units)
                    if other != unit:
                        slot_units.append(other)
                for k, cycle_id in enumerate(cycles):
                    due = CYCLE_DUES[k]
                    for u in slot_units:
                        s = self._slot_status(k)
                        if due < TODAY and s in ("pending", "draft", "returned", "missed"):
                            st["slots_missing"] += 1
                        submitted = (
                            _aware(due - dt.timedelta(days=rng.randint(0, 3)), 10)
                            if s in ("submitted", "accepted")
                            else None
                        )
                        slots.append(
                            (
                                self._take(next_id, "Slot"),
                                cycle_id,
                                task_id,
                                u,
                                _aware(due),
                                s,
                                submitted,
                                0,
                            )
                        )
            # Problems: ~1% of tasks have open ones (a few two), 0.5% resolved ones.
            r = rng.random()
            if r < 0.01 and status not in ("done", "cancelled"):
                for _ in range(2 if rng.random() < 0.15 else 1):
                    problems.append(self._problem(next_id, task_id, unit, open_=True))
            elif r < 0.015:
                problems.append(self._problem(next_id, task_id, unit, open_=False))
        return {"tasks": tasks, "milestones": milestones, "slots": slots, "problems": problems}

    @staticmethod
    def _take(next_id: dict, name: str) -> int:
        value = next_id[name]
        next_id[name] = value + 1
        return value

    def _slot_status(self, k: int) -> str:
        r = self.rng.random()
        if k < 2:  # long closed: accepted or missed
            return "accepted" if r < 0.9 else "missed"
        if k == 2:  # the last past-due cycle: a few still open
            for status, p in (
                ("accepted", 0.80),
                ("submitted", 0.86),
                ("returned", 0.88),
                ("draft", 0.90),
                ("pending", 0.93),
            ):
                if r < p:
                    return status
            return "missed"
        return "pending" if r < 0.7 else "draft" if r < 0.9 else "submitted"  # not due yet

    def _problem(self, next_id, task_id, unit, *, open_: bool) -> tuple:
        rng, st = self.rng, self.stats
        level = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.75 else 3
        raised_level = level if rng.random() < 0.5 else 1
        entered = TODAY - dt.timedelta(days=rng.randint(0, 30))
        sla_days = (5, 10, 15)[level - 1]
        key = (entered, sla_days)
        if key not in self.sla:
            self.sla[key] = self.cal.add_working_days(entered, sla_days)
        raised_on = entered - dt.timedelta(days=rng.randint(0, 20) if raised_level < level else 0)
        st["problems_open" if open_ else "problems_resolved"] += 1
        return (
            self._take(next_id, "Problem"),
            task_id,
            unit,
            f"{rng.choice(OBJECTS)}推进中遇到的问题",
            rng.choice(self.people),
            _aware(raised_on, 10),
            raised_level,
            level,
            entered,
            self.sla[key],
            rng.choice(self.people),
            "open" if open_ else "resolved",
            None if open_ else _aware(min(TODAY, entered + dt.timedelta(days=3)), 15),
            "" if open_ else "已协调解决",
        )


# --- the timed runs ------------------------------------------------------------------------


def next_working_day(day: dt.date) -> dt.date:
    from luoshi.core.calendar import current_calendar

    return current_calendar().add_working_days(day, 1)


def mutate(day: dt.date) -> dict:
    """Between the two runs (untimed): what a day brings. One open task in 300 completed on
    `day`; one open problem in 10 resolved; one open slot in 5 of the last past cycle
    submitted late."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from luoshi.dispatch.models import Slot
    from luoshi.ledger.models import Task
    from luoshi.supervision.models import Problem

    with transaction.atomic():
        done = (
            Task.objects.alias(m=F("id") % 300)
            .filter(m=0, status="in_progress")
            .update(status="done", completed_on=day, percent=100)
        )
        resolved = (
            Problem.objects.alias(m=F("id") % 10)
            .filter(m=0, status="open")
            .update(status="resolved", closed_at=timezone.now(), resolution="已解决")
        )
        late = (
            Slot.objects.alias(m=F("id") % 5)
            .filter(m=0, status__in=["pending", "draft"], due_at__lt=_aware(day, 0))
            .update(status="submitted", submitted_at=_aware(day, 9))
        )
    return {"tasks_completed": done, "problems_resolved": resolved, "slots_submitted_late": late}


class QueryCounter:
    """connection.execute_wrapper: statements by kind, and time inside cursor.execute (on SQLite
    a SELECT's rows are produced while fetching, so most of its time is not in here)."""

    def __init__(self):
        self.by_kind: dict[str, list] = {}

    TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = sql.lstrip().split(None, 1)[0].upper() if sql else "?"
            table = self.TABLE.search(sql or "")
            key = f"{kind} {table.group(1)}" if table and kind != "SAVEPOINT" else kind
            entry = self.by_kind.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - t

    def report(self) -> dict:
        return {k: {"n": v[0], "execute_s": round(v[1], 2)} for k, v in self.by_kind.items()}


class Breakdown:
    """Where a run's time goes: timing wrappers on the set-based writes recompute_lights makes
    per chunk (`core.bulk.insert_rows` / `update_rows` / `upsert_rows`, by table; the ledger's
    shown lights go through `ledger.services.record_lights` → `upsert_rows(ShownLight)`), set
    for the run and removed after it; the app's code is unchanged. The rest is reading the
    chunks and computing the lights."""

    def __init__(self):
        from luoshi.core import bulk

        self.bulk = bulk
        self.timers: dict[str, float] = {}
        self.saved: list = []

    def __enter__(self):
        for name, verb in (
            ("insert_rows", "insert"),
            ("update_rows", "update"),
            ("upsert_rows", "upsert"),
        ):
            orig = getattr(self.bulk, name)
            self.saved.append((name, orig))
            setattr(self.bulk, name, self._timed(orig, verb))
        return self

    def __exit__(self, *exc):
        for name, orig in reversed(self.saved):
            setattr(self.bulk, name, orig)
        return False

    def _timed(self, fn, verb):
        def wrapper(model, *a, **kw):
            label = f"{verb} {model.__name__}"
            t = time.perf_counter()
            try:
                return fn(model, *a, **kw)
            finally:
                self.timers[label] = self.timers.get(label, 0.0) + time.perf_counter() - t

        return wrapper

    def report(self, total: float) -> dict:
        out = {k: round(v, 2) for k, v in sorted(self.timers.items())}
        out["rest: read chunks, compute lights, audit, commit"] = round(
            total - sum(self.timers.values()), 2
        )
        return out


class RssSampler(threading.Thread):
    """VmRSS of this process every `interval` seconds while the run goes on."""

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.t0 = time.perf_counter()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def rss_mb(self) -> float:
        try:
            return int(Path("/proc/self/statm").read_text().split()[1]) * self.page / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.perf_counter() - self.t0, self.rss_mb()))
            self.stop.wait(self.interval)

    def series(self, points: int = 24) -> list[list[float]]:
        if not self.samples:
            return []
        step = max(1, len(self.samples) // points)
        picked = self.samples[::step] + [self.samples[-1]]
        return [[round(t, 1), round(m, 1)] for t, m in picked]


def _cpu_ticks() -> dict[int, tuple[int, str]]:
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[int(d.name)] = (
                int(fields[11]) + int(fields[12]),
                stat[stat.index("(") + 1 : stat.rindex(")")],
            )
    return out


def _machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: all but idle and iowait).
    Over a run, minus this process and its PostgreSQL backend, it is what everything else on
    the machine used, short-lived processes (test runs) included."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def measure(step: str, out: dict, h) -> None:
    from django.db import connection

    from luoshi.core.actors import system_actor
    from luoshi.supervision.models import LightChange, TaskLight
    from luoshi.supervision.services import recompute_lights

    out["database"] = database_info()
    out["code_under_test_sha256"] = code_fingerprint()
    day = TODAY if step == "run1" else next_working_day(TODAY)
    if step == "run2":
        out["changes_before_run"] = mutate(day)
        h.log(f"lights {step}: changes before the run {out['changes_before_run']}")
    settle(out)
    before = table_counts()
    out["counts_before"] = before
    actor = system_actor()
    backend_pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("select pg_backend_pid()")
            backend_pid = cur.fetchone()[0]
    gc.collect()
    rss_before = h.maxrss()
    counter = QueryCounter()
    sampler = RssSampler()
    tick = os.sysconf("SC_CLK_TCK")
    h.log(f"lights {step}: recompute_lights(today={day}) over {before['Task']} tasks")
    cpu0 = _cpu_ticks()
    machine0 = _machine_busy_s()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    sampler.start()
    t = time.perf_counter()
    with connection.execute_wrapper(counter), Breakdown() as breakdown:
        result = recompute_lights(actor=actor, today=day)
    seconds = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    machine1 = _machine_busy_s()
    cpu1 = _cpu_ticks()
    mine = {os.getpid(), os.getppid(), backend_pid}
    with contextlib.suppress(OSError):  # the orchestrator (the parent's parent)
        mine.add(int(Path(f"/proc/{os.getppid()}/stat").read_text().split(")")[1].split()[1]))
    busy = []
    for pid, (ticks, name) in cpu1.items():
        if pid in mine:
            continue
        # a process started during the run counts from 0; one that ended is only in the total
        share = (ticks - cpu0.get(pid, (0, ""))[0]) / tick / seconds
        if share >= 0.2:
            busy.append({"pid": pid, "name": name, "cpu": round(share, 2)})
    busy.sort(key=lambda b: -b["cpu"])
    backend_cpu = None
    if backend_pid in cpu0 and backend_pid in cpu1:
        backend_cpu = round((cpu1[backend_pid][0] - cpu0[backend_pid][0]) / tick, 1)
    own_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    others = (machine1 - machine0 - own_cpu - (backend_cpu or 0)) / seconds
    tasks = result.get("tasks") or before["Task"]
    after = table_counts()
    run = {
        "today": day.isoformat(),
        "seconds": round(seconds, 2),
        "tasks": tasks,
        "tasks_per_s": round(tasks / seconds),
        "result": result,
        "ru_maxrss_mb_before_run": rss_before,
        "ru_maxrss_mb": h.maxrss(),
        "rss_sampled_max_mb": round(max((m for _, m in sampler.samples), default=0), 1),
        "rss_series_s_mb": sampler.series(),
        "breakdown_s": breakdown.report(seconds),
        "queries": sum(v[0] for v in counter.by_kind.values()),
        "statements": counter.report(),
        "cpu_s": {
            "user": round(ru1.ru_utime - ru0.ru_utime, 1),
            "system": round(ru1.ru_stime - ru0.ru_stime, 1),
            "postgres_backend": backend_cpu,
        },
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "machine_cpu_busy_cores": round((machine1 - machine0) / seconds, 2),
        "other_cpu_cores": round(max(0.0, others), 2),
        "busy_processes_during": busy,
        "light_changes_written": after["LightChange"] - before["LightChange"],
        "task_lights_after": after["TaskLight"],
        "tasks_without_light_after": _unlit(),
        "stored_lights_written_today": TaskLight.objects.filter(as_of=day).count(),
        "light_changes_on_day": LightChange.objects.filter(on=day).count(),
    }
    out["run"] = run
    out["database_size_mb_after"] = database_size_mb()
    h.log(
        f"lights {step}: {run['seconds']} s, {run['tasks_per_s']} tasks/s, peak RSS "
        f"{run['ru_maxrss_mb']} MB, {run['queries']} queries, {result}; other processes used "
        f"{run['other_cpu_cores']} cores: {busy}"
    )


def code_fingerprint() -> dict:
    """The files the figures depend on, by content hash (other people change the code while
    the bench runs; this says which version was measured)."""
    import hashlib

    files = [
        "luoshi/supervision/services/lights.py",
        "luoshi/supervision/rules.py",
        "luoshi/ledger/services.py",
        "luoshi/core/workdays.py",
    ]
    out = {}
    for name in files:
        with contextlib.suppress(OSError):
            out[name] = hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]
    return out


def _unlit() -> int:
    from luoshi.ledger.models import Task

    return Task.objects.filter(shown_light__isnull=True).count()
