"""Fixtures shared by every app's tests: a small organisation with a person in each role."""

import importlib
from types import SimpleNamespace

import pytest

from luoshi.core.actors import system_actor
from luoshi.org import services as org
from luoshi.org.models import Role, UnitKind

pytest_plugins = ["luoshi.ledger.tests.browser"]  # Playwright fixtures, defined once

PASSWORD = "test-pass-123"


@pytest.fixture
def orgtree(db):
    """city ─┬─ office (supervision office; its supervisor's role covers the city)
             ├─ bureau A ─ division A1
             └─ bureau B ─ division B1
    People: admin, supervisor, leader_a, unitadmin_a, reporter_a (in A1), reporter_b (in B1)."""
    city = org.create_unit("测试市", None, actor=system_actor(), kind=UnitKind.CITY)
    office, a, b = org.create_units(
        [
            {"name": "督查室", "parent": city, "kind": UnitKind.DIVISION},
            {"name": "甲局", "parent": city, "kind": UnitKind.BUREAU},
            {"name": "乙局", "parent": city, "kind": UnitKind.BUREAU},
        ],
        actor=system_actor(),
    )
    a1, b1 = org.create_units(
        [
            {"name": "甲局一处", "parent": a, "kind": UnitKind.DIVISION},
            {"name": "乙局一处", "parent": b, "kind": UnitKind.DIVISION},
        ],
        actor=system_actor(),
    )
    specs = [
        ("admin", "管理员", city, Role.ADMIN, city),
        ("supervisor", "督查员", office, Role.SUPERVISOR, city),
        ("leader_a", "甲领导", a, Role.LEADER, a),
        ("unitadmin_a", "甲管理", a, Role.UNIT_ADMIN, a),
        ("reporter_a", "甲填报", a1, Role.REPORTER, a1),
        ("reporter_b", "乙填报", b1, Role.REPORTER, b1),
    ]
    people = org.create_people(
        [
            {
                "username": u,
                "full_name": n,
                "unit": unit,
                "password": PASSWORD,
                "roles": [r],
                "role_unit": ru,
            }
            for u, n, unit, r, ru in specs
        ],
        actor=system_actor(),
    )
    ns = SimpleNamespace(city=city, office=office, a=a, b=b, a1=a1, b1=b1)
    for p in people:
        setattr(ns, p.username, p)
    return ns


@pytest.fixture
def login(client):
    def _login(person):
        client.force_login(person)
        return client

    return _login


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: ids repeat across tests once a test's transaction
    is rolled back (SQLite reuses them), so a value cached under one test's ids would be read
    back by the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _flushable_audit_trail(request):
    """Let a transactional test's flush empty the audit tables.

    The audit table refuses DELETE and its head refuses deletion through triggers (core
    migrations 0003, 0006); on PostgreSQL both refuse TRUNCATE too. SQLite's flush DELETEs: before
    it, empty the tables with the triggers lifted, in one transaction that restores them.
    PostgreSQL's flush TRUNCATEs: the session sets the flag the TRUNCATE guard lets through."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so torn down after this
    yield
    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        # The TRUNCATE guard (core migration 0006) lets this session's flush through.
        with connection.cursor() as cur:
            cur.execute("SET luoshi.audit_flush = 'on'")
        return
    migrations = [
        importlib.import_module(f"luoshi.core.migrations.{name}")
        for name in ("0003_audit_append_only", "0006_audit_head_guarded")
    ]
    with transaction.atomic(), connection.cursor() as cur:
        for migration in migrations:
            for sql in migration.SQLITE_DROP:
                cur.execute(sql)
        cur.execute("DELETE FROM core_auditrecord")
        cur.execute("DELETE FROM core_audithead")
        for migration in migrations:
            for sql in migration.SQLITE:
                cur.execute(sql)


@pytest.fixture(autouse=True, scope="session")
def _audit_checkpoints_apart(tmp_path_factory):
    """Checkpoints of the test databases' chains go to a file of the run's own, not var/."""
    from django.conf import settings

    settings.LUOSHI_AUDIT_CHECKPOINTS = tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"
