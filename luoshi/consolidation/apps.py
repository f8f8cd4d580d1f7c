from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsolidationConfig(AppConfig):
    name = "luoshi.consolidation"
    label = "consolidation"
    verbose_name = _("Consolidation")

    def ready(self):
        # The ledger's task page shows similar practices (imports run one way: the ledger
        # renders the place, consolidation fills it).
        from luoshi.core import panels

        from .views import task_panel

        panels.register("task", "practices", task_panel)
