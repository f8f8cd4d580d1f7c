"""Fixtures shared by every app's tests: a small organisation with a person in each role."""

from types import SimpleNamespace

import pytest

from luoshi.org import services as org
from luoshi.org.models import Role, UnitKind

PASSWORD = "test-pass-123"


@pytest.fixture
def orgtree(db):
    """city ─┬─ office (supervision office; its supervisor's role covers the city)
             ├─ bureau A ─ division A1
             └─ bureau B ─ division B1
    People: admin, supervisor, leader_a, unitadmin_a, reporter_a (in A1), reporter_b (in B1)."""
    city = org.create_unit(None, "测试市", None, kind=UnitKind.CITY)
    office, a, b = org.create_units(
        None,
        [
            {"name": "督查室", "parent": city, "kind": UnitKind.DIVISION},
            {"name": "甲局", "parent": city, "kind": UnitKind.BUREAU},
            {"name": "乙局", "parent": city, "kind": UnitKind.BUREAU},
        ],
    )
    a1, b1 = org.create_units(
        None,
        [
            {"name": "甲局一处", "parent": a, "kind": UnitKind.DIVISION},
            {"name": "乙局一处", "parent": b, "kind": UnitKind.DIVISION},
        ],
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
        None,
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
