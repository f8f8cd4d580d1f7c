"""Property: for random schedules, clocks and worker runs (repeated, interleaved with closing,
interrupted part-way), every cycle ends up with exactly one slot per active task and
responsible unit, and the current period's cycle exists."""

import contextlib
import datetime as dt
from collections import Counter
from unittest import mock

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.core.actors import system_actor
from luoshi.dispatch import services
from luoshi.dispatch.models import Cycle, Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Assignment

schedules = st.one_of(
    st.builds(lambda w: {"kind": "weekly", "weekday": w}, st.integers(0, 6)),
    st.builds(lambda d: {"kind": "monthly", "day": d}, st.integers(1, 31)),
    st.builds(lambda d: {"kind": "quarterly", "day": d}, st.integers(1, 31)),
)
# A run: hours after the previous run, how many times the job runs then, whether the first of
# those runs is interrupted part-way (after the cycle row, before or during its slots), and
# whether the closing job runs too.
runs = st.lists(
    st.tuples(st.integers(1, 24 * 40), st.integers(1, 3), st.booleans(), st.booleans()),
    min_size=1,
    max_size=6,
)


class Interrupted(Exception):
    pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(schedule=schedules, runs=runs, start_day=st.integers(0, 364))
def test_every_slot_exactly_once(orgtree, schedule, runs, start_day):
    with transaction.atomic():
        clock = timezone.make_aware(dt.datetime(2026, 1, 1, 9)) + dt.timedelta(days=start_day)
        plan = ledger.create_plan(
            actor=system_actor(), name="性质测试", year=2026, owner_unit=orgtree.office
        )
        ledger.create_task(plan, actor=system_actor(), title="一", responsible_units=[orgtree.a1])
        ledger.create_task(
            plan, actor=system_actor(), title="二", responsible_units=[orgtree.a1, orgtree.b1]
        )
        ledger.create_task(
            plan,
            actor=system_actor(),
            title="已完成",
            responsible_units=[orgtree.b1],
            status="done",
        )
        ledger.deploy_plan(plan, actor=system_actor())
        type(plan).objects.filter(pk=plan.pk).update(deployed_at=clock)
        Schedule.objects.create(plan=plan, **schedule)

        real_create = services.create_slots
        for hours, repeats, interrupted, close in runs:
            clock += dt.timedelta(hours=hours)
            for i in range(repeats):
                if interrupted and i == 0:
                    calls = {"n": 0}

                    def flaky(cycle, calls=calls):
                        calls["n"] += 1
                        if calls["n"] > 1:
                            raise Interrupted  # the worker dies between two cycles
                        return real_create(cycle)

                    with (
                        mock.patch.object(services, "create_slots", flaky),
                        contextlib.suppress(Interrupted),
                    ):
                        services.open_due_cycles(clock)
                else:
                    services.open_due_cycles(clock)
            if close:
                services.close_due_cycles(clock)
        services.open_due_cycles(clock)  # the last, uninterrupted run

        expected_pairs = set(
            Assignment.objects.filter(
                task__plan=plan, role="responsible", task__status="not_started"
            ).values_list("task_id", "unit_id")
        )
        assert len(expected_pairs) == 3
        cycles = list(Cycle.objects.filter(plan=plan))
        assert cycles, "the current period's cycle must exist"
        for cycle in cycles:
            slots = Counter(Slot.objects.filter(cycle=cycle).values_list("task_id", "unit_id"))
            assert set(slots) == expected_pairs, cycle
            assert max(slots.values()) == 1
        dues = [c.due_at for c in cycles]
        assert len(dues) == len(set(dues))
        current = [c for c in cycles if c.due_at >= clock - dt.timedelta(days=1)]
        assert current, "a cycle for the period in progress"
        transaction.set_rollback(True)
