from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "luoshi.core"
    label = "core"
    verbose_name = _("Shared mechanisms")

    def ready(self) -> None:
        import openpyxl
        from django.urls import register_converter

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .ids import IdConverter

        # Before any URLconf is read: every object id in a URL is an `<id:…>`.
        register_converter(IdConverter, "id")

        # openpyxl parses XML safely only when defusedxml is importable (RELIABILITY.md).
        if not openpyxl.DEFUSEDXML:
            raise RuntimeError("defusedxml must be installed: openpyxl would parse XML unsafely")
