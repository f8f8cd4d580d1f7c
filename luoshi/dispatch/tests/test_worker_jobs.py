"""The worker's jobs are registered as django-q2 schedules and are idempotent."""

from django.core.management import call_command
from django_q.models import Schedule

from luoshi.core.actors import system_actor
from luoshi.core.jobs import ensure_schedules
from luoshi.dispatch.models import Cycle, Slot
from luoshi.ledger import services as ledger


def test_schedules_are_registered_once(db):
    first = ensure_schedules()
    second = ensure_schedules()
    assert first == second and "luoshi.open_cycles" in first
    assert Schedule.objects.filter(name__startswith="luoshi.").count() == len(first)


def test_worker_once_runs_the_jobs_idempotently(orgtree, capsys):
    plan = ledger.create_plan(
        actor=system_actor(), name="作业计划", year=2026, owner_unit=orgtree.office
    )
    ledger.create_task(plan, actor=system_actor(), title="任务", responsible_units=[orgtree.a1])
    ledger.deploy_plan(plan, actor=system_actor())
    call_command("worker", "--once")
    call_command("worker", "--once")
    assert Cycle.objects.count() == 1 and Slot.objects.count() == 1
    assert "luoshi.open_cycles" in capsys.readouterr().out
