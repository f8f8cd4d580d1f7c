"""Two workers at once never send one message twice; a dead worker's message is sent again
once its lease expires."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from luoshi.notify import channels, rules, services
from luoshi.notify.models import Delivery, Message, Status


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def _queue(person, endpoint, n):
    return [
        services.notify(
            person,
            subject=f"消息{i}",
            body="",
            channels=("webhook",),
            webhook=endpoint,
            dedupe_key=f"c{i}",
        )[0]
        for i in range(n)
    ]


def _subjects(robot):
    return sorted(r.body["markdown"]["content"] for r in robot.requests)


def test_a_second_claim_of_the_same_message_fails(orgtree, robot, make_endpoint, monkeypatch):
    """Worker B listed the message as due just before worker A claimed it; while A is sending,
    B's claim must fail."""
    [msg] = _queue(orgtree.reporter_a, make_endpoint("wecom"), 1)
    real = channels.deliver
    second_worker = []

    def deliver_while_b_tries(message):
        second_worker.append(services._process(message.pk, services._clock(None)))
        second_worker.append(services.deliver_due())
        return real(message)

    monkeypatch.setattr(channels, "deliver", deliver_while_b_tries)
    assert services.deliver_due()["sent"] == 1
    assert second_worker[0] == "skipped"
    assert second_worker[1]["sent"] == 0
    assert len(robot.requests) == 1
    msg.refresh_from_db()
    assert msg.status == Status.SENT and msg.attempts == 1 and msg.deliveries.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_threads_send_each_message_once(orgtree, robot, make_endpoint):
    """Worker A (a thread with its own connection) is held inside its first HTTP request while
    worker B runs a whole pass; B must skip A's message and send the other."""
    endpoint = make_endpoint("wecom")
    _queue(orgtree.reporter_a, endpoint, 2)
    a_sending, b_done = threading.Event(), threading.Event()
    first = []

    def hold_the_first_request(req):
        if not first:
            first.append(req)
            a_sending.set()
            b_done.wait(timeout=5)

    robot.on_request = hold_the_first_request
    results = {}

    def worker_a():
        try:
            results["a"] = services.deliver_due()
        finally:
            connection.close()

    thread = threading.Thread(target=worker_a)
    thread.start()
    assert a_sending.wait(timeout=5)
    results["b"] = services.deliver_due()
    b_done.set()
    thread.join(timeout=15)

    assert results["a"]["sent"] == 1 and results["b"]["sent"] == 1
    assert len(robot.requests) == 2 and _subjects(robot) == ["**消息0**", "**消息1**"]
    assert set(Message.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    assert Delivery.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_workers_racing_freely_send_each_message_once(orgtree, robot, make_endpoint):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("shared-cache in-memory SQLite locks tables instead of waiting")
    endpoint = make_endpoint("wecom", rate_per_minute=1000)
    _queue(orgtree.reporter_a, endpoint, 30)
    start = threading.Barrier(3)
    results = []

    def worker():
        try:
            start.wait()
            results.append(services.deliver_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r["sent"] for r in results) == 30
    assert len(robot.requests) == 30 and len(set(_subjects(robot))) == 30
    assert Delivery.objects.count() == 30


def test_an_expired_lease_is_sent_again(orgtree, robot, make_endpoint):
    [msg] = _queue(orgtree.reporter_a, make_endpoint("wecom"), 1)
    now = timezone.now()
    # A worker claimed it and died: status sending, lease run out.
    Message.objects.filter(pk=msg.pk).update(
        status=Status.SENDING, attempts=1, lease_until=now - dt.timedelta(seconds=1)
    )
    stats = services.deliver_due(now=now)
    assert stats["sent"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.SENT and msg.attempts == 2
    log = list(msg.deliveries.order_by("attempt").values_list("attempt", "outcome", "error"))
    assert log == [(1, "error", services.LOST), (2, "ok", "")]


def test_a_live_lease_is_left_alone(orgtree, robot, make_endpoint):
    [msg] = _queue(orgtree.reporter_a, make_endpoint("wecom"), 1)
    now = timezone.now()
    Message.objects.filter(pk=msg.pk).update(
        status=Status.SENDING, attempts=1, lease_until=now + rules.LEASE
    )
    assert services.deliver_due(now=now)["sent"] == 0
    assert robot.requests == []
    assert services.deliver_due(now=now + rules.LEASE + dt.timedelta(seconds=1))["sent"] == 1


def test_an_expired_lease_on_the_last_attempt_fails(orgtree, robot, make_endpoint):
    [msg] = _queue(orgtree.reporter_a, make_endpoint("wecom"), 1)
    now = timezone.now()
    Message.objects.filter(pk=msg.pk).update(
        status=Status.SENDING, attempts=rules.MAX_ATTEMPTS, lease_until=now - rules.LEASE
    )
    assert services.deliver_due(now=now)["failed"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.FAILED and robot.requests == []
