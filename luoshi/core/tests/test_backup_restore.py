"""`luoshi backup FILE` / `luoshi restore FILE`: restoring brings every table back row for row
as it was at the backup, with its audit chain intact; a file that is not a backup is refused and
nothing is changed."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection  # noqa: F401  (named in a skipif condition)

from luoshi.core import audit
from luoshi.core.actors import system_actor
from luoshi.core.backup import table_digests
from luoshi.ledger import services as ledger


def _some_work(orgtree, title):
    plan = ledger.create_plan(
        actor=system_actor(), name=f"{title}计划", year=2026, owner_unit=orgtree.a
    )
    ledger.create_task(plan, actor=system_actor(), title=title, responsible_units=[orgtree.a1])


@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_every_table_as_backed_up(orgtree, tmp_path, settings, capsys):
    settings.LUOSHI_AUDIT_CHECKPOINTS = tmp_path / "checkpoints.jsonl"
    _some_work(orgtree, "备份前的任务")
    call_command("audit_verify")
    before = table_digests()
    assert sum(n for n, _digest in before.values()) > 50
    call_command("backup", str(tmp_path / "luoshi.backup"))
    _some_work(orgtree, "备份后的任务")
    call_command("audit_verify")
    assert table_digests() != before

    call_command("restore", str(tmp_path / "luoshi.backup"), interactive=False)
    out = capsys.readouterr().out
    assert "audit chain intact" in out and "set aside" in out
    assert table_digests() == before
    assert audit.verify_chain()[0]
    # The set-aside checkpoints name records the restore took away; the new file starts over.
    aside = list(tmp_path.glob("checkpoints.jsonl.before-restore-*"))
    assert len(aside) == 1 and len(aside[0].read_text().splitlines()) == 2
    assert len(settings.LUOSHI_AUDIT_CHECKPOINTS.read_text().splitlines()) == 1


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_backup_is_refused(orgtree, tmp_path):
    _some_work(orgtree, "任务")
    before = table_digests()
    bogus = tmp_path / "not-a-backup.sqlite3"
    bogus.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 100)
    with pytest.raises(CommandError, match="not a SQLite database"):
        call_command("restore", str(bogus), interactive=False)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing"), interactive=False)
    assert table_digests() == before
