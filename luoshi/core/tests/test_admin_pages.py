"""Every admin page of every registered model opens for an administrator."""

from django.contrib import admin
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.dispatch.models import Schedule
from luoshi.ledger import services as ledger


def test_every_changelist_and_add_page_opens(orgtree, client):
    orgtree.admin.is_staff = orgtree.admin.is_superuser = True
    orgtree.admin.save()
    client.force_login(orgtree.admin)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        resp = client.get(reverse(f"admin:{info}_changelist"))
        assert resp.status_code == 200, info
        if model_admin.has_add_permission(resp.wsgi_request):
            assert client.get(reverse(f"admin:{info}_add")).status_code == 200, info
        checked += 1
    assert checked >= 12


def test_a_schedule_is_configured_in_the_admin(orgtree, client):
    orgtree.admin.is_staff = orgtree.admin.is_superuser = True
    orgtree.admin.save()
    plan = ledger.create_plan(
        actor=system_actor(), name="排期", year=2026, owner_unit=orgtree.office
    )
    client.force_login(orgtree.admin)
    resp = client.post(
        reverse("admin:dispatch_schedule_add"),
        {
            "plan": plan.pk,
            "kind": "weekly",
            "weekday": 4,
            "day": 25,
            "dates": "[]",
            "due_time": "17:00",
            "active": "on",
        },
    )
    assert resp.status_code == 302, resp.content[:2000]
    assert Schedule.objects.get(plan=plan).kind == "weekly"
