"""The screenshots in docs/ (bulletin-docx.png, bulletin-pdf.png) of a demo-city bulletin,
written only when asked:

    LUOSHI_WRITE_DOCS=1 .venv/bin/pytest luoshi/bulletins/tests/test_write_docs.py

docs/bulletin-docx.png is the stored .docx's first page as LibreOffice lays it out (converted
again here: the headless writer build has no PNG export, so through PDF); docs/bulletin-pdf.png
is pdftoppm's page 1 of the PDF stored at publication."""

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command

from luoshi.bulletins import documents
from luoshi.bulletins.models import Bulletin

DOCS = Path(__file__).resolve().parents[3] / "docs"

pytestmark = pytest.mark.skipif(
    os.environ.get("LUOSHI_WRITE_DOCS") != "1"
    or not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="writes docs/ only with LUOSHI_WRITE_DOCS=1 (and LibreOffice, poppler-utils)",
)


def _page_one(pdf: bytes, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "b.pdf")
        src.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(src),
                str(target.with_suffix("")),
            ],
            check=True,
        )


def test_write_bulletin_screenshots(db):
    call_command("demo", "--quiet", today=dt.date(2026, 12, 4), seed=7)
    b = Bulletin.objects.get(status="published")
    assert b.pdf, "the demo publishes with LibreOffice installed"
    _page_one(documents.write_pdf(bytes(b.docx)), DOCS / "bulletin-docx.png")
    _page_one(bytes(b.pdf), DOCS / "bulletin-pdf.png")
    for name in ("bulletin-docx.png", "bulletin-pdf.png"):
        assert (DOCS / name).read_bytes()[:4] == b"\x89PNG"
