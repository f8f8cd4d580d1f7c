import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.ledger import rules


@pytest.mark.parametrize(
    ("nos", "ordered"),
    [
        (["1.10", "1.9", "1", "2", "10"], ["1", "1.9", "1.10", "2", "10"]),
        (["3", "1.2.1", "1.2", "1"], ["1", "1.2", "1.2.1", "3"]),
        # Item numbers of any length (a 100,000-task ledger's long sections).
        (
            ["100000", "99999", "10000", "1000000", "2"],
            ["2", "10000", "99999", "100000", "1000000"],
        ),
        (["1.123456", "1.99999", "1.1000000"], ["1.99999", "1.123456", "1.1000000"]),
    ],
)
def test_sort_key_orders_numerically(nos, ordered):
    assert sorted(nos, key=lambda n: rules.sort_key(1, n)) == ordered


@given(st.lists(st.lists(st.integers(0, 10**12), min_size=1, max_size=4), max_size=30))
def test_sort_key_orders_like_the_numbers(numbers):
    """Any length of number, any depth: the key's order is the numbers' order (a parent
    before its children)."""
    nos = [".".join(map(str, n)) for n in numbers]
    by_key = sorted(nos, key=lambda n: rules.sort_key(1, n))
    assert [tuple(map(int, n.split("."))) for n in by_key] == sorted(map(tuple, numbers))


def test_sort_key_keeps_the_stored_keys_of_short_numbers():
    assert rules.sort_key(3, "1.10.007") == "0003|00001.00010.00007"
    assert rules.sort_key(0, "A-1") == "0000|~~A-1"


def test_sort_key_puts_categories_first():
    assert rules.sort_key(1, "99") < rules.sort_key(2, "1")


@pytest.mark.parametrize(
    ("existing", "parent", "expected"),
    [
        ([], None, "1"),
        (["1", "2", "2.1"], None, "3"),
        (["1", "1.1", "1.2", "2"], "1", "1.3"),
        (["1"], "1", "1.1"),
    ],
)
def test_next_no(existing, parent, expected):
    assert rules.next_no(existing, parent) == expected


def test_task_key():
    assert rules.task_key("through", "类别", "3") == "3"
    assert rules.task_key("per_section", "类别", "3") == "类别|3"
    assert rules.parent_no("1.2.3") == "1.2" and rules.parent_no("1") is None
