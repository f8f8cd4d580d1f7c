"""Completion and acceptance (验收), evaluation, the answer to the source, re-checks and
rectification, close-out: the services with their refusals, on the real models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.evaluation import closeout, services
from luoshi.evaluation.models import Answer, Completion, Evaluation, PostEvaluation, Recheck
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task, TaskStatus
from luoshi.notify.models import Message
from luoshi.supervision import closed_loop

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=TZ)  # a Wednesday


def build(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(
        actor=actor, name="验收测试计划", year=2026, owner_unit=orgtree.office
    )
    key = ledger.create_task(
        plan,
        actor=actor,
        title="新建学校30所",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        deadline=dt.date(2026, 6, 30),
        key_task=True,
        target=Decimal(30),
        measure="所",
        source_kind="instruction",
        source_ref="市长批示",
    )
    plain = ledger.create_task(
        plan,
        actor=actor,
        title="乙局任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
        deadline=dt.date(2026, 5, 29),
    )
    ledger.deploy_plan(plan, actor=actor)
    return SimpleNamespace(plan=plan, key=key, plain=plain)


@pytest.fixture
def world(orgtree):
    return build(orgtree)


def submit(orgtree, task, **kw):
    kw.setdefault("completed_on", dt.date(2026, 6, 9))
    kw.setdefault("summary", "30所学校全部竣工并通过验收")
    return services.submit_completion(task, actor=orgtree.reporter_a, now=NOW, **kw)


def accept(person, completion, **kw):
    completion.refresh_from_db()
    return services.decide_completion(
        completion, actor=person, version=completion.version, accept=True, now=NOW, **kw
    )


def test_a_submitted_completion_does_not_make_the_task_done(orgtree, world):
    c = submit(orgtree, world.key, actual=Decimal(23))
    world.key.refresh_from_db()
    assert c.status == Completion.Status.SUBMITTED
    assert world.key.status != TaskStatus.DONE
    # The lead leader is told it awaits acceptance.
    assert Message.objects.filter(recipient=orgtree.leader_a).exists()


def test_acceptance_makes_the_task_done_on_time_and_schedules_rechecks(orgtree, world):
    c = submit(orgtree, world.key, actual=Decimal(23))
    accept(orgtree.leader_a, c)
    world.key.refresh_from_db()
    assert world.key.status == TaskStatus.DONE
    assert world.key.completed_on == dt.date(2026, 6, 9)
    assert world.key.actual == Decimal(23)
    c.refresh_from_db()
    assert (c.status, c.days_late, c.on_time) == ("accepted", 0, True)
    rechecks = list(Recheck.objects.filter(task=world.key).order_by("round"))
    assert [r.due_on for r in rechecks] == [dt.date(2026, 9, 10), dt.date(2026, 12, 10)]
    assert all(r.unit_id == orgtree.a1.pk for r in rechecks)
    # A key task gets its post-evaluation a year on (the default).
    assert PostEvaluation.objects.get(task=world.key).due_on == dt.date(2027, 6, 10)
    ledger_record = AuditRecord.objects.filter(
        object_type="ledger.task", object_id=str(world.key.pk), action="complete"
    ).get()
    assert ledger_record.context == {"completion": c.pk}


def test_a_late_completion_counts_working_days_late(orgtree, world):
    c = services.submit_completion(
        world.plain,
        actor=orgtree.reporter_b,
        completed_on=dt.date(2026, 6, 3),  # deadline Fri 29 May: Mon 1 .. Wed 3 June
        summary="已完成",
        now=NOW,
    )
    accept(orgtree.supervisor, c)
    c.refresh_from_db()
    assert c.days_late == 3


def test_returned_completion_needs_reasons_and_leaves_the_task_open(orgtree, world):
    c = submit(orgtree, world.key)
    with pytest.raises(RuleViolation) as e:
        services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=False)
    assert e.value.field == "comment"
    services.decide_completion(
        c, actor=orgtree.leader_a, version=c.version, accept=False, comment="缺少竣工验收报告"
    )
    world.key.refresh_from_db()
    assert world.key.status != TaskStatus.DONE
    # Submitted again after the return.
    again = submit(orgtree, world.key)
    assert again.pk != c.pk


def test_who_may_submit_and_accept(orgtree, world):
    with pytest.raises(OutOfScope):
        services.submit_completion(
            world.key, actor=orgtree.reporter_b, completed_on=dt.date(2026, 6, 9), summary="x"
        )
    c = submit(orgtree, world.key)
    for outsider in (orgtree.reporter_a, orgtree.reporter_b, orgtree.unitadmin_a):
        with pytest.raises(OutOfScope):
            services.decide_completion(c, actor=outsider, version=c.version, accept=True)
    with pytest.raises(RuleViolation):
        submit(orgtree, world.key)  # one awaiting acceptance at a time


def test_a_stale_acceptance_is_refused(orgtree, world):
    c = submit(orgtree, world.key)
    with pytest.raises(StaleVersion):
        services.decide_completion(c, actor=orgtree.leader_a, version=c.version + 1, accept=True)
    with pytest.raises(RuleViolation):
        services.decide_completion(c, actor=orgtree.leader_a, version=None, accept=True)


def test_evidence_text_is_required_and_documents_are_kept(orgtree, world):
    with pytest.raises(RuleViolation) as e:
        submit(orgtree, world.key, summary="  ")
    assert e.value.field == "summary"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    c = submit(orgtree, world.key, documents=[("验收报告.pdf", pdf)])
    assert [d.name for d in c.documents.all()] == ["验收报告.pdf"]
    with pytest.raises(RuleViolation):
        services.submit_completion(
            world.plain,
            actor=orgtree.reporter_b,
            completed_on=dt.date(2026, 6, 9),
            summary="x",
            documents=[("x.exe", b"MZ")],
        )
    assert not Completion.objects.filter(task=world.plain).exists()  # nothing half written


def test_a_plan_manager_marking_done_is_recorded_as_their_acceptance(orgtree, world):
    task = Task.objects.get(pk=world.plain.pk)
    ledger.update_task(
        task,
        actor=orgtree.supervisor,
        version=task.version,
        status=TaskStatus.DONE,
        completed_on=dt.date(2026, 5, 28),
    )
    c = Completion.objects.get(task=task)
    assert (c.kind, c.status, c.decided_by, c.days_late) == (
        "manager",
        "accepted",
        orgtree.supervisor,
        0,
    )
    record = AuditRecord.objects.get(
        object_type="evaluation.completion", action="record_acceptance", object_id=str(c.pk)
    )
    days = [r.due_on.isoformat() for r in Recheck.objects.filter(task=task).order_by("round")]
    assert len(days) == 2 and record.changes["rechecks"] == [None, days]
    assert "post_evaluation" not in record.changes  # not a key task


def test_evaluation_of_an_accepted_task(orgtree, world):
    with pytest.raises(RuleViolation):
        services.evaluate(world.key, actor=orgtree.leader_a, quality="good", effect="好")
    c = submit(orgtree, world.key, actual=Decimal(23))
    accept(orgtree.leader_a, c)
    world.key.refresh_from_db()
    with pytest.raises(OutOfScope):
        services.evaluate(world.key, actor=orgtree.reporter_a, quality="good", effect="好")
    ev = services.evaluate(
        world.key, actor=orgtree.leader_a, quality="good", effect="新增学位1.2万个"
    )
    assert (ev.attainment, ev.days_late, ev.quality) == (Decimal("76.7"), 0, "good")
    with pytest.raises(RuleViolation):  # revising needs the version seen
        services.evaluate(world.key, actor=orgtree.leader_a, quality="excellent", effect="x")
    ev = services.evaluate(
        world.key, actor=orgtree.leader_a, quality="excellent", effect="x", version=ev.version
    )
    assert Evaluation.objects.get(task=world.key).quality == "excellent"


def test_satisfaction_is_required_where_the_plan_surveys_it(orgtree, world):
    services.save_rules(world.plan, actor=orgtree.supervisor, satisfaction=True)
    accept(orgtree.leader_a, submit(orgtree, world.key))
    world.key.refresh_from_db()
    with pytest.raises(RuleViolation) as e:
        services.evaluate(world.key, actor=orgtree.leader_a, quality="good", effect="好")
    assert e.value.field == "satisfaction"
    ev = services.evaluate(
        world.key,
        actor=orgtree.leader_a,
        quality="good",
        effect="好",
        satisfaction="96.5",
        respondents=200,
    )
    assert ev.satisfaction == Decimal("96.5")


def test_the_answer_goes_back_to_the_issuer_who_acknowledges_it(orgtree, world):
    accept(orgtree.leader_a, submit(orgtree, world.key))
    world.key.refresh_from_db()
    with pytest.raises(RuleViolation):
        services.send_answer(
            world.plain, actor=orgtree.supervisor, issuer=orgtree.admin, outcome="x"
        )
    a = services.send_answer(
        world.key, actor=orgtree.supervisor, issuer=orgtree.admin, outcome="30所学校已竣工"
    )
    assert Message.objects.filter(recipient=orgtree.admin).exists()
    with pytest.raises(OutOfScope):
        services.acknowledge_answer(a, actor=orgtree.supervisor, version=a.version)
    services.acknowledge_answer(
        a, actor=orgtree.admin, version=a.version, rating="satisfied", comment="很好"
    )
    a.refresh_from_db()
    assert (a.status, a.rating) == (Answer.Status.ACKNOWLEDGED, "satisfied")


def test_a_regression_opens_a_linked_rectification_task(orgtree, world):
    accept(orgtree.leader_a, submit(orgtree, world.key))
    r = Recheck.objects.filter(task=world.key).order_by("round").first()
    with pytest.raises(RuleViolation) as e:
        services.record_recheck(
            r, actor=orgtree.reporter_a, version=r.version, held=False, findings="有反弹"
        )
    assert e.value.field == "deadline"
    services.record_recheck(
        r,
        actor=orgtree.reporter_a,
        version=r.version,
        held=False,
        findings="两所学校配套设施未完善",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    r.refresh_from_db()
    fix = r.rectification
    assert r.status == Recheck.Status.REGRESSED
    assert fix.plan_id == world.plan.pk
    assert fix.owner_id == orgtree.reporter_a.pk and fix.lead_leader_id == orgtree.leader_a.pk
    assert list(fix.assignments.values_list("unit_id", flat=True)) == [orgtree.a1.pk]
    assert fix.no == f"{world.key.no}-整改1"
    assert Message.objects.filter(recipient=orgtree.leader_a, subject__contains=fix.no).exists()


def test_closeout_counts_every_task_once(orgtree, world):
    accept(orgtree.leader_a, submit(orgtree, world.key))
    result = closeout.closeout(system_actor(), world.plan)
    assert result.as_json()["outcomes"] == {
        "on_time": 1,
        "late": 0,
        "rectified": 0,
        "consolidated": 0,
        "not_done": 1,
    }
    assert sum(result.outcomes.values()) == Task.objects.filter(plan=world.plan).count()
    # The key task is accepted but not evaluated, and its source not answered: open items.
    kinds = closeout.open_items(system_actor(), world.plan)
    assert kinds.get("evaluation_missing") == 1 and kinds.get("answer_missing") == 1
    # The same items in the check everybody reads, with the sentence saying why.
    found = closed_loop.items(system_actor(), kind="evaluation_missing")
    assert [i.id for i in found] == [world.key.pk]
    assert "新建学校30所" in found[0].why


def test_quality_ratings_feed_the_assessment(orgtree, world):
    from luoshi.assessment.services import gather

    accept(orgtree.leader_a, submit(orgtree, world.key))
    world.key.refresh_from_db()
    services.evaluate(world.key, actor=orgtree.leader_a, quality="poor", effect="效果一般")
    now = timezone.now()
    today = timezone.localdate(now)
    facts = gather(world.plan, today - dt.timedelta(days=1), today, now)
    tally = facts["quality"][orgtree.a1.pk]
    assert world.key.pk in tally.missed
