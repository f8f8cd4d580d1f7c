"""Text as people write it in their tables: Chinese numerals, a cell as text, header names
compared loosely, a header row found by its names.

Pure Python (no Django): the pure parsers (luoshi.ledger.dates, luoshi.ledger.importer.parse),
the exporter and every importer share these, so there is one reading of 二十三 and of a header
cell in the product."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

# --- Chinese numerals -----------------------------------------------------------------------

CN_DIGITS: dict[str, int] = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
_CN_WRITE = "零一二三四五六七八九"


def cn_int(text: str) -> int | None:
    """A number written in Arabic or Chinese numerals, or None when it is not one.

    "12", "十二" → 12, "二十三" → 23, "一百零五" → 105, and a year spelt digit by digit,
    "二〇二六" → 2026. Anything else is None, never a guess: "一二" (not a number), "十二三"."""
    if not text:
        return None
    if text.isdecimal():
        return int(text)
    if not any(ch in _CN_UNITS for ch in text):
        # Digit by digit: one digit, or a four-digit year.
        if len(text) in (1, 4) and all(ch in CN_DIGITS for ch in text):
            return int("".join(str(CN_DIGITS[ch]) for ch in text))
        return None
    total, digit, last_unit = 0, None, 1000
    for ch in text:
        if ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        elif ch in "〇零" and total and digit is None:
            continue  # the placeholder in 一百零五
        elif ch in CN_DIGITS:
            if digit is not None:
                return None
            digit = CN_DIGITS[ch]
        else:
            return None
    return total + (digit or 0)


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三, 105 → 一百零五 (as section rows number themselves);
    Arabic digits outside 1–999."""
    if not 0 < n < 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_WRITE[hundreds] + "百"
    if tens:
        if hundreds or tens > 1:
            out += _CN_WRITE[tens]
        out += "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += _CN_WRITE[ones]
    return out


# --- cells ----------------------------------------------------------------------------------

_SPACES = {
    0x3000: " ",
    0xA0: " ",
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0xFEFF: None,
    0x2060: None,
}


def cell_text(value: object) -> str:
    """A cell as text: stripped, full-width and zero-width spaces folded, inner newlines kept;
    1.0 → "1", a date → "2026-06-30"."""
    if isinstance(value, str):
        if value.isprintable():
            # The common case, in C: no newline, no full-width or zero-width space.
            return value.strip()
        s = value.translate(_SPACES)
        if "\r" in s:
            s = s.replace("\r\n", "\n").replace("\r", "\n")
        s = s.strip()
        if "\n" in s:
            s = "\n".join(line.strip() for line in s.split("\n"))
        return s
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(" ", "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- header names ---------------------------------------------------------------------------

_KEY_DROP = re.compile(r"[\s*＊:：.,，。、;；!！?？'\"“”‘’`·_/\\|#~\-—]+")


def header_key(text: str) -> str:
    """A header name for comparing: full-width folded, lower case, spaces and punctuation
    dropped ("单位 名称：" and "单位名称", "Short name" and "shortname" are one name)."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def find_header(
    rows: Sequence[Sequence[object]],
    columns: Mapping[str, Iterable[str]],
    *,
    required: str,
    scan: int = 10,
) -> tuple[int, dict[str, int]] | None:
    """The header row among the first `scan` rows: the first that names the `required` field.
    Returns (row index, {field: column}), each field at the first column bearing one of its
    names; None when no row names the required field."""
    names = {field: {header_key(n) for n in aliases} for field, aliases in columns.items()}
    for i, row in enumerate(rows[:scan]):
        keys = [header_key(cell_text(c)) for c in row]
        found = {}
        for field, wanted in names.items():
            col = next((j for j, key in enumerate(keys) if key and key in wanted), None)
            if col is not None:
                found[field] = col
        if required in found:
            return i, found
    return None


# --- amounts as JSON shows them -------------------------------------------------------------


def json_number(value: Decimal | int | float | None) -> int | float | None:
    """A stored amount as JSON and pages show it: 30, not 30.0000; 12.5 as 12.5."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())
