"""The workbook handed back with its faulty cells marked: the same file the unit sent, each cell
with an error filled red and commented with the reason (unknown names yellow), to return to the
unit that sent it. Reads only; nothing is stored."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.writer.excel import save_workbook

from luoshi.core import importing
from luoshi.core.text import cell_text
from luoshi.core.xlsx import WorkbookError

from .parse import HEADER_SCAN_ROWS, _display

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
PENDING_FILL = PatternFill("solid", fgColor="FFEB9C")
AUTHOR = "落实"


def _workbook(data: bytes, filename: str):
    """The uploaded workbook itself when openpyxl reads it; otherwise (CSV, .xls, .ods) a new
    workbook with the same sheets and cells."""
    if not filename.lower().endswith(".csv"):
        try:
            return openpyxl.load_workbook(io.BytesIO(data))
        except Exception:  # noqa: BLE001, S110 - .xls/.ods or damaged: rebuilt from the cells
            pass
    try:
        sheets = importing.read_table(data, filename)
    except WorkbookError:
        sheets = []
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(str(sheet.name)[:31] or "Sheet")
        for row in sheet.rows:
            ws.append(["" if v is None else v for v in row])
    if not wb.worksheets:
        wb.create_sheet("Sheet")
    return wb


def _header_columns(ws) -> dict[str, int]:
    """Header text (as the importer shows it) -> 1-based column, from the first rows."""
    out: dict[str, int] = {}
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS):
        for cell in row:
            if cell.value is None or isinstance(cell, MergedCell):
                continue
            text = _display(cell_text(cell.value))
            if text and text not in out:
                out[text] = cell.column
    return out


def _anchor(ws, row: int, col: int):
    """The cell to mark: a merged range's top-left cell."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def mark(data: bytes, filename: str, problems: list[dict]) -> tuple[bytes, int]:
    """The workbook with each problem's cell filled and commented; a problem without a column
    marks the row's first cell; one without a row is noted on the first sheet's A1. Returns
    the bytes and how many cells were marked."""
    wb = _workbook(data, filename)
    by_sheet = {ws.title: ws for ws in wb.worksheets}
    headers: dict[str, dict[str, int]] = {}
    notes: dict[tuple[str, int, int], list[str]] = {}
    fills: dict[tuple[str, int, int], PatternFill] = {}
    for p in problems:
        ws = by_sheet.get(p.get("sheet") or "") or wb.worksheets[0]
        if ws.title not in headers:
            headers[ws.title] = _header_columns(ws)
        row = int(p.get("row") or 0) or 1
        col = headers[ws.title].get(_display(p.get("column") or ""), 1) if p.get("row") else 1
        cell = _anchor(ws, row, col)
        key = (ws.title, cell.row, cell.column)
        notes.setdefault(key, []).append(p.get("message") or p.get("reason") or "")
        if fills.get(key) is not ERROR_FILL:
            fills[key] = PENDING_FILL if p.get("pending") else ERROR_FILL
    for (title, row, col), texts in notes.items():
        cell = by_sheet[title].cell(row=row, column=col)
        cell.fill = fills[(title, row, col)]
        text = "\n".join(dict.fromkeys(t for t in texts if t))
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 300, 40 + 20 * min(len(texts), 8)
        cell.comment = comment
    buf = io.BytesIO()
    save_workbook(wb, buf)  # a file in memory, not a model
    return buf.getvalue(), len(notes)
