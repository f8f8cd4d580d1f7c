"""The closed-loop check (闭环检查): every open item that lacks its next step (DOMAIN.md).

Each kind of item is a `Source`: a scoped query for the rows that lack their next step, the unit
each belongs to, and the sentence saying why. Counting and listing are a query per source (a
handful in all, whatever the number of rows); the page groups by unit with one aggregate query
per source and lists a page of items; the API and `luoshi closed_loop_check --json` list all.

A healthy ledger shows none. The kinds:

* task_no_unit / task_no_owner / task_no_deadline: a task of a deployed plan, not done,
  suspended or cancelled and without subtasks (a parent is carried by its subtasks), with no
  responsible unit, no owner (责任人) or no deadline (and not ongoing);
* report_past_due: a report slot of an open cycle past its due time and not submitted;
* problem_unanswered: an open problem past its level's SLA with no response at that level;
* order_unanswered: a supervision order past its response date with no response;
* order_unverified, extension_undecided, appeal_undecided: waiting for the supervisor's or the
  leader's step more than `DECIDE_WITHIN` working days.

Later stages add their kinds (a completed task with no evaluation, a due re-check not done)
with `register(Source(...))` from their AppConfig.ready(); supervision imports none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.core.calendar import current_calendar
from luoshi.dispatch import access as dispatch_access
from luoshi.dispatch.models import Cycle
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan, Task, TaskStatus

from . import access, rules
from .models import Decision, Order, Problem

# A decision, verification or answer owed by a person (not under an SLA of its own) is overdue
# after this many working days.
DECIDE_WITHIN = 5


@dataclass(frozen=True)
class Item:
    kind: str
    id: int
    unit: str
    unit_id: int | None
    why: str
    url: str

    def as_json(self) -> dict:
        """The command's and the API's item: exactly kind, id, unit, why (the API adds url)."""
        return {"kind": self.kind, "id": self.id, "unit": self.unit, "why": self.why}


@dataclass(frozen=True)
class Source:
    kind: str
    label: str  # lazy: the kind in words, for the page's headings and filters
    # (person, now) -> a queryset of the rows lacking their next step, annotated with
    # lp_unit_id and lp_unit_name
    rows: Callable[[object, dt.datetime], QuerySet]
    fields: tuple[str, ...]  # the values the sentence needs
    describe: Callable[[dict], tuple[str, str]]  # row -> (why, url)


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    _SOURCES[source.kind] = source


def sources() -> list[Source]:
    return list(_SOURCES.values())


def _unit(qs: QuerySet, path: str) -> QuerySet:
    return qs.annotate(lp_unit_id=F(f"{path}_id"), lp_unit_name=F(f"{path}__name"))


def _date(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.isoformat() if value else ""


@lru_cache(maxsize=16)
def days_ago(now: dt.datetime, n: int) -> dt.datetime:
    """The moment `n` working days before `now` (same time of day). Cached by `now`: one check
    (its count, summary and page of items) reads the calendar once, not once per source."""
    cal = current_calendar()
    day = timezone.localtime(now).date()
    back = day
    while n > 0:
        back -= dt.timedelta(days=1)
        if cal.is_working_day(back):
            n -= 1
    return now - (day - back)


# --- tasks ---------------------------------------------------------------------------------


def _open_leaf_tasks(person) -> QuerySet:
    return ledger_access.tasks_for(person).filter(
        ~Q(status__in=(TaskStatus.DONE, TaskStatus.SUSPENDED, TaskStatus.CANCELLED)),
        ~Exists(Task.objects.filter(parent=OuterRef("pk"))),
        plan__status=Plan.Status.DEPLOYED,
    )


def _task_url(row) -> str:
    return reverse("ledger:task_detail", args=[row["pk"]])


register(
    Source(
        "task_no_unit",
        gettext_lazy("task without a responsible unit"),
        lambda person, now: _unit(
            _open_leaf_tasks(person).filter(primary_unit=None), "plan__owner_unit"
        ),
        ("no", "title"),
        lambda r: (
            _("Task %(no)s “%(title)s” has no responsible unit.") % r,
            _task_url(r),
        ),
    )
)
register(
    Source(
        "task_no_owner",
        gettext_lazy("task without an owner"),
        lambda person, now: _unit(
            _open_leaf_tasks(person).filter(owner=None).exclude(primary_unit=None), "primary_unit"
        ),
        ("no", "title"),
        lambda r: (
            _("Task %(no)s “%(title)s” has no owner to report on it.") % r,
            _task_url(r),
        ),
    )
)
register(
    Source(
        "task_no_deadline",
        gettext_lazy("task without a deadline"),
        lambda person, now: _unit(
            _open_leaf_tasks(person)
            .filter(deadline=None, ongoing=False)
            .exclude(primary_unit=None),
            "primary_unit",
        ),
        ("no", "title"),
        lambda r: (
            _("Task %(no)s “%(title)s” has no deadline.") % r,
            _task_url(r),
        ),
    )
)


# --- reports -------------------------------------------------------------------------------


register(
    Source(
        "report_past_due",
        gettext_lazy("report past due"),
        lambda person, now: _unit(
            dispatch_access.slots_for(person).filter(
                status__in=dispatch_access.OPEN_SLOT,
                due_at__lt=now,
                cycle__status=Cycle.Status.OPEN,
            ),
            "unit",
        ),
        ("task__no", "task__title", "due_at"),
        lambda r: (
            _("The progress report on %(no)s “%(title)s” was due on %(due)s and is not in.")
            % {"no": r["task__no"], "title": r["task__title"], "due": _date(r["due_at"])},
            reverse("dispatch:report", args=[r["pk"]]),
        ),
    )
)


# --- problems and orders -------------------------------------------------------------------


def _unanswered_problems(person, now):
    today = timezone.localtime(now).date()
    return _unit(
        access.problems_for(person).filter(
            Q(answered_at=None) | Q(answered_at__date__lt=F("level_entered_on")),
            status=Problem.Status.OPEN,
            sla_due_on__lt=today,
        ),
        "unit",
    )


register(
    Source(
        "problem_unanswered",
        gettext_lazy("problem unanswered past its SLA"),
        _unanswered_problems,
        ("title", "level", "sla_due_on"),
        lambda r: (
            _(
                "Problem “%(title)s” at level %(level)s (%(who)s) had to be answered by "
                "%(due)s and has no answer."
            )
            % {
                "title": r["title"],
                "level": r["level"],
                "who": rules.level_name(r["level"]),
                "due": _date(r["sla_due_on"]),
            },
            reverse("supervision:problem_detail", args=[r["pk"]]),
        ),
    )
)


def _label(r) -> str:
    return f"督办〔{r['year']}〕{r['number']}号"


register(
    Source(
        "order_unanswered",
        gettext_lazy("supervision order unanswered"),
        lambda person, now: _unit(
            access.orders_for(person).filter(
                status__in=(Order.Status.ISSUED, Order.Status.RETURNED),
                respond_by__lt=timezone.localtime(now).date(),
            ),
            "unit",
        ),
        ("year", "number", "respond_by"),
        lambda r: (
            _("%(order)s had to be answered by %(due)s and has no response.")
            % {"order": _label(r), "due": _date(r["respond_by"])},
            reverse("supervision:order_detail", args=[r["pk"]]),
        ),
    )
)
register(
    Source(
        "order_unverified",
        gettext_lazy("order response not verified"),
        lambda person, now: _unit(
            access.orders_for(person).filter(
                status=Order.Status.RESPONDED,
                responded_at__lt=days_ago(now, DECIDE_WITHIN),
            ),
            "unit",
        ),
        ("year", "number", "responded_at"),
        lambda r: (
            _("%(order)s was answered on %(on)s and has not been verified.")
            % {"order": _label(r), "on": _date(r["responded_at"])},
            reverse("supervision:order_detail", args=[r["pk"]]),
        ),
    )
)


# --- due process ---------------------------------------------------------------------------


register(
    Source(
        "extension_undecided",
        gettext_lazy("extension request undecided"),
        lambda person, now: _unit(
            access.extensions_for(person).filter(
                status=Decision.PENDING, requested_at__lt=days_ago(now, DECIDE_WITHIN)
            ),
            "unit",
        ),
        ("task__no", "task__title", "requested_at"),
        lambda r: (
            _("The extension request for %(no)s “%(title)s” of %(on)s is undecided.")
            % {"no": r["task__no"], "title": r["task__title"], "on": _date(r["requested_at"])},
            reverse("supervision:extension_detail", args=[r["pk"]]),
        ),
    )
)
register(
    Source(
        "appeal_undecided",
        gettext_lazy("appeal undecided"),
        lambda person, now: _unit(
            access.appeals_for(person).filter(
                status=Decision.PENDING, raised_at__lt=days_ago(now, DECIDE_WITHIN)
            ),
            "unit",
        ),
        ("task__no", "task__title", "raised_at"),
        lambda r: (
            _("The appeal against the light of %(no)s “%(title)s” of %(on)s is undecided.")
            % {"no": r["task__no"], "title": r["task__title"], "on": _date(r["raised_at"])},
            reverse("supervision:appeal_detail", args=[r["pk"]]),
        ),
    )
)


# --- reading -------------------------------------------------------------------------------


def _chosen(kind: str | None) -> list[Source]:
    if kind is None:
        return sources()
    return [s for s in sources() if s.kind == kind]


def _filtered(source: Source, person, now, unit_id: int | None) -> QuerySet:
    qs = source.rows(person, now)
    if unit_id is not None:
        qs = qs.filter(lp_unit_id=unit_id)
    return qs


def summary(person, *, now: dt.datetime | None = None) -> list[dict]:
    """Per unit: {"unit_id", "unit", "counts": {kind: n}, "total"}, most items first. One
    aggregate query per source."""
    now = now or timezone.now()
    units: dict[int | None, dict] = {}
    for source in sources():
        for row in (
            source.rows(person, now)
            .order_by()
            .values("lp_unit_id", "lp_unit_name")
            .annotate(n=Count("pk"))
        ):
            entry = units.setdefault(
                row["lp_unit_id"],
                {"unit_id": row["lp_unit_id"], "unit": row["lp_unit_name"] or "", "counts": {}},
            )
            entry["counts"][source.kind] = row["n"]
    out = [{**u, "total": sum(u["counts"].values())} for u in units.values()]
    return sorted(out, key=lambda u: (-u["total"], u["unit"]))


def count(person, *, now=None, kind: str | None = None, unit_id: int | None = None) -> int:
    now = now or timezone.now()
    return sum(_filtered(s, person, now, unit_id).count() for s in _chosen(kind))


def items(
    person,
    *,
    now: dt.datetime | None = None,
    kind: str | None = None,
    unit_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Item]:
    """The items, source by source (in registration order), each ordered by unit then id;
    `offset`/`limit` page through them all without reading the skipped rows."""
    now = now or timezone.now()
    out: list[Item] = []
    for source in _chosen(kind):
        if limit is not None and len(out) >= limit:
            break
        qs = _filtered(source, person, now, unit_id)
        if offset or limit is not None:
            n = qs.count()
            if offset >= n:
                offset -= n
                continue
        rows = qs.order_by("lp_unit_name", "pk").values(
            "pk", "lp_unit_id", "lp_unit_name", *source.fields
        )
        end = None if limit is None else offset + limit - len(out)
        rows = rows[offset:end] if (offset or end is not None) else rows.iterator(chunk_size=2000)
        offset = 0
        for r in rows:
            why, url = source.describe(r)
            out.append(
                Item(source.kind, r["pk"], r["lp_unit_name"] or "", r["lp_unit_id"], why, url)
            )
    return out


def check(person, *, now: dt.datetime | None = None) -> dict:
    """{"open_items": int, "items": [{"kind", "id", "unit", "why"}]}: the command's JSON."""
    found = items(person, now=now)
    found.sort(key=lambda i: i.unit)  # grouped by unit; stable, so kinds keep their order
    return {"open_items": len(found), "items": [i.as_json() for i in found]}
