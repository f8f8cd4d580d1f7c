"""notify(): one message per channel, never twice for one key, nothing when the caller's
change rolls back."""

import pytest
from django.db import transaction

from luoshi.notify import access, services
from luoshi.notify.models import Channel, Message, Status, WebhookEndpoint


def _notify(person, key="reminder:slot:123:before", **kw):
    kw.setdefault("subject", "节点将至")
    kw.setdefault("body", "")
    return services.notify(person, dedupe_key=key, **kw)


def test_notifying_twice_creates_one_message(orgtree):
    first = _notify(orgtree.reporter_a)
    again = _notify(orgtree.reporter_a)
    assert [m.pk for m in first] == [m.pk for m in again]
    assert Message.objects.count() == 1
    assert first[0].dedupe_key == "reminder:slot:123:before:inbox"


def test_a_key_gives_one_message_per_channel(orgtree):
    msgs = _notify(orgtree.reporter_a, channels=("inbox", "email"))
    assert [m.channel for m in msgs] == ["inbox", "email"]
    assert {m.dedupe_key for m in msgs} == {
        "reminder:slot:123:before:inbox",
        "reminder:slot:123:before:email",
    }
    # Adding a channel later adds only that message.
    more = _notify(orgtree.reporter_a, channels=("inbox", "email", "email"))
    assert [m.pk for m in more] == [m.pk for m in msgs] and Message.objects.count() == 2


def test_a_repeated_call_costs_one_query(orgtree, django_assert_num_queries):
    _notify(orgtree.reporter_a, channels=("inbox", "email"))
    with django_assert_num_queries(1):
        _notify(orgtree.reporter_a, channels=("inbox", "email"))


def test_a_rolled_back_change_notifies_nobody(orgtree):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(orgtree.reporter_a)
        raise RuntimeError("the caller's change failed")
    assert not Message.objects.exists()


def test_inbox_messages_are_delivered_at_once(orgtree):
    [msg] = _notify(orgtree.reporter_a, url="/tasks/1/")
    assert msg.status == Status.SENT and msg.sent_at and msg.read_at is None
    assert access.unread_count(orgtree.reporter_a) == 1


def test_the_subject_is_one_bounded_line(orgtree):
    [msg] = _notify(orgtree.reporter_a, subject="第一行\n第二行\t " + "长" * 300)
    assert "\n" not in msg.subject and len(msg.subject) == 200 and msg.subject.endswith("…")


def test_deactivated_people_are_not_notified(orgtree):
    orgtree.reporter_a.is_active = False
    orgtree.reporter_a.save()
    assert _notify(orgtree.reporter_a) == []


def test_the_robot_of_the_nearest_unit_is_chosen(orgtree):
    city = WebhookEndpoint.objects.create(
        name="市", kind="wecom", url="https://x.test/a", unit=orgtree.city
    )
    bureau = WebhookEndpoint.objects.create(
        name="甲局", kind="wecom", url="https://x.test/b", unit=orgtree.a
    )
    WebhookEndpoint.objects.create(
        name="甲局旧", kind="wecom", url="https://x.test/c", unit=orgtree.a1, is_active=False
    )
    assert services.robot_for(orgtree.reporter_a) == bureau  # A1 has only a switched-off one
    assert services.robot_for(orgtree.reporter_b) == city
    orgtree.admin.unit = None
    assert services.robot_for(orgtree.admin) is None


def test_without_a_robot_the_webhook_channel_is_skipped(orgtree):
    msgs = _notify(orgtree.reporter_a, channels=("inbox", "webhook"))
    assert [m.channel for m in msgs] == [Channel.INBOX]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": ""},
        {"channels": ("inbox", "sms")},
        {"webhook": "robot"},  # given, but "webhook" is not a channel
        {"key": "k" * 250},
    ],
)
def test_mistakes_are_loud(orgtree, kwargs):
    if kwargs.get("webhook") == "robot":
        kwargs["webhook"] = WebhookEndpoint.objects.create(
            name="r", kind="wecom", url="https://x.test/"
        )
    with pytest.raises(ValueError):
        _notify(orgtree.reporter_a, **kwargs)
    assert not Message.objects.exists()


def test_a_single_channel_string_is_one_channel(orgtree):
    [msg] = _notify(orgtree.reporter_a, channels="email")
    assert msg.channel == "email"
