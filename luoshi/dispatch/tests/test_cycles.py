"""Cycles open and close by schedule; one slot per active task and responsible unit; reports
are filled, submitted late or on time, returned, fixed and accepted, and the ledger shows them."""

import datetime as dt

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.dispatch import services
from luoshi.dispatch.models import Cycle, ReviewEvent, Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task


def at(y, m, d, h=10):
    return timezone.make_aware(dt.datetime(y, m, d, h, 0))


@pytest.fixture
def plan(orgtree):
    plan = ledger.create_plan(
        actor=system_actor(),
        name="调度计划",
        year=2026,
        owner_unit=orgtree.office,
        frequency="monthly",
    )
    ledger.create_task(
        plan,
        actor=system_actor(),
        title="甲任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    ledger.create_task(
        plan, actor=system_actor(), title="双单位", responsible_units=[orgtree.a1, orgtree.b1]
    )
    ledger.create_task(
        plan, actor=system_actor(), title="已完成", responsible_units=[orgtree.a1], status="done"
    )
    ledger.deploy_plan(plan, actor=system_actor())
    plan.refresh_from_db()
    # Deployed on 1 Sep 2026 for the tests' clock.
    type(plan).objects.filter(pk=plan.pk).update(deployed_at=at(2026, 9, 1))
    plan.refresh_from_db()
    return plan


def test_opening_creates_one_slot_per_active_task_and_unit_once(plan):
    assert services.open_due_cycles(at(2026, 9, 10)) == 1
    cycle = Cycle.objects.get()
    assert cycle.due_at == at(2026, 9, 25, 17)
    assert cycle.period_start == dt.date(2026, 8, 26)
    assert Slot.objects.count() == 3  # 甲任务 ×1, 双单位 ×2; the completed task none
    assert services.open_due_cycles(at(2026, 9, 10)) == 0
    assert Slot.objects.count() == 3


def test_a_task_with_its_own_schedule_reports_on_it(plan, orgtree):
    task = Task.objects.get(title="甲任务")
    Schedule.objects.create(plan=plan, task=task, kind="weekly", weekday=4)
    services.open_due_cycles(at(2026, 9, 10))
    weekly_cycles = Cycle.objects.filter(schedule__task=task).order_by("due_at")
    # Deployed on Tuesday 1 Sep: Friday 4 Sep is past but still open for late reports.
    assert [c.due_at.date() for c in weekly_cycles] == [dt.date(2026, 9, 4), dt.date(2026, 9, 11)]
    weekly = weekly_cycles.last()
    assert list(Slot.objects.filter(cycle=weekly).values_list("task__title", flat=True)) == [
        "甲任务"
    ]
    monthly = Cycle.objects.get(schedule__task__isnull=True)
    assert "甲任务" not in set(
        Slot.objects.filter(cycle=monthly).values_list("task__title", flat=True)
    )


def test_report_flow_with_return_and_accept(plan, orgtree):
    services.open_due_cycles(at(2026, 9, 10))
    slot = Slot.objects.get(task__title="甲任务")
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.save_report(
        report, actor=orgtree.reporter_a, version=1, progress="完成招标", percent=30
    )
    with pytest.raises(StaleVersion):
        services.save_report(report, actor=orgtree.reporter_a, version=1, progress="旧")
    # Due Friday 25 Sep, the Mid-Autumn Festival (a day off): met on Monday 28 Sep, the next
    # working day (core.workdays.working_days_late). Submitted Tuesday 29: one working day late.
    services.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, now=at(2026, 9, 29)
    )
    slot.refresh_from_db()
    assert (slot.status, slot.days_late) == ("submitted", 1)
    with pytest.raises(OutOfScope):
        services.review_report(report, actor=orgtree.reporter_b, accept=True)
    with pytest.raises(RuleViolation):
        services.review_report(report, actor=orgtree.leader_a, accept=False, comment=" ")
    services.review_report(report, actor=orgtree.leader_a, accept=False, comment="请补充进度数据")
    slot.refresh_from_db()
    assert slot.status == "returned"
    services.save_report(
        report,
        actor=orgtree.reporter_a,
        version=report.version,
        progress="完成招标，开工准备",
        percent=40,
    )
    services.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, now=at(2026, 9, 29)
    )
    services.review_report(report, actor=orgtree.supervisor, accept=True)
    task = Task.objects.get(title="甲任务")
    assert (task.percent, task.progress, task.status) == (40, "完成招标，开工准备", "in_progress")
    assert list(ReviewEvent.objects.filter(report=report).values_list("action", "comment")) == [
        ("submit", ""),
        ("return", "请补充进度数据"),
        ("submit", ""),
        ("accept", ""),
    ]
    with pytest.raises(RuleViolation):
        services.save_report(
            report, actor=orgtree.reporter_a, version=report.version, progress="改"
        )


def test_next_report_starts_from_the_last(plan, orgtree):
    services.open_due_cycles(at(2026, 9, 10))
    slot = Slot.objects.get(task__title="甲任务")
    r, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.submit_report(
        r,
        actor=orgtree.reporter_a,
        version=r.version,
        now=at(2026, 9, 24),
        progress="九月进展",
        problems="资金",
        next_steps="十月开工",
        percent=50,
    )
    services.open_due_cycles(at(2026, 10, 12))
    october = Slot.objects.get(task__title="甲任务", due_at=at(2026, 10, 25, 17))
    nxt, _ = services.start_report(october, actor=orgtree.reporter_a)
    assert (nxt.progress, nxt.problems, nxt.next_steps, nxt.percent) == (
        "九月进展",
        "资金",
        "十月开工",
        50,
    )


def test_closing_freezes_missing_slots(plan, orgtree):
    services.open_due_cycles(at(2026, 9, 10))
    slot = Slot.objects.get(task__title="甲任务")
    rows = services.missing(Cycle.objects.get(), reader=orgtree.supervisor, now=at(2026, 9, 30))
    assert len(rows) == 3 and {r["days_late"] for r in rows} == {3}
    # Closes 5 working days after 25 Sep: across National Day, on 9 Oct.
    assert services.close_due_cycles(at(2026, 10, 8, 18)) == 0
    assert services.close_due_cycles(at(2026, 10, 9, 18)) == 1
    assert services.close_due_cycles(at(2026, 10, 9, 18)) == 0
    slot.refresh_from_db()
    assert slot.status == "missed"
    with pytest.raises(RuleViolation):  # a missed slot takes no report any more
        services.start_report(slot, actor=orgtree.reporter_a)


def test_reporter_of_another_unit_cannot_report(plan, orgtree):
    services.open_due_cycles(at(2026, 9, 10))
    slot = Slot.objects.get(task__title="甲任务")
    with pytest.raises(OutOfScope):
        services.start_report(slot, actor=orgtree.reporter_b)
