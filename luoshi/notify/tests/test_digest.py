"""Non-urgent messages to one person on one channel wait for the daily digest and go out as
one; urgent ones go at once."""

import datetime as dt

import pytest

from luoshi.notify import services
from luoshi.notify.models import Message, Status


@pytest.fixture
def person(orgtree):
    p = orgtree.reporter_a
    p.email = "jia@example.gov.cn"
    p.save()
    return p


def _remind(person, i, **kw):
    kw.setdefault("channels", ("email",))
    [msg] = services.notify(
        person,
        subject=f"提醒{i}",
        body=f"正文{i}",
        url=f"/tasks/{i}/",
        dedupe_key=f"d{i}",
        **kw,
    )
    return msg


def test_three_non_urgent_make_one_digest_and_urgent_goes_alone(person, mailoutbox):
    held = [_remind(person, i) for i in range(3)]
    urgent = _remind(person, 9, urgent=True)
    assert all(m.digestible for m in held) and not urgent.digestible

    stats = services.deliver_due()
    assert stats["sent"] == 1 and stats["digests"] == 0
    assert len(mailoutbox) == 1 and "提醒9" in mailoutbox[0].subject
    assert mailoutbox[0].to == ["jia@example.gov.cn"]

    slot = held[0].next_attempt_at
    assert {m.next_attempt_at for m in held} == {slot}
    stats = services.deliver_due(now=slot)
    assert stats["digests"] == 1 and stats["digested"] == 3 and stats["sent"] == 1
    assert len(mailoutbox) == 2
    mail = mailoutbox[1]
    assert "3" in mail.subject
    for i in range(3):
        assert f"提醒{i}" in mail.body and f"正文{i}" in mail.body
        assert f"https://luoshi.example.gov.cn/tasks/{i}/" in mail.body

    digest = Message.objects.get(is_digest=True)
    assert digest.status == Status.SENT and digest.deliveries.get().outcome == "ok"
    for m in held:
        m.refresh_from_db()
        assert m.status == Status.DIGESTED and m.digest == digest and m.sent_at == digest.sent_at

    assert services.deliver_due(now=slot + dt.timedelta(hours=1))["sent"] == 0
    assert len(mailoutbox) == 2


def test_a_lone_non_urgent_message_goes_as_itself(person, mailoutbox):
    msg = _remind(person, 1)
    services.deliver_due(now=msg.next_attempt_at)
    assert len(mailoutbox) == 1 and mailoutbox[0].subject == "提醒1"
    assert not Message.objects.filter(is_digest=True).exists()


def test_digests_are_per_person(person, orgtree, mailoutbox):
    other = orgtree.reporter_b
    other.email = "yi@example.gov.cn"
    other.save()
    for i in range(2):
        _remind(person, i)
        services.notify(other, subject=f"乙{i}", body="", channels=("email",), dedupe_key=f"b{i}")
    slot = Message.objects.first().next_attempt_at
    stats = services.deliver_due(now=slot)
    assert stats["digests"] == 2 and stats["sent"] == 2
    by_address = {m.to[0]: m.body for m in mailoutbox}
    assert (
        "提醒0" in by_address["jia@example.gov.cn"]
        and "乙0" not in by_address["jia@example.gov.cn"]
    )
    assert "乙1" in by_address["yi@example.gov.cn"]


def test_robot_messages_are_digested_too(person, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    held = [_remind(person, i, channels=("webhook",), webhook=endpoint) for i in range(3)]
    services.deliver_due(now=held[0].next_attempt_at)
    [req] = robot.requests
    assert all(f"提醒{i}" in req.body["markdown"]["content"] for i in range(3))


def test_the_setting_turns_digests_off(person, mailoutbox, settings):
    settings.LUOSHI_NOTIFY_DIGEST = False
    for i in range(3):
        _remind(person, i)
    assert services.deliver_due()["sent"] == 3 and len(mailoutbox) == 3


def test_a_person_may_turn_digests_off_per_channel(person, mailoutbox):
    services.set_preference(person, actor=person, email_digest=False)
    for i in range(3):
        assert not _remind(person, i).digestible
    assert services.deliver_due()["sent"] == 3


def test_the_digest_time_is_the_persons(person):
    services.set_preference(person, actor=person, digest_time=dt.time(14, 0))
    msg = _remind(person, 1)
    local = msg.next_attempt_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.time() == dt.time(14, 0)


def test_the_inbox_is_never_held(person):
    msg = _remind(person, 1, channels=("inbox",))
    assert msg.status == Status.SENT and not msg.digestible and msg.sent_at


def test_two_workers_building_the_same_digest_make_one(person, mailoutbox):
    held = [_remind(person, i) for i in range(3)]
    slot = held[0].next_attempt_at
    first, second = dict.fromkeys(services.OUTCOMES, 0), dict.fromkeys(services.OUTCOMES, 0)
    services._build_digests(slot, first)
    services._build_digests(slot, second)
    assert first["digests"] == 1 and second["digests"] == 0
    assert Message.objects.filter(is_digest=True).count() == 1
    services.deliver_due(now=slot)
    assert len(mailoutbox) == 1


def test_a_worker_with_a_stale_view_of_the_group_backs_off(person, mailoutbox):
    """Both workers listed the same three messages; the second one's digest collides on the
    first part's key and creates nothing."""
    held = [_remind(person, i) for i in range(3)]
    ids, slot = [m.pk for m in held], held[0].next_attempt_at
    assert services._make_digest(person.pk, "email", None, ids, slot) == 3
    assert services._make_digest(person.pk, "email", None, ids, slot) == 0
    assert Message.objects.filter(is_digest=True).count() == 1


def test_a_digest_takes_only_the_parts_still_pending(person, mailoutbox):
    held = [_remind(person, i) for i in range(3)]
    Message.objects.filter(pk=held[0].pk).update(status=Status.SENDING)  # another worker's
    ids, slot = [m.pk for m in held], held[0].next_attempt_at
    assert services._make_digest(person.pk, "email", None, ids, slot) == 2
    digest = Message.objects.get(is_digest=True)
    assert "提醒0" not in digest.body and "提醒1" in digest.body and "提醒2" in digest.body
