from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "luoshi.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch cycles")

    def ready(self) -> None:
        from luoshi.ledger.history import register_choices

        from .models import Slot

        register_choices("dispatch.report", "status", Slot.Status.choices)
