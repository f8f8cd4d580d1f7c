from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "luoshi.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        # What supervision shows on the ledger's task page and dispatch's report page: those
        # apps render the places, supervision fills them (imports run one way).
        from luoshi.core import audit, panels
        from luoshi.ledger.history import register_choices

        from .models import Decision, Light, Order, Problem
        from .services import lights as light_services

        # The task's history shows supervision's records in words, not codes.
        register_choices("supervision.problem", "status", Problem.Status.choices)
        register_choices("supervision.order", "status", Order.Status.choices)
        register_choices("supervision.extension", "status", Decision.choices)
        register_choices("supervision.appeal", "status", Decision.choices)
        register_choices("supervision.appeal", "light", Light.choices)

        audit.recorded.connect(
            light_services.lights_after_change, dispatch_uid="supervision.lights_after_change"
        )

        from .views import due_process, lights, orders, problems

        for name, module in (
            ("lights", lights),
            ("problems", problems),
            ("orders", orders),
            ("due_process", due_process),
        ):
            if hasattr(module, "task_panel"):
                panels.register("task", name, module.task_panel)
            if hasattr(module, "report_panel"):
                panels.register("report", name, module.report_panel)
