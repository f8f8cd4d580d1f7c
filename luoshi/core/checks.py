"""System checks of a deployment (`luoshi check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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


@register(Tags.security, deploy=True)
def audit_key(app_configs, **kwargs) -> list[Warning]:
    """Unset, the audit key is derived from SECRET_KEY: rotating SECRET_KEY (after a leak, say)
    would then make every record written so far unverifiable."""
    if getattr(settings, "LUOSHI_AUDIT_KEY", ""):
        return []
    return [
        Warning(
            "LUOSHI_AUDIT_KEY is not set: the audit chain's key is derived from SECRET_KEY.",
            hint="Set LUOSHI_AUDIT_KEY to a long random value, apart from SECRET_KEY, and keep "
            "it: records verify only with the key they were written under (README, Audit).",
            id="luoshi.W002",
        )
    ]
