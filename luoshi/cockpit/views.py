"""The cockpit (驾驶舱) pages: the leaders' whole view and a unit's own dashboard. Thin: the
figures come from access.cockpit, their chart data and links from charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from luoshi.core.errors import OutOfScope

from . import access, charts


def _chosen_plan(request, plan_list):
    raw = request.GET.get("plan", "")
    if not raw:
        return None
    plan = next((p for p in plan_list if str(p.pk) == raw), None)
    if plan is None:
        raise Http404
    return plan


@login_required
def cockpit(request):
    if not access.sees_cockpit(request.user):
        unit = access.home_unit(request.user)
        if unit is None:
            raise OutOfScope(_("The cockpit is for leaders and supervisors."))
        # Their own unit's dashboard, at the address everyone's navigation links.
        return _page(request, unit)
    return _page(request, None)


@login_required
def unit_dashboard(request, pk: int):
    return _page(request, access.get_unit(request.user, pk))


def _page(request, unit):
    plan_list = access.plans(request.user)
    plan = _chosen_plan(request, plan_list)
    f = access.cockpit(request.user, plan, unit, plan_list=plan_list)
    return render(
        request,
        "cockpit/cockpit.html",
        {
            "plans": plan_list,
            "f": f,
            "data": charts.build(f),
            "charts": charts.chart_options(f),
            "unit": unit,
        },
    )
