"""The closed-loop check page: open items lacking their next step, grouped by unit."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from .. import closed_loop

PAGE_SIZE = 50


class _Items:
    """A sequence the paginator slices: counting and each page are a query per source."""

    def __init__(self, person, now, kind, unit_id):
        self.args = {"now": now, "kind": kind, "unit_id": unit_id}
        self.person = person
        self._len = None

    def __len__(self) -> int:
        if self._len is None:
            self._len = closed_loop.count(self.person, **self.args)
        return self._len

    def count(self) -> int:
        return len(self)

    def __getitem__(self, s: slice):
        return closed_loop.items(self.person, offset=s.start, limit=s.stop - s.start, **self.args)


def _int(value) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def check_page(request):
    kinds = {s.kind: s.label for s in closed_loop.sources()}
    kind = request.GET.get("kind") if request.GET.get("kind") in kinds else None
    unit_id = _int(request.GET.get("unit"))
    now = timezone.now()
    units = closed_loop.summary(request.user, now=now)
    page = Paginator(_Items(request.user, now, kind, unit_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode({k: v for k, v in (("kind", kind), ("unit", unit_id)) if v})
    return render(
        request,
        "supervision/closed_loop.html",
        {
            "units": units,
            "kinds": kinds,
            "kind": kind,
            "unit_id": unit_id,
            "unit_name": next((u["unit"] for u in units if u["unit_id"] == unit_id), ""),
            "page": page,
            "query": query,
            "total": sum(u["total"] for u in units),
        },
    )


urlpatterns = [path("closed-loop/", check_page, name="closed_loop")]
