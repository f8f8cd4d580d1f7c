"""The admin site is one more way in, not a way around: every add and change made there goes
through the services (rights, audit record, version), and what must not change there cannot."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms import CheckboxInput, PasswordInput
from django.urls import reverse

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Category, Plan
from luoshi.notify.models import WebhookEndpoint
from luoshi.org import services
from luoshi.org.models import Person, Role, RoleGrant, Unit
from luoshi.org.scope import scope_for


def form_data(resp) -> dict:
    """The POST an admin change page would send back unchanged: the main form, and each
    inline's management form and rows."""
    data = {}
    forms = [resp.context["adminform"].form]
    for inline in resp.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, PasswordInput) and not field.widget.render_value:
                continue  # never rendered into the page
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value
    return data


def audit_of(object_type: str, pk, action: str | None = None):
    qs = AuditRecord.objects.filter(object_type=object_type, object_id=str(pk)).order_by("id")
    return list(qs.filter(action=action) if action else qs)


@pytest.fixture
def admin_login(orgtree, client):
    orgtree.admin.is_staff = orgtree.admin.is_superuser = True
    orgtree.admin.save()
    client.force_login(orgtree.admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def person_url(person) -> str:
    return reverse("admin:org_person_change", args=[person.pk])


# --- role grants --------------------------------------------------------------------------


def test_a_role_granted_in_the_admin_is_audited(orgtree, admin_login):
    person = orgtree.reporter_a
    data = form_data(admin_login.get(person_url(person)))
    n = int(data["grants-TOTAL_FORMS"])
    data.update(
        {
            "grants-TOTAL_FORMS": n + 1,
            f"grants-{n}-person": person.pk,
            f"grants-{n}-role": Role.SUPERVISOR,
            f"grants-{n}-unit": orgtree.b.pk,
        }
    )
    resp = admin_login.post(person_url(person), data)
    assert resp.status_code == 302, resp.content[:3000]
    assert RoleGrant.objects.filter(person=person, role=Role.SUPERVISOR, unit=orgtree.b).exists()
    (rec,) = audit_of("org.person", person.pk, "grant")[-1:]
    assert rec.actor_id == orgtree.admin.pk
    assert rec.changes == {"role": [None, "supervisor"], "unit": [None, orgtree.b.pk]}
    # Nothing else about the person changed, so no update record and no new version.
    assert not audit_of("org.person", person.pk, "update")
    person.refresh_from_db()
    assert person.version == 1


def test_a_role_removed_in_the_admin_is_audited_as_revoked(orgtree, admin_login):
    person = orgtree.reporter_a
    grant = RoleGrant.objects.get(person=person)
    data = form_data(admin_login.get(person_url(person)))
    row = next(k for k, v in data.items() if k.endswith("-id") and v == grant.pk)
    data[row.replace("-id", "-DELETE")] = "on"
    resp = admin_login.post(person_url(person), data)
    assert resp.status_code == 302, resp.content[:3000]
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    (rec,) = audit_of("org.person", person.pk, "revoke")
    assert rec.changes == {"role": ["reporter", None], "unit": [orgtree.a1.pk, None]}


def test_a_changed_grant_row_is_a_revoke_and_a_grant(orgtree, admin_login):
    person = orgtree.reporter_a
    grant = RoleGrant.objects.get(person=person)
    data = form_data(admin_login.get(person_url(person)))
    row = next(k for k, v in data.items() if k.endswith("-id") and v == grant.pk)
    data[row.replace("-id", "-role")] = Role.LEADER
    assert admin_login.post(person_url(person), data).status_code == 302
    assert list(RoleGrant.objects.filter(person=person).values_list("role", "unit")) == [
        (Role.LEADER, orgtree.a1.pk)
    ]
    actions = [r.action for r in audit_of("org.person", person.pk)]
    assert actions[-2:] == ["revoke", "grant"]


@pytest.fixture
def staff_unit_admin(orgtree, client):
    """甲管理: unit administrator of bureau A, let into the admin site to manage people."""
    person = orgtree.unitadmin_a
    person.is_staff = True
    person.save()
    person.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="org",
            codename__in=[
                "view_person",
                "change_person",
                "add_person",
                "view_unit",
                "view_rolegrant",
                "add_rolegrant",
                "change_rolegrant",
                "delete_rolegrant",
            ],
        )
    )
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_only_an_administrator_grants_the_supervisor_role_in_the_admin(orgtree, staff_unit_admin):
    person = orgtree.reporter_a
    data = form_data(staff_unit_admin.get(person_url(person)))
    n = int(data["grants-TOTAL_FORMS"])
    data.update(
        {
            "grants-TOTAL_FORMS": n + 1,
            f"grants-{n}-person": person.pk,
            f"grants-{n}-role": Role.SUPERVISOR,
            f"grants-{n}-unit": orgtree.a.pk,
        }
    )
    resp = staff_unit_admin.post(person_url(person), data)
    assert resp.status_code == 200
    assert "Only an administrator may grant this role." in resp.content.decode()
    assert not RoleGrant.objects.filter(person=person, role=Role.SUPERVISOR).exists()
    assert not audit_of("org.person", person.pk, "grant")[1:]  # only the fixture's own grant

    # A reporter role over its own subtree, the unit administrator may grant.
    data[f"grants-{n}-role"] = Role.REPORTER
    assert staff_unit_admin.post(person_url(person), data).status_code == 302
    assert RoleGrant.objects.filter(person=person, role=Role.REPORTER, unit=orgtree.a).exists()


def test_flags_need_an_administrator_or_a_superuser(orgtree, staff_unit_admin):
    person = orgtree.reporter_a
    resp = staff_unit_admin.get(person_url(person))
    form = resp.context["adminform"].form
    assert "is_active" in form.fields  # a unit administrator may deactivate
    assert "is_staff" not in form.fields and "is_superuser" not in form.fields
    data = form_data(resp)
    data["is_staff"] = "on"
    assert staff_unit_admin.post(person_url(person), data).status_code == 302
    person.refresh_from_db()
    assert not person.is_staff
    with pytest.raises(OutOfScope):
        services.update_person(
            person, actor=orgtree.unitadmin_a, version=person.version, is_staff=True
        )
    with pytest.raises(OutOfScope):
        services.update_person(
            person, actor=orgtree.admin, version=person.version, is_superuser=True
        )  # an administrator by role, not a superuser
    assert not audit_of("org.person", person.pk, "update")


# --- people ---------------------------------------------------------------------------------


def test_email_and_flags_changed_in_the_admin_are_audited(orgtree, admin_login):
    person = orgtree.reporter_b
    data = form_data(admin_login.get(person_url(person)))
    assert data["version"] == 1
    data.update({"email": "wang@example.gov.cn", "is_staff": "on", "is_superuser": "on"})
    assert admin_login.post(person_url(person), data).status_code == 302
    person.refresh_from_db()
    assert (person.email, person.is_staff, person.is_superuser, person.version) == (
        "wang@example.gov.cn",
        True,
        True,
        2,
    )
    (rec,) = audit_of("org.person", person.pk, "update")
    assert rec.actor_id == orgtree.admin.pk
    assert rec.changes == {
        "email": ["", "wang@example.gov.cn"],
        "is_staff": [False, True],
        "is_superuser": [False, True],
    }


def test_a_stale_admin_save_is_refused_not_overwritten(orgtree, admin_login):
    person = orgtree.reporter_b
    data = form_data(admin_login.get(person_url(person)))
    # Someone else renames the person while the page is open.
    services.update_person(person, actor=system_actor(), version=1, title="科长")
    data["title"] = "副科长"
    resp = admin_login.post(person_url(person), data)
    assert resp.status_code == 200
    assert "changed by someone else since you opened it" in resp.content.decode()
    person.refresh_from_db()
    assert (person.title, person.version) == ("科长", 2)


def test_a_save_racing_past_the_form_check_is_refused_and_rolled_back(
    orgtree, admin_login, monkeypatch
):
    """The service's compare-and-set is the last word: the form's check passed, another save
    landed in between, and the whole admin save (its role grant too) is undone."""
    person = orgtree.reporter_b
    data = form_data(admin_login.get(person_url(person)))
    n = int(data["grants-TOTAL_FORMS"])
    data.update(
        {
            "title": "副科长",
            "grants-TOTAL_FORMS": n + 1,
            f"grants-{n}-person": person.pk,
            f"grants-{n}-role": Role.LEADER,
            f"grants-{n}-unit": orgtree.b1.pk,
        }
    )
    real = services.update_person

    def someone_else_first(p, **kwargs):
        Person.objects.filter(pk=p.pk).update(version=5)
        return real(p, **kwargs)

    monkeypatch.setattr(services, "update_person", someone_else_first)
    resp = admin_login.post(person_url(person), data, follow=True)
    assert resp.redirect_chain[-1][0] == person_url(person)
    assert "changed by someone else" in resp.content.decode()
    person.refresh_from_db()
    assert (person.title, person.version) == ("", 1)
    assert not RoleGrant.objects.filter(person=person, role=Role.LEADER).exists()


def test_a_person_added_in_the_admin_is_audited(orgtree, admin_login):
    resp = admin_login.post(
        reverse("admin:org_person_add"),
        {
            "username": "zhangsan",
            "full_name": "张三",
            "unit": orgtree.b1.pk,
            "email": "zs@example.gov.cn",
            "usable_password": "true",
            "password1": "a-long-pass-2026",
            "password2": "a-long-pass-2026",
            "grants-TOTAL_FORMS": 1,
            "grants-INITIAL_FORMS": 0,
            "grants-0-role": Role.REPORTER,
            "grants-0-unit": orgtree.b1.pk,
        },
    )
    assert resp.status_code == 302, resp.content[:3000]
    person = Person.objects.get(username="zhangsan")
    assert person.check_password("a-long-pass-2026")
    (rec,) = audit_of("org.person", person.pk, "create")
    assert rec.changes["email"] == [None, "zs@example.gov.cn"]
    assert rec.changes["unit"] == [None, orgtree.b1.pk]
    (grant,) = audit_of("org.person", person.pk, "grant")
    assert grant.changes == {"role": [None, "reporter"], "unit": [None, orgtree.b1.pk]}


def test_a_password_set_in_the_admin_is_audited_without_the_password(orgtree, admin_login):
    person = orgtree.reporter_b
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    assert admin_login.get(url).status_code == 200
    new = "another-pass-2026"
    resp = admin_login.post(
        url, {"usable_password": "true", "password1": new, "password2": new, "set-password": "1"}
    )
    assert resp.status_code == 302, resp.content[:3000]
    person.refresh_from_db()
    assert person.check_password(new)
    (rec,) = audit_of("org.person", person.pk, "update")
    assert rec.changes == {"password": ["***", "*** (changed)"]}
    assert new not in str(rec.changes) and person.password not in str(rec.changes)

    # Taking password log-in away is recorded too.
    resp = admin_login.post(url, {"usable_password": "false", "unset-password": "1"})
    assert resp.status_code == 302
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert audit_of("org.person", person.pk, "update")[-1].changes == {"password": ["***", None]}


def test_ones_own_password_changed_in_the_admin_is_audited(orgtree, admin_login):
    me = orgtree.admin
    new = "my-own-pass-2026"
    resp = admin_login.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert resp.status_code == 302, resp.content[:3000]
    me.refresh_from_db()
    assert me.check_password(new)
    (rec,) = audit_of("org.person", me.pk, "update")
    assert (rec.actor_id, rec.changes) == (me.pk, {"password": ["***", "*** (changed)"]})
    assert admin_login.get(reverse("admin:index")).status_code == 200  # still logged in


def test_a_superusers_password_is_changed_only_by_a_superuser(orgtree):
    orgtree.reporter_b.is_superuser = True
    orgtree.reporter_b.save()
    with pytest.raises(OutOfScope):
        services.set_password(orgtree.reporter_b, "x-long-pass-2026", actor=orgtree.admin)


def refused_delete(client, model: str, pk: int) -> str:
    """The delete page of a record never deleted: back to its change page with the reason (not
    a bare 403), for GET and POST alike. Returns the message."""
    change = reverse(f"admin:{model}_change", args=[pk])
    for method in (client.get, client.post):
        resp = method(reverse(f"admin:{model}_delete", args=[pk]), follow=True)
        assert resp.redirect_chain == [(change, 302)]
        message = [str(m) for m in resp.context["messages"]][-1]
    return message


def test_people_and_units_are_not_deleted_in_the_admin(orgtree, admin_login):
    message = refused_delete(admin_login, "org_person", orgtree.reporter_b.pk)
    assert "never deleted" in message and "untick “active”" in message
    assert Person.objects.filter(pk=orgtree.reporter_b.pk, is_active=True).exists()
    assert "cannot be deleted" in refused_delete(admin_login, "org_unit", orgtree.b1.pk)
    changelist = admin_login.get(reverse("admin:org_person_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    # Someone without the right to see the person still gets Django's refusal.
    admin_login.force_login(orgtree.reporter_a)
    delete = reverse("admin:org_person_delete", args=[orgtree.reporter_b.pk])
    assert admin_login.get(delete).status_code in (302, 403)


def test_people_are_deactivated_from_the_list_with_an_audit_record(orgtree, admin_login):
    changelist = reverse("admin:org_person_changelist")
    assert "deactivate" in admin_login.get(changelist).content.decode()
    ids = [orgtree.reporter_a.pk, orgtree.reporter_b.pk]
    resp = admin_login.post(
        changelist, {"action": "deactivate", "_selected_action": ids}, follow=True
    )
    assert "2 people deactivated." in [str(m) for m in resp.context["messages"]]
    assert not Person.objects.filter(pk__in=ids, is_active=True).exists()
    for pk in ids:
        (rec,) = audit_of("org.person", pk, "update")
        assert rec.changes == {"is_active": [True, False]}


# --- units ----------------------------------------------------------------------------------


def test_units_added_changed_and_moved_in_the_admin_are_audited(orgtree, admin_login):
    resp = admin_login.post(
        reverse("admin:org_unit_add"),
        {"name": "乙局二处", "parent": orgtree.b.pk, "kind": "division", "code": ""},
    )
    assert resp.status_code == 302, resp.content[:3000]
    unit = Unit.objects.get(name="乙局二处")
    assert unit.path.startswith(orgtree.b.path) and unit.depth == 2
    assert audit_of("org.unit", unit.pk, "create")

    url = reverse("admin:org_unit_change", args=[orgtree.b1.pk])
    data = form_data(admin_login.get(url))
    data.update({"short_name": "一处", "parent": orgtree.a.pk})  # moves it under bureau A
    assert admin_login.post(url, data).status_code == 302
    b1 = Unit.objects.get(pk=orgtree.b1.pk)
    assert (b1.parent_id, b1.short_name, b1.version) == (orgtree.a.pk, "一处", 3)
    assert b1.path.startswith(orgtree.a.path)
    changes = [r.changes for r in audit_of("org.unit", b1.pk, "update")]
    assert changes == [{"parent": [orgtree.b.pk, orgtree.a.pk]}, {"short_name": ["", "一处"]}]
    # Bureau A's unit administrator now manages it (and its people).
    assert scope_for(Person.objects.get(pk=orgtree.unitadmin_a.pk)).manages_unit(b1)


def test_a_unit_cannot_move_under_its_own_subunit(orgtree):
    with pytest.raises(RuleViolation):
        services.move_unit(orgtree.a, orgtree.a1, actor=orgtree.admin, version=1)
    with pytest.raises(OutOfScope):
        services.move_unit(orgtree.a1, orgtree.b, actor=orgtree.unitadmin_a, version=1)


# --- plans, categories, robots -----------------------------------------------------------


def test_plans_and_categories_in_the_admin_go_through_the_ledger_services(orgtree, admin_login):
    resp = admin_login.post(
        reverse("admin:ledger_plan_add"),
        {
            "name": "重点工作",
            "year": 2026,
            "owner_unit": orgtree.office.pk,
            "frequency": "monthly",
            "numbering": "through",
            "description": "",
            "categories-TOTAL_FORMS": 1,
            "categories-INITIAL_FORMS": 0,
            "categories-0-name": "一、交通",
            "categories-0-order": 0,
        },
    )
    assert resp.status_code == 302, resp.content[:3000]
    plan = Plan.objects.get(name="重点工作")
    assert audit_of("ledger.plan", plan.pk, "create")[0].actor_id == orgtree.admin.pk
    category = Category.objects.get(plan=plan)
    assert audit_of("ledger.category", category.pk, "create")

    url = reverse("admin:ledger_plan_change", args=[plan.pk])
    data = form_data(admin_login.get(url))
    data.update({"description": "全年", "categories-0-name": "一、交通运输"})
    assert admin_login.post(url, data).status_code == 302
    plan.refresh_from_db()
    category.refresh_from_db()
    assert (plan.description, plan.version, category.name, category.version) == (
        "全年",
        2,
        "一、交通运输",
        2,
    )
    assert audit_of("ledger.plan", plan.pk, "update")[0].changes == {"description": ["", "全年"]}
    assert audit_of("ledger.category", category.pk, "update")

    # A stale category row is refused with the reason; nothing of the save is kept.
    ledger.update_category(category, actor=system_actor(), version=2, order=5)
    data = form_data(admin_login.get(url))
    data["categories-0-version"] = 1
    data.update({"description": "上半年", "categories-0-name": "交通"})
    resp = admin_login.post(url, data)
    assert resp.status_code == 200
    assert "changed by someone else" in resp.content.decode()
    plan.refresh_from_db()
    assert plan.description == "全年"
    assert "cannot be deleted" in refused_delete(admin_login, "ledger_plan", plan.pk)


def test_a_robot_changed_in_the_admin_is_audited_and_keeps_its_secret(orgtree, admin_login):
    resp = admin_login.post(
        reverse("admin:notify_webhookendpoint_add"),
        {
            "name": "甲局群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "secret": "SECabc",
            "unit": orgtree.a.pk,
            "is_active": "on",
            "rate_per_minute": 20,
        },
    )
    assert resp.status_code == 302, resp.content[:3000]
    robot = WebhookEndpoint.objects.get(name="甲局群")
    (created,) = audit_of("notify.webhookendpoint", robot.pk, "create")
    assert "abc" not in str(created.changes)

    url = reverse("admin:notify_webhookendpoint_change", args=[robot.pk])
    data = form_data(admin_login.get(url))
    assert "secret" not in data  # never rendered back
    data.pop("is_active")  # deactivated, not deleted
    assert admin_login.post(url, data).status_code == 302
    robot.refresh_from_db()
    assert (robot.is_active, robot.secret) == (False, "SECabc")
    (rec,) = audit_of("notify.webhookendpoint", robot.pk, "update")
    assert rec.changes == {"is_active": [True, False]}
    assert "cannot be deleted" in refused_delete(admin_login, "notify_webhookendpoint", robot.pk)


# --- the one way in -------------------------------------------------------------------------


def test_every_luoshi_admin_is_a_service_admin_or_read_only():
    """A model admin of ours either saves through services or changes nothing."""
    loose = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"core", "org", "notify", "ledger", "dispatch"}
        and not isinstance(model_admin, ServiceAdminMixin | ReadOnlyAdminMixin)
    ]
    assert loose == []
