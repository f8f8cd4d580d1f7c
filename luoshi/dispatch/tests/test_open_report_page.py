"""Opening a report page shows the report prefilled from the last one, and writes nothing: the
report is stored by the first save or attachment."""

import pytest

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services
from luoshi.dispatch.models import Report, Slot
from luoshi.ledger import services as ledger


@pytest.fixture
def slot(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="读页计划", year=2026, owner_unit=orgtree.office)
    task = ledger.create_task(
        plan,
        actor=actor,
        title="只看不写",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        progress="上月已完成选址",
    )
    ledger.deploy_plan(plan, actor=actor)
    services.open_due_cycles()
    return Slot.objects.get(task=task)


def test_get_writes_nothing_and_the_first_save_stores_the_report(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    audited = AuditRecord.objects.count()
    for _ in range(3):
        page = client.get(f"/reports/slots/{slot.pk}/")
        assert page.status_code == 200
        assert "上月已完成选址" in page.content.decode()  # prefilled from the ledger
    assert not Report.objects.filter(slot=slot).exists()
    assert AuditRecord.objects.count() == audited
    resp = client.post(
        f"/reports/slots/{slot.pk}/",
        {"progress": "本月完成设计", "problems": "", "next_steps": "招标", "save": "1"},
    )
    assert resp.status_code == 302
    report = Report.objects.get(slot=slot)
    assert report.progress == "本月完成设计" and report.author_id == orgtree.reporter_a.pk
    assert set(
        AuditRecord.objects.filter(object_type="dispatch.report").values_list("action", flat=True)
    ) == {"create", "update"}


def test_a_report_started_by_a_colleague_meanwhile_is_not_overwritten(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    client.get(f"/reports/slots/{slot.pk}/")  # the page is opened: no report yet
    colleague, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.save_report(colleague, actor=orgtree.reporter_a, version=1, progress="同事先写的")
    resp = client.post(
        f"/reports/slots/{slot.pk}/",
        {"progress": "我写的", "problems": "", "next_steps": "", "save": "1"},
    )
    assert resp.status_code == 409
    assert Report.objects.get(slot=slot).progress == "同事先写的"
