"""Assessing a month on the real models: what each indicator counts for each unit, scores that
are exactly the sum of their breakdown, ranks, bonus and penalty items, the late answer to an
order deducted, a locked month that never changes (its digest in the audit chain), the
command's JSON, the API and the pages, each scoped."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from luoshi.assessment import access, services
from luoshi.assessment.models import Adjustment, Assessment, Score
from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.dispatch.models import Cycle, Report, ReviewEvent, Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task
from luoshi.supervision.models import Problem
from luoshi.supervision.services import orders

D = dt.date
JUNE_END = D(2026, 6, 30)
PLAN = "2026年考核测试"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def world(orgtree):
    o = orgtree
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name=PLAN, year=2026, owner_unit=o.office)

    def task(title, unit, deadline, **kw):
        return ledger.create_task(
            plan, actor=actor, title=title, responsible_units=[unit], deadline=deadline, **kw
        )

    # 甲 (a1): two tasks due in June, one done on time, one not done; one due in July.
    a_done = task("甲按时完成", o.a1, D(2026, 6, 10), status="done", completed_on=D(2026, 6, 9))
    a_open = task("甲未完成", o.a1, D(2026, 6, 20))
    task("甲七月任务", o.a1, D(2026, 7, 31))
    # 乙 (b1): one task due in June, done three working days late.
    b_late = task("乙逾期完成", o.b1, D(2026, 6, 10), status="done", completed_on=D(2026, 6, 15))
    ledger.deploy_plan(plan, actor=actor)

    # Reports due 5 June: 甲 on time, 乙 late; 甲's report accepted after one return.
    schedule = Schedule.objects.create(plan=plan, task=None)
    cycle = Cycle.objects.create(
        plan=plan,
        schedule=schedule,
        period_start=D(2026, 5, 6),
        due_at=at(D(2026, 6, 5), 17),
        closes_at=at(D(2026, 6, 12), 17),
    )
    slots = {}
    for t, unit, submitted in (
        (a_done, o.a1, at(D(2026, 6, 5), 9)),
        (b_late, o.b1, at(D(2026, 6, 8), 9)),
    ):
        slots[unit.pk] = Slot.objects.create(
            cycle=cycle,
            task=t,
            unit=unit,
            due_at=cycle.due_at,
            status="accepted",
            submitted_at=submitted,
        )
    a_report = Report.objects.create(slot=slots[o.a1.pk], progress="已完成")
    b_report = Report.objects.create(slot=slots[o.b1.pk], progress="已完成")
    for report, actions in ((a_report, ["return", "accept"]), (b_report, ["accept"])):
        for i, action in enumerate(actions):
            ev = ReviewEvent.objects.create(report=report, actor=o.supervisor, action=action)
            ReviewEvent.objects.filter(pk=ev.pk).update(at=at(D(2026, 6, 8 + i)))

    # 乙: one problem resolved at its level in June, one that climbed before it was resolved.
    for title, level, closed in (("乙问题一", 1, D(2026, 6, 10)), ("乙问题二", 2, D(2026, 6, 25))):
        Problem.objects.create(
            task=b_late,
            unit=o.b1,
            title=title,
            raised_by=o.reporter_b,
            raised_at=at(D(2026, 6, 1)),
            raised_level=1,
            level=level,
            level_entered_on=D(2026, 6, 1),
            sla_due_on=D(2026, 6, 8),
            status="resolved",
            closed_at=at(closed),
        )
    # 甲: a supervision order due 15 June, never answered.
    orders.issue_order(
        actor=o.supervisor,
        unit=o.a1,
        tasks=[a_open],
        demand="限期完成",
        respond_by=D(2026, 6, 15),
        now=at(D(2026, 6, 11)),
    )
    return {"o": o, "plan": plan, "a_done": a_done, "a_open": a_open, "b_late": b_late}


def _breakdown(assessment, unit) -> dict:
    score = Score.objects.get(assessment=assessment, unit=unit)
    return {i["code"]: i for i in score.breakdown}


def test_each_indicator_counts_what_it_says(world):
    o, plan = world["o"], world["plan"]
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    ba, bb = _breakdown(a, o.a1), _breakdown(a, o.b1)
    # 甲: 1 of 2 due done (40 × 50% = 20); on time 1 of 1 (20); report on time (15);
    # no problem (not applicable: 10); report returned once (0); an order unanswered (−1).
    assert (ba["completion"]["value"], ba["completion"]["points"]) == (50, 20)
    assert ba["completion"]["missed"] == [world["a_open"].pk]
    assert ba["on_time"]["points"] == 20 and ba["reporting"]["points"] == 15
    assert ba["problems"]["value"] is None and ba["problems"]["points"] == 10
    assert ba["quality"]["value"] == 0 and ba["quality"]["points"] == 0
    assert ba["late_order"]["points"] == -1
    # 乙: done (40), late (0), report late (0), 1 of 2 problems in time (5), accepted (15).
    assert [bb[c]["points"] for c in ("completion", "on_time", "reporting", "problems")] == [
        40,
        0,
        0,
        5,
    ]
    assert bb["quality"]["points"] == 15 and "late_order" not in bb
    scores = {s.unit_id: s for s in Score.objects.filter(assessment=a)}
    assert scores[o.a1.pk].score == Decimal("64.00") and scores[o.b1.pk].score == Decimal("60.00")
    assert (scores[o.a1.pk].rank, scores[o.b1.pk].rank) == (1, 2)


def test_each_score_equals_the_sum_of_its_breakdown(world):
    o, plan = world["o"], world["plan"]
    services.add_adjustment(
        plan, "2026-06", o.b1, actor=o.supervisor, points="2.5", reason="通报表扬"
    )
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=D(2026, 6, 20))
    for score in Score.objects.filter(assessment=a):
        assert score.score == sum(Decimal(str(i["points"])) for i in score.breakdown)
    labels = [i["indicator"] for i in Score.objects.get(assessment=a, unit=o.b1).breakdown]
    assert "加分：通报表扬" in labels


def test_an_item_whose_rescoring_fails_is_not_written(world):
    o, plan = world["o"], world["plan"]
    # A month that has not begun cannot be scored: the item must go with the failed rescoring.
    with pytest.raises(RuleViolation):
        services.add_adjustment(
            plan, "2099-01", o.a1, actor=o.supervisor, points=1, reason="表扬", rescore=True
        )
    assert not Adjustment.objects.filter(period="2099-01").exists()
    assert not AuditRecord.objects.filter(object_type="assessment.adjustment").exists()


def test_the_command_prints_the_document(world, capsys):
    call_command("assess", "--plan", PLAN, "--period", "2026-06", "--today", "2026-06-30", "--json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"] == "2026-06"
    assert [(u["unit"], u["score"], u["rank"]) for u in doc["units"]] == [
        ("甲局一处", 64, 1),
        ("乙局一处", 60, 2),
    ]
    first = doc["units"][0]["breakdown"][0]
    assert first == {"indicator": "任务完成率", "weight": 40, "value": 50, "points": 20}
    for unit in doc["units"]:
        assert unit["score"] == pytest.approx(sum(b["points"] for b in unit["breakdown"]))
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("assess", "--plan", PLAN, "--period", "2026-6", "--json")
    with pytest.raises(CommandError, match="No plan"):
        call_command("assess", "--plan", "无此台账", "--period", "2026-06", "--json")


def test_a_locked_month_never_changes(world):
    o, plan = world["o"], world["plan"]
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    locked = services.lock(a, actor=o.supervisor, version=a.version)
    assert locked.locked and len(locked.digest) == 64
    record = AuditRecord.objects.filter(object_type="assessment.assessment", action="lock").get()
    assert record.changes["digest"] == [None, locked.digest]
    before = list(Score.objects.filter(assessment=a).values_list("unit_id", "score", "rank"))

    # The facts move on; the locked month does not.
    t = Task.objects.get(pk=world["a_open"].pk)
    ledger.update_task(
        t, actor=o.supervisor, version=t.version, status="done", completed_on=D(2026, 6, 29)
    )
    with pytest.raises(RuleViolation, match="已锁定"):
        services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    with pytest.raises(RuleViolation, match="已锁定"):
        services.add_adjustment(plan, "2026-06", o.a1, actor=o.supervisor, points=1, reason="x")
    with pytest.raises(RuleViolation, match="已经锁定"):
        services.lock(locked, actor=o.supervisor)
    assert (
        list(Score.objects.filter(assessment=a).values_list("unit_id", "score", "rank")) == before
    )
    assert services.digest(Assessment.objects.get(pk=a.pk)) == locked.digest
    out = io.StringIO()
    call_command("assess", "--plan", PLAN, "--period", "2026-06", "--json", stdout=out)
    assert json.loads(out.getvalue())["units"][0]["score"] == 64


def test_a_stale_lock_is_refused(world):
    from luoshi.core.errors import StaleVersion

    o, plan = world["o"], world["plan"]
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)  # version moves on
    with pytest.raises(StaleVersion):
        services.lock(a, actor=o.supervisor, version=a.version)


def test_only_supervisors_over_the_plan_assess(world):
    o, plan = world["o"], world["plan"]
    for person in (o.reporter_a, o.leader_a, o.unitadmin_a):
        with pytest.raises(OutOfScope):
            services.compute(plan, "2026-06", actor=person, today=JUNE_END)
    with pytest.raises(RuleViolation, match="尚未开始"):
        services.compute(plan, "2026-07", actor=o.supervisor, today=JUNE_END)


def test_scheme_weights_must_make_100(world):
    o, plan = world["o"], world["plan"]
    bad = {"completion": 50, "on_time": 20, "reporting": 15, "problems": 10, "quality": 15}
    with pytest.raises(RuleViolation, match="110"):
        services.save_scheme(plan, actor=o.supervisor, weights=bad, late_order_penalty=1)
    good = {**bad, "completion": 60, "quality": 0, "problems": 5}
    services.save_scheme(plan, actor=o.supervisor, weights=good, late_order_penalty=2)
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    ba = _breakdown(a, o.a1)
    assert "quality" not in ba and ba["completion"]["points"] == 30
    assert ba["late_order"]["points"] == -2
    assert a.scheme["completion"] == "60.00"


def test_comparison_with_the_month_before(world, client):
    o, plan = world["o"], world["plan"]
    services.compute(plan, "2026-05", actor=o.supervisor, today=D(2026, 5, 31))
    june = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    assert set(access.previous_scores(june)) == {o.a1.pk, o.b1.pk}
    client.force_login(o.supervisor)
    body = client.get(f"/assessment/{june.pk}/").content.decode()
    assert "2026-05" in body and "ranking-row" in body


def test_scores_are_scoped_on_pages_and_api(world, client):
    o, plan = world["o"], world["plan"]
    a = services.compute(plan, "2026-06", actor=o.supervisor, today=JUNE_END)
    client.force_login(o.reporter_b)
    body = client.get(f"/assessment/{a.pk}/").content.decode()
    assert "乙局一处" in body and "甲局一处" not in body
    data = client.get(f"/api/assessments/{a.pk}/").json()
    assert [s["unit_name"] for s in data["scores"]] == ["乙局一处"]
    assert client.get(f"/assessment/{a.pk}/units/{o.a1.pk}/").status_code == 404
    page = client.get(f"/assessment/{a.pk}/units/{o.b1.pk}/").content.decode()
    assert "乙逾期完成" in page
    assert client.post(f"/assessment/{a.pk}/lock/", {"version": a.version}).status_code == 403
    assert client.post("/api/assessments/", {"plan": plan.pk, "period": "2026-06"}).status_code in (
        400,
        403,
    )


def test_api_computes_and_locks_with_the_version(world, client):
    o, plan = world["o"], world["plan"]
    client.force_login(o.supervisor)
    resp = client.post(
        "/api/assessments/",
        {"plan": plan.pk, "period": "2026-06", "today": "2026-06-30"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    doc = resp.json()
    assert [s["score"] for s in doc["scores"]] == [64, 60]
    url = f"/api/assessments/{doc['id']}/lock/"
    assert client.post(url, {}, content_type="application/json").status_code == 428
    stale = {"version": doc["version"] + 5}
    assert client.post(url, stale, content_type="application/json").status_code == 409
    ok = client.post(url, {"version": doc["version"]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "locked"
    again = client.post(
        "/api/assessments/",
        {"plan": plan.pk, "period": "2026-06"},
        content_type="application/json",
    )
    assert again.status_code == 400 and "已锁定" in again.content.decode()


def test_pages_for_the_supervisor(world, client):
    o, plan = world["o"], world["plan"]
    client.force_login(o.supervisor)
    resp = client.post("/assessment/", {"plan": plan.pk, "period": "2026-06"})
    assert resp.status_code == 302
    a = Assessment.objects.get(plan=plan, period="2026-06")
    body = client.get(f"/assessment/{a.pk}/").content.decode()
    assert 'id="lock-form"' in body and 'id="adjustment-form"' in body
    resp = client.post(
        f"/assessment/{a.pk}/adjustments/", {"unit": o.b1.pk, "points": "-3", "reason": "通报点名"}
    )
    assert resp.status_code == 302
    assert any(
        i["indicator"] == "扣分：通报点名"
        for i in Score.objects.get(assessment=a, unit=o.b1).breakdown
    )
    bad = client.post(
        f"/assessment/plans/{plan.pk}/scheme/",
        {
            "completion": 50,
            "on_time": 20,
            "reporting": 15,
            "problems": 10,
            "quality": 15,
            "late_order_penalty": 1,
        },
    )
    assert bad.status_code == 400 and "110" in bad.content.decode()
    a.refresh_from_db()
    assert client.post(f"/assessment/{a.pk}/lock/", {"version": a.version}).status_code == 302
    body = client.get(f"/assessment/{a.pk}/").content.decode()
    assert "assessment-digest" in body and 'id="lock-form"' not in body
