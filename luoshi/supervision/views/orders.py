"""Supervision order pages: the list (flagging overdue responses), issuing, the order with its
steps and the unit's response or the supervisor's verification, and a printable A4 document.
Thin: scoped reads through access.orders_for, changes through services.orders."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core.calendar import current_calendar
from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.core.forms import VersionedFormMixin
from luoshi.core.ids import IdChoiceFilter, IdFilter
from luoshi.ledger import access as ledger_access
from luoshi.ledger.forms import BootstrapMixin
from luoshi.ledger.models import Assignment, Task
from luoshi.org.access import visible_units
from luoshi.org.models import Unit

from ..access import is_supervisor, orders_for, supervises_task
from ..models import Order, OrderStep
from ..services import orders as services

PAGE_SIZE = 50


# --- filters (the API filters the same way) --------------------------------------------------


class OrderFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=Order.Status.choices, label=gettext_lazy("status"))
    unit = IdChoiceFilter(
        queryset=Unit.objects.all(),
        method="filter_unit",
        label=gettext_lazy("unit (with subunits)"),
    )
    task = IdFilter(method="filter_task", label=gettext_lazy("task"))
    overdue = df.BooleanFilter(method="filter_overdue", label=gettext_lazy("overdue"))

    class Meta:
        model = Order
        fields = ["status", "unit", "task", "overdue"]

    def filter_unit(self, qs, name, unit):
        return qs.filter(unit__path__startswith=unit.path) if unit else qs

    def filter_task(self, qs, name, task_id):
        if task_id is None:
            return qs
        # A subquery, not a join: a join would multiply the rows the task count annotates.
        through = Order.tasks.through.objects.filter(task_id=task_id)
        return qs.filter(pk__in=through.values("order_id"))

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        q = services.overdue_q(timezone.localdate())
        return qs.filter(q) if value else qs.exclude(q)


def annotate_overdue(qs, today):
    return qs.annotate(
        is_overdue=Case(
            When(services.overdue_q(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# --- forms -----------------------------------------------------------------------------------


class IssueForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("To unit"))
    tasks = forms.ModelMultipleChoiceField(
        queryset=Task.objects.none(),
        label=gettext_lazy("Tasks concerned"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one task the order is about.")},
    )
    demand = forms.CharField(label=gettext_lazy("Demand"), widget=forms.Textarea(attrs={"rows": 4}))
    respond_by = forms.DateField(
        label=gettext_lazy("Respond by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("A working day after today."),
    )

    def __init__(self, *args, units, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["tasks"].queryset = tasks


class _OrderActionForm(VersionedFormMixin, BootstrapMixin, forms.Form):
    """Carries the version of the order the page showed: a change made on an older page is
    refused (409) instead of acting on a state the person did not see."""

    def __init__(self, *args, order: Order, **kwargs):
        self.instance = order
        super().__init__(*args, **kwargs)


class RespondForm(_OrderActionForm):
    response = forms.CharField(
        label=gettext_lazy("Response"), widget=forms.Textarea(attrs={"rows": 5})
    )


class VerifyForm(_OrderActionForm):
    comment = forms.CharField(
        label=gettext_lazy("Verification remarks (required to send back)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    respond_by = forms.DateField(
        label=gettext_lazy("New date to respond by (when sent back)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Empty: five working days from today."),
    )


# --- reads -----------------------------------------------------------------------------------


def _order(request, pk) -> Order:
    qs = orders_for(request.user).select_related("unit", "issued_by", "responded_by", "closed_by")
    return get_object_or_404(qs, pk=pk)


def _tasks(request, order: Order):
    visible = ledger_access.tasks_for(request.user).values("pk")
    return (
        order.tasks.filter(pk__in=visible)
        .select_related("plan", "shown_light")
        .order_by("plan_id", "sort_key")
    )


def _is_overdue(order: Order, today) -> bool:
    if order.status not in services.AWAITING or order.respond_by >= today:
        return False  # no calendar needed: a date not yet passed is never overdue
    return order.respond_by <= services.last_missed_date(today, current_calendar())


def _render_detail(
    request, order, *, respond_form=None, verify_form=None, status=200, error: str = ""
):
    today = timezone.localdate()
    may_respond = services.can_respond(request.user, order)
    may_verify = services.can_verify(request.user, order)
    if may_respond and order.status in services.AWAITING and respond_form is None:
        respond_form = RespondForm(order=order)
    if may_verify and order.status == Order.Status.RESPONDED and verify_form is None:
        verify_form = VerifyForm(order=order)
    return render(
        request,
        "supervision/order_detail.html",
        {
            "order": order,
            "tasks": _tasks(request, order),
            "steps": order.steps.select_related("actor"),
            "overdue": _is_overdue(order, today),
            "respond_form": respond_form if order.status in services.AWAITING else None,
            "verify_form": verify_form if order.status == Order.Status.RESPONDED else None,
            "may_verify": may_verify,
            "error": error,
        },
        status=status,
    )


def _invalid(request, order, form, **forms_):
    """A page opened without the order's version is treated as stale (409)."""
    if "version" in form.errors:
        return _render_detail(request, order, status=409, error=" ".join(form.errors["version"]))
    return _render_detail(request, order, **forms_)


# --- pages -----------------------------------------------------------------------------------


@login_required
def order_list(request):
    today = timezone.localdate()
    qs = orders_for(request.user).select_related("unit").order_by("-year", "-number")
    f = OrderFilter(request.GET or None, queryset=qs)
    orders = f.qs if f.is_bound else qs
    orders = annotate_overdue(orders.annotate(task_count=Count("tasks", distinct=True)), today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/order_list.html",
        {
            "filter": f,
            "page": Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "units": visible_units(request.user).order_by("path")[:1000],
            "statuses": Order.Status.choices,
            "can_issue": is_supervisor(request.user),
        },
    )


def _unit_tasks(request, unit):
    """The tasks the supervisor sees that `unit` has a part in, in ledger order."""
    if unit is None:
        return Task.objects.none()
    return (
        ledger_access.tasks_for(request.user)
        .filter(pk__in=Assignment.objects.filter(unit=unit).values("task_id"))
        .select_related("plan", "shown_light")
        .order_by("plan_id", "sort_key")
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request):
    if not is_supervisor(request.user):
        raise PermissionDenied(_("Only supervisors issue supervision orders."))
    units = services.issuable_units(request.user).order_by("path")
    data = request.POST if request.method == "POST" else request.GET
    initial = {"respond_by": current_calendar().add_working_days(timezone.localdate(), 5)}
    task = None
    if request.method == "GET" and data.get("task"):
        task = ledger_access.get_task(request.user, data["task"])
        initial["tasks"] = [task.pk]
        # Its primary unit when this supervisor may address it, else its first such unit.
        parts = sorted(
            Assignment.objects.filter(task=task, unit__in=units).select_related("unit"),
            key=lambda a: (
                a.unit_id != task.primary_unit_id,
                a.role != Assignment.Role.RESPONSIBLE,
                a.position,
            ),
        )
        if parts:
            initial["unit"] = parts[0].unit
    unit = initial.get("unit")
    if str(data.get("unit", "")).isdigit():  # the unit picker (GET) or the posted form
        unit = units.filter(pk=data["unit"]).first() or unit
    if unit is not None:
        initial["unit"] = unit
    form = IssueForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        units=units,
        tasks=_unit_tasks(request, unit),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            order = services.issue_order(
                actor=request.user,
                unit=d["unit"],
                tasks=list(d["tasks"]),
                demand=d["demand"],
                respond_by=d["respond_by"],
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Supervision order %(label)s issued.") % {"label": order})
            return redirect("supervision:order_detail", pk=order.pk)
    chosen = {str(v) for v in (form["tasks"].value() or [])}
    return render(
        request,
        "supervision/order_form.html",
        {"form": form, "unit": unit, "task": task, "chosen": chosen},
    )


@login_required
def order_detail(request, pk):
    return _render_detail(request, _order(request, pk))


@login_required
@require_POST
def order_respond(request, pk):
    order = _order(request, pk)
    if not services.can_respond(request.user, order):
        raise PermissionDenied(_("You may not respond for %(unit)s.") % {"unit": order.unit})
    form = RespondForm(request.POST, order=order)
    if not form.is_valid():
        return _invalid(request, order, form, respond_form=form)
    try:
        services.respond_order(
            order,
            actor=request.user,
            version=form.cleaned_data["version"],
            response=form.cleaned_data["response"],
        )
    except StaleVersion as exc:
        # The order as it is now, with what changed it in its steps; the form is not kept.
        return _render_detail(request, _order(request, pk), status=409, error=str(exc))
    except RuleViolation as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _render_detail(request, order, respond_form=form)
    messages.success(request, _("Response sent for %(label)s.") % {"label": order})
    return redirect("supervision:order_detail", pk=pk)


@login_required
@require_POST
def order_verify(request, pk):
    order = _order(request, pk)
    if not services.can_verify(request.user, order):
        raise PermissionDenied(_("Only a supervisor over the unit verifies its orders."))
    form = VerifyForm(request.POST, order=order)
    if not form.is_valid():
        return _invalid(request, order, form, verify_form=form)
    accept = "accept" in request.POST
    try:
        services.verify_order(
            order,
            actor=request.user,
            version=form.cleaned_data["version"],
            accept=accept,
            comment=form.cleaned_data["comment"],
            respond_by=form.cleaned_data["respond_by"],
        )
    except StaleVersion as exc:
        return _render_detail(request, _order(request, pk), status=409, error=str(exc))
    except RuleViolation as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _render_detail(request, order, verify_form=form)
    if accept:
        messages.success(request, _("%(label)s verified and closed.") % {"label": order})
    else:
        messages.success(request, _("%(label)s sent back to the unit.") % {"label": order})
    return redirect("supervision:order_detail", pk=pk)


@login_required
def order_print(request, pk):
    order = _order(request, pk)
    return render(
        request,
        "supervision/order_print.html",
        {
            "order": order,
            "tasks": _tasks(request, order),
            "returns": order.steps.filter(kind=OrderStep.Kind.RETURNED).select_related("actor"),
        },
    )


# --- the task page's panel -------------------------------------------------------------------


def task_panel(request, task) -> str:
    """The task's orders and, for a supervisor over it, a link to issue one. Reads only."""
    through = Order.tasks.through.objects.filter(task_id=task.pk).values("order_id")
    orders = list(
        orders_for(request.user)
        .filter(pk__in=through)
        .select_related("unit")
        .order_by("-year", "-number")[:11]
    )
    may_issue = is_supervisor(request.user) and supervises_task(request.user, task)
    if not orders and not may_issue:
        return ""
    today = timezone.localdate()
    # The calendar (two small reads) only when some answer is already past its date.
    if any(o.status in services.AWAITING and o.respond_by < today for o in orders):
        cutoff = services.last_missed_date(today, current_calendar())
    else:
        cutoff = None
    for o in orders:
        o.is_overdue = bool(cutoff) and o.status in services.AWAITING and o.respond_by <= cutoff
    return render_to_string(
        "supervision/_orders_panel.html",
        {"task": task, "orders": orders[:10], "more": len(orders) > 10, "may_issue": may_issue},
        request=request,
    )


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_new, name="order_new"),
    path("orders/<id:pk>/", order_detail, name="order_detail"),
    path("orders/<id:pk>/respond/", order_respond, name="order_respond"),
    path("orders/<id:pk>/verify/", order_verify, name="order_verify"),
    path("orders/<id:pk>/print/", order_print, name="order_print"),
]
