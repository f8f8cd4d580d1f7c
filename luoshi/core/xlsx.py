"""Safe, fast workbook reading for every importer, and cell neutralisation for export.

Reading goes through python-calamine (about 8x faster than openpyxl and it reports merged
ranges). calamine has no decompression cap, so zip-based files are checked against their own
directory, and then against what their entries really inflate to, before calamine sees them.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import python_calamine

MiB = 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Parts that tell a spreadsheet apart from other zip-based documents.
_WORKBOOK_PARTS = ("xl/workbook.xml", "xl/workbook.bin", "content.xml")
_OTHER_OFFICE = {
    "word/document.xml": "a Word document",
    "ppt/presentation.xml": "a PowerPoint file",
}


class WorkbookError(ValueError):
    """The upload is not a workbook we can read safely; str(e) says why, in plain English."""


@dataclass
class SheetData:
    name: str
    # Cell values: str / int / float / date / datetime / bool, "" for empty; rows[0] is Excel
    # row 1 and rows[r][0] column A, whatever the sheet's used range starts with.
    rows: list[list[object]]
    # (first_row, first_col, last_row, last_col), 0-based and inclusive.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False


def check_archive(data: bytes, *, max_entries: int = 2000, max_unpacked: int = 200 * MiB) -> None:
    """Refuse a zip bomb before any XML parser runs.

    The directory's own figures are checked first (cheap, catches the usual bomb); then each
    entry is inflated into a counter, because a crafted directory can understate sizes and
    calamine would trust the compressed stream rather than the declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise WorkbookError(f"not a readable workbook: the file is damaged ({exc})") from exc
    if len(infos) > max_entries:
        raise WorkbookError(
            f"workbook has too many parts ({len(infos)} > {max_entries}): refused as unsafe"
        )
    declared = sum(i.file_size for i in infos)
    if declared > max_unpacked:
        raise WorkbookError(
            f"workbook too large when unpacked ({declared / MiB:.0f} MiB > "
            f"{max_unpacked / MiB:.0f} MiB)"
        )
    total = 0
    for info in infos:
        total += _inflated_size(data, info, max_unpacked - total)
        if total > max_unpacked:
            raise WorkbookError(
                f"workbook too large when unpacked (over {max_unpacked / MiB:.0f} MiB)"
            )


def _inflated_size(data: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """Bytes the entry really inflates to, stopping once past `budget` (+1 to signal it)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or header[:4] != _ZIP_MAGIC:
        raise WorkbookError("not a readable workbook: the file is damaged (bad zip entry)")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # calamine reads deflate and stored entries only; anything else fails there cleanly.
        return info.file_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    chunk = 1 * MiB
    try:
        pending = raw
        while pending:
            size += len(inflater.decompress(pending, chunk))
            if size > budget:
                return budget + 1
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        size += len(inflater.flush())
    except zlib.error as exc:
        raise WorkbookError(f"not a readable workbook: the file is damaged ({exc})") from exc
    return size


def _sniff(data: bytes) -> str:
    """'zip' / 'ole2', or raise with the reason the file is not a workbook."""
    if data.startswith(_ZIP_MAGIC):
        return "zip"
    if data.startswith(_OLE2_MAGIC):
        return "ole2"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) or b"<html" in head:
        # Many office systems export an HTML table named .xls; Excel opens it, we cannot.
        raise WorkbookError(
            "not a real workbook: a web page or XML file saved as .xls; open it in Excel and "
            "save it as .xlsx"
        )
    if not data:
        raise WorkbookError("the file is empty")
    raise WorkbookError("not an .xlsx workbook (nor .xls or .ods)")


def read_workbook(
    source: bytes | str | os.PathLike, *, max_bytes: int = 50 * MiB, max_cells: int = 10_000_000
) -> list[SheetData]:
    """All worksheets of a workbook, in order (chart sheets skipped, hidden ones flagged)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_bytes:
            raise WorkbookError(_too_big(len(data), max_bytes))
    else:
        try:
            size = os.stat(source).st_size
            if size > max_bytes:
                raise WorkbookError(_too_big(size, max_bytes))
            with open(source, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise WorkbookError(f"cannot open the workbook: {exc.strerror or exc}") from exc
        if len(data) > max_bytes:
            raise WorkbookError(_too_big(len(data), max_bytes))

    kind = _sniff(data)
    if kind == "ole2" and "EncryptionInfo".encode("utf-16-le") in data:
        # An encrypted .xlsx travels inside an OLE2 container; calamine would call it damaged.
        raise WorkbookError(
            "the workbook is password-protected: remove the password and upload it again"
        )
    if kind == "zip":
        check_archive(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if not any(part in names for part in _WORKBOOK_PARTS):
            kind = next((k for part, k in _OTHER_OFFICE.items() if part in names), "a zip file")
            raise WorkbookError(f"not an .xlsx workbook: {kind}")

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            if sheet.end is not None:
                last_row, last_col = sheet.end
                cells = (last_row + 1) * (last_col + 1)
                if cells > max_cells:
                    raise WorkbookError(
                        f"sheet “{meta.name}” is too large ({last_row + 1} rows × "
                        f"{last_col + 1} columns): delete stray cells far below or right of "
                        "the table"
                    )
            rows = _clean_rows(sheet.to_python(skip_empty_area=False))
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(SheetData(name=meta.name, rows=rows, merged=merged, hidden=hidden))
        book.close()
    except WorkbookError:
        raise
    except python_calamine.PasswordError as exc:
        raise WorkbookError(
            "the workbook is password-protected: remove the password and upload it again"
        ) from exc
    except python_calamine.CalamineError as exc:
        raise WorkbookError(f"not a readable workbook: the file is damaged ({exc})") from exc
    except (ValueError, TypeError, OSError) as exc:
        raise WorkbookError(f"not a readable workbook: the file is damaged ({exc})") from exc
    return sheets


def _too_big(size: int, limit: int) -> str:
    return f"workbook too large ({size / MiB:.1f} MiB > {limit / MiB:.0f} MiB)"


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        # calamine returns every number as float; 序号 1 must not become "1.0" downstream.
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, str | bool | int | dt.date):  # datetime is a date
        return value
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return str(value)


def _clean_rows(raw: list[list[object]]) -> list[list[object]]:
    """Convert values, then trim the empty rows and columns calamine pads the used range with."""
    rows = [[_convert(v) for v in row] for row in raw]
    while rows and all(_is_blank(v) for v in rows[-1]):
        rows.pop()
    width = 0
    for row in rows:
        for c in range(len(row) - 1, width - 1, -1):
            if not _is_blank(row[c]):
                width = c + 1
                break
    return [row[:width] for row in rows]


def fill_merged(sheet: SheetData) -> list[list[object]]:
    """Rows where every cell of a merged range carries the range's top-left value.

    A merged lead-leader cell over five tasks means that leader for each of them."""
    rows = [list(r) for r in sheet.rows]
    for r0, c0, r1, c1 in sheet.merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if _is_blank(value):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A value safe to write into an exported cell.

    Text that a spreadsheet would run as a formula or DDE call (=, +, -, @, tab, CR first) gets
    a leading "'" so it stays text in every spreadsheet program; openpyxl would otherwise write
    "=..." as a live formula. Everything else passes through."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def column_letters(index: int) -> str:
    """A 0-based column index as a sheet names it: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
