"""Problem pages (问题分级解决): the list, a problem with its whole timeline and the forms to
answer it, the form to raise one on a task (from a report, prefilled from its 存在问题), and the
panels on the task page and the report page. Thin: scoped reads through access.*, every change
through services.problems."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.forms import VersionedFormMixin
from luoshi.dispatch.access import can_report
from luoshi.dispatch.models import Report
from luoshi.ledger import access as ledger_access
from luoshi.ledger.forms import BootstrapMixin
from luoshi.org.models import Unit

from .. import access
from ..models import Problem
from ..services import problems as services

PAGE_SIZE = 50
PANEL_SIZE = 10
MINE = {"assigned": gettext_lazy("assigned to me"), "raised": gettext_lazy("raised by me")}


# --- forms ----------------------------------------------------------------------------------


class RaiseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Problem"), max_length=services.TITLE_MAX)
    description = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What has been tried, and what help is needed from above."),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("For unit"), queryset=Unit.objects.none(), required=False
    )
    report = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(units) > 1:
            self.fields["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in units])
            self.fields["unit"].empty_label = None
        else:
            del self.fields["unit"]


class _ActionForm(VersionedFormMixin, BootstrapMixin, forms.Form):
    """One of the answers on a problem's page; carries the version the page showed."""

    action = ""

    def __init__(self, *args, problem: Problem, **kwargs):
        self.instance = problem  # VersionedFormMixin reads the version from it
        kwargs.setdefault("auto_id", f"{self.action}_%s")  # one hidden version input per form
        super().__init__(*args, **kwargs)


class RespondForm(_ActionForm):
    action = "respond"
    text = forms.CharField(
        label=gettext_lazy("Response"), widget=forms.Textarea(attrs={"rows": 3, "id": "id_text"})
    )


class ResolveForm(_ActionForm):
    action = "resolve"
    resolution = forms.CharField(
        label=gettext_lazy("How it was resolved"),
        widget=forms.Textarea(attrs={"rows": 3, "id": "id_resolution"}),
    )


class UnsolvableForm(_ActionForm):
    action = "unsolvable"
    reasons = forms.CharField(
        label=gettext_lazy("Why it cannot be solved"),
        widget=forms.Textarea(attrs={"rows": 3, "id": "id_reasons"}),
    )


ACTION_FORMS = {f.action: f for f in (RespondForm, ResolveForm, UnsolvableForm)}


# --- helpers --------------------------------------------------------------------------------


def _decorate(problems, today) -> list[Problem]:
    """What the templates show beside each problem: its level in words and whether it is past
    its SLA."""
    out = list(problems)
    for p in out:
        p.level_text = services.level_label(p.level)
        p.overdue = bool(p.status == Problem.Status.OPEN and p.sla_due_on and p.sla_due_on < today)
    return out


def _problem(request, pk) -> Problem:
    """A problem the person may read, or 404 (out of scope looks like missing)."""
    problem = (
        access.problems_for(request.user)
        .select_related(
            "task",
            "task__plan",
            "task__plan__owner_unit",
            "unit",
            "raised_by",
            "assignee",
            "closed_by",
            "report__slot__unit",
        )
        .filter(pk=pk)
        .first()
    )
    if problem is None:
        raise Http404
    return problem


def _may_raise(person, task) -> bool:
    return services.can_raise(person, task)


def _report_for(task, value) -> Report | None:
    value = str(value or "").strip()
    if not value.isdigit():
        return None
    return (
        Report.objects.filter(pk=int(value), slot__task=task).select_related("slot__unit").first()
    )


def _prefill(report: Report) -> dict:
    text = (report.problems or "").strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return {"title": first[: services.TITLE_MAX], "description": text, "report": report.pk}


# --- pages ----------------------------------------------------------------------------------


@login_required
def problem_list(request):
    qs = access.problems_for(request.user).select_related("task", "unit", "assignee", "raised_by")
    status = request.GET.get("status", "")
    if status in Problem.Status.values:
        qs = qs.filter(status=status)
    level = request.GET.get("level", "")
    if level.isdigit():
        qs = qs.filter(level=int(level))
    mine = request.GET.get("mine", "")
    if mine == "assigned":
        qs = qs.filter(assignee=request.user)
    elif mine == "raised":
        qs = qs.filter(raised_by=request.user)
    # "open" sorts before "resolved" and "unsolvable": open problems first, the most urgent
    # first among them.
    qs = qs.order_by("status", "sla_due_on", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _decorate(page.object_list, timezone.localdate())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/problem_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "statuses": Problem.Status.choices,
            "levels": [(n, services.level_label(n)) for n in (1, 2, 3)],
            "mine_choices": list(MINE.items()),
            "status": status,
            "level": level,
            "mine": mine,
        },
    )


def _detail(request, problem: Problem, bound: dict | None = None, status: int = 200):
    today = timezone.localdate()
    _decorate([problem], today)
    steps = list(problem.steps.select_related("actor").order_by("at", "pk"))
    for s in steps:
        s.level_text = services.level_label(s.level)
    is_open = problem.status == Problem.Status.OPEN
    may_answer = is_open and services.can_answer(request.user, problem)
    may_respond = is_open and (may_answer or services.can_respond(request.user, problem))
    bound = bound or {}
    forms_ = {
        action: bound.get(action) or form(problem=problem) for action, form in ACTION_FORMS.items()
    }
    return render(
        request,
        "supervision/problem_detail.html",
        {
            "problem": problem,
            "steps": steps,
            "may_answer": may_answer,
            "may_respond": may_respond,
            "respond_form": forms_["respond"],
            "resolve_form": forms_["resolve"],
            "unsolvable_form": forms_["unsolvable"],
            # Shown above the forms: a stale version may mean the problem has just been closed
            # by someone else, and then no form is shown.
            "errors": [
                e
                for f in bound.values()
                for e in (*f.non_field_errors(), *f.errors.get("version", ()))
            ],
        },
        status=status,
    )


@login_required
def problem_detail(request, pk):
    return _detail(request, _problem(request, pk))


def _act(request, pk, action: str):
    problem = _problem(request, pk)
    form = ACTION_FORMS[action](request.POST, problem=problem)
    status = 400
    if form.is_valid():
        data, version = form.cleaned_data, form.cleaned_data["version"]
        try:
            if action == "respond":
                services.respond_problem(
                    problem, actor=request.user, version=version, text=data["text"]
                )
                messages.success(request, _("Response recorded."))
            elif action == "resolve":
                services.resolve_problem(
                    problem, actor=request.user, version=version, resolution=data["resolution"]
                )
                messages.success(request, _("Problem resolved."))
            else:
                services.declare_unsolvable(
                    problem, actor=request.user, version=version, reasons=data["reasons"]
                )
                messages.success(request, _("Problem declared unsolvable."))
            return redirect("supervision:problem_detail", pk=problem.pk)
        except StaleVersion as exc:
            # Show the problem as it is now, the text kept, and the version now read: sending
            # it again is a decision taken knowing what changed.
            problem = _problem(request, pk)
            data = request.POST.copy()
            data["version"] = str(problem.version)
            form = ACTION_FORMS[action](data, problem=problem)
            form.is_valid()
            form.add_error(None, str(exc))
            status = 409
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    elif "version" in form.errors:
        status = 409  # opened without a version: the same answer as a stale one
    return _detail(request, problem, {action: form}, status)


@login_required
@require_POST
def problem_respond(request, pk):
    return _act(request, pk, "respond")


@login_required
@require_POST
def problem_resolve(request, pk):
    return _act(request, pk, "resolve")


@login_required
@require_POST
def problem_unsolvable(request, pk):
    return _act(request, pk, "unsolvable")


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request, task_pk):
    task = ledger_access.get_task(request.user, task_pk)
    if not _may_raise(request.user, task):
        raise OutOfScope(_("You may not raise problems on this task."))
    report = _report_for(task, request.POST.get("report") or request.GET.get("report"))
    units = access.task_units_for(request.user, task)
    initial = _prefill(report) if report is not None else {}
    if report is not None and any(u.pk == report.slot.unit_id for u in units):
        initial["unit"] = report.slot.unit_id
    form = RaiseForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            problem = services.raise_problem(
                task,
                actor=request.user,
                title=d["title"],
                description=d["description"],
                unit=d.get("unit"),
                report=report,
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(
                request,
                _("Problem raised: it is now with %(who)s.")
                % {"who": problem.assignee.display_name if problem.assignee else _("nobody yet")},
            )
            return redirect("supervision:problem_detail", pk=problem.pk)
    return render(
        request,
        "supervision/problem_form.html",
        {"task": task, "form": form, "report": report},
        status=400 if request.method == "POST" else 200,
    )


# --- panels ---------------------------------------------------------------------------------


def task_panel(request, task) -> str:
    """The task's problems, open first, and a link to raise one for those who may."""
    problems = _decorate(
        Problem.objects.filter(task=task)
        .select_related("assignee")
        .order_by("status", "sla_due_on", "-pk")[:PANEL_SIZE],
        timezone.localdate(),
    )
    may_raise = _may_raise(request.user, task)
    if not problems and not may_raise:
        return ""
    return render_to_string(
        "supervision/_problems_panel.html",
        {
            "problems": problems,
            "raise_url": reverse("supervision:problem_create", args=[task.pk]) if may_raise else "",
            "link_id": "task-raise-problem",
            "heading": _("Problem list"),
            "all_url": reverse("supervision:problem_list"),
        },
        request=request,
    )


def report_panel(request, slot) -> str:
    """On the report page: problems needing help from above, raised from this task's reports,
    and the button to raise one from this report (prefilled from its 存在问题)."""
    task = slot.task
    may_raise = can_report(request.user, slot) or (
        access.is_supervisor(request.user) and access.supervises_task(request.user, task)
    )
    problems = _decorate(
        Problem.objects.filter(task=task, report__isnull=False)
        .select_related("assignee")
        .order_by("status", "sla_due_on", "-pk")[:PANEL_SIZE],
        timezone.localdate(),
    )
    if not problems and not may_raise:
        return ""
    raise_url = ""
    if may_raise:
        raise_url = reverse("supervision:problem_create", args=[task.pk])
        report_pk = Report.objects.filter(slot=slot).values_list("pk", flat=True).first()
        if report_pk is not None:
            raise_url += f"?report={report_pk}"
    return render_to_string(
        "supervision/_problems_panel.html",
        {
            "problems": problems,
            "raise_url": raise_url,
            "link_id": "raise-problem",
            "heading": _("Problems needing help from above"),
            "hint": _(
                "A problem the unit cannot solve itself goes to its level's holder; unresolved"
                " past its deadline it climbs to the lead leader, then city leadership."
            ),
        },
        request=request,
    )


urlpatterns = [
    path("problems/", problem_list, name="problem_list"),
    path("problems/<id:pk>/", problem_detail, name="problem_detail"),
    path("problems/<id:pk>/respond/", problem_respond, name="problem_respond"),
    path("problems/<id:pk>/resolve/", problem_resolve, name="problem_resolve"),
    path("problems/<id:pk>/unsolvable/", problem_unsolvable, name="problem_unsolvable"),
    path("tasks/<id:task_pk>/problems/new/", problem_create, name="problem_create"),
]
