"""Reading the State Council's holiday notice (core.arrangement, pure)."""

import datetime as dt

import holidays
import pytest

from luoshi.core.arrangement import NoticeError, parse_notice, summarize
from luoshi.core.workdays import WorkCalendar

D = dt.date

# The 2026 notice as published on 2025-11-04 (国办发明电〔2025〕7号), reconstructed from its
# facts; holidays 0.109 encodes the same arrangement (see test_2026_notice_equals_the_package).
NOTICE_2026 = """\
国务院办公厅关于2026年部分节假日安排的通知
国办发明电〔2025〕7号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的\
具体安排通知如下。
　　一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
　　二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。\
2月14日（周六）、2月28日（周六）上班。
　　三、清明节：4月4日（周六）至6日（周一）放假，共3天。
　　四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
　　五、端午节：6月19日（周五）至21日（周日）放假，共3天。
　　六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
　　七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
　　鼓励单位和个人结合落实带薪年休假等制度，实际形成较长假期，推动错峰出行。节假日期间，各地区、\
各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，\
确保人民群众祥和平安度过节日假期。

国务院办公厅
2025年11月4日
"""

# TEST FIXTURE — INVENTED. This is NOT the State Council's 2027 arrangement (not published when
# this was written); its dates are chosen to differ from the holidays package's 2027 estimate
# (e.g. 劳动节 ends on 5月3日 where the package guesses 5月4日 off too) and to carry make-up days.
NOTICE_2027 = """\
（测试用虚构通知，非官方安排 — TEST FIXTURE, invented）
国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。\
1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至3日（周一）放假，共3天。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def days_of(year):
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def notice_calendar(arr):
    return WorkCalendar(
        overrides={d: w for d, (w, _) in arr.dates().items()}, confirmed_years=[arr.year]
    )


def test_2026_notice_equals_the_package():
    arr = parse_notice(NOTICE_2026)
    assert arr.year == 2026
    cn = holidays.China(years=2026)
    package_workdays = sorted(d for d in cn.weekend_workdays if d.year == 2026)
    assert [d for d, _ in arr.workdays] == package_workdays
    assert package_workdays == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    off = {d for d, _ in arr.holidays}
    # The notice gives whole breaks (weekends inside them included); the package lists the
    # statutory and swapped days. Every package holiday is in a break, and on weekdays the two
    # are the same days.
    assert set(cn) <= off
    assert {d for d in off if d.weekday() < 5} == {d for d in cn if d.weekday() < 5}
    assert len(off) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    # Day by day, the notice alone (a confirmed year) and the package agree on all of 2026.
    by_notice, by_package = notice_calendar(arr), WorkCalendar()
    assert [
        d for d in days_of(2026) if by_notice.is_working_day(d) != by_package.is_working_day(d)
    ] == []


def test_2026_notes_title_and_reference():
    arr = parse_notice(NOTICE_2026)
    notes = dict(arr.holidays)
    assert notes[D(2026, 2, 15)] == notes[D(2026, 2, 23)] == "春节"
    assert notes[D(2026, 10, 7)] == "国庆节"
    assert dict(arr.workdays) == {
        D(2026, 1, 4): "元旦调休",
        D(2026, 2, 14): "春节调休",
        D(2026, 2, 28): "春节调休",
        D(2026, 5, 9): "劳动节调休",
        D(2026, 9, 20): "国庆节调休",
        D(2026, 10, 10): "国庆节调休",
    }
    assert arr.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert arr.reference == "国办发明电〔2025〕7号"
    assert arr.source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
    assert [f.line_no for f in arr.festivals] == [6, 7, 8, 9, 10, 11, 12]
    assert summarize(arr)[1] == (
        "春节: off 2026-02-15（周日） – 2026-02-23（周一）, 9 days; "
        "make-up workdays 2026-02-14（周六）, 2026-02-28（周六）"
    )


def test_2027_fixture_parses():
    arr = parse_notice(NOTICE_2027)
    assert arr.year == 2027
    assert [d for d, _ in arr.workdays] == [
        D(2027, 1, 31),
        D(2027, 2, 20),
        D(2027, 9, 26),
        D(2027, 10, 9),
    ]
    assert len(arr.holidays) == 3 + 9 + 3 + 3 + 1 + 1 + 7


def test_year_from_argument_and_disagreement():
    body = "二、春节：2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周六）上班。"
    arr = parse_notice(body, 2026)
    assert arr.year == 2026 and arr.workdays == [(D(2026, 2, 14), "春节调休")]
    with pytest.raises(NoticeError, match="no year"):
        parse_notice(body)
    with pytest.raises(NoticeError, match="for 2026, but year 2027"):
        parse_notice(NOTICE_2026, 2027)


def test_range_across_new_year_belongs_to_the_notices_year():
    # As in the 2023 notice (dates without years): 元旦 begins on New Year's Eve of 2022.
    arr = parse_notice(
        "国务院办公厅关于2023年部分节假日安排的通知\n"
        "一、元旦：12月31日（周六）至1月2日（周一）放假调休，共3天。12月25日（周日）上班。"
    )
    assert [d for d, _ in arr.holidays] == [D(2022, 12, 31), D(2023, 1, 1), D(2023, 1, 2)]
    assert arr.workdays == [(D(2022, 12, 25), "元旦调休")]
    # With explicit years, as in the 2019 notice.
    arr = parse_notice(
        "2019年部分节假日安排\n"
        "一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。"
    )
    assert [d for d, _ in arr.holidays] == [D(2018, 12, 30), D(2018, 12, 31), D(2019, 1, 1)]
    assert arr.workdays == [(D(2018, 12, 29), "元旦调休")]


def test_earlier_wordings():
    arr = parse_notice(
        "国务院办公厅关于2025年部分节假日安排的通知\n"
        "一、元旦：1月1日（周三）放假1天，不调休。\n"
        "五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。\n"
        "六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。"
        "9月28日（周日）、10月11日（周六）上班。"
    )
    notes = dict(arr.holidays)
    assert notes[D(2025, 1, 1)] == "元旦"
    assert [d for d, n in arr.holidays if n == "端午节"] == [
        D(2025, 5, 31),
        D(2025, 6, 1),
        D(2025, 6, 2),
    ]
    assert notes[D(2025, 10, 8)] == "国庆节、中秋节"
    assert dict(arr.workdays)[D(2025, 9, 28)] == "国庆节、中秋节调休"
    # 2024: "与周末连休", and an advisory sentence with a date that is not a day off.
    arr = parse_notice(
        "2024年部分节假日安排\n一、元旦：1月1日放假，与周末连休。\n"
        "二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。"
        "鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。"
    )
    assert D(2024, 2, 9) not in dict(arr.holidays)
    assert arr.remarks == ["春节: 鼓励各单位结合带薪年休假等制度落实,安排职工在除夕(2月9日)休息"]
    # 2017: a 补休 day.
    arr = parse_notice("2017年部分节假日安排\n一、元旦：1月1日放假，1月2日（星期一）补休。")
    assert [d for d, _ in arr.holidays] == [D(2017, 1, 1), D(2017, 1, 2)]


def test_pasted_text_variants():
    # Half-width punctuation, CRLF, and items run together on one line all read the same.
    half = NOTICE_2026.replace("：", ":").replace("（", "(").replace("）", ")").replace("，", ",")
    one_line = NOTICE_2026.replace("上班。\n　　", "上班。").replace("共3天。\n　　", "共3天。")
    for text in (half, NOTICE_2026.replace("\n", "\r\n"), one_line):
        arr = parse_notice(text)
        assert (arr.holidays, arr.workdays) == (
            parse_notice(NOTICE_2026).holidays,
            parse_notice(NOTICE_2026).workdays,
        )


def _bad(line, year=2026):
    with pytest.raises(NoticeError) as info:
        parse_notice(f"国务院办公厅关于{year}年部分节假日安排的通知\n\n{line}")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.line_no == 3 and "line 3 " in str(err)
    return str(err)


def test_weekday_mismatch_names_the_line():
    msg = _bad("二、春节：2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周五）上班。")
    assert "二、春节" in msg and "2026-02-14 is a 周六, not 周五" in msg
    msg = _bad("七、国庆节：10月1日（周五）至7日（周三）放假调休，共7天。")
    assert "2026-10-01 is a 周四, not 周五" in msg
    msg = _bad("一、元旦：1月1日（星期四）至3日（星期日）放假调休，共3天。")
    assert "2026-01-03 is a 周六, not 周日" in msg


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("二、春节：二月十五日至二十三日放假。", "no dates"),
        ("二、春节：2月15日至23日放假调休，共8天。", "says 8 days off, but the dates give 9"),
        ("二、春节：2月15日至23日放假调休，共9天。2月16日（周一）上班。", "not a weekend day"),
        ("二、春节：2月15日至23日休息，共9天。", "no days off"),
        ("二、春节：2月15日至23日放假调休，共9天。2月14日（周六）、上午上班。", "cannot read"),
        ("二、春节：2月30日放假。", "not a date in 2026"),
        ("二、春节：2月23日至15日放假。", "ends before it starts"),
        ("二、春节 2月15日至23日放假。", "<festival>：<dates>"),
        ("春节：2月15日至23日放假调休，共9天。", "not a numbered item"),
        ("二、春节：2月15日至23日放假调休，共9天。8月1日（周六）上班。", "far from the 春节"),
    ],
)
def test_unreadable_lines_name_the_line_and_reason(line, reason):
    msg = _bad(line)
    assert reason in msg
    assert line[:10] in msg


def test_a_day_listed_twice():
    with pytest.raises(
        NoticeError, match=r"line 3 .*2026-02-16 is already listed under 春节 \(line 2\)"
    ):
        parse_notice(
            "2026年部分节假日安排\n二、春节：2月15日至23日放假调休，共9天。\n三、元宵：2月16日放假。"
        )


def test_empty_or_itemless_text():
    with pytest.raises(NoticeError, match="empty"):
        parse_notice("  \n")
    with pytest.raises(NoticeError, match="no numbered holiday items"):
        parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n各省、自治区、直辖市人民政府：")
