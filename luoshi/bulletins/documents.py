"""The bulletin as an official document: a .docx in the layout of GB/T 9704-2012 (党政机关公文
格式) written with python-docx, and its PDF converted from that same .docx by LibreOffice, so
there is one layout, not two.

GB/T 9704: A4; top margin 37 mm, left 28 mm, text block 156 × 225 mm (right 26, bottom 35);
22 lines of 28 characters of 3号 (16 pt) 仿宋; title in 2号 (22 pt) 小标宋; the masthead and
the line under the number in red; page numbers "— 1 —" in 4号, odd pages right, even pages
left. The .docx names the fonts offices have; fonts.conf beside this module maps them to free
ones for the PDF."""

from __future__ import annotations

import copy
import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import rules

FONTS_CONF = Path(__file__).with_name("fonts.conf")

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)

PAGE_W, PAGE_H = Mm(210), Mm(297)
TOP, BOTTOM, LEFT, RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
BODY_PT = 16
LINES, CHARS = 22, 28
TABLE_PT = 12
CHAR_SQUEEZE_TWIPS = -6  # -0.3 pt per character
# One line of the grid: the 225 mm text block over 22 lines, in points (28.98 pt).
LINE_PT = 225 / 25.4 * 72 / LINES
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class DocumentError(RuntimeError):
    """The document could not be made (LibreOffice missing, failing or too slow)."""


# --- runs and paragraphs --------------------------------------------------------------------


def _clean(text) -> str:
    return _XML_BAD.sub("", str(text or ""))


def _fonts(rpr_owner, east_asia: str) -> None:
    """Name the font for Chinese (w:eastAsia) and for Latin text and digits."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _run(par, text: str, font: str = BODY_FONT, size: float = BODY_PT, **style):
    run = par.add_run(_clean(text))
    run.font.size = Pt(size)
    _fonts(run._r, font)
    if style.get("bold"):
        run.font.bold = True
    if style.get("color") is not None:
        run.font.color.rgb = style["color"]
    return run


def _par(doc, text: str = "", *, font=BODY_FONT, size=BODY_PT, align=None, indent=True, **style):
    par = doc.add_paragraph()
    fmt = par.paragraph_format
    if align is not None:
        fmt.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size * 2)  # two characters
    if style.get("exact") is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(style.pop("exact"))
    if text:
        _run(par, text, font, size, **style)
    return par


def _heading(doc, n: int, text: str) -> None:
    _par(doc, rules.heading(n, text), font=HEADING_FONT)


def _subheading(doc, n: int, text: str, stamps: dict | None = None) -> None:
    text = f"（{rules.heading(n, text).split('、', 1)[0]}）{text}"
    template = stamps.get("subheading") if stamps is not None else None
    if template is None:
        par = _par(doc, text, font=SUBHEADING_FONT)
        if stamps is not None:
            stamps["subheading"] = copy.deepcopy(par._p)
        return
    _place(doc, _stamped(template, [text]))


def _place(doc, element) -> None:
    """Append a block element to the body, before the section properties that end it."""
    body = doc.element.body
    sect = body.find(qn("w:sectPr"))
    if sect is not None:
        sect.addprevious(element)
    else:
        body.append(element)


def _stamped(template, texts):
    """A deep copy of a formatted element with its runs' texts replaced, in order: the same
    formatting as building it again through python-docx, at a fraction of the cost (a bulletin
    of a large plan has hundreds of unit headings and tables of the same shape)."""
    element = copy.deepcopy(template)
    for t, value in zip(element.iter(qn("w:t")), texts, strict=False):
        t.text = _clean(value)
    return element


# --- the page ---------------------------------------------------------------------------------


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = TOP, BOTTOM
    section.left_margin, section.right_margin = LEFT, RIGHT
    section.header_distance = Mm(15)
    section.footer_distance = Mm(22)
    # The document grid: 22 lines of 28 characters (Word's 文档网格, "指定行和字符网格").
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    text_w_pt = (210 - 28 - 26) / 25.4 * 72
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(int(LINE_PT * 20)))  # twips
    # Extra pitch per character over the default font size, in 1/4096 pt.
    grid.set(qn("w:charSpace"), str(round((text_w_pt / CHARS - BODY_PT) * 4096)))

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _fonts(normal.element, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(round(LINE_PT, 2) - 0.03)
    fmt.widow_control = False
    # 28 characters of 16 pt make 158 mm, a little more than the 156 mm line: Word squeezes them
    # onto the character grid, LibreOffice gives a glyph wider than a grid cell two cells. So
    # text does not snap to the character grid, and each character advances 0.25 pt less
    # (15.75 pt × 28 = 441 pt, inside the 442 pt line) in both.
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    normal.element.get_or_add_pPr().append(snap)
    squeeze = OxmlElement("w:spacing")
    squeeze.set(qn("w:val"), str(CHAR_SQUEEZE_TWIPS))
    normal.element.get_or_add_rPr().append(squeeze)
    _footers(doc, section)


def _page_field(par) -> None:
    """ "— 7 —": the number is a PAGE field, so every page shows its own."""

    def run(text=None, field=None, instr=None):
        r = _run(par, text or "", PAGE_NUMBER_FONT, 14)
        if field:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), field)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)

    run("— ")
    run(field="begin")
    run(instr=" PAGE ")
    run(field="separate")
    run("1")
    run(field="end")
    run(" —")


def _footers(doc, section) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        par = footer.paragraphs[0]
        fmt = par.paragraph_format
        fmt.alignment = align
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        # 单页码居右空一字，双页码居左空一字.
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = Pt(14)
        else:
            fmt.left_indent = Pt(14)
        _page_field(par)


# --- tables -----------------------------------------------------------------------------------


def _cell_par(cell, text: str, font: str, bold=False):
    par = cell.paragraphs[0]
    fmt = par.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold else None
    run = _run(par, text or " ", font, TABLE_PT, bold=bold)
    run._r.find(qn("w:t")).set(qn("xml:space"), "preserve")


def _table(doc, headers: list[str], widths_mm: list[float], rows, stamps=None) -> None:
    """A bordered table: a header row repeated on every page, then one row per item. Rows are
    deep copies of one prototype row's XML, filled in place: a table of thousands of rows in a
    fraction of what `add_row()` and cell formatting per cell would take. With `stamps`, the
    next table of the same columns is a copy of this one's empty form, likewise."""
    key = ("table", tuple(headers), tuple(widths_mm))
    template = stamps.get(key) if stamps is not None else None
    if template is None:
        table = doc.add_table(rows=2, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, (title, width) in enumerate(zip(headers, widths_mm, strict=True)):
            for r in (0, 1):
                table.rows[r].cells[i].width = Mm(width)
            _cell_par(table.rows[0].cells[i], title, HEADING_FONT, bold=True)
            _cell_par(table.rows[1].cells[i], "", BODY_FONT)
        header_pr = table.rows[0]._tr.get_or_add_trPr()
        header_pr.append(OxmlElement("w:tblHeader"))
        tbl = table._tbl
        if stamps is not None:
            stamps[key] = copy.deepcopy(tbl)
    else:
        tbl = copy.deepcopy(template)
        _place(doc, tbl)
    proto = tbl.findall(qn("w:tr"))[1]
    for row in rows:
        tr = copy.deepcopy(proto)
        for t, value in zip(tr.iter(qn("w:t")), row, strict=False):
            t.text = _clean(value)
        tbl.append(tr)
    tbl.remove(proto)
    _par(doc, "", indent=False)  # a line between the table and what follows


# --- the bulletin -----------------------------------------------------------------------------


def _date_cn(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_docx(bulletin) -> bytes:
    """The bulletin as a GB/T 9704 .docx (a draft shows its number with the place blank)."""
    doc = Document()
    stamps: dict = {}  # formatted elements built once, copied for the next of the same shape
    _page(doc)
    body = doc.element.body
    # The default template starts with an empty paragraph: start from nothing.
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)

    masthead = bulletin.masthead
    size = max(26, min(48, int(430 / max(len(masthead), 1))))
    _par(
        doc,
        masthead,
        font=TITLE_FONT,
        size=size,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        color=RED,
        exact=size * 1.25,
    )
    _par(doc, "", indent=False)
    number = _par(doc, bulletin.display_number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_line(number)
    _par(doc, "", indent=False)
    _par(
        doc,
        bulletin.title,
        font=TITLE_FONT,
        size=22,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        exact=LINE_PT * 1.3,
    )
    _par(doc, "", indent=False)

    c = bulletin.content or {}
    t = c.get("totals", {})
    if bulletin.opening:
        _par(doc, bulletin.opening)

    n = 0
    n += 1
    _heading(doc, n, "总体情况")
    total = t.get("tasks", 0)
    _par(
        doc,
        f"纳入本期通报的任务共{total}项，已完成{t.get('done', 0)}项"
        f"（其中逾期完成{t.get('done_late', 0)}项），"
        f"红灯{t.get('red', 0)}项、黄灯{t.get('yellow', 0)}项、绿灯{t.get('green', 0)}项；"
        f"涉及责任单位{t.get('units', 0)}个，缺报进展{t.get('missing_reports', 0)}次。",
    )
    _table(
        doc,
        ["项目", "数量", "占比"],
        [70, 40, 40],
        [
            (label, str(t.get(key, 0)), rules.percent(t.get(key, 0), total))
            for label, key in (
                ("任务总数", "tasks"),
                ("已完成", "done"),
                ("其中逾期完成", "done_late"),
                ("红灯", "red"),
                ("黄灯", "yellow"),
                ("绿灯", "green"),
            )
        ],
    )

    n += 1
    _heading(doc, n, "红灯任务")
    red = c.get("red", [])
    if not red:
        _par(doc, "本期无红灯任务。")
    else:
        _par(
            doc,
            f"本期共有{t.get('red', 0)}项任务亮红灯，涉及{len(red)}个责任单位，按单位列示如下。",
        )
        for i, group in enumerate(red, 1):
            _subheading(doc, i, f"{group['unit']}（{len(group['tasks'])}项）", stamps)
            _table(
                doc,
                ["序号", "任务", "牵头领导", "亮灯原因"],
                [20, 66, 24, 46],
                [
                    (task.get("no") or str(k), task["title"], task["leader"], task["reasons"])
                    for k, task in enumerate(group["tasks"], 1)
                ],
                stamps,
            )

    n += 1
    _heading(doc, n, "进展报送缺失情况")
    missing = c.get("missing", [])
    if not missing:
        _par(doc, "本期各责任单位均按时报送了进展。")
    else:
        n_missing = t.get("missing_reports", 0)
        _par(doc, f"本期有{len(missing)}个单位未按时报送进展，共缺报{n_missing}次。")
        _table(
            doc,
            ["序号", "单位", "缺报次数"],
            [20, 96, 40],
            [(str(i), m["unit"], str(m["count"])) for i, m in enumerate(missing, 1)],
        )

    n += 1
    _heading(doc, n, "表扬单位")
    praised = c.get("praised", [])
    if praised:
        _par(doc, "、".join(praised) + "。")
    if bulletin.praise_text:
        _par(doc, bulletin.praise_text)

    n += 1
    _heading(doc, n, "考核排名")
    ranking = c.get("ranking", [])
    from_assessment = str(c.get("ranking_source", "")).startswith("assessment")
    if not ranking:
        _par(doc, "本期无可排名的单位。")
    else:
        _par(
            doc,
            "按本期考核得分排名如下。"
            if from_assessment
            else "本期未开展考核，按无红灯任务占比排名如下。",
        )
        _table(
            doc,
            ["名次", "单位", "得分" if from_assessment else "无红灯任务占比（%）"],
            [20, 96, 40],
            [(str(r["rank"]), r["unit"], r["score"]) for r in ranking],
        )

    n += 1
    _heading(doc, n, "下步工作")
    if bulletin.next_steps:
        _par(doc, bulletin.next_steps)
    if bulletin.closing:
        _par(doc, bulletin.closing)

    # 发文机关署名 and 成文日期, right, four characters in from the edge.
    _par(doc, "", indent=False)
    day = timezone.localdate(bulletin.published_at) if bulletin.published_at else bulletin.as_of
    for text in (bulletin.masthead.removesuffix("督查通报") or bulletin.unit.name, _date_cn(day)):
        par = _par(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        par.paragraph_format.right_indent = Pt(BODY_PT * 4)

    return _serialise(doc)


def _serialise(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _red_line(par) -> None:
    """The red separator under the number, as wide as the text block (a paragraph border)."""
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
    bottom.set(qn("w:space"), "8")
    bottom.set(qn("w:color"), "FF0000")
    borders.append(bottom)
    ppr.append(borders)


# --- PDF --------------------------------------------------------------------------------------


def write_pdf(docx: bytes) -> bytes:
    """The .docx converted by LibreOffice headless. Each call has its own profile directory
    (concurrent conversions would otherwise fight over one) and the app's fontconfig file, which
    includes the system's and maps the office fonts to the free ones installed."""
    name = settings.LUOSHI_SOFFICE
    exe = shutil.which(name)
    if exe is None:
        raise DocumentError(
            _(
                "LibreOffice (%(name)s) is not installed, so no PDF can be made. Install"
                " libreoffice-writer-nogui or set LUOSHI_SOFFICE."
            )
            % {"name": name}
        )
    timeout = settings.LUOSHI_SOFFICE_TIMEOUT
    with tempfile.TemporaryDirectory(prefix="luoshi-bulletin-") as tmp:
        src = Path(tmp, "bulletin.docx")
        src.write_bytes(docx)
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": tmp}
        cmd = [
            exe,
            f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            tmp,
            str(src),
        ]
        try:
            # The command is ours: the configured executable and a file in our own directory.
            proc = subprocess.run(  # noqa: S603
                cmd, env=env, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise DocumentError(
                _("LibreOffice took longer than %(seconds)s seconds to make the PDF.")
                % {"seconds": timeout}
            ) from None
        out = Path(tmp, "bulletin.pdf")
        if proc.returncode != 0 or not out.exists():
            detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[-500:]
            raise DocumentError(
                _("LibreOffice could not make the PDF: %(detail)s") % {"detail": detail}
            )
        return out.read_bytes()
