"""Who opens what: leaders and supervisors the cockpit, unit admins and reporters their own
unit's dashboard, and a unit outside one's scope is refused (403)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_reporter_and_unit_admin_get_their_units_dashboard(world, login):
    r = login(world.org.reporter_a).get(reverse("cockpit:cockpit"))
    assert r.status_code == 200 and r.context["unit"] == world.org.a1
    r = login(world.org.unitadmin_a).get(reverse("cockpit:cockpit"))
    assert r.status_code == 200 and r.context["unit"] == world.org.a
    assert r.context["data"]["total"]["due"] == 3


def test_reporter_sees_their_own_units_dashboard(world, login):
    client = login(world.org.reporter_a)
    r = client.get(reverse("cockpit:unit", args=[world.org.a1.pk]))
    assert r.status_code == 200
    assert r.context["data"]["total"]["due"] == 3
    assert 'href="/cockpit/"' in r.content.decode()  # the navigation offers it


@pytest.mark.parametrize(
    ("who", "unit"),
    [("reporter_a", "b1"), ("reporter_a", "a"), ("leader_a", "b"), ("unitadmin_a", "b1")],
)
def test_a_unit_out_of_scope_is_403(world, login, who, unit):
    r = login(getattr(world.org, who)).get(
        reverse("cockpit:unit", args=[getattr(world.org, unit).pk])
    )
    assert r.status_code == 403


def test_person_without_a_role_gets_403_and_no_link(world, login, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client = login(nobody)
    assert client.get(reverse("cockpit:cockpit")).status_code == 403
    assert 'href="/cockpit/"' not in client.get(reverse("desk:home")).content.decode()


def test_anonymous_is_sent_to_log_in(client, world):
    r = client.get(reverse("cockpit:cockpit"))
    assert r.status_code == 302 and "/login/" in r.url
