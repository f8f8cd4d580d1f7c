"""The report's text limits and whom a waiting report is told to: plain rules, no database."""

from luoshi.dispatch import rules


def test_texts_over_their_limit_are_named_with_limit_and_length():
    limit = rules.TEXT_LIMITS["progress"]
    assert rules.over_limit({"progress": "进" * limit, "problems": "", "next_steps": None}) == []
    assert rules.over_limit({"progress": "进" * (limit + 1), "percent": 5}) == [
        ("progress", limit, limit + 1)
    ]


def test_a_line_break_is_one_character():
    assert rules.normalise_text("一\r\n二\r三\n") == "一\n二\n三\n"


def test_the_lead_leader_reviews():
    assert rules.reviewers(7, {"0001": [1, 2]}, ["0001"]) == [7]


def test_without_a_leader_the_nearest_supervisors_are_told():
    supervisors = {"0001": [1], "00010002": [3, 2, 3]}
    assert rules.reviewers(None, supervisors, ["0001", "00010002"]) == [2, 3]
    assert rules.reviewers(None, {"0001": [1]}, ["0001", "00010002"]) == [1]
    assert rules.reviewers(None, {}, ["0001"]) == []
