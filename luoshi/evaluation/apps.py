from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "luoshi.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        # Evaluation's part on earlier stages' pages and checks, registered here: those apps
        # render the places and run the checks, evaluation fills them (imports run one way).
        from luoshi.assessment.services import register_quality_source
        from luoshi.core import audit, panels
        from luoshi.ledger.history import register_choices

        from . import closed_loop, services, views
        from .models import Answer, Completion, Quality

        audit.recorded.connect(
            services.acceptances_from_ledger, dispatch_uid="evaluation.acceptances_from_ledger"
        )
        closed_loop.register_all()
        panels.register("task", "evaluation", views.task_panel)
        panels.register("report", "evaluation", views.report_panel)
        register_quality_source("evaluation", services.quality_rows)
        register_choices("evaluation.completion", "status", Completion.Status.choices)
        register_choices("evaluation.completion", "kind", Completion.Kind.choices)
        register_choices("evaluation.evaluation", "quality", Quality.choices)
        register_choices("evaluation.answer", "rating", Answer.Rating.choices)
