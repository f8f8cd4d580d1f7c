"""People created without a password (an import's owners and leaders) get a log-in path a unit
admin hands out: a one-time, expiring activation link to a set-your-password page."""

import pytest
from django.test import Client

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.org import services as org

NEW_PASSWORD = "Luoshi-activate-2026!"


@pytest.fixture
def newcomers(orgtree):
    """Two people as an import creates them: no password, readable login names."""
    a, b = org.create_people(
        [{"full_name": "王磊", "unit": orgtree.a1}, {"full_name": "赵敏", "unit": orgtree.b1}],
        actor=system_actor(),
    )
    return a, b


def test_created_people_get_readable_login_names(orgtree, newcomers):
    a, _b = newcomers
    again = org.create_person("王磊", orgtree.a, actor=system_actor())
    assert (a.username, again.username) == ("王磊", "王磊2")
    assert not a.has_usable_password()


def test_the_unit_admin_lists_and_prints_links_for_its_units_only(orgtree, newcomers, client):
    a, b = newcomers
    client.force_login(orgtree.unitadmin_a)
    page = client.get("/org/people/activation/")
    assert page.status_code == 200
    listed = list(page.context["page"].object_list)
    assert a in listed and b not in listed
    # A person of another unit, posted anyway, gets no link.
    resp = client.post("/org/people/activation/", {"person": [b.pk]})
    assert resp.status_code == 302
    assert not AuditRecord.objects.filter(action="activation_link").exists()
    resp = client.post("/org/people/activation/", {"person": [a.pk]})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "王磊" in html and "甲局一处" in html and "<code>王磊</code>" in html
    assert AuditRecord.objects.filter(action="activation_link", object_id=str(a.pk)).count() == 1
    with pytest.raises(OutOfScope):
        org.issue_activation_links([b], actor=orgtree.unitadmin_a)
    # A reporter manages no one.
    client.force_login(orgtree.reporter_a)
    assert list(client.get("/org/people/activation/").context["page"].object_list) == []


def test_an_activation_link_works_once(orgtree, newcomers, client):
    a, _b = newcomers
    [(person, uid, token)] = org.issue_activation_links([a], actor=orgtree.unitadmin_a)
    url = f"/org/activate/{uid}/{token}/"
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "王磊" in page.content.decode()
    resp = anonymous.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and "login" in resp["Location"]
    assert Client().login(username="王磊", password=NEW_PASSWORD)
    assert AuditRecord.objects.filter(action="activate", actor_id=a.pk).count() == 1
    # The same link again: spent.
    assert anonymous.get(url).status_code == 410
    resp = anonymous.post(
        url, {"new_password1": "Other-pass-2026!", "new_password2": "Other-pass-2026!"}
    )
    assert resp.status_code == 410
    assert Client().login(username="王磊", password=NEW_PASSWORD)
    with pytest.raises(RuleViolation):
        org.activate_account(uid, token, "Third-pass-2026!")
    # Once someone can log in, no link is issued for them.
    a.refresh_from_db()
    with pytest.raises(RuleViolation):
        org.issue_activation_links([a], actor=orgtree.unitadmin_a)


def test_an_expired_or_forged_link_is_refused(orgtree, newcomers, client, settings):
    a, _b = newcomers
    [(_p, uid, token)] = org.issue_activation_links([a], actor=orgtree.unitadmin_a)
    assert client.get(f"/org/activate/{uid}/forged-token/").status_code == 410
    assert client.get(f"/org/activate/bad/{token}/").status_code == 410
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link has expired
    assert client.get(f"/org/activate/{uid}/{token}/").status_code == 410
