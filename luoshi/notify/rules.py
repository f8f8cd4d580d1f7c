"""Delivery rules as plain functions: retry delays, digest timing, rate limits. No ORM, no
settings, so the table of tests runs without a database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_ATTEMPTS = 6
RATE_WINDOW = dt.timedelta(seconds=60)
# A worker that claimed a message and has not recorded the outcome by then is presumed dead.
# It must comfortably exceed one send (10 s HTTP timeout plus the database writes).
LEASE = dt.timedelta(minutes=2)


def backoff(attempt: int) -> dt.timedelta:
    """Delay before retrying after failed attempt number `attempt` (1-based): 1, 2, 4, 8, 16
    minutes — long enough for a robot's per-minute limit or a gateway restart to pass."""
    return dt.timedelta(minutes=2 ** max(attempt - 1, 0))


def gives_up(attempt: int, *, permanent: bool) -> bool:
    return permanent or attempt >= MAX_ATTEMPTS


def digest_slot(
    created: dt.datetime, at: dt.time, is_working_day: Callable[[dt.date], bool]
) -> dt.datetime:
    """When a non-urgent message created at `created` (aware, local time) goes out: at `at` on
    the same day if that is a working day and the time has not passed, else on the next working
    day. Offices read these the next morning anyway; a weekend digest only adds noise."""
    day = created.date()
    if created.timetz().replace(tzinfo=None) > at or not is_working_day(day):
        day += dt.timedelta(days=1)
        # Bounded: the longest Chinese holiday run is nine days; a broken calendar must not hang.
        for _ in range(60):
            if is_working_day(day):
                break
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, at, tzinfo=created.tzinfo)


def rate_limited_until(
    recent: Sequence[dt.datetime], in_flight: int, rate: int, now: dt.datetime
) -> dt.datetime | None:
    """None when one more request fits in the endpoint's window, else the time a slot frees.

    recent: times of attempts in the last RATE_WINDOW, oldest first; in_flight: requests
    claimed by other workers and not yet recorded (they will land in the window)."""
    used = len(recent) + in_flight
    if used < rate:
        return None
    must_expire = used - rate + 1
    if must_expire <= len(recent):
        return recent[must_expire - 1] + RATE_WINDOW
    return now + RATE_WINDOW


# Markdown's marks as full-width look-alikes. WeCom and DingTalk render a subset of markdown and
# document no escape character (a backslash shows as itself), so a task title such as
# "[点这里](http://…)" or "<font color=…>" would become a link or markup in the group chat.
# The full-width forms read the same in Chinese text and mean nothing to the renderer.
_MARKDOWN_MARKS = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "<": "＜",
        ">": "＞",
        "~": "～",
        "|": "｜",
        "!": "！",
        "\\": "＼",
    }
)


def markdown_plain(text: str, *, one_line: bool = False) -> str:
    """`text` shown as itself in a markdown message, never as links, emphasis or markup.
    `one_line`: line breaks become spaces (a title's line break would end its heading)."""
    text = text.translate(_MARKDOWN_MARKS)
    if one_line:
        text = " ".join(text.split())
    return text


def truncate_utf8(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes (robots count bytes, not characters)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: max(limit - 3, 0)].decode(errors="ignore") + "…"


def redact_url(url: str) -> str:
    """A webhook URL with its credentials hidden: query values and a long last path segment
    (Feishu puts the hook id there) are masked, so lists and the audit trail can show it."""
    parts = urlsplit(url)
    query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)])
    head, _, last = parts.path.rpartition("/")
    path = f"{head}/{last[:4]}***" if len(last) > 16 else parts.path
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, path, query, ""))
