from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render

from .access import visible_people, visible_units
from .scope import scope_for


@login_required
def unit_list(request):
    units = visible_units(request.user).annotate(people_count=Count("people"))
    q = request.GET.get("q", "").strip()
    if q:
        units = units.filter(Q(name__icontains=q) | Q(short_name__icontains=q))
    page = Paginator(units.order_by("path"), 100).get_page(request.GET.get("page"))
    return render(request, "org/unit_list.html", {"page": page, "q": q})


@login_required
def unit_detail(request, pk):
    unit = visible_units(request.user).filter(pk=pk).select_related("parent").first()
    if unit is None:
        raise Http404
    people = visible_people(request.user).filter(unit=unit).prefetch_related("grants")
    children = visible_units(request.user).filter(parent=unit).order_by("path")
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "people": Paginator(people, 100).get_page(request.GET.get("page")),
            "children": children,
            "manages": scope_for(request.user).manages_unit(unit),
        },
    )


@login_required
def people_list(request):
    people = visible_people(request.user).select_related("unit").order_by("full_name", "id")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(full_name__icontains=q) | Q(title__icontains=q))
    page = Paginator(people, 100).get_page(request.GET.get("page"))
    return render(request, "org/people_list.html", {"page": page, "q": q})
