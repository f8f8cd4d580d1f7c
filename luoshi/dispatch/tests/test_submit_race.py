"""Two submits of one report at the same moment: exactly one wins. A submit loaded before a
review cannot turn an accepted report back into a submitted one."""

import threading

import pytest
from django.db import connection

from luoshi.core.actors import system_actor
from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services
from luoshi.dispatch.models import Report, ReviewEvent, Slot
from luoshi.ledger import services as ledger


@pytest.fixture
def report(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="竞争计划", year=2026, owner_unit=orgtree.office)
    task = ledger.create_task(
        plan,
        actor=actor,
        title="并发报送",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    ledger.deploy_plan(plan, actor=actor)
    services.open_due_cycles()
    slot = Slot.objects.get(task=task)
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.save_report(
        report, actor=orgtree.reporter_a, version=report.version, progress="已开工"
    )
    return report


def _loaded(report):
    return Report.objects.select_related("slot", "slot__cycle", "slot__unit").get(pk=report.pk)


def _submits(report):
    return ReviewEvent.objects.filter(report=report, action=ReviewEvent.Action.SUBMIT).count()


def test_a_second_submit_of_the_same_read_is_refused(orgtree, report):
    first, second = _loaded(report), _loaded(report)
    services.submit_report(first, actor=orgtree.reporter_a, version=first.version)
    with pytest.raises((StaleVersion, RuleViolation)):
        services.submit_report(second, actor=orgtree.reporter_a, version=second.version)
    assert _submits(report) == 1


def test_a_submit_read_before_an_accept_cannot_undo_it(orgtree, report):
    services.submit_report(_loaded(report), actor=orgtree.reporter_a, version=2)
    # The owner's page was loaded while the report was still open for changes.
    stale = _loaded(report)
    stale.slot.status = Slot.Status.RETURNED
    services.review_report(_loaded(report), actor=orgtree.leader_a, accept=True)
    with pytest.raises((RuleViolation, StaleVersion)):
        services.submit_report(stale, actor=orgtree.reporter_a, version=stale.version)
    assert Slot.objects.get(pk=report.slot_id).status == Slot.Status.ACCEPTED
    assert _submits(report) == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_submit_at_once_one_succeeds(orgtree, report):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("shared-cache in-memory SQLite locks tables instead of waiting")
    start = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            mine = _loaded(report)
            start.wait(timeout=10)
            services.submit_report(mine, actor=orgtree.reporter_a, version=mine.version)
            outcomes.append("ok")
        except (StaleVersion, RuleViolation) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["StaleVersion", "ok"] or sorted(outcomes) == ["RuleViolation", "ok"]
    assert _submits(report) == 1
    assert AuditRecord.objects.filter(action="submit", object_id=str(report.pk)).count() == 1
    assert Slot.objects.get(pk=report.slot_id).status == Slot.Status.SUBMITTED
