"""The home page (工作台) per role, and 催报: counts match the database, every count links to
its rows, the urge reaches the unit's inbox once and is audited, a second within the gap is
refused."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.desk import access, services
from luoshi.desk.models import Urge
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Slot
from luoshi.ledger import services as ledger
from luoshi.notify.models import Message


@pytest.fixture
def world(orgtree):
    today = timezone.localdate()
    plan = ledger.create_plan(
        actor=system_actor(), name="工作台计划", year=today.year, owner_unit=orgtree.office
    )
    late = ledger.create_task(
        plan,
        actor=system_actor(),
        title="逾期的任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        deadline=today - dt.timedelta(days=10),
    )
    todo = ledger.create_task(
        plan,
        actor=system_actor(),
        title="待报的任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    other = ledger.create_task(
        plan,
        actor=system_actor(),
        title="乙局的任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
    )
    ledger.deploy_plan(plan, actor=system_actor())
    dispatch.open_due_cycles()
    slot = Slot.objects.filter(task=late).order_by("due_at").first()
    report, _ = dispatch.start_report(slot, actor=orgtree.reporter_a)
    dispatch.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, progress="已完成一半"
    )
    slot.refresh_from_db()
    return {"plan": plan, "late": late, "todo": todo, "other": other, "slot": slot}


def _home(client, person):
    client.force_login(person)
    resp = client.get(reverse("desk:home"))
    assert resp.status_code == 200
    return resp


def test_the_home_is_the_root_and_the_ledger_moved(orgtree, client):
    assert reverse("desk:home") == "/"
    assert reverse("ledger:task_list") == "/tasks/"
    assert client.get("/").status_code == 302  # log in first
    resp = _home(client, orgtree.reporter_a)
    assert 'href="/tasks/"' in resp.content.decode()  # the menu still reaches the ledger


def test_supervisor_counts_match_the_database(orgtree, world, client):
    resp = _home(client, orgtree.supervisor)
    ctx = resp.context
    today = timezone.localdate()
    assert ctx["overdue_count"] == 1 == access.overdue_tasks(orgtree.supervisor, today).count()
    assert [t.title for t in ctx["overdue"]] == ["逾期的任务"]
    cycle = ctx["cycle"]
    assert cycle is not None
    rows = {r["unit__name"]: r for r in ctx["units"]}
    for name, row in rows.items():
        slots = Slot.objects.filter(cycle=cycle, unit__name=name)
        assert row["due"] == slots.count()
        assert row["done"] == slots.filter(status__in=("submitted", "accepted")).count()
        assert row["missing"] == row["due"] - row["done"]
    if world["slot"].cycle_id == cycle.pk:
        assert rows["甲局一处"]["done"] >= 1
    assert rows["乙局一处"]["missing"] >= 1 and rows["乙局一处"]["may_urge"]
    body = resp.content.decode()
    # Every count links to the rows behind it.
    assert 'href="/tasks/?overdue=true"' in body
    assert 'href="/tasks/?light=red"' in body
    assert reverse("dispatch:cycle_detail", args=[cycle.pk]) in body
    assert reverse("desk:urge", args=[cycle.pk]) in body


def test_reviewer_sees_the_waiting_report(orgtree, world, client):
    resp = _home(client, orgtree.leader_a)
    assert resp.context["review_count"] == 1
    assert [s.pk for s in resp.context["review"]] == [world["slot"].pk]
    body = resp.content.decode()
    assert reverse("dispatch:report", args=[world["slot"].pk]) in body
    assert resp.context["led_overdue_count"] == 1
    assert f"lead_leader={orgtree.leader_a.pk}&amp;overdue=true" in body


def test_reporter_sees_to_do_with_days_left_and_returned_pinned(orgtree, world, client):
    resp = _home(client, orgtree.reporter_a)
    todo = resp.context["todo"]
    expected = Slot.objects.filter(
        unit=orgtree.a1, status__in=("pending", "draft", "returned"), cycle__status="open"
    ).count()
    assert todo.paginator.count == expected >= 1
    assert all(isinstance(s.days_left, int) for s in todo)
    assert resp.context["sent_counts"] == {"sent": 1, "waiting": 1}
    assert "乙局的任务" not in resp.content.decode()  # another unit's slot

    # Returned: pinned on top.
    dispatch.review_report(
        world["slot"].report, actor=orgtree.leader_a, accept=False, comment="请补充"
    )
    resp = _home(client, orgtree.reporter_a)
    first = resp.context["todo"].object_list[0]
    assert first.pk == world["slot"].pk and first.status == "returned"


def test_unit_admin_sees_its_units_due_and_overdue(orgtree, world, client):
    resp = _home(client, orgtree.unitadmin_a)
    assert resp.context["unit_overdue_count"] == 1
    assert (
        resp.context["unit_due_count"]
        == Slot.objects.filter(
            unit__in=(orgtree.a, orgtree.a1), status__in=("pending", "draft", "returned")
        ).count()
    )
    assert f"unit={orgtree.a.pk}&amp;overdue=true" in resp.content.decode()
    assert "乙局的任务" not in resp.content.decode()


def test_urge_reaches_the_units_inbox_once_and_is_audited(orgtree, world, client):
    cycle = Slot.objects.filter(unit=orgtree.b1).order_by("due_at").first().cycle
    client.force_login(orgtree.supervisor)
    url = reverse("desk:urge", args=[cycle.pk])
    resp = client.post(url, {"unit": orgtree.b1.pk}, follow=True)
    assert resp.status_code == 200
    inbox = Message.objects.filter(recipient=orgtree.reporter_b, channel="inbox")
    assert inbox.filter(dedupe_key__startswith="urge:").count() == 1
    urge = Urge.objects.get()
    assert (urge.unit, urge.actor, urge.missing) == (orgtree.b1, orgtree.supervisor, 1)
    rec = AuditRecord.objects.get(object_type="desk.urge")
    assert rec.action == "urge" and rec.actor_id == orgtree.supervisor.pk
    # The second press within the gap is refused, with the reason, and notifies no one.
    resp = client.post(url, {"unit": orgtree.b1.pk}, follow=True)
    msgs = [str(m) for m in resp.context["messages"]]
    assert any("4" in m and orgtree.b1.name in m for m in msgs), msgs
    assert inbox.filter(dedupe_key__startswith="urge:").count() == 1
    assert Urge.objects.count() == 1
    # The home shows when it was urged, not the button.
    row = next(r for r in client.get("/").context["units"] if r["unit_id"] == orgtree.b1.pk)
    assert row["last_urged"] is not None and not row["may_urge"]
    # After the gap it may be urged again.
    later = timezone.now() + dt.timedelta(hours=4, minutes=1)
    services.urge_unit(cycle, orgtree.b1, actor=orgtree.supervisor, now=later)
    assert inbox.filter(dedupe_key__startswith="urge:").count() == 2


def test_urge_is_refused_when_nothing_is_missing_or_out_of_scope(orgtree, world, client):
    cycle = world["slot"].cycle
    for slot in Slot.objects.filter(cycle=cycle, unit=orgtree.a1).exclude(pk=world["slot"].pk):
        report, _ = dispatch.start_report(slot, actor=orgtree.reporter_a)
        dispatch.submit_report(
            report, actor=orgtree.reporter_a, version=report.version, progress="完成"
        )
    with translation.override("en"), pytest.raises(RuleViolation, match="no report missing"):
        services.urge_unit(cycle, orgtree.a1, actor=orgtree.supervisor)
    with pytest.raises(OutOfScope):
        services.urge_unit(cycle, orgtree.b1, actor=orgtree.reporter_a)
    # Through the page: a reporter is not told the button exists.
    client.force_login(orgtree.reporter_a)
    resp = client.post(reverse("desk:urge", args=[cycle.pk]), {"unit": orgtree.a1.pk})
    assert resp.status_code == 404
    assert client.get(reverse("desk:urge", args=[cycle.pk])).status_code == 405
    assert not Urge.objects.exists()


def test_a_person_without_a_role_is_told_so(orgtree, client):
    from luoshi.org import services as org

    [nobody] = org.create_people(
        [{"username": "nobody", "full_name": "无角色", "unit": orgtree.a1, "password": "x1y2z3w4"}],
        actor=system_actor(),
    )
    resp = _home(client, nobody)
    assert resp.context["nothing"]
    assert 'id="desk-none"' in resp.content.decode()
