"""Read deadlines, milestones and reporting frequencies as written in Excel ledgers (台账).

Every function either returns what the cell unambiguously says or raises DateParseError with a
human-readable reason. Nothing is guessed: the importer shows the reason to the user, who fixes the
cell, which is far cheaper than a task silently carrying the wrong deadline.

A reason is a message template (the constants below) and its parameters: str() of the error is the
English text, and the web layer translates the template (luoshi.ledger.importer.messages lists
every template for gettext). Standard library only (and luoshi.core.text, pure too), so the
importer and its tests run without Django.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from luoshi.core.text import cn_int

__all__ = [
    "AddWorkingDays",
    "DateParseError",
    "Deadline",
    "Message",
    "MilestoneSpec",
    "parse_date",
    "parse_deadline",
    "parse_frequency",
    "parse_milestones",
]

AddWorkingDays = Callable[[dt.date, int], dt.date]


# --------------------------------------------------------------------------------------------
# Reasons: English message templates, filled with their parameters by %. Every one is listed in
# TEMPLATES, and luoshi/ledger/importer/messages.py repeats them for gettext (a test keeps the two
# in step). A parameter may itself be a Message, e.g. the reason a milestone failed.
# --------------------------------------------------------------------------------------------

EMPTY_TEXT = "empty date text"
UNRECOGNISED_TEXT = "unrecognised date text"
IMPOSSIBLE_DATE = "impossible date %(date)s"
IMPOSSIBLE_MONTH = "impossible date: month %(month)s"
IMPOSSIBLE_YEAR = "impossible date: year %(year)s"
NEEDS_YEAR = "date without a year needs the plan year"
NEEDS_HANDOFF = "relative deadline needs the hand-off date"
NEEDS_CALENDAR = "working-day deadline needs the calendar"
SEVERAL_DATES = "more than one date in the text"
NOT_A_DATE = "not a date: %(value)s"
IMPLAUSIBLE_SERIAL = "number %(value)s is not a plausible Excel date (1990-2100)"
UNSUPPORTED_TYPE = "unsupported value type %(type)s"
FREQUENCY_NOT_DEADLINE = "'%(text)s' is a reporting frequency (%(frequency)s), not a deadline"
LOOKS_LIKE_FREQUENCY = "'%(text)s' looks like a reporting frequency, not a deadline"
SEVERAL_PERCENTAGES = "more than one completion percentage"
PERCENTAGE_OVER_100 = "completion percentage %(pct)s%% is over 100"
ONGOING_MILESTONE = "ongoing work has no milestone date"
IN_MILESTONE = "milestone '%(fragment)s': %(reason)s"
UNSUPPORTED_FREQUENCY_TYPE = "unsupported frequency value type %(type)s"
UNRECOGNISED_FREQUENCY = "unrecognised reporting frequency '%(text)s'"
SEVERAL_TIMES = "'%(text)s' is more than once per period"
# parse_frequency's names, which FREQUENCY_NOT_DEADLINE shows as its frequency.
FREQUENCY_NAMES = ("weekly", "biweekly", "semimonthly", "monthly", "quarterly", "yearly")

TEMPLATES: tuple[str, ...] = (
    EMPTY_TEXT,
    UNRECOGNISED_TEXT,
    IMPOSSIBLE_DATE,
    IMPOSSIBLE_MONTH,
    IMPOSSIBLE_YEAR,
    NEEDS_YEAR,
    NEEDS_HANDOFF,
    NEEDS_CALENDAR,
    SEVERAL_DATES,
    NOT_A_DATE,
    IMPLAUSIBLE_SERIAL,
    UNSUPPORTED_TYPE,
    FREQUENCY_NOT_DEADLINE,
    LOOKS_LIKE_FREQUENCY,
    SEVERAL_PERCENTAGES,
    PERCENTAGE_OVER_100,
    ONGOING_MILESTONE,
    IN_MILESTONE,
    UNSUPPORTED_FREQUENCY_TYPE,
    UNRECOGNISED_FREQUENCY,
    SEVERAL_TIMES,
    *FREQUENCY_NAMES,
)


@dataclass(frozen=True)
class Message:
    """A reason to show a person: template % params. str() is the English text; a translator
    looks the template up instead and fills in the same parameters (translating those that are
    Messages too)."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params


class DateParseError(ValueError):
    """The text could not be read as a date; str(e) is a human-readable English reason, made of
    e.template (one of TEMPLATES) and e.params."""

    def __init__(self, template: str, params: Mapping[str, object] | None = None):
        self.template = template
        self.params = dict(params or {})
        super().__init__(template % self.params)

    @property
    def message(self) -> Message:
        return Message(self.template, self.params)

    def __reduce__(self):
        return self.__class__, (self.template, self.params)


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None  # None when ongoing
    ongoing: bool = False  # 长期坚持 / 持续推进 / 常态化 ...: no deadline, never silently given one
    label: str = ""  # words after the date: "5月底前动工" -> "动工"
    text: str = ""  # the original text, stripped


@dataclass(frozen=True)
class MilestoneSpec:
    date: dt.date
    name: str  # what is due, e.g. "完成招标"; may be ""
    expected_pct: float | None  # "完成50%" -> 50.0; None when the text does not say
    text: str  # the source fragment


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Excel's 1900 date system counts from 1899-12-30 (it wrongly treats 1900 as a leap year, which
# only matters for serials before March 1900, far outside the range we accept).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MIN = dt.date(1990, 1, 1)
_EXCEL_MAX = dt.date(2100, 12, 31)

# Dashes and wave dashes that NFKC leaves alone but people use interchangeably with "-" and "~".
_TRANSLATE = {
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
    **dict.fromkeys(map(ord, "\u301c"), "~"),
    # Zero-width characters sneak in through copy-paste from web pages and Word.
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None),
}

_WHITESPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    # NFKC folds full-width digits and punctuation (２０２６／６／３０, ：, ；, （）) to ASCII, so
    # the rules below only need to know one spelling of each.
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return _WHITESPACE.sub(" ", text).strip()


def _to_int(token: str) -> int:
    """Arabic or Chinese numerals: "12", "十二", "三十一", "二〇二六" (digit by digit only a
    year: "一二月" is not a month)."""
    value = cn_int(token)
    if value is None:
        raise DateParseError(UNRECOGNISED_TEXT)
    return value


# --------------------------------------------------------------------------------------------
# Date arithmetic helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    year: int | None
    base: dt.date | None
    add_working_days: AddWorkingDays | None


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateParseError(
            IMPOSSIBLE_DATE, {"date": f"{year:04d}-{month:02d}-{day:02d}"}
        ) from None


def _check_month(month: int) -> int:
    if not 1 <= month <= 12:
        raise DateParseError(IMPOSSIBLE_MONTH, {"month": month})
    return month


def _month_end(year: int, month: int) -> dt.date:
    _check_month(month)
    try:
        last = calendar.monthrange(year, month)[1]
    except ValueError:
        raise DateParseError(IMPOSSIBLE_YEAR, {"year": year}) from None
    return _make_date(year, month, last)


def _add_months(start: dt.date, months: int) -> dt.date:
    # Clamp to the month end: one month after Jan 31 is Feb 28/29, never March.
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _year(m: re.Match[str], ctx: _Context) -> int:
    if m["y"]:
        return _to_int(m["y"])
    if ctx.year is None:
        raise DateParseError(NEEDS_YEAR)
    return ctx.year


def _need_base(ctx: _Context) -> dt.date:
    if ctx.base is None:
        raise DateParseError(NEEDS_HANDOFF)
    return ctx.base


# --------------------------------------------------------------------------------------------
# Rules: each is a regex anchored at the start of the normalised text and a handler that turns
# the match into a date. Whatever follows the match is the label. Order matters: more specific
# forms come first so that e.g. "6月30日" is never read as the bare month "6月".
# --------------------------------------------------------------------------------------------

_CN = "〇零一二两三四五六七八九十"
_YEAR_REQ = rf"(?:(?P<y>\d{{4}}|[{_CN}]{{4}})\s*年|今年|本年|当年)"
_YEAR_OPT = rf"(?:{_YEAR_REQ}\s*)?"
_MONTH = r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
# A Chinese-numeral day must be followed by 日/号, otherwise "6月一期工程" would read as June 1.
_DAY = r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3}(?=\s*[日号]))(?:\s*[日号])?"
_BEFORE = r"(?:\s*(?:以前|之前|前|以内|之内|内|为止|止))?"
_BEFORE_DAY = r"(?:\s*(?:底?(?:以前|之前|前)|以内|之内|内|为止|止))?"
# str() of an Excel datetime cell: "2026-06-30 00:00:00".
_TIME = r"(?:(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_HANDOFF = (
    r"(?:自|从)?(?:交办|收到|接到|下发|印发|签收|通知|发文|转办|批转)"
    r"[^\d\s]{0,8}?(?:之日起|之日后|之日|以后|后|起)"
)
_COUNT = rf"\d{{1,3}}|[{_CN}]{{1,3}}"
_UNIT = r"个?工作日|个?自然日|日|天|周|个?星期|个月"
_WITHIN = r"\s*(?:以内|之内|内)"


def _h_ymd(m: re.Match[str], ctx: _Context) -> dt.date:
    month = _check_month(_to_int(m["m"]))
    return _make_date(_year(m, ctx), month, _to_int(m["d"]))


def _h_month_end(m: re.Match[str], ctx: _Context) -> dt.date:
    month = _check_month(_to_int(m["m"]))
    return _month_end(_year(m, ctx), month)


def _h_xun(m: re.Match[str], ctx: _Context) -> dt.date:
    # A 旬 is a ten-day third of a month; a deadline in one means its last day.
    month = _check_month(_to_int(m["m"]))
    year = _year(m, ctx)
    if m["x"] == "下":
        return _month_end(year, month)
    return _make_date(year, month, 10 if m["x"] == "上" else 20)


def _h_year_end(m: re.Match[str], ctx: _Context) -> dt.date:
    return dt.date(_year(m, ctx), 12, 31)


def _h_mid_year(m: re.Match[str], ctx: _Context) -> dt.date:
    return dt.date(_year(m, ctx), 6, 30)


def _h_half(m: re.Match[str], ctx: _Context) -> dt.date:
    year = _year(m, ctx)
    return dt.date(year, 6, 30) if m["h"] == "上" else dt.date(year, 12, 31)


def _h_quarter(m: re.Match[str], ctx: _Context) -> dt.date:
    return _month_end(_year(m, ctx), _to_int(m["q"]) * 3)


def _h_relative(m: re.Match[str], ctx: _Context) -> dt.date:
    count = _to_int(m["n1"] or m["n2"])
    unit = m["u1"] or m["u2"]
    base = _need_base(ctx)
    if "工作日" in unit:
        # Working days depend on the holiday calendar (调休 included), which lives elsewhere.
        if ctx.add_working_days is None:
            raise DateParseError(NEEDS_CALENDAR)
        return ctx.add_working_days(base, count)
    if unit == "个月":
        return _add_months(base, count)
    if unit.endswith(("周", "星期")):
        return base + dt.timedelta(weeks=count)
    return base + dt.timedelta(days=count)


def _h_immediate(m: re.Match[str], ctx: _Context) -> dt.date:
    return _need_base(ctx)


def _h_ongoing(m: re.Match[str], ctx: _Context) -> None:
    return None


class _Rule(NamedTuple):
    pattern: re.Pattern[str]
    # Returns the date, or None for the one rule that means "ongoing".
    handler: Callable[[re.Match[str], _Context], dt.date | None]
    ongoing: bool = False


_RULES: tuple[_Rule, ...] = tuple(
    _Rule(re.compile(pattern), handler, handler is _h_ongoing)
    for pattern, handler in (
        (
            r"(?:长期|持续|常态化|常年|长效)\s*(?:坚持|推进|开展|落实|进行|实施|执行|抓好)?",
            _h_ongoing,
        ),
        (rf"(?:{_HANDOFF}\s*)?(?:立行立改|即知即改|立知立改|立即|立刻|马上)", _h_immediate),
        (
            rf"(?:{_HANDOFF}\s*(?P<n1>{_COUNT})\s*(?P<u1>{_UNIT})(?:{_WITHIN})?"
            rf"|(?P<n2>{_COUNT})\s*(?P<u2>{_UNIT}){_WITHIN})",
            _h_relative,
        ),
        # 2026-06-30, 2026/6/30, 2026.6.30 (the separator must not change half-way).
        (
            rf"(?P<y>\d{{4}})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"
            rf"(?:\s*[日号])?{_TIME}{_BEFORE_DAY}",
            _h_ymd,
        ),
        (rf"(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}}){_BEFORE_DAY}", _h_ymd),
        (rf"(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})(?:\s*月)?(?:\s*[底末])?{_BEFORE}", _h_month_end),
        (rf"(?:(?P<y>\d{{4}})\s*[年/-]?\s*|今年|本年|当年)?[Qq](?P<q>[1-4]){_BEFORE}", _h_quarter),
        (rf"{_YEAR_OPT}{_MONTH}\s*{_DAY}{_BEFORE_DAY}", _h_ymd),
        (rf"{_YEAR_OPT}{_MONTH}(?:\s*份)?\s*(?P<x>[上中下])\s*旬{_BEFORE}", _h_xun),
        (rf"{_YEAR_OPT}{_MONTH}(?:\s*份)?\s*[底末]{_BEFORE}", _h_month_end),
        # A bare month means its last day. "6月初"/"6月中" are too vague to read, and "6月3O" is a
        # typo, so the lookahead makes them fail instead of falling through to month end.
        (rf"{_YEAR_OPT}{_MONTH}(?!\s*(?:[\d初]|中(?!期)))(?:\s*份)?{_BEFORE}", _h_month_end),
        (rf"(?:{_YEAR_REQ}\s*年?度?|年度?)\s*[底末内]{_BEFORE}", _h_year_end),
        (rf"{_YEAR_OPT}(?P<h>[上下])\s*半\s*年(?:\s*[底末])?{_BEFORE}", _h_half),
        (rf"{_YEAR_OPT}第?\s*(?P<q>[一二三四1-4])\s*季度(?:\s*[底末])?{_BEFORE}", _h_quarter),
        (rf"(?:{_YEAR_REQ}\s*年?|年)\s*中(?!期|旬){_BEFORE}", _h_mid_year),
    )
)

# Leading words that only say "by": 截至2026年6月30日, 于6月底前.
_LEAD = re.compile(r"(?:截至|截止(?:到|至)?|到|至|于|在)\s*")
# Immediately after a match ending in a digit, these mean the number was cut short.
_DIGIT_CONTINUES = re.compile(r"[0-9A-Za-z]|[-/.:]\d")
# Directly after any match, a date unit means the rule only read part of the expression.
_UNIT_CONTINUES = re.compile(r"[年月日号旬份]")
_LABEL_LEAD = re.compile(r"^[\s,、:;。]+")
_LABEL_TAIL = re.compile(r"[\s,、:;。]+$")
# Places in a label where a second date could start: "…—2026年12月31日", "…，7月底前…". Not
# after a digit, so number ranges in the label ("完成1-5月统计", "1至5月") stay part of it.
_SECOND_DATE_AT = re.compile(r"\s|(?<!\d)[,、:;。/()\-~至到或]")


def _first_match(text: str) -> tuple[_Rule, re.Match[str], str] | None:
    for rule in _RULES:
        m = rule.pattern.match(text)
        if not m:
            continue
        matched = m.group().rstrip()
        rest = text[len(matched) :]
        if matched[-1].isdigit() and _DIGIT_CONTINUES.match(rest):
            continue
        if _UNIT_CONTINUES.match(rest):
            continue
        return rule, m, rest
    return None


def _has_date_at_start(text: str) -> bool:
    found = _first_match(text)
    # Ongoing words in a label are commentary ("6月底前完成，持续跟踪"), not a second deadline.
    return found is not None and not found[0].ongoing


def _contains_date(label: str) -> bool:
    if _has_date_at_start(label):
        return True
    return any(
        _has_date_at_start(label[sep.end() :].lstrip()) for sep in _SECOND_DATE_AT.finditer(label)
    )


def _parse_text(text: str, ctx: _Context) -> Deadline:
    norm = _normalise(text)
    if not norm:
        raise DateParseError(EMPTY_TEXT)
    lead = _LEAD.match(norm)
    body = norm[lead.end() :] if lead else norm
    found = _first_match(body)
    if found is None:
        raise DateParseError(UNRECOGNISED_TEXT)
    rule, m, rest = found
    label = _LABEL_TAIL.sub("", _LABEL_LEAD.sub("", rest))
    # A range or a second date ("2026年6月30日—2026年12月31日") has no single deadline to take.
    if _contains_date(label):
        raise DateParseError(SEVERAL_DATES)
    date = rule.handler(m, ctx)
    return Deadline(date=date, ongoing=date is None, label=label, text=text.strip())


def _from_serial(value: float) -> dt.date:
    if not math.isfinite(value):
        raise DateParseError(NOT_A_DATE, {"value": value})
    # The fraction is the time of day, which a deadline does not carry.
    date = _EXCEL_EPOCH + dt.timedelta(days=math.floor(value))
    if not _EXCEL_MIN <= date <= _EXCEL_MAX:
        raise DateParseError(IMPLAUSIBLE_SERIAL, {"value": value})
    return date


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def parse_date(
    value: object,
    *,
    year: int | None,
    base: dt.date | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> Deadline:
    """Read one date expression.

    value: str, datetime.date, datetime.datetime (its date is used) or an Excel serial number
    (int/float, 1900 date system, 1990..2100 only). year: the plan's year, for forms without one.
    base: the hand-off date, for relative forms (30日内, 立行立改). add_working_days(base, n):
    needed for "N个工作日内", which depends on the holiday calendar.
    """
    ctx = _Context(year=year, base=base, add_working_days=add_working_days)
    if value is None:
        raise DateParseError(EMPTY_TEXT)
    if isinstance(value, dt.datetime):
        return Deadline(date=value.date(), text=value.date().isoformat())
    if isinstance(value, dt.date):
        return Deadline(date=value, text=value.isoformat())
    # bool is an int subclass, but True is not day 1 of anything.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Deadline(date=_from_serial(value), text=str(value))
    if isinstance(value, str):
        return _parse_text(value, ctx)
    raise DateParseError(UNSUPPORTED_TYPE, {"type": type(value).__name__})


def parse_deadline(
    value: object,
    *,
    year: int | None,
    base: dt.date | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> Deadline:
    """parse_date for a 完成时限 cell, which also rejects reporting frequencies (每月25日前)."""
    if isinstance(value, str):
        norm = _normalise(value)
        frequency = _match_frequency(norm)
        if frequency is not None:
            raise DateParseError(
                FREQUENCY_NOT_DEADLINE, {"text": value.strip(), "frequency": Message(frequency)}
            )
        if norm.startswith("每"):
            raise DateParseError(LOOKS_LIKE_FREQUENCY, {"text": value.strip()})
    return parse_date(value, year=year, base=base, add_working_days=add_working_days)


# Circled numbers (①②) start a new item even on the same line; they must also go before NFKC
# turns ① into a bare "1" that would glue onto the date.
_CIRCLED_NUMBER = "[\u2460-\u2473\u2776-\u2793]"
_MILESTONE_SPLIT = re.compile(rf"[\r\n;；。]+|(?={_CIRCLED_NUMBER})")
_CIRCLED = re.compile(rf"^\s*{_CIRCLED_NUMBER}\s*")
_ENUMERATOR = re.compile(
    r"^(?:\(\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*\)|\d{1,2}\s*[、)]|\d{1,2}\."
    r"|[一二三四五六七八九十]{1,2}\s*、)\s*"
)
_CLAUSE_SPLIT = re.compile(r"[,、;。]")
_COMPLETION_WORD = re.compile(r"完成|进度|完工|累计")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def _expected_pct(name: str) -> float | None:
    # Only percentages tied to completion count: "同比增长10%" is a target, not progress.
    found = {
        float(number)
        for clause in _CLAUSE_SPLIT.split(name)
        if _COMPLETION_WORD.search(clause)
        for number in _PERCENT.findall(clause)
    }
    if not found:
        return None
    if len(found) > 1:
        raise DateParseError(SEVERAL_PERCENTAGES)
    pct = found.pop()
    if pct > 100:
        raise DateParseError(PERCENTAGE_OVER_100, {"pct": f"{pct:g}"})
    return pct


def parse_milestones(
    value: object,
    *,
    year: int | None,
    base: dt.date | None = None,
    add_working_days: AddWorkingDays | None = None,
) -> list[MilestoneSpec]:
    """Read a 时间节点 cell: 'date + what' pairs separated by new lines, ；/; or 。.

    Leading list numbers (1. 1、 (1) ① 一、) are ignored. Empty/None -> [].
    """
    if value is None:
        return []
    if not isinstance(value, str):
        # A lone date or serial number in the cell is one nameless milestone.
        deadline = parse_date(value, year=year, base=base, add_working_days=add_working_days)
        return [MilestoneSpec(date=deadline.date, name="", expected_pct=None, text=deadline.text)]
    milestones = []
    for raw in _MILESTONE_SPLIT.split(value):
        fragment = raw.strip()
        body = _ENUMERATOR.sub("", _normalise(_CIRCLED.sub("", fragment)))
        if not _LABEL_LEAD.sub("", body):
            continue
        try:
            deadline = parse_deadline(body, year=year, base=base, add_working_days=add_working_days)
            if deadline.ongoing:
                raise DateParseError(ONGOING_MILESTONE)
            pct = _expected_pct(deadline.label)
        except DateParseError as exc:
            raise DateParseError(
                IN_MILESTONE, {"fragment": fragment, "reason": exc.message}
            ) from None
        milestones.append(
            MilestoneSpec(date=deadline.date, name=deadline.label, expected_pct=pct, text=fragment)
        )
    return milestones


# Ordered: "每两周"/"每半月" must win over "每周"/"每月". Bare words (周报, 季度) must be the whole
# text, so "年度内" or "季度末" are not taken for frequencies.
_FREQUENCY_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"每半个?月|(?:半月报?|semi-?monthly)$", "semimonthly"),
        (r"(?:每|隔)(?:两|二|2)周|隔周|(?:双周报?|bi-?weekly|fortnightly)$", "biweekly"),
        (r"每(?:周|星期|礼拜)|(?:周报|weekly)$", "weekly"),
        (r"每个?月|(?:月报|月度|monthly)$", "monthly"),
        (r"每个?季|(?:季度报?|季报|quarterly)$", "quarterly"),
        (r"每年|(?:年度报?|年报|yearly|annual(?:ly)?)$", "yearly"),
    )
)
# "每周两次" is more often than weekly; calling it weekly would under-report.
_SEVERAL_TIMES = re.compile(rf"(?:[2-9]|\d{{2,}}|[二两三四五六七八九十][{_CN}]*)\s*次")


def _match_frequency(norm: str) -> str | None:
    lowered = norm.lower()
    for pattern, name in _FREQUENCY_RULES:
        if pattern.match(lowered):
            return name
    return None


def parse_frequency(value: object) -> str | None:
    """Reporting frequency -> 'weekly', 'biweekly', 'semimonthly', 'monthly', 'quarterly',
    'yearly'; None for an empty cell. Anything else raises DateParseError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DateParseError(UNSUPPORTED_FREQUENCY_TYPE, {"type": type(value).__name__})
    norm = _normalise(value)
    if not norm:
        return None
    frequency = _match_frequency(norm)
    if frequency is None:
        raise DateParseError(UNRECOGNISED_FREQUENCY, {"text": value.strip()})
    if _SEVERAL_TIMES.search(norm):
        raise DateParseError(SEVERAL_TIMES, {"text": value.strip()})
    return frequency
