"""A failed send is retried after 1, 2, 4, 8, 16 minutes, gives up after six attempts, and
every attempt leaves a Delivery row with its outcome."""

import datetime as dt
import socket

import pytest
from django.utils import timezone

from luoshi.notify import services
from luoshi.notify.models import Message, Status, WebhookEndpoint

M = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def _queue(person, endpoint, key="retry"):
    [msg] = services.notify(
        person, subject="提醒", body="", channels=("webhook",), webhook=endpoint, dedupe_key=key
    )
    return msg


def test_retried_after_a_500_and_after_errcode(orgtree, robot, make_endpoint):
    msg = _queue(orgtree.reporter_a, make_endpoint("dingtalk"))
    robot.reply(500, {"error": "internal"})
    robot.reply(200, {"errcode": 130101, "errmsg": "send too fast"})
    t0 = timezone.now()

    assert services.deliver_due(now=t0)["retrying"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.PENDING and msg.attempts == 1 and "HTTP 500" in msg.last_error
    assert M <= msg.next_attempt_at - t0 < M + dt.timedelta(seconds=5)

    # Not before its time.
    assert services.deliver_due(now=t0 + dt.timedelta(seconds=30))["sent"] == 0
    assert len(robot.requests) == 1

    t1 = t0 + 2 * M
    assert services.deliver_due(now=t1)["retrying"] == 1
    msg.refresh_from_db()
    assert msg.attempts == 2 and "130101" in msg.last_error
    assert 2 * M <= msg.next_attempt_at - t1 < 2 * M + dt.timedelta(seconds=5)

    assert services.deliver_due(now=t1 + 3 * M)["sent"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.SENT and msg.attempts == 3 and msg.last_error == ""

    log = list(msg.deliveries.order_by("attempt").values_list("attempt", "outcome", "status_code"))
    assert log == [(1, "error", 500), (2, "error", 200), (3, "ok", 200)]
    assert all(d.duration_ms >= 0 and d.at for d in msg.deliveries.all())
    assert len(robot.requests) == 3


def test_gives_up_after_six_attempts(orgtree, robot, make_endpoint):
    msg = _queue(orgtree.reporter_a, make_endpoint("wecom"))
    for _ in range(10):
        robot.reply(503, {"error": "down"})
    now = timezone.now()
    delays = []
    for _ in range(6):
        services.deliver_due(now=now)
        msg.refresh_from_db()
        if msg.status == Status.PENDING:
            delays.append(round((msg.next_attempt_at - now) / M))
            now = msg.next_attempt_at
    assert delays == [1, 2, 4, 8, 16]
    assert msg.status == Status.FAILED and msg.attempts == 6
    assert msg.deliveries.count() == 6 and len(robot.requests) == 6
    # A failed message stays failed.
    assert services.deliver_due(now=now + dt.timedelta(days=1))["sent"] == 0
    assert len(robot.requests) == 6


def test_connection_refused_is_retried(orgtree, settings):
    # A port nobody listens on: bind, note the port, close.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = WebhookEndpoint.objects.create(
        name="down", kind="wecom", url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k"
    )
    msg = _queue(orgtree.reporter_a, endpoint)
    assert services.deliver_due()["retrying"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.PENDING and "cannot connect" in msg.last_error
    attempt = msg.deliveries.get()
    assert attempt.outcome == "error" and attempt.status_code is None


def test_a_switched_off_robot_fails_without_retries(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    msg = _queue(orgtree.reporter_a, endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert services.deliver_due()["failed"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.FAILED and "switched off" in msg.last_error
    assert robot.requests == []


def test_an_unexpected_error_fails_one_message_not_the_run(
    orgtree, robot, make_endpoint, monkeypatch
):
    endpoint = make_endpoint("wecom")
    first = _queue(orgtree.reporter_a, endpoint, key="a")
    second = _queue(orgtree.reporter_a, endpoint, key="b")
    from luoshi.notify import channels

    real = channels.deliver

    def broken_for_first(message):
        if message.pk == first.pk:
            raise KeyError("bug")
        return real(message)

    monkeypatch.setattr(channels, "deliver", broken_for_first)
    stats = services.deliver_due()
    assert stats["retrying"] == 1 and stats["sent"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert "KeyError" in first.last_error and second.status == Status.SENT


def test_a_robot_that_does_not_answer_holds_up_only_itself(orgtree, robot, make_endpoint):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = WebhookEndpoint.objects.create(
        name="down", kind="wecom", url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k"
    )
    up = make_endpoint("wecom")
    for i in range(3):
        _queue(orgtree.reporter_a, down, key=f"down{i}")
    _queue(orgtree.reporter_a, up, key="up")
    stats = services.deliver_due()
    # One attempt at the dead robot; its other two wait for the next pass, still due.
    assert stats["retrying"] == 1 and stats["deferred"] == 2 and stats["sent"] == 1
    assert Message.objects.filter(webhook=down, attempts=0, status=Status.PENDING).count() == 2
