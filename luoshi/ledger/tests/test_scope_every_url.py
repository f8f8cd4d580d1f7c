"""Scope on every URL: a reporter of unit A gets 403/404 or an empty list for unit B's objects.

The test walks every URL pattern the project has (pages and API). Each named pattern must be in
SCOPE_TABLE, so a new endpoint fails this test until someone states how its scope is checked."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.models import Assignment, ImportBatch, Milestone, Task

# name -> which of B's objects fills the pattern's kwargs ("list" needs none).
SCOPE_TABLE = {
    # pages
    "desk:home": "list",
    "desk:urge": "cycle",  # POST only; the unit is in the form
    "ledger:task_list": "list",
    "ledger:my_tasks": "list",
    "ledger:plan_list": "list",
    "ledger:plan_create": "form",
    "ledger:export": "export",
    # an export job is its requester's alone: B's finished job (its file holds B's task) is 404
    "ledger:export_job": "export_job",
    "ledger:export_download": "export_job",
    "ledger:import_start": "form",
    "ledger:task_detail": "task",
    "ledger:task_edit": "task",
    "ledger:task_delete": "task",
    "ledger:milestone_add": "task",
    "ledger:milestone_edit": "milestone",
    "ledger:acknowledge": "assignment",
    "ledger:request_reassign": "assignment",
    "ledger:plan_detail": "plan",
    "ledger:plan_deploy": "plan",
    "ledger:task_create": "plan",
    "ledger:import_preview": "batch",
    "ledger:import_confirm": "batch",
    "ledger:import_errors": "batch",
    "org:unit_list": "list",
    "org:unit_detail": "unit",
    "org:people_list": "list",
    "org:activation_list": "list",
    "org:activate": "public",  # the link's token is the check: tested in org/tests
    # API
    "api-root": "public",
    "openapi": "public",
    "token": "public",
    "unit-list": "list",
    "unit-detail": "unit",
    "person-list": "list",
    "person-detail": "person",
    "plan-list": "list",
    "plan-detail": "plan",
    "plan-history": "plan",
    "plan-deploy": "plan",
    "category-list": "list",
    "category-detail": "category",
    "task-list": "list",
    "task-detail": "task",
    "task-history": "task",
    "milestone-list": "list",
    "milestone-detail": "milestone",
    "assignment-list": "list",
    "assignment-acknowledge": "assignment",
    "assignment-reassign-request": "assignment",
    # framework pages that show no ledger data
    "dispatch:my_reports": "list",
    "dispatch:cycle_list": "list",
    "dispatch:report": "slot",
    "dispatch:review": "slot",
    "dispatch:attach": "slot",
    "dispatch:attachment": "attachment",
    "dispatch:cycle_detail": "cycle",
    "slot-list": "list",
    "slot-detail": "slot",
    "slot-report": "slot",
    "report-detail": "report",
    "report-submit": "report",
    "report-review": "report",
    "notify:inbox": "list",
    "notify:mark_read": "message",
    "notify:mark_all_read": "list",
    # supervision (issue #7): pages under /supervision/
    "supervision:problem_list": "list",
    "supervision:problem_detail": "problem",
    "supervision:problem_respond": "problem",
    "supervision:problem_resolve": "problem",
    "supervision:problem_unsolvable": "problem",
    "supervision:problem_create": "task",
    "supervision:order_list": "list",
    "supervision:order_new": "form",
    "supervision:order_detail": "order",
    "supervision:order_respond": "order",
    "supervision:order_verify": "order",
    "supervision:order_print": "order",
    "supervision:extension_list": "list",
    "supervision:extension_detail": "extension",
    "supervision:extension_new": "task",
    "supervision:appeal_list": "list",
    "supervision:appeal_detail": "appeal",
    "supervision:appeal_new": "task",
    "supervision:integrity": "list",
    "supervision:integrity_scan": "list",  # POST only: tried in the collection-POST test
    "supervision:closed_loop": "list",
    # supervision API
    "light-list": "list",
    "light-detail": "task",  # /api/lights/{task}/ takes the task id
    "problem-list": "list",
    "problem-detail": "problem",
    "problem-respond": "problem",
    "problem-resolve": "problem",
    "problem-unsolvable": "problem",
    "order-list": "list",
    "order-detail": "order",
    "order-respond": "order",
    "order-verify": "order",
    "extension-list": "list",
    "extension-detail": "extension",
    "extension-decide": "extension",
    "appeal-list": "list",
    "appeal-detail": "appeal",
    "appeal-decide": "appeal",
    "signal-list": "list",
    "signal-per-unit": "list",
    "closed-loop": "list",
    # target roll-up: the plan through ledger.access.plans_for, the tasks through tasks_for
    "rollup:rollup": "list",
    # assessment: assessments through plans_for, scores through the unit scope
    "assessment:list": "list",
    "assessment:detail": "assessment",
    "assessment:recompute": "assessment",  # POST only
    "assessment:lock": "assessment",  # POST only
    "assessment:adjustment_add": "assessment",  # POST only
    "assessment:adjustment_remove": "assessment",  # POST only
    "assessment:unit": "assessment",
    "assessment:scheme": "plan",
    "assessment-list": "list",
    "assessment-detail": "assessment",
    "assessment-lock": "assessment",
    "rollup:plan_rollup": "plan",
    # bulletins: scoped through bulletins.access (drafts only for supervisors and leaders over
    # the issuing unit); the public pages serve published bulletins only, so B's draft is a 404
    "bulletins:list": "list",
    "bulletins:detail": "bulletin",
    "bulletins:edit": "bulletin",
    "bulletins:approve": "bulletin",  # POST only
    "bulletins:publish": "bulletin",  # POST only
    "bulletins:correct": "bulletin",  # POST only
    "bulletins:docx": "bulletin",
    "bulletins:pdf": "bulletin",
    "bulletins:public_list": "public",
    "bulletins:public_detail": "bulletin",
    "bulletins:public_docx": "bulletin",
    "bulletins:public_pdf": "bulletin",
    "bulletin-list": "list",
    "bulletin-detail": "bulletin",
    "bulletin-approve": "bulletin",
    "bulletin-publish": "bulletin",
    "plan-rollup": "plan",
    # cockpit: tasks through ledger.access.tasks_for; a unit's dashboard 403 out of scope
    "cockpit:cockpit": "list",
    "cockpit:unit": "unit",
    "cockpit": "list",  # the API; without ?unit= only leaders and supervisors (else 403)
    # consolidation: the experience library is shared (every signed-in person reads every
    # practice and its documents); the task it was learned from is named only to those who read
    # the task, so B's practice below reads without 乙局机密任务. Changes: editors only (403).
    "consolidation:list": "list",
    "consolidation:create": "form",  # ?task= goes through ledger.access.get_task (404)
    "consolidation:detail": "practice",
    "consolidation:edit": "practice",
    "consolidation:document_add": "practice",
    "consolidation:document": "practice_document",
    "consolidation:document_remove": "practice_document",
    "practice-list": "list",
    "practice-detail": "practice",
    # evaluation: every record through the ledger's task scope (evaluation.access); actions
    # also check who may accept, evaluate, answer or re-check (403)
    "evaluation:home": "list",
    "evaluation:complete": "eval_task",
    "evaluation:evaluate": "eval_task",
    "evaluation:answer_new": "eval_task",
    "evaluation:completion": "completion",
    "evaluation:decide": "completion",  # POST only
    "evaluation:document": "completion_document",
    "evaluation:answer": "answer",
    "evaluation:acknowledge": "answer",  # POST only
    "evaluation:post_evaluation": "post_evaluation",
    "evaluation:recheck": "recheck",
    "evaluation:closeout": "plan",
    "evaluation:closeout_export": "plan",
    "completion-list": "list",
    "completion-detail": "completion",
    "completion-accept": "completion",
    "completion-return": "completion",
    "evaluation-list": "list",
    "evaluation-detail": "evaluation",
    "answer-list": "list",
    "answer-detail": "answer",
    "answer-acknowledge": "answer",
    "login": "public",
    "health": "public",  # no data: says the process answers (load balancers, the bench)
    "logout": "public",
    "set_language": "public",
    "javascript-catalog": "public",
}


def walk(resolver, prefix="", ns=None):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            sub_ns = p.namespace if p.namespace else ns
            yield from walk(p, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else p.name
            yield name, prefix + str(p.pattern), p


@pytest.fixture
def b_world(orgtree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = services.create_plan(
        actor=system_actor(), name="乙计划", year=2026, owner_unit=orgtree.b
    )
    task = services.create_task(
        plan,
        actor=system_actor(),
        title="乙局机密任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
        deadline=dt.date(2026, 12, 31),  # an extension needs a deadline to move
    )
    ms = services.create_milestone(task, actor=system_actor(), date="2026-05-01", name="乙节点")
    services.deploy_plan(plan, actor=system_actor())
    assignment = Assignment.objects.get(task=task)
    batch = ImportBatch.objects.create(
        plan_name="乙计划",
        filename="b.xlsx",
        stored_as="x.xlsx",
        sha256="0" * 64,
        uploaded_by=orgtree.reporter_b,
    )
    from luoshi.dispatch import services as dispatch

    dispatch.open_due_cycles()
    slot = task.slots.get()
    report, _ = dispatch.start_report(slot, actor=orgtree.reporter_b)
    attachment = dispatch.add_attachment(
        report, "乙附件.pdf", b"%PDF-1.4\n%%EOF\n", actor=orgtree.reporter_b
    )
    from luoshi.notify import services as notify

    [message] = notify.notify(
        orgtree.reporter_b, subject="乙局机密任务", body="乙节点", dedupe_key="scope:b"
    )
    export_job = services.request_export(actor=orgtree.reporter_b, plan=plan)
    services.run_export_job(export_job.pk)
    return {
        "export_job": export_job,
        **_supervision_world(orgtree, task),
        **_assessment_world(orgtree, plan),
        **_consolidation_world(orgtree, task),
        **_evaluation_world(orgtree, plan),
        "bulletin": _bulletin_world(orgtree, plan),
        "message": message,
        "slot": slot,
        "report": report,
        "cycle": slot.cycle,
        "attachment": attachment,
        "plan": plan,
        "task": task,
        "milestone": ms,
        "assignment": assignment,
        "unit": orgtree.b1,
        "person": orgtree.reporter_b,
        "batch": batch,
        "category": plan.categories.create(name="乙类别", order=1),
    }


def _supervision_world(orgtree, task) -> dict:
    """B's supervision records, made through supervision's services as users would make them."""
    from luoshi.core.calendar import current_calendar
    from luoshi.supervision import services as supervision
    from luoshi.supervision.models import Signal, TaskLight
    from luoshi.supervision.services import due_process, integrity, orders, problems

    today = timezone.localdate()
    problem = problems.raise_problem(
        task, actor=orgtree.reporter_b, title="乙局机密问题", description="乙局问题详情"
    )
    order = orders.issue_order(
        actor=orgtree.supervisor,
        unit=orgtree.b1,
        tasks=[task],
        demand="乙局督办要求",
        respond_by=current_calendar().add_working_days(today, 1),
    )
    extension = due_process.request_extension(
        task,
        actor=orgtree.reporter_b,
        requested_deadline=dt.date(2027, 3, 31),
        reason="乙局延期理由",
    )
    # Green on a day long before its milestone (乙节点, 1 May), red today: the light history
    # has a green-to-red step, which the integrity scan reports as warned too late.
    supervision.recompute_lights(actor=system_actor(), today=dt.date(2026, 3, 2))
    supervision.recompute_lights(actor=system_actor(), today=today)
    task.refresh_from_db()
    assert task.light == "red", task.light_reasons
    appeal = due_process.appeal_light(task, actor=orgtree.reporter_b, reason="乙局申诉理由")
    result = integrity.scan_signals(actor=system_actor(), today=today)
    assert result["warned_late"] == 1, result
    return {
        "problem": problem,
        "order": order,
        "extension": extension,
        "appeal": appeal,
        "signal": Signal.objects.get(task=task),
        "light": TaskLight.objects.get(task=task),
    }


def _assessment_world(orgtree, plan) -> dict:
    """B's plan assessed this month, with a bonus item whose reason is a secret."""
    from luoshi.assessment import services as assessment

    today = timezone.localdate()
    period = f"{today.year:04d}-{today.month:02d}"
    item = assessment.add_adjustment(
        plan, period, orgtree.b1, actor=orgtree.supervisor, points=2, reason="乙局考核加分理由"
    )
    return {
        "assessment": assessment.compute(plan, period, actor=orgtree.supervisor, today=today),
        "adjustment": item,
    }


def _consolidation_world(orgtree, task) -> dict:
    """A practice learned from B's task, with a document (shared: A reads it, not the task)."""
    from luoshi.consolidation import services as consolidation

    practice = consolidation.record_practice(
        actor=orgtree.supervisor, title="乙局经验", what="做法", unit=orgtree.b, task=task
    )
    document = consolidation.add_document(
        practice, "照片.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16, actor=orgtree.supervisor
    )
    return {"practice": practice, "practice_document": document}


def _evaluation_world(orgtree, plan) -> dict:
    """A second task of B's, completed with evidence, accepted, evaluated, its source answered
    to B's reporter; its re-checks and post-evaluation scheduled."""
    from luoshi.evaluation import services as evaluation
    from luoshi.evaluation.models import PostEvaluation, Recheck

    task = services.create_task(
        plan,
        actor=system_actor(),
        title="乙局评估任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
        deadline=dt.date(2026, 12, 31),
        key_task=True,
        source_kind="instruction",
        source_ref="乙局批示",
    )
    completion = evaluation.submit_completion(
        task,
        actor=orgtree.reporter_b,
        completed_on=timezone.localdate(),
        summary="乙局完成情况",
        documents=[("乙证据.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    evaluation.decide_completion(
        completion, actor=orgtree.supervisor, version=completion.version, accept=True
    )
    task.refresh_from_db()
    ev = evaluation.evaluate(task, actor=orgtree.supervisor, quality="good", effect="乙局成效")
    answer = evaluation.send_answer(
        task, actor=orgtree.supervisor, issuer=orgtree.reporter_b, outcome="乙局回音"
    )
    return {
        "eval_task": task,
        "completion": completion,
        "completion_document": completion.documents.get(),
        "evaluation": ev,
        "answer": answer,
        "recheck": Recheck.objects.filter(task=task).first(),
        "post_evaluation": PostEvaluation.objects.get(task=task),
    }


def _bulletin_world(orgtree, plan):
    """B's plan's bulletin, drafted (not published): it names B's red task."""
    from luoshi.bulletins import services as bulletins

    return bulletins.draft(actor=orgtree.supervisor, plan=plan, today=timezone.localdate())


SECRETS = [
    "乙局机密任务",
    "乙计划",
    "乙节点",
    "乙类别",
    "乙填报",
    "乙附件",
    "%PDF",
    "乙局考核加分理由",
    # supervision
    "乙局机密问题",
    "乙局问题详情",
    "乙局督办要求",
    "乙局延期理由",
    "乙局申诉理由",
    "乙局一处",  # the unit a problem, order, request or signal names
    # evaluation
    "乙局评估任务",
    "乙局完成情况",
    "乙证据",
    "乙局成效",
    "乙局回音",
]


def _url_for(route: str, kind: str, world) -> str:
    import re

    obj = world.get(kind)
    url = re.sub(r"\(\?P<format>[^)]*\)", "json", route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(obj.pk), url)
    url = re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(obj.pk) if m.group(1) != "format" else "json", url
    )
    # A router's patterns are regexes inside the "api/" prefix ("api/^tasks/$"): every anchor
    # goes, not only a leading one, or each API URL would be a 404 that proves nothing.
    url = url.replace("\\.", ".").replace("/?", "/").replace("^", "").replace("$", "")
    return "/" + url


def test_every_url_is_in_the_scope_table():
    names = {name for name, _, _ in walk(get_resolver()) if name}
    missing = {n for n in names if n not in SCOPE_TABLE and not n.startswith("admin:")}
    assert not missing, f"new URL patterns need a scope entry (and a check): {sorted(missing)}"


# Everyone of bureau A, whatever their role there: none of them may read or change B's objects.
@pytest.mark.parametrize("someone_of_a", ["reporter_a", "unitadmin_a", "leader_a"])
def test_no_one_of_a_sees_anything_of_b(orgtree, b_world, client, someone_of_a):
    client.force_login(getattr(orgtree, someone_of_a))
    # A server error is a failure like any other; every one is listed, not only the first.
    client.raise_request_exception = False
    checked = 0
    failures = []
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:"):
            continue
        kind = SCOPE_TABLE[name]
        if kind in ("public", "form"):
            continue
        url = _url_for(route, kind, b_world)
        # The URL reaches the pattern under test: a 404 from no pattern would prove nothing.
        assert resolve(url).url_name == name.rsplit(":", 1)[-1], (name, url)
        for method in ("get", "post", "put", "patch", "delete"):
            if method != "get" and kind in ("list", "export"):
                continue
            resp = (
                getattr(client, method)(url, content_type="application/json")
                if method in ("put", "patch")
                else getattr(client, method)(url)
            )
            checked += 1
            if resp.status_code in (403, 404, 405):
                continue
            if not (resp.status_code == 200 or (method == "post" and kind == "list")):
                exc = getattr(resp, "exc_info", None)
                failures.append(
                    f"{method.upper()} {url} ({name}) answered {resp.status_code}"
                    + (f": {exc[1]!r}" if exc else "")
                )
                continue
            body = _text(resp)
            leaked = [s for s in SECRETS if s in body]
            if leaked:
                failures.append(f"{method.upper()} {url} ({name}) shows {leaked}")
    assert not failures, "\n".join(failures)
    assert checked > 60
    # Nothing of B's changed through any of those requests.
    task = Task.objects.get(pk=b_world["task"].pk)
    assert task.version == 1 and task.title == "乙局机密任务"
    assert Milestone.objects.filter(pk=b_world["milestone"].pk).exists()
    assert Assignment.objects.get(pk=b_world["assignment"].pk).ack == "pending"
    _assert_b_supervision_unchanged(b_world)


def _assert_b_supervision_unchanged(world) -> None:
    from luoshi.supervision.models import Appeal, Extension, Order, Problem, Signal

    problem = Problem.objects.get(pk=world["problem"].pk)
    assert (problem.status, problem.version, problem.steps.count()) == ("open", 1, 1)
    order = Order.objects.get(pk=world["order"].pk)
    assert (order.status, order.version, order.steps.count()) == ("issued", 1, 1)
    for model, key in ((Extension, "extension"), (Appeal, "appeal")):
        row = model.objects.get(pk=world[key].pk)
        assert (row.status, row.version) == ("pending", 1), key
    assert Problem.objects.count() == Order.objects.count() == 1
    assert Extension.objects.count() == Appeal.objects.count() == Signal.objects.count() == 1


def _text(resp) -> str:
    ctype = resp.get("Content-Type", "")
    if "spreadsheetml" in ctype:
        # Exports are streamed (FileResponse): their bytes can be read once, so keep them for
        # the callers that read a response again.
        if resp.streaming and not hasattr(resp, "read_once"):
            resp.read_once = b"".join(resp.streaming_content)
        data = resp.read_once if resp.streaming else resp.content
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(
            str(c)
            for ws in wb
            for row in ws.iter_rows(values_only=True)
            for c in row
            if c is not None
        )
    return resp.content.decode("utf-8", "replace")


def test_reporter_of_a_cannot_fetch_b_through_query_parameters(orgtree, b_world, client):
    client.force_login(orgtree.reporter_a)
    for url in [
        f"{reverse('ledger:task_list')}?plan={b_world['plan'].pk}",
        f"{reverse('ledger:task_list')}?unit={orgtree.b.pk}",
        f"/api/tasks/?plan={b_world['plan'].pk}",
        f"/api/milestones/?task={b_world['task'].pk}",
        f"{reverse('ledger:task_list')}?q=乙局",
        "/api/tasks/?q=乙局",
        f"/export/?plan={b_world['plan'].pk}",
    ]:
        resp = client.get(url)
        assert resp.status_code in (200, 404)
        if resp.status_code == 200:
            assert not [s for s in SECRETS if s in _text(resp)], url


def test_reporter_of_a_cannot_fetch_b_supervision_through_query_parameters(
    orgtree, b_world, client
):
    client.force_login(orgtree.reporter_a)
    task, unit, plan = b_world["task"].pk, orgtree.b1.pk, b_world["plan"].pk
    report = b_world["report"].pk
    for url in [
        f"/supervision/problems/?task={task}",
        "/supervision/problems/?mine=raised",
        f"/supervision/orders/?unit={unit}",
        f"/supervision/orders/?task={task}",
        f"/supervision/extensions/?task={task}",
        f"/supervision/appeals/?task={task}",
        f"/supervision/closed-loop/?unit={unit}",
        f"/supervision/orders/new/?task={task}",
        f"/supervision/orders/new/?unit={unit}",
        f"/supervision/tasks/{task}/problems/new/?report={report}",
        f"/supervision/integrity/?unit={unit}",
        f"/api/problems/?task={task}",
        f"/api/problems/?unit={unit}",
        f"/api/orders/?task={task}",
        f"/api/orders/?unit={unit}",
        f"/api/extensions/?task={task}",
        f"/api/appeals/?unit={unit}",
        f"/api/lights/?plan={plan}",
        f"/api/signals/?task={task}",
        f"/api/signals/per-unit/?unit={unit}",
        f"/api/closed-loop/?unit={unit}",
    ]:
        resp = client.get(url)
        # A refusal (403), an unknown filter value (400) or a scoped answer (200) are all fine.
        assert resp.status_code in (200, 400, 403, 404), (url, resp.status_code)
        if resp.status_code == 200:
            assert not [s for s in SECRETS if s in _text(resp)], url


def test_reporter_of_a_cannot_act_on_b_through_collection_posts(orgtree, b_world, client):
    """The collection routes are "list" above (GET only there): their POSTs name B's task."""
    client.force_login(orgtree.reporter_a)
    task, unit = b_world["task"].pk, orgtree.b1.pk
    later = timezone.localdate() + dt.timedelta(days=30)
    for url, data in [
        ("/api/problems/", {"task": task, "title": "甲冒充问题"}),
        ("/api/extensions/", {"task": task, "requested_deadline": "2027-06-30", "reason": "x"}),
        ("/api/appeals/", {"task": task, "reason": "x"}),
        (
            "/api/orders/",
            {"unit": unit, "tasks": [task], "demand": "x", "respond_by": later.isoformat()},
        ),
    ]:
        resp = client.post(url, data, content_type="application/json")
        assert resp.status_code in (400, 403, 404), (url, resp.status_code, resp.content[:300])
    for url, data in [
        ("/supervision/integrity/scan/", {}),
        (
            "/supervision/orders/new/",
            {"unit": unit, "tasks": [task], "demand": "x", "respond_by": later.isoformat()},
        ),
        (f"/supervision/tasks/{task}/problems/new/", {"title": "甲冒充问题"}),
        (
            f"/supervision/tasks/{task}/extension/new/",
            {"requested_deadline": "2027-06-30", "reason": "x"},
        ),
        (f"/supervision/tasks/{task}/appeal/new/", {"reason": "x"}),
    ]:
        resp = client.post(url, data)
        assert resp.status_code in (403, 404), (url, resp.status_code)
    # Assessing B's plan: the plan is not one A may choose.
    plan = b_world["plan"].pk
    resp = client.post("/assessment/", {"plan": plan, "period": "2026-06"})
    assert resp.status_code == 400
    resp = client.post(
        "/api/assessments/", {"plan": plan, "period": "2026-06"}, content_type="application/json"
    )
    assert resp.status_code == 400
    _assert_b_supervision_unchanged(b_world)


def test_anonymous_gets_nothing(b_world, client):
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:") or SCOPE_TABLE[name] in ("public",):
            continue
        resp = client.get(_url_for(route, SCOPE_TABLE[name], b_world))
        assert resp.status_code in (302, 401, 403, 404, 405), (name, resp.status_code)


def test_supervisor_and_b_reporter_do_see_b(orgtree, b_world, client):
    for person in (orgtree.supervisor, orgtree.reporter_b):
        client.force_login(person)
        assert "乙局机密任务" in client.get(reverse("ledger:task_list")).content.decode()
        assert client.get(f"/tasks/{b_world['task'].pk}/").status_code == 200
        # B's two tasks: the secret one and the one evaluation completed (_evaluation_world).
        assert client.get("/api/tasks/").json()["count"] == 2
        assert (
            "乙局完成情况"
            in client.get(f"/evaluation/completions/{b_world['completion'].pk}/").content.decode()
        )
        assert client.get("/api/answers/").json()["count"] == 1


def test_supervisor_and_b_reporter_do_see_b_supervision(orgtree, b_world, client):
    """The other side of the leak test: B's people do see these secrets on these URLs, so their
    absence for reporter_a means the scope held, not that the page never shows them."""
    w = b_world
    shown = {
        f"/supervision/problems/{w['problem'].pk}/": "乙局问题详情",
        "/supervision/problems/": "乙局机密问题",
        f"/assessment/{w['assessment'].pk}/": "乙局考核加分理由",
        f"/assessment/{w['assessment'].pk}/units/{w['unit'].pk}/": "乙局考核加分理由",
        f"/api/assessments/{w['assessment'].pk}/": "乙局考核加分理由",
        f"/supervision/orders/{w['order'].pk}/": "乙局督办要求",
        f"/supervision/orders/{w['order'].pk}/print/": "乙局督办要求",
        f"/supervision/extensions/{w['extension'].pk}/": "乙局延期理由",
        "/supervision/extensions/": "乙局机密任务",
        f"/supervision/appeals/{w['appeal'].pk}/": "乙局申诉理由",
        "/supervision/appeals/": "乙局机密任务",
        f"/api/problems/{w['problem'].pk}/": "乙局机密问题",
        "/api/problems/": "乙局机密问题",
        f"/api/orders/{w['order'].pk}/": "乙局督办要求",
        "/api/orders/": "乙局督办要求",
        f"/api/extensions/{w['extension'].pk}/": "乙局延期理由",
        "/api/extensions/": "乙局延期理由",
        f"/api/appeals/{w['appeal'].pk}/": "乙局申诉理由",
        "/api/appeals/": "乙局申诉理由",
        f"/api/lights/{w['task'].pk}/": "乙节点",
        "/api/lights/": "乙节点",
    }
    for_supervisors = {
        f"/bulletins/{w['bulletin'].pk}/": "乙局机密任务",
        f"/api/bulletins/{w['bulletin'].pk}/": "乙局机密任务",
        "/supervision/integrity/": "乙节点",
        "/api/signals/": "乙节点",
        "/api/signals/per-unit/": "乙局一处",
    }
    for person, urls in (
        (orgtree.supervisor, {**shown, **for_supervisors}),
        (orgtree.reporter_b, shown),
    ):
        client.force_login(person)
        for url, secret in urls.items():
            resp = client.get(url)
            assert resp.status_code == 200, (person.username, url, resp.status_code)
            assert secret in _text(resp), (person.username, url, secret)
    assert w["light"].light == "red" and w["signal"].kind == "warned_late"


# --- drafts stay drafts ----------------------------------------------------------------------
# A plan not yet deployed, and its tasks, are read only by its owner unit's managers (unit
# admins over it), the supervisors over it and administrators (ledger.access._drafts_q). The
# draft below is owned by 乙局, but its task names 甲局一处 as responsible, 乙局一处 as
# cooperating, 甲领导 as lead leader and 甲填报 as owner: each of them would read it once
# deployed, none of them before.

DRAFT_SECRETS = ["丙草稿计划", "丙草稿任务", "丙草稿节点", "丙草稿类别"]
# Who must not see the draft: a reporter (whose unit is responsible and who owns the task), the
# task's lead leader, a unit admin of another unit (甲局, over the responsible unit) and a
# reporter of the cooperating unit under the owner unit.
DRAFT_BLIND = ("reporter_a", "leader_a", "unitadmin_a", "reporter_b")
# Who sees it: the owner unit's manager (unit admin of 乙局), the supervisor, the administrator.
DRAFT_READERS = ("unitadmin_b", "supervisor", "admin")


@pytest.fixture
def draft_world(orgtree):
    from luoshi.org import services as org
    from luoshi.org.models import Role
    from luoshi.supervision import services as supervision

    [orgtree.unitadmin_b] = org.create_people(
        [
            {
                "username": "unitadmin_b",
                "full_name": "乙管理",
                "unit": orgtree.b,
                "password": "test-pass-123",
                "roles": [Role.UNIT_ADMIN],
                "role_unit": orgtree.b,
            }
        ],
        actor=system_actor(),
    )
    plan = services.create_plan(
        actor=system_actor(), name="丙草稿计划", year=2026, owner_unit=orgtree.b
    )
    category = services.create_category(plan, actor=system_actor(), name="丙草稿类别")
    task = services.create_task(
        plan,
        actor=system_actor(),
        title="丙草稿任务",
        category=category,
        responsible_units=[orgtree.a1],
        cooperating_units=[orgtree.b1],
        lead_leader=orgtree.leader_a,
        owner=orgtree.reporter_a,
        deadline=dt.date(2026, 1, 31),  # overdue: every overdue list must still leave it out
    )
    milestone = services.create_milestone(
        task, actor=system_actor(), date="2026-01-15", name="丙草稿节点"
    )
    # Supervision computes lights for every task: its lists must not leak the draft's either.
    supervision.recompute_lights(actor=system_actor(), today=dt.date(2026, 3, 2))
    assert plan.status == "draft"
    return {
        "plan": plan,
        "task": task,
        "milestone": milestone,
        "category": category,
        "assignment": Assignment.objects.get(task=task, unit=orgtree.a1),
    }


def _draft_urls(world) -> list[tuple[str, str]]:
    """(name, URL) of every GET route that lists, exports, or takes one of the draft's
    objects; and the list URLs again with the draft named in their query parameters."""
    from django.urls import reverse

    urls = []
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:"):
            continue
        kind = SCOPE_TABLE[name]
        if kind in ("list", "export") or kind in world:
            url = _url_for(route, kind, world)
            assert resolve(url).url_name == name.rsplit(":", 1)[-1], (name, url)
            urls.append((name, url))
    plan, task = world["plan"].pk, world["task"].pk
    for query in (f"?plan={plan}", "?q=丙草稿", "?status=open&overdue=true", f"?parent={task}"):
        urls.append(("ledger:task_list", reverse("ledger:task_list") + query))
        urls.append(("task-list", "/api/tasks/" + query))
    urls += [
        ("ledger:export", f"{reverse('ledger:export')}?plan={plan}"),
        ("milestone-list", f"/api/milestones/?task={task}"),
        ("milestone-list", f"/api/milestones/?plan={plan}"),
        ("category-list", f"/api/categories/?plan={plan}"),
        ("assignment-list", f"/api/assignments/?task={task}"),
        ("light-list", f"/api/lights/?plan={plan}"),
    ]
    return urls


@pytest.mark.parametrize("role", DRAFT_BLIND)
def test_a_draft_plan_is_unseen_by_every_other_role(orgtree, draft_world, client, role):
    client.force_login(getattr(orgtree, role))
    client.raise_request_exception = False
    failures = []
    urls = _draft_urls(draft_world)
    for name, url in urls:
        resp = client.get(url)
        if resp.status_code in (403, 404, 405):
            continue
        if resp.status_code != 200:
            failures.append(f"GET {url} ({name}) answered {resp.status_code}")
            continue
        leaked = [s for s in DRAFT_SECRETS if s in _text(resp)]
        if leaked:
            failures.append(f"GET {url} ({name}) shows {leaked}")
    assert not failures, f"{role}:\n" + "\n".join(failures)
    assert len(urls) > 40
    # Its own pages answer as for a task that does not exist.
    for url in (
        f"/tasks/{draft_world['task'].pk}/",
        f"/plans/{draft_world['plan'].pk}/",
        f"/api/tasks/{draft_world['task'].pk}/",
        f"/api/plans/{draft_world['plan'].pk}/",
    ):
        assert client.get(url).status_code == 404, (role, url)


@pytest.mark.parametrize("role", DRAFT_READERS)
def test_a_draft_plan_is_seen_by_its_managers_and_supervisors(orgtree, draft_world, client, role):
    from django.urls import reverse

    client.force_login(getattr(orgtree, role))
    task, plan = draft_world["task"].pk, draft_world["plan"].pk
    shown = {
        reverse("ledger:task_list"): "丙草稿任务",
        reverse("ledger:task_list") + "?q=丙草稿": "丙草稿任务",
        reverse("ledger:plan_list"): "丙草稿计划",
        reverse("ledger:plan_detail", args=[plan]): "丙草稿类别",
        reverse("ledger:task_detail", args=[task]): "丙草稿节点",
        reverse("ledger:export"): "丙草稿任务",
        f"{reverse('ledger:export')}?plan={plan}": "丙草稿节点",
        "/api/tasks/": "丙草稿任务",
        f"/api/tasks/{task}/": "丙草稿节点",
        "/api/plans/": "丙草稿计划",
        f"/api/plans/{plan}/": "丙草稿计划",
        f"/api/milestones/?task={task}": "丙草稿节点",
        f"/api/categories/?plan={plan}": "丙草稿类别",
    }
    for url, secret in shown.items():
        resp = client.get(url)
        assert resp.status_code == 200, (role, url, resp.status_code)
        assert secret in _text(resp), (role, url, secret)
    # The plan page says who else sees it (no one else, until deployed).
    page = client.get(reverse("ledger:plan_detail", args=[plan])).content.decode()
    assert 'id="draft-note"' in page


def test_once_deployed_the_draft_is_everyones_in_scope(orgtree, draft_world, client):
    """The other side: the blind roles do read it after deployment, so their not seeing it
    before is the draft rule, not some other scope rule."""
    services.deploy_plan(draft_world["plan"], actor=system_actor())
    task = draft_world["task"].pk
    for role in DRAFT_BLIND:
        client.force_login(getattr(orgtree, role))
        resp = client.get(f"/tasks/{task}/")
        assert resp.status_code == 200 and "丙草稿任务" in resp.content.decode(), role
        assert "丙草稿任务" in _text(client.get(f"/api/tasks/{task}/")), role


# The other half of the matrix: those whose scope covers B's objects reach them. Every page and
# API route that names one of B's objects answers 200 to a GET (405 where it only takes POST),
# except these, each for its reason. Both halves walk the route list, so a new route is covered.
NOT_FOR_READING = {
    # a draft bulletin: not on the public pages, and without its PDF until published
    "bulletins:public_detail": "draft",
    "bulletins:public_docx": "draft",
    "bulletins:public_pdf": "draft",
    # the route names two objects (an assessment and a unit); the walk fills both with one id
    "assessment:unit": "two ids",
    # an import batch's pages read its stored workbook, which this fixture does not write
    "ledger:import_errors": "no file",
    "ledger:import_preview": "no file",
}
REFUSED_BY_ROLE = {
    "supervisor": {
        "bulletins:pdf",  # a draft has no PDF yet
        "ledger:export_job",  # an export is its requester's (reporter_b's) alone
        "ledger:export_download",
        "supervision:appeal_new",  # only the task's own units appeal a light ...
        "supervision:extension_new",  # ... or ask for more time
    },
    "admin": {"bulletins:pdf", "ledger:export_job", "ledger:export_download"},
    "reporter_b": {
        # a reporter reads drafts of neither bulletins nor assessment schemes, and edits no task
        "assessment:scheme",
        "bulletins:detail",
        "bulletins:docx",
        "bulletins:edit",
        "bulletins:pdf",
        "bulletin-detail",
        "consolidation:edit",
        "evaluation:answer_new",
        "evaluation:evaluate",
        "ledger:milestone_edit",
        "ledger:task_create",
        "ledger:task_edit",
    },
}


@pytest.mark.parametrize("someone_over_b", ["admin", "supervisor", "reporter_b"])
def test_those_whose_scope_covers_b_reach_it(orgtree, b_world, client, someone_over_b):
    client.force_login(getattr(orgtree, someone_over_b))
    client.raise_request_exception = False
    refused = REFUSED_BY_ROLE[someone_over_b]
    checked, failures = 0, []
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:"):
            continue
        kind = SCOPE_TABLE[name]
        if kind in ("public", "form", "list", "export") or name in NOT_FOR_READING:
            continue
        status = client.get(_url_for(route, kind, b_world)).status_code
        checked += 1
        expected = (403, 404) if name in refused else (200, 405)
        if status not in expected:
            failures.append(f"GET {name} answered {status}, expected one of {expected}")
    assert checked > 100 and failures == [], "\n".join(failures)
