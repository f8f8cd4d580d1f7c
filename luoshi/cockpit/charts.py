"""The figures as chart data with their links: what the page hands to ECharts (json_script) and
the API answers. One place builds the links, so the chart, the table under it and the API
point at the same lists."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from luoshi.core.text import json_number
from luoshi.ledger.models import TaskLightChoice

from . import rules
from .access import OPEN_STATUSES, Figures


def part_names() -> dict[str, str]:
    return {
        rules.OPEN: _("Due, not completed"),
        rules.ON_TIME: _("Completed on time"),
        rules.LATE: _("Completed late"),
    }


def report_part_names() -> dict[str, str]:
    return {
        rules.SUBMITTED_ON_TIME: _("Reports submitted on time"),
        rules.SUBMITTED_LATE: _("Reports submitted late"),
        rules.NOT_SUBMITTED: _("Reports not submitted"),
    }


def light_names() -> dict[str, str]:
    return {value: str(label) for value, label in TaskLightChoice.choices}


class Links:
    """Ledger list URLs narrowed like the figures: the plan filter and the dashboard's unit."""

    def __init__(self, f: Figures):
        self.f = f
        self.base: list[tuple[str, object]] = []
        if f.plan is not None:
            self.base.append(("plan", f.plan.pk))
        if f.unit is not None:
            self.base.append(("unit", f.unit.pk))
        self.tasks = reverse("ledger:task_list")

    def ledger(self, *pairs, override: dict | None = None) -> str:
        params = dict(self.base)
        params.update(override or {})
        items = list(params.items()) + list(pairs)
        return f"{self.tasks}?{urlencode(items)}"

    def part(self, query: dict | None, part: str) -> str:
        today = self.f.today.isoformat()
        if part == rules.OPEN:
            pairs = [("status", s) for s in OPEN_STATUSES]
        else:
            light = rules.DONE if part == rules.ON_TIME else rules.DONE_LATE
            pairs = [("status", "done"), ("light", light)]
        return self.ledger(("deadline_before", today), *pairs, override=query)

    def due(self, query: dict | None = None) -> str:
        return self.ledger(
            ("deadline_before", self.f.today.isoformat()),
            *[("status", s) for s in (*OPEN_STATUSES, "done")],
            override=query,
        )

    def done(self, query: dict | None = None) -> str:
        return self.ledger(
            ("deadline_before", self.f.today.isoformat()), ("status", "done"), override=query
        )

    def light(self, light: str) -> str:
        return self.ledger(("light", light))

    def overdue(self) -> str:
        return self.ledger(("overdue", "true"))

    def cycle(self, c: rules.CycleReports) -> str:
        return reverse("dispatch:cycle_detail", args=[c.cycle_id])


def build(f: Figures) -> dict:
    """Every chart of the page as data (each element with its URL), and the tables' rows."""
    links = Links(f)
    names = part_names()
    lights = light_names()

    def rows(rs: list[rules.Row]) -> list[dict]:
        return [
            {
                "label": r.label,
                "key": r.key,
                **r.tally.as_json(),
                "due_url": links.due(r.query) if r.query is not None else None,
                "parts": [
                    {
                        "name": names[p],
                        "value": r.tally.part(p),
                        "url": links.part(r.query, p) if r.query is not None else None,
                    }
                    for p in rules.PARTS
                ],
            }
            for r in rs
        ]

    ranking = []
    if f.assessment is not None:
        for s in f.ranking:
            ranking.append(
                {
                    "unit": s.unit.name,
                    "unit_id": s.unit_id,
                    "rank": s.rank,
                    "score": json_number(s.score),
                    "url": reverse("assessment:unit", args=[f.assessment.pk, s.unit_id]),
                }
            )
    rollup = []
    for line in f.rollup:
        params = _rollup_params(f, line)
        rollup.append(
            {
                "category": line.category,
                "measure": line.measure,
                "target": json_number(line.target),
                "actual": json_number(line.actual),
                "rate": json_number(line.rate),
                "tasks": line.tasks,
                "url": f"{links.tasks}?{urlencode(params)}",
            }
        )
    total = f.total
    return {
        "today": f.today.isoformat(),
        "plan": f.plan.pk if f.plan else None,
        "unit": f.unit.pk if f.unit else None,
        "focus_plan": {"id": f.focus.pk, "name": f.focus.name} if f.focus else None,
        "total": {
            **total.as_json(),
            "due_url": links.due(),
            "done_url": links.done(),
            "on_time_url": links.part(None, rules.ON_TIME),
            "overdue": f.overdue,
            "overdue_url": links.overdue(),
            "red": f.lights.get(rules.RED, 0),
            "red_url": links.light(rules.RED),
            "unlit": f.unlit,
        },
        "by_plan": rows(f.by_plan),
        "by_category": rows(f.by_category),
        "by_unit": rows(f.by_unit),
        "lights": [
            {"light": s["key"], "name": s["name"], "count": s["value"], "url": s["url"]}
            for s in rules.light_slices(f.lights, lights, links.light)["data"]
        ],
        "overdue_top": [
            {
                "id": t.pk,
                "no": t.no,
                "title": t.title,
                "plan": t.plan.name,
                "unit": t.primary_unit.name if t.primary_unit else "",
                "deadline": t.deadline.isoformat(),
                "days_overdue": rules.days_overdue(f.today, t.deadline),
                "url": reverse("ledger:task_detail", args=[t.pk]),
            }
            for t in f.overdue_top
        ],
        "cycles": [
            {
                "cycle": c.cycle_id,
                "due": c.label,
                "reports_due": c.due,
                "on_time": c.on_time,
                "late": c.late,
                "missing": c.missing,
                "timely_rate": json_number(c.timely_rate),
                "url": links.cycle(c),
            }
            for c in f.cycles
        ],
        "assessment": (
            {
                "id": f.assessment.pk,
                "period": f.assessment.period,
                "url": reverse("assessment:detail", args=[f.assessment.pk]),
            }
            if f.assessment
            else None
        ),
        "ranking": ranking,
        "rollup": rollup,
    }


def chart_options(f: Figures) -> dict:
    """The ECharts data of each chart, keyed by the chart's element id."""
    links = Links(f)
    names = part_names()
    out = {
        "chart-lights": rules.light_slices(f.lights, light_names(), links.light),
        "chart-plans": rules.stacked(f.by_plan, names, links.part),
        "chart-categories": rules.stacked(f.by_category, names, links.part),
        "chart-units": rules.stacked(f.by_unit, names, links.part),
        "chart-trend": rules.trend(f.cycles, report_part_names(), links.cycle),
    }
    if f.assessment is not None:
        out["chart-ranking"] = rules.ranking(
            [
                (
                    s.unit.name,
                    s.score,
                    reverse("assessment:unit", args=[f.assessment.pk, s.unit_id]),
                )
                for s in f.ranking
            ]
        )
    if f.rollup:
        tasks = reverse("ledger:task_list")
        out["chart-rollup"] = rules.rollup_bars(
            [
                (
                    f"{line.category or '—'} {line.measure}".strip(),
                    line.rate,
                    f"{tasks}?{urlencode(_rollup_params(f, line))}",
                )
                for line in f.rollup
            ]
        )
    return out


def _rollup_params(f: Figures, line) -> dict:
    params = {"plan": f.focus.pk}
    if line.category_id:
        params["category"] = line.category_id
    return params
