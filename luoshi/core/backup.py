"""Backup and restore of the database: SQLite's online backup (a consistent copy while the server
keeps writing), PostgreSQL's pg_dump / pg_restore in their custom format. Uploaded files live in
LUOSHI_DATA_DIR/files and are copied with the file system (README, Backup).

A restore puts the database back as it was at the backup: the audit records written since are
gone, which the checkpoints written since would (rightly) report as removed records. So the
checkpoint file is set aside, named with the moment of the restore, the restored chain is
verified and a new checkpoint starts the file again."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import audit


class BackupError(Exception):
    pass


def table_digests() -> dict[str, list]:
    """Every table of the database (m2m tables included) as [row count, SHA-256 of its sorted
    rows]: two databases with equal digests hold the same rows. `make reliability` compares a
    restored database with its backup this way."""
    from django.apps import apps

    out: dict[str, list] = {}
    with connection.cursor() as cur:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.proxy or table in out:
                continue
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(json.dumps(row, default=str) for row in cur.fetchall())
            out[table] = [len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()]
    return out


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: postgresql-client)")
    # A fixed program with arguments built here, never a shell: nothing the user typed.
    done = subprocess.run(cmd, env=_pg_env(), capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}")


def backup(path: str | Path) -> Path:
    """Write a copy of the database to `path` (replaced only once the copy is complete)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".luoshi-backup-", dir=path.parent)
    os.close(fd)
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(tmp)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        elif connection.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={tmp}"])
        else:
            raise BackupError(f"no backup for the {connection.vendor} database")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _check_sqlite_file(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = db.execute("PRAGMA integrity_check").fetchone()
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a SQLite database: {e}") from e
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")
    if not {"django_migrations", "core_auditrecord"} <= tables:
        raise BackupError(f"{path} is not a Luoshi database")


def restore(path: str | Path) -> tuple[int, str]:
    """Replace the database with the backup at `path`, then verify its audit chain. Returns
    (records verified, where the old checkpoint file was set aside, or "")."""
    path = Path(path).resolve()
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    if connection.vendor == "sqlite":
        _check_sqlite_file(path)
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        connection.close()  # pg_restore drops and recreates the tables this connection reads
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ]
        )
    else:
        raise BackupError(f"no restore for the {connection.vendor} database")
    set_aside = ""
    marks = settings.LUOSHI_AUDIT_CHECKPOINTS
    if marks and os.path.exists(marks):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        set_aside = f"{marks}.before-restore-{stamp}"
        os.replace(marks, set_aside)
    ok, count, message = audit.verify_chain()
    if not ok:
        raise BackupError(f"restored, but the audit chain is broken: {message}")
    audit.checkpoint()
    return count, set_aside
