"""Experience library pages: the searchable list, a practice with its documents, recording
(optionally from a task: ?task=ID), editing, documents. Thin: reads through access, writes
through services. The task page's panel of similar practices is `task_panel`."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core import uploads
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.ledger import access as ledger_access
from luoshi.org.models import Unit

from . import access, rules, services
from .forms import DocumentForm, PracticeForm, SearchForm

PAGE_SIZE = 30


def _search(request):
    form = SearchForm(request.GET or None, person=request.user)
    d = form.cleaned_data if form.is_valid() else {}
    qs = services.search(
        access.practices_for(request.user),
        q=d.get("q") or "",
        tag=d.get("tag") or "",
        unit=d.get("unit"),
        kind=d.get("kind") or "",
    )
    return form, qs.select_related("unit").prefetch_related("tags")


@login_required
@require_GET
def practice_list(request):
    form, qs = _search(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_record": access.can_record(request.user),
    }
    if request.htmx and request.htmx.target == "practice-results":
        return render(request, "consolidation/_results.html", context)
    return render(request, "consolidation/list.html", context)


def _form_fail(form, exc) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


@login_required
@require_http_methods(["GET", "POST"])
def practice_create(request):
    task = None
    if request.GET.get("task"):
        task = ledger_access.get_task(request.user, request.GET["task"])
    if not access.can_record(request.user, None, task):
        raise OutOfScope(
            _("Only supervisors and unit admins, or whoever reports on the task, record practices.")
        )
    units = access.recordable_units(request.user)
    if task is not None:
        units = units | access.task_units(task)
    initial = {}
    if task is not None:
        initial = {
            "title": task.title,
            "unit": task.primary_unit_id,
            "tags": task.category.name if task.category_id else "",
        }
    form = PracticeForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            practice = services.record_practice(
                actor=request.user,
                kind=d["kind"],
                title=d["title"],
                what=d["what"],
                unit=d["unit"],
                result=d["result"],
                task=task,
                tags=d["tags"],
            )
        except RuleViolation as exc:
            _form_fail(form, exc)
        else:
            messages.success(request, _("Recorded: %(title)s.") % {"title": practice.title})
            return redirect("consolidation:detail", pk=practice.pk)
    return render(
        request,
        "consolidation/form.html",
        {"form": form, "task": task, "practice": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def practice_detail(request, pk):
    practice = access.get_practice(request.user, pk)
    can_edit = access.can_edit(request.user, practice)
    return render(
        request,
        "consolidation/detail.html",
        {
            "practice": practice,
            "task": access.shown_task(request.user, practice),
            "tags": list(practice.tags.all()),
            "documents": list(practice.documents.order_by("pk")),
            "can_edit": can_edit,
            "document_form": DocumentForm() if can_edit else None,
            "max_upload": uploads.max_bytes(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def practice_edit(request, pk):
    practice = access.get_practice(request.user, pk)
    if not access.can_edit(request.user, practice):
        raise OutOfScope(_("You may not change this practice."))
    units = access.recordable_units(request.user)
    if practice.task_id:
        units = units | access.task_units(practice.task)
    units = units | Unit.objects.filter(pk=practice.unit_id)
    form = PracticeForm(request.POST or None, instance=practice, units=units)
    stale = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_practice(
                practice,
                actor=request.user,
                version=d["version"],
                tags=d["tags"],
                **{k: d[k] for k in services.EDITABLE},
            )
        except StaleVersion as exc:
            stale = True
            form.add_error(None, str(exc))
        except RuleViolation as exc:
            _form_fail(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("consolidation:detail", pk=practice.pk)
    return render(
        request,
        "consolidation/form.html",
        {"form": form, "task": None, "practice": practice},
        status=409 if stale else (400 if form.errors else 200),
    )


@login_required
@require_POST
def document_add(request, pk):
    practice = access.get_practice(request.user, pk)
    if not access.can_edit(request.user, practice):
        raise OutOfScope(_("You may not change this practice."))
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
    else:
        try:
            uploads.check_size(upload.size)  # before reading it into memory
            services.add_document(practice, upload.name, upload.read(), actor=request.user)
        except RuleViolation as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Document added."))
    return redirect("consolidation:detail", pk=practice.pk)


@login_required
@require_GET
def document_download(request, pk):
    doc = access.get_document(request.user, pk)
    try:
        data = uploads.read(doc.stored_as)  # size-limited on the way in
    except (OSError, ValueError):
        raise Http404 from None
    resp = HttpResponse(data, content_type=doc.content_type)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(doc.name)
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
@require_POST
def document_remove(request, pk):
    doc = access.get_document(request.user, pk)
    services.remove_document(doc, actor=request.user)
    messages.success(request, _("Document removed."))
    return redirect("consolidation:detail", pk=doc.practice_id)


# --- the task page's panel -----------------------------------------------------------------


def task_panel(request, task) -> str:
    """Up to five practices similar to the task, and a link to record one from it for those
    who may. Nothing when there is neither."""
    if not access.may_read(request.user):
        return ""
    similar = services.similar(task, reader=request.user, limit=rules.PANEL_SIZE)
    record_url = ""
    if access.can_record(request.user, None, task):
        record_url = reverse("consolidation:create") + f"?task={task.pk}"
    if not similar and not record_url:
        return ""
    return render_to_string(
        "consolidation/_task_panel.html",
        {"practices": similar, "record_url": record_url, "all_url": reverse("consolidation:list")},
        request=request,
    )
