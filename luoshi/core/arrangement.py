"""Read the State Council's annual holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知).

Pure: text in, dates out, no Django. The notice is published each November; its numbered lines
read like

    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
    2月14日（周六）、2月28日（周六）上班。

`parse_notice` turns it into an `Arrangement`: the year, every day off (each day of each range,
weekends included, noted with the festival) and every make-up workday (noted "春节调休").

It is strict where a mistake would silently shift deadlines: the weekday written in brackets
must match the date, "共N天" must match the range, a make-up workday must fall on a weekend, no
day may be listed twice, and a numbered line it cannot read is an error (`NoticeError`, a
ValueError naming the line and the reason) rather than something skipped. Sentences in an item
that neither give days off nor working days (e.g. "鼓励……安排职工在除夕休息") are kept in
`Arrangement.remarks`, not interpreted."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

WEEKDAY_NAMES = "一二三四五六日"  # 周一 … 周日, date.weekday() order
_WEEKDAY_CHARS = {**{c: i for i, c in enumerate(WEEKDAY_NAMES)}, "天": 6}
_ORDINAL = re.compile(r"^([一二三四五六七八九十]+)[、.]\s*")
_TITLE_YEAR = re.compile(r"(\d{4})年部分节假日(?:休息)?安排")
_PREAMBLE_YEAR = re.compile(r"现将(\d{4})年")
_REFERENCE = re.compile(r"国办发(?:明电)?[〔\[](\d{4})[〕\]]\d+号")
# After NFKC: "１月１日（周四）" -> "1月1日(周四)". Year and month are optional (a range's end
# often gives only the day: "至3日").
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\(([^()]*)\))?")
_WEEKDAY_IN_BRACKETS = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_DATE_ANYWHERE = re.compile(r"\d{1,2}月\d{1,2}日")
_RANGE_SEP = ("至", "到", "-", "~", "—", "–")
_COUNT = re.compile(r"^共(?:计)?(\d+)天$")
_OFF = re.compile(r"^放假(?:调休)?(?:(\d+)天)?$")


class NoticeError(ValueError):
    """A notice that cannot be read. `line_no` is 1-based (0 for the notice as a whole)."""

    def __init__(self, reason: str, line_no: int = 0, line: str = ""):
        self.reason, self.line_no, self.line = reason, line_no, line
        where = f'line {line_no} "{_shorten(line)}": ' if line_no else ""
        super().__init__(where + reason)


def _shorten(text: str, width: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Festival:
    """One numbered item of the notice."""

    name: str  # as written: "春节", "国庆节、中秋节"
    days_off: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]
    line_no: int


@dataclass(frozen=True)
class Arrangement:
    """The year's arrangement. holidays/workdays: sorted [(date, note)]."""

    year: int
    holidays: list[tuple[dt.date, str]]
    workdays: list[tuple[dt.date, str]]
    festivals: list[Festival] = field(default_factory=list)
    title: str = ""  # "国务院办公厅关于2026年部分节假日安排的通知", when the text has it
    reference: str = ""  # "国办发明电〔2025〕7号", when the text has it
    remarks: list[str] = field(default_factory=list)  # sentences read but not interpreted

    @property
    def source(self) -> str:
        """A short citation for CalendarYear.source."""
        if self.title and self.reference:
            return f"{self.title}（{self.reference}）"
        return self.title or self.reference or f"{self.year}年部分节假日安排"

    def dates(self) -> dict[dt.date, tuple[bool, str]]:
        """{date: (is_working_day, note)} — the rows the notice sets."""
        out = {d: (False, note) for d, note in self.holidays}
        out.update({d: (True, note) for d, note in self.workdays})
        return out


@dataclass
class _Token:
    year: int | None
    month: int | None
    day: int
    bracket: str | None
    text: str


def _tokens(sentence: str) -> tuple[list[_Token], list[str]]:
    """Split a sentence into date tokens and the text between them."""
    tokens, gaps, pos = [], [], 0
    for m in _DATE.finditer(sentence):
        gaps.append(sentence[pos : m.start()])
        y, mo, d, br = m.groups()
        tokens.append(
            _Token(int(y) if y else None, int(mo) if mo else None, int(d), br, m.group(0))
        )
        pos = m.end()
    gaps.append(sentence[pos:])
    return tokens, gaps


def _make_date(year: int, tok: _Token, month: int | None = None) -> dt.date:
    month = tok.month or month
    if month is None:
        raise ValueError(f'"{tok.text}" has no month')
    try:
        return dt.date(year, month, tok.day)
    except ValueError:
        raise ValueError(f'"{tok.text}" is not a date in {year}') from None


def _check_weekday(day: dt.date, tok: _Token) -> None:
    if not tok.bracket:
        return
    m = _WEEKDAY_IN_BRACKETS.search(tok.bracket)
    if m is None:
        return
    written = _WEEKDAY_CHARS[m.group(1)]
    if written != day.weekday():
        raise ValueError(
            f'"{tok.text}": {day.isoformat()} is a 周{WEEKDAY_NAMES[day.weekday()]}, '
            f"not 周{WEEKDAY_NAMES[written]} as written (a typo in the date or the weekday?)"
        )


def _nearest_year(tok: _Token, year: int, anchor: dt.date | None) -> dt.date:
    """A date written without a year: the notice's year, or — for a make-up day next to a
    range that crosses New Year (e.g. 12月29日 before 元旦) — the year that puts it nearest."""
    if tok.year is not None:
        return _make_date(tok.year, tok)
    if anchor is None:
        return _make_date(year, tok)
    candidates = []
    for y in (year - 1, year, year + 1):
        try:
            candidates.append(_make_date(y, tok))
        except ValueError:
            continue
    if not candidates:
        return _make_date(year, tok)  # raises the error for the notice's year
    return min(candidates, key=lambda d: (abs((d - anchor).days), d.year != year))


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _parse_off_clauses(clauses: list[str], year: int) -> tuple[list[dt.date], dt.date | None]:
    """["2月15日(…)至23日(…)放假调休", "共9天"] -> (days off, anchor: the first day off)."""
    days: list[dt.date] = []
    count: int | None = None
    anchor: dt.date | None = None
    for clause in clauses:
        tokens, gaps = _tokens(clause)
        if not tokens:
            m = _COUNT.match(clause)
            if m:
                count = int(m.group(1))
            # other clauses without dates ("与周末连休", "不调休") change nothing
            continue
        if len(tokens) > 2 or gaps[0].strip():
            raise ValueError(f'cannot read "{clause}"')
        tail = gaps[-1].strip()
        if len(tokens) == 2:  # a range
            if gaps[1].strip() not in _RANGE_SEP:
                raise ValueError(f'cannot read "{clause}" (expected "…至…")')
            first, last = tokens
            if first.month is None:
                raise ValueError(f'"{first.text}" has no month')
            start_year = first.year if first.year is not None else year
            start = _make_date(start_year, first)
            if last.year is not None:
                end = _make_date(last.year, last, first.month)
            else:
                end_year = start_year if first.year is not None else year
                end = _make_date(end_year, last, first.month)
                if end < start and last.month is not None and last.month < first.month:
                    if first.year is not None:
                        end = _make_date(end_year + 1, last, first.month)
                    else:
                        # "12月31日至1月2日" in the notice for year Y: 元旦 begins in December
                        # of the year before.
                        start = _make_date(start_year - 1, first)
            if end < start:
                raise ValueError(f'"{clause}": the range ends before it starts')
            _check_weekday(start, first)
            _check_weekday(end, last)
            span = _days(start, end)
            if len(span) > 31:
                raise ValueError(f'"{clause}": {len(span)} days off is not plausible')
        else:
            (tok,) = tokens
            if tok.month is None:
                raise ValueError(f'"{tok.text}" has no month')
            start = _nearest_year(tok, year, anchor)
            _check_weekday(start, tok)
            span = [start]
        m = _OFF.match(tail)
        if m:
            if m.group(1) is not None:
                count = int(m.group(1))
            if anchor is None:
                anchor = span[0]
        elif tail == "补休" and anchor is not None:  # "1月2日(星期一)补休" (e.g. 2017)
            pass
        else:
            raise ValueError(f'cannot read "{clause}" (expected "…放假" or "…补休")')
        days.extend(span)
    if not days:
        raise ValueError(f'no dates (written like "2月15日") in "{"，".join(clauses)}"')
    if count is not None and count != len(days):
        raise ValueError(
            f"the notice says {count} days off, but the dates give {len(days)} "
            f"({days[0].isoformat()} – {days[-1].isoformat()})"
        )
    return days, anchor


def _parse_work_clause(sentence: str, year: int, anchor: dt.date | None) -> list[dt.date]:
    """ "2月14日(周六)、2月28日(周六)上班" -> make-up workdays."""
    tokens, gaps = _tokens(sentence)
    if not tokens:
        raise ValueError(f'no dates in "{sentence}"')
    if gaps[0].strip() or any(g.strip() not in ("、", ",", "，", "和", "及") for g in gaps[1:-1]):
        raise ValueError(f'cannot read "{sentence}"')
    if not re.fullmatch(r"\s*(?:均)?(?:照常)?上班\s*", gaps[-1]):
        raise ValueError(f'cannot read "{sentence}" (expected "…上班")')
    days = []
    for tok in tokens:
        if tok.month is None:
            raise ValueError(f'"{tok.text}" has no month')
        day = _nearest_year(tok, year, anchor)
        _check_weekday(day, tok)
        if day.weekday() < 5:
            raise ValueError(
                f'"{tok.text}": make-up workday {day.isoformat()} is a '
                f"周{WEEKDAY_NAMES[day.weekday()]}, not a weekend day"
            )
        days.append(day)
    return days


def _split_items(lines: list[str]) -> list[tuple[int, str, bool]]:
    """Numbered items as (line_no, text, whole line?). A pasted notice may run items together
    on one line ("…上班。二、春节：…"), so split before each ordinal after a full stop."""
    items = []
    for no, raw in enumerate(lines, start=1):
        parts = re.split(r"(?<=。)\s*(?=[一二三四五六七八九十]+、[^:]{1,12}:)", raw.strip())
        items.extend((no, part.strip(), len(parts) == 1) for part in parts)
    return items


def parse_notice(text: str, year: int | None = None) -> Arrangement:
    """Parse the notice's text. `year` is needed only when the text has no title; when both
    are given they must agree."""
    if not text or not text.strip():
        raise NoticeError("the notice is empty")
    norm = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = norm.split("\n")
    orig_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    title_m = _TITLE_YEAR.search(norm)
    text_year = int(title_m.group(1)) if title_m else None
    if text_year is None:
        m = _PREAMBLE_YEAR.search(norm)
        text_year = int(m.group(1)) if m else None
    if year is not None and text_year is not None and year != text_year:
        raise NoticeError(f"the notice is for {text_year}, but year {year} was given")
    year = year if year is not None else text_year
    if year is None:
        raise NoticeError('no year: the text has no title ("…2026年部分节假日安排…"); give it')
    if not 1990 <= year <= 2200:
        raise NoticeError(f"year {year} is out of range")
    title = ""
    if title_m:
        title_line = re.sub(r"\s+", "", next(ln for ln in lines if title_m.group(0) in ln))
        start = title_line.find("国务院办公厅")
        end = title_line.find("通知")
        if 0 <= start < end:
            title = title_line[start : end + 2]
        else:
            title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    ref_m = _REFERENCE.search(norm)
    reference = ref_m.group(0).replace("[", "〔").replace("]", "〕") if ref_m else ""

    festivals: list[Festival] = []
    remarks: list[str] = []
    seen: dict[dt.date, tuple[str, int]] = {}
    for no, part, whole in _split_items(lines):
        # Name the line as written, or the item when several share a line.
        orig = orig_lines[no - 1].strip() if whole and no - 1 < len(orig_lines) else part
        m = _ORDINAL.match(part)
        if not m:
            if _DATE_ANYWHERE.search(part) and ("放假" in part or "上班" in part):
                raise NoticeError(
                    'looks like an arrangement but is not a numbered item ("一、元旦：…")', no, orig
                )
            continue
        body = part[m.end() :]
        name, colon, rest = body.partition(":")
        name = name.strip()
        if not colon or not name or len(name) > 20:
            raise NoticeError('expected "<festival>：<dates>" after the number', no, orig)
        try:
            fest = _parse_item(name, rest, year, remarks)
        except ValueError as exc:
            raise NoticeError(str(exc), no, orig) from None
        for day in (*fest.days_off, *fest.workdays):
            if day in seen:
                other, other_no = seen[day]
                raise NoticeError(
                    f"{day.isoformat()} is already listed under {other} (line {other_no})",
                    no,
                    orig,
                )
            if not dt.date(year - 1, 12, 1) <= day <= dt.date(year + 1, 1, 31):
                raise NoticeError(f"{day.isoformat()} is not in or next to {year}", no, orig)
            seen[day] = (name, no)
        festivals.append(Festival(fest.name, fest.days_off, fest.workdays, no))
    if not festivals:
        raise NoticeError('no numbered holiday items ("一、元旦：1月1日…放假") found')

    holidays = sorted((d, f.name) for f in festivals for d in f.days_off)
    workdays = sorted((d, f"{f.name}调休") for f in festivals for d in f.workdays)
    return Arrangement(
        year=year,
        holidays=holidays,
        workdays=workdays,
        festivals=festivals,
        title=title,
        reference=reference,
        remarks=remarks,
    )


def _parse_item(name: str, rest: str, year: int, remarks: list[str]) -> Festival:
    """The text after "春节：". Clauses ending in 上班 list make-up workdays; the others, when
    they say 放假/补休, the days off; sentences that say neither are kept as remarks."""
    off_clauses: list[str] = []
    work_clauses: list[str] = []
    for sentence in (s.strip() for s in re.split(r"。|\.(?!\d)", rest)):
        if not sentence:
            continue
        clauses = [c.strip() for c in re.split(r"[,;]", sentence) if c.strip()]
        work = [c for c in clauses if c.endswith("上班")]
        other = [c for c in clauses if not c.endswith("上班")]
        if any("上班" in c for c in other):
            bad = next(c for c in other if "上班" in c)
            raise ValueError(f'cannot read "{bad}" (expected "…上班")')
        if other and not any("放假" in c or "补休" in c for c in other):
            if work:
                raise ValueError(f'cannot read "{sentence}"')
            remarks.append(f"{name}: {sentence}")
            continue
        off_clauses.extend(other)
        work_clauses.extend(work)
    if not off_clauses:
        raise ValueError('no days off ("…放假") in this item')
    days_off, anchor = _parse_off_clauses(off_clauses, year)
    workdays = [d for c in work_clauses for d in _parse_work_clause(c, year, anchor)]
    for d in workdays:
        if anchor is not None and abs((d - anchor).days) > 45:
            raise ValueError(f"make-up workday {d.isoformat()} is far from the {name} holiday")
    return Festival(name, tuple(days_off), tuple(workdays), 0)


def summarize(arr: Arrangement) -> list[str]:
    """Human-readable lines, one per festival, for previews and the command's output."""
    out = []
    for f in arr.festivals:
        first, last = f.days_off[0], f.days_off[-1]
        span = _fmt(first) if first == last else f"{_fmt(first)} – {_fmt(last)}"
        line = f"{f.name}: off {span}, {len(f.days_off)} day{'s' if len(f.days_off) > 1 else ''}"
        if f.workdays:
            line += "; make-up workdays " + ", ".join(_fmt(d) for d in f.workdays)
        out.append(line)
    return out


def _fmt(day: dt.date) -> str:
    return f"{day.isoformat()}（周{WEEKDAY_NAMES[day.weekday()]}）"
