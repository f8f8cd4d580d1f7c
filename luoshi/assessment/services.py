"""Assessment writes: schemes, bonus and penalty items, computing a period's scores and locking
them. Every write checks rights, runs in one transaction with its audit record, and a locked
period refuses all of them.

Computing is set-based: one query per kind of fact (the units' tasks, report slots, problems,
reviews, late answers to orders, bonus and penalty items) over the whole plan, then the pure
rules; the scores are written in one bulk insert."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned
from luoshi.core.workdays import working_days_late
from luoshi.dispatch.models import ReviewEvent, Slot
from luoshi.ledger.access import can_manage_plan
from luoshi.ledger.models import Assignment, Plan
from luoshi.org.models import Unit
from luoshi.supervision.models import Order, Problem
from luoshi.supervision.services.orders import late_counts

from . import rules
from .models import Adjustment, Assessment, Scheme, Score

OBJECT = "assessment.assessment"


def can_assess(person, plan: Plan) -> bool:
    """Supervisors over the plan (its owner unit's subtree) and administrators."""
    return can_manage_plan(person, plan)


def _require(person, plan: Plan) -> None:
    if not can_assess(person, plan):
        raise OutOfScope(_("Only a supervisor over this plan assesses its units."))


def _locked(plan: Plan, period: str) -> bool:
    return Assessment.objects.filter(
        plan=plan, period=period, status=Assessment.Status.LOCKED
    ).exists()


def _period(period: str) -> tuple[dt.date, dt.date]:
    try:
        return rules.period_bounds(period)
    except rules.BadPeriod:
        raise RuleViolation(
            _("A period is a month written YYYY-MM, such as 2026-06."), field="period"
        ) from None


# --- the scheme ----------------------------------------------------------------------------


def scheme_for(plan: Plan) -> tuple[dict[str, Decimal], Decimal]:
    """(weights, points off per late order answer): the plan's scheme, else the default."""
    scheme = Scheme.objects.filter(plan=plan).first()
    if scheme is None:
        return dict(rules.DEFAULT_WEIGHTS), rules.DEFAULT_LATE_ORDER_PENALTY
    return scheme.weights(), scheme.late_order_penalty


def save_scheme(
    plan: Plan, *, actor, weights: dict, late_order_penalty, version: int | None = None
) -> Scheme:
    """Set the plan's weights (each 0–100, summing to 100) and late-order penalty. Editing an
    existing scheme needs the version read (stale → StaleVersion). Locked periods keep the
    weights they were computed with."""
    _require(actor, plan)
    try:
        clean = {c: Decimal(str(weights.get(c, ""))).quantize(rules.CENT) for c in rules.INDICATORS}
        penalty = Decimal(str(late_order_penalty)).quantize(rules.CENT)
    except InvalidOperation:
        raise RuleViolation(_("Weights and points are numbers, such as 40 or 12.5.")) from None
    if rules.weights_error(clean):
        total = sum(clean.values())
        raise RuleViolation(
            _("Each weight is from 0 to 100 and together they make 100 (now %(total)s).")
            % {"total": f"{total.normalize():f}"},
            field="weights",
        )
    if penalty < 0:
        raise RuleViolation(_("The penalty is a number of points, 0 or more."), field="late")
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().filter(plan=plan).first()
        fields = {**clean, "late_order_penalty": penalty}
        if scheme is None:
            scheme = Scheme.objects.create(plan=plan, **fields)
            before = {
                **{c: str(w) for c, w in rules.DEFAULT_WEIGHTS.items()},
                "late_order_penalty": str(rules.DEFAULT_LATE_ORDER_PENALTY),
            }
        else:
            before = {**{c: str(w) for c, w in scheme.weights().items()}}
            before["late_order_penalty"] = str(scheme.late_order_penalty)
            save_versioned(scheme, version, fields)
        after = {k: str(v) for k, v in fields.items()}
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        audit.record(
            actor,
            [audit.Entry("update", "assessment.scheme", scheme.pk, str(plan), changes)],
        )
    return scheme


# --- bonus and penalty items ---------------------------------------------------------------


def add_adjustment(
    plan: Plan, period: str, unit: Unit, *, actor, points, reason: str, rescore: bool = False
) -> Adjustment:
    """A bonus (+) or penalty (−) item, with its reason; refused once the period is locked.
    With `rescore`, the period's scores are computed again in the same transaction, so a page
    never shows an item its scores don't hold."""
    _require(actor, plan)
    _period(period)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Say why the unit gains or loses the points."), field="reason")
    try:
        pts = Decimal(str(points)).quantize(rules.CENT)
    except InvalidOperation:
        raise RuleViolation(_("Points are a number, such as 2 or -1.5."), field="points") from None
    if pts == 0 or abs(pts) > 100:
        raise RuleViolation(_("Points are not 0 and at most 100 either way."), field="points")
    with transaction.atomic():
        if _locked(plan, period):
            raise RuleViolation(_("This period's assessment is locked: it no longer changes."))
        item = Adjustment.objects.create(
            plan=plan, period=period, unit=unit, points=pts, reason=reason[:200], created_by=actor
        )
        audit.record(
            actor,
            [
                audit.Entry(
                    "create",
                    "assessment.adjustment",
                    item.pk,
                    str(item),
                    {"points": [None, str(pts)], "reason": [None, item.reason]},
                    {"plan": plan.pk, "period": period, "unit": unit.pk},
                )
            ],
        )
        if rescore:
            compute(plan, period, actor=actor)
    return item


def remove_adjustment(item: Adjustment, *, actor, rescore: bool = False) -> None:
    """Take a bonus or penalty item back (audited); `rescore` as for add_adjustment."""
    _require(actor, item.plan)
    with transaction.atomic():
        if _locked(item.plan, item.period):
            raise RuleViolation(_("This period's assessment is locked: it no longer changes."))
        audit.record(
            actor,
            [
                audit.Entry(
                    "delete",
                    "assessment.adjustment",
                    item.pk,
                    str(item),
                    {"points": [str(item.points), None], "reason": [item.reason, None]},
                    {"plan": item.plan_id, "period": item.period, "unit": item.unit_id},
                )
            ],
        )
        item.delete()
        if rescore:
            compute(item.plan, item.period, actor=actor)


# --- computing -----------------------------------------------------------------------------


# Later stages' judgements of quality, counted with the reports' in the quality indicator:
# name -> fn(plan, lo, hi) yielding (unit_id, task_id, met) for what was judged in [lo, hi).
# Evaluation registers its ratings (DOMAIN.md: "ratings feed the assessment's quality").
_QUALITY_SOURCES: dict[str, Callable] = {}


def register_quality_source(name: str, source: Callable) -> None:
    _QUALITY_SOURCES[name] = source


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def gather(plan: Plan, start: dt.date, as_of: dt.date, now: dt.datetime) -> dict:
    """Every fact the indicators count, per unit, in one query per kind."""
    cal = current_calendar()
    tasks = (
        Assignment.objects.filter(task__plan=plan, role=Assignment.Role.RESPONSIBLE)
        .order_by()
        .values_list(
            "unit_id",
            "task_id",
            "task__deadline",
            "task__ongoing",
            "task__status",
            "task__completed_on",
        )
    )
    rows = list(tasks)
    units = {r[0] for r in rows if r[4] not in rules.NOT_COUNTED}

    wdb = functools.lru_cache(maxsize=65536)(cal.working_days_between)

    def days_late(deadline, done_on):
        return working_days_late(deadline, done_on, wdb)

    completion, on_time = rules.count_tasks(rows, as_of, days_late)

    lo, hi = _start_of(start), min(_start_of(as_of + dt.timedelta(days=1)), now)
    slots = (
        Slot.objects.filter(task__plan=plan, due_at__gte=lo, due_at__lt=hi)
        .order_by()
        .values_list("unit_id", "task_id", "due_at", "submitted_at")
    )
    reporting = rules.count_reports(slots)

    problems = []
    for unit_id, task_id, status, level, raised, closed_at, sla in (
        Problem.objects.filter(task__plan=plan, raised_at__lt=hi)
        .order_by()
        .values_list(
            "unit_id", "task_id", "status", "level", "raised_level", "closed_at", "sla_due_on"
        )
    ):
        closed_on = timezone.localdate(closed_at) if closed_at else None
        problems.append((unit_id, task_id, status, level, raised, closed_on, sla))
    problem_tally = rules.count_problems(problems, start, as_of)

    accepted = {}
    for report_id, unit_id, task_id in (
        ReviewEvent.objects.filter(
            action=ReviewEvent.Action.ACCEPT,
            at__gte=lo,
            at__lt=hi,
            report__slot__task__plan=plan,
        )
        .order_by()
        .values_list("report_id", "report__slot__unit_id", "report__slot__task_id")
    ):
        accepted[report_id] = (unit_id, task_id)
    returned = set(
        ReviewEvent.objects.filter(
            action=ReviewEvent.Action.RETURN,
            report__slot__task__plan=plan,
            at__lt=hi,
        )
        .order_by()
        .values_list("report_id", flat=True)
        .distinct()
    )
    quality_rows = [(u, t, r in returned) for r, (u, t) in accepted.items()]
    for source in _QUALITY_SOURCES.values():
        quality_rows.extend((u, t, not met) for u, t, met in source(plan, lo, hi))
    quality = rules.count_quality(quality_rows)

    orders = Order.objects.filter(
        pk__in=Order.tasks.through.objects.filter(task__plan=plan).values("order_id"),
        respond_by__gte=start,
        respond_by__lte=as_of,
    )
    late = late_counts(orders, as_of, cal)
    return {
        "units": units,
        rules.COMPLETION: completion,
        rules.ON_TIME: on_time,
        rules.REPORTING: reporting,
        rules.PROBLEMS: problem_tally,
        rules.QUALITY: quality,
        "late_orders": late,
    }


def compute(plan: Plan, period: str, *, actor, today: dt.date | None = None) -> Assessment:
    """Score every unit responsible for a task of the plan for the month `period`, as of
    `today` (default today; never later than the month's end), and store the scores and
    ranks. A draft is computed again each time; a locked period is refused."""
    _require(actor, plan)
    start, end = _period(period)
    today = today or timezone.localdate()
    as_of = min(today, end)
    if as_of < start:
        raise RuleViolation(
            _("The period %(period)s has not begun on %(today)s.")
            % {"period": period, "today": today.isoformat()},
            field="period",
        )
    now = timezone.now()
    weights, late_penalty = scheme_for(plan)
    with transaction.atomic():
        # One computation at a time per plan and period.
        Plan.objects.select_for_update().filter(pk=plan.pk).first()
        existing = Assessment.objects.filter(plan=plan, period=period).first()
        if existing is not None and existing.locked:
            raise RuleViolation(_("This period's assessment is locked: it no longer changes."))
        facts = gather(plan, start, as_of, now)
        adjustments: dict[int, list] = {}
        for item in Adjustment.objects.filter(plan=plan, period=period).order_by("pk"):
            label = ("加分：" if item.points > 0 else "扣分：") + item.reason
            adjustments.setdefault(item.unit_id, []).append(
                (f"adjustment:{item.pk}", label, item.points)
            )
        units = facts["units"] | set(adjustments)
        for unit_id, n in facts["late_orders"].items():
            if n and late_penalty:
                units.add(unit_id)
                adjustments.setdefault(unit_id, []).append(
                    (rules.LATE_ORDER, f"扣分：督办单逾期回复{n}件", -late_penalty * n)
                )
        names = dict(Unit.objects.filter(pk__in=units).values_list("pk", "name"))
        items = {
            u: rules.breakdown(
                weights,
                {code: facts[code].get(u) for code in rules.INDICATORS},
                adjustments.get(u, ()),
            )
            for u in units
        }
        scores = {u: rules.score(items[u]) for u in units}
        ranked = rules.ranks(scores, names)
        scheme = {
            **{c: str(w) for c, w in weights.items()},
            "late_order_penalty": str(late_penalty),
        }
        fields = {
            "as_of": as_of,
            "scheme": scheme,
            "computed_at": now,
            "computed_by": actor if getattr(actor, "pk", None) else None,
        }
        if existing is None:
            assessment = Assessment.objects.create(plan=plan, period=period, **fields)
        else:
            assessment = existing
            save_versioned(assessment, existing.version, fields)
            assessment.scores.all().delete()
        Score.objects.bulk_create(
            [
                Score(
                    assessment=assessment,
                    unit_id=u,
                    score=scores[u],
                    rank=rank,
                    breakdown=[i.as_json(with_tasks=True) for i in items[u]],
                )
                for u, rank in ranked
            ],
            batch_size=500,
        )
        top = [{"unit": names.get(u, ""), "score": str(scores[u])} for u, _r in ranked[:3]]
        audit.record(
            actor,
            [
                audit.Entry(
                    "compute",
                    OBJECT,
                    assessment.pk,
                    str(assessment),
                    {"units": len(units), "as_of": as_of.isoformat(), "top": top},
                    {"plan": plan.pk, "period": period},
                )
            ],
        )
    return assessment


# --- locking -------------------------------------------------------------------------------


def digest(assessment: Assessment) -> str:
    """SHA-256 of the assessment's scores, in a canonical JSON (sorted keys, scores by unit):
    what locking records in the audit chain and the page checks again."""
    scores = [
        {
            "unit": unit_id,
            "unit_name": name,
            "score": str(score),
            "rank": rank,
            "breakdown": breakdown,
        }
        for unit_id, name, score, rank, breakdown in Score.objects.filter(assessment=assessment)
        .order_by("unit_id")
        .values_list("unit_id", "unit__name", "score", "rank", "breakdown")
    ]
    doc = {
        "plan": assessment.plan_id,
        "period": assessment.period,
        "as_of": assessment.as_of.isoformat(),
        "scheme": assessment.scheme,
        "scores": scores,
    }
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def lock(assessment: Assessment, *, actor, version: int | None = None) -> Assessment:
    """Lock the period: its scores never change again. The digest of the scores goes into the
    audit chain with the lock."""
    _require(actor, assessment.plan)
    with transaction.atomic():
        fresh = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if fresh.locked:
            raise RuleViolation(_("This period's assessment is already locked."))
        value = digest(fresh)
        save_versioned(
            fresh,
            fresh.version if version is None else version,
            {
                "status": Assessment.Status.LOCKED,
                "locked_at": timezone.now(),
                "locked_by": actor if getattr(actor, "pk", None) else None,
                "digest": value,
            },
        )
        audit.record(
            actor,
            [
                audit.Entry(
                    "lock",
                    OBJECT,
                    fresh.pk,
                    str(fresh),
                    {"status": ["draft", "locked"], "digest": [None, value]},
                    {"plan": fresh.plan_id, "period": fresh.period},
                )
            ],
        )
    return fresh
