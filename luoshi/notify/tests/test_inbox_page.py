"""The inbox page: one's own messages only, unread first; marking read by POST with CSRF."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import URLPattern, reverse

from luoshi.notify import access, context_processors, services, urls
from luoshi.notify.models import Message


def _inbox(person, n, prefix="消息"):
    return [
        services.notify(
            person,
            subject=f"{prefix}{i}",
            body=f"正文{i}\n第二行",
            url=f"/tasks/{i}/",
            dedupe_key=f"{prefix}{i}",
        )[0]
        for i in range(n)
    ]


@pytest.fixture
def csrf_client(orgtree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(orgtree.reporter_a)
    return client


def _token(client):
    return client.get(reverse("notify:inbox")).cookies["csrftoken"].value


def test_every_inbox_url_is_tested():
    # A new URL fails here until it is added to this list and to a test below.
    names = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == {"inbox", "mark_read", "mark_all_read"}
    assert reverse("notify:inbox") == "/inbox/"


def test_anonymous_is_sent_to_log_in(client):
    for url in ["/inbox/", "/inbox/1/read/", "/inbox/read-all/"]:
        resp = client.post(url) if "read" in url else client.get(url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_the_inbox_shows_ones_own_messages_unread_first(orgtree, client):
    mine = _inbox(orgtree.reporter_a, 3)
    _inbox(orgtree.reporter_b, 1, prefix="乙局机密")
    services.mark_read(mine[2].pk, actor=orgtree.reporter_a)  # the newest, now read
    client.force_login(orgtree.reporter_a)
    resp = client.get("/inbox/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "乙局机密" not in html
    assert [m.subject for m in resp.context["page"]] == ["消息1", "消息0", "消息2"]
    assert resp.context["unread"] == 2
    assert "正文0<br>第二行" in html


def test_the_inbox_is_paginated(orgtree, client):
    _inbox(orgtree.reporter_a, 35)
    client.force_login(orgtree.reporter_a)
    assert len(client.get("/inbox/").context["page"]) == 30
    assert len(client.get("/inbox/?page=2").context["page"]) == 5


def test_the_inbox_query_count_does_not_grow_with_messages(
    orgtree, client, django_assert_num_queries
):
    client.force_login(orgtree.reporter_a)
    _inbox(orgtree.reporter_a, 2)
    # session, user, count, page, unread, roles (the menu shows supervisors their signals)
    with django_assert_num_queries(6):
        client.get("/inbox/")
    _inbox(orgtree.reporter_a, 30, prefix="更多")
    with django_assert_num_queries(6):
        client.get("/inbox/")


def test_mark_read_needs_post_and_csrf(orgtree, csrf_client):
    [msg] = _inbox(orgtree.reporter_a, 1)
    assert csrf_client.get(f"/inbox/{msg.pk}/read/").status_code == 405
    assert csrf_client.post(f"/inbox/{msg.pk}/read/").status_code == 403
    msg.refresh_from_db()
    assert msg.read_at is None
    resp = csrf_client.post(f"/inbox/{msg.pk}/read/", {"csrfmiddlewaretoken": _token(csrf_client)})
    assert resp.status_code == 302 and resp["Location"] == "/inbox/"
    msg.refresh_from_db()
    assert msg.read_at is not None
    assert access.unread_count(orgtree.reporter_a) == 0


def test_open_marks_read_and_follows_the_link(orgtree, csrf_client):
    [msg] = _inbox(orgtree.reporter_a, 1)
    resp = csrf_client.post(
        f"/inbox/{msg.pk}/read/", {"csrfmiddlewaretoken": _token(csrf_client), "next": msg.url}
    )
    assert resp.status_code == 302 and resp["Location"] == "/tasks/0/"


def test_open_never_leaves_the_site(orgtree, csrf_client):
    [msg] = _inbox(orgtree.reporter_a, 1)
    for target in ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]:
        resp = csrf_client.post(
            f"/inbox/{msg.pk}/read/", {"csrfmiddlewaretoken": _token(csrf_client), "next": target}
        )
        assert resp["Location"] == "/inbox/"


def test_someone_elses_message_is_not_found(orgtree, csrf_client):
    [theirs] = _inbox(orgtree.reporter_b, 1)
    resp = csrf_client.post(
        f"/inbox/{theirs.pk}/read/", {"csrfmiddlewaretoken": _token(csrf_client)}
    )
    assert resp.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_non_inbox_messages_are_not_in_the_inbox(orgtree, client):
    services.notify(
        orgtree.reporter_a, subject="邮件", body="", channels=("email",), dedupe_key="e"
    )
    client.force_login(orgtree.reporter_a)
    assert "邮件" not in client.get("/inbox/").content.decode()
    email = Message.objects.get(channel="email")
    with pytest.raises(Message.DoesNotExist):
        services.mark_read(email.pk, actor=orgtree.reporter_a)


def test_mark_all_read(orgtree, csrf_client):
    _inbox(orgtree.reporter_a, 3)
    [theirs] = _inbox(orgtree.reporter_b, 1, prefix="乙")
    resp = csrf_client.post("/inbox/read-all/", {"csrfmiddlewaretoken": _token(csrf_client)})
    assert resp.status_code == 302
    assert access.unread_count(orgtree.reporter_a) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "/inbox/read-all/" not in csrf_client.get("/inbox/").content.decode()


def test_reading_again_keeps_the_first_read_time(orgtree):
    [msg] = _inbox(orgtree.reporter_a, 1)
    first = services.mark_read(msg.pk, actor=orgtree.reporter_a).read_at
    Message.objects.filter(pk=msg.pk).update(read_at=first - dt.timedelta(hours=1))
    again = services.mark_read(msg.pk, actor=orgtree.reporter_a).read_at
    assert again == first - dt.timedelta(hours=1)


def test_the_unread_badge(orgtree, django_assert_num_queries):
    _inbox(orgtree.reporter_a, 2)
    request = RequestFactory().get("/")
    request.user = orgtree.reporter_a
    with django_assert_num_queries(0):
        ctx = context_processors.inbox(request)  # lazy: no query until shown
    html = render_to_string("notify/_nav_item.html", ctx)
    assert "/inbox/" in html and ">2<" in html
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert context_processors.inbox(request) == {}
    assert access.unread_count(AnonymousUser()) == 0


def test_message_text_is_escaped(orgtree, client):
    services.notify(
        orgtree.reporter_a,
        subject="<b>粗</b>",
        body="<script>alert(1)</script>",
        url='/x/" onclick="alert(1)',
        dedupe_key="xss",
    )
    client.force_login(orgtree.reporter_a)
    html = client.get("/inbox/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>粗</b>" not in html and '" onclick="' not in html
