"""Hand-off (交办 → 签收): deploying hands each task to its responsible units, which acknowledge
it or ask for reassignment; the deployer sees who has not, for how many working days."""

import datetime as dt

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.ledger import services
from luoshi.ledger.models import Assignment, Plan


@pytest.fixture
def deployed(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="交办计划", year=2026, owner_unit=orgtree.office
    )
    t1 = services.create_task(
        plan,
        actor=system_actor(),
        title="甲任务",
        responsible_units=[orgtree.a1],
        cooperating_units=[orgtree.b1],
    )
    t2 = services.create_task(
        plan, actor=system_actor(), title="双单位任务", responsible_units=[orgtree.a1, orgtree.b1]
    )
    assert services.deploy_plan(plan, actor=orgtree.supervisor) == 3
    return plan, t1, t2


def test_deploy_hands_off_to_responsible_units_only(deployed):
    plan, t1, _ = deployed
    assert Assignment.objects.get(task=t1, role="cooperating").ack == ""
    assert Assignment.objects.filter(task__plan=plan, ack="pending").count() == 3
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DEPLOYED


def test_reporter_acknowledges_own_unit_only(orgtree, deployed, client):
    _, t1, t2 = deployed
    mine = Assignment.objects.get(task=t1, unit=orgtree.a1)
    theirs = Assignment.objects.get(task=t2, unit=orgtree.b1)
    with pytest.raises(OutOfScope):
        services.acknowledge([theirs], actor=orgtree.reporter_a)
    client.force_login(orgtree.reporter_a)
    resp = client.post(f"/assignments/{mine.pk}/acknowledge/")
    assert resp.status_code == 302
    mine.refresh_from_db()
    assert mine.ack == "acknowledged" and mine.acked_by == orgtree.reporter_a
    assert client.post(f"/assignments/{theirs.pk}/acknowledge/").status_code in (403, 404)
    assert AuditRecord.objects.filter(action="acknowledge", object_id=str(t1.pk)).count() == 1
    with pytest.raises(RuleViolation):
        services.acknowledge([mine], actor=orgtree.reporter_a)


def test_reassignment_request_needs_a_reason_and_is_answered(orgtree, deployed):
    plan, t1, _ = deployed
    a = Assignment.objects.get(task=t1, unit=orgtree.a1)
    with pytest.raises(RuleViolation):
        services.request_reassignment(a, "  ", actor=orgtree.reporter_a)
    services.request_reassignment(a, "不属于本处职责", actor=orgtree.reporter_a)
    a.refresh_from_db()
    assert a.ack == "reassign" and a.reason == "不属于本处职责"
    new = services.reassign(a, orgtree.b1, actor=orgtree.supervisor)
    assert new.ack == "pending" and new.unit == orgtree.b1
    assert not Assignment.objects.filter(pk=a.pk).exists()
    t1.refresh_from_db()
    assert t1.primary_unit == orgtree.b1


def test_deployer_sees_who_has_not_acknowledged_in_working_days(orgtree, deployed):
    plan, t1, _ = deployed
    # Handed off on Friday 2026-09-25; on Monday 2026-10-12 (after National Day) it has waited
    # Sep 28, 29, 30, Oct 8, 9, 10 (make-up Saturday), 12 = 7 working days.
    handed = timezone.make_aware(dt.datetime(2026, 9, 25, 10, 0))
    Assignment.objects.filter(task__plan=plan).update(handed_off_at=handed)
    rows = services.unacknowledged(
        Plan.objects.filter(pk=plan.pk), current_calendar(), today=dt.date(2026, 10, 12)
    )
    assert len(rows) == 3
    assert {r["working_days"] for r in rows} == {7}


def test_plan_page_lists_pending_hand_offs(orgtree, deployed, client):
    plan, _, _ = deployed
    client.force_login(orgtree.supervisor)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert body.count("甲局一处") >= 2 and "双单位任务" in body
