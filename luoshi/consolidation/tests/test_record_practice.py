"""Recording and editing practices and their documents: who may, validation, audit, versions."""

import pytest

from luoshi.consolidation import access, services
from luoshi.consolidation.models import Practice
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_recording_is_audited_in_the_same_transaction(orgtree, world):
    p = services.record_practice(
        actor=orgtree.unitadmin_a, title="河长制巡河", what="每周巡河一次", unit=orgtree.a1
    )
    rec = AuditRecord.objects.get(object_type="consolidation.practice", object_id=str(p.pk))
    assert rec.action == "create" and rec.changes["title"] == [None, "河长制巡河"]
    assert rec.actor_id == orgtree.unitadmin_a.pk


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("title", {"title": " "}),
        ("what", {"what": ""}),
        ("unit", {"unit": None}),
        ("kind", {"kind": "other"}),
        ("tags", {"tags": [str(i) for i in range(11)]}),
    ],
)
def test_validation_names_the_field(orgtree, field, kw):
    data = {"title": "t", "what": "w", "unit": orgtree.a1, **kw}
    with pytest.raises(RuleViolation) as exc:
        services.record_practice(actor=orgtree.supervisor, **data)
    assert exc.value.field == field


def test_who_may_record(orgtree, world):
    # Supervisors over the unit, the unit's admins.
    assert access.can_record(orgtree.supervisor, orgtree.b1)
    assert access.can_record(orgtree.unitadmin_a, orgtree.a1)
    assert not access.can_record(orgtree.unitadmin_a, orgtree.b1)
    # A reporter: only from a task it reports on, for that task's unit.
    assert not access.can_record(orgtree.reporter_a, orgtree.a1)
    assert access.can_record(orgtree.reporter_a, orgtree.a1, world.task_a)
    assert not access.can_record(orgtree.reporter_a, orgtree.b1, world.task_a)
    assert not access.can_record(orgtree.reporter_a, orgtree.b1, world.task_b)
    assert not access.can_record(orgtree.leader_a, orgtree.a1)


def test_a_reporter_records_from_its_task(orgtree, world):
    p = services.record_practice(
        actor=orgtree.reporter_a,
        title="网格员每日巡查",
        what="每天巡查",
        unit=orgtree.a1,
        task=world.task_a,
    )
    assert p.task == world.task_a and access.can_edit(orgtree.reporter_a, p)
    with pytest.raises(OutOfScope):
        services.record_practice(actor=orgtree.reporter_a, title="x", what="y", unit=orgtree.a1)
    with pytest.raises(OutOfScope):  # B's task: not even readable
        services.record_practice(
            actor=orgtree.reporter_a, title="x", what="y", unit=orgtree.b1, task=world.task_b
        )


def test_update_needs_the_current_version(orgtree, world):
    p = Practice.objects.get(pk=world.school.pk)
    with pytest.raises(RuleViolation):
        services.update_practice(p, actor=orgtree.supervisor, version=None, title="新")
    services.update_practice(p, actor=orgtree.supervisor, version=1, title="一校一策2.0")
    assert p.version == 2
    stale = Practice.objects.get(pk=p.pk)
    stale.version = 1
    with pytest.raises(StaleVersion):
        services.update_practice(stale, actor=orgtree.supervisor, version=1, title="旧")
    assert Practice.objects.get(pk=p.pk).title == "一校一策2.0"
    rec = AuditRecord.objects.filter(object_id=str(p.pk), action="update").get()
    assert rec.changes == {"title": ["中小学校建设一校一策", "一校一策2.0"]}


def test_others_may_not_edit(orgtree, world):
    with pytest.raises(OutOfScope):
        services.update_practice(world.mechanism, actor=orgtree.reporter_b, version=1, title="乙改")
    # unitadmin_a may not move A's practice to B.
    with pytest.raises(RuleViolation) as exc:
        services.update_practice(
            world.mechanism, actor=orgtree.unitadmin_a, version=1, unit=orgtree.b1
        )
    assert exc.value.field == "unit"


def test_documents_are_sniffed_kept_and_removed(orgtree, world, settings, tmp_path):
    settings.LUOSHI_UPLOAD_DIR = tmp_path
    doc = services.add_document(world.school, "照片.png", PNG, actor=orgtree.supervisor)
    assert doc.content_type == "image/png" and (tmp_path / doc.stored_as).exists()
    with pytest.raises(RuleViolation) as exc:
        services.add_document(world.school, "假.pdf", PNG, actor=orgtree.supervisor)
    assert exc.value.field == "file"
    settings.LUOSHI_MAX_UPLOAD_BYTES = 10
    with pytest.raises(RuleViolation):
        services.add_document(world.school, "大.png", PNG, actor=orgtree.supervisor)
    with pytest.raises(OutOfScope):
        services.remove_document(doc, actor=orgtree.reporter_b)
    services.remove_document(doc, actor=orgtree.supervisor)
    actions = AuditRecord.objects.filter(object_id=str(world.school.pk)).values_list(
        "action", flat=True
    )
    assert {"attach", "detach"} <= set(actions)
