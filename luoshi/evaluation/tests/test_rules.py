"""Evaluation arithmetic without the database."""

import datetime as dt
from decimal import Decimal

import pytest

from luoshi.evaluation import rules


def test_attainment_is_actual_over_target_in_percent():
    assert rules.attainment(Decimal(30), Decimal(23)) == Decimal("76.7")
    assert rules.attainment(Decimal(80), Decimal(72)) == Decimal("90.0")
    assert rules.attainment(Decimal(30), None) == Decimal("0.0")
    assert rules.attainment(None, Decimal(5)) is None
    assert rules.attainment(Decimal(0), Decimal(5)) is None


def test_key_tasks_are_always_evaluated():
    assert rules.must_evaluate(True, False)
    assert rules.must_evaluate(False, True)
    assert not rules.must_evaluate(False, False)


def test_months_as_people_write_them():
    assert rules.parse_months("3,6") == (3, 6)
    assert rules.parse_months("6，3、3") == (3, 6)
    assert rules.parse_months("") == ()
    for bad in ("3,x", "0", "61", "-1"):
        with pytest.raises(ValueError):
            rules.parse_months(bad)


def test_months_later_keep_the_day_or_take_the_months_last():
    assert rules.add_months(dt.date(2026, 6, 10), 3) == dt.date(2026, 9, 10)
    assert rules.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert rules.add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert rules.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert rules.recheck_dates(dt.date(2026, 6, 10), (3, 6)) == [
        dt.date(2026, 9, 10),
        dt.date(2026, 12, 10),
    ]


@pytest.mark.parametrize(
    ("done", "late", "rechecks", "expected"),
    [
        (False, None, [], "not_done"),
        (True, 0, [], "on_time"),
        (True, 2, [], "late"),
        (True, 0, [("held", False), ("due", False)], "on_time"),
        (True, 3, [("held", False), ("held", False)], "consolidated"),
        (True, 0, [("regressed", False), ("due", False)], "not_done"),
        (True, 0, [("regressed", True), ("due", False)], "rectified"),
        (True, 0, [("regressed", True), ("held", False)], "consolidated"),
        (True, 0, [("held", False), ("regressed", True)], "rectified"),
        (False, 0, [("regressed", True)], "not_done"),
    ],
)
def test_each_task_has_one_outcome(done, late, rechecks, expected):
    assert rules.outcome(done=done, days_late=late, rechecks=rechecks) == expected
    assert expected in rules.OUTCOMES


def test_the_evidence_of_a_rectification_item():
    from luoshi.ledger import rules as ledger_rules

    assert ledger_rules.is_evidence_column(
        "佐证材料（照片）"
    ) and not ledger_rules.is_evidence_column("备注")
    assert ledger_rules.evidence_of({"佐证材料": " 整改前后照片 ", "备注": "x"}) == "整改前后照片"
    assert ledger_rules.evidence_of({"佐证材料": "", "备注": "x"}) == ""
    assert ledger_rules.evidence_of({}) == ""
