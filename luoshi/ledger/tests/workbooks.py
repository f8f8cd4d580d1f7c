"""Test workbooks built at test time with openpyxl, so no binary but the example is committed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

from luoshi.core.xlsx import SheetData
from luoshi.ledger.exporter import LEDGER_HEADER

DATA = Path(__file__).parent / "data"
EXAMPLE = DATA / "ledger-example.xlsx"

HEADER = list(LEDGER_HEADER)
TITLE = "2026年市交通运输局重点工作任务台账"


def write(
    path: Path,
    rows: list[list[object]],
    merges: tuple[str, ...] = (),
    sheet: str = "台账",
    more: dict[str, list[list[object]]] | None = None,
) -> Path:
    """An .xlsx with `rows` from A1 (None or "" leaves a cell empty) and `merges` like "A1:N1"."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    _fill(ws, rows)
    for ref in merges:
        ws.merge_cells(ref)
    for name, extra_rows in (more or {}).items():
        _fill(book.create_sheet(name), extra_rows)
    book.save(path)
    return path


def _fill(ws, rows):
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                ws.cell(row=r, column=c, value=value)


def sheet(rows: list[list[object]], merged=(), name: str = "台账") -> SheetData:
    """SheetData straight from rows (no file): merged as 0-based (r0, c0, r1, c1)."""
    width = max(len(r) for r in rows)
    padded = [list(r) + [""] * (width - len(r)) for r in rows]
    return SheetData(name=name, rows=padded, merged=list(merged))


def ledger(*data: list[object], header=HEADER, title=TITLE, merged=()) -> SheetData:
    """A title row, the header, then `data`; row i of data is Excel row i + 3."""
    width = len(header)
    rows = [[title] + [""] * (width - 1), list(header)]
    rows += [list(r) + [""] * (width - len(r)) for r in data]
    return sheet(rows, merged=[(0, 0, 0, width - 1), *merged])


def task(no, title, unit="市公路事业发展中心", deadline="2026-06-30", **cells) -> list[object]:
    """A row under HEADER; other columns by header name, e.g. task(1, "x", 目标值="约30")."""
    row = [""] * len(HEADER)
    row[0], row[1], row[4], row[7] = no, title, unit, deadline
    for name, value in cells.items():
        row[HEADER.index(name)] = value
    return row


def per_section_copy(dst: Path) -> Path:
    """The example with numbering restarting per section: 一、1,1.1,1.2 二、1,2 三、1,2."""
    book = openpyxl.load_workbook(EXAMPLE)
    ws = book.active
    for row, no in ((5, "1"), (6, "1.1"), (7, "1.2"), (9, "1"), (10, "2"), (12, "1"), (13, "2")):
        ws.cell(row=row, column=1, value=no)
    book.save(dst)
    return dst


def faulty(dst: Path) -> Path:
    """Excel row 4 is clean; rows 5 to 9 carry one fault each."""
    rows = [
        [TITLE],
        HEADER,
        ["一、测试"],
        task(1, "正常任务"),
        task(2, "", 具体内容="有内容但没有任务名称"),
        task(3, "日期错误", deadline="2026-02-30"),
        task(4, "没有责任单位", unit=""),
        task(5, "目标值不是数字", 目标值="约三十"),
        task(3, "序号重复"),
    ]
    return write(dst, rows, merges=("A1:N1", "A3:N3"))


def zip_bomb(size: int) -> bytes:
    """A zip whose one entry inflates to `size` bytes of zeros (about 1000:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                entry.write(chunk)
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def understate_sizes(data: bytes, declared: int = 1000) -> bytes:
    """Rewrite the central directory so every entry claims `declared` bytes unpacked."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) != -1:
        out[pos + 24 : pos + 28] = declared.to_bytes(4, "little")
        pos += 4
    return bytes(out)
