"""The untranslated-text detector the crawl uses, on pages made for the purpose, and the
catalogue itself: every msgid translated, none left fuzzy."""

import polib
import pytest

from . import untranslated as u


def _entry(msgid: str, msgstr: str) -> polib.POEntry:
    return polib.POEntry(msgid=msgid, msgstr=msgstr)


@pytest.fixture
def catalogue(monkeypatch):
    po = polib.POFile()
    for msgid, msgstr in [
        ("Save draft", "保存草稿"),
        ("Export", "导出"),
        ("API", "API"),  # kept as it is: not untranslated
        ("%(count)s reports wait for your review", "%(count)s 份报告待您审核"),
        ("Search tasks", ""),  # no translation yet: English on the page
        ("ok", "好"),  # too short to tell from data
    ]:
        po.append(_entry(msgid, msgstr))
    monkeypatch.setattr(u, "catalogue", lambda: po)
    u._patterns.cache_clear()
    yield po
    u._patterns.cache_clear()


def test_english_catalogue_strings_are_found(catalogue):
    html = """<html><head><title>台账</title><style>.Export{}</style></head><body>
      <button>Save draft</button> <a>Export</a> <span>API</span>
      <p>3 reports wait for your review</p>
      <input type="search" placeholder="Search tasks"> <b>ok</b>
      <script>var label = "Export";</script></body></html>"""
    assert sorted(u.untranslated(html)) == [
        "%(count)s reports wait for your review",
        "Export",
        "Save draft",
        "Search tasks",
    ]


def test_a_chinese_page_passes(catalogue):
    html = "<button>保存草稿</button><a>导出</a><p>3 份报告待您审核</p><p>Exporter 2026</p>"
    assert u.untranslated(html) == []


def test_a_word_inside_other_text_is_not_a_label(catalogue):
    """One-word msgids count only as a whole text node: user data may hold English words."""
    assert u.untranslated("<p>Export of steel to the port</p>") == []


def test_the_catalogue_is_complete():
    assert u.incomplete() == [], "translate these msgids (make messages, then edit the .po)"
