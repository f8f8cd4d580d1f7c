"""The files: the .docx in the GB/T 9704 layout (read back with python-docx), and its PDF by
LibreOffice (rendered with pdftoppm: A4, the page count)."""

import io
import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from luoshi.bulletins import documents, services

needs_soffice = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="LibreOffice and poppler-utils are installed in CI (.ci/run)",
)


@pytest.fixture
def published(world):
    o = world.o
    b = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    b = services.edit(b, actor=o.supervisor, version=1, prefix="交督")
    b = services.approve(b, actor=world.leader, version=2)
    return services.publish(b, actor=o.supervisor, version=3, pdf=False)


def _fonts(doc) -> set[str]:
    return {
        el.get(qn("w:eastAsia"))
        for el in doc.element.iter(qn("w:rFonts"))
        if el.get(qn("w:eastAsia"))
    }


def test_docx_layout(published):
    doc = Document(io.BytesIO(bytes(published.docx)))
    s = doc.sections[0]

    # Word stores twips: a millimetre is 56.7 of them, so compare to a tenth of a millimetre.
    def mm(*lengths):
        return tuple(round(x / 36000, 1) for x in lengths)  # EMU per millimetre

    assert mm(s.page_width, s.page_height) == (210, 297)  # A4
    assert mm(s.top_margin, s.bottom_margin, s.left_margin, s.right_margin) == (37, 35, 28, 26)
    # The text block is 156 × 225 mm.
    assert mm(s.page_width - s.left_margin - s.right_margin) == (156,)
    assert mm(s.page_height - s.top_margin - s.bottom_margin) == (225,)
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert int(grid.get(qn("w:linePitch"))) == 579  # 225 mm / 22 lines, in twips
    assert -900 < int(grid.get(qn("w:charSpace"))) < -800  # 156 mm / 28 characters of 16 pt

    assert {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"} <= _fonts(doc)
    paras = [p for p in doc.paragraphs if p.text.strip()]
    masthead, number, title = paras[0], paras[1], paras[2]
    assert masthead.text == "测试市督查通报"
    assert masthead.runs[0].font.color.rgb == documents.RED
    assert number.text == published.number
    assert re.fullmatch(r"交督〔\d{4}〕1号", number.text)
    line = number._p.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert line.get(qn("w:color")) == "FF0000"
    assert title.text == published.title and title.runs[0].font.size == Pt(22)
    assert doc.styles["Normal"].font.size == Pt(16)
    headings = [p.text for p in paras if re.match(r"^[一二三四五六]、", p.text)]
    assert headings == [
        "一、总体情况",
        "二、红灯任务",
        "三、进展报送缺失情况",
        "四、表扬单位",
        "五、考核排名",
        "六、下步工作",
    ]
    # Tables: totals, two units' red tasks, missing reports, ranking.
    assert len(doc.tables) == 5
    red_a = doc.tables[1]
    assert [c.text for c in red_a.rows[1].cells] == [
        "1",
        "甲红灯任务一",
        "甲领导",
        "节点逾期超过5个工作日",
    ]
    # Page numbers "— PAGE —", odd pages right, even pages left.
    assert doc.settings.odd_and_even_pages_header_footer
    for footer in (s.footer, s.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and footer.paragraphs[0].text.startswith("— ")


def test_big_tables_are_built_fast(world):
    import time

    b = services.draft(actor=world.o.supervisor, plan=world.plan, today=world.today)
    b.content["red"] = [
        {
            "unit": f"单位{u}",
            "tasks": [
                {"no": str(i), "title": f"任务{i}", "leader": "领导", "reasons": "原因"}
                for i in range(600)
            ],
        }
        for u in range(10)
    ]
    started = time.perf_counter()
    data = documents.write_docx(b)
    assert time.perf_counter() - started < 5
    doc = Document(io.BytesIO(data))
    assert sum(len(t.rows) for t in doc.tables[1:11]) == 10 * 601


@needs_soffice
def test_pdf_is_a4_with_its_pages(published, tmp_path):
    pdf = documents.write_pdf(bytes(published.docx))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert len(pages) == count >= 2
    head = pages[0].read_bytes()[:24]  # a PNG's IHDR: width and height, big-endian
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    # 210 × 297 mm at 30 dpi: 248 × 351 pixels.
    assert (abs(w - 248), abs(h - 351)) <= (1, 1)
    assert "595.3" in info.stdout and "841.8" in info.stdout  # A4 in points


def test_missing_soffice_is_a_clear_error(published, settings):
    settings.LUOSHI_SOFFICE = "no-such-soffice"
    with pytest.raises(documents.DocumentError, match="LibreOffice（no-such-soffice）"):
        documents.write_pdf(bytes(published.docx))


@needs_soffice
def test_concurrent_conversions_do_not_clash(published):
    from concurrent.futures import ThreadPoolExecutor

    docx = bytes(published.docx)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(documents.write_pdf, [docx, docx]))
    assert all(r.startswith(b"%PDF") for r in results)
