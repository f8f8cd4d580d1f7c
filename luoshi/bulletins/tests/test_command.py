"""`luoshi bulletin --plan NAME [--today YYYY-MM-DD] --docx FILE [--pdf FILE]`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document

from luoshi.bulletins.models import Bulletin


def test_command_writes_a_draft_docx(world, tmp_path):
    out = io.StringIO()
    target = tmp_path / "b.docx"
    call_command(
        "bulletin",
        "--plan",
        world.plan.name,
        "--today",
        "2026-06-20",
        "--docx",
        str(target),
        stdout=out,
    )
    b = Bulletin.objects.get()
    assert b.status == "draft" and str(b.as_of) == "2026-06-20"
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    assert b.title in text and "督〔2026〕" in text
    assert "3 red" in out.getvalue()


def test_command_unknown_plan(world, tmp_path):
    with pytest.raises(CommandError, match="No plan named"):
        call_command("bulletin", "--plan", "没有这个计划", "--docx", str(tmp_path / "x.docx"))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "bulletin",
            "--plan",
            world.plan.name,
            "--today",
            "20.6.2026",
            "--docx",
            str(tmp_path / "x.docx"),
        )
    assert not Bulletin.objects.exists() and not (tmp_path / "x.docx").exists()


def test_command_missing_soffice(world, tmp_path, settings):
    settings.LUOSHI_SOFFICE = "no-such-soffice"
    with pytest.raises(CommandError, match="no-such-soffice"):
        call_command(
            "bulletin",
            "--plan",
            world.plan.name,
            "--today",
            "2026-06-20",
            "--docx",
            str(tmp_path / "b.docx"),
            "--pdf",
            str(tmp_path / "b.pdf"),
        )
