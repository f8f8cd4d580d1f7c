"""Crash safety (issue #12), run by reliability/run.py on each database:

* the production server (gunicorn, 2 workers) under a writer load — threads changing tasks'
  progress through the API, each write carrying the version it read — is killed with SIGKILL,
  master and workers at once, KILLS times, and started again each time. Afterwards every write
  the server acknowledged (200) must be in the database with its audit record, the audit chain
  must verify and (SQLite) the file must pass its integrity check;
* `luoshi import_ledger --commit` of a large workbook is killed with SIGKILL part-way, IMPORT_KILLS
  times: each time the plan holds all of the workbook's tasks or none.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))
IMPORT_KILLS = int(os.environ.get("RELIABILITY_IMPORT_KILLS", "3"))
IMPORT_ROWS = 20_000
WRITERS = 4

ACKED_IN_AUDIT = """
import json
from luoshi.core.models import AuditRecord
found = set()
for changes, oid in AuditRecord.objects.filter(object_type="ledger.task").values_list(
    "changes", "object_id"
).iterator():
    after = (changes.get("progress") or [None, None])[1]
    if isinstance(after, str) and after.startswith("crash-"):
        found.add(f"{oid}:{after}")
print(json.dumps({"audited": sorted(found)}))
"""
TASK_IDS = """
import json
from luoshi.ledger.models import Task
print(json.dumps(list(Task.objects.order_by("id").values_list("id", flat=True)[:40])))
"""
SQLITE_INTEGRITY = """
from django.db import connection
with connection.cursor() as cur:
    cur.execute("PRAGMA integrity_check")
    print(cur.fetchone()[0])
"""
IMPORTED = """
import json
from luoshi.ledger.models import Plan, Task
plan = Plan.objects.filter(name={plan!r}).first()
print(json.dumps(Task.objects.filter(plan=plan).count() if plan else 0))
"""
WORKBOOK = """
import random
from luoshi.demo.workbooks import scale_ledger
from luoshi.org.models import Unit
from django.db.models import Count
# Names only one unit has: the fuzzing before may have made namesakes, which an import refuses.
units = list(
    Unit.objects.values("name").annotate(n=Count("id")).filter(n=1).order_by("name")
    .values_list("name", flat=True)[:30]
)
book = scale_ledger(random.Random(5), {rows}, units, ["王强", "李娜"], ["张建国(副局长)"])
open({path!r}, "wb").write(book)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "luoshi.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: one SIGKILL takes master and workers
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /health/ within 60 s")


def _kill(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()


class Writers:
    """Threads changing tasks' progress; each keeps the writes the server acknowledged."""

    def __init__(self, base: str, token: str, task_ids: list[int]):
        self.base, self.token = base, token
        self.acked: list[str] = []
        self.attempts = self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(task_ids[i::WRITERS], i), daemon=True)
            for i in range(WRITERS)
        ]

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.load(reply)

    def _run(self, ids: list[int], n: int) -> None:
        serial = 0
        while not self.stop.is_set():
            task_id = ids[serial % len(ids)]
            serial += 1
            mark = f"crash-{n}-{serial}"
            with self.lock:
                self.attempts += 1
            try:
                version = self._call("GET", f"/api/tasks/{task_id}/")["version"]
                self._call(
                    "PATCH", f"/api/tasks/{task_id}/", {"progress": mark, "version": version}
                )
            except (OSError, http.client.HTTPException, ValueError):
                with self.lock:
                    self.errors += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.acked.append(f"{task_id}:{mark}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def _shell(env: dict, code: str) -> str:
    done = subprocess.run(
        [str(BIN / "luoshi"), "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def server_kills(env: dict, token_for) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(env, port)
    token = token_for(base, "admin")
    ids = json.loads(_shell(env, TASK_IDS))
    rng = random.Random(12)
    started = time.monotonic()
    kills = 0
    with Writers(base, token, ids) as writers:
        while kills < KILLS:
            time.sleep(rng.uniform(0.5, 2.0))
            _kill(server)
            kills += 1
            server = _start(env, port)
        time.sleep(1.0)
    acked = list(writers.acked)
    _kill(server)
    seen = json.loads(_shell(env, ACKED_IN_AUDIT))
    audited = set(seen["audited"])
    lost = [w for w in acked if w not in audited]
    verify = subprocess.run(
        [str(BIN / "luoshi"), "audit_verify", "--no-checkpoint"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    integrity = _shell(env, SQLITE_INTEGRITY) if "DATABASE_URL" not in env else "n/a (PostgreSQL)"
    return {
        "kills": kills,
        "writes_attempted": writers.attempts,
        "writes_acknowledged": len(acked),
        "writes_lost": len(lost),
        "lost_examples": lost[:5],
        "audit": (verify.stdout or verify.stderr).strip().splitlines()[0],
        "integrity": integrity,
        "seconds": round(time.monotonic() - started, 1),
        "ok": not lost and verify.returncode == 0 and integrity in ("ok", "n/a (PostgreSQL)"),
    }


def import_kills(env: dict, workdir: Path) -> dict:
    book = workdir / "crash-import.xlsx"
    _shell(env, WORKBOOK.format(rows=IMPORT_ROWS, path=str(book)))
    outcomes = []
    started = time.monotonic()

    def import_into(plan: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                str(BIN / "luoshi"),
                "import_ledger",
                str(book),
                "--plan",
                plan,
                "--year",
                "2026",
                "--create-missing",
                "--commit",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    # Once whole, to know how long an import takes (and that it brings every row) ...
    t0 = time.monotonic()
    if import_into("完整导入").wait() != 0:
        raise RuntimeError("the uninterrupted import failed")
    whole = time.monotonic() - t0
    outcomes.append(
        {"killed": False, "tasks": json.loads(_shell(env, IMPORTED.format(plan="完整导入")))}
    )
    # ... then killed at points spread over its second half, where it writes.
    for n in range(IMPORT_KILLS):
        plan = f"中断导入{n}"
        proc = import_into(plan)
        time.sleep(whole * (0.5 + 0.45 * (n + 1) / IMPORT_KILLS))
        finished = proc.poll() is not None
        if not finished:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        count = json.loads(_shell(env, IMPORTED.format(plan=plan)))
        outcomes.append({"killed": not finished, "tasks": count})
    return {
        "kills": sum(o["killed"] for o in outcomes),
        "whole_import_seconds": round(whole, 1),
        "outcomes": outcomes,
        "rows": IMPORT_ROWS,
        "seconds": round(time.monotonic() - started, 1),
        "ok": outcomes[0]["tasks"] == IMPORT_ROWS
        and all(o["tasks"] in (0, IMPORT_ROWS) for o in outcomes),
    }
