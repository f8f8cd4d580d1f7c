"""Property: whatever the order of escalation-job runs (on advancing days, several a day),
responses and resolutions, a problem is never escalated once it is closed, and its ESCALATED
steps climb exactly one level each (never skipping one, never above the top)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import StaleVersion
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.supervision.models import PlanLightRules, Problem
from luoshi.supervision.services import problems as services

START = dt.date(2026, 3, 2)

# An operation: run the job after n calendar days (0: again the same day), respond (by the
# assignee, or the raiser, or with a stale version), resolve, or declare unsolvable.
# Job runs are drawn more often than the rest (six to two to one), so that problems climb.
ARGS = {
    "run": st.integers(0, 30),
    "respond": st.sampled_from(["assignee", "raiser", "stale"]),
    "resolve": st.sampled_from(["resolve", "unsolvable"]),
}
kinds = st.sampled_from(["run"] * 6 + ["respond"] * 2 + ["resolve"])
ops = st.lists(kinds.flatmap(lambda k: st.tuples(st.just(k), ARGS[k])), min_size=1, max_size=25)


def _moment(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops, sla=st.sampled_from([(5, 10, 15), (1, 1, 1), (1, 2, 3), (2, 3), (1,)]))
def test_never_escalated_after_closing_and_never_skips_a_level(orgtree, ops, sla):
    with transaction.atomic():
        actor = system_actor()
        plan = ledger.create_plan(actor=actor, name="性质", year=2026, owner_unit=orgtree.office)
        PlanLightRules.objects.create(plan=plan, problem_sla_days=list(sla))
        task = ledger.create_task(
            plan,
            actor=actor,
            title="任务",
            responsible_units=[orgtree.a1],
            owner=orgtree.reporter_a,
            lead_leader=orgtree.leader_a,
        )
        day = START
        p = services.raise_problem(task, actor=orgtree.reporter_a, title="问题", now=_moment(day))
        closed_on_step = None
        cal = current_calendar()
        for op, arg in ops:
            p.refresh_from_db()
            if op == "run":
                day += dt.timedelta(days=arg)
                before = (p.level, p.status)
                result = services.escalate_problems(actor=actor, today=day)
                p.refresh_from_db()
                if before[1] != "open":
                    assert (p.level, p.status) == before
                    assert result["escalated"] == 0
                else:
                    assert p.level - before[0] in (0, 1)
                    if p.level > before[0]:
                        assert p.level_entered_on == day
                        assert p.sla_due_on == cal.add_working_days(day, sla[p.level - 1])
                # Idempotent: the same day again changes nothing.
                again = (p.level, p.version)
                assert services.escalate_problems(actor=actor, today=day)["escalated"] == 0
                p.refresh_from_db()
                assert (p.level, p.version) == again
            elif p.status != "open":
                continue
            elif op == "respond":
                who = orgtree.reporter_a if arg == "raiser" else (p.assignee or orgtree.supervisor)
                version = p.version - 1 if arg == "stale" else p.version
                try:
                    services.respond_problem(
                        p, actor=who, version=version, text="回复", now=_moment(day)
                    )
                    assert arg != "stale"
                except StaleVersion:
                    assert arg == "stale"
            else:
                who = p.assignee or orgtree.supervisor
                if arg == "resolve":
                    services.resolve_problem(
                        p, actor=who, version=p.version, resolution="解决", now=_moment(day)
                    )
                else:
                    services.declare_unsolvable(
                        p, actor=who, version=p.version, reasons="无法解决", now=_moment(day)
                    )
                closed_on_step = p.steps.order_by("-pk").values_list("pk", flat=True).first()

        p.refresh_from_db()
        steps = list(p.steps.order_by("pk").values_list("pk", "kind", "level"))
        climbs = [level for _pk, kind, level in steps if kind == "escalated"]
        # Never skips a level, never beyond the top, and the level is where the climbs led.
        assert climbs == list(range(2, 2 + len(climbs)))
        assert p.level == 1 + len(climbs) <= len(sla)
        # Never both closed and escalated after closing.
        if closed_on_step is not None:
            assert p.status in ("resolved", "unsolvable")
            assert not [pk for pk, kind, _l in steps if kind == "escalated" and pk > closed_on_step]
            assert [k for _pk, k, _l in steps].count("resolved") + [
                k for _pk, k, _l in steps
            ].count("unsolvable") == 1
        else:
            assert p.status == "open"
        records = AuditRecord.objects.filter(
            object_type="supervision.problem", object_id=str(p.pk), action="escalate"
        )
        assert [r.changes["level"] for r in records.order_by("id")] == [
            [level - 1, level] for level in climbs
        ]
        assert Problem.objects.filter(pk=p.pk, status="open").exists() == (closed_on_step is None)
        transaction.set_rollback(True)
