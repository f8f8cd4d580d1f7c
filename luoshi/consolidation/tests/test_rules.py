"""The pure rules, table-first, without the database."""

import pytest

from luoshi.consolidation import rules
from luoshi.consolidation.rules import Candidate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网格化", {"网格", "格化"}),
        ("推进网格", {"进网", "网格"}),  # 推进 is generic
        ("5G 基站", {"5g", "基站"}),
        ("水", {"水"}),
        ("", set()),
    ],
)
def test_bigrams(text, expected):
    assert rules.bigrams(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("网格化, 营商环境、网格化", ["网格化", "营商环境"]),
        ("ABC abc", ["ABC"]),
        (["  基层治理 ", "", "基层治理"], ["基层治理"]),
        ("", []),
    ],
)
def test_parse_tags(value, expected):
    assert rules.parse_tags(value) == expected


def test_tag_problems():
    assert rules.tag_problem(["a"] * 10) is None
    assert rules.tag_problem([str(i) for i in range(11)]) == "too_many"
    assert rules.tag_problem(["长" * 41]) == "too_long"


def test_search_text_is_normalised():
    text = rules.search_text("ＡＢＣ网格", "做法", "", ["标签"])
    assert "abc网格" in text and "标签" in text
    assert rules.query_text("  ＡＢＣ ") == "abc"


def test_similar_title_scores_higher_than_a_shared_word_in_the_text():
    task = "推进社区网格化服务管理"
    in_title = Candidate(1, "推行网格化管理")
    in_text = Candidate(2, "社区治理经验", what="网格化管理")
    unrelated = Candidate(3, "中小学校建设一校一策")
    s1, shared = rules.similarity(task, in_title)
    s2, _ = rules.similarity(task, in_text)
    s3, _ = rules.similarity(task, unrelated)
    assert s1 > s2 > s3 == 0
    assert "网格" in shared


def test_a_tag_named_in_the_task_or_its_category_adds():
    base, _ = rules.similarity("社区网格服务", Candidate(1, "网格员制度"))
    tagged, _ = rules.similarity(
        "社区网格服务", Candidate(1, "网格员制度", tags=("基层治理",)), ["基层治理"]
    )
    assert tagged == pytest.approx(base + 0.2)


def test_rank_keeps_the_best_five_over_the_threshold_newest_first_on_ties():
    cands = [Candidate(i, "网格化管理") for i in range(1, 8)] + [Candidate(99, "无关")]
    ranked = rules.rank("网格化管理", cands)
    assert [m.pk for m in ranked] == [7, 6, 5, 4, 3]
    assert rules.rank("网格化管理", [Candidate(1, "无关")]) == []
    assert rules.rank("", cands) == []
