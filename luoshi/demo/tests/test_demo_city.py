"""`luoshi demo`: the city, people in every role, three plans, the 151-task bureau ledger
through the real importer, and a few months of supervision told through the real services;
deterministic by seed; --scale adds a generated ledger.

The loads here pin the day the story is told as of (--today), so what the supervision office
has on its desk does not move with the calendar; the crawl test loads it as of the real today."""

import datetime as dt
from decimal import Decimal

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from luoshi.assessment import services as assessment_services
from luoshi.assessment.models import Assessment, Score
from luoshi.core.audit import verify_chain
from luoshi.core.models import AuditRecord
from luoshi.dispatch.models import Report, Slot
from luoshi.ledger.models import Plan, Task
from luoshi.org.models import Person, Role, RoleGrant, Unit
from luoshi.rollup import access as rollup_access
from luoshi.supervision import access, closed_loop, rules
from luoshi.supervision.access import with_current_as_of
from luoshi.supervision.models import (
    Appeal,
    Decision,
    Extension,
    LightChange,
    Order,
    Problem,
    Signal,
    TaskLight,
)
from luoshi.supervision.services import orders as order_services

TODAY = dt.date(2026, 12, 4)  # a Friday, eleven months into the plans' year


def _load(**kw):
    call_command("demo", "--quiet", today=TODAY, **kw)
    return list(
        Task.objects.order_by("plan__name", "sort_key").values_list(
            "plan__name", "no", "title", "deadline", "lead_leader__full_name"
        )
    )


def test_demo_city(db):
    tasks = _load(seed=7)
    assert 110 <= Unit.objects.count() <= 140
    assert {r for r in Role.values if r != "public"} <= set(
        RoleGrant.objects.values_list("role", flat=True)
    )
    bureau = Plan.objects.get(name="2026年市交通运输局重点工作任务台账")
    assert bureau.tasks.count() == 151 and bureau.categories.count() == 8
    assert Plan.objects.count() == 4
    assert Person.objects.get(username="reporter").check_password("luoshi-demo-2026")
    assert verify_chain()[0]
    assert len(tasks) == 151 + 40 + 20 + 12 + 1  # + the rectification a re-check opened
    _supervision_office_after_a_few_months()
    _targets_and_assessment()
    _bulletins()


def _targets_and_assessment():
    """The education list rolls up to the seed's figures; the key work is assessed, last month
    locked (its digest intact), this month a draft."""
    education = Plan.objects.get(name="2026年市教育局为民办实事项目清单")
    lines = rollup_access.rollup(_person("supervisor"), education)
    assert [(line.target, line.actual, line.rate) for line in lines] == [
        (30, 23, Decimal("76.7")),
        (80, 72, Decimal("90.0")),
    ]
    november, december = Assessment.objects.filter(plan__name="2026年市政府重点工作").order_by(
        "period"
    )
    assert (november.period, november.locked) == ("2026-11", True)
    assert assessment_services.digest(november) == november.digest
    assert (december.period, december.locked) == ("2026-12", False)
    scores = list(Score.objects.filter(assessment=december))
    assert len(scores) >= 10
    for s in scores:
        assert s.score == sum(Decimal(str(i["points"])) for i in s.breakdown)


def _bulletins():
    """The key work's November bulletin published by number with its files (its hash intact),
    December's a draft."""
    import re
    import shutil

    from luoshi.bulletins import services as bulletin_services
    from luoshi.bulletins.models import Bulletin

    published, draft = Bulletin.objects.filter(plan__name="2026年市政府重点工作").order_by("pk")
    assert published.status == "published" and re.fullmatch(r"济督〔\d{4}〕1号", published.number)
    assert str(published.period_start) == "2026-11-01" and published.approved_by is not None
    assert bulletin_services.verify(published)
    assert bytes(published.docx[:2]) == b"PK"
    if shutil.which("soffice"):
        assert bytes(published.pdf[:4]) == b"%PDF"
    assert published.content["totals"]["tasks"] > 0
    assert (draft.status, str(draft.period_start)) == ("draft", "2026-12-01")


def _person(username):
    return Person.objects.get(username=username)


def _supervision_office_after_a_few_months():
    # Problems: twelve across the levels, some climbed, some closed, one unsolvable.
    assert Problem.objects.count() == 12
    status = {s: Problem.objects.filter(status=s).count() for s in Problem.Status.values}
    assert status[Problem.Status.RESOLVED] >= 3 and status[Problem.Status.UNSOLVABLE] == 1
    open_ = Problem.objects.filter(status=Problem.Status.OPEN)
    assert set(open_.values_list("level", flat=True)) == {1, 2, 3}
    assert Problem.objects.filter(level__gt=1, raised_level=1).count() >= 5  # they climbed
    assert Problem.objects.filter(status=Problem.Status.RESOLVED, level=3).exists()
    assert Problem.objects.filter(report__isnull=False).exists()  # raised in a report
    # One at the top level past its SLA, unanswered there: its task is red because of it.
    top = open_.get(level=3, sla_due_on__lt=TODAY, answered_at=None)
    reds = [r["code"] for r in top.task.stored_light.reasons if r["light"] == rules.RED]
    assert top.task.stored_light.light == rules.RED and reds == ["problem_past_sla"]
    assert top.assignee.full_name == "韩卫东"  # city leadership
    steps = list(top.steps.values_list("kind", "level"))
    assert steps[0] == ("raised", 1) and ("escalated", 2) in steps and ("escalated", 3) in steps

    # Orders: numbered without gaps, at every stage; one overdue counts against its unit.
    labels = [o.label for o in Order.objects.order_by("number")]
    assert labels == [f"督办〔2026〕{n}号" for n in range(1, len(labels) + 1)]
    assert 5 <= len(labels) <= 8
    assert set(Order.Status.values) <= set(Order.objects.values_list("status", flat=True))
    assert order_services.overdue_orders(Order.objects.all(), TODAY).count() == 1
    assert Order.objects.filter(responded_late=True, status=Order.Status.CLOSED).exists()
    assert order_services.late_counts(Order.objects.all(), TODAY)
    returned = Order.objects.get(status=Order.Status.RETURNED)
    assert returned.respond_by > TODAY and returned.steps.filter(kind="returned").exists()

    # Extension requests: pending, approved (the deadline moved, the original kept), rejected.
    assert set(Extension.objects.values_list("status", flat=True)) == set(Decision.values)
    approved = Extension.objects.get(status=Decision.APPROVED)
    assert approved.task.deadline == approved.requested_deadline > approved.original_deadline
    rejected = Extension.objects.get(status=Decision.REJECTED)
    assert rejected.task.deadline == rejected.original_deadline and rejected.decision_reason
    # Appeals: one decided with its reasons, one waiting; each kept the light it contested.
    appeals = Appeal.objects.order_by("raised_at")
    assert [a.status for a in appeals] == [Decision.REJECTED, Decision.PENDING]
    assert all(a.light == rules.RED and a.light_reasons for a in appeals)
    assert appeals[0].decision_reason

    # Reports: two cycles of the city's key work, one missed, two waiting for review.
    assert Slot.objects.filter(status=Slot.Status.MISSED).count() == 1
    assert Slot.objects.filter(status=Slot.Status.SUBMITTED, cycle__status="closed").count() == 2
    assert Report.objects.count() >= 15
    # Integrity signals: each kind found by the scan, none invented by a sparse lights replay.
    kinds = list(Signal.objects.values_list("kind", flat=True))
    assert sorted(kinds) == sorted([*Signal.Kind.values, Signal.Kind.REPEATED_TEXT])

    # Lights: recomputed to the day, with a history and the key work's completions.
    current = with_current_as_of(TaskLight.objects.all()).values_list("current_as_of", flat=True)
    assert set(current) == {TODAY}
    assert TaskLight.objects.count() == Task.objects.count()
    key_work = set(
        Task.objects.filter(plan__name="2026年市政府重点工作").values_list(
            "shown_light__light", flat=True
        )
    )
    assert {rules.DONE, rules.DONE_LATE, rules.RED} <= key_work
    assert LightChange.objects.values("on").distinct().count() >= 4

    # The closed-loop check finds a few real open items, not the whole ledger.
    found = closed_loop.check(
        _person("admin"), now=timezone.make_aware(dt.datetime(2026, 12, 4, 18))
    )
    assert 3 <= found["open_items"] <= 8
    assert {
        "problem_unanswered",
        "order_unanswered",
        "order_unverified",
        "extension_undecided",
    } <= {i["kind"] for i in found["items"]}

    # Each demo log-in finds something waiting.
    reporter, unitadmin = _person("reporter"), _person("unitadmin")
    leader, supervisor = _person("leader"), _person("supervisor")
    assert open_.filter(raised_by=reporter).count() >= 2
    assert (
        access.orders_for(reporter)
        .filter(unit=reporter.unit, status=Order.Status.ISSUED, respond_by__gte=TODAY)
        .exists()
    )
    assert open_.filter(assignee=unitadmin, level=1).exists()
    assert open_.filter(assignee=leader, level=2).exists()
    assert Extension.objects.filter(status=Decision.PENDING, task__lead_leader=leader).exists()
    assert access.orders_for(supervisor).filter(status=Order.Status.RESPONDED).count() >= 2
    assert access.signals_for(supervisor).count() == len(kinds)

    # Every step is audited, on the task's history thread, by the person who took it.
    actions = set(
        AuditRecord.objects.filter(object_type="supervision.problem").values_list(
            "action", flat=True
        )
    )
    assert {"create", "respond", "escalate", "resolve", "declare_unsolvable"} <= actions
    assert AuditRecord.objects.filter(
        object_type="supervision.order", action="issue", actor=supervisor
    ).exists()


def test_demo_is_deterministic_by_seed(db):
    runs = []
    for _ in range(2):
        with transaction.atomic():
            runs.append(_load(seed=11))
            runs.append(
                list(
                    Problem.objects.order_by("pk").values_list(
                        "title", "task__no", "level", "status", "assignee__full_name"
                    )
                )
            )
            transaction.set_rollback(True)
    assert runs[0] == runs[2] and len(runs[0]) == 224
    assert runs[1] == runs[3] and len(runs[1]) == 12


def test_scale_adds_a_generated_ledger(db):
    call_command("demo", "--quiet", "--scale", "1200", today=TODAY)
    plan = Plan.objects.get(name="规模测试台账1200")
    assert plan.tasks.count() == 1200 and plan.numbering == "per_section"
