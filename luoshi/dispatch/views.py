"""Report pages: my reports, the report form (works on a phone), review, cycles and who has
not reported. Thin: scoped fetches from access.*, changes through services.*."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core import uploads
from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.ledger import access as ledger_access

from . import attachments, services
from .access import (
    can_report,
    can_review,
    cycles_for,
    slots_for,
    slots_to_fill,
    slots_to_review,
)
from .forms import ReportForm, ReviewForm
from .models import Attachment, Cycle, Report, ReviewEvent, Slot


def _slot(request, pk) -> Slot:
    slot = (
        slots_for(request.user)
        .select_related("task", "task__plan", "task__plan__owner_unit", "unit", "cycle", "owner")
        .filter(pk=pk)
        .first()
    )
    if slot is None:
        raise Http404
    return slot


@login_required
def my_reports(request):
    """Reports the person owes (to fill) and reports waiting for their review."""
    related = ("task", "unit", "cycle")
    to_fill = (
        slots_to_fill(request.user).select_related(*related).order_by("due_at", "task__sort_key")
    )
    to_review = slots_to_review(request.user).select_related(*related).order_by("submitted_at")
    return render(
        request,
        "dispatch/my_reports.html",
        {
            "to_fill": Paginator(to_fill, 50).get_page(request.GET.get("page")),
            "to_review": Paginator(to_review, 50).get_page(request.GET.get("rpage")),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request, pk):
    slot = _slot(request, pk)
    may_report = can_report(request.user, slot)
    report = Report.objects.filter(slot=slot).first()
    if report is None:
        # Shown, not stored: reading a page writes nothing; the first save stores it. A
        # reviewer following a "not reported" link sees the slot's state and nothing to edit.
        report = (
            services.prefill_report(slot, author=request.user) if may_report else Report(slot=slot)
        )
    milestones = list(slot.task.milestones.all())
    editable = (
        may_report and slot.status in services.OPEN_SLOT and slot.cycle.status == Cycle.Status.OPEN
    )
    form = ReportForm(request.POST or None, instance=report, milestones=milestones)
    status = 200
    if request.method == "POST":
        if not editable:
            raise Http404
        if form.is_valid():
            data = {
                k: form.cleaned_data[k] for k in services.REPORT_FIELDS if k in form.cleaned_data
            }
            data["milestones_reached"] = {**(report.milestones_reached or {}), **form.reached()}
            version = form.cleaned_data.get("version")
            try:
                if report.pk is None:
                    report, created = services.start_report(slot, actor=request.user)
                    # A report stored by a colleague since this page opened is theirs: stale.
                    version = report.version if created else 0
                elif version is None:
                    version = 0  # an edit that does not say what it read is refused as stale
                fresh = Report.objects.select_related("slot__cycle", "slot__unit").get(pk=report.pk)
                if "submit" in request.POST:
                    services.submit_report(fresh, actor=request.user, version=version, **data)
                    messages.success(request, _("Report submitted."))
                    return redirect("dispatch:my_reports")
                services.save_report(fresh, actor=request.user, version=version, **data)
                messages.success(request, _("Draft saved."))
                return redirect("dispatch:report", pk=slot.pk)
            except StaleVersion as exc:
                form.add_error(None, str(exc))
                status = 409
            except RuleViolation as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        elif "version" in form.errors:  # opened before a colleague stored the report: stale
            status = 409
    events = (
        ReviewEvent.objects.filter(report__slot__task=slot.task, report__slot__unit=slot.unit)
        .select_related("actor", "report__slot")
        .order_by("-at")[:50]
    )
    return render(
        request,
        "dispatch/report_form.html",
        {
            "slot": slot,
            "report": report,
            "form": form,
            "editable": editable,
            "can_review": can_review(request.user, slot) and slot.status == Slot.Status.SUBMITTED,
            "review_form": ReviewForm(),
            "events": events,
            "attachments": report.attachments.all() if report.pk else (),
        },
        status=status,
    )


@login_required
@require_POST
def review(request, pk):
    slot = _slot(request, pk)
    report = get_object_or_404(Report, slot=slot)
    form = ReviewForm(request.POST)
    form.is_valid()
    try:
        services.review_report(
            report,
            actor=request.user,
            accept="accept" in request.POST,
            comment=form.cleaned_data.get("comment", ""),
        )
        messages.success(
            request,
            _("Report accepted.")
            if "accept" in request.POST
            else _("Report returned to the owner."),
        )
    except RuleViolation as exc:
        messages.error(request, str(exc))
        return redirect("dispatch:report", pk=pk)
    return redirect("dispatch:my_reports")


@login_required
@require_POST
def attach(request, pk):
    slot = _slot(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
    else:
        try:
            report, _created = services.start_report(slot, actor=request.user)
            uploads.check_size(upload.size)  # before reading it into memory
            services.add_attachment(report, upload.name, upload.read(), actor=request.user)
            messages.success(request, _("File attached."))
        except RuleViolation as exc:
            messages.error(request, str(exc))
    return redirect("dispatch:report", pk=pk)


@login_required
def attachment(request, pk):
    att = get_object_or_404(
        Attachment.objects.select_related("report__slot"),
        pk=pk,
        report__slot__in=slots_for(request.user),
    )
    resp = FileResponse(
        attachments.path_of(att).open("rb"),
        as_attachment=True,
        filename=att.name,
        content_type=att.content_type,
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
def cycle_list(request):
    cycles = (
        cycles_for(request.user)
        .select_related("plan")
        .annotate(
            total=Count("slots"),
            done=Count(
                "slots", filter=Q(slots__status__in=[Slot.Status.SUBMITTED, Slot.Status.ACCEPTED])
            ),
        )
        .order_by("-due_at")
    )
    return render(
        request,
        "dispatch/cycle_list.html",
        {"page": Paginator(cycles, 50).get_page(request.GET.get("page"))},
    )


@login_required
def cycle_detail(request, pk):
    cycle = get_object_or_404(cycles_for(request.user).select_related("plan"), pk=pk)
    rows = services.missing(cycle, reader=request.user)
    return render(
        request,
        "dispatch/cycle_detail.html",
        {
            "cycle": cycle,
            "missing": Paginator(rows, 100).get_page(request.GET.get("page")),
            "can_manage": ledger_access.can_manage_plan(request.user, cycle.plan),
        },
    )
