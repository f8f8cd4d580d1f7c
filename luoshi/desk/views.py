"""The home page (工作台): what each of the person's roles has to do now, every count a link to
the rows behind it; and the 催报 button. Thin: scoped reads from access.*, the write through
services.urge_unit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.pagination import first

from . import access, rules, services
from .models import Urge

TOP = 8  # rows shown under a count; the count links to all of them
UNITS_PER_PAGE = 20
CYCLES_OFFERED = 20


def _tasks_url(**params) -> str:
    """The ledger table filtered (several values of one filter as a list)."""
    query = urlencode(params, doseq=True)
    return f"{reverse('ledger:task_list')}?{query}" if query else reverse("ledger:task_list")


def _reporter(request, person, today, ctx) -> None:
    todo = Paginator(access.reports_to_do(person), TOP).get_page(request.GET.get("todo"))
    cal = current_calendar()
    for slot in todo:
        due = timezone.localtime(slot.due_at).date()
        slot.days_left = rules.days_left(due, today, cal.working_days_between)
        slot.late = max(0, -slot.days_left)
    ctx["todo"] = todo
    ctx["sent"] = Paginator(access.my_submissions(person), TOP).get_page(request.GET.get("sent"))
    ctx["sent_counts"] = access.submission_counts(person)


def _leader(request, person, today, ctx) -> None:
    risky = access.led_at_risk(person)
    ctx["led_risky"] = list(risky[:TOP])
    ctx["led_risky_count"] = risky.count()
    ctx["led_overdue_count"] = access.led_overdue_count(person, today)
    ctx["led_risky_url"] = _tasks_url(lead_leader=person.pk, light=list(access.AT_RISK))
    ctx["led_overdue_url"] = _tasks_url(lead_leader=person.pk, overdue="true")


def _reviewer(request, person, ctx) -> None:
    review = access.reports_to_review(person)
    ctx["review"] = list(review[:TOP])
    ctx["review_count"] = review.count()


def _supervisor(request, person, today, ctx) -> None:
    overdue = access.overdue_tasks(person, today)
    ctx["overdue"] = first(overdue, TOP)
    ctx["overdue_count"] = overdue.count()
    ctx["overdue_url"] = _tasks_url(overdue="true")
    ctx["lights"] = access.light_counts(person)
    ctx["red_url"] = _tasks_url(light="red")
    ctx["yellow_url"] = _tasks_url(light="yellow")
    ctx["open_url"] = _tasks_url(status="open")
    cycles = list(access.open_cycles(person)[:CYCLES_OFFERED])
    chosen = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if str(c.pk) == chosen), cycles[0] if cycles else None)
    ctx["cycles"], ctx["cycle"] = cycles, cycle
    if cycle is None:
        return
    units = Paginator(access.unit_tally(person, cycle), UNITS_PER_PAGE).get_page(
        request.GET.get("units")
    )
    ids = [row["unit_id"] for row in units]
    last = dict(
        Urge.objects.filter(cycle=cycle, unit_id__in=ids)
        .values("unit_id")
        .annotate(last=Max("at"))
        .values_list("unit_id", "last")
    )
    now = timezone.now()
    for row in units:
        row["last_urged"] = last.get(row["unit_id"])
        row["may_urge"] = row["missing"] > 0 and rules.may_urge(row["last_urged"], now)
        row["next_urge"] = rules.next_urge_at(row["last_urged"])
        row["unit_url"] = _tasks_url(unit=row["unit_id"])
    ctx["units"] = units
    ctx["cycle_query"] = urlencode({"cycle": cycle.pk})
    ctx["cycle_totals"] = {
        k: sum(r[k] for r in units.object_list) if units.paginator.num_pages == 1 else None
        for k in ("due", "done", "missing")
    }


def _unit_admin(request, person, today, ctx) -> None:
    due = access.unit_slots_due(person)
    ctx["unit_due"] = list(due[:TOP])
    ctx["unit_due_count"] = due.count()
    overdue = access.unit_overdue_tasks(person, today)
    ctx["unit_overdue"] = first(overdue, TOP)
    ctx["unit_overdue_count"] = overdue.count()
    units = list(access.managed_units(person))
    ctx["managed_units"] = units
    ctx["unit_overdue_url"] = (
        _tasks_url(unit=units[0].pk, overdue="true")
        if len(units) == 1
        else _tasks_url(overdue="true")
    )


@login_required
def home(request):
    person = request.user
    today = timezone.localdate()
    show = access.sections_for(person)
    ctx = {"show": show, "today": today, "now": timezone.now(), "gap": rules.URGE_GAP_HOURS}
    if show["reporter"]:
        _reporter(request, person, today, ctx)
    if show["reviewer"]:
        _reviewer(request, person, ctx)
    if show["leader"]:
        _leader(request, person, today, ctx)
    if show["supervisor"]:
        _supervisor(request, person, today, ctx)
    if show["unit_admin"]:
        _unit_admin(request, person, today, ctx)
    ctx["nothing"] = not any(show.values())
    return render(request, "desk/home.html", ctx)


@login_required
@require_POST
def urge(request, pk):
    """催报: POST cycle pk in the URL, unit in the form."""
    cycle = access.visible_cycle(request.user, pk)
    if cycle is None:
        raise Http404
    unit_id = request.POST.get("unit", "")
    unit = access.visible_unit(request.user, int(unit_id)) if unit_id.isdigit() else None
    if unit is None or not services.can_urge(request.user, cycle, unit):
        raise Http404
    try:
        urge = services.urge_unit(cycle, unit, actor=request.user)
    except OutOfScope as exc:
        raise Http404 from exc
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(unit)s urged to report: %(n)s report(s) missing, %(people)s people notified.")
            % {"unit": unit.name, "n": urge.missing, "people": urge.recipients},
        )
    return redirect(f"{reverse('desk:home')}?{urlencode({'cycle': cycle.pk})}#units")
