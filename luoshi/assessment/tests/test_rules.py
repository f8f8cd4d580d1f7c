"""Assessment arithmetic without the database: what each indicator counts, points, scores as
the exact sum of their breakdown, and ranks."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.assessment import rules

D = dt.date
JUNE = (D(2026, 6, 1), D(2026, 6, 30))


def no_days_late(due, day):
    return max(0, (day - due).days)


def test_period_bounds():
    assert rules.period_bounds("2026-02") == (D(2026, 2, 1), D(2026, 2, 28))
    assert rules.period_bounds("2028-02") == (D(2028, 2, 1), D(2028, 2, 29))
    assert rules.previous_period("2026-01") == "2025-12"
    for bad in ("2026-13", "2026-6", "26-06", "", "2026-00", "June"):
        with pytest.raises(rules.BadPeriod):
            rules.period_bounds(bad)


def test_tasks_due_completed_and_on_time():
    as_of = D(2026, 6, 30)
    rows = [
        (1, 10, D(2026, 6, 10), False, "done", D(2026, 6, 9)),  # due, done on time
        (1, 11, D(2026, 6, 10), False, "done", D(2026, 6, 12)),  # due, done 2 days late
        (1, 12, D(2026, 6, 20), False, "in_progress", None),  # due, not done
        (1, 13, D(2026, 7, 20), False, "done", D(2026, 6, 1)),  # not due yet: not counted
        (1, 14, None, True, "in_progress", None),  # ongoing: no deadline
        (1, 15, D(2026, 6, 1), False, "cancelled", None),  # cancelled: not counted
        (1, 16, D(2026, 6, 1), False, "done", D(2026, 7, 2)),  # done after as_of: not done yet
        (2, 10, D(2026, 6, 10), False, "done", None),  # done without a date: on time
    ]
    completion, on_time = rules.count_tasks(rows, as_of, no_days_late)
    assert (completion[1].met, completion[1].missed) == ([10, 11], [12, 16])
    assert completion[1].value == Decimal("50.00")
    assert (on_time[1].met, on_time[1].missed) == ([10], [11])
    assert completion[2].value == on_time[2].value == Decimal("100.00")


def test_reports_problems_quality():
    due = dt.datetime(2026, 6, 5, 17)
    reports = rules.count_reports(
        [(1, 10, due, due), (1, 11, due, due + dt.timedelta(hours=1)), (1, 12, due, None)]
    )
    assert (reports[1].met, reports[1].missed) == ([10], [11, 12])
    assert reports[1].value == Decimal("33.33")

    start, as_of = JUNE
    problems = rules.count_problems(
        [
            (1, 10, "resolved", 1, 1, D(2026, 6, 3), D(2026, 6, 8)),  # in time
            (1, 11, "resolved", 2, 1, D(2026, 6, 20), D(2026, 6, 30)),  # climbed first
            (1, 12, "open", 1, 1, None, D(2026, 6, 15)),  # open past its SLA
            (1, 13, "open", 1, 1, None, D(2026, 7, 15)),  # open, not due: not counted
            (1, 14, "resolved", 1, 1, D(2026, 5, 30), D(2026, 6, 2)),  # closed before June
            (1, 15, "unsolvable", 1, 1, D(2026, 6, 4), D(2026, 6, 8)),  # answered in time
        ],
        start,
        as_of,
    )
    assert (problems[1].met, problems[1].missed) == ([10, 15], [11, 12])

    quality = rules.count_quality([(1, 10, False), (1, 11, True), (2, 12, False)])
    assert quality[1].value == Decimal("50.00") and quality[2].value == Decimal("100.00")


def test_points_and_not_applicable():
    assert rules.points(Decimal("50"), Decimal(40)) == Decimal("20.00")
    assert rules.points(Decimal("33.33"), Decimal(15)) == Decimal("5.00")
    assert rules.points(None, Decimal(15)) == Decimal("15.00")  # nothing to count: full weight


def test_breakdown_leaves_out_zero_weights_and_lists_items():
    weights = {**rules.DEFAULT_WEIGHTS, rules.QUALITY: Decimal(0), rules.COMPLETION: Decimal(55)}
    completion = rules.Tally(met=[1], missed=[2, 3])
    items = rules.breakdown(
        weights,
        {rules.COMPLETION: completion},
        [("adjustment:1", "加分：通报表扬", Decimal(2)), ("late_order", "扣分", Decimal(-1))],
    )
    assert [i.code for i in items] == [
        rules.COMPLETION,
        rules.ON_TIME,
        rules.REPORTING,
        rules.PROBLEMS,
        "adjustment:1",
        "late_order",
    ]
    assert items[0].points == Decimal("18.33") and items[0].missed == (2, 3)
    assert rules.score(items) == Decimal("18.33") + 20 + 15 + 10 + 2 - 1


def test_ranks_share_ties_and_skip():
    scores = {1: Decimal("90"), 2: Decimal("95"), 3: Decimal("90"), 4: Decimal("80")}
    names = {1: "乙局", 2: "丙局", 3: "甲局", 4: "丁局"}
    assert rules.ranks(scores, names) == [(2, 1), (1, 2), (3, 2), (4, 4)]


def test_weights_must_make_100():
    assert rules.weights_error(rules.DEFAULT_WEIGHTS) is None
    assert "100" in rules.weights_error({**rules.DEFAULT_WEIGHTS, rules.QUALITY: Decimal(10)})
    assert rules.weights_error({**rules.DEFAULT_WEIGHTS, rules.QUALITY: Decimal(-5)})


@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=5, max_size=5),
    st.lists(st.decimals(-10, 10, places=2, allow_nan=False), max_size=4),
)
def test_a_score_is_exactly_the_sum_of_its_breakdown(counts, adjustments):
    tallies = {
        code: rules.Tally(met=list(range(m)), missed=list(range(100, 100 + x)))
        for code, (m, x) in zip(rules.INDICATORS, counts, strict=True)
    }
    items = rules.breakdown(rules.DEFAULT_WEIGHTS, tallies, [("a", "item", a) for a in adjustments])
    total = rules.score(items)
    assert total == sum(i.points for i in items)
    assert sum(i.weight for i in items) == 100
    assert all(Decimal(0) <= i.points <= i.weight for i in items if i.weight)
