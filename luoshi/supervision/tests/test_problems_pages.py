"""Problem pages: a reporter raises one from the report page's link, the lead leader answers
and resolves it on its page; answers are POST only, GET writes nothing, a stale page is 409."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services as dispatch
from luoshi.notify.models import Message
from luoshi.supervision.models import Problem, ProblemStep
from luoshi.supervision.services import problems as services

from .test_problems_services import MONDAY, at, world  # noqa: F401  (the fixture)


@pytest.fixture
def report(world):  # noqa: F811
    dispatch.open_due_cycles()
    slot = world.task.slots.get()
    report, _ = dispatch.start_report(slot, actor=world.org.reporter_a)
    dispatch.save_report(
        report,
        actor=world.org.reporter_a,
        version=report.version,
        progress="完成选址",
        problems="土地指标未落实\n需市自然资源局协调",
    )
    return report


def _detail(p):
    return reverse("supervision:problem_detail", args=[p.pk])


def _counts():
    return (
        Problem.objects.count(),
        ProblemStep.objects.count(),
        AuditRecord.objects.count(),
        Message.objects.count(),
    )


def test_a_reporter_raises_a_problem_from_the_report_page(world, report, login):  # noqa: F811
    org = world.org
    client = login(org.reporter_a)
    page = client.get(reverse("dispatch:report", args=[report.slot_id])).content.decode()
    assert 'id="raise-problem"' in page
    link = re.search(r'href="([^"]+)" id="raise-problem"', page).group(1).replace("&amp;", "&")
    assert link == reverse("supervision:problem_create", args=[world.task.pk]) + (
        f"?report={report.pk}"
    )
    form = client.get(link)
    assert form.status_code == 200
    body = form.content.decode()
    assert 'id="id_title"' in body and 'id="problem-submit"' in body
    assert form.context["form"].initial["title"] == "土地指标未落实"
    assert "需市自然资源局协调" in form.context["form"].initial["description"]
    resp = client.post(
        link,
        {"title": "土地指标未落实", "description": "需市自然资源局协调", "report": report.pk},
    )
    p = Problem.objects.get()
    assert resp.status_code == 302 and resp.url == _detail(p)
    assert (p.report, p.unit, p.raised_by, p.level) == (report, org.a1, org.reporter_a, 1)
    # The report page now lists it.
    page = client.get(reverse("dispatch:report", args=[report.slot_id])).content.decode()
    assert "土地指标未落实" in page and "第1级（责任单位）" in page


def test_before_a_report_is_stored_the_link_has_no_report(world, login):  # noqa: F811
    dispatch.open_due_cycles()
    slot = world.task.slots.get()
    page = login(world.org.reporter_a).get(reverse("dispatch:report", args=[slot.pk]))
    link = re.search(r'href="([^"]+)" id="raise-problem"', page.content.decode()).group(1)
    assert link == reverse("supervision:problem_create", args=[world.task.pk])


def test_bad_input_keeps_the_form(world, login):  # noqa: F811
    client = login(world.org.reporter_a)
    resp = client.post(reverse("supervision:problem_create", args=[world.task.pk]), {"title": ""})
    assert resp.status_code == 400
    assert resp.context["form"].errors["title"]
    assert not Problem.objects.exists()


def test_the_lead_leader_answers_and_resolves_on_the_page(world, login):  # noqa: F811
    org = world.org
    p = services.raise_problem(world.task, actor=org.reporter_a, title="资金缺口", now=at(MONDAY))
    services.escalate_problems(actor=system_actor(), today=dt.date(2026, 3, 10))
    p.refresh_from_db()
    assert p.assignee == org.leader_a
    client = login(org.leader_a)
    mine = client.get(reverse("supervision:problem_list"), {"mine": "assigned"})
    assert "资金缺口" in mine.content.decode()
    assert "第2级（牵头领导）" in mine.content.decode()
    page = client.get(_detail(p)).content.decode()
    for element in ('id="id_text"', 'id="problem-respond"', 'id="id_resolution"'):
        assert element in page
    assert 'id="problem-resolve"' in page
    assert "step-escalated" in page and "step-raised" in page
    resp = client.post(
        reverse("supervision:problem_respond", args=[p.pk]),
        {"text": "已约谈财政局", "version": p.version},
    )
    assert resp.status_code == 302
    p.refresh_from_db()
    assert p.steps.order_by("pk").last().text == "已约谈财政局" and p.answered_at is not None
    resp = client.post(
        reverse("supervision:problem_resolve", args=[p.pk]),
        {"resolution": "追加预算到位", "version": p.version},
    )
    assert resp.status_code == 302
    p.refresh_from_db()
    assert p.status == "resolved" and p.closed_by == org.leader_a
    # The raiser sees every step.
    page = login(org.reporter_a).get(_detail(p)).content.decode()
    for text in ("已约谈财政局", "追加预算到位", "step-escalated", "step-resolved"):
        assert text in page
    assert 'id="problem-resolve"' not in page


def test_stale_page_is_409_with_a_clear_message(world, login):  # noqa: F811
    org = world.org
    p = services.raise_problem(world.task, actor=org.reporter_a, title="资金缺口", now=at(MONDAY))
    old = p.version
    services.respond_problem(p, actor=org.unitadmin_a, version=p.version, text="先回复")
    client = login(org.unitadmin_a)
    resp = client.post(
        reverse("supervision:problem_resolve", args=[p.pk]),
        {"resolution": "已解决", "version": old},
    )
    assert resp.status_code == 409
    assert "changed by someone else" in resp.content.decode() or "其他人" in resp.content.decode()
    # The form now carries the version read, the text kept.
    assert resp.context["resolve_form"]["version"].value() == str(p.version)
    p.refresh_from_db()
    assert p.status == "open"
    resp = client.post(reverse("supervision:problem_respond", args=[p.pk]), {"text": "无版本"})
    assert resp.status_code == 409
    assert p.steps.count() == 2


def test_answers_are_post_only_and_refused_to_others(world, login):  # noqa: F811
    org = world.org
    p = services.raise_problem(world.task, actor=org.reporter_a, title="资金缺口", now=at(MONDAY))
    client = login(org.reporter_a)
    for name in ("problem_respond", "problem_resolve", "problem_unsolvable"):
        assert client.get(reverse(f"supervision:{name}", args=[p.pk])).status_code == 405
    # The raiser may add information but not resolve it.
    page = client.get(_detail(p)).content.decode()
    assert 'id="problem-respond"' in page and 'id="problem-resolve"' not in page
    resp = client.post(
        reverse("supervision:problem_resolve", args=[p.pk]),
        {"resolution": "自己解决", "version": p.version},
    )
    assert resp.status_code == 403
    # Another unit's reporter does not see it at all.
    other = login(org.reporter_b)
    assert other.get(_detail(p)).status_code == 404
    resp = other.post(
        reverse("supervision:problem_respond", args=[p.pk]), {"text": "x", "version": p.version}
    )
    assert resp.status_code == 404
    assert other.get(reverse("supervision:problem_create", args=[world.task.pk])).status_code == 404
    assert "资金缺口" not in other.get(reverse("supervision:problem_list")).content.decode()
    p.refresh_from_db()
    assert p.status == "open" and p.steps.count() == 1


def test_a_leader_who_sees_the_task_but_may_not_raise_gets_403(world, login):  # noqa: F811
    client = login(world.org.leader_a)  # leads the task; neither reports on it nor supervises
    assert (
        client.get(reverse("supervision:problem_create", args=[world.task.pk])).status_code == 403
    )


def test_get_writes_nothing(world, report, login):  # noqa: F811
    org = world.org
    p = services.raise_problem(
        world.task, actor=org.reporter_a, title="资金缺口", report=report, now=at(MONDAY)
    )
    before = _counts()
    for person in (org.reporter_a, org.unitadmin_a, org.supervisor, org.leader_a):
        client = login(person)
        for url in (
            reverse("supervision:problem_list"),
            reverse("supervision:problem_list") + "?status=open&level=1&mine=raised",
            _detail(p),
            reverse("supervision:problem_create", args=[world.task.pk]) + f"?report={report.pk}",
            reverse("ledger:task_detail", args=[world.task.pk]),
            reverse("dispatch:report", args=[report.slot_id]),
        ):
            assert client.get(url).status_code in (200, 403), url
    assert _counts() == before


def test_list_filters_and_the_task_panel(world, login):  # noqa: F811
    org = world.org
    open_ = services.raise_problem(world.task, actor=org.reporter_a, title="开放问题")
    done = services.raise_problem(world.task, actor=org.reporter_a, title="已解决问题")
    services.resolve_problem(done, actor=org.unitadmin_a, version=done.version, resolution="好")
    client = login(org.unitadmin_a)
    url = reverse("supervision:problem_list")

    def titles(**params):
        return [p.title for p in client.get(url, params).context["page"]]

    assert titles() == ["开放问题", "已解决问题"]  # open first
    assert titles(status="resolved") == ["已解决问题"]
    assert titles(level=2) == []
    assert titles(mine="raised") == []
    assert titles(mine="assigned") == ["开放问题", "已解决问题"]
    page = client.get(reverse("ledger:task_detail", args=[world.task.pk])).content.decode()
    assert "开放问题" in page and reverse("supervision:problem_detail", args=[open_.pk]) in page
    assert 'id="task-raise-problem"' in page


def test_lists_and_panels_cost_no_query_per_problem(world, report, login, rf):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.org.scope import scope_for
    from luoshi.supervision.views import problems as views

    org = world.org
    client = login(org.unitadmin_a)

    def counts():
        request = rf.get("/")
        request.user = org.unitadmin_a
        scope_for(request.user)  # the page has read it already
        out = []
        for call in (
            lambda: client.get(reverse("supervision:problem_list")),
            lambda: client.get("/api/problems/"),
            lambda: views.task_panel(request, world.task),
            lambda: views.report_panel(request, report.slot),
        ):
            call()  # warm
            with CaptureQueriesContext(connection) as q:
                call()
            out.append(len(q))
        return out

    services.raise_problem(world.task, actor=org.reporter_a, title="一", report=report)
    few = counts()
    for i in range(4):
        p = services.raise_problem(world.task, actor=org.reporter_a, title=f"多{i}", report=report)
        services.respond_problem(p, actor=org.unitadmin_a, version=p.version, text="回复")
    assert counts() == few
    assert few[2] <= 2 and few[3] <= 2, few  # the panels: the problems, and the rights
