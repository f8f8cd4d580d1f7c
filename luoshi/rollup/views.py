"""The target roll-up page: a plan's targets and actuals per category and measure, each line a
link to the tasks behind it. Thin: the scoped read is access.rollup."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from luoshi.core.text import json_number
from luoshi.ledger import access as ledger_access

from . import access


@login_required
def rollup(request):
    """The newest plan the person sees (the page offers the others)."""
    plans = list(_plans(request.user))
    return _page(request, plans, plans[0] if plans else None)


@login_required
def plan_rollup(request, pk: int):
    plans = list(_plans(request.user))
    plan = next((p for p in plans if p.pk == pk), None)
    if plan is None:
        raise Http404
    return _page(request, plans, plan)


def _plans(person):
    return ledger_access.plans_for(person).order_by("-year", "name")


def _page(request, plans, plan):
    lines = access.rollup(request.user, plan) if plan is not None else []
    tasks = reverse("ledger:task_list")
    rows = []
    for line in lines:
        params = {"plan": plan.pk}
        if line.category_id:
            params["category"] = line.category_id
        rows.append(
            {
                "line": line,
                "target": json_number(line.target),
                "actual": json_number(line.actual),
                "url": f"{tasks}?{urlencode(params)}",
                "bar": min(100, float(line.rate)) if line.rate is not None else 0,
            }
        )
    return render(
        request,
        "rollup/rollup.html",
        {"plans": plans, "plan": plan, "rows": rows},
    )
