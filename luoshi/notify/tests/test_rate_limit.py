"""A robot gets at most its rate a minute (DingTalk blocks a robot for ten minutes past 20);
the rest wait for the window to move."""

import datetime as dt

import pytest
from django.utils import timezone

from luoshi.notify import services
from luoshi.notify.models import Delivery, Message, Status

S = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def _queue(person, endpoint, n, prefix="r"):
    for i in range(n):
        services.notify(
            person,
            subject=f"提醒{i}",
            body="",
            channels=("webhook",),
            webhook=endpoint,
            dedupe_key=f"{prefix}{i}",
        )


def test_25_to_dingtalk_20_now_5_a_minute_later(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("dingtalk", secret="SECrate")
    _queue(orgtree.reporter_a, endpoint, 25)
    t0 = timezone.now()

    stats = services.deliver_due(now=t0)
    assert stats["sent"] == 20 and stats["deferred"] == 5
    assert len(robot.requests) == 20 and all(r.sign_ok for r in robot.requests)
    waiting = Message.objects.filter(status=Status.PENDING)
    assert waiting.count() == 5
    first_attempt = Delivery.objects.order_by("at").first().at
    assert {m.next_attempt_at for m in waiting} == {first_attempt + 60 * S}

    # Half a minute on: still the same window, nothing more goes out.
    assert services.deliver_due(now=t0 + 30 * S)["sent"] == 0
    assert len(robot.requests) == 20

    stats = services.deliver_due(now=t0 + 61 * S)
    assert stats["sent"] == 5 and len(robot.requests) == 25
    assert not Message.objects.exclude(status=Status.SENT).exists()
    # Deferral is not an attempt: every message went out on its first.
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


def test_each_robot_has_its_own_window(orgtree, robot, make_endpoint):
    busy = make_endpoint("wecom", rate_per_minute=3)
    other = make_endpoint("wecom", rate_per_minute=3)
    _queue(orgtree.reporter_a, busy, 5, prefix="busy")
    _queue(orgtree.reporter_a, other, 2, prefix="other")
    stats = services.deliver_due()
    assert stats["sent"] == 5 and stats["deferred"] == 2
    assert Delivery.objects.filter(endpoint=busy).count() == 3
    assert Delivery.objects.filter(endpoint=other).count() == 2


def test_failed_attempts_count_against_the_window(orgtree, robot, make_endpoint):
    # The platform counts requests, accepted or not.
    endpoint = make_endpoint("wecom", rate_per_minute=2)
    robot.reply(500)
    robot.reply(500)
    _queue(orgtree.reporter_a, endpoint, 3)
    stats = services.deliver_due()
    assert stats["retrying"] == 2 and stats["deferred"] == 1 and len(robot.requests) == 2


def test_urgent_messages_go_first(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom", rate_per_minute=1)
    _queue(orgtree.reporter_a, endpoint, 2)
    [urgent] = services.notify(
        orgtree.reporter_a,
        subject="紧急",
        body="",
        channels=("webhook",),
        webhook=endpoint,
        urgent=True,
        dedupe_key="u",
    )
    services.deliver_due()
    urgent.refresh_from_db()
    assert urgent.status == Status.SENT and len(robot.requests) == 1
