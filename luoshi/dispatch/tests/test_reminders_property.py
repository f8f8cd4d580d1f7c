"""Property: for random schedules, clocks and worker runs (repeated, interrupted part-way,
delivery interleaved), every reminder is queued and e-mailed exactly once, and the latest due
stage of every open slot reaches its owner."""

import contextlib
import datetime as dt
from collections import Counter
from unittest import mock

from django.core import mail
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.dispatch import reminders, rules, services
from luoshi.dispatch.models import Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.notify.models import Message
from luoshi.notify.services import deliver_due

runs = st.lists(
    # hours since the previous run, job repeats, interrupted after n notifications (0: not),
    # deliver the queue afterwards
    st.tuples(st.integers(1, 24 * 6), st.integers(1, 3), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=8,
)


class Interrupted(Exception):
    pass


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.integers(1, 28), runs=runs, start_day=st.integers(0, 300))
def test_every_reminder_exactly_once(orgtree, settings, day, runs, start_day):
    settings.LUOSHI_REMINDER_CHANNELS = ("inbox", "email")
    settings.LUOSHI_NOTIFY_DIGEST = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    with transaction.atomic():
        orgtree.reporter_a.email = "reporter@example.gov.cn"
        orgtree.reporter_a.save(update_fields=["email"])
        clock = timezone.make_aware(dt.datetime(2026, 1, 1, 9)) + dt.timedelta(days=start_day)
        plan = ledger.create_plan(
            actor=system_actor(), name="提醒性质", year=2026, owner_unit=orgtree.office
        )
        ledger.create_task(
            plan,
            actor=system_actor(),
            title="任务",
            responsible_units=[orgtree.a1],
            owner=orgtree.reporter_a,
        )
        ledger.deploy_plan(plan, actor=system_actor())
        type(plan).objects.filter(pk=plan.pk).update(deployed_at=clock)
        Schedule.objects.create(plan=plan, kind="monthly", day=day)

        real_notify = reminders.notify
        for hours, repeats, interrupt_after, deliver in runs:
            clock += dt.timedelta(hours=hours)
            services.open_due_cycles(clock)
            for i in range(repeats):
                if interrupt_after and i == 0:
                    calls = {"n": 0}

                    def flaky(*a, calls=calls, limit=interrupt_after, **kw):
                        calls["n"] += 1
                        if calls["n"] > limit:
                            raise Interrupted  # the worker dies mid-run
                        return real_notify(*a, **kw)

                    with (
                        mock.patch.object(reminders, "notify", flaky),
                        contextlib.suppress(Interrupted),
                    ):
                        reminders.send_reminders(clock)
                else:
                    reminders.send_reminders(clock)
            if deliver:
                # notify() stamps messages with the real clock: deliver by it too.
                deliver_due()
                deliver_due()
        reminders.send_reminders(clock)
        deliver_due()

        keys = list(Message.objects.values_list("dedupe_key", flat=True))
        assert len(keys) == len(set(keys))
        # Each e-mail message went out once: as many mails as sent messages, none repeated.
        emailed = Message.objects.filter(channel="email", status="sent")
        assert len(mail.outbox) == emailed.count()
        sent = Counter((tuple(m.to), m.subject) for m in mail.outbox)
        assert max(sent.values(), default=1) == 1
        assert Message.objects.filter(channel="email", status="pending").count() == 0
        cal = current_calendar()
        for slot in Slot.objects.filter(status="pending", cycle__status="open"):
            times = rules.reminder_times(timezone.localtime(slot.due_at), cal.add_working_days)
            passed = [n for n, t in sorted(times.items(), key=lambda kv: kv[1]) if t <= clock]
            if passed:
                key = f"reminder:slot:{slot.pk}:{passed[-1]}:{orgtree.reporter_a.pk}:inbox"
                assert Message.objects.filter(dedupe_key=key).exists(), key
        transaction.set_rollback(True)
