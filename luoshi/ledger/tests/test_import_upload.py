"""Upload → preview → confirm on the pages (the browser test drives the same flow)."""

from pathlib import Path

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
