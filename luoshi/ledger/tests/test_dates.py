"""Table-driven tests for luoshi.ledger.dates (no Django needed)."""

import datetime as dt
import pickle

import pytest

from luoshi.ledger.dates import (
    IMPOSSIBLE_DATE,
    IN_MILESTONE,
    TEMPLATES,
    DateParseError,
    Deadline,
    Message,
    MilestoneSpec,
    parse_date,
    parse_deadline,
    parse_frequency,
    parse_milestones,
)

YEAR = 2026
BASE = dt.date(2026, 3, 2)  # a Monday
D = dt.date


# (text, expected date, expected label)
ABSOLUTE_CASES = [
    # ISO and variants
    ("2026-06-30", D(2026, 6, 30), ""),
    ("2026/6/30", D(2026, 6, 30), ""),
    ("2026.6.30", D(2026, 6, 30), ""),
    ("2026年6月30日", D(2026, 6, 30), ""),
    ("2026年6月30号", D(2026, 6, 30), ""),
    ("2026-06-30前", D(2026, 6, 30), ""),
    ("2026年6月30日以前", D(2026, 6, 30), ""),
    ("2026年6月30日之前", D(2026, 6, 30), ""),
    ("2026年6月30日底前", D(2026, 6, 30), ""),
    ("２０２６－０６－３０", D(2026, 6, 30), ""),
    ("２０２６年６月３０日前", D(2026, 6, 30), ""),
    ("２０２６／６／３０", D(2026, 6, 30), ""),
    ("  2026-06-30  ", D(2026, 6, 30), ""),
    ("2026年 6月 30日", D(2026, 6, 30), ""),
    ("2026-06-30 00:00:00", D(2026, 6, 30), ""),
    ("2026-06-30T00:00:00", D(2026, 6, 30), ""),
    ("20260630", D(2026, 6, 30), ""),
    ("二〇二六年十二月三十一日", D(2026, 12, 31), ""),
    ("截至2026年6月30日", D(2026, 6, 30), ""),
    # year + month, month end
    ("2026年6月", D(2026, 6, 30), ""),
    ("2026年6月底", D(2026, 6, 30), ""),
    ("2026年6月底前", D(2026, 6, 30), ""),
    ("2026年10月底以前", D(2026, 10, 31), ""),
    ("2026年2月底", D(2026, 2, 28), ""),
    ("2028年2月底", D(2028, 2, 29), ""),
    ("2026年9月末", D(2026, 9, 30), ""),
    ("2026-06", D(2026, 6, 30), ""),
    ("2026.6月底", D(2026, 6, 30), ""),
    # 旬
    ("2026年6月上旬", D(2026, 6, 10), ""),
    ("2026年6月中旬", D(2026, 6, 20), ""),
    ("2026年6月下旬", D(2026, 6, 30), ""),
    ("8月中旬", D(2026, 8, 20), ""),
    ("2月下旬", D(2026, 2, 28), ""),
    # year end
    ("2026年底", D(2026, 12, 31), ""),
    ("2026年年底", D(2026, 12, 31), ""),
    ("2026年底前", D(2026, 12, 31), ""),
    ("2026年内", D(2026, 12, 31), ""),
    ("2027年底", D(2027, 12, 31), ""),
    # year-less, plan year
    ("6月30日", D(2026, 6, 30), ""),
    ("6月30日前", D(2026, 6, 30), ""),
    ("6月30号", D(2026, 6, 30), ""),
    ("6月30", D(2026, 6, 30), ""),
    ("6月底前", D(2026, 6, 30), ""),
    ("6月底", D(2026, 6, 30), ""),
    ("6月", D(2026, 6, 30), ""),
    ("6月份", D(2026, 6, 30), ""),
    ("6月内", D(2026, 6, 30), ""),
    ("今年6月底", D(2026, 6, 30), ""),
    ("于6月底前", D(2026, 6, 30), ""),
    ("年底前", D(2026, 12, 31), ""),
    ("年底", D(2026, 12, 31), ""),
    ("年末", D(2026, 12, 31), ""),
    ("年内", D(2026, 12, 31), ""),
    ("今年底", D(2026, 12, 31), ""),
    ("今年年底", D(2026, 12, 31), ""),
    ("本年度内", D(2026, 12, 31), ""),
    ("上半年", D(2026, 6, 30), ""),
    ("上半年内", D(2026, 6, 30), ""),
    ("下半年", D(2026, 12, 31), ""),
    ("2027年上半年", D(2027, 6, 30), ""),
    ("年中", D(2026, 6, 30), ""),
    ("2026年年中", D(2026, 6, 30), ""),
    # quarters
    ("一季度", D(2026, 3, 31), ""),
    ("第一季度", D(2026, 3, 31), ""),
    ("一季度末", D(2026, 3, 31), ""),
    ("1季度", D(2026, 3, 31), ""),
    ("Q1", D(2026, 3, 31), ""),
    ("q2", D(2026, 6, 30), ""),
    ("2026Q3", D(2026, 9, 30), ""),
    ("二季度", D(2026, 6, 30), ""),
    ("第三季度", D(2026, 9, 30), ""),
    ("三季度末", D(2026, 9, 30), ""),
    ("四季度", D(2026, 12, 31), ""),
    ("2026年第四季度前", D(2026, 12, 31), ""),
    # Chinese month numerals
    ("十月底前", D(2026, 10, 31), ""),
    ("十二月", D(2026, 12, 31), ""),
    ("十一月十五日", D(2026, 11, 15), ""),
    ("三月下旬", D(2026, 3, 31), ""),
    # trailing labels
    ("5月底前动工", D(2026, 5, 31), "动工"),
    ("2026-06-30开工", D(2026, 6, 30), "开工"),
    ("2026-06-30 开工", D(2026, 6, 30), "开工"),
    ("6月底前完成整改", D(2026, 6, 30), "完成整改"),
    ("2026年6月30日前，完成验收", D(2026, 6, 30), "完成验收"),
    ("6月底前一期完工", D(2026, 6, 30), "一期完工"),
    ("2026-03-31 2号楼开工", D(2026, 3, 31), "2号楼开工"),
    ("6月底前上线", D(2026, 6, 30), "上线"),
    ("年底前持续跟踪", D(2026, 12, 31), "持续跟踪"),
    ("6月底前完成1-5月统计", D(2026, 6, 30), "完成1-5月统计"),
    ("6月底前完成1至5月数据", D(2026, 6, 30), "完成1至5月数据"),
    # a year far from the plan year is what they wrote
    ("2099-01-01", D(2099, 1, 1), ""),
    ("2019年3月31日", D(2019, 3, 31), ""),
]


@pytest.mark.parametrize(("text", "expected", "label"), ABSOLUTE_CASES)
def test_parse_date_absolute(text, expected, label):
    assert parse_date(text, year=YEAR) == Deadline(
        date=expected, ongoing=False, label=label, text=text.strip()
    )


@pytest.mark.parametrize(
    "text",
    [
        "长期坚持",
        "持续推进",
        "常态化",
        "长期",
        "持续",
        "长期推进",
        "常态化推进",
        "持续开展",
        "  长期坚持 ",
    ],
)
def test_parse_date_ongoing(text):
    assert parse_date(text, year=YEAR) == Deadline(date=None, ongoing=True, text=text.strip())


def test_parse_date_ongoing_does_not_need_year():
    assert parse_date("长期坚持", year=None).ongoing is True


def test_ongoing_keeps_label():
    assert parse_date("持续推进，每月报送进展", year=YEAR) == Deadline(
        date=None, ongoing=True, label="每月报送进展", text="持续推进，每月报送进展"
    )


RELATIVE_CASES = [
    ("30日内", D(2026, 4, 1), ""),
    ("30天内", D(2026, 4, 1), ""),
    ("交办后7日内", D(2026, 3, 9), ""),
    ("交办之日起15天内", D(2026, 3, 17), ""),
    ("收到通知后三日内", D(2026, 3, 5), ""),
    ("接到交办单后十五日内", D(2026, 3, 17), ""),
    ("2周内", D(2026, 3, 16), ""),
    ("1个月内", D(2026, 4, 2), ""),
    ("交办后7日内反馈", D(2026, 3, 9), "反馈"),
    ("立行立改", BASE, ""),
    ("立即", BASE, ""),
    ("即知即改", BASE, ""),
    ("立即整改", BASE, "整改"),
]


@pytest.mark.parametrize(("text", "expected", "label"), RELATIVE_CASES)
def test_parse_date_relative(text, expected, label):
    assert parse_date(text, year=YEAR, base=BASE) == Deadline(date=expected, label=label, text=text)


def test_relative_month_clamps_to_month_end():
    assert parse_date("1个月内", year=YEAR, base=D(2026, 1, 31)).date == D(2026, 2, 28)


def test_working_days_use_the_calendar():
    calls = []

    def add_working_days(start, count):
        calls.append((start, count))
        return D(2026, 3, 23)

    result = parse_date(
        "交办之日起15个工作日内", year=YEAR, base=BASE, add_working_days=add_working_days
    )
    assert result.date == D(2026, 3, 23)
    assert calls == [(BASE, 15)]


def test_working_days_without_calendar_is_an_error():
    with pytest.raises(DateParseError, match="^working-day deadline needs the calendar$"):
        parse_date("交办之日起15个工作日内", year=YEAR, base=BASE)


@pytest.mark.parametrize("text", ["30日内", "交办后7日内", "立行立改", "5个工作日内"])
def test_relative_without_base_is_an_error(text):
    with pytest.raises(DateParseError, match="^relative deadline needs the hand-off date$"):
        parse_date(text, year=YEAR)


@pytest.mark.parametrize("text", ["6月30日", "6月底", "年底", "上半年", "一季度", "Q1", "年中"])
def test_year_less_without_plan_year_is_an_error(text):
    with pytest.raises(DateParseError, match="^date without a year needs the plan year$"):
        parse_date(text, year=None)


@pytest.mark.parametrize("text", ["2026年6月底", "2026-06-30", "2026年底"])
def test_explicit_year_needs_no_plan_year(text):
    assert parse_date(text, year=None).date is not None


NON_TEXT_CASES = [
    (46203, D(2026, 6, 30), "46203"),
    (46203.0, D(2026, 6, 30), "46203.0"),
    (46203.75, D(2026, 6, 30), "46203.75"),
    (32874, D(1990, 1, 1), "32874"),
    (73415, D(2100, 12, 31), "73415"),
    (D(2026, 6, 30), D(2026, 6, 30), "2026-06-30"),
    (dt.datetime(2026, 6, 30, 15, 30), D(2026, 6, 30), "2026-06-30"),
]


@pytest.mark.parametrize(("value", "expected", "text"), NON_TEXT_CASES)
def test_parse_date_non_text(value, expected, text):
    assert parse_date(value, year=YEAR) == Deadline(date=expected, text=text)


ERROR_CASES = [
    (None, "empty date text"),
    ("", "empty date text"),
    ("   ", "empty date text"),
    ("2026-02-30", "impossible date 2026-02-30"),
    ("2026年2月29日", "impossible date 2026-02-29"),
    ("6月31日", "impossible date 2026-06-31"),
    ("13月", "impossible date: month 13"),
    ("2026年13月底", "impossible date: month 13"),
    ("2026-13-01", "impossible date: month 13"),
    ("abc", "unrecognised date text"),
    ("待定", "unrecognised date text"),
    ("6月初", "unrecognised date text"),  # too vague to pick a day
    ("6月中", "unrecognised date text"),
    ("2026-06-3O", "unrecognised date text"),  # letter O typed for zero
    ("6月3O", "unrecognised date text"),
    ("26年6月底", "unrecognised date text"),  # two-digit year is not guessed
    ("年前", "unrecognised date text"),  # before Spring Festival, not year end
    ("2026年", "unrecognised date text"),
    ("2026年中期评估", "unrecognised date text"),
    ("一二月", "unrecognised date text"),
    ("6.30", "unrecognised date text"),
    ("每月25日前", "unrecognised date text"),
    ("2026年6月30日—2026年12月31日", "more than one date in the text"),
    ("2026-06-30至2026-12-31", "more than one date in the text"),
    ("持续至2026年底", "more than one date in the text"),
    ("6月至9月", "more than one date in the text"),
    ("6月底前完成方案，9月底前完工", "more than one date in the text"),
    (12, "number 12 is not a plausible Excel date (1990-2100)"),
    (80000, "number 80000 is not a plausible Excel date (1990-2100)"),
    (float("nan"), "not a date: nan"),
    (True, "unsupported value type bool"),
    ([2026], "unsupported value type list"),
]


@pytest.mark.parametrize(("value", "reason"), ERROR_CASES)
def test_parse_date_errors(value, reason):
    with pytest.raises(DateParseError) as excinfo:
        parse_date(value, year=YEAR, base=BASE)
    assert str(excinfo.value) == reason


def test_date_parse_error_is_a_value_error():
    assert issubclass(DateParseError, ValueError)


@pytest.mark.parametrize(("value", "reason"), ERROR_CASES)
def test_parse_date_errors_are_a_template_and_params(value, reason):
    """The reason is one of TEMPLATES filled with its params, so it can be translated."""
    with pytest.raises(DateParseError) as excinfo:
        parse_date(value, year=YEAR, base=BASE)
    e = excinfo.value
    assert e.template in TEMPLATES
    assert e.template % e.params == reason == str(e.message)


def test_wrapped_reasons_keep_the_inner_template():
    with pytest.raises(DateParseError) as excinfo:
        parse_milestones("6月31日完成招标", year=YEAR)
    e = excinfo.value
    assert e.template == IN_MILESTONE
    assert e.params == {
        "fragment": "6月31日完成招标",
        "reason": Message(IMPOSSIBLE_DATE, {"date": "2026-06-31"}),
    }
    with pytest.raises(DateParseError) as excinfo:
        parse_deadline("每月25日前", year=YEAR)
    assert excinfo.value.params["frequency"] == Message("monthly")
    assert "monthly" in TEMPLATES


def test_date_parse_error_pickles_with_its_template():
    e = pickle.loads(pickle.dumps(DateParseError(IMPOSSIBLE_DATE, {"date": "2026-02-30"})))
    assert (str(e), e.template, e.params) == (
        "impossible date 2026-02-30",
        IMPOSSIBLE_DATE,
        {"date": "2026-02-30"},
    )


# --- parse_deadline ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("每月25日前", "monthly"),
        ("每周五", "weekly"),
        ("每月", "monthly"),
        ("每季度", "quarterly"),
        ("季度", "quarterly"),
        ("周报", "weekly"),
    ],
)
def test_parse_deadline_rejects_frequency(text, frequency):
    with pytest.raises(DateParseError) as excinfo:
        parse_deadline(text, year=YEAR)
    assert str(excinfo.value) == f"'{text}' is a reporting frequency ({frequency}), not a deadline"


def test_parse_deadline_rejects_unknown_frequency_words():
    with pytest.raises(DateParseError, match="looks like a reporting frequency"):
        parse_deadline("每隔一天", year=YEAR)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026年6月底前", Deadline(D(2026, 6, 30), text="2026年6月底前")),
        ("一季度", Deadline(D(2026, 3, 31), text="一季度")),
        ("年度内", Deadline(D(2026, 12, 31), text="年度内")),
        ("长期坚持", Deadline(None, ongoing=True, text="长期坚持")),
        (46203, Deadline(D(2026, 6, 30), text="46203")),
    ],
)
def test_parse_deadline_dates(value, expected):
    assert parse_deadline(value, year=YEAR) == expected


def test_parse_deadline_passes_calendar_through():
    result = parse_deadline(
        "5个工作日内",
        year=YEAR,
        base=BASE,
        add_working_days=lambda start, n: start + dt.timedelta(n + 2),
    )
    assert result.date == D(2026, 3, 9)


# --- parse_milestones -------------------------------------------------------------------------


def ms(date, name, pct, text):
    return MilestoneSpec(date=date, name=name, expected_pct=pct, text=text)


MILESTONE_CASES = [
    (
        "2026-03-31 完成招标；2026-06-30 开工；2026-11-30 完工",
        [
            ms(D(2026, 3, 31), "完成招标", None, "2026-03-31 完成招标"),
            ms(D(2026, 6, 30), "开工", None, "2026-06-30 开工"),
            ms(D(2026, 11, 30), "完工", None, "2026-11-30 完工"),
        ],
    ),
    (
        "6月底前 完成15条；12月底前 完成30条",
        [
            ms(D(2026, 6, 30), "完成15条", None, "6月底前 完成15条"),
            ms(D(2026, 12, 31), "完成30条", None, "12月底前 完成30条"),
        ],
    ),
    ("5月底前动工", [ms(D(2026, 5, 31), "动工", None, "5月底前动工")]),
    ("3月：完成方案", [ms(D(2026, 3, 31), "完成方案", None, "3月：完成方案")]),
    (
        "3月底前完成方案;6月底前完成50%\n\n9月底前完成80%；",
        [
            ms(D(2026, 3, 31), "完成方案", None, "3月底前完成方案"),
            ms(D(2026, 6, 30), "完成50%", 50.0, "6月底前完成50%"),
            ms(D(2026, 9, 30), "完成80%", 80.0, "9月底前完成80%"),
        ],
    ),
    (
        "1. 2026年3月底前完成方案\r\n2、6月底前完成投资的60%（约3亿元）\n(3)年底前全面完工",
        [
            ms(D(2026, 3, 31), "完成方案", None, "1. 2026年3月底前完成方案"),
            ms(
                D(2026, 6, 30),
                "完成投资的60%(约3亿元)",
                60.0,
                "2、6月底前完成投资的60%（约3亿元）",
            ),
            ms(D(2026, 12, 31), "全面完工", None, "(3)年底前全面完工"),
        ],
    ),
    (
        "①3月底前完成方案②6月底前形象进度达到12.5%",
        [
            ms(D(2026, 3, 31), "完成方案", None, "①3月底前完成方案"),
            ms(D(2026, 6, 30), "形象进度达到12.5%", 12.5, "②6月底前形象进度达到12.5%"),
        ],
    ),
    (
        "一季度 完成调研。二季度 出台办法。",
        [
            ms(D(2026, 3, 31), "完成调研", None, "一季度 完成调研"),
            ms(D(2026, 6, 30), "出台办法", None, "二季度 出台办法"),
        ],
    ),
    ("6月底前同比增长10%", [ms(D(2026, 6, 30), "同比增长10%", None, "6月底前同比增长10%")]),
    ("2026-06-30", [ms(D(2026, 6, 30), "", None, "2026-06-30")]),
    ("交办后7日内完成整改", [ms(D(2026, 3, 9), "完成整改", None, "交办后7日内完成整改")]),
    (46203, [ms(D(2026, 6, 30), "", None, "46203")]),
    (D(2026, 6, 30), [ms(D(2026, 6, 30), "", None, "2026-06-30")]),
    (None, []),
    ("", []),
    (" ；\n ", []),
]


@pytest.mark.parametrize(("value", "expected"), MILESTONE_CASES)
def test_parse_milestones(value, expected):
    assert parse_milestones(value, year=YEAR, base=BASE) == expected


MILESTONE_ERROR_CASES = [
    ("3月底前完成招标；待定", "milestone '待定': unrecognised date text"),
    ("完成招标（3月底前）", "milestone '完成招标（3月底前）': unrecognised date text"),
    ("2026-02-30 开工", "milestone '2026-02-30 开工': impossible date 2026-02-30"),
    ("3月完成方案，6月开工", "milestone '3月完成方案，6月开工': more than one date in the text"),
    ("长期坚持", "milestone '长期坚持': ongoing work has no milestone date"),
    (
        "每月25日前报送",
        "milestone '每月25日前报送': '每月25日前报送' is a reporting frequency (monthly), "
        "not a deadline",
    ),
    ("6月底前完成50%-60%", "milestone '6月底前完成50%-60%': more than one completion percentage"),
    ("6月底前完成150%", "milestone '6月底前完成150%': completion percentage 150% is over 100"),
]


@pytest.mark.parametrize(("value", "reason"), MILESTONE_ERROR_CASES)
def test_parse_milestones_errors(value, reason):
    with pytest.raises(DateParseError) as excinfo:
        parse_milestones(value, year=YEAR, base=BASE)
    assert str(excinfo.value) == reason


def test_parse_milestones_year_less_without_plan_year():
    with pytest.raises(DateParseError) as excinfo:
        parse_milestones("6月底前 开工", year=None)
    assert str(excinfo.value) == "milestone '6月底前 开工': date without a year needs the plan year"


# --- parse_frequency --------------------------------------------------------------------------

FREQUENCY_CASES = [
    ("每周", "weekly"),
    ("周报", "weekly"),
    ("weekly", "weekly"),
    ("Weekly ", "weekly"),
    ("每周五", "weekly"),
    ("每周一次", "weekly"),
    ("每星期一", "weekly"),
    ("每月", "monthly"),
    ("月报", "monthly"),
    ("monthly", "monthly"),
    ("每月25日前", "monthly"),
    ("每个月", "monthly"),
    ("每季度", "quarterly"),
    ("季度", "quarterly"),
    ("quarterly", "quarterly"),
    ("每季度末5日前", "quarterly"),
    ("每半月", "semimonthly"),
    ("半月", "semimonthly"),
    ("semimonthly", "semimonthly"),
    ("每两周", "biweekly"),
    ("双周", "biweekly"),
    ("biweekly", "biweekly"),
    ("每年", "yearly"),
    ("年度", "yearly"),
    ("yearly", "yearly"),
    ("　每月　", "monthly"),
    (None, None),
    ("", None),
    ("  ", None),
]


@pytest.mark.parametrize(("value", "expected"), FREQUENCY_CASES)
def test_parse_frequency(value, expected):
    assert parse_frequency(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("每半年", "unrecognised reporting frequency '每半年'"),
        ("每日", "unrecognised reporting frequency '每日'"),
        ("不定期", "unrecognised reporting frequency '不定期'"),
        ("2026-06-30", "unrecognised reporting frequency '2026-06-30'"),
        ("年度内", "unrecognised reporting frequency '年度内'"),
        ("每周两次", "'每周两次' is more than once per period"),
        (7, "unsupported frequency value type int"),
    ],
)
def test_parse_frequency_errors(value, reason):
    with pytest.raises(DateParseError) as excinfo:
        parse_frequency(value)
    assert str(excinfo.value) == reason
