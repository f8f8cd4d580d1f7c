import pytest

from luoshi.ledger import rules


@pytest.mark.parametrize(
    ("nos", "ordered"),
    [
        (["1.10", "1.9", "1", "2", "10"], ["1", "1.9", "1.10", "2", "10"]),
        (["3", "1.2.1", "1.2", "1"], ["1", "1.2", "1.2.1", "3"]),
    ],
)
def test_sort_key_orders_numerically(nos, ordered):
    assert sorted(nos, key=lambda n: rules.sort_key(1, n)) == ordered


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
