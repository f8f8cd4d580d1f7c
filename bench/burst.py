"""Report burst: N report submissions through the API against a real server process.

Setup (in the bench child, untimed): a plan of N + CONTROL_SLOTS + DIAG_SLOTS tasks
imported through the importer, deployed, `open_due_cycles()` for its slots, and one reporter
per responsible unit (reporter role on that unit). The reporters log in through
`POST /api/token/` against the server. A control run of CONTROL_SLOTS submissions from one
thread gives the uncontended latency (and warms the server). Then a few client threads, one
keep-alive HTTP connection each, take the slots from a shared list; each submission is two
requests, made as the slot unit's reporter:

    POST /api/slots/{id}/report/        -> {"id", "version", ...}   (start or fetch)
    POST /api/reports/{id}/submit/      {"progress", "percent", "version"}

Afterwards the database is checked: every slot submitted once, one submit event per report,
the audit hash chain intact. Bounded: N slots, each request once (no retries), a time limit
for the whole burst and for each request, loopback only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PLAN_BURST = "基准测试调度台账"  # the burst's own plan, imported after the latency runs
CONTROL_SLOTS = 200  # submitted one at a time before the burst: the uncontended baseline
IN_PROCESS = 20  # in-process submissions (test Client) after the burst, timed
PROFILED = 20  # and as many again under cProfile
DIAG_SLOTS = 1 + IN_PROCESS + PROFILED  # extra slots, not in the burst, for the diagnosis
REPORTER_PASSWORD = "bench-Reporter-2026"
REQUEST_TIMEOUT_S = 60


# --- processes' CPU time, from /proc -------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """The process and its direct children (gunicorn's workers)."""
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (d / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    kids.append(int(d.name))
    return [pid, *kids]


def _cpu_s(pid: int) -> float | None:
    """CPU seconds of the process and its direct children (those alive now)."""
    total, seen = 0.0, False
    for p in _tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            seen = True
    return total if seen else None


def _postgres_cpu_s() -> float:
    """CPU time of every process named postgres (the local server: backends, walwriter, …)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (d / "stat").read_text()
            if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
                fields = stat[stat.rindex(")") + 2 :].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak RSS of the process plus its direct children's peaks (summed)."""
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1) if total else None


def _self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --- the client ----------------------------------------------------------------------------


class _NoDelayConnection(http.client.HTTPConnection):
    """Both ends write a message in two pieces: http.client a POST's headers, then its body;
    runserver (wsgiref) the response headers, then the body. With Nagle's algorithm on, the
    second piece waits until the first is acknowledged, and on a keep-alive connection Linux
    delays that ACK by 40 ms: every request took at least 52 ms, of which 8 ms was the
    server's work. So the client sets TCP_NODELAY (as urllib3 and browsers do) and, before
    each response, TCP_QUICKACK (acknowledge at once), and the figures measure the server."""

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """One keep-alive HTTP/1.1 connection (http.client reopens it if the server closes it)."""

    def __init__(self, host: str, port: int):
        self.conn = _NoDelayConnection(host, port, timeout=REQUEST_TIMEOUT_S)
        self.opened = 0  # connections opened (1 when keep-alive held throughout)
        self._open = False

    def post(self, path: str, payload: dict | None, token: str | None = None):
        """(ms, status or error name, parsed body or None)."""
        body = json.dumps(payload or {}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if not self._open:
            self.opened += 1
            self._open = True
        t = time.perf_counter()
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            if hasattr(socket, "TCP_QUICKACK"):  # Linux
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
            if resp.will_close:
                self.conn.close()
                self._open = False
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self._open = False
            return (time.perf_counter() - t) * 1000, type(exc).__name__, None
        ms = (time.perf_counter() - t) * 1000
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return ms, status, parsed

    def close(self) -> None:
        self.conn.close()


class Shared:
    """The work list, handed out under a lock, and the deadline."""

    def __init__(self, jobs: list, deadline: float):
        self.jobs = jobs
        self.next = 0
        self.lock = threading.Lock()
        self.deadline = deadline
        self.timed_out = False

    def take(self):
        with self.lock:
            if time.monotonic() >= self.deadline:
                self.timed_out = self.next < len(self.jobs)
                return None
            if self.next >= len(self.jobs):
                return None
            job = self.jobs[self.next]
            self.next += 1
            return job


def _run_threads(n: int, target, *args) -> list[dict]:
    outs: list[dict] = [{} for _ in range(n)]
    threads = [
        threading.Thread(target=target, args=(*args, outs[i]), name=f"bench-client-{i}")
        for i in range(n)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return outs


def _login_worker(host: str, port: int, shared: Shared, out: dict) -> None:
    c = Client(host, port)
    out.update(ms=[], tokens={}, errors={})
    try:
        while (job := shared.take()) is not None:
            unit_id, username = job
            ms, status, body = c.post(
                "/api/token/", {"username": username, "password": REPORTER_PASSWORD}
            )
            if status == 200 and body and body.get("token"):
                out["ms"].append(ms)
                out["tokens"][unit_id] = body["token"]
            else:
                key = f"login {status}"
                out["errors"][key] = out["errors"].get(key, 0) + 1
    finally:
        c.close()
        out["connections"] = c.opened


def _submit_worker(host: str, port: int, shared: Shared, t0: float, out: dict) -> None:
    c = Client(host, port)
    out.update(start_ms=[], submit_ms=[], done_at=[], errors={}, samples={}, ok=0)

    def err(kind: str, status, body) -> None:
        key = f"{kind} {status}"
        out["errors"][key] = out["errors"].get(key, 0) + 1
        out["samples"].setdefault(key, str(body)[:300])

    try:
        while (job := shared.take()) is not None:
            k, slot_id, token = job
            ms, status, body = c.post(f"/api/slots/{slot_id}/report/", None, token)
            if status != 200 or not body or "id" not in body:
                err("start", status, body)
                continue
            out["start_ms"].append(ms)
            payload = {
                "progress": f"第{k + 1}项：已按计划推进，本期完成阶段目标。",
                "percent": 10 + k % 90,
                "version": body["version"],
            }
            ms, status, body = c.post(f"/api/reports/{body['id']}/submit/", payload, token)
            if status != 200:
                err("submit", status, body)
                continue
            out["submit_ms"].append(ms)
            out["done_at"].append(time.perf_counter() - t0)
            out["ok"] += 1
    finally:
        c.close()
        out["connections"] = c.opened


# --- the benchmark -------------------------------------------------------------------------


def _fifths(done_at: list[float], submit_ms: list[float], summarise) -> list[dict]:
    """Throughput and latency in each fifth of the burst, in completion order: shows whether
    the rate falls as the report, event and audit tables grow."""
    order = sorted(range(len(done_at)), key=done_at.__getitem__)
    out, prev = [], 0.0
    for i in range(5):
        part = order[i * len(order) // 5 : (i + 1) * len(order) // 5]
        if not part:
            continue
        end = done_at[part[-1]]
        out.append(
            {
                "submissions": len(part),
                "per_s": round(len(part) / (end - prev), 1) if end > prev else None,
                "submit_p95_ms": summarise([submit_ms[j] for j in part])["p95_ms"],
            }
        )
        prev = end
    return out


def prepare(bench, n: int) -> dict:
    """Import, deploy, open the cycle, create the reporters. Returns the fixture."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from luoshi.core.actors import system_actor
    from luoshi.dispatch.models import Cycle, Slot
    from luoshi.dispatch.services import open_due_cycles
    from luoshi.ledger.importer import service
    from luoshi.ledger.models import Plan
    from luoshi.ledger.services import deploy_plan
    from luoshi.org.models import Person, Unit
    from luoshi.org.services import create_people

    log = bench.helpers.log
    timings: dict = {}
    rows = n + CONTROL_SLOTS + DIAG_SLOTS
    data, _ = bench.workbook(5, rows)
    t = time.perf_counter()
    report = service.run(data, bench.options(PLAN_BURST), actor=system_actor(), commit=True)
    timings["import_s"] = round(time.perf_counter() - t, 2)
    if report.new != rows:
        raise RuntimeError(f"the burst plan's import created {report.new} tasks, not {rows}")
    plan = Plan.objects.get(name=PLAN_BURST, year=bench.options(PLAN_BURST).year)
    t = time.perf_counter()
    with transaction.atomic():
        handed = deploy_plan(plan, actor=system_actor())
    timings["deploy_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    opened = open_due_cycles()
    timings["open_due_cycles_s"] = round(time.perf_counter() - t, 2)
    cycle = Cycle.objects.filter(plan=plan).order_by("due_at").first()
    if cycle is None:
        raise RuntimeError("open_due_cycles() opened no cycle for the burst plan")
    slots = list(
        Slot.objects.filter(cycle=cycle, status=Slot.Status.PENDING)
        .order_by("id")
        .values_list("id", "unit_id")
    )
    if len(slots) < rows:
        raise RuntimeError(f"the burst plan's cycle has {len(slots)} open slots, not {rows}")

    # One reporter per responsible unit. create_people hashes each password (PBKDF2, ~0.2 s
    # apiece): they are created without one, then all given one hash of the same password.
    t = time.perf_counter()
    unit_ids = sorted({u for _, u in slots})
    units = Unit.objects.in_bulk(unit_ids)
    specs = [
        {
            "full_name": f"调度基准填报员{uid}",
            "username": f"bench-reporter-{uid}",
            "unit": units[uid],
            "roles": ["reporter"],
        }
        for uid in unit_ids
    ]
    people = create_people(specs, actor=system_actor())
    Person.objects.filter(pk__in=[p.pk for p in people]).update(
        password=make_password(REPORTER_PASSWORD)
    )
    timings["reporters_s"] = round(time.perf_counter() - t, 2)
    if connection.vendor == "postgresql":
        # What autovacuum would do for the new plan's rows before anyone reports on it.
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        timings["analyze_s"] = round(time.perf_counter() - t, 2)
    rng = random.Random(7)
    rng.shuffle(slots)  # units interleave, as they would in a real reporting day
    per_unit: dict[int, int] = {}
    for _, u in slots[:n]:
        per_unit[u] = per_unit.get(u, 0) + 1
    fixture = {
        "plan": {"id": plan.pk, "name": plan.name, "tasks": plan.tasks.count()},
        "handed_off": handed,
        "cycles_opened": opened,
        "cycle": {"id": cycle.pk, "due_at": cycle.due_at.isoformat()},
        "open_slots": len(slots),
        "reporters": len(people),
        "units": len(unit_ids),
        "slots_per_reporter": {
            "min": min(per_unit.values()),
            "max": max(per_unit.values()),
            "mean": round(n / len(per_unit), 1),
        },
        "setup_s": timings,
    }
    log(f"burst setup: {fixture}")
    connection.close()  # the child holds no connection (or SQLite lock) during the burst
    return {
        "fixture": fixture,
        "cycle": cycle,
        "timed": slots[:n],
        "control": slots[n : n + CONTROL_SLOTS],
        "diag": slots[n + CONTROL_SLOTS :],
        "usernames": {uid: f"bench-reporter-{uid}" for uid in unit_ids},
    }


def run(bench) -> dict:
    """`bench.helpers` carries run.py's log, start_server, summarise, percentile and the p95
    target (run.py runs as __main__: importing it here would load a second copy)."""
    from django.db import connection

    h = bench.helpers
    log, summarise, percentile = h.log, h.summarise, h.percentile
    args = bench.args
    n, threads = args.burst, args.burst_threads
    prep = prepare(bench, n)
    out: dict = {
        "submissions": n,
        "client_threads": threads,
        "fixture": prep["fixture"],
    }
    bench.result["report_burst"] = out  # what was measured survives a later failure
    server_kind = args.burst_server
    server, base, logfile = h.start_server(threading=True, kind=server_kind, workers=threads)
    host, port = base.removeprefix("http://").split(":")
    port = int(port)
    deadline = time.monotonic() + args.burst_timeout
    server_pid = server.pid
    try:
        # 1. every reporter logs in once (PBKDF2 in the server: ~0.2 s of CPU each)
        t = time.perf_counter()
        logins = _run_threads(
            threads,
            _login_worker,
            host,
            port,
            Shared(sorted(prep["usernames"].items()), deadline),
        )
        tokens = {u: tok for o in logins for u, tok in o["tokens"].items()}
        login_ms = [ms for o in logins for ms in o["ms"]]
        login_errors: dict = {}
        for o in logins:
            for k, v in o["errors"].items():
                login_errors[k] = login_errors.get(k, 0) + v
        out["login"] = {
            "reporters": len(prep["usernames"]),
            "tokens": len(tokens),
            "seconds": round(time.perf_counter() - t, 1),
            "errors": login_errors,
        } | (summarise(login_ms) if login_ms else {})
        log(f"burst: {len(tokens)} reporters logged in: {out['login']}")
        missing = [u for _, u in prep["timed"] if u not in tokens]
        if missing:
            raise RuntimeError(f"{len(set(missing))} reporters could not log in: {login_errors}")

        # 2. the control: one thread, one request at a time (also warms the server)
        t = time.perf_counter()
        ctl = _run_threads(
            1,
            _submit_worker,
            host,
            port,
            Shared(
                [(n + k, sid, tokens[u]) for k, (sid, u) in enumerate(prep["control"])], deadline
            ),
            t,
        )[0]
        ctl_s = time.perf_counter() - t
        out["control"] = {
            "what": "submissions from 1 thread before the burst (the uncontended baseline)",
            "submissions": len(prep["control"]),
            "ok": ctl["ok"],
            "errors": ctl["errors"],
            "seconds": round(ctl_s, 1),
            "submissions_per_s": round(ctl["ok"] / ctl_s, 1) if ctl_s else None,
            "start": summarise(ctl["start_ms"]) if ctl["start_ms"] else None,
            "submit": summarise(ctl["submit_ms"]) if ctl["submit_ms"] else None,
        }
        log(f"burst: control {out['control']}")

        # 3. the burst
        jobs = [(k, sid, tokens[u]) for k, (sid, u) in enumerate(prep["timed"])]
        shared = Shared(jobs, deadline)
        busy = h.busy_processes()
        load_before = os.getloadavg()
        cpu0 = (_cpu_s(server_pid), _self_cpu_s(), _postgres_cpu_s())
        log(f"burst: {n} submissions from {threads} threads against {server_kind}")
        t0 = time.perf_counter()
        outs = _run_threads(threads, _submit_worker, host, port, shared, t0)
        wall = time.perf_counter() - t0
        cpu1 = (_cpu_s(server_pid), _self_cpu_s(), _postgres_cpu_s())
        server_hwm = _vm_hwm_mb(server_pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        logfile.seek(0)
        server_log = logfile.read().decode(errors="replace").splitlines()
        logfile.close()

    start_ms = [x for o in outs for x in o["start_ms"]]
    submit_ms = [x for o in outs for x in o["submit_ms"]]
    done_at = [x for o in outs for x in o["done_at"]]
    ok = sum(o["ok"] for o in outs)
    errors: dict = {}
    samples: dict = {}
    for o in outs:
        for k, v in o["errors"].items():
            errors[k] = errors.get(k, 0) + v
        samples.update(o["samples"])
    attempted = shared.next
    is_pg = connection.vendor == "postgresql"
    cpu = {
        "server_process_s": _server_cpu(cpu0[0], cpu1[0]),
        "client_threads_s": round(cpu1[1] - cpu0[1], 1),
        "postgres_processes_s": round(cpu1[2] - cpu0[2], 1) if is_pg else None,
    }
    out.update(
        {
            "server": _server_description(server_kind, threads),
            "seconds": round(wall, 1),
            "attempted": attempted,
            "ok": ok,
            "errors": errors,
            "error_count": sum(errors.values()),
            "error_samples": samples,
            "timed_out": shared.timed_out,
            "submissions_per_s": round(ok / wall, 1) if wall else None,
            "requests_per_s": round((len(start_ms) + len(submit_ms)) / wall, 1) if wall else None,
            "connections_opened": sum(o["connections"] for o in outs),
            "start": summarise(start_ms) if start_ms else None,
            "submit": summarise(submit_ms) if submit_ms else None,
            "submit_p99_ms": round(percentile(submit_ms, 99), 1) if submit_ms else None,
            "by_fifth": _fifths(done_at, submit_ms, summarise) if done_at else [],
            "cpu_s": cpu,
            "cpu_per_submission_ms": {
                k.removesuffix("_s"): round(v * 1000 / ok, 1) if v is not None and ok else None
                for k, v in cpu.items()
            },
            "server_cpu_share_of_one_core": round(cpu["server_process_s"] / wall, 2)
            if cpu["server_process_s"] is not None and wall
            else None,
            "server_peak_rss_mb": server_hwm,
            "busy_processes_before": busy,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "server_log_errors": [
                line[:300]
                for line in server_log
                if "Traceback" in line or " 500 " in line or "Error" in line
            ][:10],
        }
    )
    log(
        f"burst: {ok}/{n} in {wall:.1f} s = {out['submissions_per_s']}/s; submit "
        f"{out['submit']}; errors {errors}"
    )
    out["verify"] = verify(prep, n)
    try:
        out["diagnosis"] = diagnose(prep)
    except Exception as exc:  # noqa: BLE001 - the burst's figures stand without it
        out["diagnosis"] = {"error": repr(exc)}
    out["target_p95_ms"] = h.target_p95_ms
    out["target_met"] = bool(
        out["submit"]
        and out["submit"]["p95_ms"] < h.target_p95_ms
        and out["start"]["p95_ms"] < h.target_p95_ms
        and not errors
    )
    out["all_ok"] = (
        ok == n and not errors and not shared.timed_out and out["verify"]["all_submitted_once"]
    )
    return out


def _server_cpu(before: float | None, after: float | None) -> float | None:
    """The server's CPU seconds (runserver: one process; gunicorn: master and workers)."""
    if before is None or after is None:
        return None
    return round(after - before, 1)


def _server_description(kind: str, threads: int) -> str:
    if kind == "gunicorn":
        return (
            f"gunicorn luoshi.wsgi, {threads} sync worker processes (README's deployment, "
            "one request per connection)"
        )
    return (
        "`luoshi runserver --noreload` (threaded: one thread per connection, one process, "
        "so Python runs one request at a time under the GIL); HTTP/1.1 keep-alive"
    )


def verify(prep: dict, n: int) -> dict:
    """What the database holds after the burst."""
    from django.db.models import Count

    from luoshi.core import audit
    from luoshi.core.models import AuditRecord
    from luoshi.dispatch.models import Report, ReviewEvent, Slot

    ids = [sid for sid, _ in prep["timed"]]
    by_status = dict(
        Slot.objects.filter(pk__in=ids)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    reports = Report.objects.filter(slot_id__in=ids)
    events = ReviewEvent.objects.filter(report__slot_id__in=ids, action=ReviewEvent.Action.SUBMIT)
    report_ids = [str(r) for r in reports.values_list("id", flat=True)]
    submit_audits = AuditRecord.objects.filter(
        object_type="dispatch.report", action="submit", object_id__in=report_ids
    ).count()
    t = time.perf_counter()
    chain_ok, chain_n, chain_msg = audit.verify_chain()
    out = {
        "slots_by_status": by_status,
        "reports": reports.count(),
        "reports_at_version_2": reports.filter(version=2).count(),
        "submit_events": events.count(),
        "submit_audit_records": submit_audits,
        "audit_chain": {
            "ok": chain_ok,
            "records": chain_n,
            "message": chain_msg,
            "verify_s": round(time.perf_counter() - t, 1),
        },
    }
    out["all_submitted_once"] = (
        by_status.get(Slot.Status.SUBMITTED, 0) == n
        and out["reports"] == n
        and out["submit_events"] == n
        and submit_audits == n
        and chain_ok
    )
    return out


def diagnose(prep: dict) -> dict:
    """After the burst, in this process through the Django test Client (no HTTP server):
    one start and one submit with the SQL captured; IN_PROCESS submissions timed; PROFILED
    submissions under cProfile, for where the server's CPU goes."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from luoshi.org.models import Person

    # One Client: each new one loads the middleware again, and WhiteNoise's scans the static
    # files when it is made (that would be most of the profile).
    client = TestClient()
    tokens = {
        u: Token.objects.get_or_create(user=Person.objects.get(username=name))[0].key
        for u, name in prep["usernames"].items()
    }

    def submit(sid: int, unit_id: int, k: int, on_start=None, on_submit=None) -> None:
        auth = {"HTTP_AUTHORIZATION": f"Token {tokens[unit_id]}"}
        with on_start if on_start is not None else contextlib.nullcontext():
            started = client.post(
                f"/api/slots/{sid}/report/", {}, content_type="application/json", **auth
            )
        report = started.json()
        payload = {
            "progress": f"诊断{k}：按计划推进。",
            "percent": 50,
            "version": report["version"],
        }
        with on_submit if on_submit is not None else contextlib.nullcontext():
            resp = client.post(
                f"/api/reports/{report['id']}/submit/",
                payload,
                content_type="application/json",
                **auth,
            )
        if resp.status_code != 200:
            raise RuntimeError(f"in-process submit: {resp.status_code} {resp.content[:300]!r}")

    def sql_summary(cq) -> dict:
        qs = cq.captured_queries
        slowest = sorted(qs, key=lambda q: -float(q["time"]))[:3]
        return {
            "queries": len(qs),
            "sql_ms": round(sum(float(q["time"]) for q in qs) * 1000, 1),
            "slowest_sql": [
                {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]} for q in slowest
            ],
            "statements": [q["sql"][:90] for q in qs],
        }

    diag = prep["diag"]
    client.get("/api/", HTTP_AUTHORIZATION=f"Token {tokens[diag[0][1]]}")  # loads the middleware
    # 1. one submission with its SQL
    cq_start, cq_submit = CaptureQueriesContext(connection), CaptureQueriesContext(connection)
    submit(*diag[0], 0, cq_start, cq_submit)
    out: dict = {"start_sql": sql_summary(cq_start), "submit_sql": sql_summary(cq_submit)}
    # 2. timed, plain
    plain = diag[1 : 1 + IN_PROCESS]
    t = time.perf_counter()
    for k, (sid, u) in enumerate(plain, 1):
        submit(sid, u, k)
    out["in_process_ms_per_submission"] = round((time.perf_counter() - t) * 1000 / len(plain), 1)
    # 3. profiled
    profiled = diag[1 + IN_PROCESS :]
    prof = cProfile.Profile()
    prof.enable()
    for k, (sid, u) in enumerate(profiled, 1 + IN_PROCESS):
        submit(sid, u, k)
    prof.disable()
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    per = 1000 / len(profiled)

    def name(key) -> str:
        file, line, func = key
        for marker in ("site-packages/", str(Path.cwd()) + "/"):
            if marker in file:
                file = file.split(marker, 1)[1]
        return f"{file}:{line}({func})"

    total = sum(v[2] for v in stats.values())
    out["profile"] = {
        "columns": "[function, calls per submission, ms per submission]",
        "submissions": len(profiled),
        "profiled_ms_per_submission": round(total * per, 1),
        "top_own_time": [
            [name(k), v[1] // len(profiled), round(v[2] * per, 2)]
            for k, v in sorted(stats.items(), key=lambda kv: -kv[1][2])[:12]
        ],
        "luoshi_cumulative": [
            [name(k), v[1] // len(profiled), round(v[3] * per, 2)]
            for k, v in sorted(stats.items(), key=lambda kv: -kv[1][3])
            if k[0].startswith(str(Path.cwd() / "luoshi"))
        ][:12],
    }
    return out


if __name__ == "__main__":  # pragma: no cover - run through bench.run
    sys.exit("run `python -m bench.run` (the burst is one of its phases)")
