"""The integrity rules, table by table: text similarity, near repeats, jumps to 100%. Plain
functions: no database."""

import datetime as dt

import pytest

from luoshi.core.workdays import WorkCalendar
from luoshi.supervision.rules import (
    is_near_repeat,
    jumped_to_done,
    near_repeat_similarity,
    normalise_text,
    text_similarity,
)

D = dt.date
wdb = WorkCalendar().working_days_between

REPORT = "本月完成了道路改造工程的招标工作，施工单位已进场，预计下月完成路基施工，目前进展顺利。"

# --- normalising -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("", ""),
        (None, ""),
        ("完成招标。", "完成招标"),
        ("完成 招标，\n下步：施工！", "完成招标下步施工"),
        ("ＡＢＣ１２３", "abc123"),  # full-width folded
        ("完成30%", "完成30"),  # % is punctuation; the digits stay
        ("“完成”（招标）", "完成招标"),
        ("\t完成\r\n招标\u3000", "完成招标"),  # ideographic space, tabs, CRLF
    ],
)
def test_normalise_text(text, normalised):
    assert normalise_text(text) == normalised


# --- similarity ------------------------------------------------------------------------------

SIMILARITY = [
    # id, a, b, low, high (inclusive bounds on the ratio)
    ("identical", REPORT, REPORT, 1.0, 1.0),
    (
        "re-punctuated and re-flowed",
        REPORT,
        REPORT.replace("，", "\n").replace("。", "；"),
        1.0,
        1.0,
    ),
    ("full-width digits", "完成30所学校建设", "完成３０所学校建设", 1.0, 1.0),
    ("both empty", "", "", 1.0, 1.0),
    ("one empty", REPORT, "", 0.0, 0.0),
    ("one word changed", REPORT, REPORT.replace("路基", "路面"), 0.95, 0.99),
    ("a sentence added", REPORT, REPORT + "同时开展了安全检查。", 0.85, 0.92),
    (
        "different report",
        REPORT,
        "学校新建项目完成主体结构封顶，正在进行内部装修和设备采购，质量安全无事故。",
        0.0,
        0.3,
    ),
    ("digits differ", "完成30所学校", "完成60所学校", 0.8, 0.9),
]


@pytest.mark.parametrize(
    ("case", "a", "b", "low", "high"), SIMILARITY, ids=[c[0] for c in SIMILARITY]
)
def test_text_similarity(case, a, b, low, high):
    assert low <= text_similarity(a, b) <= high
    assert text_similarity(a, b) == pytest.approx(text_similarity(b, a), abs=0.02)


NEAR = [
    # id, a, b, threshold, min_chars, repeat?
    ("identical", REPORT, REPORT, 0.9, 20, True),
    ("one word changed", REPORT, REPORT.replace("路基", "路面"), 0.9, 20, True),
    (
        "a sentence added: below 0.9",
        REPORT,
        REPORT + "同时开展了安全检查，排查隐患三处。",
        0.9,
        20,
        False,
    ),
    (
        "a sentence added: at 0.8",
        REPORT,
        REPORT + "同时开展了安全检查，排查隐患三处。",
        0.8,
        20,
        True,
    ),
    (
        "different",
        REPORT,
        "学校新建项目完成主体结构封顶，正在进行内部装修和设备采购，质量安全无事故。",
        0.9,
        20,
        False,
    ),
    ("short and terse twice", "无变化。", "无变化。", 0.9, 20, False),
    ("19 characters twice", "一" * 19, "一" * 19, 0.9, 20, False),
    ("20 characters twice", "一" * 20, "一" * 20, 0.9, 20, True),
    ("one side short", REPORT, REPORT[:10], 0.9, 20, False),
    ("punctuation only differs", REPORT, REPORT.replace("，", " "), 0.9, 20, True),
    ("both empty, no minimum", "", "", 0.9, 0, True),
]


@pytest.mark.parametrize(
    ("case", "a", "b", "threshold", "min_chars", "expected"), NEAR, ids=[c[0] for c in NEAR]
)
def test_is_near_repeat(case, a, b, threshold, min_chars, expected):
    assert is_near_repeat(a, b, threshold, min_chars) is expected
    similarity = near_repeat_similarity(a, b, threshold, min_chars)
    assert (similarity is not None) is expected
    if expected:
        assert similarity == pytest.approx(text_similarity(a, b))
        assert similarity >= threshold


def test_the_quick_bounds_never_drop_a_pair_the_full_ratio_keeps():
    texts = [
        REPORT,
        REPORT.replace("路基", "路面"),
        REPORT + "同时开展了安全检查。",
        REPORT[5:],
        REPORT[::-1],
        "学校新建项目完成主体结构封顶，正在进行内部装修和设备采购，质量安全无事故。",
    ]
    for a in texts:
        for b in texts:
            for threshold in (0.5, 0.8, 0.9, 0.95):
                full = text_similarity(a, b) >= threshold
                assert is_near_repeat(a, b, threshold, 0) is full, (a, b, threshold)


# --- jumped to 100% at the deadline ----------------------------------------------------------

DEADLINE = D(2026, 6, 30)  # a Tuesday; Dragon Boat Festival (Fri 19 June) is off

JUMPS = [
    # id, previous %, %, submitted on, deadline, evidence, window, jumped?
    ("on the deadline day", 50, 100, DEADLINE, DEADLINE, False, 3, True),
    ("after the deadline", 50, 100, D(2026, 7, 3), DEADLINE, False, 3, True),
    ("2 working days before (Fri→Tue)", 50, 100, D(2026, 6, 26), DEADLINE, False, 3, True),
    ("3 working days before", 50, 100, D(2026, 6, 25), DEADLINE, False, 3, True),
    ("4 working days before", 50, 100, D(2026, 6, 24), DEADLINE, False, 3, False),
    ("4 working days before, window 4", 50, 100, D(2026, 6, 24), DEADLINE, False, 4, True),
    # Over the holiday: Thu 18 June → Tue 23 June is 2 working days (19th off, weekend).
    ("over a holiday", 10, 100, D(2026, 6, 18), D(2026, 6, 23), False, 3, True),
    ("with evidence attached", 50, 100, DEADLINE, DEADLINE, True, 3, False),
    ("from 79%", 79, 100, DEADLINE, DEADLINE, False, 3, True),
    ("from 80%: a steady finish", 80, 100, DEADLINE, DEADLINE, False, 3, False),
    ("from nothing reported", None, 100, DEADLINE, DEADLINE, False, 3, True),
    ("to 99%: not done", 10, 99, DEADLINE, DEADLINE, False, 3, False),
    ("no percent", 10, None, DEADLINE, DEADLINE, False, 3, False),
    ("no deadline", 10, 100, DEADLINE, None, False, 3, False),
    ("already 100% before", 100, 100, DEADLINE, DEADLINE, False, 3, False),
]


@pytest.mark.parametrize(
    ("case", "previous", "percent", "submitted", "deadline", "evidence", "window", "expected"),
    JUMPS,
    ids=[c[0] for c in JUMPS],
)
def test_jumped_to_done(case, previous, percent, submitted, deadline, evidence, window, expected):
    result = jumped_to_done(previous, percent, submitted, deadline, evidence, wdb, window)
    assert result is expected


def test_the_threshold_below_which_a_jump_counts_is_configurable():
    assert jumped_to_done(85, 100, DEADLINE, DEADLINE, False, wdb, below=90) is True
    assert jumped_to_done(85, 100, DEADLINE, DEADLINE, False, wdb) is False
