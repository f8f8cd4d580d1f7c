"""Integrity signals (形式主义) for supervisors: counted per unit, listed with links to the task
and the report behind each, filtered by kind and unit; and a button to scan now (the daily job
scans too). Others are refused (403): signals are for supervisors only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from luoshi.core.errors import OutOfScope

from ..access import can_recompute, is_supervisor, signals_for
from ..models import Signal
from ..services import integrity as services

PAGE_SIZE = 50


def _supervisor(request) -> None:
    if not is_supervisor(request.user):
        raise PermissionDenied(_("Integrity signals are for supervisors."))


@login_required
def integrity(request):
    _supervisor(request)
    signals = signals_for(request.user)
    counts = services.counts_per_unit(signals)
    kind = request.GET.get("kind", "")
    if kind in Signal.Kind.values:
        signals = signals.filter(kind=kind)
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        signals = signals.filter(unit_id=int(unit))
    signals = signals.select_related("task", "unit", "report").order_by("-on", "-pk")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/signal_list.html",
        {
            "page": Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "per_unit": counts,
            "kinds": Signal.Kind.choices,
            "kind": kind,
            "unit": unit,
            "may_scan": can_recompute(request.user),
        },
    )


@login_required
@require_POST
def integrity_scan(request):
    _supervisor(request)
    try:
        result = services.scan_signals(actor=request.user)
    except OutOfScope as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(
        request,
        _("Scanned %(reports)d reports: %(added)d new signals.")
        % {"reports": result["reports"], "added": result["added"]},
    )
    return redirect("supervision:integrity")


urlpatterns = [
    path("integrity/", integrity, name="integrity"),
    path("integrity/scan/", integrity_scan, name="integrity_scan"),
]
