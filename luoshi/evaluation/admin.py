from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import Answer, Completion, Evaluation, EvaluationRules, PostEvaluation

# Evaluation's records change through their pages and API only (the services check who may
# accept, evaluate and answer, and audit each step); the admin only shows them.


@admin.register(EvaluationRules)
class EvaluationRulesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "evaluate_all", "satisfaction", "recheck_months"]
    raw_id_fields = ["plan"]


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "kind", "status", "completed_on", "submitted_at", "days_late"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["task", "submitted_by", "decided_by"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "quality", "attainment", "satisfaction", "evaluated_at"]
    list_filter = ["quality"]
    raw_id_fields = ["task", "completion", "evaluated_by"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "issuer", "status", "rating", "sent_at"]
    list_filter = ["status", "rating"]
    raw_id_fields = ["task", "issuer", "sent_by"]


@admin.register(PostEvaluation)
class PostEvaluationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "due_on", "status", "quality"]
    list_filter = ["status"]
    raw_id_fields = ["task", "done_by"]
