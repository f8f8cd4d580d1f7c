"""Integrity signals on the page and the API: supervisors see them counted per unit and listed
with links, filtered by kind and unit; anyone else is refused and sees none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.supervision.models import Signal
from luoshi.supervision.services.integrity import scan_signals

from .test_integrity import TODAY, fill, world  # noqa: F401  (world is the fixture)


@pytest.fixture
def scanned(world):  # noqa: F811
    made = fill(world)
    scan_signals(actor=system_actor(), today=TODAY)
    return world, made


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def test_the_supervisor_sees_signals_per_unit_with_links(scanned, client):
    w, made = scanned
    o = w["o"]
    client.force_login(o.supervisor)
    resp = client.get("/supervision/integrity/")
    assert resp.status_code == 200
    per_unit = {u["unit_name"]: u for u in resp.context["per_unit"]}
    assert per_unit["甲局一处"]["counts"] == {
        "repeated_text": 2,
        "jump_to_done": 0,
        "warned_late": 0,
    }
    assert per_unit["乙局一处"]["counts"] == {
        "repeated_text": 0,
        "jump_to_done": 1,
        "warned_late": 1,
    }
    html = resp.content.decode()
    assert f'href="/tasks/{w["copy"].pk}/"' in html
    assert f'href="/reports/slots/{made["june"].slot_id}/"' in html
    assert 'id="signal-scan"' in html
    assert len(resp.context["page"]) == 4


def test_filters_by_kind_and_unit(scanned, client):
    w, _ = scanned
    o = w["o"]
    client.force_login(o.supervisor)
    page = client.get("/supervision/integrity/?kind=repeated_text").context["page"]
    assert {s.kind for s in page} == {"repeated_text"} and len(page) == 2
    page = client.get(f"/supervision/integrity/?unit={o.b1.pk}").context["page"]
    assert {s.unit_id for s in page} == {o.b1.pk} and len(page) == 2
    page = client.get(f"/supervision/integrity/?unit={o.b1.pk}&kind=warned_late").context["page"]
    assert [s.kind for s in page] == ["warned_late"]
    # The per-unit summary stays whole while the list is filtered.
    resp = client.get("/supervision/integrity/?kind=warned_late")
    assert sum(u["total"] for u in resp.context["per_unit"]) == 4


def test_the_counts_per_unit_are_one_query(scanned, client):
    from luoshi.supervision.access import signals_for
    from luoshi.supervision.services.integrity import counts_per_unit

    w, _ = scanned
    qs = signals_for(w["o"].supervisor)
    with CaptureQueriesContext(connection) as queries:
        counts_per_unit(qs)
    assert len(queries) == 1


@pytest.mark.parametrize("who", ["reporter_a", "reporter_b", "leader_a", "unitadmin_a"])
def test_others_are_refused(scanned, client, who):
    w, _ = scanned
    person = getattr(w["o"], who)
    client.force_login(person)
    assert client.get("/supervision/integrity/").status_code == 403
    assert client.post("/supervision/integrity/scan/").status_code == 403
    assert api(person).get("/api/signals/").status_code == 403
    assert api(person).get("/api/signals/per-unit/").status_code == 403
    assert "Integrity signals" not in client.get("/").content.decode()


def test_scan_now_from_the_page(world, client):  # noqa: F811
    fill(world)
    client.force_login(world["o"].supervisor)
    assert client.get("/supervision/integrity/scan/").status_code == 405  # GET writes nothing
    resp = client.post("/supervision/integrity/scan/")
    assert resp.status_code == 302 and resp["Location"] == "/supervision/integrity/"
    # Today is not TODAY: whatever it finds, the scan ran and was recorded, by this person.
    rec = AuditRecord.objects.get(object_type="supervision.signals")
    assert rec.actor_id == world["o"].supervisor.pk


def test_api_lists_and_counts_for_supervisors(scanned):
    w, made = scanned
    o = w["o"]
    body = api(o.supervisor).get("/api/signals/").json()
    assert body["count"] == 4
    kinds = {s["kind"] for s in body["results"]}
    assert kinds == {"repeated_text", "jump_to_done", "warned_late"}
    repeated = api(o.supervisor).get("/api/signals/?kind=repeated_text").json()["results"]
    assert {s["report"] for s in repeated} == {made["june"].pk, made["july"].pk}
    assert all(s["detail"]["similarity"] >= 0.9 for s in repeated)
    by_unit = api(o.supervisor).get(f"/api/signals/?unit={o.b1.pk}").json()
    assert by_unit["count"] == 2
    counts = api(o.admin).get("/api/signals/per-unit/").json()
    assert {c["unit_name"]: c["total"] for c in counts} == {"甲局一处": 2, "乙局一处": 2}
    filtered = api(o.admin).get("/api/signals/per-unit/?kind=warned_late").json()
    assert filtered == [
        {
            "unit": o.b1.pk,
            "unit_name": "乙局一处",
            "counts": {"repeated_text": 0, "jump_to_done": 0, "warned_late": 1},
            "total": 1,
        }
    ]
    # Read-only: no writes through the API.
    assert api(o.supervisor).post("/api/signals/", {}, format="json").status_code == 405
    assert Signal.objects.count() == 4


def test_anonymous_gets_nothing(scanned, client):
    assert client.get("/supervision/integrity/").status_code == 302
    assert client.get("/api/signals/").status_code in (401, 403)
