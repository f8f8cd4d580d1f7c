"""Reads from a read replica when one is configured: read-only requests of a browser that has
not just written read the replica; writes, transactions and the requests after a write read
the primary."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from luoshi.core import routers
from luoshi.core.concurrent import read_at_once
from luoshi.org.models import Unit


@pytest.fixture
def router(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    return routers.ReadReplicaRouter()


def test_reads_go_to_the_replica_only_inside_replica_reads(router):
    assert router.db_for_read(Unit) == "default"
    with routers.replica_reads():
        assert router.db_for_read(Unit) == "replica"
        assert router.db_for_write(Unit) == "default"
    assert router.db_for_read(Unit) == "default"


@pytest.mark.django_db
def test_a_transaction_reads_the_primary(router):
    with routers.replica_reads(), transaction.atomic():
        assert router.db_for_read(Unit) == "default"


def test_no_replica_configured_means_the_primary(settings):
    with routers.replica_reads():
        assert routers.ReadReplicaRouter().db_for_read(Unit) == "default"


def test_only_the_primary_is_migrated():
    r = routers.ReadReplicaRouter()
    assert r.allow_migrate("default", "ledger") and not r.allow_migrate("replica", "ledger")


def _seen_by_view(router):
    seen = {}

    def view(request):
        seen["db"] = router.db_for_read(Unit)
        return HttpResponse("ok")

    return seen, routers.ReplicaReadsMiddleware(view)


def test_a_read_only_request_reads_the_replica_until_the_browser_writes(router):
    seen, middleware = _seen_by_view(router)
    rf = RequestFactory()
    middleware(rf.get("/tasks/"))
    assert seen["db"] == "replica"
    response = middleware(rf.post("/tasks/1/edit/"))
    assert seen["db"] == "default"
    pin = response.cookies[routers.PIN_COOKIE]
    assert pin["max-age"] == 10 and pin["httponly"]
    # The page after the save (its redirect) reads the primary: the person sees their change.
    request = rf.get("/tasks/1/")
    request.COOKIES[routers.PIN_COOKIE] = "1"
    middleware(request)
    assert seen["db"] == "default"


def test_the_cockpits_side_by_side_reads_keep_the_routing(router, settings):
    settings.LUOSHI_CONCURRENT_READS = True
    # Outside a transaction (no database is touched: only the routing is read on each thread).
    with routers.replica_reads():
        got = read_at_once(lambda: router.db_for_read(Unit), lambda: router.db_for_read(Unit))
    assert got == ["replica", "replica"]


def test_settings_add_the_replica_the_router_and_a_pool_from_the_environment(tmp_path):
    env = os.environ | {
        "LUOSHI_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://luoshi@primary.example:5432/luoshi",
        "DATABASE_REPLICA_URL": "postgres://luoshi@replica.example:5432/luoshi",
        "LUOSHI_DB_POOL": "8",
    }
    code = (
        "import json, luoshi.settings as s;"
        "print(json.dumps({'hosts': [s.DATABASES[a]['HOST'] for a in ('default', 'replica')],"
        "'mirror': s.DATABASES['replica']['TEST'], 'routers': s.DATABASE_ROUTERS,"
        "'pool': s.DATABASES['default']['OPTIONS']['pool']['max_size'],"
        "'age': s.DATABASES['default']['CONN_MAX_AGE'],"
        "'middleware': 'luoshi.core.routers.ReplicaReadsMiddleware' in s.MIDDLEWARE}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    assert got == {
        "hosts": ["primary.example", "replica.example"],
        "mirror": {"MIRROR": "default"},
        "routers": ["luoshi.core.routers.ReadReplicaRouter"],
        "pool": 8,
        "age": 0,
        "middleware": True,
    }
