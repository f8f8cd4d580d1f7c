"""The roll-up's arithmetic, without the database: the seed's education bureau figures."""

from decimal import Decimal

import pytest

from luoshi.rollup import rules


@pytest.mark.parametrize(
    "target, actual, rate",
    [
        (30, 23, Decimal("76.7")),  # 计划完工30所、已完工23所
        (80, 72, Decimal("90.0")),  # 计划开工80所、已开工72所
        (3, 2, Decimal("66.7")),
        (8, 1, Decimal("12.5")),
        (1000, 1005, Decimal("100.5")),  # over-fulfilled: shown as it is
        (Decimal("12.5"), 0, Decimal("0.0")),
        (Decimal("12.5"), None, Decimal("0.0")),  # no actual yet
        (0, 5, None),  # nothing to measure against
        (None, 5, None),
    ],
)
def test_rate_in_percent_with_one_decimal(target, actual, rate):
    assert rules.rate(target, actual) == rate


def test_halves_round_up():
    assert rules.rate(200, 1) == Decimal("0.5")
    assert rules.rate(2000, 1) == Decimal("0.1")  # 0.05 → 0.1


def test_the_document_shape():
    lines = [
        rules.Line(1, "学校建设", "所", Decimal("30"), Decimal("23"), 2),
        rules.Line(None, "", "公里", Decimal("0"), Decimal("3"), 1),
    ]
    assert rules.as_json("教育局台账", lines) == {
        "plan": "教育局台账",
        "categories": [
            {"category": "学校建设", "measure": "所", "target": 30, "actual": 23, "rate": 76.7},
            {"category": "", "measure": "公里", "target": 0, "actual": 3, "rate": None},
        ],
    }
