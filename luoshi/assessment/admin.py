from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import Adjustment, Assessment, Scheme, Score

# Schemes, items, scores and locking change through the assessment pages and API (the services
# check rights, refuse locked months and keep the audit chain); the admin only shows them.


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "completion", "on_time", "reporting", "problems", "quality"]
    raw_id_fields = ["plan"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "period", "unit", "points", "reason", "created_at"]
    list_filter = ["period"]
    raw_id_fields = ["plan", "unit", "created_by"]


class ScoreInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Score
    extra = 0
    fields = ["rank", "unit", "score"]
    raw_id_fields = ["unit"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "period", "status", "as_of", "locked_at"]
    list_filter = ["status", "period"]
    raw_id_fields = ["plan", "computed_by", "locked_by"]
    inlines = [ScoreInline]
