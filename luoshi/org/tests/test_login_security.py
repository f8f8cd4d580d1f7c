"""Log-in lockout after wrong passwords (django-axes), API tokens that expire and that a password
change revokes (issue #12: 20 wrong passwords in a row, then the right one worked; tokens never
expired and survived a password change)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.authtoken.models import Token

from conftest import PASSWORD
from luoshi.core.errors import OutOfScope
from luoshi.core.models import AuditRecord
from luoshi.org import services


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.LUOSHI_TOKEN_DAYS = 30


def _post(client, url, username, password, ip="10.1.1.1"):
    return client.post(
        url,
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _web_login(client, username, password, ip="10.1.1.1"):
    return _post(client, "/login/", username, password, ip)


def _token(client, username, password, ip="10.1.1.1"):
    return _post(client, "/api/token/", username, password, ip)


def test_the_log_in_page_locks_after_five_wrong_passwords(orgtree):
    client = Client()
    for _ in range(5):
        assert _web_login(client, "reporter_a", "wrong-password").status_code in (200, 429)
    refused = _web_login(client, "reporter_a", PASSWORD)
    assert refused.status_code == 429
    assert "locked for 15 minutes" in refused.content.decode()
    assert refused["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    # The same account from another address, and another account from this one, still log in.
    assert _web_login(Client(), "reporter_a", PASSWORD, ip="10.1.1.2").status_code == 302
    assert _web_login(Client(), "reporter_b", PASSWORD).status_code == 302
    # After the cool-off the right password works again, and resets the count.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16)
    )
    assert _web_login(client, "reporter_a", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="reporter_a", ip_address="10.1.1.1").exists()


def test_fewer_failures_than_the_limit_do_not_lock(orgtree):
    client = Client()
    for _ in range(4):
        _web_login(client, "reporter_a", "wrong-password")
    assert _web_login(client, "reporter_a", PASSWORD).status_code == 302


def test_the_token_endpoint_locks_too(orgtree):
    client = Client()
    for _ in range(5):
        assert _token(client, "reporter_a", "wrong-password").status_code in (400, 429)
    refused = _token(client, "reporter_a", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "locked_out" and "locked" in refused.json()["detail"]
    assert not Token.objects.filter(user=orgtree.reporter_a).exists()


def test_a_token_expires_and_a_new_one_is_issued(orgtree):
    client = Client()
    reply = _token(client, "reporter_a", PASSWORD)
    assert reply.status_code == 200
    key = reply.json()["token"]
    assert reply.json()["expires"]
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    assert client.get("/api/tasks/", **auth).status_code == 200
    # Asked again while it is valid: the same token, no new audit record.
    assert _token(client, "reporter_a", PASSWORD).json()["token"] == key
    assert AuditRecord.objects.filter(action="issue_token").count() == 1

    Token.objects.filter(key=key).update(
        created=Token.objects.get(key=key).created - dt.timedelta(days=31)
    )
    expired = client.get("/api/tasks/", **auth)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    fresh = _token(client, "reporter_a", PASSWORD).json()["token"]
    assert fresh != key
    assert client.get("/api/tasks/", HTTP_AUTHORIZATION=f"Token {fresh}").status_code == 200
    issued = AuditRecord.objects.filter(action="issue_token").order_by("id")
    assert [r.changes["api_token"][0] for r in issued] == [None, "*** (expired)"]
    assert key not in str(list(issued.values_list("changes", flat=True)))


def test_a_password_change_revokes_the_token(orgtree):
    client = Client()
    key = _token(client, "reporter_a", PASSWORD).json()["token"]
    services.set_password(orgtree.reporter_a, "a-new-long-pass-2026", actor=orgtree.reporter_a)
    reply = client.get("/api/tasks/", HTTP_AUTHORIZATION=f"Token {key}")
    assert reply.status_code == 401
    record = AuditRecord.objects.filter(action="update", object_type="org.person").latest("id")
    assert record.changes["api_token"] == ["***", None]


def test_an_administrator_unlocks_a_log_in_with_an_audit_record(orgtree):
    client = Client()
    for _ in range(5):
        _web_login(client, "reporter_a", "wrong-password")
    assert _web_login(client, "reporter_a", PASSWORD).status_code == 429
    attempts = list(AccessAttempt.objects.all())
    with pytest.raises(OutOfScope):
        services.unlock_logins(attempts, actor=orgtree.supervisor)
    assert services.unlock_logins(attempts, actor=orgtree.admin) == 1
    assert _web_login(client, "reporter_a", PASSWORD).status_code == 302
    (record,) = AuditRecord.objects.filter(action="unlock_login")
    assert record.object_id == str(orgtree.reporter_a.pk)
    assert record.context["ip_address"] == "10.1.1.1" and record.changes["failures"] == [6, 0]


def test_logging_in_without_a_request_is_not_counted(orgtree):
    """The test client, a shell or a command authenticate without a request: nothing to lock."""
    assert Client().login(username="reporter_a", password=PASSWORD)
    assert not Client().login(username="reporter_a", password="wrong-password")
    assert not AccessAttempt.objects.exists()


def test_a_token_request_that_is_not_an_object_is_a_bad_request(db):
    """Found by schemathesis: a JSON list as the body answered 500."""
    reply = Client().post("/api/token/", "[1, 2]", content_type="application/json")
    assert reply.status_code == 400


def test_behind_a_proxy_failures_count_against_the_forwarded_address(orgtree, settings):
    from django.test import RequestFactory

    from luoshi.org.lockout import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    request.META["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 172.16.5.9"  # spoofed, then the proxy's
    assert client_ip(request) == "10.0.0.1"
    settings.LUOSHI_PROXY_HOPS = 1
    assert client_ip(request) == "172.16.5.9"
    client = Client()
    for _ in range(5):
        client.post(
            "/login/",
            {"username": "reporter_a", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="172.16.5.9",
        )

    def right_password_from(forwarded):
        return Client().post(
            "/login/",
            {"username": "reporter_a", "password": PASSWORD},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    assert right_password_from("172.16.5.9").status_code == 429
    # The same account from another desk behind the same proxy is not locked out by them.
    assert right_password_from("172.16.5.10").status_code == 302
