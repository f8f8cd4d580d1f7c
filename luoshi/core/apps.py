from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "luoshi.core"
    label = "core"
    verbose_name = _("Shared mechanisms")

    def ready(self) -> None:
        import openpyxl

        from . import checks  # noqa: F401  (registers the deployment checks)

        # openpyxl parses XML safely only when defusedxml is importable (RELIABILITY.md).
        if not openpyxl.DEFUSEDXML:
            raise RuntimeError("defusedxml must be installed: openpyxl would parse XML unsafely")
