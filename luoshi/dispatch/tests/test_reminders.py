"""Reminders before the due time, at it and after it, to the owner and the unit admins; each
once, however often the job runs."""

import datetime as dt

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.dispatch import services
from luoshi.dispatch.models import Schedule, Slot
from luoshi.dispatch.reminders import send_reminders
from luoshi.ledger import services as ledger
from luoshi.notify.models import Message


def at(y, m, d, h=10):
    return timezone.make_aware(dt.datetime(y, m, d, h, 0))


@pytest.fixture
def slot(orgtree):
    plan = ledger.create_plan(
        actor=system_actor(), name="提醒计划", year=2026, owner_unit=orgtree.office
    )
    ledger.create_task(
        plan,
        actor=system_actor(),
        title="提醒任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
    )
    ledger.deploy_plan(plan, actor=system_actor())
    type(plan).objects.filter(pk=plan.pk).update(deployed_at=at(2026, 9, 1))
    Schedule.objects.create(plan=plan, kind="monthly", day=9)  # due Friday 9 Oct 2026, 17:00
    services.open_due_cycles(at(2026, 9, 15))
    return Slot.objects.get(due_at=at(2026, 10, 9, 17))


def _stages(person):
    return sorted(
        m.dedupe_key.split(":")[3]
        for m in Message.objects.filter(recipient=person, channel="inbox")
    )


def test_before_at_and_after_once_each(orgtree, slot):
    # Two working days before Friday 9 Oct is Wednesday 30 Sep (the holiday is skipped).
    assert send_reminders(at(2026, 9, 30, 16)) == 0
    assert send_reminders(at(2026, 9, 30, 17)) == 2  # the owner and the unit admin of 甲局
    assert send_reminders(at(2026, 10, 5, 9)) == 0  # run again during the holiday: nothing
    assert _stages(orgtree.reporter_a) == ["before"]
    assert _stages(orgtree.unitadmin_a) == ["before"]
    send_reminders(
        at(
            2026,
            10,
            9,
            17,
        )
    )
    send_reminders(at(2026, 10, 9, 18))
    # After: one working day later is the make-up Saturday, 10 Oct.
    send_reminders(at(2026, 10, 10, 17))
    send_reminders(at(2026, 10, 10, 17))
    assert _stages(orgtree.reporter_a) == ["after1", "before", "due"]
    assert Message.objects.filter(recipient=orgtree.reporter_b).count() == 0
    msg = Message.objects.get(
        recipient=orgtree.reporter_a, dedupe_key__contains=":due:", channel="inbox"
    )
    assert "提醒任务" in msg.subject and msg.url == f"/reports/slots/{slot.pk}/"


def test_a_submitted_slot_is_not_reminded(orgtree, slot):
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.submit_report(
        report,
        actor=orgtree.reporter_a,
        version=report.version,
        now=at(2026, 9, 29),
        progress="已报",
    )
    assert send_reminders(at(2026, 10, 9, 17)) == 0


def test_a_late_worker_sends_only_the_latest_stage(orgtree, slot):
    # The worker was down until after the due time: no stale "due in two days" message.
    send_reminders(at(2026, 10, 9, 18))
    assert _stages(orgtree.reporter_a) == ["due"]


def test_reminder_emails_go_out_once_even_when_delivery_runs_twice(orgtree, slot, settings):
    from django.core import mail

    from luoshi.notify.services import deliver_due

    settings.LUOSHI_REMINDER_CHANNELS = ("inbox", "email")
    settings.LUOSHI_NOTIFY_DIGEST = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    orgtree.reporter_a.email = "reporter@example.gov.cn"
    orgtree.reporter_a.save(update_fields=["email"])
    send_reminders(at(2026, 10, 9, 17))
    send_reminders(at(2026, 10, 9, 17))
    # notify() stamps messages with the real clock, so deliver by the real clock too.
    deliver_due()
    deliver_due()
    assert [m.to for m in mail.outbox] == [["reporter@example.gov.cn"]]
    assert "提醒任务" in mail.outbox[0].subject


def test_no_email_is_queued_for_someone_without_an_address(orgtree, slot, settings):
    """Only the channels that can reach a person: a reporter without an e-mail address gets
    the inbox message and no e-mail that could only fail."""
    settings.LUOSHI_REMINDER_CHANNELS = ("inbox", "email")
    orgtree.reporter_a.email = ""
    orgtree.reporter_a.save(update_fields=["email"])
    send_reminders(at(2026, 10, 9, 17))
    channels = set(
        Message.objects.filter(recipient=orgtree.reporter_a).values_list("channel", flat=True)
    )
    assert channels == {"inbox"}
