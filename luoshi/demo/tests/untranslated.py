"""Untranslated text on a rendered page: a string of the project's own message catalogue
(luoshi/locale/zh_Hans/.../django.po) that shows in English where a Chinese page is asked for.

A msgid is looked for where templates and forms put translated text: a whole text node, or
the placeholder / title / aria-label / button value of an element. One-word msgids must be
the whole node ("Save"); longer ones may sit inside a node, with their %(name)s and {name}
placeholders matching anything. Data the user typed is Chinese in the demo city, so an
English catalogue string on a page is a string that was never passed through gettext, or a
msgid without its translation."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
# Not "alt": Django's own admin templates hard-code alt="Search" and the like.
ATTRIBUTES = ("placeholder", "title", "aria-label")
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^}]*\}")
_LETTERS = re.compile(r"[A-Za-z]{2,}")


def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


def incomplete(po: polib.POFile | None = None) -> list[str]:
    """msgids without a translation, or marked fuzzy (a guess nobody checked)."""
    po = po or catalogue()
    return [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries() if not e.obsolete]


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        values = dict(attrs)
        for name in ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            text = " ".join(data.split())
            if text:
                self.texts.append(text)


def texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser.texts


@functools.cache
def _language_names() -> frozenset[str]:
    from django.conf import settings
    from django.utils.translation import get_language_info

    infos = [get_language_info(code) for code, _name in settings.LANGUAGES]
    return frozenset(i[key] for i in infos for key in ("name", "name_local"))


@functools.cache
def _patterns() -> tuple[dict[str, str], list[tuple[str, re.Pattern, str]]]:
    """(one-word msgids by text, patterns of longer ones). Only msgids whose translation
    differs (an "API" kept as "API" is not untranslated) and that hold English words."""
    words: dict[str, str] = {}
    longer: list[tuple[str, re.Pattern, str]] = []
    for entry in catalogue():
        if entry.obsolete:
            continue
        msgid = entry.msgid
        translated = entry.msgstr or (entry.msgstr_plural or {}).get(0, "")
        literal = _PLACEHOLDER.sub(" ", msgid)
        if translated.strip() == msgid.strip() or not _LETTERS.search(literal):
            continue
        if len(literal.split()) < 2:
            if len(literal.strip()) >= 4 and not _PLACEHOLDER.search(msgid):
                words[msgid] = msgid
            continue
        parts = [" ".join(p.split()) for p in _PLACEHOLDER.split(msgid)]
        body = r".+?".join(re.escape(p).replace(r"\ ", r"\s+") for p in parts)
        # The longest literal part: a plain substring test skips most patterns cheaply.
        key = max(parts, key=len)
        longer.append((key, re.compile(r"(?<![A-Za-z])" + body + r"(?![A-Za-z])"), msgid))
    return words, longer


def untranslated(html: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The catalogue's msgids that show untranslated on this page (each once). `ignore`:
    texts that are data, not labels (log-in names such as "leader"), and the languages'
    own names in the language menu ("English" is meant to read "English")."""
    words, longer = _patterns()
    found: dict[str, None] = {}
    shown = texts(html)
    skip = ignore | _language_names()
    for text in shown:
        if text in words and text not in skip:
            found[words[text]] = None
    joined = "\n".join(shown)
    for key, pattern, msgid in longer:
        if key in joined and pattern.search(joined):
            found[msgid] = None
    return list(found)
