"""Changing a task's responsible and cooperating units through the API is recorded: the
"after" of the audit record is read from the database, not from the list's prefetch."""

import pytest
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services


@pytest.fixture
def task(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="单位计划", year=2026, owner_unit=orgtree.office
    )
    return services.create_task(
        plan,
        actor=system_actor(),
        title="调整单位",
        responsible_units=[orgtree.a1],
        cooperating_units=[orgtree.b],
    )


def test_unit_change_is_audited(orgtree, task):
    api = APIClient(enforce_csrf_checks=True)
    api.force_authenticate(orgtree.supervisor)
    resp = api.patch(
        f"/api/tasks/{task.pk}/",
        {
            "responsible_units": [orgtree.b1.pk, orgtree.a1.pk],
            "cooperating_units": [],
            "version": task.version,
        },
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["responsible_units"] == [orgtree.b1.pk, orgtree.a1.pk]
    assert resp.json()["cooperating_units"] == []
    record = AuditRecord.objects.filter(
        object_type="ledger.task", object_id=str(task.pk), action="update"
    ).get()
    assert record.actor_id == orgtree.supervisor.pk
    assert record.changes["responsible_units"] == [[orgtree.a1.pk], [orgtree.b1.pk, orgtree.a1.pk]]
    assert record.changes["cooperating_units"] == [[orgtree.b.pk], []]
    # The task's history in the API shows it too.
    rows = api.get(f"/api/tasks/{task.pk}/history/").json()["results"]
    assert any("responsible_units" in r["changes"] for r in rows)
