"""Supervision orders (督办单): a supervisor issues one to a unit about one or more of its tasks,
numbered 督办〔YYYY〕N号 without gaps or repeats; the unit responds by a working day; the
supervisor verifies (核查) and closes it or sends it back with a new date. An order answered
late, or still unanswered past its date, counts against the unit (`late_counts`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.services import take_next_number
from luoshi.core.versioning import save_versioned
from luoshi.ledger.models import Assignment, Plan, Task
from luoshi.notify.services import notify
from luoshi.org.models import Person, Role, RoleGrant, Unit, ancestor_paths
from luoshi.org.scope import scope_for

from ..access import supervises_unit
from ..models import Order, OrderCounter, OrderStep

OBJECT_TYPE = "supervision.order"
AWAITING = (Order.Status.ISSUED, Order.Status.RETURNED)
RETURN_WORKING_DAYS = 5  # a sent-back order's new date when the supervisor names none
SNAPSHOT = ("status", "unit", "demand", "respond_by", "response", "responded_late", "verification")


# --- who may act -----------------------------------------------------------------------------


def can_issue(person, unit: Unit) -> bool:
    """Supervisors over the unit (and administrators)."""
    return supervises_unit(person, unit)


def can_respond(person, order: Order) -> bool:
    """Whoever answers for the unit: its reporters, unit admins over it, supervisors over it."""
    scope = scope_for(person)
    unit = order.unit
    if scope.is_admin or unit.pk in scope.report:
        return True
    if any(unit.path.startswith(p) for p in scope.manage):
        return True
    return supervises_unit(person, unit)


def can_verify(person, order: Order) -> bool:
    return supervises_unit(person, order.unit)


def issuable_units(person) -> QuerySet[Unit]:
    """The units this person may address an order to."""
    scope = scope_for(person)
    if scope.is_admin:
        return Unit.objects.all()
    q = Q(pk__in=[])
    for path in scope.supervise:
        q |= Q(path__startswith=path)
    return Unit.objects.filter(q)


# --- dates -----------------------------------------------------------------------------------


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def _check_respond_by(respond_by, today: dt.date, cal) -> dt.date:
    if not isinstance(respond_by, dt.date):
        raise RuleViolation(_("Give the date the unit must respond by."), field="respond_by")
    if isinstance(respond_by, dt.datetime):
        respond_by = respond_by.date()
    if respond_by <= today:
        raise RuleViolation(
            _("The response date must be a working day after today."), field="respond_by"
        )
    if not cal.is_working_day(respond_by):
        raise RuleViolation(
            _("%(date)s is not a working day: choose a working day after today.")
            % {"date": respond_by.isoformat()},
            field="respond_by",
        )
    return respond_by


def last_missed_date(today: dt.date, cal) -> dt.date:
    """The latest respond_by already missed on `today`: a date on a day off is met by the next
    working day, so an order is overdue when its date is on or before the last working day
    before today."""
    return cal.add_working_days(today, -1)


def overdue_q(today: dt.date, cal=None) -> Q:
    """Orders awaiting a response (issued or sent back) whose date has passed."""
    cal = cal or current_calendar()
    return Q(status__in=AWAITING, respond_by__lte=last_missed_date(today, cal))


def overdue_orders(qs: QuerySet[Order], today: dt.date, cal=None) -> QuerySet[Order]:
    """The orders of `qs` still awaiting a response past their date (flagged on the pages; the
    closed-loop check lists them)."""
    return qs.filter(overdue_q(today, cal))


def late_counts(orders_qs: QuerySet[Order], today: dt.date, cal=None) -> dict[int, int]:
    """{unit id: orders counting against it}: answered late, plus still unanswered past their
    date (an order already answered late once is counted once). One aggregate query (plus the
    calendar's, unless `cal` is given)."""
    counted = Q(responded_late=True) | (overdue_q(today, cal) & Q(responded_late=False))
    rows = (
        orders_qs.filter(counted)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("unit_id", "n")
    )
    return dict(rows)


def _is_late(respond_by: dt.date, today: dt.date, cal) -> bool:
    return respond_by <= last_missed_date(today, cal)


# --- numbering -------------------------------------------------------------------------------


# --- notifications ---------------------------------------------------------------------------


def unit_people(unit: Unit) -> list[Person]:
    """Who hears of an order to `unit`: its reporters and the unit admins over it."""
    grants = RoleGrant.objects.filter(
        Q(role=Role.REPORTER, unit=unit)
        | Q(role=Role.UNIT_ADMIN, unit__path__in=ancestor_paths(unit.path))
    )
    return list(
        Person.objects.filter(pk__in=grants.values("person_id"), is_active=True).order_by("pk")
    )


def _url(order: Order) -> str:
    return reverse("supervision:order_detail", args=[order.pk])


def _tell_unit(order: Order, event: str, subject: str, body: str) -> None:
    for person in unit_people(order.unit):
        notify(
            person,
            subject=subject,
            body=body,
            url=_url(order),
            dedupe_key=f"order:{order.pk}:{event}:{person.pk}",
        )


# --- audit -----------------------------------------------------------------------------------


def _snapshot(order: Order) -> dict:
    return {f: getattr(order, f) for f in SNAPSHOT}


def _record(actor, action: str, order: Order, changes: dict, task_ids: list[int], at) -> None:
    audit.record(
        actor,
        [
            audit.Entry(
                action,
                OBJECT_TYPE,
                order.pk,
                order.label,
                changes,
                # The first task's history thread shows the order; all of them are named.
                {"task": task_ids[0] if task_ids else None, "tasks": task_ids},
            )
        ],
        at=at,
    )


def _task_ids(order: Order) -> list[int]:
    return list(order.tasks.order_by("plan_id", "sort_key").values_list("pk", flat=True))


def _expect(order: Order, version) -> None:
    """A change made from a page or request that read an older version is refused as stale
    before any rule is checked against the newer state it did not see."""
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = 0
    if expected != order.version:
        raise StaleVersion(str(order), expected, order.version)


# --- issue, respond, verify ------------------------------------------------------------------


@transaction.atomic
def issue_order(
    *,
    actor,
    unit: Unit,
    tasks: Iterable[Task],
    demand: str,
    respond_by: dt.date,
    now: dt.datetime | None = None,
) -> Order:
    """Issue an order to `unit` about `tasks` (each must be one of the unit's tasks)."""
    now = now or timezone.now()
    today = _today(now)
    if not can_issue(actor, unit):
        raise OutOfScope(_("Only a supervisor over %(unit)s issues orders to it.") % {"unit": unit})
    tasks = list({t.pk: t for t in tasks}.values())
    if not tasks:
        raise RuleViolation(_("Choose at least one task the order is about."), field="tasks")
    assigned = set(
        Assignment.objects.filter(task__in=[t.pk for t in tasks], unit=unit).values_list(
            "task_id", flat=True
        )
    )
    drafts = [t for t in tasks if t.plan.status == Plan.Status.DRAFT]
    if drafts:
        # The unit cannot see a plan before it is deployed (ledger.access), nor answer for it.
        raise RuleViolation(
            _("Task %(task)s is in a plan not yet deployed: deploy the plan first.")
            % {"task": drafts[0]},
            field="tasks",
        )
    strangers = [t for t in tasks if t.pk not in assigned]
    if strangers:
        raise RuleViolation(
            _("%(unit)s has no part in task %(task)s.") % {"unit": unit, "task": strangers[0]},
            field="tasks",
        )
    demand = (demand or "").strip()
    if not demand:
        raise RuleViolation(_("Say what the unit must do."), field="demand")
    respond_by = _check_respond_by(respond_by, today, current_calendar())

    number = take_next_number(OrderCounter, year=today.year)
    order = Order.objects.create(
        year=today.year,
        number=number,
        unit=unit,
        demand=demand,
        respond_by=respond_by,
        issued_by=actor,
        issued_at=now,
    )
    task_ids = [t.pk for t in sorted(tasks, key=lambda t: (t.plan_id, t.sort_key))]
    order.tasks.set(task_ids)
    OrderStep.objects.create(order=order, kind=OrderStep.Kind.ISSUED, at=now, actor=actor)
    changes = audit.diff({}, {**_snapshot(order), "number": order.label, "tasks": task_ids})
    _record(actor, "issue", order, changes, task_ids, now)
    _tell_unit(
        order,
        "issued",
        _("Supervision order %(label)s: respond by %(date)s")
        % {"label": order.label, "date": respond_by.isoformat()},
        demand,
    )
    return order


@transaction.atomic
def respond_order(
    order: Order, *, actor, version: int, response: str, now: dt.datetime | None = None
) -> Order:
    """The unit's response to an order awaiting one (issued, or sent back)."""
    now = now or timezone.now()
    if not can_respond(actor, order):
        raise OutOfScope(_("You may not respond for %(unit)s.") % {"unit": order.unit})
    _expect(order, version)
    if order.status not in AWAITING:
        raise RuleViolation(
            _("This order is %(status)s: it is not awaiting a response.")
            % {"status": order.get_status_display()}
        )
    response = (response or "").strip()
    if not response:
        raise RuleViolation(_("Write the unit's response."), field="response")
    before = _snapshot(order)
    late = _is_late(order.respond_by, _today(now), current_calendar())
    save_versioned(
        order,
        version,
        {
            "status": Order.Status.RESPONDED,
            "response": response,
            "responded_at": now,
            "responded_by": actor,
            # Once late, always counted: a later, timely answer to a sent-back order does not
            # undo the first missed date.
            "responded_late": order.responded_late or late,
        },
    )
    step = OrderStep.objects.create(
        order=order, kind=OrderStep.Kind.RESPONDED, at=now, actor=actor, text=response
    )
    _record(actor, "respond", order, audit.diff(before, _snapshot(order)), _task_ids(order), now)
    notify(
        order.issued_by,
        subject=_("%(unit)s responded to %(label)s") % {"unit": order.unit, "label": order.label},
        body=response,
        url=_url(order),
        dedupe_key=f"order:{order.pk}:responded:{step.pk}:{order.issued_by_id}",
    )
    return order


@transaction.atomic
def verify_order(
    order: Order,
    *,
    actor,
    version: int,
    accept: bool,
    comment: str = "",
    respond_by: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Verify (核查) a response: accept closes the order; otherwise it goes back to the unit
    with the reasons and a new date (default: RETURN_WORKING_DAYS working days from today)."""
    now = now or timezone.now()
    today = _today(now)
    if not can_verify(actor, order):
        raise OutOfScope(
            _("Only a supervisor over %(unit)s verifies its orders.") % {"unit": order.unit}
        )
    _expect(order, version)
    if order.status != Order.Status.RESPONDED:
        raise RuleViolation(
            _("Only a responded order can be verified; this one is %(status)s.")
            % {"status": order.get_status_display()}
        )
    comment = (comment or "").strip()
    before = _snapshot(order)
    cal = current_calendar()
    if accept:
        fields = {
            "status": Order.Status.CLOSED,
            "closed_at": now,
            "closed_by": actor,
            "verification": comment,
        }
        kind, action, event = OrderStep.Kind.CLOSED, "close", "closed"
    else:
        if not comment:
            raise RuleViolation(_("Say why the order is sent back."), field="comment")
        if respond_by is None:
            respond_by = cal.add_working_days(today, RETURN_WORKING_DAYS)
        respond_by = _check_respond_by(respond_by, today, cal)
        fields = {"status": Order.Status.RETURNED, "respond_by": respond_by}
        kind, action, event = OrderStep.Kind.RETURNED, "return", "returned"
    save_versioned(order, version, fields)
    step = OrderStep.objects.create(order=order, kind=kind, at=now, actor=actor, text=comment)
    changes = audit.diff(before, _snapshot(order))
    if comment and "comment" not in changes:
        changes["comment"] = [None, comment]
    _record(actor, action, order, changes, _task_ids(order), now)
    if accept:
        subject = _("Supervision order %(label)s verified and closed") % {"label": order.label}
    else:
        subject = _("Supervision order %(label)s sent back: respond by %(date)s") % {
            "label": order.label,
            "date": order.respond_by.isoformat(),
        }
    _tell_unit(order, f"{event}:{step.pk}", subject, comment)
    return order
