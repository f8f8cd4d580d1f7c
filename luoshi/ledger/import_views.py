"""Import pages: upload → preview (map unknown names) → confirm.

Thin: each step calls one service of luoshi.ledger.importer.service; the preview (GET) and the
marked-up error workbook (GET) write nothing.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core import uploads
from luoshi.core.errors import RuleViolation
from luoshi.core.importing import ImportFailed
from luoshi.org.access import visible_people, visible_units
from luoshi.org.scope import scope_for

from . import access
from .importer import service as importer
from .importer.forms import ImportStartForm
from .models import ImportBatch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request, qs, size):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _batch(request, pk) -> ImportBatch:
    batch = get_object_or_404(ImportBatch.objects.select_related("owner_unit"), pk=pk)
    if not importer.can_use_batch(request.user, batch):
        raise Http404
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    if not access.can_create_plans(request.user):
        raise PermissionDenied
    plans = importer.manageable_plans(request.user)
    initial = {}
    if request.GET.get("plan"):
        plan = access.get_plan(request.user, request.GET["plan"])
        initial = {
            "plan": plan.pk if plans.filter(pk=plan.pk).exists() else None,
            "plan_name": plan.name,
            "year": plan.year,
            "owner_unit": plan.owner_unit_id,
        }
    form = ImportStartForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        units=visible_units(request.user),
        plans=plans,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            uploads.check_size(upload.size)  # before reading it into memory
            batch = importer.start_import(
                actor=request.user,
                filename=upload.name,
                data=upload.read(),
                plan_name=form.cleaned_data["plan_name"],
                year=form.cleaned_data["year"],
                owner_unit=form.cleaned_data["owner_unit"],
            )
        except RuleViolation as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("ledger:import_preview", pk=batch.pk)
    return render(request, "ledger/import_start.html", {"form": form})


def _mapping(request) -> tuple[dict, list[str]]:
    """The mapping form's names → ids within the user's scope, and the names not found.
    A name is mapped by typing a unit's (person's) name in `unit:<name>` (`person:<name>`), or
    by choosing one of its suggestions (`pick:<name>` = unit id); a typed name wins."""
    mapping: dict[str, dict[str, int]] = {"units": {}, "people": {}}
    errors = []
    units, people = visible_units(request.user), visible_people(request.user)
    picks = {
        key.partition(":")[2]: value
        for key, value in request.POST.items()
        if key.startswith("pick:") and value.isdigit()
    }
    if picks:
        found = dict(units.filter(pk__in=[int(v) for v in picks.values()]).values_list("pk", "pk"))
        for name, value in picks.items():
            if int(value) in found:
                mapping["units"][name] = int(value)
    for key, value in request.POST.items():
        value = value.strip()
        kind, _sep, name = key.partition(":")
        if not value or kind not in ("unit", "person"):
            continue
        if kind == "unit":
            found = units.filter(name=value).first() or units.filter(short_name=value).first()
            missing = _("No unit named “%(name)s” in your scope.")
        else:
            found = people.filter(full_name=value).first()
            missing = _("No person named “%(name)s”.")
        if found is None:
            errors.append(missing % {"name": value})
        else:
            mapping["units" if kind == "unit" else "people"][name] = found.pk
    return mapping, errors


def _bulk(request, batch, mapping: dict) -> list[str]:
    """The bulk step: every name still to confirm (and not mapped in the same form) is to be
    created — units under the parent chosen, people in their tasks' units. Adds to `mapping`;
    returns the errors (no parent, or one the user may not add units to)."""
    parent_id = request.POST.get("parent", "")
    parent = (
        visible_units(request.user).filter(pk=parent_id).first() if parent_id.isdigit() else None
    )
    if parent is None or not scope_for(request.user).manages_unit(parent):
        return [_("Choose the unit the new units go under.")]
    report = importer.preview_import(batch, actor=request.user)
    mapping["create_units"] = {
        n: parent.pk for n in report.pending.get("units", []) if n not in mapping["units"]
    }
    if request.POST.get("people", "1") == "1":
        mapping["create_people"] = [
            n for n in report.pending.get("people", []) if n not in mapping["people"]
        ]
    return []


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, pk):
    batch = _batch(request, pk)
    map_errors = []
    if request.method == "POST":
        mapping, map_errors = _mapping(request)
        if request.POST.get("action") == "bulk" and not map_errors:
            map_errors = _bulk(request, batch, mapping)
        if not map_errors or any(mapping.values()):
            try:
                importer.map_import_names(batch, mapping, actor=request.user)
            except RuleViolation as exc:
                messages.info(request, str(exc))
                return redirect("ledger:plan_list")
        if not map_errors:
            query = "?create=1" if request.POST.get("create") == "1" else ""
            return redirect(reverse("ledger:import_preview", args=[batch.pk]) + query)
    create_missing = request.GET.get("create") == "1" or request.POST.get("create") == "1"
    try:
        report = importer.preview_import(batch, actor=request.user, create_missing=create_missing)
    except FileNotFoundError:
        raise Http404 from None  # the stored file is gone: upload it again
    pending = report.pending or {"units": [], "people": []}
    errors = [e for e in report.errors if not e.get("pending")]
    pending_count = len(pending["units"]) + len(pending["people"])
    suggestions = importer.suggestions(request.user, pending["units"])
    parents = [u for u in visible_units(request.user).order_by("path")[:2000]]
    scope = scope_for(request.user)
    parents = [u for u in parents if scope.manages_unit(u)]
    return render(
        request,
        "ledger/import_preview.html",
        {
            "batch": batch,
            "report": report,
            "errors": errors,
            "pending": pending,
            "pending_count": pending_count,
            "pending_label": ngettext(
                "%(n)s name to confirm", "%(n)s names to confirm", pending_count
            )
            % {"n": pending_count},
            "unit_rows": [(n, suggestions.get(n, [])) for n in pending["units"]],
            "parents": parents,
            "default_parent": batch.owner_unit_id or (parents[0].pk if parents else None),
            "outcomes": _page(request, report.outcomes, 200),
            "map_errors": map_errors,
            "create_missing": create_missing,
            "unit_names": visible_units(request.user).values_list("name", flat=True)[:2000],
            "can_confirm": not report.errors,
        },
    )


@login_required
@require_GET
def import_errors(request, pk):
    """The uploaded workbook with the preview's faulty cells marked and commented."""
    batch = _batch(request, pk)
    try:
        data = importer.error_workbook(
            batch, actor=request.user, create_missing=request.GET.get("create") == "1"
        )
    except FileNotFoundError:
        raise Http404 from None
    stem = batch.filename.rsplit(".", 1)[0] or "ledger"
    name = _("%(file)s-errors") % {"file": stem} + ".xlsx"
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@login_required
@require_POST
def import_confirm(request, pk):
    batch = _batch(request, pk)
    create_missing = request.POST.get("create") == "1"
    try:
        report = importer.confirm_import(batch, actor=request.user, create_missing=create_missing)
    except RuleViolation as exc:  # committed already
        messages.info(request, str(exc))
        return redirect("ledger:plan_list")
    except FileNotFoundError:
        raise Http404 from None
    except ImportFailed as exc:
        messages.error(
            request, _("Nothing was written: %(n)s errors remain.") % {"n": len(exc.report.errors)}
        )
        return redirect(
            reverse("ledger:import_preview", args=[batch.pk])
            + ("?create=1" if create_missing else "")
        )
    messages.success(
        request,
        _("Imported: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.")
        % {"new": report.new, "changed": report.changed, "unchanged": report.unchanged},
    )
    if report.created["people"]:
        n = len(report.created["people"])
        messages.info(
            request,
            ngettext(
                "%(n)s person was created without a password: give them activation links "
                "(People → Activation links).",
                "%(n)s people were created without a password: give them activation links "
                "(People → Activation links).",
                n,
            )
            % {"n": n},
        )
    return redirect("ledger:plan_detail", pk=batch.plan_id)
