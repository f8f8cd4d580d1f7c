"""Edit → approve → publish, by role; a published bulletin refuses every change; a correction
refers to it; numbers have no gaps or repeats; the pages offer each role its buttons."""

import pytest
from django.utils import timezone

from luoshi.bulletins import rules, services
from luoshi.bulletins.models import Bulletin, NumberSeries
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord


@pytest.fixture
def drafted(world):
    return services.draft(actor=world.o.supervisor, plan=world.plan, today=world.today)


def _approved(world, b):
    return services.approve(b, actor=world.leader, version=b.version)


def test_edit_approve_publish(world, drafted):
    o, b = world.o, drafted
    b = services.edit(
        b, actor=o.supervisor, version=1, prefix="交督", opening="经研究，现通报如下。"
    )
    assert (b.version, b.prefix, b.opening) == (2, "交督", "经研究，现通报如下。")
    with pytest.raises(StaleVersion):
        services.edit(b, actor=o.supervisor, version=1, title="过期的修改")
    b = _approved(world, b)
    assert b.status == "approved" and b.approved_by == world.leader
    with pytest.raises(RuleViolation, match="草稿"):
        services.edit(b, actor=o.supervisor, version=b.version, title="批准后修改")
    b = services.publish(b, actor=o.supervisor, version=b.version, pdf=False)
    year = timezone.localdate().year
    assert b.status == "published" and b.number == f"交督〔{year}〕1号" and b.seq == 1
    assert len(b.sha256) == 64 and b.sha256 == rules.sha256(services.published_document(b))
    fresh = Bulletin.objects.get(pk=b.pk)
    assert bytes(fresh.docx[:2]) == b"PK" and fresh.pdf is None
    assert services.verify(fresh)
    record = AuditRecord.objects.get(object_type=services.OBJECT, action="publish")
    assert record.changes["sha256"] == [None, b.sha256]
    assert record.changes["number"] == [None, b.number]


def test_roles(world, drafted):
    o, b = world.o, drafted
    for person in (o.reporter_a, o.leader_a, world.leader):
        with pytest.raises(OutOfScope):
            services.edit(b, actor=person, version=b.version, title="越权修改")
    for person in (o.supervisor, o.leader_a, o.reporter_a):
        with pytest.raises(OutOfScope):
            services.approve(b, actor=person, version=b.version)
    b = _approved(world, b)
    for person in (world.leader, o.reporter_a):
        with pytest.raises(OutOfScope):
            services.publish(b, actor=person, version=b.version, pdf=False)
    with pytest.raises(RuleViolation, match="已经批准"):
        services.approve(b, actor=world.leader, version=b.version)


def test_publish_needs_approval_and_a_fresh_version(world, drafted):
    o, b = world.o, drafted
    with pytest.raises(RuleViolation, match="批准"):
        services.publish(b, actor=o.supervisor, version=b.version, pdf=False)
    b = _approved(world, b)
    with pytest.raises(StaleVersion):
        services.publish(b, actor=o.supervisor, version=b.version - 1, pdf=False)
    assert not NumberSeries.objects.filter(last__gt=0).exists()  # no number used


def test_published_never_changes(world, drafted):
    o = world.o
    b = services.publish(_approved(world, drafted), actor=o.supervisor, version=2, pdf=False)
    before = Bulletin.objects.filter(pk=b.pk).values().get()
    for attempt in (
        lambda: services.edit(b, actor=o.supervisor, version=b.version, title="改"),
        lambda: services.approve(b, actor=world.leader, version=b.version),
        lambda: services.publish(b, actor=o.supervisor, version=b.version, pdf=False),
    ):
        with pytest.raises(RuleViolation, match="已发布的通报不再改动"):
            attempt()
    after = Bulletin.objects.filter(pk=b.pk).values().get()
    assert before == after


def test_correction_refers_to_the_published_one(world, drafted):
    o = world.o
    b = services.publish(_approved(world, drafted), actor=o.supervisor, version=2, pdf=False)
    another = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    with pytest.raises(RuleViolation, match="只有已发布"):
        services.correct(another, actor=o.supervisor)
    with pytest.raises(OutOfScope):
        services.correct(b, actor=o.reporter_a)
    c = services.correct(b, actor=o.supervisor)
    assert c.corrects == b and c.status == "draft" and c.as_of == b.as_of
    assert c.title == f"{b.title}（更正）" and b.number in c.opening
    c = services.publish(_approved(world, c), actor=o.supervisor, version=2, pdf=False)
    assert c.seq == b.seq + 1
    assert services.published_document(c)["corrects"] == b.number
    assert Bulletin.objects.get(pk=b.pk).sha256 == b.sha256  # the original is untouched


def test_numbers_have_no_gaps_or_repeats(world):
    o = world.o
    seqs = []
    for _ in range(4):
        b = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
        b = services.publish(_approved(world, b), actor=o.supervisor, version=2, pdf=False)
        seqs.append(b.seq)
    assert seqs == [1, 2, 3, 4]
    series = NumberSeries.objects.get()
    assert series.last == 4 and series.prefix == "督"


def test_pages_by_role(world, drafted, client):
    o, b = world.o, drafted
    client.force_login(o.supervisor)
    page = client.get(f"/bulletins/{b.pk}/").content.decode()
    assert "编辑草稿" in page and "甲红灯任务一" in page and "批准" not in page
    resp = client.get(f"/bulletins/{b.pk}/edit/")
    assert resp.status_code == 200
    form = {k: getattr(b, k) for k in services.EDITABLE}
    resp = client.post(f"/bulletins/{b.pk}/edit/", {**form, "title": "新标题", "version": 1})
    assert resp.status_code == 302
    resp = client.post(f"/bulletins/{b.pk}/edit/", {**form, "title": "过期", "version": 1})
    assert resp.status_code == 400 and "其他人对其作了修改" in resp.content.decode()
    client.force_login(world.leader)
    assert "批准" in client.get(f"/bulletins/{b.pk}/").content.decode()
    assert client.post(f"/bulletins/{b.pk}/approve/", {"version": 2}).status_code == 302
    assert Bulletin.objects.get(pk=b.pk).status == "approved"
    client.force_login(o.reporter_a)
    assert client.get(f"/bulletins/{b.pk}/").status_code == 403
    assert client.get(f"/bulletins/{b.pk}/edit/").status_code == 403
    assert client.post(f"/bulletins/{b.pk}/publish/", {"version": 3}).status_code == 403
    assert "新标题" not in client.get("/bulletins/").content.decode()
    client.force_login(o.supervisor)
    resp = client.post(f"/bulletins/{b.pk}/publish/", {"version": 3})
    assert resp.status_code == 302
    published = Bulletin.objects.get(pk=b.pk)
    assert published.status == "published" and published.pdf  # the page makes the PDF
    page = client.get(f"/bulletins/{b.pk}/").content.decode()
    assert published.sha256 in page and published.number in page
    resp = client.get(f"/bulletins/{b.pk}/bulletin.pdf")
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    # Published: the reporter reads it too (it is public), and it is in the list.
    client.force_login(o.reporter_a)
    assert client.get(f"/bulletins/{b.pk}/").status_code == 200
    assert "新标题" in client.get("/bulletins/").content.decode()


def test_draft_from_the_list_page(world, client):
    client.force_login(world.o.supervisor)
    resp = client.post(
        "/bulletins/", {"plan": world.plan.pk, "period": "2026-06", "today": "2026-06-20"}
    )
    assert resp.status_code == 302
    b = Bulletin.objects.get()
    assert resp["Location"] == f"/bulletins/{b.pk}/" and str(b.as_of) == "2026-06-20"
    resp = client.post("/bulletins/", {"period": "2026-06"})
    assert resp.status_code == 400
    client.force_login(world.o.reporter_a)
    resp = client.post("/bulletins/", {"plan": world.plan.pk, "period": "2026-06"})
    assert resp.status_code == 400 and Bulletin.objects.count() == 1
    resp = client.get(f"/bulletins/{b.pk}/bulletin.docx")
    assert resp.status_code == 403
