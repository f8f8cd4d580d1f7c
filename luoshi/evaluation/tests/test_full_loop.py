"""The whole loop on the real models and services, as DOMAIN.md draws it:

import a ledger → deploy and sign for → cycles → reports → a light turns red → a problem
escalated → a supervision order answered → a bulletin published → completion accepted →
evaluation → the source answered → a re-check finds a regression → a rectification task is done
→ consolidated. At the end the closed-loop check reports no open item, every step is in the
audit chain, `luoshi audit_verify` passes and `luoshi closeout` counts every task once.

Time moves the way the browser tests move it: by moving a record's dates back (a problem's
level began 8 working days ago; a re-check fell due yesterday), so every service runs on the
real clock.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from luoshi.bulletins import services as bulletins
from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Slot
from luoshi.evaluation import services as evaluation
from luoshi.evaluation.models import Completion, Recheck
from luoshi.evaluation.rules import add_months, recheck_dates
from luoshi.ledger import services as ledger
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Assignment, Plan, ShownLight, Task, TaskStatus
from luoshi.notify.models import Message
from luoshi.supervision import closed_loop
from luoshi.supervision.models import Problem, TaskLight
from luoshi.supervision.services import orders, problems, recompute_lights

PLAN = "全流程闭环测试台账"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _workbook(today: dt.date) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "序号",
            "工作任务",
            "牵头领导",
            "责任单位",
            "责任人",
            "完成时限",
            "是否重点",
            "目标值",
            "计量单位",
            "来源",
            "文号",
            "状态",
        ]
    )
    ws.append(
        [
            "1",
            "新建改扩建中小学校30所",
            "甲领导",
            "甲局一处",
            "甲填报",
            (today - dt.timedelta(days=20)).isoformat(),
            "是",
            30,
            "所",
            "批示",
            "市长批示〔2026〕5号",
            "推进中",
        ]
    )
    ws.append(
        [
            "2",
            "背街小巷整治",
            "甲领导",
            "甲局一处",
            "甲填报",
            (today - dt.timedelta(days=60)).isoformat(),
            "否",
            None,
            None,
            None,
            None,
            "已完成",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _open_kinds() -> dict[str, int]:
    found: dict[str, int] = {}
    for item in closed_loop.items(system_actor()):
        found[item.kind] = found.get(item.kind, 0) + 1
    return found


def _fresh(model, obj):
    return model.objects.get(pk=obj.pk)


@pytest.mark.django_db
def test_the_whole_loop_closes_with_nothing_open(orgtree, capsys):
    today = timezone.localdate()
    cal = current_calendar()
    o = orgtree

    # --- import a ledger: one key task from the mayor's instruction, one imported as done ------
    report = run(
        _workbook(today),
        Options(plan_name=PLAN, owner_unit=o.office, year=today.year),
        actor=o.supervisor,
        commit=True,
    )
    assert report.errors == [], report.errors
    plan = Plan.objects.get(name=PLAN)
    key = Task.objects.get(plan=plan, no="1")
    done_row = Task.objects.get(plan=plan, no="2")
    assert (key.key_task, key.target, key.source_kind) == (True, Decimal(30), "instruction")
    assert (key.lead_leader, key.owner) == (o.leader_a, o.reporter_a)
    # The row marked 已完成 is the importing manager's acceptance, recorded as such.
    imported = Completion.objects.get(task=done_row)
    assert (imported.kind, imported.status, imported.decided_by) == (
        "import",
        "accepted",
        o.supervisor,
    )

    # --- deploy and sign for -----------------------------------------------------------------
    ledger.deploy_plan(plan, actor=o.supervisor)
    signed = ledger.acknowledge(Assignment.objects.filter(task=key, unit=o.a1), actor=o.reporter_a)
    assert signed == 1

    # --- a cycle opens; the owner reports; the lead leader accepts the report ------------------
    assert dispatch.open_due_cycles() >= 1
    slot = Slot.objects.filter(task=key, unit=o.a1).order_by("due_at").first()
    rep, _ = dispatch.start_report(slot, actor=o.reporter_a)
    dispatch.submit_report(
        rep,
        actor=o.reporter_a,
        version=rep.version,
        progress="已完成23所学校主体施工",
        problems="7所学校征地未完成",
        percent=77,
        actual=Decimal(23),
    )
    dispatch.review_report(_fresh(type(rep), rep), actor=o.leader_a, accept=True)
    key.refresh_from_db()
    assert key.progress == "已完成23所学校主体施工" and key.actual == Decimal(23)

    # --- the lights pass: past its deadline and not done, the key task turns red ---------------
    recompute_lights(actor=system_actor())
    assert TaskLight.objects.get(task=key).light == "red"
    assert ShownLight.objects.get(task=key).light == "red"

    # --- a problem, unresolved past its SLA, escalates to the lead leader, who resolves it ------
    problem = problems.raise_problem(
        key, actor=o.reporter_a, title="征地资金缺口", description="7所学校征地资金缺口"
    )
    entered = cal.add_working_days(today, -8)
    Problem.objects.filter(pk=problem.pk).update(
        level_entered_on=entered,
        sla_due_on=cal.add_working_days(entered, 5),
        raised_at=timezone.make_aware(dt.datetime.combine(entered, dt.time(10))),
    )
    problems.escalate_problems(actor=system_actor())
    problem.refresh_from_db()
    assert (problem.level, problem.assignee) == (2, o.leader_a)
    problems.respond_problem(
        problem, actor=o.leader_a, version=problem.version, text="已协调市财政局"
    )
    problem.refresh_from_db()
    problems.resolve_problem(
        problem, actor=o.leader_a, version=problem.version, resolution="专项资金已拨付"
    )

    # --- a supervision order: issued, answered by the unit, verified and closed ----------------
    order = orders.issue_order(
        actor=o.supervisor,
        unit=o.a1,
        tasks=[key],
        demand="限期完成剩余7所学校建设",
        respond_by=cal.add_working_days(today, 3),
    )
    orders.respond_order(
        order, actor=o.reporter_a, version=order.version, response="已制定倒排工期计划"
    )
    order.refresh_from_db()
    orders.verify_order(order, actor=o.supervisor, version=order.version, accept=True)
    order.refresh_from_db()
    assert order.status == "closed"

    # --- the month's bulletin names the red task; approved by a leader, published --------------
    bulletin = bulletins.draft(actor=o.supervisor, plan=plan)
    assert "新建改扩建中小学校30所" in json.dumps(bulletin.content, ensure_ascii=False)
    bulletin = bulletins.approve(bulletin, actor=o.admin, version=bulletin.version)
    bulletin = bulletins.publish(bulletin, actor=o.supervisor, version=bulletin.version, pdf=False)
    assert bulletin.status == "published" and bulletin.sha256

    # --- completion with evidence, accepted by the lead leader: done, late --------------------
    completion = evaluation.submit_completion(
        key,
        actor=o.reporter_a,
        completed_on=today,
        summary="30所学校全部竣工，新增学位1.2万个",
        actual=Decimal(30),
        documents=[("竣工验收报告.pdf", PDF)],
    )
    key.refresh_from_db()
    assert key.status != TaskStatus.DONE  # not done until accepted
    evaluation.decide_completion(
        completion, actor=o.leader_a, version=completion.version, accept=True
    )
    key.refresh_from_db()
    completion.refresh_from_db()
    assert key.status == TaskStatus.DONE and key.actual == Decimal(30)
    assert completion.days_late > 0  # accepted, and late by its working days

    # --- evaluation: attainment from target and actual, quality, effect -----------------------
    ev = evaluation.evaluate(
        key, actor=o.leader_a, quality="excellent", effect="新增学位1.2万个，缓解入学难"
    )
    assert ev.attainment == Decimal("100.0")

    # --- the source (the mayor's instruction) is answered and acknowledged ---------------------
    assert "answer_missing" in _open_kinds()
    answer = evaluation.send_answer(
        key, actor=o.supervisor, issuer=o.admin, outcome="30所学校已全部竣工投用"
    )
    evaluation.acknowledge_answer(
        answer, actor=o.admin, version=answer.version, rating="satisfied", comment="抓得实"
    )

    # --- the first re-check falls due and finds a regression: a rectification task ------------
    first, second = Recheck.objects.filter(task=key).order_by("round")
    Recheck.objects.filter(pk=first.pk).update(due_on=today - dt.timedelta(days=1))
    assert _open_kinds().get("recheck_due") == 1
    first.refresh_from_db()
    evaluation.record_recheck(
        first,
        actor=o.reporter_a,
        version=first.version,
        held=False,
        findings="2所学校配套食堂未投用",
        deadline=today + dt.timedelta(days=30),
    )
    first.refresh_from_db()
    fix = first.rectification
    assert fix is not None and fix.plan_id == plan.pk and fix.deadline > today
    assert (fix.owner, fix.lead_leader) == (o.reporter_a, o.leader_a)
    assert Message.objects.filter(recipient=o.reporter_a, subject__contains=fix.no).exists()
    recompute_lights(actor=system_actor())
    assert TaskLight.objects.get(task=fix).light in ("green", "yellow")  # in the ledger, lit

    # --- the rectification is done and accepted, and evaluated --------------------------------
    c2 = evaluation.submit_completion(
        fix, actor=o.reporter_a, completed_on=today, summary="2所学校食堂已投用"
    )
    evaluation.decide_completion(c2, actor=o.supervisor, version=c2.version, accept=True)
    fix.refresh_from_db()
    assert fix.status == TaskStatus.DONE
    evaluation.evaluate(fix, actor=o.supervisor, quality="good", effect="食堂投用")

    # --- the second re-check: the result holds — consolidated ---------------------------------
    second.refresh_from_db()
    evaluation.record_recheck(
        second, actor=o.supervisor, version=second.version, held=True, findings="运行正常"
    )

    # --- nothing open; every task in exactly one outcome --------------------------------------
    check = closed_loop.check(system_actor())
    assert check["open_items"] == 0, check
    call_command("closeout", "--plan", PLAN, "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "plan": PLAN,
        "outcomes": {"on_time": 1, "late": 1, "rectified": 0, "consolidated": 1, "not_done": 0},
        "open_items": 0,
    }
    assert sum(out["outcomes"].values()) == Task.objects.filter(plan=plan).count() == 3

    # --- every step is in the audit chain, and the chain verifies -----------------------------
    steps = set(AuditRecord.objects.values_list("object_type", "action"))
    for step in [
        ("ledger.task", "import_create"),
        ("evaluation.completion", "record_acceptance"),
        ("ledger.plan", "deploy"),
        ("dispatch.report", "submit"),
        ("dispatch.report", "accept"),
        ("supervision.problem", "create"),
        ("supervision.problem", "escalate"),
        ("supervision.problem", "resolve"),
        ("supervision.order", "issue"),
        ("supervision.order", "respond"),
        ("supervision.order", "close"),
        ("bulletins.bulletin", "publish"),
        ("evaluation.completion", "submit"),
        ("evaluation.completion", "accept"),
        ("ledger.task", "complete"),
        ("evaluation.evaluation", "evaluate"),
        ("evaluation.answer", "send"),
        ("evaluation.answer", "acknowledge"),
        ("evaluation.recheck", "recheck"),
        ("ledger.task", "create"),
    ]:
        assert step in steps, step
    # The acceptance's own record names the re-checks it scheduled.
    accepted = AuditRecord.objects.get(
        object_type="evaluation.completion", object_id=str(completion.pk), action="accept"
    )
    planned = [d.isoformat() for d in recheck_dates(today, (3, 6))]
    assert accepted.changes["rechecks"] == [None, planned]
    assert accepted.changes["post_evaluation"] == [None, add_months(today, 12).isoformat()]
    assert second.due_on.isoformat() == planned[1]
    call_command("audit_verify")
    assert capsys.readouterr().out.startswith("audit chain intact")
