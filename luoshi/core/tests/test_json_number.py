"""Amounts as JSON shows them (core.text.json_number), shared by the roll-up and assessment."""

from decimal import Decimal

import pytest

from luoshi.core.text import json_number


@pytest.mark.parametrize(
    "value, shown",
    [
        (Decimal("30.0000"), 30),
        (Decimal("12.5000"), 12.5),
        (Decimal("76.7"), 76.7),
        (Decimal("0"), 0),
        (None, None),
        (Decimal("-2.50"), -2.5),
    ],
)
def test_numbers_as_json_shows_them(value, shown):
    out = json_number(value)
    assert out == shown and type(out) is type(shown)
