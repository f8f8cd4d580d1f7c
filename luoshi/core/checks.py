"""System checks of a deployment (`luoshi check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def development_secret_key(app_configs, **kwargs) -> list[Error]:
    """The built-in development key signs sessions, password-reset and activation links: with
    it, anyone who has read the source can forge them. A deployment must set its own."""
    if getattr(settings, "DEV_SECRET_KEY", None) != settings.SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the built-in development key.",
            hint="Set SECRET_KEY to a long random value and LUOSHI_INSECURE_DEV_KEY=0 "
            "(README, Configuration).",
            id="luoshi.E001",
        )
    ]
