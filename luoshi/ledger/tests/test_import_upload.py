"""Upload → preview → confirm on the pages (the browser test drives the same flow)."""

from pathlib import Path

from luoshi.core.models import AuditRecord
from luoshi.ledger.models import ImportBatch, Task

EXAMPLE = Path(__file__).parent / "data" / "ledger-example.xlsx"


def test_upload_preview_confirm(orgtree, client):
    client.force_login(orgtree.supervisor)
    with EXAMPLE.open("rb") as fh:
        resp = client.post(
            "/import/",
            {"file": fh, "plan_name": "上传台账", "year": 2026, "owner_unit": orgtree.office.pk},
        )
    batch = ImportBatch.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/import/{batch.pk}/"
    preview = client.get(f"/import/{batch.pk}/")
    assert preview.context["report"].errors  # unknown names, listed
    # Confirming while errors remain writes nothing and returns to the preview.
    resp = client.post(f"/import/{batch.pk}/confirm/")
    assert resp.status_code == 302 and resp["Location"] == f"/import/{batch.pk}/"
    assert Task.objects.count() == 0
    # Map one unit to an existing one, create the rest.
    client.post(f"/import/{batch.pk}/?create=1", {"unit:章丘区交通运输局": "乙局", "create": "1"})
    preview = client.get(f"/import/{batch.pk}/?create=1")
    report = preview.context["report"]
    assert report.errors == [] and "章丘区交通运输局" not in report.created["units"]
    resp = client.post(f"/import/{batch.pk}/confirm/", {"create": "1"})
    assert resp.status_code == 302
    assert Task.objects.count() == 7
    assert Task.objects.get(no="3").assignments.filter(unit=orgtree.b).exists()
    # Another person's batch is not visible.
    client.force_login(orgtree.admin)
    assert client.get(f"/import/{batch.pk}/").status_code == 200
    client.force_login(orgtree.reporter_a)
    assert client.get(f"/import/{batch.pk}/").status_code == 404


def test_oversized_upload_is_refused(orgtree, client, settings):
    settings.LUOSHI_MAX_UPLOAD_BYTES = 100
    client.force_login(orgtree.supervisor)
    with EXAMPLE.open("rb") as fh:
        resp = client.post("/import/", {"file": fh, "plan_name": "x", "year": 2026})
    assert resp.status_code == 200 and "file" in resp.context["form"].errors
    assert ImportBatch.objects.count() == 0


def _upload(client, orgtree):
    with EXAMPLE.open("rb") as fh:
        client.post(
            "/import/",
            {"file": fh, "plan_name": "上传台账", "year": 2026, "owner_unit": orgtree.office.pk},
        )
    return ImportBatch.objects.get()


def test_the_file_goes_to_the_one_upload_store_and_each_step_is_audited(
    orgtree, client, settings, tmp_path
):
    settings.LUOSHI_UPLOAD_DIR = tmp_path
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree)
    assert (tmp_path / batch.stored_as).read_bytes() == EXAMPLE.read_bytes()
    assert batch.stored_as.endswith(".xlsx") and batch.uploaded_by == orgtree.supervisor

    def actions():
        return list(
            AuditRecord.objects.filter(object_type="ledger.importbatch", object_id=str(batch.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )

    assert actions() == ["upload"]
    client.post(f"/import/{batch.pk}/", {"unit:章丘区交通运输局": "乙局", "create": "1"})
    batch.refresh_from_db()
    assert batch.mapping == {"units": {"章丘区交通运输局": orgtree.b.pk}, "people": {}}
    assert actions() == ["upload", "map"]
    resp = client.post(f"/import/{batch.pk}/confirm/", {"create": "1"})
    batch.refresh_from_db()
    assert resp.status_code == 302 and resp["Location"] == f"/plans/{batch.plan_id}/"
    assert batch.status == ImportBatch.Status.COMMITTED and batch.report["new"] == 7
    assert actions() == ["upload", "map", "commit"]
    # A second click imports nothing twice.
    tasks = Task.objects.count()
    resp = client.post(f"/import/{batch.pk}/confirm/", {"create": "1"})
    assert resp.status_code == 302 and resp["Location"] == "/plans/"
    assert Task.objects.count() == tasks and actions() == ["upload", "map", "commit"]


def test_showing_the_preview_writes_nothing(orgtree, client):
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree)
    records = AuditRecord.objects.count()
    before = ImportBatch.objects.values().get()
    for url in (f"/import/{batch.pk}/", f"/import/{batch.pk}/?create=1"):
        assert client.get(url).status_code == 200
    assert ImportBatch.objects.values().get() == before
    assert AuditRecord.objects.count() == records
    assert Task.objects.count() == 0


def test_a_mapping_to_a_name_out_of_scope_is_refused(orgtree, client):
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree)
    records = AuditRecord.objects.count()
    resp = client.post(f"/import/{batch.pk}/", {"unit:章丘区交通运输局": "无此单位"})
    assert resp.status_code == 200 and resp.context["map_errors"]
    batch.refresh_from_db()
    assert batch.mapping == {} and AuditRecord.objects.count() == records


def test_names_mapped_one_at_a_time_are_all_kept(orgtree, client):
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree)
    client.post(f"/import/{batch.pk}/", {"unit:章丘区交通运输局": "乙局"})
    client.post(f"/import/{batch.pk}/", {"unit:历城区交通运输局": "甲局"})
    batch.refresh_from_db()
    assert batch.mapping["units"] == {
        "章丘区交通运输局": orgtree.b.pk,
        "历城区交通运输局": orgtree.a.pk,
    }
    report = client.get(f"/import/{batch.pk}/").context["report"]
    assert not {"章丘区交通运输局", "历城区交通运输局"} & set(report.unknown["units"])
