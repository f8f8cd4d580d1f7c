"""Tiered problems through their services: who raises, answers and closes them, who they go
to at each level, and the escalation job (one level per run, idempotent, everyone told)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services as dispatch
from luoshi.ledger import services as ledger
from luoshi.notify.models import Message
from luoshi.org.models import Role, RoleGrant
from luoshi.supervision import jobs
from luoshi.supervision.models import PlanLightRules, Problem, ProblemStep
from luoshi.supervision.services import problems as services

MONDAY = dt.date(2026, 3, 2)  # an ordinary working week


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def world(orgtree):
    """A plan of the supervision office: a task of division A1 (owner reporter_a, lead leader
    leader_a), one of B1 (owner reporter_b, no lead leader), one shared by A1 and B1."""
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="问题计划", year=2026, owner_unit=orgtree.office)
    task = ledger.create_task(
        plan,
        actor=actor,
        title="建设学校",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    task_b = ledger.create_task(
        plan,
        actor=actor,
        title="乙局任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
    )
    shared = ledger.create_task(
        plan, actor=actor, title="共建任务", responsible_units=[orgtree.a1, orgtree.b1]
    )
    ledger.deploy_plan(plan, actor=actor)
    return SimpleNamespace(org=orgtree, plan=plan, task=task, task_b=task_b, shared=shared)


def raise_one(world, **kw):
    kw.setdefault("actor", world.org.reporter_a)
    kw.setdefault("title", "资金缺口500万元")
    kw.setdefault("now", at(MONDAY))
    return services.raise_problem(kw.pop("task", world.task), **kw)


def messages_to(person, problem):
    return set(
        Message.objects.filter(
            recipient=person, dedupe_key__startswith=f"problem:{problem.pk}:"
        ).values_list("dedupe_key", flat=True)
    )


def escalate(day):
    return services.escalate_problems(actor=system_actor(), today=day)


# --- raising ------------------------------------------------------------------------------


def test_a_reporter_raises_at_level_one_for_the_unit(world):
    org = world.org
    p = raise_one(world, description="上级资金未到位")
    cal = current_calendar()
    assert (p.level, p.raised_level, p.status) == (1, 1, Problem.Status.OPEN)
    assert p.unit == org.a1 and p.raised_by == org.reporter_a
    assert p.level_entered_on == MONDAY
    assert p.sla_due_on == cal.add_working_days(MONDAY, 5) == dt.date(2026, 3, 9)
    # A1 has no unit admin of its own: the nearest one above it, bureau A's, holds level 1.
    assert p.assignee == org.unitadmin_a
    [step] = p.steps.all()
    assert (step.kind, step.level, step.actor, step.text) == (
        "raised",
        1,
        org.reporter_a,
        "上级资金未到位",
    )
    record = AuditRecord.objects.get(object_type="supervision.problem", object_id=str(p.pk))
    assert record.action == "create" and record.actor_id == org.reporter_a.pk
    assert record.context["task"] == world.task.pk
    assert record.thread == f"ledger.task:{world.task.pk}"  # in the task's history
    assert record.changes["title"] == [None, "资金缺口500万元"]
    # The assignee is told, once; the raiser is not told of their own problem.
    assert messages_to(org.unitadmin_a, p) == {f"problem:{p.pk}:raised:{org.unitadmin_a.pk}:inbox"}
    assert not messages_to(org.reporter_a, p)


def test_raised_in_a_report_links_it_and_takes_its_unit(world):
    org = world.org
    dispatch.open_due_cycles()
    slot = world.shared.slots.get(unit=org.a1)
    report, _ = dispatch.start_report(slot, actor=org.reporter_a)
    p = raise_one(world, task=world.shared, report=report)
    assert p.report == report and p.unit == org.a1
    record = AuditRecord.objects.get(object_type="supervision.problem", object_id=str(p.pk))
    assert record.context["task"] == world.shared.pk and record.context["report"] == report.pk
    # A report of another task is refused, naming the field.
    with pytest.raises(RuleViolation) as exc:
        raise_one(world, report=report)
    assert exc.value.field == "report"


def test_a_reporter_of_another_unit_may_not_raise(world):
    with pytest.raises(OutOfScope):
        raise_one(world, actor=world.org.reporter_b)
    assert not Problem.objects.exists()
    assert not AuditRecord.objects.filter(object_type="supervision.problem").exists()


def test_bad_input_names_the_field(world):
    org = world.org
    with pytest.raises(RuleViolation) as exc:
        raise_one(world, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(RuleViolation) as exc:
        raise_one(world, title="很" * 201)
    assert exc.value.field == "title"
    # reporter_a acts for A1 on the shared task, not for B1.
    with pytest.raises(RuleViolation) as exc:
        raise_one(world, task=world.shared, unit=org.b1)
    assert exc.value.field == "unit"
    assert raise_one(world, task=world.shared).unit == org.a1
    assert Problem.objects.count() == 1


def test_a_supervisor_raises_for_any_of_the_tasks_units(world):
    org = world.org
    p = raise_one(world, actor=org.supervisor, task=world.shared, unit=org.b1)
    assert p.unit == org.b1
    assert p.assignee is None  # B has no unit admin and the shared task no owner
    assert not Message.objects.filter(dedupe_key__startswith=f"problem:{p.pk}:").exists()


def test_the_plans_own_sla(world):
    PlanLightRules.objects.create(plan=world.plan, problem_sla_days=[2, 3, 4])
    p = raise_one(world)
    assert p.sla_due_on == dt.date(2026, 3, 4)
    assert escalate(dt.date(2026, 3, 5))["escalated"] == 1
    p.refresh_from_db()
    assert (p.level, p.sla_due_on) == (2, dt.date(2026, 3, 10))


# --- who holds each level -----------------------------------------------------------------


def test_assignee_per_level(world):
    org = world.org
    task, task_b = world.task, world.task_b
    holders = services.Holders([org.a1.path, org.b1.path])
    assert services.assignee_id(1, task, org.a1, holders) == org.unitadmin_a.pk
    assert services.assignee_id(2, task, org.a1, holders) == org.leader_a.pk
    # No unit admin over B1: the owner; no lead leader: as at level 1.
    assert services.assignee_id(1, task_b, org.b1, holders) == org.reporter_b.pk
    assert services.assignee_id(2, task_b, org.b1, holders) == org.reporter_b.pk
    # No city leader: the supervisor over the plan.
    assert services.assignee_id(3, task, org.a1, holders) == org.supervisor.pk
    RoleGrant.objects.create(person=org.leader_a, role=Role.LEADER, unit=org.city)
    holders = services.Holders([org.a1.path])
    assert services.assignee_id(3, task_b, org.b1, holders) == org.leader_a.pk


# --- answering ----------------------------------------------------------------------------


def test_the_assignee_answers_and_the_raiser_is_told(world):
    org = world.org
    p = raise_one(world)
    step = services.respond_problem(
        p, actor=org.unitadmin_a, version=p.version, text="已协调财政局", now=at(MONDAY, 15)
    )
    p.refresh_from_db()
    assert p.answered_at == at(MONDAY, 15) and p.version == 2
    assert (step.kind, step.level, step.actor) == ("response", 1, org.unitadmin_a)
    assert f"problem:{p.pk}:response:{step.pk}:{org.reporter_a.pk}:inbox" in messages_to(
        org.reporter_a, p
    )
    record = AuditRecord.objects.filter(object_id=str(p.pk), action="respond").get()
    assert record.changes["response"] == [None, "已协调财政局"]
    assert record.context["task"] == world.task.pk


def test_the_raiser_adds_information_which_is_no_answer(world):
    org = world.org
    p = raise_one(world)
    step = services.respond_problem(
        p, actor=org.reporter_a, version=p.version, text="补充：缺口扩大"
    )
    p.refresh_from_db()
    assert p.answered_at is None  # not an answer at the level
    assert step.kind == "response"
    assert f"problem:{p.pk}:response:{step.pk}:{org.unitadmin_a.pk}:inbox" in messages_to(
        org.unitadmin_a, p
    )
    assert not any(":response:" in k for k in messages_to(org.reporter_a, p))


def test_respond_refusals(world):
    org = world.org
    p = raise_one(world)
    with pytest.raises(OutOfScope):  # another unit's reporter
        services.respond_problem(p, actor=org.reporter_b, version=p.version, text="x")
    with pytest.raises(OutOfScope):  # a leader, but level 1 is not theirs yet
        services.respond_problem(p, actor=org.leader_a, version=p.version, text="x")
    with pytest.raises(RuleViolation) as exc:
        services.respond_problem(p, actor=org.unitadmin_a, version=p.version, text=" ")
    assert exc.value.field == "text"
    with pytest.raises(StaleVersion):
        services.respond_problem(p, actor=org.unitadmin_a, version=p.version - 1, text="旧页面")
    assert p.steps.count() == 1
    assert not AuditRecord.objects.filter(object_id=str(p.pk), action="respond").exists()


def test_resolve_and_declare_unsolvable_refusals(world):
    org = world.org
    p = raise_one(world)
    # The raiser (the task's owner) may add information but not close it.
    with pytest.raises(OutOfScope):
        services.resolve_problem(p, actor=org.reporter_a, version=p.version, resolution="好了")
    with pytest.raises(OutOfScope):
        services.declare_unsolvable(p, actor=org.reporter_b, version=p.version, reasons="无解")
    with pytest.raises(RuleViolation) as exc:
        services.resolve_problem(p, actor=org.unitadmin_a, version=p.version, resolution="")
    assert exc.value.field == "resolution"
    with pytest.raises(RuleViolation) as exc:
        services.declare_unsolvable(p, actor=org.unitadmin_a, version=p.version, reasons="  ")
    assert exc.value.field == "reasons"
    with pytest.raises(StaleVersion):
        services.resolve_problem(p, actor=org.unitadmin_a, version=99, resolution="已解决")
    p.refresh_from_db()
    assert p.status == "open" and p.steps.count() == 1


def test_resolving_closes_it_and_tells_everyone_involved(world):
    org = world.org
    p = raise_one(world)
    services.respond_problem(p, actor=org.reporter_a, version=p.version, text="补充材料")
    escalate(dt.date(2026, 3, 10))  # to the lead leader
    p.refresh_from_db()
    services.resolve_problem(
        p, actor=org.supervisor, version=p.version, resolution="财政追加预算", now=at(MONDAY, 10)
    )
    p.refresh_from_db()
    assert p.status == "resolved" and p.resolution == "财政追加预算"
    assert p.closed_by == org.supervisor and p.closed_at == at(MONDAY, 10)
    assert p.steps.order_by("pk").last().kind == "resolved"
    for person in (org.reporter_a, org.unitadmin_a, org.leader_a):  # raiser, assignees so far
        assert f"problem:{p.pk}:resolved:{person.pk}:inbox" in messages_to(person, p)
    assert not messages_to(org.supervisor, p)  # the one who closed it
    record = AuditRecord.objects.get(object_id=str(p.pk), action="resolve")
    assert record.changes["status"] == ["open", "resolved"]
    with pytest.raises(RuleViolation):  # closed: nothing more to answer
        services.respond_problem(p, actor=org.supervisor, version=p.version, text="再说一句")


def test_declared_unsolvable_with_reasons(world):
    org = world.org
    p = raise_one(world)
    services.declare_unsolvable(p, actor=org.unitadmin_a, version=p.version, reasons="政策不允许")
    p.refresh_from_db()
    assert p.status == "unsolvable" and p.resolution == "政策不允许"
    assert p.steps.order_by("pk").last().kind == "unsolvable"
    assert f"problem:{p.pk}:unsolvable:{org.reporter_a.pk}:inbox" in messages_to(org.reporter_a, p)
    assert AuditRecord.objects.filter(object_id=str(p.pk), action="declare_unsolvable").exists()


# --- escalation ---------------------------------------------------------------------------


def test_escalation_climbs_one_level_per_run_and_is_idempotent(world):
    org = world.org
    p = raise_one(world)
    cal = current_calendar()
    assert escalate(dt.date(2026, 3, 9))["escalated"] == 0  # the SLA's last day
    result = escalate(dt.date(2026, 3, 10))
    assert result["escalated"] == 1
    p.refresh_from_db()
    assert (p.level, p.level_entered_on, p.assignee) == (2, dt.date(2026, 3, 10), org.leader_a)
    assert p.sla_due_on == cal.add_working_days(dt.date(2026, 3, 10), 10)
    assert p.version == 2
    # Again the same day, and the days after within the new SLA: nothing.
    assert escalate(dt.date(2026, 3, 10))["escalated"] == 0
    assert escalate(p.sla_due_on)["escalated"] == 0
    # Forgotten for months: still one level per run, never straight past the lead leader.
    late = dt.date(2026, 9, 1)
    assert escalate(late)["escalated"] == 1
    p.refresh_from_db()
    assert (p.level, p.level_entered_on, p.assignee) == (3, late, org.supervisor)
    assert escalate(late)["escalated"] == 0
    # At the top level past its SLA it stays (the task's light turns red instead).
    result = escalate(dt.date(2026, 12, 1))
    assert (result["escalated"], result["top_past_sla"]) == (0, 1)
    p.refresh_from_db()
    assert p.level == 3
    steps = list(p.steps.filter(kind="escalated").values_list("level", "actor", "at"))
    assert [s[0] for s in steps] == [2, 3]
    assert all(s[1] == system_actor().pk for s in steps)
    records = AuditRecord.objects.filter(object_id=str(p.pk), action="escalate").order_by("id")
    assert [r.changes["level"] for r in records] == [[1, 2], [2, 3]]
    assert all(r.context["task"] == world.task.pk for r in records)
    assert records[0].changes["assignee"] == [
        org.unitadmin_a.display_name,
        org.leader_a.display_name,
    ]


def test_escalation_tells_the_new_and_previous_assignee_and_the_raiser(world):
    org = world.org
    p = raise_one(world)
    escalate(dt.date(2026, 3, 10))
    escalate(dt.date(2026, 3, 10))  # a second run tells nobody again
    for person in (org.leader_a, org.reporter_a, org.unitadmin_a):
        keys = [k for k in messages_to(person, p) if ":escalated:" in k]
        assert keys == [f"problem:{p.pk}:escalated:2:{person.pk}:inbox"]
    escalate(dt.date(2026, 9, 1))
    for person in (org.supervisor, org.reporter_a, org.leader_a):
        assert f"problem:{p.pk}:escalated:3:{person.pk}:inbox" in messages_to(person, p)
    assert not any(":escalated:3:" in k for k in messages_to(org.unitadmin_a, p))
    keys = list(Message.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))


def test_the_new_levels_holder_may_answer_the_old_one_not(world):
    org = world.org
    p = raise_one(world)
    escalate(dt.date(2026, 3, 10))
    p.refresh_from_db()
    with pytest.raises(OutOfScope):
        services.resolve_problem(p, actor=org.unitadmin_a, version=p.version, resolution="x")
    services.respond_problem(p, actor=org.leader_a, version=p.version, text="我来协调")
    p.refresh_from_db()
    assert p.answered_at is not None
    escalate(dt.date(2026, 9, 1))
    p.refresh_from_db()
    assert p.answered_at is None  # the new level has not answered yet


def test_a_closed_problem_never_escalates(world):
    org = world.org
    resolved = raise_one(world)
    unsolvable = raise_one(world, title="用地指标不足")
    services.resolve_problem(resolved, actor=org.unitadmin_a, version=1, resolution="已解决")
    services.declare_unsolvable(unsolvable, actor=org.unitadmin_a, version=1, reasons="政策限制")
    for day in (dt.date(2026, 3, 10), dt.date(2026, 6, 1), dt.date(2026, 9, 1)):
        assert escalate(day) == {
            "today": day.isoformat(),
            "checked": 0,
            "escalated": 0,
            "top_past_sla": 0,
        }
    assert set(Problem.objects.values_list("level", flat=True)) == {1}
    assert not ProblemStep.objects.filter(kind="escalated").exists()


def test_only_supervisors_and_the_system_escalate(world):
    raise_one(world)
    with pytest.raises(OutOfScope):
        services.escalate_problems(actor=world.org.reporter_a, today=dt.date(2026, 3, 10))
    assert (
        services.escalate_problems(actor=world.org.supervisor, today=dt.date(2026, 3, 10))[
            "escalated"
        ]
        == 1
    )


def test_the_worker_job_runs_on_working_days_as_the_system(world, monkeypatch):
    p = raise_one(world)
    day = {"d": dt.date(2026, 3, 14)}  # a Saturday, past the SLA
    monkeypatch.setattr(jobs.timezone, "localdate", lambda *a: day["d"])
    assert jobs.escalate_problems() is None
    p.refresh_from_db()
    assert p.level == 1
    day["d"] = dt.date(2026, 3, 16)
    assert jobs.escalate_problems()["escalated"] == 1
    assert jobs.escalate_problems()["escalated"] == 0  # hourly runs the same day
    record = AuditRecord.objects.get(object_id=str(p.pk), action="escalate")
    assert record.actor_id == system_actor().pk
    from django.conf import settings

    assert settings.LUOSHI_JOBS["luoshi.escalate_problems"] == (
        "luoshi.supervision.jobs.escalate_problems",
        60,
    )
