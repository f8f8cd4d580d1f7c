"""The bulletin's pure rules, table first, without the database."""

import datetime as dt

import pytest

from luoshi.bulletins import rules


@pytest.mark.parametrize(
    ("prefix", "year", "seq", "expected"),
    [
        ("交督", 2026, 12, "交督〔2026〕12号"),
        ("督", 2027, 1, "督〔2027〕1号"),
        ("交督", 2026, None, "交督〔2026〕\u3000\u3000号"),
    ],
)
def test_number(prefix, year, seq, expected):
    assert rules.format_number(prefix, year, seq) == expected


@pytest.mark.parametrize(
    ("n", "text", "expected"),
    [(1, "总体情况", "一、总体情况"), (6, "下步工作", "六、下步工作"), (12, "x", "十二、x")],
)
def test_heading(n, text, expected):
    assert rules.heading(n, text) == expected


def test_period_bounds():
    assert rules.period_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert rules.period_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    with pytest.raises(rules.BadPeriod):
        rules.period_bounds("June")
    assert rules.month_of(dt.date(2026, 6, 30)) == "2026-06"


def test_red_grouped_by_unit_in_a_stable_order():
    rows = [
        {"id": 5, "no": "10", "title": "t10", "unit": "乙", "unit_key": "0002"},
        {"id": 3, "no": "2", "title": "t2", "unit": "乙", "unit_key": "0002"},
        {"id": 9, "no": "9", "title": "t9", "unit": None, "unit_key": None},
        {"id": 1, "no": "1.2", "title": "a", "unit": "甲", "unit_key": "0001"},
        {"id": 2, "no": "1.10", "title": "b", "unit": "甲", "unit_key": "0001"},
    ]
    groups = rules.group_red(rows)
    assert [g["unit"] for g in groups] == ["甲", "乙", rules.NO_UNIT]
    assert [t["no"] for t in groups[0]["tasks"]] == ["1.2", "1.10"]
    assert [t["no"] for t in groups[1]["tasks"]] == ["2", "10"]
    assert "unit" not in groups[0]["tasks"][0]
    # The same rows in another order give the same groups.
    assert rules.group_red(reversed(rows)) == groups


def test_praised_units_have_no_red_yellow_or_late_task_and_no_missing_report():
    lights = {
        "甲": {"green": 2, "done": 1},
        "乙": {"green": 1, "red": 1},
        "丙": {"done": 3},
        "丁": {"yellow": 1},
        "戊": {"green": 1},
        "己": {"done_late": 1},
        "庚": {},
    }
    assert rules.praised(lights, {"戊": 1}) == ["丙", "甲"]


def test_fallback_ranking_by_share_not_red_with_ties():
    lights = {"甲": {"green": 4}, "乙": {"red": 1, "green": 1}, "丙": {"done": 2}, "丁": {}}
    assert rules.fallback_ranking(lights) == [
        {"rank": 1, "unit": "甲", "score": "100.0"},
        {"rank": 1, "unit": "丙", "score": "100.0"},
        {"rank": 3, "unit": "乙", "score": "50.0"},
    ]


def test_canonical_bytes_are_reproducible():
    a = {"b": [1, {"y": "通报", "x": 2}], "a": None}
    b = {"a": None, "b": [1, {"x": 2, "y": "通报"}]}
    assert rules.canonical_bytes(a) == rules.canonical_bytes(b)
    assert rules.canonical_bytes(a) == '{"a":null,"b":[1,{"x":2,"y":"通报"}]}'.encode()
    assert rules.sha256(a) == rules.sha256(b) and len(rules.sha256(a)) == 64
    assert rules.sha256(a) != rules.sha256({**a, "a": 1})


def test_percent():
    assert rules.percent(1, 3) == "33.3%"
    assert rules.percent(0, 0) == "—"
