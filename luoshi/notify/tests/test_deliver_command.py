"""The worker runs as `luoshi notify_deliver` (its own process, no broker)."""

import io

from django.core.management import call_command

from luoshi.notify import services
from luoshi.notify.models import Status


def test_one_pass_sends_what_is_due(orgtree, mailoutbox, settings):
    settings.LUOSHI_NOTIFY_DIGEST = False
    orgtree.reporter_a.email = "jia@example.gov.cn"
    orgtree.reporter_a.save()
    [msg] = services.notify(
        orgtree.reporter_a, subject="节点将至", body="", channels=("email",), dedupe_key="cmd"
    )
    out = io.StringIO()
    call_command("notify_deliver", stdout=out)
    assert "sent=1" in out.getvalue() and len(mailoutbox) == 1
    msg.refresh_from_db()
    assert msg.status == Status.SENT
    out = io.StringIO()
    call_command("notify_deliver", stdout=out)
    assert out.getvalue() == "" and len(mailoutbox) == 1


def test_the_scheduled_job_runs_a_bounded_pass(orgtree, settings, monkeypatch):
    from django.utils.module_loading import import_string

    from luoshi.notify import jobs

    settings.LUOSHI_NOTIFY_DIGEST = False
    job = import_string("luoshi.notify.jobs.deliver")  # the path LUOSHI_JOBS names
    for i in range(3):
        services.notify(
            orgtree.reporter_a, subject=f"x{i}", body="", channels=("email",), dedupe_key=f"j{i}"
        )
    monkeypatch.setattr(jobs, "PASS_SECONDS", -1)  # out of time before the first message
    assert job()["failed"] == 0
    assert services.deliver_due(max_seconds=-1)["failed"] == 0
    monkeypatch.setattr(jobs, "PASS_SECONDS", 180)
    assert job()["failed"] == 3  # reporter_a has no e-mail address
