"""Due process through the services: a unit asks for an extension or appeals a light, the lead
leader or a supervisor decides with reasons; approval moves the deadline the rules use, the
request keeps the original, the task's history shows both dates; refusals name who and why."""

import datetime as dt

import pytest

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.ledger.history import task_history
from luoshi.ledger.models import Task
from luoshi.notify.models import Message
from luoshi.supervision.models import Appeal, Extension, TaskLight
from luoshi.supervision.services import due_process as services
from luoshi.supervision.services.lights import recompute_lights

D = dt.date


@pytest.fixture
def world(orgtree):
    """Task A (A1 reports, leader_a leads, red) and task B (B1 reports, no lead leader, yellow),
    in a plan of the supervision office."""
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="正当程序", year=2026, owner_unit=orgtree.office)
    task_a = ledger.create_task(
        plan,
        actor=actor,
        title="甲局修路",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        start_date=D(2026, 1, 5),
        deadline=D(2026, 6, 30),
    )
    task_b = ledger.create_task(
        plan,
        actor=actor,
        title="乙局建校",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
        deadline=D(2026, 8, 31),
    )
    ledger.deploy_plan(plan, actor=actor)
    ledger.record_lights(
        [(task_a.pk, "red", "逾期3个工作日未完成"), (task_b.pk, "yellow", "本期进展逾期未报送")],
        actor=actor,
    )
    task_a.refresh_from_db()
    task_b.refresh_from_db()
    return orgtree, task_a, task_b


def inbox(person):
    return list(Message.objects.filter(recipient=person).values_list("subject", flat=True))


# --- extensions ------------------------------------------------------------------------------


def test_a_reporter_asks_and_the_lead_leader_is_told(world):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期无法施工"
    )
    assert (ext.status, ext.unit, ext.requested_by) == ("pending", o.a1, o.reporter_a)
    assert (ext.original_deadline, ext.requested_deadline) == (D(2026, 6, 30), D(2026, 9, 30))
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 6, 30)  # not moved yet
    record = task_history(task_a).first()
    assert (record.action, record.object_type, record.object_id) == (
        "create",
        "supervision.extension",
        str(ext.pk),
    )
    assert record.changes["requested_deadline"] == [None, "2026-09-30"]
    assert record.changes["original_deadline"] == [None, "2026-06-30"]
    assert len(inbox(o.leader_a)) == 1 and "甲局修路" in inbox(o.leader_a)[0]
    assert inbox(o.supervisor) == []  # the lead leader decides first


def test_without_a_lead_leader_the_supervisors_over_the_plan_are_told(world):
    o, _, task_b = world
    services.request_extension(
        task_b, actor=o.reporter_b, requested_deadline=D(2026, 10, 31), reason="用地未批"
    )
    assert len(inbox(o.supervisor)) == 1
    assert inbox(o.admin) == [] and inbox(o.leader_a) == []


@pytest.mark.parametrize("who", ["reporter_b", "leader_a", "supervisor"])
def test_only_whoever_reports_on_the_task_may_ask(world, who):
    o, task_a, _ = world
    with pytest.raises(OutOfScope):
        services.request_extension(
            task_a, actor=getattr(o, who), requested_deadline=D(2026, 9, 30), reason="x"
        )
    assert not Extension.objects.exists()


def test_a_unit_admin_above_the_unit_may_ask_for_it(world):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.unitadmin_a, requested_deadline=D(2026, 9, 30), reason="x"
    )
    assert ext.unit == o.a1


@pytest.mark.parametrize(
    ("requested", "reason", "field"),
    [
        (D(2026, 9, 30), "  ", "reason"),
        (D(2026, 6, 30), "同日", "requested_deadline"),
        (D(2026, 5, 1), "提前", "requested_deadline"),
        (None, "无日期", "requested_deadline"),
    ],
)
def test_bad_input_names_the_field(world, requested, reason, field):
    o, task_a, _ = world
    with pytest.raises(RuleViolation) as e:
        services.request_extension(
            task_a, actor=o.reporter_a, requested_deadline=requested, reason=reason
        )
    assert e.value.field == field
    assert not Extension.objects.exists()


def test_one_pending_request_per_task(world):
    o, task_a, _ = world
    services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="一"
    )
    with pytest.raises(RuleViolation, match="already waiting|待审批"):
        services.request_extension(
            task_a, actor=o.unitadmin_a, requested_deadline=D(2026, 10, 30), reason="二"
        )
    assert Extension.objects.count() == 1


def test_a_task_without_deadline_or_done_cannot_be_extended(world):
    o, task_a, task_b = world
    ledger.update_task(task_a, actor=system_actor(), version=task_a.version, deadline=None)
    with pytest.raises(RuleViolation, match="no deadline|未设完成时限"):
        services.request_extension(
            task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="x"
        )
    ledger.update_task(
        task_b, actor=system_actor(), version=task_b.version, status="done", percent=100
    )
    with pytest.raises(RuleViolation):
        services.request_extension(
            task_b, actor=o.reporter_b, requested_deadline=D(2026, 9, 30), reason="x"
        )


def test_approval_moves_the_deadline_the_rules_use_and_history_shows_both(world):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期"
    )
    recompute_lights(actor=system_actor(), today=D(2026, 7, 10))
    assert TaskLight.objects.get(task=task_a).light == "red"  # past the deadline

    services.decide_extension(
        ext, actor=o.leader_a, version=ext.version, approve=True, reason="情况属实，同意延期"
    )
    ext.refresh_from_db()
    assert (ext.status, ext.decided_by, ext.decision_reason) == (
        "approved",
        o.leader_a,
        "情况属实，同意延期",
    )
    assert ext.original_deadline == D(2026, 6, 30)  # kept
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 9, 30)

    records = list(task_history(task_a)[:2])
    moved = next(r for r in records if r.object_type == "ledger.task")
    assert moved.changes["deadline"] == ["2026-06-30", "2026-09-30"]
    assert moved.context["reason"] == "情况属实，同意延期"
    assert moved.context["source"] == f"extension:{ext.pk}"
    decided = next(r for r in records if r.object_type == "supervision.extension")
    assert decided.action == "approve" and decided.actor_id == o.leader_a.pk
    assert decided.changes["status"] == ["pending", "approved"]
    assert decided.context["reason"] == "情况属实，同意延期"
    assert any("Extension approved" in s or "延期" in s for s in inbox(o.reporter_a))

    recompute_lights(actor=system_actor(), today=D(2026, 7, 10))
    light = TaskLight.objects.get(task=task_a)
    assert light.light != "red"
    assert not [r for r in light.reasons if r["code"] == "deadline_overdue"]


def test_rejection_keeps_the_deadline_and_tells_the_requester(world):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期"
    )
    services.decide_extension(
        ext, actor=o.supervisor, version=ext.version, approve=False, reason="理由不充分"
    )
    ext.refresh_from_db()
    assert (ext.status, ext.decision_reason) == ("rejected", "理由不充分")
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 6, 30)
    assert len(inbox(o.reporter_a)) == 1
    rec = AuditRecord.objects.get(object_type="supervision.extension", action="reject")
    assert rec.thread == f"ledger.task:{task_a.pk}"
    # A new request may follow once the first is decided.
    services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 8, 31), reason="补充材料"
    )


@pytest.mark.parametrize("who", ["reporter_a", "reporter_b", "unitadmin_a"])
def test_a_reporter_cannot_decide(world, who):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期"
    )
    with pytest.raises(OutOfScope):
        services.decide_extension(
            ext, actor=getattr(o, who), version=ext.version, approve=True, reason="自己批"
        )
    ext.refresh_from_db()
    assert ext.status == "pending"
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 6, 30)


def test_a_leader_decides_only_the_tasks_they_lead(world):
    o, _, task_b = world
    ext = services.request_extension(
        task_b, actor=o.reporter_b, requested_deadline=D(2026, 9, 30), reason="x"
    )
    with pytest.raises(OutOfScope):
        services.decide_extension(
            ext, actor=o.leader_a, version=ext.version, approve=True, reason="x"
        )


def test_deciding_needs_reasons_and_the_current_version(world):
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期"
    )
    with pytest.raises(RuleViolation) as e:
        services.decide_extension(ext, actor=o.leader_a, version=1, approve=True, reason=" ")
    assert e.value.field == "reason"
    with pytest.raises(StaleVersion):
        services.decide_extension(ext, actor=o.leader_a, version=7, approve=True, reason="同意")
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 6, 30)
    services.decide_extension(ext, actor=o.leader_a, version=1, approve=False, reason="不同意")
    with pytest.raises(RuleViolation, match="already been decided|已处理"):
        services.decide_extension(ext, actor=o.supervisor, version=2, approve=True, reason="改批")


def test_an_approval_racing_a_task_edit_is_refused_whole(world, monkeypatch):
    """The task changed between the decider's read and the ledger's write: nothing is saved."""
    o, task_a, _ = world
    ext = services.request_extension(
        task_a, actor=o.reporter_a, requested_deadline=D(2026, 9, 30), reason="汛期"
    )
    from luoshi.ledger import services as ledger_services

    real = ledger_services.save_versioned

    def edit_first(obj, version, fields):
        if isinstance(obj, Task):
            Task.objects.filter(pk=obj.pk).update(version=obj.version + 1)
        return real(obj, version, fields)

    monkeypatch.setattr(ledger_services, "save_versioned", edit_first)
    with pytest.raises(StaleVersion):
        services.decide_extension(
            ext, actor=o.leader_a, version=ext.version, approve=True, reason="同意"
        )
    ext = Extension.objects.get(pk=ext.pk)
    assert ext.status == "pending" and ext.version == 1


# --- appeals ---------------------------------------------------------------------------------


def test_a_unit_appeals_its_light_and_the_lead_leader_upholds_it(world):
    o, task_a, _ = world
    appeal = services.appeal_light(task_a, actor=o.reporter_a, reason="已于6月28日完工，待验收")
    assert (appeal.light, appeal.light_reasons) == ("red", "逾期3个工作日未完成")
    assert (appeal.unit, appeal.status) == (o.a1, "pending")
    assert len(inbox(o.leader_a)) == 1
    create = task_history(task_a).first()
    assert (create.object_type, create.action) == ("supervision.appeal", "create")

    services.decide_appeal(
        appeal, actor=o.leader_a, version=appeal.version, uphold=True, reason="经核实已完工"
    )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (
        "approved",
        o.leader_a,
        "经核实已完工",
    )
    decided = task_history(task_a).first()
    assert (decided.object_type, decided.action) == ("supervision.appeal", "uphold")
    assert decided.changes["status"] == ["pending", "approved"]
    assert decided.changes["decision_reason"] == ["", "经核实已完工"]
    assert len(inbox(o.reporter_a)) == 1


def test_an_appeal_rejected_by_a_supervisor(world):
    o, _, task_b = world
    appeal = services.appeal_light(task_b, actor=o.reporter_b, reason="已报送")
    assert len(inbox(o.supervisor)) == 1  # no lead leader: the supervisors decide
    services.decide_appeal(
        appeal, actor=o.supervisor, version=appeal.version, uphold=False, reason="系统无记录"
    )
    appeal.refresh_from_db()
    assert appeal.status == "rejected"
    assert AuditRecord.objects.filter(object_type="supervision.appeal", action="reject").exists()


def test_appeal_refusals(world):
    o, task_a, task_b = world
    with pytest.raises(OutOfScope):
        services.appeal_light(task_a, actor=o.reporter_b, reason="x")
    with pytest.raises(RuleViolation) as e:
        services.appeal_light(task_a, actor=o.reporter_a, reason="")
    assert e.value.field == "reason"
    appeal = services.appeal_light(task_a, actor=o.reporter_a, reason="理由")
    with pytest.raises(RuleViolation, match="already waiting|待处理"):
        services.appeal_light(task_a, actor=o.unitadmin_a, reason="再次")
    for who in ("reporter_a", "reporter_b", "unitadmin_a"):
        with pytest.raises(OutOfScope):
            services.decide_appeal(
                appeal, actor=getattr(o, who), version=1, uphold=True, reason="x"
            )
    with pytest.raises(RuleViolation) as e:
        services.decide_appeal(appeal, actor=o.leader_a, version=1, uphold=True, reason="")
    assert e.value.field == "reason"
    with pytest.raises(StaleVersion):
        services.decide_appeal(appeal, actor=o.leader_a, version=2, uphold=True, reason="x")
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"
    # A green light is no warning: nothing to appeal.
    ledger.record_lights([(task_b.pk, "green", "")], actor=system_actor())
    with pytest.raises(RuleViolation, match="nothing to appeal|无需申诉"):
        services.appeal_light(task_b, actor=o.reporter_b, reason="x")
