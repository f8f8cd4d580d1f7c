"""`make reliability`: the product's reliability proofs against a real server, on SQLite and, when
it answers, PostgreSQL (issue #12). Each database gets a fresh data directory and the demo city;
then:

* fuzz   schemathesis against /api/openapi.json on gunicorn, as an administrator and as a
         reporter: every generated request must answer without a server error and match the
         schema documented for its status;
* tamper the audit-trail tampering cases (luoshi/core/tests/test_audit_tamper.py), each of
         which must be detected;
* backup `luoshi backup`, more writes, `luoshi restore`: every table must come back as it was
         backed up, with the audit chain verified;
* crash  the server killed with SIGKILL under writers, and an import killed part-way
         (reliability/crash.py): no acknowledged write lost, imports all or nothing.

Writes reliability/last.json and the "Last run" section of docs/reliability.md; exits 1 when any
proof fails. Bounded: schemathesis runs RELIABILITY_EXAMPLES examples per operation.

    python -m reliability.run                     # both databases
    python -m reliability.run --only sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

from bench.run import prepare_postgres, start_server
from reliability import crash

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = os.environ.get(
    "LUOSHI_RELIABILITY_PG_URL", "postgres://postgres@127.0.0.1:5432/luoshi_reliability"
)
EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "10"))
PASSWORD = "luoshi-demo-2026"
DOC = ROOT / "docs" / "reliability.md"
MARK_START, MARK_END = "<!-- last run: start -->", "<!-- last run: end -->"
TABLES_DIGEST = (
    "import json; from luoshi.core.backup import table_digests; print(json.dumps(table_digests()))"
)
MORE_WORK = """
from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.org.models import Unit
unit = Unit.objects.order_by("id").first()
plan = services.create_plan(actor=system_actor(), name="备份之后的计划", year=2026, owner_unit=unit)
services.create_task(plan, actor=system_actor(), title="备份之后的任务", responsible_units=[unit])
"""


def log(msg: str) -> None:
    print(f"[reliability] {msg}", file=sys.stderr, flush=True)


def luoshi(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(BIN / "luoshi"), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"luoshi {' '.join(args)} failed: {done.stderr[-3000:]}")
    return done.stdout


def token(base: str, username: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{base}/api/token/", body, timeout=30) as reply:
        return json.load(reply)["token"]


def fuzz(base: str, role: str, key: str, workdir: Path) -> dict:
    """One schemathesis run; returns cases generated, failures and seconds."""
    started = time.monotonic()
    cmd = [
        str(BIN / "st"),
        "run",
        f"{base}/api/openapi.json",
        "-H",
        f"Authorization: Token {key}",
        "-n",
        str(EXAMPLES),
        "--phases=examples,coverage,fuzzing",
        "-c",
        "not_a_server_error,response_schema_conformance",
        "--suppress-health-check=all",
        "--max-failures=100",
        "--no-color",
    ]
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)
    out = done.stdout + done.stderr
    (workdir / f"schemathesis-{role}.log").write_text(out)
    generated = re.search(r"(\d+) generated", out)
    failures = re.search(r"found (\d+) unique failure", out)
    result = {
        "role": role,
        "cases": int(generated.group(1)) if generated else 0,
        "failures": int(failures.group(1)) if failures else (0 if done.returncode == 0 else -1),
        "seconds": round(time.monotonic() - started, 1),
    }
    if result["failures"]:
        result["report"] = out[-6000:]
    return result


def tamper(env: dict, workdir: Path) -> dict:
    started = time.monotonic()
    junit = workdir / "tamper.xml"
    done = subprocess.run(
        [
            str(BIN / "pytest"),
            "-p",
            "no:randomly",
            f"--junitxml={junit}",
            "luoshi/core/tests/test_audit_tamper.py",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    suite = ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    return {
        "cases": tests - skipped,
        "detected": tests - skipped - failed,
        "not_applicable": skipped,
        "ok": done.returncode == 0,
        "seconds": round(time.monotonic() - started, 1),
        **({} if done.returncode == 0 else {"report": (done.stdout + done.stderr)[-4000:]}),
    }


def backup_round_trip(env: dict, workdir: Path) -> dict:
    started = time.monotonic()
    backup = workdir / "luoshi.backup"
    before = json.loads(luoshi(env, "shell", "--no-imports", "-c", TABLES_DIGEST))
    luoshi(env, "backup", str(backup))
    luoshi(env, "shell", "--no-imports", "-c", MORE_WORK)
    changed = json.loads(luoshi(env, "shell", "--no-imports", "-c", TABLES_DIGEST))
    luoshi(env, "restore", "--noinput", str(backup))
    after = json.loads(luoshi(env, "shell", "--no-imports", "-c", TABLES_DIGEST))
    verify = luoshi(env, "audit_verify")
    differ = sorted(t for t in before if before[t] != after.get(t))
    return {
        "tables": len(before),
        "rows": sum(n for n, _ in before.values()),
        "backup_bytes": backup.stat().st_size,
        "changed_between": sum(1 for t in before if before[t] != changed.get(t)),
        "tables_differing_after_restore": differ,
        "audit": verify.strip().splitlines()[0],
        "ok": not differ and "intact" in verify,
        "seconds": round(time.monotonic() - started, 1),
    }


def run_database(name: str, database_url: str | None) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"luoshi-reliability-{name}-"))
    env = {
        **os.environ,
        "LUOSHI_DATA_DIR": str(workdir),
        "DEBUG": "0",
        "LUOSHI_INSECURE_DEV_KEY": "1",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    result: dict = {"database": name, "run_at": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"}
    log(f"{name}: migrate and load the demo city")
    luoshi(env, "migrate", "-v0")
    luoshi(env, "demo", "--quiet")
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        server, base, logfile = start_server(kind="gunicorn", workers=2)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        result["fuzz"] = []
        for role in ("admin", "reporter"):
            log(f"{name}: fuzzing the API as {role} ({EXAMPLES} examples per operation)")
            result["fuzz"].append(fuzz(base, role, token(base, role), workdir))
    finally:
        server.terminate()
        server.wait(timeout=30)
        logfile.seek(0)
        server_errors = logfile.read().decode(errors="replace").count("Internal Server Error")
        logfile.close()
    result["server_errors_logged"] = server_errors
    log(f"{name}: audit tampering cases")
    result["tamper"] = tamper(env, workdir)
    log(f"{name}: backup, more writes, restore")
    result["backup"] = backup_round_trip(env, workdir)
    log(f"{name}: SIGKILL of the server under writers, {crash.KILLS} times")
    result["crash"] = crash.server_kills(env, token)
    log(f"{name}: SIGKILL during a {crash.IMPORT_ROWS:,}-row import, {crash.IMPORT_KILLS} times")
    result["import_kill"] = crash.import_kills(env, workdir)
    result["ok"] = (
        all(f["failures"] == 0 and f["cases"] > 0 for f in result["fuzz"])
        and result["tamper"]["ok"]
        and result["backup"]["ok"]
        and result["crash"]["ok"]
        and result["import_kill"]["ok"]
    )
    if result["ok"]:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        result["workdir"] = str(workdir)
    return result


def _markdown(results: list[dict], started: dt.datetime) -> str:
    lines = [
        MARK_START,
        "Runs: "
        + ", ".join(
            f"{r['database']} {r.get('run_at', f'{started:%Y-%m-%d %H:%M} UTC')}" for r in results
        )
        + f"; `make reliability`, {EXAMPLES} schemathesis examples per operation.",
        "",
        "| database | fuzz cases (admin / reporter) | fuzz failures | "
        "test_audit_tamper.py tests passed | "
        "backup: tables, rows | tables differing after restore | audit after restore | "
        "server SIGKILLs: writes acknowledged, lost | import SIGKILLs: all or nothing |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['database']} | skipped: {r['skipped']} | | | | | | | |")
            continue
        f = r["fuzz"]
        t = r["tamper"]
        b = r["backup"]
        c, i = r["crash"], r["import_kill"]
        lines.append(
            f"| {r['database']} | {f[0]['cases']:,} / {f[1]['cases']:,} | "
            f"{sum(x['failures'] for x in f)} | {t['detected']} of {t['cases']} "
            f"({t['not_applicable']} for the other database) | {b['tables']}, {b['rows']:,} | "
            f"{len(b['tables_differing_after_restore'])} | {b['audit']} | "
            f"{c['kills']}: {c['writes_acknowledged']:,}, {c['writes_lost']} ({c['audit']}; "
            f"integrity {c['integrity']}) | {i['kills']} of {len(i['outcomes'])} runs killed, "
            f"tasks after each: {', '.join(str(o['tasks']) for o in i['outcomes'])} "
            f"of {i['rows']:,} |"
        )
    lines.append(MARK_END)
    return "\n".join(lines)


def write_doc(results: list[dict], started: dt.datetime) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    block = _markdown(results, started)
    if MARK_START in text:
        head, rest = text.split(MARK_START, 1)
        tail = rest.split(MARK_END, 1)[1]
        text = head + block + tail
    else:
        text += "\n## Last run\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    if shutil.which("st", path=str(BIN)) is None:
        log("schemathesis is not installed: `pip install -e .[dev]`")
        return 2
    started = dt.datetime.now(dt.UTC)
    results = []
    if args.only in (None, "sqlite"):
        results.append(run_database("SQLite", None))
    if args.only in (None, "postgresql"):
        ok, note, _version = prepare_postgres(PG_URL)
        if ok:
            results.append(run_database("PostgreSQL", PG_URL))
        else:
            log(f"PostgreSQL skipped: {note}")
            results.append({"database": "PostgreSQL", "skipped": note, "ok": True})
    last = ROOT / "reliability" / "last.json"
    if args.only and last.exists():
        # One database run: the other's figures of its own last run stay in the record.
        ran = {r["database"] for r in results}
        kept = [r for r in json.loads(last.read_text()) if r["database"] not in ran]
        results = sorted(kept + results, key=lambda r: r["database"] != "SQLite")
    last.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_doc(results, started)
    for r in results:
        log(f"{r['database']}: {'ok' if r['ok'] else 'FAILED'}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
