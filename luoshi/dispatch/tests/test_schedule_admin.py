"""A reporting schedule set in the admin goes through dispatch's save_schedule: audited, the
actor's rights checked, never deleted (deactivated instead)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.dispatch.models import Schedule
from luoshi.ledger import services as ledger


@pytest.fixture
def plan(orgtree):
    return ledger.create_plan(
        actor=system_actor(), name="重点工作", year=2026, owner_unit=orgtree.office
    )


def staff(client, person, *codenames):
    person.is_staff = True
    person.save()
    person.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


FORM = {"kind": "weekly", "weekday": 4, "day": 25, "dates": "[]", "due_time": "17:00"}


def records(schedule):
    return list(
        AuditRecord.objects.filter(
            object_type="dispatch.schedule", object_id=str(schedule.pk)
        ).order_by("id")
    )


def test_a_schedule_added_and_changed_in_the_admin_is_audited(orgtree, plan, client):
    orgtree.supervisor.is_superuser = True  # Django's permissions; the plan's supervisor too
    admin = staff(client, orgtree.supervisor)
    resp = admin.post(
        reverse("admin:dispatch_schedule_add"), {**FORM, "plan": plan.pk, "active": "on"}
    )
    assert resp.status_code == 302, resp.content[:3000]
    schedule = Schedule.objects.get(plan=plan)
    (created,) = records(schedule)
    assert created.action == "create" and created.actor_id == orgtree.supervisor.pk
    assert created.changes["kind"] == [None, "weekly"]
    assert created.changes["due_time"] == [None, "17:00:00"]
    assert created.context == {"plan": plan.pk}

    url = reverse("admin:dispatch_schedule_change", args=[schedule.pk])
    page = admin.get(url)
    assert "plan" not in page.context["adminform"].form.fields  # fixed once made
    resp = admin.post(url, {**FORM, "due_time": "12:00"})  # "active" unticked: deactivated
    assert resp.status_code == 302, resp.content[:3000]
    schedule.refresh_from_db()
    assert (str(schedule.due_time), schedule.active, schedule.plan_id) == (
        "12:00:00",
        False,
        plan.pk,
    )
    assert records(schedule)[-1].changes == {
        "active": [True, False],
        "due_time": ["17:00:00", "12:00:00"],
    }
    # Never deleted: the delete page goes back to the schedule, saying why (not a bare 403).
    delete = reverse("admin:dispatch_schedule_delete", args=[schedule.pk])
    resp = admin.post(delete, follow=True)
    assert resp.redirect_chain == [
        (reverse("admin:dispatch_schedule_change", args=[schedule.pk]), 302)
    ]
    assert any("cannot be deleted" in str(m) for m in resp.context["messages"])
    assert type(schedule).objects.filter(pk=schedule.pk).exists()
    changelist = admin.get(reverse("admin:dispatch_schedule_changelist"))
    assert changelist.context["action_form"] is None  # no "delete selected"


def test_only_a_supervisor_of_the_plan_sets_its_schedule_in_the_admin(orgtree, plan, client):
    """Django's admin permissions let the unit administrator in; the service still refuses."""
    other = staff(client, orgtree.unitadmin_a, "view_schedule", "add_schedule", "change_schedule")
    resp = other.post(
        reverse("admin:dispatch_schedule_add"),
        {**FORM, "plan": plan.pk, "active": "on"},
        follow=True,
    )
    assert "Only a supervisor of the plan sets its reporting schedule." in resp.content.decode()
    assert not Schedule.objects.filter(plan=plan).exists()
    assert not AuditRecord.objects.filter(object_type="dispatch.schedule").exists()
