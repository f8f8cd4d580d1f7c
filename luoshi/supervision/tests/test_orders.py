"""Supervision orders (督办单): gapless numbering per year, issue / respond / verify with their
refusals, the late flag and what counts against a unit, and the pages and API, scoped."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.notify.models import Message
from luoshi.supervision.models import Order, OrderCounter, OrderStep
from luoshi.supervision.services import orders as services

TZ = timezone.get_current_timezone()
MON = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # Monday 2 March 2026, a working day
FRI = dt.date(2026, 3, 6)
SAT = dt.date(2026, 3, 7)
NEXT_MON = dt.datetime(2026, 3, 9, 9, 0, tzinfo=TZ)


def build_world(orgtree):
    """A deployed plan of the supervision office: two tasks of division A1 (one with B1
    cooperating) and one of division B1."""
    actor = system_actor()
    plan = ledger.create_plan(
        actor=actor, name="督办测试计划", year=2026, owner_unit=orgtree.office
    )
    t1 = ledger.create_task(
        plan,
        actor=actor,
        title="老旧小区改造",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        deadline=dt.date(2026, 6, 30),
    )
    t2 = ledger.create_task(
        plan,
        actor=actor,
        title="道路提升",
        responsible_units=[orgtree.a1],
        cooperating_units=[orgtree.b1],
        owner=orgtree.reporter_a,
    )
    tb = ledger.create_task(
        plan,
        actor=actor,
        title="乙局任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
    )
    ledger.deploy_plan(plan, actor=actor)
    return SimpleNamespace(plan=plan, t1=t1, t2=t2, tb=tb)


@pytest.fixture
def world(orgtree):
    return build_world(orgtree)


def issue(orgtree, world, *, tasks=None, unit=None, now=MON, respond_by=FRI, demand="限期整改"):
    return services.issue_order(
        actor=orgtree.supervisor,
        unit=unit or orgtree.a1,
        tasks=tasks if tasks is not None else [world.t1],
        demand=demand,
        respond_by=respond_by,
        now=now,
    )


def fresh(order) -> Order:
    return Order.objects.select_related("unit", "issued_by").get(pk=order.pk)


def counter(year) -> int | None:
    return OrderCounter.objects.filter(year=year).values_list("last", flat=True).first()


# --- numbering -------------------------------------------------------------------------------


def test_numbers_run_1_2_3_in_a_year_and_restart_in_the_next(orgtree, world):
    numbers = [issue(orgtree, world).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert fresh(Order.objects.get(number=3)).label == "督办〔2026〕3号"
    next_year = issue(
        orgtree,
        world,
        now=dt.datetime(2027, 1, 5, 10, 0, tzinfo=TZ),
        respond_by=dt.date(2027, 1, 8),
    )
    assert (next_year.year, next_year.number) == (2027, 1)
    assert next_year.label == "督办〔2027〕1号"
    assert counter(2026) == 3 and counter(2027) == 1


def test_an_issue_failing_after_taking_its_number_leaves_no_gap(orgtree, world, monkeypatch):
    assert issue(orgtree, world).number == 1
    taken = []

    def fail_after_the_number(order, *args, **kwargs):
        # The number is taken and the order row written when the notification step fails.
        taken.append((order.number, counter(2026), Order.objects.count()))
        raise RuleViolation("no one to notify", field="unit")

    monkeypatch.setattr(services, "_tell_unit", fail_after_the_number)
    with pytest.raises(RuleViolation):
        issue(orgtree, world)
    assert taken == [(2, 2, 2)]
    monkeypatch.undo()
    assert counter(2026) == 1 and Order.objects.count() == 1
    assert issue(orgtree, world).number == 2


def test_a_refused_issue_takes_no_number(orgtree, world):
    with pytest.raises(RuleViolation) as exc:
        issue(orgtree, world, tasks=[world.tb])  # a B1 task, addressed to A1
    assert exc.value.field == "tasks"
    assert counter(2026) in (None, 0)
    assert issue(orgtree, world).number == 1


def test_no_order_about_a_task_of_a_plan_not_yet_deployed(orgtree, world):
    """A unit cannot see a draft plan (ledger.access), so it cannot be ordered about it."""
    actor = system_actor()
    draft = ledger.create_plan(actor=actor, name="未部署计划", year=2026, owner_unit=orgtree.office)
    task = ledger.create_task(draft, actor=actor, title="草稿任务", responsible_units=[orgtree.a1])
    with pytest.raises(RuleViolation, match="尚未部署|not yet deployed") as exc:
        issue(orgtree, world, tasks=[task])
    assert exc.value.field == "tasks"
    assert counter(2026) in (None, 0)


# --- issue -----------------------------------------------------------------------------------


def test_issue_steps_audits_and_notifies_the_units_people(orgtree, world):
    order = issue(orgtree, world, tasks=[world.t2, world.t1])
    assert order.status == Order.Status.ISSUED and order.version == 1
    assert set(order.tasks.values_list("pk", flat=True)) == {world.t1.pk, world.t2.pk}
    assert list(order.steps.values_list("kind", "actor")) == [
        (OrderStep.Kind.ISSUED, orgtree.supervisor.pk)
    ]
    rec = AuditRecord.objects.get(object_type="supervision.order", object_id=str(order.pk))
    assert rec.action == "issue" and rec.actor_id == orgtree.supervisor.pk
    assert rec.context == {"task": world.t1.pk, "tasks": [world.t1.pk, world.t2.pk]}
    assert rec.thread == f"ledger.task:{world.t1.pk}"
    assert rec.changes["number"] == [None, "督办〔2026〕1号"]
    told = set(
        Message.objects.filter(url__endswith=f"/orders/{order.pk}/").values_list(
            "recipient__username", "dedupe_key"
        )
    )
    assert told == {
        ("reporter_a", f"order:{order.pk}:issued:{orgtree.reporter_a.pk}:inbox"),
        ("unitadmin_a", f"order:{order.pk}:issued:{orgtree.unitadmin_a.pk}:inbox"),
    }


@pytest.mark.parametrize("who", ["reporter_a", "leader_a", "unitadmin_a"])
def test_only_a_supervisor_over_the_unit_issues(orgtree, world, who):
    with pytest.raises(OutOfScope):
        services.issue_order(
            actor=getattr(orgtree, who),
            unit=orgtree.a1,
            tasks=[world.t1],
            demand="x",
            respond_by=FRI,
            now=MON,
        )
    assert not Order.objects.exists() and counter(2026) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tasks": []}, "tasks"),
        ({"demand": "   "}, "demand"),
        ({"respond_by": MON.date()}, "respond_by"),  # today is not after today
        ({"respond_by": dt.date(2026, 2, 27)}, "respond_by"),  # past
        ({"respond_by": SAT}, "respond_by"),  # a day off
        ({"respond_by": None}, "respond_by"),
    ],
)
def test_bad_input_names_the_field(orgtree, world, changes, field):
    kwargs = {"tasks": [world.t1], "demand": "限期整改", "respond_by": FRI, **changes}
    with pytest.raises(RuleViolation) as exc:
        services.issue_order(actor=orgtree.supervisor, unit=orgtree.a1, now=MON, **kwargs)
    assert exc.value.field == field
    assert not Order.objects.exists()


def test_a_cooperating_unit_may_be_addressed_about_the_task(orgtree, world):
    order = issue(orgtree, world, unit=orgtree.b1, tasks=[world.t2])
    assert order.unit == orgtree.b1
    assert Message.objects.filter(recipient=orgtree.reporter_b).count() == 1


# --- respond ---------------------------------------------------------------------------------


def test_respond_on_time_tells_the_issuer(orgtree, world):
    order = issue(orgtree, world)
    services.respond_order(
        fresh(order), actor=orgtree.reporter_a, version=1, response="已整改", now=MON
    )
    order = fresh(order)
    assert order.status == Order.Status.RESPONDED and not order.responded_late
    assert order.responded_by == orgtree.reporter_a and order.version == 2
    step = order.steps.get(kind=OrderStep.Kind.RESPONDED)
    assert step.text == "已整改"
    assert Message.objects.filter(
        recipient=orgtree.supervisor,
        dedupe_key=f"order:{order.pk}:responded:{step.pk}:{orgtree.supervisor.pk}:inbox",
    ).exists()
    rec = AuditRecord.objects.filter(object_id=str(order.pk), action="respond").get()
    assert rec.changes["status"] == ["issued", "responded"]
    assert rec.context["task"] == world.t1.pk


def test_a_response_after_the_date_is_late(orgtree, world):
    order = issue(orgtree, world)
    services.respond_order(
        fresh(order), actor=orgtree.unitadmin_a, version=1, response="迟报", now=NEXT_MON
    )
    assert fresh(order).responded_late


def test_a_date_on_a_day_off_is_met_by_the_next_working_day(orgtree, world):
    order = issue(orgtree, world)
    # The calendar changed after issuing: the date now falls on a day off.
    Order.objects.filter(pk=order.pk).update(respond_by=SAT)
    services.respond_order(
        fresh(order), actor=orgtree.reporter_a, version=1, response="周一答复", now=NEXT_MON
    )
    assert not fresh(order).responded_late


def test_respond_refusals(orgtree, world):
    order = issue(orgtree, world)
    with pytest.raises(OutOfScope):
        services.respond_order(
            fresh(order), actor=orgtree.reporter_b, version=1, response="越权", now=MON
        )
    with pytest.raises(RuleViolation) as exc:
        services.respond_order(fresh(order), actor=orgtree.reporter_a, version=1, response=" ")
    assert exc.value.field == "response"
    with pytest.raises(StaleVersion):
        services.respond_order(fresh(order), actor=orgtree.reporter_a, version=0, response="旧")
    services.respond_order(fresh(order), actor=orgtree.reporter_a, version=1, response="好")
    with pytest.raises(RuleViolation):  # not awaiting a response any more
        services.respond_order(fresh(order), actor=orgtree.reporter_a, version=2, response="再")
    # A second response loaded before the first one landed is stale.
    stale = fresh(order)
    stale.version, stale.status = 1, Order.Status.ISSUED
    with pytest.raises(StaleVersion):
        services.respond_order(stale, actor=orgtree.reporter_a, version=1, response="并发")
    assert order.steps.filter(kind=OrderStep.Kind.RESPONDED).count() == 1


# --- verify ----------------------------------------------------------------------------------


def test_send_back_then_close(orgtree, world):
    order = issue(orgtree, world)
    services.respond_order(fresh(order), actor=orgtree.reporter_a, version=1, response="a", now=MON)
    with pytest.raises(RuleViolation) as exc:
        services.verify_order(
            fresh(order), actor=orgtree.supervisor, version=2, accept=False, comment="", now=MON
        )
    assert exc.value.field == "comment"
    with pytest.raises(RuleViolation) as exc:
        services.verify_order(
            fresh(order),
            actor=orgtree.supervisor,
            version=2,
            accept=False,
            comment="不实",
            respond_by=MON.date(),
            now=MON,
        )
    assert exc.value.field == "respond_by"
    services.verify_order(
        fresh(order), actor=orgtree.supervisor, version=2, accept=False, comment="不实", now=MON
    )
    order = fresh(order)
    assert order.status == Order.Status.RETURNED
    assert order.respond_by == current_calendar().add_working_days(MON.date(), 5)
    step = order.steps.get(kind=OrderStep.Kind.RETURNED)
    assert step.text == "不实" and step.actor == orgtree.supervisor
    assert Message.objects.filter(
        recipient=orgtree.reporter_a, dedupe_key__startswith=f"order:{order.pk}:returned:"
    ).exists()
    rec = AuditRecord.objects.get(object_id=str(order.pk), action="return")
    assert rec.changes["status"] == ["responded", "returned"]
    assert rec.changes["comment"] == [None, "不实"]

    services.respond_order(order, actor=orgtree.reporter_a, version=3, response="b", now=MON)
    services.verify_order(
        fresh(order), actor=orgtree.supervisor, version=4, accept=True, comment="属实", now=MON
    )
    order = fresh(order)
    assert order.status == Order.Status.CLOSED
    assert order.closed_by == orgtree.supervisor and order.closed_at == MON
    assert order.verification == "属实"
    assert list(order.steps.values_list("kind", flat=True)) == [
        "issued",
        "responded",
        "returned",
        "responded",
        "closed",
    ]
    assert AuditRecord.objects.filter(object_id=str(order.pk), action="close").exists()


def test_verify_refusals(orgtree, world):
    order = issue(orgtree, world)
    with pytest.raises(RuleViolation):  # nothing to verify yet
        services.verify_order(fresh(order), actor=orgtree.supervisor, version=1, accept=True)
    services.respond_order(fresh(order), actor=orgtree.reporter_a, version=1, response="a", now=MON)
    for who in ("reporter_a", "unitadmin_a", "leader_a"):
        with pytest.raises(OutOfScope):
            services.verify_order(fresh(order), actor=getattr(orgtree, who), version=2, accept=True)
    with pytest.raises(StaleVersion):
        services.verify_order(fresh(order), actor=orgtree.supervisor, version=1, accept=True)
    assert fresh(order).status == Order.Status.RESPONDED


# --- overdue, and what counts against a unit ---------------------------------------------------


def test_overdue_orders_and_late_counts(orgtree, world):
    today = dt.date(2026, 3, 10)
    unanswered = issue(orgtree, world)  # due Friday 6 March, no answer
    answered_late = issue(orgtree, world, tasks=[world.t2])
    services.respond_order(
        fresh(answered_late), actor=orgtree.reporter_a, version=1, response="迟", now=NEXT_MON
    )
    on_time_b = issue(orgtree, world, unit=orgtree.b1, tasks=[world.tb])
    services.respond_order(
        fresh(on_time_b), actor=orgtree.reporter_b, version=1, response="按时", now=MON
    )
    not_yet_due = issue(orgtree, world, respond_by=dt.date(2026, 3, 20))
    # Late once, sent back, late again: counted once.
    twice = issue(orgtree, world)
    services.respond_order(
        fresh(twice), actor=orgtree.reporter_a, version=1, response="迟", now=NEXT_MON
    )
    services.verify_order(
        fresh(twice),
        actor=orgtree.supervisor,
        version=2,
        accept=False,
        comment="再报",
        respond_by=dt.date(2026, 3, 10),
        now=NEXT_MON,
    )
    overdue = set(services.overdue_orders(Order.objects.all(), dt.date(2026, 3, 11)))
    assert overdue == {unanswered, twice}
    assert set(services.overdue_orders(Order.objects.all(), today)) == {unanswered}
    assert not_yet_due not in overdue
    assert services.late_counts(Order.objects.all(), dt.date(2026, 3, 11)) == {orgtree.a1.pk: 3}
    # Due on Friday: not overdue on Friday, overdue from Saturday.
    one = Order.objects.filter(pk=unanswered.pk)
    assert not services.overdue_orders(one, FRI).exists()
    assert services.overdue_orders(one, SAT).exists()
    # A date on a day off is met by the next working day: overdue only after it.
    Order.objects.filter(pk=unanswered.pk).update(respond_by=SAT)
    assert not services.overdue_orders(one, dt.date(2026, 3, 8)).exists()
    assert not services.overdue_orders(one, NEXT_MON.date()).exists()
    assert services.overdue_orders(one, dt.date(2026, 3, 10)).exists()


def test_late_counts_is_one_query(orgtree, world, django_assert_num_queries):
    issue(orgtree, world)
    today = dt.date(2026, 3, 11)
    cal = current_calendar()
    with django_assert_num_queries(1):
        assert services.late_counts(Order.objects.all(), today, cal=cal) == {orgtree.a1.pk: 1}
