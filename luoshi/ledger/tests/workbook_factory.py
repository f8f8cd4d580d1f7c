"""Build small ledger workbooks for tests (openpyxl, in memory)."""

import io

import openpyxl

from luoshi.ledger.exporter import LEDGER_HEADER  # the usual 14 columns of a bureau ledger


def workbook(rows, *, title="2026年测试重点工作任务台账", header=LEDGER_HEADER, merges=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def example_restarting_numbering(path) -> bytes:
    """The example workbook with numbering restarting in each section (一、1,1.1,1.2 二、1,2 …)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    renumber = {"2": "1", "3": "2", "4": "1", "5": "2"}
    for row in ws.iter_rows(min_row=4):
        cell = row[0]
        if isinstance(cell.value, str) and cell.value in renumber:
            cell.value = renumber[cell.value]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
