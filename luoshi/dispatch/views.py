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


def _report_of(request, slot: Slot, may_report: bool) -> Report:
    report = Report.objects.filter(slot=slot).first()
    if report is None:
        # Shown, not stored: reading a page writes nothing; the first save stores it. A
        # reviewer following a "not reported" link sees the slot's state and nothing to edit.
        report = (
            services.prefill_report(slot, author=request.user) if may_report else Report(slot=slot)
        )
    return report


def _editable(slot: Slot, may_report: bool) -> bool:
    return (
        may_report and slot.status in services.OPEN_SLOT and slot.cycle.status == Cycle.Status.OPEN
    )


def _report_form(request, slot: Slot, report: Report) -> ReportForm:
    data = request.POST if request.method == "POST" else None
    return ReportForm(data, instance=report, milestones=list(slot.task.milestones.all()))


def _read_upload(upload) -> tuple[tuple[str, bytes], ...]:
    if upload is None:
        return ()
    uploads.check_size(upload.size)  # before reading it into memory
    return ((upload.name, upload.read()),)


def _keep(request, slot: Slot, report: Report, form: ReportForm, *, submit: bool):
    """Save what the form holds (text first, then the chosen file, then the submission) in
    one transaction. Returns (report, None) or (None, the HTTP status of the refusal) with the
    reason added to the form; the form still holds every typed word."""
    upload = request.FILES.get("file")
    if not form.is_valid():
        # Opened before a colleague stored the report: stale.
        return None, 409 if "version" in form.errors else 400
    data = {k: form.cleaned_data[k] for k in services.REPORT_FIELDS if k in form.cleaned_data}
    data["milestones_reached"] = {**(report.milestones_reached or {}), **form.reached()}
    version = form.cleaned_data.get("version")
    if report.pk is not None and version is None:
        version = 0  # an edit that does not say what it read is refused as stale
    try:
        kept = services.save_draft(
            slot,
            actor=request.user,
            version=version,
            data=data,
            files=_read_upload(upload),
            submit=submit,
        )
    except StaleVersion as exc:
        form.add_error(None, str(exc))
        return None, 409
    except RuleViolation as exc:
        if exc.field == "file":
            form.attach_error = str(exc)
        else:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return None, 400
    return kept, None


def _render(request, slot, report, *, form=None, review_form=None, status=200):
    may_report = can_report(request.user, slot)
    editable = _editable(slot, may_report)
    form = form or _report_form(request, slot, report)
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
            "task": slot.task,
            "report": report,
            "form": form,
            "editable": editable,
            "attach_error": getattr(form, "attach_error", ""),
            "can_review": can_review(request.user, slot) and slot.status == Slot.Status.SUBMITTED,
            "review_form": review_form or ReviewForm(),
            "events": events,
            "attachments": report.attachments.all() if report.pk else (),
            "max_upload": uploads.max_bytes(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request, pk):
    slot = _slot(request, pk)
    may_report = can_report(request.user, slot)
    report = _report_of(request, slot, may_report)
    form = _report_form(request, slot, report)
    if request.method == "GET":
        return _render(request, slot, report, form=form)
    if not _editable(slot, may_report):
        raise Http404
    submit = "submit" in request.POST
    attaching = bool(request.FILES.get("file"))
    kept, status = _keep(request, slot, report, form, submit=submit)
    if kept is None:
        return _render(request, slot, report, form=form, status=status)
    if submit:
        messages.success(request, _("Report submitted."))
        return redirect("dispatch:my_reports")
    if attaching:
        messages.success(request, _("Draft saved and file attached."))
    elif "attach" in request.POST:
        messages.warning(request, _("Draft saved. No file was chosen to attach."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("dispatch:report", pk=slot.pk)


@login_required
@require_POST
def review(request, pk):
    slot = _slot(request, pk)
    report = get_object_or_404(Report, slot=slot)
    form = ReviewForm(request.POST)
    accept = "accept" in request.POST
    if form.is_valid():
        try:
            services.review_report(
                report, actor=request.user, accept=accept, comment=form.cleaned_data["comment"]
            )
        except RuleViolation as exc:
            if exc.field != "comment":
                messages.error(request, str(exc))
                return redirect("dispatch:report", pk=pk)
            form.add_error("comment", str(exc))
        else:
            messages.success(
                request, _("Report accepted.") if accept else _("Report returned to the owner.")
            )
            return redirect("dispatch:my_reports")
    # The page again, with the comment as typed and the reason beside it.
    return _render(request, slot, report, review_form=form, status=400)


@login_required
@require_POST
def attach(request, pk):
    """Attach a file. From the report page (htmx, the whole form posted), the typed text is
    kept as the draft first, in the same transaction, and only the attachment block comes
    back (with the report's new version for the form); without the form's fields, only the
    file is attached."""
    slot = _slot(request, pk)
    upload = request.FILES.get("file")
    with_text = "progress" in request.POST
    if not with_text:
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
    may_report = can_report(request.user, slot)
    if not _editable(slot, may_report):
        raise Http404
    report = _report_of(request, slot, may_report)
    form = _report_form(request, slot, report)
    if upload is None:
        kept, status = None, 400
        form.attach_error = _("Choose a file.")
    else:
        kept, status = _keep(request, slot, report, form, submit=False)
    if not request.htmx:  # the same form posted here without script: the whole page
        if kept is None:
            return _render(request, slot, report, form=form, status=status)
        messages.success(request, _("Draft saved and file attached."))
        return redirect("dispatch:report", pk=slot.pk)
    report = kept or Report.objects.filter(slot=slot).first() or report
    return render(
        request,
        "dispatch/_attachments.html",
        {
            "slot": slot,
            "editable": True,
            "attachments": report.attachments.all() if report.pk else (),
            "attach_error": "" if kept else getattr(form, "attach_error", "") or _errors(form),
            "attach_ok": _("Draft saved and file attached.") if kept else "",
            "new_version": kept.version if kept else None,
            "max_upload": uploads.max_bytes(),
        },
        status=status or 200,
    )


def _errors(form) -> str:
    """A form's errors in one line, each after the label of its field."""
    out = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for e in errors:
            if field is None or name == "version":
                out.append(str(e))
            else:
                out.append(_("%(field)s: %(error)s") % {"field": field.label, "error": e})
    return " ".join(out)


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
    unit = request.GET.get("unit", "")
    unit_id = int(unit) if unit.isdigit() and len(unit) < 12 else None
    rows = services.missing(cycle, reader=request.user, unit_id=unit_id)
    return render(
        request,
        "dispatch/cycle_detail.html",
        {
            "cycle": cycle,
            "unit_id": unit_id,
            "query": f"unit={unit_id}" if unit_id is not None else "",
            "missing": Paginator(rows, 100).get_page(request.GET.get("page")),
            "can_manage": ledger_access.can_manage_plan(request.user, cycle.plan),
        },
    )
