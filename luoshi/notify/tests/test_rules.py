"""Delivery rules, table-first, without the database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from luoshi.core.workdays import WorkCalendar
from luoshi.notify import rules

SH = ZoneInfo("Asia/Shanghai")
AT = dt.time(8, 30)
CAL = WorkCalendar()


@pytest.mark.parametrize(("attempt", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)])
def test_backoff_doubles_from_one_minute(attempt, minutes):
    assert rules.backoff(attempt) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("attempt", "permanent", "gives_up"),
    [(1, False, False), (5, False, False), (6, False, True), (1, True, True)],
)
def test_gives_up_after_six_attempts_or_a_permanent_error(attempt, permanent, gives_up):
    assert rules.gives_up(attempt, permanent=permanent) is gives_up


@pytest.mark.parametrize(
    ("created", "slot"),
    [
        # Tuesday before the digest time: the same morning.
        (dt.datetime(2026, 3, 10, 7, 0), dt.datetime(2026, 3, 10, 8, 30)),
        (dt.datetime(2026, 3, 10, 8, 30), dt.datetime(2026, 3, 10, 8, 30)),
        # After it: the next morning.
        (dt.datetime(2026, 3, 10, 9, 0), dt.datetime(2026, 3, 11, 8, 30)),
        # Friday afternoon and Saturday: Monday.
        (dt.datetime(2026, 3, 13, 15, 0), dt.datetime(2026, 3, 16, 8, 30)),
        (dt.datetime(2026, 3, 14, 6, 0), dt.datetime(2026, 3, 16, 8, 30)),
        # National Day 2026: 1–7 October off, then Thursday the 8th.
        (dt.datetime(2026, 9, 30, 17, 0), dt.datetime(2026, 10, 8, 8, 30)),
    ],
)
def test_digest_goes_on_the_next_working_morning(created, slot):
    got = rules.digest_slot(created.replace(tzinfo=SH), AT, CAL.is_working_day)
    assert got == slot.replace(tzinfo=SH)


def test_digest_slot_stops_on_a_calendar_without_working_days():
    created = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)
    got = rules.digest_slot(created, AT, lambda d: False)
    assert created < got <= created + dt.timedelta(days=62)


T = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)
S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("recent", "in_flight", "rate", "until"),
    [
        ([], 0, 20, None),
        ([T - 50 * S] * 19, 0, 20, None),
        ([T - 50 * S] * 19, 1, 20, T + 10 * S),  # one in flight fills it
        ([T - 50 * S, *[T - 10 * S] * 19], 0, 20, T + 10 * S),  # the oldest frees the slot
        ([T - 50 * S, T - 40 * S, *[T - 5 * S] * 19], 0, 20, T + 20 * S),  # over: two must go
        ([], 3, 3, T + 60 * S),  # all in flight: a full window from now
    ],
)
def test_rate_limit_window(recent, in_flight, rate, until):
    assert rules.rate_limited_until(recent, in_flight, rate, T) == until


@pytest.mark.parametrize(
    ("text", "limit", "out"),
    [("abc", 3, "abc"), ("abcdef", 5, "ab…"), ("落实落实", 9, "落实落实"[:2] + "…")],
)
def test_truncate_counts_utf8_bytes(text, limit, out):
    assert rules.truncate_utf8(text, limit) == out
    assert len(out.encode()) <= max(limit, len("…".encode()))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=%2A%2A%2A",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123",
            "https://open.feishu.cn/open-apis/bot/v2/hook/0123***",
        ),
        ("http://user:pw@gw:8080/hook", "http://gw:8080/hook"),
    ],
)
def test_redact_url_hides_credentials(url, shown):
    assert rules.redact_url(url) == shown


def test_typed_text_is_shown_not_rendered_in_group_chat_markdown():
    title = "[点这里](http://evil.example/) **急** <font color=red>x</font> `a` #1 ~b~ |c| \\d"
    safe = rules.markdown_plain(title)
    for mark in "[]()*<>`#~|\\":
        assert mark not in safe
    assert safe.startswith("［点这里］（http://evil.example/）")
    assert rules.markdown_plain("第一行\n第二行", one_line=True) == "第一行 第二行"
    assert rules.markdown_plain("第一行\n第二行") == "第一行\n第二行"
