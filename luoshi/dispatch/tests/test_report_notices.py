"""Notices both ways: a submitted report tells its reviewer (once per submission, in the inbox
at once and by e-mail in the daily digest when many wait), and a reviewed one tells its owner.
Written in the submit's and the review's own transaction: a refused change tells nobody."""

import pytest

from luoshi.core.actors import system_actor
from luoshi.core.errors import RuleViolation
from luoshi.dispatch import services
from luoshi.dispatch.models import Slot
from luoshi.ledger import services as ledger
from luoshi.notify import services as notify
from luoshi.notify.models import Channel, Message, Preference, Status


def _plan(orgtree, name="通知计划"):
    return ledger.create_plan(actor=system_actor(), name=name, year=2026, owner_unit=orgtree.office)


def _slots(orgtree, plan, titles, **task):
    task.setdefault("owner", orgtree.reporter_a)
    tasks = [
        ledger.create_task(
            plan, actor=system_actor(), title=t, responsible_units=[orgtree.a1], **task
        )
        for t in titles
    ]
    ledger.deploy_plan(plan, actor=system_actor())
    services.open_due_cycles()
    return [Slot.objects.filter(task=t).order_by("due_at").first() for t in tasks]


def _submit(slot, person, progress="已完成选址"):
    report, _ = services.start_report(slot, actor=person)
    return services.submit_report(report, actor=person, version=report.version, progress=progress)


def _inbox(person, prefix=""):
    return list(
        Message.objects.filter(
            recipient=person, channel=Channel.INBOX, dedupe_key__startswith=prefix
        ).order_by("id")
    )


@pytest.fixture
def slot(orgtree):
    [slot] = _slots(orgtree, _plan(orgtree), ["新建学校"], lead_leader=orgtree.leader_a)
    return slot


def test_the_lead_leader_is_told_once_when_a_report_waits(orgtree, slot):
    _submit(slot, orgtree.reporter_a)
    [told] = _inbox(orgtree.leader_a)
    assert "新建学校" in told.subject and told.url == f"/reports/slots/{slot.pk}/"
    assert "甲局一处" in told.body and "已完成选址" in told.body
    assert told.read_at is None and told.status == Status.SENT
    # Nobody else: not the supervisor (the leader reviews), not the reporter.
    assert Message.objects.filter(dedupe_key__startswith="review:").count() == 1
    assert _inbox(orgtree.supervisor) == [] and _inbox(orgtree.reporter_a) == []


def test_a_resubmission_after_a_return_tells_the_leader_again(orgtree, slot):
    report = _submit(slot, orgtree.reporter_a)
    services.review_report(report, actor=orgtree.leader_a, accept=False, comment="请补充数量")
    [returned] = _inbox(orgtree.reporter_a, "returned:")
    assert "新建学校" in returned.subject and returned.body == "请补充数量"
    report.refresh_from_db()
    services.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, progress="完工12所"
    )
    told = _inbox(orgtree.leader_a, "review:")
    assert len(told) == 2 and "完工12所" in told[1].body
    assert _inbox(orgtree.leader_a, "returned:") == []  # the reviewer hears nothing of its act


def test_the_owner_is_told_when_the_report_is_accepted(orgtree, slot):
    report = _submit(slot, orgtree.reporter_a)
    services.review_report(report, actor=orgtree.leader_a, accept=True)
    [accepted] = _inbox(orgtree.reporter_a, "accepted:")
    assert "新建学校" in accepted.subject and orgtree.leader_a.display_name in accepted.body
    assert accepted.url == f"/reports/slots/{slot.pk}/"
    assert _inbox(orgtree.leader_a, "accepted:") == []
    assert Message.objects.filter(dedupe_key__startswith="accepted:").count() == 1


def test_a_task_without_lead_leader_tells_the_nearest_supervisors(orgtree):
    [slot] = _slots(orgtree, _plan(orgtree), ["无牵头领导的任务"])
    _submit(slot, orgtree.reporter_a)
    [told] = _inbox(orgtree.supervisor)
    assert "无牵头领导的任务" in told.subject
    assert _inbox(orgtree.leader_a) == [] and _inbox(orgtree.admin) == []


def test_a_refused_submission_tells_nobody(orgtree, slot):
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    with pytest.raises(RuleViolation):
        services.submit_report(
            report, actor=orgtree.reporter_a, version=report.version, progress=""
        )
    assert not Message.objects.filter(dedupe_key__startswith="review:").exists()


def test_who_submits_and_reviews_alike_is_not_told_of_its_own_report(orgtree):
    [slot] = _slots(
        orgtree,
        _plan(orgtree),
        ["领导自报"],
        owner=orgtree.leader_a,
        lead_leader=orgtree.leader_a,
    )
    report = _submit(slot, orgtree.leader_a)
    assert _inbox(orgtree.leader_a) == []
    services.review_report(report, actor=orgtree.leader_a, accept=True)
    assert _inbox(orgtree.leader_a) == []


def test_many_waiting_reports_go_by_e_mail_as_one_digest(orgtree, mailoutbox):
    leader = orgtree.leader_a
    leader.email = "leader@example.gov.cn"
    leader.save(update_fields=["email"])
    titles = ["学校一", "学校二", "学校三"]
    slots = _slots(orgtree, _plan(orgtree), titles, lead_leader=leader)
    for slot in slots:
        _submit(slot, orgtree.reporter_a)
    assert len(_inbox(leader, "review:")) == 3  # the inbox has each at once
    mails = list(Message.objects.filter(recipient=leader, channel=Channel.EMAIL))
    assert len(mails) == 3 and all(m.digestible and not m.urgent for m in mails)

    due = mails[0].next_attempt_at
    stats = notify.deliver_due(now=due)
    assert stats["digests"] == 1 and stats["digested"] == 3
    [mail] = mailoutbox
    assert mail.to == ["leader@example.gov.cn"] and "3" in mail.subject
    for title, slot in zip(titles, slots, strict=True):
        assert title in mail.body and f"/reports/slots/{slot.pk}/" in mail.body
    notify.deliver_due(now=due)
    assert len(mailoutbox) == 1  # once


def test_without_a_digest_preference_the_e_mail_goes_at_once(orgtree, slot, mailoutbox):
    leader = orgtree.leader_a
    leader.email = "leader@example.gov.cn"
    leader.save(update_fields=["email"])
    Preference.objects.create(person=leader, email_digest=False)
    _submit(slot, orgtree.reporter_a)
    [mail] = Message.objects.filter(recipient=leader, channel=Channel.EMAIL)
    assert not mail.digestible
    notify.deliver_due()
    assert len(mailoutbox) == 1 and "新建学校" in mailoutbox[0].subject


def test_no_e_mail_is_queued_for_a_person_without_an_address(orgtree, slot):
    assert not orgtree.leader_a.email
    _submit(slot, orgtree.reporter_a)
    assert not Message.objects.filter(recipient=orgtree.leader_a, channel=Channel.EMAIL).exists()
