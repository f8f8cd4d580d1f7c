"""Due-process pages: extension requests (申请延期) and appeals (申诉), their lists, the request
forms, the detail pages where the lead leader or a supervisor decides, and the panel on the
ledger's task page. Thin: scoped reads through access.*, changes through services.due_process."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.forms import VersionedFormMixin
from luoshi.ledger import access as ledger_access
from luoshi.org.scope import scope_for

from ..access import appeals_for, extensions_for
from ..models import Appeal, Decision, Extension
from ..services import due_process as services

PAGE_SIZE = 50
PANEL_ROWS = 5


# --- forms ---------------------------------------------------------------------------------


class ExtensionRequestForm(forms.Form):
    requested_deadline = forms.DateField(
        label=gettext_lazy("New deadline asked for"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reasons"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Grounds of the appeal"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )


class ExtensionDecideForm(VersionedFormMixin, forms.ModelForm):
    """Only the version is the record's: the reasons go to the service, which writes them."""

    reason = forms.CharField(
        label=gettext_lazy("Reasons for the decision"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    class Meta:
        model = Extension
        fields: list[str] = []


class AppealDecideForm(ExtensionDecideForm):
    class Meta:
        model = Appeal
        fields: list[str] = []


# --- helpers -------------------------------------------------------------------------------


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _pending_first(qs, newest: str):
    return qs.annotate(
        waiting=Case(
            When(status=Decision.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", newest, "-pk")


def _filtered(request, qs):
    status = request.GET.get("status", "")
    if status in Decision.values:
        qs = qs.filter(status=status)
    task = request.GET.get("task", "")
    if task.isdigit():
        qs = qs.filter(task_id=int(task))
    query = request.GET.copy()
    query.pop("page", None)
    return qs, query.urlencode(), status


def _scoped_get(qs, pk):
    try:
        return qs.select_related(
            "task", "task__plan", "task__plan__owner_unit", "unit", "decided_by"
        ).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _unit_paths(task) -> list[str] | None:
    """The task's unit paths when the ledger's task page already loaded its units."""
    resp, coop = getattr(task, "resp_units", None), getattr(task, "coop_units", None)
    if resp is None or coop is None:
        return None
    return [a.unit.path for a in (*resp, *coop)]


def _may_request(person, task) -> bool:
    """access.reports_on, read from the units the task page already holds (no query)."""
    scope = scope_for(person)
    if scope.is_admin or task.owner_id == person.pk:
        return True
    resp, coop = getattr(task, "resp_units", None), getattr(task, "coop_units", None)
    if resp is None or coop is None:
        return services.can_request(person, task)
    units = [(a.unit_id, a.unit.path) for a in (*resp, *coop)]
    return any(u in scope.report for u, _p in units) or any(
        p.startswith(m) for _u, p in units for m in scope.manage
    )


def _may_decide(person, task) -> bool:
    """services.can_decide, read from the units the task page already holds (no query)."""
    if task.lead_leader_id is not None and task.lead_leader_id == person.pk:
        return True
    scope = scope_for(person)
    if scope.is_admin:
        return True
    if not scope.supervise:
        return False
    if ledger_access.can_manage_plan(person, task.plan):
        return True
    paths = _unit_paths(task)
    if paths is None:
        return services.can_decide(person, task)
    return any(p.startswith(s) for p in paths for s in scope.supervise)


def _waiting(newest_first) -> bool:
    return bool(newest_first) and newest_first[0].status == Decision.PENDING


# --- the task page's panel -----------------------------------------------------------------


def task_panel(request, task) -> str:
    """The task's extension requests and appeals, newest first, with links to ask and appeal
    for those allowed: two queries (the units come from the task page)."""
    user = request.user
    extensions = list(
        Extension.objects.filter(task=task)
        .select_related("unit")
        .order_by("-requested_at", "-pk")[: PANEL_ROWS + 1]
    )
    appeals = list(
        Appeal.objects.filter(task=task)
        .select_related("unit")
        .order_by("-raised_at", "-pk")[: PANEL_ROWS + 1]
    )
    may_request = _may_request(user, task)
    return render_to_string(
        "supervision/_due_process_panel.html",
        {
            "task": task,
            "extensions": extensions[:PANEL_ROWS],
            "more_extensions": len(extensions) > PANEL_ROWS,
            "appeals": appeals[:PANEL_ROWS],
            "more_appeals": len(appeals) > PANEL_ROWS,
            # Only one request of each kind waits at a time; it is the newest one.
            "may_extend": may_request
            and task.deadline is not None
            and task.status not in services.CLOSED_STATUSES
            and not _waiting(extensions),
            "may_appeal": may_request
            and task.light in services.APPEALABLE
            and not _waiting(appeals),
            "may_decide": _may_decide(user, task),
        },
        request=request,
    )


# --- extensions ----------------------------------------------------------------------------


@login_required
def extension_list(request):
    qs = extensions_for(request.user).select_related("task", "unit", "requested_by")
    qs, query, status = _filtered(request, qs)
    return render(
        request,
        "supervision/extension_list.html",
        {
            "page": _page(request, _pending_first(qs, "-requested_at")),
            "query": query,
            "status": status,
            "statuses": Decision.choices,
        },
    )


def _request_task(request, task_pk):
    task = ledger_access.get_task(request.user, task_pk)  # 404 outside the reader's scope
    if not services.can_request(request.user, task):
        raise PermissionDenied(_("Only whoever reports on this task may ask or appeal."))
    return task


@login_required
@require_http_methods(["GET", "POST"])
def extension_new(request, task_pk):
    task = _request_task(request, task_pk)
    form = ExtensionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ext = services.request_extension(
                task,
                actor=request.user,
                requested_deadline=form.cleaned_data["requested_deadline"],
                reason=form.cleaned_data["reason"],
            )
        except OutOfScope as exc:
            raise PermissionDenied(str(exc)) from exc
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Extension requested."))
            return redirect("supervision:extension_detail", pk=ext.pk)
    return render(request, "supervision/extension_form.html", {"task": task, "form": form})


def _decide(request, obj, form, decide, done_messages):
    """POST of a decide form: 409 on a stale version, the form again on a refused rule."""
    if not services.can_decide(request.user, obj.task):
        raise PermissionDenied(_("Only the task's lead leader or a supervisor decides this."))
    if not form.is_valid():
        return 409 if "version" in form.errors else 200
    yes = "approve" in request.POST
    if not yes and "reject" not in request.POST:
        form.add_error(None, _("Choose to approve or to reject."))
        return 200
    try:
        decide(
            obj,
            actor=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            yes=yes,
        )
    except StaleVersion as exc:
        form.add_error(None, str(exc))
        return 409
    except OutOfScope as exc:
        raise PermissionDenied(str(exc)) from exc
    except RuleViolation as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return 200
    messages.success(request, done_messages[yes])
    return None


@login_required
@require_http_methods(["GET", "POST"])
def extension_detail(request, pk):
    ext = _scoped_get(extensions_for(request.user).select_related("requested_by"), pk)
    form = ExtensionDecideForm(request.POST or None, instance=ext)
    status = 200
    if request.method == "POST":
        status = _decide(
            request,
            ext,
            form,
            lambda obj, yes, **kw: services.decide_extension(obj, approve=yes, **kw),
            {True: _("Extension approved."), False: _("Extension rejected.")},
        )
        if status is None:
            return redirect("supervision:extension_detail", pk=ext.pk)
    return render(
        request,
        "supervision/extension_detail.html",
        {
            "ext": ext,
            "form": form,
            "may_decide": ext.status == Decision.PENDING
            and services.can_decide(request.user, ext.task),
        },
        status=status,
    )


# --- appeals -------------------------------------------------------------------------------


@login_required
def appeal_list(request):
    qs = appeals_for(request.user).select_related("task", "unit", "raised_by")
    qs, query, status = _filtered(request, qs)
    return render(
        request,
        "supervision/appeal_list.html",
        {
            "page": _page(request, _pending_first(qs, "-raised_at")),
            "query": query,
            "status": status,
            "statuses": Decision.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_new(request, task_pk):
    task = _request_task(request, task_pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.appeal_light(
                task, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except OutOfScope as exc:
            raise PermissionDenied(str(exc)) from exc
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Appeal lodged."))
            return redirect("supervision:appeal_detail", pk=appeal.pk)
    return render(request, "supervision/appeal_form.html", {"task": task, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request, pk):
    appeal = _scoped_get(appeals_for(request.user).select_related("raised_by"), pk)
    form = AppealDecideForm(request.POST or None, instance=appeal)
    status = 200
    if request.method == "POST":
        status = _decide(
            request,
            appeal,
            form,
            lambda obj, yes, **kw: services.decide_appeal(obj, uphold=yes, **kw),
            {True: _("Appeal upheld."), False: _("Appeal rejected.")},
        )
        if status is None:
            return redirect("supervision:appeal_detail", pk=appeal.pk)
    return render(
        request,
        "supervision/appeal_detail.html",
        {
            "appeal": appeal,
            "form": form,
            "may_decide": appeal.status == Decision.PENDING
            and services.can_decide(request.user, appeal.task),
        },
        status=status,
    )


urlpatterns = [
    path("extensions/", extension_list, name="extension_list"),
    path("extensions/<id:pk>/", extension_detail, name="extension_detail"),
    path("tasks/<id:task_pk>/extension/new/", extension_new, name="extension_new"),
    path("appeals/", appeal_list, name="appeal_list"),
    path("appeals/<id:pk>/", appeal_detail, name="appeal_detail"),
    path("tasks/<id:task_pk>/appeal/new/", appeal_new, name="appeal_new"),
]
