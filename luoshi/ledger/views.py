"""Ledger pages. Thin: fetch through access.*, change through services.*, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core.calendar import current_calendar
from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.core.pagination import late_page
from luoshi.org.access import visible_people, visible_units
from luoshi.org.scope import scope_for

from . import access, rules, services
from .exporter import XLSX_CONTENT_TYPE, count_rows, export_to_file
from .filters import TaskFilter
from .forms import MilestoneForm, PlanForm, TaskForm
from .history import present, task_history
from .models import Assignment, Category, ExportJob, ImportBatch, Milestone, Plan, Task

PAGE_SIZE = 50


def _posted_version(request) -> int:
    """The version a page's form was opened with; a form without one is refused as stale
    (a number no row has) rather than allowed to overwrite blindly."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _page(request, qs, size=PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _with_units(tasks):
    """Attach responsible/cooperating unit names to a page of tasks (one query), and whether
    each is overdue (逾期) today."""
    today = timezone.localdate()
    ids = [t.pk for t in tasks]
    by_task: dict[int, dict[str, list]] = {i: {"responsible": [], "cooperating": []} for i in ids}
    for a in (
        Assignment.objects.filter(task_id__in=ids)
        .select_related("unit")
        .order_by("role", "position")
    ):
        by_task[a.task_id][a.role].append(a)
    for t in tasks:
        t.resp_units = by_task[t.pk]["responsible"]
        t.coop_units = by_task[t.pk]["cooperating"]
    return _mark_overdue(tasks, today)


def _mark_overdue(tasks, today):
    for t in tasks:
        t.overdue = rules.is_overdue(t.deadline, t.status, today)
        t.overdue_days = (today - t.deadline).days if t.overdue else 0
    return tasks


def _with_unit_names(tasks):
    """The ledger table's lighter _with_units: the responsible units' names only (one query,
    no model instances), and whether each task is overdue (逾期) today."""
    today = timezone.localdate()
    names: dict[int, list[str]] = {t.pk: [] for t in tasks}
    for task_id, name in (
        Assignment.objects.filter(task_id__in=list(names), role=Assignment.Role.RESPONSIBLE)
        .order_by("position")
        .values_list("task_id", "unit__name")
    ):
        names[task_id].append(name)
    for t in tasks:
        t.resp_unit_names = names[t.pk]
    return _mark_overdue(tasks, today)


# --- ledger table --------------------------------------------------------------------------


# Filters with no control on the page that a link may carry (lead_leader from a home page's
# count): kept as hidden fields, so changing another filter does not drop them.
KEPT_PARAMS = ("lead_leader", "owner", "parent", "top_level", "deadline_before", "deadline_after")


# Above this many units in view, the unit filter lists only the chosen one and finds the others
# as the user types (the units API): a city's thousand <option>s were half the page's time.
UNIT_OPTIONS_MAX = 300


def _unit_filter(person, chosen: str) -> dict:
    units = visible_units(person).order_by("path")
    rows = list(units.values_list("pk", "name")[: UNIT_OPTIONS_MAX + 1])
    remote = len(rows) > UNIT_OPTIONS_MAX
    if remote:
        rows = list(units.filter(pk=chosen).values_list("pk", "name")) if chosen.isdigit() else []
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if str(pk) == chosen else "", name) for pk, name in rows),
    )
    return {"options": options, "remote": remote}


def _options(choices, chosen) -> dict:
    """A multi-valued filter's checkboxes: (value, label, checked), and the chosen labels."""
    rows = [(str(v), label, str(v) in chosen) for v, label in choices if v != ""]
    return {"rows": rows, "chosen": [label for _v, label, on in rows if on]}


@login_required
def task_list(request, mine: bool = False):
    qs = access.tasks_for(request.user)
    if mine:
        scope = scope_for(request.user)
        qs = qs.filter(
            Q(owner=request.user)
            | Q(assignments__unit_id__in=scope.report)
            | Q(lead_leader=request.user)
        ).distinct()
    f = TaskFilter(request.GET or None, queryset=qs.order_by("plan_id", "sort_key"))
    f.form.fields["plan"].queryset = access.plans_for(request.user)
    f.form.fields["unit"].queryset = visible_units(request.user)
    plan_id = request.GET.get("plan", "")
    f.form.fields["category"].queryset = Category.objects.filter(
        plan__in=access.plans_for(request.user), plan_id=plan_id if plan_id.isdigit() else None
    )
    tasks = f.qs if f.is_bound else qs.order_by("plan_id", "sort_key")
    # The ids of the page from the scoped, filtered list; the rows and their joins by id.
    page = late_page(
        tasks,
        request.GET.get("page"),
        PAGE_SIZE,
        lambda: Task.objects.select_related(
            "plan", "category", "lead_leader", "owner", "primary_unit", "shown_light"
        ),
    )
    _with_unit_names(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "filter": f,
        "page": page,
        "mine": mine,
        "query": query.urlencode(),
        "today": timezone.localdate(),
        # Several values each (?status=open&light=red&light=yellow): checkboxes on the page.
        "status_options": _options(f.form.fields["status"].choices, request.GET.getlist("status")),
        "light_options": _options(f.form.fields["light"].choices, request.GET.getlist("light")),
        "kept_params": [(k, v) for k in KEPT_PARAMS for v in request.GET.getlist(k)],
    }
    if request.htmx and request.htmx.target == "ledger-table":
        return render(request, "ledger/_task_table.html", ctx)
    ctx["unit_filter"] = _unit_filter(request.user, request.GET.get("unit", ""))
    return render(request, "ledger/task_list.html", ctx)


@login_required
def my_tasks(request):
    return task_list(request, mine=True)


# --- task pages ----------------------------------------------------------------------------


@login_required
def task_detail(request, pk):
    task = access.get_task(request.user, pk)
    subtasks = _with_units(
        list(
            access.tasks_for(request.user)
            .filter(parent=task)
            .select_related("lead_leader", "owner")
            .order_by("sort_key")
        )
    )
    _with_units([task])
    history_page = _page(request, task_history(task), 20)  # the API's history, too
    cal = current_calendar()
    today = timezone.localdate()
    for a in task.resp_units:
        if a.ack in (Assignment.Ack.PENDING, Assignment.Ack.REASSIGN) and a.handed_off_at:
            a.waiting_days = cal.working_days_between(
                timezone.localtime(a.handed_off_at).date(), today
            )
        a.can_answer = access.can_acknowledge(request.user, a)
    return render(
        request,
        "ledger/task_detail.html",
        {
            "task": task,
            "subtasks": subtasks,
            "milestones": task.milestones.all(),
            "history": history_page,
            "history_rows": present(history_page.object_list),
            "can_manage": access.can_manage_plan(request.user, task.plan),
            "milestone_form": MilestoneForm(),
            "deadline_provisional": bool(task.deadline and cal.is_provisional(task.deadline)),
        },
    )


def _task_form(request, plan, instance=None, data=None):
    return TaskForm(
        data,
        instance=instance,
        plan=plan,
        units=visible_units(request.user),
        people=visible_people(request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request, plan_pk):
    plan = access.get_plan(request.user, plan_pk)
    access.require_manage_plan(request.user, plan)
    form = _task_form(request, plan, data=request.POST or None)
    if request.method == "GET" and request.GET.get("parent"):
        parent = access.tasks_for(request.user).filter(plan=plan, pk=request.GET["parent"]).first()
        if parent:
            form.initial.update(parent=parent.pk, category=parent.category_id)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        d.pop("version", None)
        units = {k: list(d.pop(k)) for k in ("responsible_units", "cooperating_units")}
        try:
            task = services.create_task(plan, actor=request.user, **units, **d)
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Task %(task)s created.") % {"task": task})
            return redirect("ledger:task_detail", pk=task.pk)
    return render(request, "ledger/task_form.html", {"form": form, "plan": plan})


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task = access.get_task(request.user, pk)
    access.require_manage_plan(request.user, task.plan)
    form = _task_form(request, task.plan, instance=task, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = {k: form.cleaned_data[k] for k in form.changed_data if k != "version"}
        units = {k: list(d.pop(k)) for k in ("responsible_units", "cooperating_units") if k in d}
        fresh = Task.objects.select_related("plan", "plan__owner_unit").get(pk=task.pk)
        try:
            services.update_task(
                fresh, actor=request.user, version=form.cleaned_data["version"], **units, **d
            )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            return render(
                request,
                "ledger/task_form.html",
                {"form": form, "plan": task.plan, "task": task},
                status=409,
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Task %(task)s saved.") % {"task": fresh})
            return redirect("ledger:task_detail", pk=task.pk)
    return render(request, "ledger/task_form.html", {"form": form, "plan": task.plan, "task": task})


@login_required
@require_POST
def task_delete(request, pk):
    task = access.get_task(request.user, pk)
    plan_pk = task.plan_id
    try:
        services.delete_task(task, actor=request.user, version=_posted_version(request))
    except StaleVersion as exc:
        messages.error(request, str(exc))
        return redirect("ledger:task_detail", pk=pk)
    messages.success(request, _("Task %(task)s deleted.") % {"task": task})
    return redirect("ledger:plan_detail", pk=plan_pk)


@login_required
@require_POST
def milestone_add(request, pk):
    task = access.get_task(request.user, pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        d = dict(form.cleaned_data)
        d.pop("version", None)
        try:
            services.create_milestone(task, actor=request.user, **d)
        except RuleViolation as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("ledger:task_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request, pk):
    m = get_object_or_404(
        access.milestones_for(request.user).select_related(
            "task", "task__plan", "task__plan__owner_unit"
        ),
        pk=pk,
    )
    access.require_manage_plan(request.user, m.task.plan)
    form = MilestoneForm(request.POST or None, instance=m, initial={"version": m.version})
    if request.method == "POST":
        if "delete" in request.POST:
            try:
                services.delete_milestone(m, actor=request.user, version=_posted_version(request))
            except StaleVersion as exc:
                messages.error(request, str(exc))
            return redirect("ledger:task_detail", pk=m.task_id)
        if form.is_valid():
            d = {k: form.cleaned_data[k] for k in form.changed_data if k != "version"}
            fresh = Milestone.objects.select_related("task__plan__owner_unit").get(pk=m.pk)
            try:
                services.update_milestone(
                    fresh, actor=request.user, version=form.cleaned_data["version"], **d
                )
            except (StaleVersion, RuleViolation) as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("ledger:task_detail", pk=m.task_id)
    return render(request, "ledger/milestone_form.html", {"form": form, "milestone": m})


# --- hand-off ------------------------------------------------------------------------------


def _assignment(request, pk) -> Assignment:
    a = get_object_or_404(
        Assignment.objects.select_related("task", "unit", "task__plan"),
        pk=pk,
        task__in=access.tasks_for(request.user).values("pk"),
    )
    if not access.can_acknowledge(request.user, a):
        raise PermissionDenied(_("You may not answer for %(unit)s.") % {"unit": a.unit})
    return a


@login_required
@require_POST
def acknowledge(request, pk):
    a = _assignment(request, pk)
    try:
        services.acknowledge([a], actor=request.user)
        messages.success(request, _("Acknowledged: %(task)s") % {"task": a.task})
    except RuleViolation as exc:
        messages.error(request, str(exc))
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("ledger:task_detail", pk=a.task_id)


@login_required
@require_POST
def request_reassign(request, pk):
    a = _assignment(request, pk)
    try:
        services.request_reassignment(a, request.POST.get("reason", ""), actor=request.user)
        messages.success(request, _("Reassignment requested."))
    except RuleViolation as exc:
        messages.error(request, str(exc))
    return redirect("ledger:task_detail", pk=a.task_id)


# --- plans ---------------------------------------------------------------------------------


@login_required
def plan_list(request):
    plans = (
        access.plans_for(request.user)
        .select_related("owner_unit")
        .annotate(task_count=Count("tasks"))
        .order_by("-year", "name")
    )
    return render(
        request,
        "ledger/plan_list.html",
        {"page": _page(request, plans), "can_create": access.can_create_plans(request.user)},
    )


@login_required
def plan_detail(request, pk):
    plan = access.get_plan(request.user, pk)
    tasks = access.tasks_for(request.user).filter(plan=plan)
    categories = plan.categories.annotate(
        n=Count("tasks", filter=Q(tasks__in=tasks.values("pk")))
    ).order_by("order")
    can_manage = access.can_manage_plan(request.user, plan)
    pending = (
        services.unacknowledged(Plan.objects.filter(pk=plan.pk), current_calendar())
        if can_manage
        else []
    )
    return render(
        request,
        "ledger/plan_detail.html",
        {
            "plan": plan,
            "categories": categories,
            "can_manage": can_manage,
            "task_count": tasks.count(),
            "pending": pending,
            "imports": plan.imports.filter(status=ImportBatch.Status.COMMITTED)[:10],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    if not access.can_create_plans(request.user):
        raise PermissionDenied
    form = PlanForm(
        request.POST or None,
        units=visible_units(request.user),
        initial={"year": timezone.localdate().year},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(actor=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            form.add_error(exc.field, str(exc))
        else:
            return redirect("ledger:plan_detail", pk=plan.pk)
    return render(request, "ledger/plan_form.html", {"form": form})


@login_required
@require_POST
def plan_deploy(request, pk):
    plan = access.get_plan(request.user, pk)
    n = services.deploy_plan(plan, actor=request.user)
    messages.success(
        request, _("Plan deployed: %(n)s hand-offs sent to responsible units.") % {"n": n}
    )
    return redirect("ledger:plan_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def export(request):
    """Export what the reader can see: one plan, or every plan in scope. Small enough, the
    workbook is streamed in the response; larger, GET offers to prepare it and POST queues the
    job and shows its progress."""
    plans = access.plans_for(request.user)
    plan = None
    raw = request.GET.get("plan") or request.POST.get("plan")
    if raw:
        try:
            pk = int(raw)
        except ValueError:
            return HttpResponseBadRequest(
                _("“%(plan)s” is not a plan number.") % {"plan": raw[:50]},
                content_type="text/plain; charset=utf-8",
            )
        plan = access.get_plan(request.user, pk)
        plans = plans.filter(pk=plan.pk)
    if request.method == "POST":
        job = services.request_export(actor=request.user, plan=plan)
        return redirect("ledger:export_job", pk=job.pk)
    tasks = access.tasks_for(request.user)
    rows = count_rows(plans, tasks)
    if rows > settings.LUOSHI_EXPORT_INLINE_MAX_ROWS:
        return render(request, "ledger/export_large.html", {"plan": plan, "rows": rows})
    name = f"luoshi-ledger-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        export_to_file(plans, tasks),
        as_attachment=True,
        filename=name,
        content_type=XLSX_CONTENT_TYPE,
    )


def _own_export_job(request, pk) -> ExportJob:
    """An export job is the requester's alone: anyone else's is a 404, like a missing one."""
    return get_object_or_404(
        ExportJob.objects.select_related("plan"), pk=pk, requester=request.user
    )


@login_required
@require_http_methods(["GET"])
def export_job(request, pk):
    """The job's progress; htmx polls the bar until the workbook is ready or the job failed."""
    job = _own_export_job(request, pk)
    template = "ledger/_export_progress.html" if request.htmx else "ledger/export_job.html"
    return render(request, template, {"job": job})


@login_required
@require_http_methods(["GET"])
def export_download(request, pk):
    job = _own_export_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.stored_as:
        raise Http404
    path = services.export_path(job)
    if not path.exists():
        raise Http404
    name = f"luoshi-ledger-{timezone.localtime(job.finished_at):%Y%m%d}.xlsx"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
    )
