"""Ledger filters, shared by the web table and the API so both filter the same way."""

import datetime as dt

import django_filters as df
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core.ids import IdChoiceFilter, IdFilter
from luoshi.org.access import subtree_units
from luoshi.org.models import Unit

from . import rules, search
from .models import Assignment, Category, Milestone, Plan, Task, TaskLightChoice, TaskStatus

ORDERINGS = {
    "no": ("plan_id", "sort_key"),
    "deadline": ("deadline", "sort_key"),
    "-deadline": ("-deadline", "sort_key"),
    "unit": ("primary_unit__name", "sort_key"),
    "leader": ("lead_leader__full_name", "sort_key"),
    "status": ("status", "sort_key"),
    "-updated": ("-last_update", "sort_key"),
    "title": ("title", "id"),
}


OPEN = "open"
STATUS_CHOICES = [(OPEN, _("not completed (open)")), *TaskStatus.choices]


# Every status but done and cancelled, named: `status IN (…)` is served by the (status,
# deadline) index, where `NOT status IN (…)` made SQLite read every row past the deadline
# (the city-wide overdue count at 100,000 tasks: 3 ms against 220).
OPEN_STATUSES = tuple(s for s in TaskStatus.values if s not in rules.CLOSED_STATUSES)


def overdue_q(today: dt.date) -> Q:
    """The tasks rules.is_overdue calls overdue, as one condition (set-based)."""
    return Q(deadline__lt=today, status__in=OPEN_STATUSES)


class TaskFilter(df.FilterSet):
    plan = IdChoiceFilter(queryset=Plan.objects.all(), label=_("plan"))
    category = IdChoiceFilter(queryset=Category.objects.all(), label=_("category"))
    unit = IdChoiceFilter(
        queryset=Unit.objects.all(), method="filter_unit", label=_("unit (with subunits)")
    )
    lead_leader = IdFilter(field_name="lead_leader_id", label=_("lead leader"))
    owner = IdFilter(field_name="owner_id", label=_("owner"))
    key_task = df.BooleanFilter(label=_("key task"))
    # ?status=not_started&status=in_progress: any of them; "open" (未完成) is every status but
    # done and cancelled.
    status = df.MultipleChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("status")
    )
    # ?overdue=true: past the deadline and neither done nor cancelled (rules.is_overdue).
    overdue = df.BooleanFilter(method="filter_overdue", label=_("overdue"))
    # ?light=red&light=yellow: any of them.
    light = df.MultipleChoiceFilter(
        field_name="shown_light__light", choices=TaskLightChoice.choices, label=_("light")
    )
    parent = IdFilter(field_name="parent_id", label=_("parent task"))
    top_level = df.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("top-level only")
    )
    deadline_before = df.DateFilter(
        field_name="deadline", lookup_expr="lte", label=_("deadline on or before")
    )
    deadline_after = df.DateFilter(
        field_name="deadline", lookup_expr="gte", label=_("deadline on or after")
    )
    q = df.CharFilter(method="filter_q", label=_("search"))
    sort = df.ChoiceFilter(
        choices=[(k, k) for k in ORDERINGS], method="filter_sort", label=_("sort")
    )

    class Meta:
        model = Task
        fields = ["plan", "category", "unit", "lead_leader", "owner", "key_task", "status"]

    def filter_unit(self, qs, name, unit):
        if not unit:
            return qs
        return qs.filter(
            pk__in=Assignment.objects.filter(unit__in=subtree_units(unit.path)).values("task_id")
        )

    def filter_status(self, qs, name, values):
        if not values:
            return qs
        wanted = [v for v in values if v != OPEN]
        q = Q(status__in=wanted)
        if OPEN in values:
            q |= Q(status__in=OPEN_STATUSES)
        return qs.filter(q)

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        q = overdue_q(timezone.localdate())
        return qs.filter(q) if value else qs.exclude(q)

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        # Substrings, as LIKE finds them (search.like_q), answered from an index.
        return search.matching(qs, value)

    def filter_sort(self, qs, name, value):
        return qs.order_by(*ORDERINGS.get(value, ORDERINGS["no"]))


class MilestoneFilter(df.FilterSet):
    task = IdFilter(field_name="task_id")
    plan = IdFilter(field_name="task__plan_id")
    date_before = df.DateFilter(field_name="date", lookup_expr="lte")
    date_after = df.DateFilter(field_name="date", lookup_expr="gte")

    class Meta:
        model = Milestone
        fields = ["task", "plan"]
