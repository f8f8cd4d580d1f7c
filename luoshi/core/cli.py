"""Argument parsing the management commands share, so each says the same thing on bad input."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def day_option(value: str | None, flag: str = "--today") -> dt.date:
    """The day a command runs as: the given YYYY-MM-DD, or today in the site's time zone."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{flag} must be YYYY-MM-DD, not {value!r}") from exc
