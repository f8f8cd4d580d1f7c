"""Panels: how a later stage shows its part on an earlier stage's page without the earlier one
importing it (imports run one way, CRAFT.md). The ledger's task page and dispatch's report page
render `{% panels "task" task %}` / `{% panels "report" slot %}`; supervision (and later stages)
register a function for that place in their AppConfig.ready().

A panel function takes (request, obj) and returns rendered HTML (a str, escaped by its own
template) or "" to show nothing. It must only read: pages are GET, and GET writes nothing (the
crawl test checks). Panels render in registration order, which is the apps' import order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, object], str]

_PANELS: dict[str, list[tuple[str, Panel]]] = {}


def register(place: str, name: str, panel: Panel) -> None:
    """Show `panel` on the page named `place`. Registering the same name again replaces it
    (ready() can run more than once in tests)."""
    panels = _PANELS.setdefault(place, [])
    panels[:] = [(n, p) for n, p in panels if n != name]
    panels.append((name, panel))


def registered(place: str) -> list[str]:
    return [n for n, _ in _PANELS.get(place, [])]


def render(place: str, request: HttpRequest, obj) -> SafeString:
    # Each panel renders its own template with autoescaping, so joining them is safe.
    return mark_safe("".join(panel(request, obj) or "" for _, panel in _PANELS.get(place, [])))  # noqa: S308
