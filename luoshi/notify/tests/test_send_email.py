"""E-mail goes through Django's send_mail to the person's address; no address, no retries."""

import logging

import pytest

from luoshi.notify import services
from luoshi.notify.models import Status


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def test_email_reaches_the_persons_address(orgtree, mailoutbox):
    person = orgtree.reporter_a
    person.email = "jia@example.gov.cn"
    person.save()
    [msg] = services.notify(
        person,
        subject="节点将至",
        body="请于6月30日前完成。",
        url="/tasks/5/",
        channels=("email",),
        urgent=True,
        dedupe_key="mail",
    )
    assert services.deliver_due()["sent"] == 1
    [mail] = mailoutbox
    assert mail.to == ["jia@example.gov.cn"]
    assert mail.subject.endswith("节点将至") and mail.subject != "节点将至"  # urgent marker
    assert "请于6月30日前完成。" in mail.body
    assert "https://luoshi.example.gov.cn/tasks/5/" in mail.body
    msg.refresh_from_db()
    assert msg.status == Status.SENT and msg.deliveries.get().outcome == "ok"


def test_no_address_fails_once_with_a_logged_error(orgtree, mailoutbox, caplog):
    [msg] = services.notify(
        orgtree.reporter_b, subject="节点将至", body="", channels=("email",), dedupe_key="nomail"
    )
    with caplog.at_level(logging.ERROR, logger="luoshi.notify"):
        stats = services.deliver_due()
    assert stats["failed"] == 1 and mailoutbox == []
    msg.refresh_from_db()
    assert msg.status == Status.FAILED and msg.attempts == 1 and "e-mail address" in msg.last_error
    assert msg.deliveries.get().outcome == "error"
    assert any("no e-mail address" in r.getMessage() for r in caplog.records)


def test_a_mail_server_error_is_retried(orgtree, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    orgtree.reporter_a.email = "jia@example.gov.cn"
    orgtree.reporter_a.save()
    [msg] = services.notify(
        orgtree.reporter_a, subject="x", body="", channels=("email",), dedupe_key="smtp"
    )
    assert services.deliver_due()["retrying"] == 1
    msg.refresh_from_db()
    assert msg.status == Status.PENDING and "e-mail not sent" in msg.last_error
