"""The registry of periodic jobs. Stages register their job functions by dotted path in
settings.LUOSHI_JOBS, so this shared mechanism imports none of them."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string


def jobs() -> dict[str, tuple[str, int]]:
    """name -> (dotted path, every N minutes)."""
    return dict(getattr(settings, "LUOSHI_JOBS", {}))


def ensure_schedules() -> list[str]:
    """Create or update one django-q2 schedule per job (idempotent: safe on every start)."""
    from django_q.models import Schedule

    names = []
    for name, (func, minutes) in jobs().items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
        names.append(name)
    Schedule.objects.filter(name__startswith="luoshi.").exclude(name__in=names).delete()
    return names


def run_all_once() -> dict[str, object]:
    return {name: import_string(func)() for name, (func, _m) in jobs().items()}
