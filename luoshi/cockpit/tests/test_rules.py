"""The cockpit's arithmetic and chart shapes, without the database."""

import datetime as dt
from decimal import Decimal

import pytest

from luoshi.cockpit import rules


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (2, 3, Decimal("66.7")),
        (1, 8, Decimal("12.5")),
        (1, 16, Decimal("6.3")),
        (0, 0, None),
        (5, 5, Decimal("100.0")),
    ],
)
def test_rate_is_one_decimal_halves_up(part, whole, expected):
    assert rules.rate(part, whole) == expected


def test_tally_rates_and_parts():
    t = rules.Tally(due=5, done=3, on_time=2, late=1)
    assert (t.open, t.completion_rate, t.on_time_rate) == (2, Decimal("60.0"), Decimal("66.7"))
    assert [t.part(p) for p in rules.PARTS] == [2, 2, 1]
    assert rules.total([t, rules.Tally(1, 1, 1, 0)]) == rules.Tally(6, 4, 3, 1)
    assert rules.Tally().as_json()["completion_rate"] is None


def test_light_slices_keep_the_lights_order_and_drop_empty_ones():
    spec = rules.light_slices(
        {"green": 4, "red": 2, None: 7, "off": 0},
        {light: light.upper() for light in rules.LIGHTS},
        lambda light: f"/tasks/?light={light}",
    )
    assert [(d["key"], d["value"], d["url"]) for d in spec["data"]] == [
        ("red", 2, "/tasks/?light=red"),
        ("green", 4, "/tasks/?light=green"),
    ]
    assert spec["data"][0]["color"] == rules.LIGHT_COLOURS["red"]


def test_stacked_bars_link_each_part_and_leave_unlinkable_rows_without():
    rows = [
        rules.Row(1, "甲", rules.Tally(4, 3, 2, 1), {"plan": 1}),
        rules.Row(None, "", rules.Tally(1, 0, 0, 0), None),
    ]
    spec = rules.stacked(rows, {p: p for p in rules.PARTS}, lambda q, p: f"{q['plan']}:{p}")
    assert spec["categories"] == ["甲", ""]
    assert spec["rates"] == [75.0, 0.0]
    opened = spec["series"][0]
    assert opened["data"] == [{"value": 1, "url": "1:open"}, {"value": 1, "url": None}]
    assert [s["data"][0]["value"] for s in spec["series"]] == [1, 2, 1]


def test_trend_counts_reports_per_cycle():
    c = rules.CycleReports(7, "06-25", on_time=3, late=1, missing=4)
    assert (c.due, c.timely_rate) == (8, Decimal("37.5"))
    spec = rules.trend([c], {p: p for p in rules.REPORT_PARTS}, lambda c: f"/cycles/{c.cycle_id}/")
    assert [s["data"][0] for s in spec["series"]] == [
        {"value": 3, "url": "/cycles/7/"},
        {"value": 1, "url": "/cycles/7/"},
        {"value": 4, "url": "/cycles/7/"},
    ]


def test_ranking_draws_the_best_at_the_top():
    spec = rules.ranking([("甲", Decimal("91.5"), "/a"), ("乙", Decimal("80"), "/b")])
    assert spec["categories"] == ["乙", "甲"]
    assert spec["series"][0]["data"][-1] == {"value": 91.5, "url": "/a"}


def test_days_overdue():
    today = dt.date(2026, 6, 30)
    assert rules.days_overdue(today, dt.date(2026, 6, 1)) == 29
    assert rules.days_overdue(today, dt.date(2026, 7, 1)) == 0
