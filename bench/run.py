"""Luoshi benchmark suite: import rate, ledger/API latency at 100k tasks, import memory,
a burst of report submissions through the API (bench/burst.py), and the lights recomputed
for 100,000 and 1,000,000 tasks (bench/lights.py), and the loop after supervision: assessment,
a bulletin and the cockpit over 100,000 tasks (bench/loop.py).

    python -m bench.run                       # everything, both backends; one JSON on stdout
    python -m bench.run --only sqlite         # one backend
    python -m bench.run --only main           # everything but the lights benchmark
    python -m bench.run --only lights         # only the lights benchmark (both backends)
    python -m bench.run --only lights --only postgresql   # the lights benchmark, one backend
    python -m bench.run --only loop           # assessment, bulletin and cockpit (both backends)
    python -m bench.run --backend sqlite --out FILE   # (internal) one backend, in this process
    python -m bench.run --lights-step run1 --lights-size N --out FILE   # (internal) likewise

The top level spawns one child process per backend, so each gets fresh settings and a fresh
database connection (settings are read from the environment at django.setup()). Progress goes
to stderr; the only thing on stdout is the final JSON. docs/benchmarks.md explains the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LUOSHI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/luoshi_bench")

TARGET_IMPORT_ROWS_PER_S = 2000
TARGET_P95_MS = 100.0  # the report burst's
# Issue #11: a list's first page of 50 at 100,000 tasks, through the production server.
TARGET_LIST_P95_MS = 50.0
TARGET_LIST_RAW_FACTOR = 3  # median <= this x the request's raw SQL + the empty view's median
LIST_SERVER_WORKERS = 2
YEAR = 2026
LEADERS = ["张建国(副局长)", "李红梅(副局长)"]
SEARCH_WORD = "公交线路"  # one of the task-title words scale_ledger draws from (~1 task in 13)
PLAN_IMPORT = "基准测试台账A"  # timed 10k import, then re-imported
PLAN_IMPORT_2 = "基准测试台账A2"  # a second timed 10k import
PLAN_MEMORY = "基准测试台账B"  # 10k import under tracemalloc
PLAN_BULK = "基准测试台账C"  # the rest of the 100k tasks, in one plan (the big plan)


_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[bench +{time.monotonic() - _T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def _mb(kib: float) -> float:
    return round(kib / 1024, 1)


def _maxrss_mb() -> float:
    return _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


# --- statistics ------------------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 40 samples is the 38th smallest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "mean_ms": round(statistics.fmean(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
    }


# --- the machine -----------------------------------------------------------------------------


def machine_info() -> dict:
    import sqlite3

    info = {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": "",
        "memory_total_mb": None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite_library": sqlite3.sqlite_version,
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_total_mb"] = int(line.split()[1]) // 1024
    with contextlib.suppress(ImportError):
        import django

        info["django"] = django.get_version()
    return info


def busy_processes(seconds: float = 1.0, threshold: float = 0.2) -> list[dict]:
    """Other processes using more than `threshold` of a CPU over `seconds` (from /proc): the
    figures of a run made while something else was busy are not comparable."""

    def sample() -> dict[int, tuple[int, str]]:
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

    if not Path("/proc/self/stat").exists():
        return []
    tick = os.sysconf("SC_CLK_TCK")
    first = sample()
    time.sleep(seconds)
    second = sample()
    mine = {os.getpid(), os.getppid()}
    busy = []
    for pid, (ticks, name) in second.items():
        if pid in mine or pid not in first:
            continue
        share = (ticks - first[pid][0]) / tick / seconds
        if share >= threshold:
            busy.append({"pid": pid, "name": name, "cpu": round(share, 2)})
    return sorted(busy, key=lambda b: -b["cpu"])


# --- PostgreSQL: drop and recreate the bench database ----------------------------------------


def prepare_postgres(url: str) -> tuple[bool, str, str]:
    """(ok, note, server version). Drops and recreates the database named in `url`."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:  # pragma: no cover - psycopg is a project dependency
        return False, f"psycopg not importable: {exc}", ""
    parts = urllib.parse.urlsplit(url)
    dbname = parts.path.lstrip("/")
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "dbname": "postgres",
        "connect_timeout": 5,
    }
    if parts.password:
        params["password"] = urllib.parse.unquote(parts.password)
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return False, f"PostgreSQL at {params['host']}:{params['port']} unusable: {exc}", ""
    return True, f"database {dbname} dropped and recreated", version


# --- the top level ---------------------------------------------------------------------------


def orchestrate(args) -> int:
    started = time.perf_counter()
    doc: dict = {
        "suite": "luoshi bench",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "busy_processes_at_start": busy_processes(),
        "config": {
            "import_rows": args.import_rows,
            "total_tasks": args.tasks,
            "warmup_requests": args.warmup,
            "timed_requests": args.requests,
            "burst_submissions": args.burst,
            "burst_client_threads": args.burst_threads,
            "burst_server": args.burst_server,
            "burst_timeout_s": args.burst_timeout,
            "postgres_url": PG_URL,
        },
        "targets": {
            "import_commit_rows_per_s": f">= {TARGET_IMPORT_ROWS_PER_S}",
            "latency_p95_ms": f"< {TARGET_LIST_P95_MS:g}",
            "latency_median_ms": f"<= {TARGET_LIST_RAW_FACTOR} x raw SQL + empty JSON view",
            "report_burst_p95_ms": f"< {TARGET_P95_MS:g} (start and submit; no errors)",
        },
        "backends": {},
    }
    only = set(args.only or ())
    backends = [b for b in ("sqlite", "postgresql") if b in only] or ["sqlite", "postgresql"]
    suites = [x for x in ("main", "lights", "loop") if x in only] or ["main", "lights", "loop"]
    doc["suites"] = suites
    for backend in backends if "main" in suites else []:
        env = dict(os.environ)
        env.update(
            {
                "DEBUG": "0",
                "LOG_LEVEL": "ERROR",
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "PYTHONUNBUFFERED": "1",
            }
        )
        data_dir = tempfile.mkdtemp(prefix=f"luoshi-bench-{backend}-")
        env["LUOSHI_DATA_DIR"] = data_dir
        if backend == "sqlite":
            env.pop("DATABASE_URL", None)
        else:
            ok, note, version = prepare_postgres(PG_URL)
            log(f"postgresql: {note}")
            if not ok:
                doc["backends"][backend] = {"skipped": True, "note": note}
                shutil.rmtree(data_dir, ignore_errors=True)
                continue
            doc["machine"]["postgresql_server"] = version
            env["DATABASE_URL"] = PG_URL
        out = Path(data_dir) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "bench.run",
            "--backend",
            backend,
            "--out",
            str(out),
            "--tasks",
            str(args.tasks),
            "--import-rows",
            str(args.import_rows),
            "--requests",
            str(args.requests),
            "--warmup",
            str(args.warmup),
            "--burst",
            str(args.burst),
            "--burst-threads",
            str(args.burst_threads),
            "--burst-timeout",
            str(args.burst_timeout),
            "--burst-server",
            args.burst_server,
        ]
        log(f"{backend}: child process starts (data dir {data_dir})")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=sys.stderr,  # noqa: PLW1510
                timeout=args.timeout,
            )
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"error": "the child wrote no result"}
        result["child_exit"] = rc
        result["wall_seconds"] = round(time.perf_counter() - t0, 1)
        doc["backends"][backend] = result
        log(f"{backend}: done in {result['wall_seconds']} s (exit {rc})")
        if args.keep_data:
            result["data_dir"] = data_dir
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if "lights" in suites:
        from . import lights

        doc["lights"] = lights.orchestrate(args, _helpers(), backends)
    if "loop" in suites:
        from . import loop

        doc["loop"] = loop.orchestrate(args, _helpers(), backends)
    doc["wall_seconds"] = round(time.perf_counter() - started, 1)
    doc["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    doc["busy_processes_at_end"] = busy_processes()
    doc["summary"] = {
        b: r.get("summary", {"skipped": True, "note": r.get("note", r.get("error", ""))})
        for b, r in doc["backends"].items()
    }
    if "lights" in doc:
        doc["summary"]["lights"] = doc["lights"]["summary"]
    if "loop" in doc:
        doc["summary"]["loop"] = doc["loop"]["summary"]
    print(json.dumps(doc, ensure_ascii=False, indent=2))
    failed = [b for b, r in doc["backends"].items() if r.get("child_exit") not in (0, None)]
    failed += [
        f"lights {c['backend']} {c['tasks']}"
        for c in doc.get("lights", {}).get("cases", [])
        if c.get("error")
    ]
    failed += [
        f"loop {c['backend']}" for c in doc.get("loop", {}).get("cases", []) if c.get("error")
    ]
    return 1 if failed else 0


def _helpers():
    """What bench/lights.py uses from this module (passed in: under `python -m bench.run`
    this module is __main__, and importing bench.run again would make a second copy)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        log=log,
        maxrss=_maxrss_mb,
        busy_processes=busy_processes,
        prepare_postgres=prepare_postgres,
    )


# --- the child: one backend ------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.result: dict = {}

    # -- setup
    def setup_database(self) -> None:
        from django.core.management import call_command
        from django.db import connection

        self.result["database"] = {
            "vendor": connection.vendor,
            "engine": connection.settings_dict["ENGINE"],
            "name": str(connection.settings_dict["NAME"]),
        }
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("select sqlite_version()")
                self.result["database"]["version"] = cur.fetchone()[0]
                for pragma in ("journal_mode", "synchronous", "cache_size", "mmap_size"):
                    cur.execute(f"PRAGMA {pragma}")
                    self.result["database"][pragma] = cur.fetchone()[0]
            else:
                cur.execute("show server_version")
                self.result["database"]["version"] = cur.fetchone()[0]
                for name in (
                    "shared_buffers",
                    "work_mem",
                    "jit",
                    "jit_above_cost",
                    "jit_optimize_above_cost",
                    "jit_inline_above_cost",
                ):
                    cur.execute(f"SHOW {name}")
                    self.result["database"][name] = cur.fetchone()[0]
        t = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        migrate_s = time.perf_counter() - t
        t = time.perf_counter()
        call_command("demo", quiet=True, stdout=io.StringIO())
        self.result["setup"] = {
            "migrate_s": round(migrate_s, 2),
            "demo_city_s": round(time.perf_counter() - t, 2),
        }
        log(f"migrated and loaded the demo city ({self.result['setup']})")

    def workbook_inputs(self) -> None:
        """The same names `luoshi demo --scale N` uses (Command.load_scale)."""
        from luoshi.demo import city
        from luoshi.org.models import Person, Unit

        self.unit_names = list(Unit.objects.filter(depth__gte=1).values_list("name", flat=True))
        counts: dict[str, int] = {}
        for name in Person.objects.values_list("full_name", flat=True):
            counts[name] = counts.get(name, 0) + 1
        self.people = [n for n, c in counts.items() if c == 1]
        self.owner = Unit.objects.get(name=city.SUPERVISION_OFFICE)
        self.generator = "scale_ledger"

    def workbook(self, seed: int, rows: int) -> tuple[bytes, float]:
        t = time.perf_counter()
        rng = random.Random(seed)
        if self.generator == "scale_ledger":
            from luoshi.demo.workbooks import scale_ledger

            data = scale_ledger(rng, rows, self.unit_names, self.people, LEADERS, year=YEAR)
        else:
            data = fallback_ledger(rng, rows, self.unit_names, self.people, LEADERS, year=YEAR)
        return data, time.perf_counter() - t

    def options(self, plan_name: str):
        from luoshi.ledger.importer.service import Options

        return Options(plan_name=plan_name, year=YEAR, owner_unit=self.owner)

    # -- 1. import rate
    def import_rate(self) -> None:
        from luoshi.core.actors import system_actor
        from luoshi.ledger.importer import service

        n = self.args.import_rows
        out: dict = {"rows": n}
        self.result["import"] = out
        data, gen_s = self.workbook(1, n)
        t = time.perf_counter()
        report = service.run(data, self.options(PLAN_IMPORT), actor=system_actor(), commit=False)
        dry_s = time.perf_counter() - t
        if report.errors:
            # scale_ledger's file does not import: say why, then use the bench's own generator
            # (same rows; section rows numbered 一、二、…, numbering restarting per section).
            reasons: dict[str, int] = {}
            for e in report.errors:
                key = e["reason"].split(" (")[0]
                reasons[key] = reasons.get(key, 0) + 1
            out["scale_ledger_problem"] = {
                "errors": len(report.errors),
                "reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:5]),
                "first": [
                    {k: e[k] for k in ("row", "column", "value", "reason")}
                    for e in report.errors[:3]
                ],
            }
            log(
                f"scale_ledger's {n}-row workbook fails the dry run ({len(report.errors)} "
                f"errors, e.g. {report.errors[0]['reason']!r}): using bench.run.fallback_ledger"
            )
            self.generator = "bench.run.fallback_ledger"
            data, gen_s = self.workbook(1, n)
            t = time.perf_counter()
            report = service.run(
                data, self.options(PLAN_IMPORT), actor=system_actor(), commit=False
            )
            dry_s = time.perf_counter() - t
            if report.errors:
                raise RuntimeError(f"fallback workbook does not import: {report.errors[:3]}")
        out["workbook"] = {
            "generator": self.generator,
            "bytes": len(data),
            "generate_s": round(gen_s, 2),
        }
        # Two more dry runs: other processes on the machine can only slow a run down, so the
        # best of three is the estimate (every run is reported).
        dry = [dry_s]
        for _ in range(2):
            t = time.perf_counter()
            service.run(data, self.options(PLAN_IMPORT), actor=system_actor(), commit=False)
            dry.append(time.perf_counter() - t)
        out["dry_run"] = _best_rate(n, dry) | {"new": report.new}
        log(f"import dry run: {out['dry_run']}")

        # The commit, with its time split between the importer's steps: timing wrappers are
        # set on the module attributes for this one call (app code is unchanged), and only
        # the module-level functions the importer calls through its globals are wrapped.
        from luoshi.core import audit

        rss_before = _maxrss_mb()
        steps = [
            (service, "analyse", "analyse: read, parse, resolve, compare"),
            (service, "_write", "_write: everything written"),
            (service, "_before_snapshots", "  _before_snapshots (before+after, for audit)"),
            (service, "_write_assignments", "  _write_assignments"),
            (service, "_write_milestones", "  _write_milestones"),
            (audit, "diff", "  audit.diff (one per task)"),
            (audit, "record", "  audit.record (jsonable, hash chain, insert)"),
        ]
        timers = {label: 0.0 for _, _, label in steps}
        originals = [getattr(mod, name) for mod, name, _ in steps]
        for (mod, name, label), orig in zip(steps, originals, strict=True):
            setattr(mod, name, _timed(orig, timers, label))
        try:
            t = time.perf_counter()
            report = service.run(data, self.options(PLAN_IMPORT), actor=system_actor(), commit=True)
            commit_s = time.perf_counter() - t
        finally:
            for (mod, name, _), orig in zip(steps, originals, strict=True):
                setattr(mod, name, orig)
        if report.new != n:
            raise RuntimeError(f"the commit created {report.new} tasks, not {n}")
        self.result["memory"] = {
            "ru_maxrss_mb_before_commit": rss_before,
            "ru_maxrss_mb_after_commit": _maxrss_mb(),
        }
        breakdown = {k: round(v, 2) for k, v in timers.items()}
        written = timers["_write: everything written"] - sum(
            v for k, v in timers.items() if k.startswith("  ")
        )
        breakdown["  rest of _write (tasks bulk_create, categories, ...)"] = round(written, 2)
        breakdown["transaction commit and rest"] = round(
            commit_s
            - timers["analyse: read, parse, resolve, compare"]
            - timers["_write: everything written"],
            2,
        )
        # A second commit of a different 10k workbook into another new plan, untimed parts
        # unwrapped: the estimate is the better of the two.
        data2, _ = self.workbook(4, n)
        t = time.perf_counter()
        report2 = service.run(data2, self.options(PLAN_IMPORT_2), actor=system_actor(), commit=True)
        commit2_s = time.perf_counter() - t
        del data2
        best = _best_rate(n, [commit_s, commit2_s])
        out["commit"] = best | {
            "new": [report.new, report2.new],
            "target_rows_per_s": TARGET_IMPORT_ROWS_PER_S,
            "target_met": best["rows_per_s"] >= TARGET_IMPORT_ROWS_PER_S,
            "breakdown_s (first run)": breakdown,
        }
        log(f"import commit: {out['commit']}")

        again, report = [], None
        for _ in range(2):
            t = time.perf_counter()
            report = service.run(data, self.options(PLAN_IMPORT), actor=system_actor(), commit=True)
            again.append(time.perf_counter() - t)
        out["reimport_same_file"] = _best_rate(n, again) | {
            "new": report.new,
            "changed": report.changed,
            "unchanged": report.unchanged,
            "all_unchanged": report.unchanged == n and not report.new and not report.changed,
        }
        log(f"re-import: {out['reimport_same_file']}")

    # -- 3. memory (a second 10k import, into another plan, under tracemalloc)
    def import_memory(self) -> None:
        import tracemalloc

        from luoshi.core.actors import system_actor
        from luoshi.ledger.importer import service

        n = self.args.import_rows
        data, _ = self.workbook(2, n)
        tracemalloc.start()
        tracemalloc.reset_peak()
        t = time.perf_counter()
        report = service.run(data, self.options(PLAN_MEMORY), actor=system_actor(), commit=True)
        traced_s = time.perf_counter() - t
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.result["memory"].update(
            {
                "tracemalloc_peak_mb": round(peak / 2**20, 1),
                "tracemalloc_retained_mb": round(current / 2**20, 1),
                "traced_commit_s": round(traced_s, 2),
                "traced_commit_rows": report.new,
                "workbook_bytes": len(data),
            }
        )
        log(f"memory: {self.result['memory']}")

    # -- 2a. bring the ledger to 100k tasks, through the importer
    def load_bulk(self) -> None:
        from django.db import connection

        from luoshi.core.actors import system_actor
        from luoshi.ledger.importer import service
        from luoshi.ledger.models import Task

        have = Task.objects.count()
        rows = max(0, self.args.tasks - 3 * self.args.import_rows)
        out: dict = {"rows": rows, "plan": PLAN_BULK}
        self.result["load"] = out
        if rows:
            data, gen_s = self.workbook(3, rows)
            log(f"loading {rows} more tasks ({have} so far) with {self.generator}")
            t = time.perf_counter()
            try:
                report = service.run(
                    data, self.options(PLAN_BULK), actor=system_actor(), commit=True
                )
            except service.ImportFailed as exc:
                if self.generator != "scale_ledger":
                    raise
                out["scale_ledger_problem"] = [e["reason"] for e in exc.report.errors[:3]]
                self.generator = "bench.run.fallback_ledger"
                data, gen_s = self.workbook(3, rows)
                t = time.perf_counter()
                report = service.run(
                    data, self.options(PLAN_BULK), actor=system_actor(), commit=True
                )
            load_s = time.perf_counter() - t
            out.update(
                _rate(rows, load_s)
                | {"new": report.new, "generator": self.generator, "generate_s": round(gen_s, 2)}
            )
        out["tasks_total"] = Task.objects.count()
        out["ru_maxrss_mb_after_load"] = _maxrss_mb()
        if connection.vendor == "postgresql":
            # What autovacuum would have done by the time anyone reads the ledger.
            t = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            out["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
        # Let the load's writes reach the disk now rather than during the latency runs
        # (a CHECKPOINT needs a superuser; without one the OS sync still happens).
        t = time.perf_counter()
        if connection.vendor == "postgresql":
            with contextlib.suppress(Exception), connection.cursor() as cur:
                cur.execute("CHECKPOINT")
        os.sync()
        out["settle_s"] = round(time.perf_counter() - t, 1)
        log(f"load: {out}")

    # -- 2b. latency
    def endpoints(self) -> list[dict]:
        from django.conf import settings
        from django.test import Client
        from rest_framework.authtoken.models import Token

        from luoshi.ledger import access
        from luoshi.ledger.models import Plan
        from luoshi.org.models import Person, Unit, UnitKind

        supervisor = Person.objects.get(username="supervisor")
        reporter = Person.objects.get(username="reporter")
        plan = (
            Plan.objects.get(name=PLAN_BULK, year=YEAR)
            if self.args.tasks > 3 * self.args.import_rows
            else Plan.objects.get(name=PLAN_IMPORT, year=YEAR)
        )
        district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path").first()
        token = Token.objects.get_or_create(user=supervisor)[0].key
        sessions = {}
        for person in (supervisor, reporter):
            c = Client()
            c.force_login(person)
            sessions[person.username] = c.cookies[settings.SESSION_COOKIE_NAME].value
        rep_in_plan = access.tasks_for(reporter).filter(plan=plan).count()
        rep_page = max(1, min(50, math.ceil(rep_in_plan / 50)))
        self.result["latency_fixture"] = {
            "plan": {"id": plan.pk, "name": plan.name, "tasks": plan.tasks.count()},
            "district": {"id": district.pk, "name": district.name},
            "search_word": SEARCH_WORD,
            "reporter_tasks_in_plan": rep_in_plan,
        }
        section = plan.categories.order_by("order").first()
        search = urllib.parse.urlencode({"q": SEARCH_WORD})
        # The ledger page (/tasks/) and the task API, first page of 50, as people open them:
        # the whole ledger, one plan by deadline, a search, a district's subtree, the city-wide
        # overdue list, one ledger section, one status.
        lists = [
            ("first page", ""),
            ("plan, by deadline", f"plan={plan.pk}&sort=deadline"),
            ("search", search),
            ("district subtree", f"unit={district.pk}"),
            ("overdue", "overdue=true"),
            ("section", f"plan={plan.pk}&category={section.pk if section else ''}"),
            ("status", "status=in_progress"),
        ]
        out = []
        for user in ("supervisor", "reporter"):
            for name, query in lists:
                url = "/tasks/" + (f"?{query}" if query else "")
                out.append({"name": f"ledger {name}", "user": user, "url": url, "auth": "session"})
            for name, query in lists:
                url = "/api/tasks/" + (f"?{query}" if query else "")
                auth = "token" if user == "supervisor" else "session"
                out.append({"name": f"api {name}", "user": user, "url": url, "auth": auth})
        desk = {"name": "desk (home page)", "user": "supervisor", "url": "/", "auth": "session"}
        out.append(desk)
        out.append(
            {
                "name": "api plan, page 50",
                "user": "supervisor",
                "url": f"/api/tasks/?plan={plan.pk}&page=50",
                "auth": "token",
            }
        )
        out.append(
            {
                "name": f"api plan, page {rep_page} (last)",
                "user": "reporter",
                "url": f"/api/tasks/?plan={plan.pk}&page={rep_page}",
                "auth": "session",
            }
        )
        # The floor: the same server, middleware and a JSON response, with no work of ours.
        out.append({"name": "empty JSON view", "user": "-", "url": "/health/", "auth": "none"})
        for e in out:
            if e["auth"] == "none":
                e["headers"] = {}
            elif e["auth"] == "token":
                e["headers"] = {"Authorization": f"Token {token}"}
            else:
                e["headers"] = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[e['user']]}"}
        return out

    def latency(self) -> None:
        eps = self.endpoints()
        busy = busy_processes()
        server, base, logfile = start_server(kind="gunicorn", workers=LIST_SERVER_WORKERS)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        samples: list[list[float]] = [[] for _ in eps]
        statuses: list[set] = [set() for _ in eps]
        sizes = [0] * len(eps)
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        try:
            # Round robin: every round asks each endpoint once, so a burst of load from
            # another process on the machine spreads over all endpoints instead of one.
            for i in range(self.args.warmup + self.args.requests):
                for k, e in enumerate(eps):
                    ms, status, sizes[k] = fetch(opener, base + e["url"], e["headers"])
                    statuses[k].add(status)
                    if i >= self.args.warmup:
                        samples[k].append(ms)
                if i == self.args.warmup:
                    log(f"latency: warm-up done, {self.args.requests} rounds of {len(eps)}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            logfile.close()
        results = []
        for k, e in enumerate(eps):
            row = {
                "name": e["name"],
                "user": e["user"],
                "url": e["url"],
                "auth": e["auth"],
                "status": sorted(statuses[k]),
                "bytes": sizes[k],
            } | summarise(samples[k])
            results.append(row)
            log(
                f"{e['user']:<10} {e['url']:<40} median {row['median_ms']:7.1f} ms  "
                f"p95 {row['p95_ms']:7.1f} ms  {sorted(statuses[k])}"
            )
        self.result["latency"] = {
            "method": f"HTTP against `gunicorn luoshi.wsgi -w {LIST_SERVER_WORKERS}` (sync "
            "workers, DEBUG off), one request at a time from this process over loopback, a "
            "new TCP connection per request; endpoints asked in round robin. raw_sql_ms: the "
            "request's SELECTs run again on one connection (median of 5); empty_view_ms: "
            "the median of /health/ on the same server",
            "warmup": self.args.warmup,
            "seconds": round(time.perf_counter() - t0, 1),
            "loadavg_before": [round(x, 2) for x in load_before],
            "busy_processes_before": busy,
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "endpoints": results,
        }
        self.diagnose(eps)
        floor = next(r for r in results if r["url"] == "/health/")["median_ms"]
        self.result["latency"]["empty_view_ms"] = floor
        for r in results:
            if r["url"] == "/health/":
                r["target_met"] = None
                continue
            raw = r.get("diagnosis", {}).get("raw_sql_ms")
            r["median_bound_ms"] = (
                round(TARGET_LIST_RAW_FACTOR * raw + floor, 1) if raw is not None else None
            )
            r["target_met"] = (
                r["p95_ms"] < TARGET_LIST_P95_MS
                and r["median_bound_ms"] is not None
                and r["median_ms"] <= r["median_bound_ms"]
                and r["status"] == [200]
            )

    # -- 4. report burst (after the latency runs, so those see the same ledger as before)
    def report_burst(self) -> None:
        if not self.args.burst:
            return
        from types import SimpleNamespace

        from . import burst

        self.helpers = SimpleNamespace(
            log=log,
            start_server=start_server,
            summarise=summarise,
            percentile=percentile,
            busy_processes=busy_processes,
            target_p95_ms=TARGET_P95_MS,
        )
        burst.run(self)  # fills self.result["report_burst"] as it goes

    def diagnose(self, eps: list[dict]) -> None:
        """One in-process request per endpoint (Django test Client) with its SQL captured:
        queries, SQL time, the slowest statement and the number of matching rows. Not timed:
        the test environment's template instrumentation would inflate the figure."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment

        from luoshi.org.models import Person

        setup_test_environment()
        by_key = {(r["user"], r["url"]): r for r in self.result["latency"]["endpoints"]}
        for e in eps:
            if e["auth"] == "none":
                continue
            client = Client()
            if e["auth"] == "token":
                extra = {"HTTP_AUTHORIZATION": e["headers"]["Authorization"]}
            else:
                client.force_login(Person.objects.get(username=e["user"]))
                extra = {}
            client.get(e["url"], **extra)  # warm
            with CaptureQueriesContext(connection) as cq:
                resp = client.get(e["url"], **extra)
            qs = cq.captured_queries
            slow = max(qs, key=lambda q: float(q["time"])) if qs else {"time": "0", "sql": ""}
            rows = None
            if resp.status_code == 200:
                if e["url"].startswith("/api/"):
                    rows = resp.json().get("count")
                else:
                    with contextlib.suppress(KeyError, TypeError, AttributeError):
                        rows = resp.context["page"].paginator.count
            by_key[(e["user"], e["url"])]["diagnosis"] = {
                "raw_sql_ms": _raw_sql_ms(connection, qs),
                "matching_rows": rows,
                "queries": len(qs),
                "sql_ms": round(sum(float(q["time"]) for q in qs) * 1000, 1),
                "slowest_sql_ms": round(float(slow["time"]) * 1000, 1),
                "slowest_sql": slow["sql"][:400],
            }

    def summary(self) -> None:
        imp = self.result.get("import", {})
        lat = self.result.get("latency", {}).get("endpoints", [])
        worst = max(lat, key=lambda r: r["p95_ms"]) if lat else None
        self.result["summary"] = {
            "import_commit_rows_per_s": imp.get("commit", {}).get("rows_per_s"),
            "import_commit_runs_rows_per_s": imp.get("commit", {}).get("runs_rows_per_s"),
            "import_commit_target_met": imp.get("commit", {}).get("target_met"),
            "import_dry_run_rows_per_s": imp.get("dry_run", {}).get("rows_per_s"),
            "reimport_rows_per_s": imp.get("reimport_same_file", {}).get("rows_per_s"),
            "reimport_all_unchanged": imp.get("reimport_same_file", {}).get("all_unchanged"),
            "tracemalloc_peak_mb": self.result.get("memory", {}).get("tracemalloc_peak_mb"),
            "ru_maxrss_mb_after_10k_commit": self.result.get("memory", {}).get(
                "ru_maxrss_mb_after_commit"
            ),
            "tasks_total": self.result.get("load", {}).get("tasks_total"),
            "latency_target_met": all(r["target_met"] is not False for r in lat) if lat else None,
            "latency_empty_view_ms": self.result.get("latency", {}).get("empty_view_ms"),
            "latency_worst": {k: worst[k] for k in ("user", "url", "median_ms", "p95_ms")}
            if worst
            else None,
            "latency_not_met": [
                f"{r['user']} {r['url']} median {r['median_ms']} (bound {r['median_bound_ms']})"
                f" p95 {r['p95_ms']} ms"
                for r in lat
                if r["target_met"] is False
            ],
        }
        rb = self.result.get("report_burst")
        if rb:
            self.result["summary"]["report_burst"] = {
                "server": self.args.burst_server,
                "submissions_ok": rb.get("ok"),
                "submissions_per_s": rb.get("submissions_per_s"),
                "submit_median_ms": (rb.get("submit") or {}).get("median_ms"),
                "submit_p95_ms": (rb.get("submit") or {}).get("p95_ms"),
                "start_p95_ms": (rb.get("start") or {}).get("p95_ms"),
                "errors": rb.get("error_count"),
                "verified": rb.get("verify", {}).get("all_submitted_once"),
                "target_met": rb.get("target_met"),
            }


def _raw_sql_ms(connection, captured: list[dict], rounds: int = 5) -> float:
    """The request's reads run again as they were sent, on one warm connection: what the
    database alone needs for the page (median of `rounds`)."""
    selects = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    times = []
    with connection.cursor() as cur:
        for _ in range(rounds):
            t = time.perf_counter()
            for sql in selects:
                cur.execute(sql)  # no parameters: nothing in it is a placeholder
                cur.fetchall()
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return round(times[len(times) // 2], 2)


def _rate(rows: int, seconds: float) -> dict:
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds) if seconds else None}


def _best_rate(rows: int, seconds: list[float]) -> dict:
    best = min(seconds)
    return {
        "seconds": round(best, 2),
        "rows_per_s": round(rows / best),
        "runs_s": [round(x, 2) for x in seconds],
        "runs_rows_per_s": [round(rows / x) for x in seconds],
    }


def _timed(fn, timers: dict, key: str):
    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            timers[key] += time.perf_counter() - t

    return wrapper


def start_server(threading: bool = False, kind: str = "runserver", workers: int = 4):
    """`luoshi runserver` on a free loopback port, in its own process, with our environment
    (single-threaded unless `threading`); or, with kind="gunicorn", `gunicorn luoshi.wsgi`
    with `workers` sync workers (gunicorn is not a project dependency: install it first)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logfile = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    if kind == "gunicorn":
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "luoshi.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "120",
        ]
    else:
        cmd = [sys.executable, "-m", "luoshi.manage", "runserver", "--noreload"]
        cmd += [] if threading else ["--nothreading"]
        cmd += ["--skip-checks", f"127.0.0.1:{port}"]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            logfile.seek(0)
            raise RuntimeError(f"{kind} exited: {logfile.read()[-2000:]!r}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}", logfile
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{kind} did not start listening within 60 s")


def fetch(opener, url: str, headers: dict) -> tuple[float, int, int]:
    req = urllib.request.Request(url, headers=headers)
    t = time.perf_counter()
    try:
        with opener.open(req, timeout=120) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body = exc.read()
        status = exc.code
    return (time.perf_counter() - t) * 1000, status, len(body)


def fallback_ledger(
    rng,
    tasks: int,
    units: list[str],
    people: list[str],
    leaders: list[str],
    year: int = YEAR,
    categories: int = 20,
) -> bytes:
    """scale_ledger's rows, in a shape the importer accepts: section rows numbered 一、二、…
    (an Arabic "1、…" alone in the No. column reads as a task), and numbering restarting in
    each section (a through No. above 9999 is refused). Used only when scale_ledger's own
    workbook fails the dry run."""
    import xlsxwriter

    from luoshi.demo.workbooks import DEADLINES, HEADER, _title

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "constant_memory": True, "strings_to_numbers": False}
    )
    ws = wb.add_worksheet("台账")
    ws.write(0, 0, f"{year}年全市重点工作任务台账")
    ws.write_row(1, 0, HEADER)
    row, n = 2, 0
    per_cat = max(1, tasks // categories)
    for c in range(categories):
        count = per_cat if c < categories - 1 else tasks - n
        if count <= 0:
            break
        ws.write(row, 0, f"{_cn(c + 1)}、重点工作类别{c + 1}({count}项)")
        row += 1
        for k in range(1, count + 1):
            n += 1
            ws.write_row(
                row,
                0,
                [
                    str(k),
                    _title(rng, n),
                    "按计划推进",
                    rng.choice(leaders),
                    rng.choice(units),
                    rng.choice(["", rng.choice(units)]),
                    rng.choice(people),
                    rng.choice(DEADLINES),
                    "",
                    rng.choice(["是", "否"]),
                    rng.choice([10, 20, 50]),
                    "个",
                    "每月",
                    "",
                ],
            )
            row += 1
    wb.close()
    return buf.getvalue()


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def child(args) -> int:
    out_path = Path(args.out)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # a stray print() must not reach the parent's stdout
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    bench = Bench(args)
    bench.result["backend"] = args.backend
    bench.result["ru_maxrss_mb_at_start"] = _maxrss_mb()
    rc = 0
    try:
        bench.setup_database()
        bench.workbook_inputs()
        bench.import_rate()
        bench.import_memory()
        bench.load_bulk()
        bench.latency()
        bench.report_burst()
    except Exception:  # noqa: BLE001 - report what failed alongside what was measured
        bench.result["error"] = traceback.format_exc()
        log(bench.result["error"])
        rc = 1
    bench.summary()
    out_path.write_text(json.dumps(bench.result, ensure_ascii=False, indent=2))
    sys.stdout = real_stdout
    return rc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        help="(internal) run one backend in this process",
    )
    p.add_argument("--out", help="(internal) where the child writes its JSON")
    p.add_argument(
        "--only",
        action="append",
        choices=["sqlite", "postgresql", "main", "lights", "loop"],
        help="run one backend only (sqlite, postgresql) and/or one part only (main: import, "
        "latency and burst; lights: the lights benchmark; loop: assessment, bulletin, cockpit); "
        "may be given twice",
    )
    p.add_argument("--tasks", type=int, default=100_000, help="ledger size for the latency runs")
    p.add_argument("--import-rows", type=int, default=10_000, help="rows in the timed import")
    p.add_argument("--requests", type=int, default=40, help="timed requests per endpoint")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests per endpoint")
    p.add_argument(
        "--burst",
        type=int,
        default=5000,
        help="report submissions in the burst (0: no burst)",
    )
    p.add_argument("--burst-threads", type=int, default=4, help="client threads in the burst")
    p.add_argument(
        "--burst-timeout", type=int, default=600, help="seconds allowed for the burst's requests"
    )
    p.add_argument(
        "--burst-server",
        choices=["runserver", "gunicorn"],
        default="gunicorn",
        help="server for the burst (gunicorn, the production server, by default)",
    )
    p.add_argument("--timeout", type=int, default=1500, help="seconds allowed per backend")
    p.add_argument(
        "--keep-data",
        action="store_true",
        help="keep each backend's temporary data directory (SQLite file)",
    )
    p.add_argument(
        "--lights-sizes",
        default="100000,1000000",
        help="ledger sizes for the lights benchmark, comma-separated",
    )
    p.add_argument(
        "--lights-timeout", type=int, default=3600, help="seconds allowed per lights step"
    )
    p.add_argument(
        "--lights-step", choices=["build", "run1", "run2"], help="(internal) one lights step"
    )
    p.add_argument("--lights-size", type=int, default=100_000, help="(internal) its size")
    p.add_argument("--loop-tasks", type=int, default=100_000, help="tasks in the loop's plan")
    p.add_argument("--loop-units", type=int, default=1_000, help="units the loop assesses")
    p.add_argument("--loop-step", choices=["build", "run"], help="(internal) one loop step")
    args = p.parse_args(argv)
    if args.loop_step:
        if not args.out:
            p.error("--loop-step needs --out")
        from . import loop

        return loop.child(args, _helpers())
    if args.lights_step:
        if not args.out:
            p.error("--lights-step needs --out")
        from . import lights

        return lights.child(args, _helpers())
    if args.backend:
        if not args.out:
            p.error("--backend needs --out")
        return child(args)
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
