"""Scoped reads of notifications: a person reads only their own inbox."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from .models import Channel, Message


def inbox_messages(person) -> QuerySet[Message]:
    """The person's inbox, unread first, newest first within each."""
    return Message.objects.filter(recipient=person, channel=Channel.INBOX).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1)), "-created_at", "-id"
    )


def unread_count(person) -> int:
    if person is None or not getattr(person, "is_authenticated", False):
        return 0
    return Message.objects.filter(
        recipient=person, channel=Channel.INBOX, read_at__isnull=True
    ).count()


def already_queued(dedupe_keys) -> set[str]:
    """Which of these idempotency keys (as given to `services.notify`) already have a message,
    in a few bulk queries: callers skip composing what would be deduplicated anyway."""
    keys = list(dict.fromkeys(dedupe_keys))
    stored = {f"{k}:{c}": k for k in keys for c in Channel.values}
    names = list(stored)
    found: set[str] = set()
    for i in range(0, len(names), 1000):
        found |= set(
            Message.objects.filter(dedupe_key__in=names[i : i + 1000]).values_list(
                "dedupe_key", flat=True
            )
        )
    return {stored[n] for n in found}
