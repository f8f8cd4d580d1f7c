"""`services.extend_deadline`: a later stage's decided extension moves a task's deadline; the
task's history shows the old and the new date with the reason; only the lead leader, whoever
manages the plan, or a supervisor over the task may; a concurrent edit is never lost."""

import datetime as dt

import pytest

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.ledger import services
from luoshi.ledger.history import present, task_history
from luoshi.ledger.models import Task

D = dt.date


@pytest.fixture
def task(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="延期计划", year=2026, owner_unit=orgtree.office
    )
    return services.create_task(
        plan,
        actor=system_actor(),
        title="修路",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        start_date=D(2026, 3, 1),
        deadline=D(2026, 6, 30),
        deadline_text="6月底前",
    )


def test_the_lead_leader_moves_the_deadline_and_the_history_shows_both_dates(orgtree, task):
    services.extend_deadline(
        task, D(2026, 9, 30), actor=orgtree.leader_a, reason="汛期停工", source="extension:7"
    )
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.deadline == D(2026, 9, 30)
    assert fresh.deadline_text == ""  # "6月底前" no longer describes the date
    assert fresh.version == 2 and task.version == 2 and task.deadline == D(2026, 9, 30)
    record = task_history(task).first()
    assert record.action == "update" and record.actor_id == orgtree.leader_a.pk
    assert record.changes["deadline"] == ["2026-06-30", "2026-09-30"]
    assert record.context == {"reason": "汛期停工", "source": "extension:7"}
    [row] = [r for r in present([record])[0]["rows"] if r.before == "2026-06-30"]
    assert row.after == "2026-09-30"


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_may(orgtree, task, who):
    services.extend_deadline(task, D(2026, 7, 31), actor=getattr(orgtree, who), reason="同意")
    assert Task.objects.get(pk=task.pk).deadline == D(2026, 7, 31)


@pytest.mark.parametrize("who", ["reporter_a", "reporter_b", "unitadmin_a"])
def test_others_may_not(orgtree, task, who):
    with pytest.raises(OutOfScope):
        services.extend_deadline(task, D(2026, 7, 31), actor=getattr(orgtree, who), reason="x")
    assert Task.objects.get(pk=task.pk).deadline == D(2026, 6, 30)
    assert task_history(task).count() == 1  # only the creation


def test_bad_input_names_the_field(orgtree, task):
    with pytest.raises(RuleViolation) as e:
        services.extend_deadline(task, D(2026, 7, 31), actor=orgtree.supervisor, reason="  ")
    assert e.value.field == "reason"
    with pytest.raises(RuleViolation) as e:
        services.extend_deadline(task, D(2026, 2, 1), actor=orgtree.supervisor, reason="x")
    assert e.value.field == "deadline"  # before the start
    with pytest.raises(RuleViolation) as e:
        services.extend_deadline(task, None, actor=orgtree.supervisor, reason="x")
    assert e.value.field == "deadline"


def test_a_concurrent_edit_is_not_lost(orgtree, task, monkeypatch):
    """Someone saves the task between the fresh read and the write: the write is refused."""
    real_save = services.save_versioned

    def edited_in_between(obj, version, fields):
        if isinstance(obj, Task):
            Task.objects.filter(pk=obj.pk).update(title="改名", version=obj.version + 1)
        return real_save(obj, version, fields)

    monkeypatch.setattr(services, "save_versioned", edited_in_between)
    with pytest.raises(StaleVersion):
        services.extend_deadline(task, D(2026, 7, 31), actor=orgtree.supervisor, reason="x")
    # Nothing of this attempt stays (the edit in between was made inside it, so it went too).
    assert Task.objects.get(pk=task.pk).deadline == D(2026, 6, 30)
    assert task_history(task).count() == 1


def test_a_stale_task_object_is_read_fresh(orgtree, task):
    """The caller's copy is older than the row (a report was accepted since): still written,
    on top of the newer version, and the newer change is kept."""
    services.record_progress(task, actor=system_actor(), at=None, percent=40, progress="进展")
    stale = Task.objects.get(pk=task.pk)
    stale.version = 1
    services.extend_deadline(stale, D(2026, 7, 31), actor=orgtree.supervisor, reason="x")
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.deadline, fresh.percent, fresh.progress) == (D(2026, 7, 31), 40, "进展")
    assert fresh.version == 3
