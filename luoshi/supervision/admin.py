from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import LightChange, PlanLightRules, TaskLight

# Lights are computed by services.recompute_lights; the admin only shows them.


@admin.register(TaskLight)
class TaskLightAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "light", "pace", "since", "as_of"]
    list_filter = ["light", "pace"]
    raw_id_fields = ["task"]


@admin.register(LightChange)
class LightChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "on", "was", "now"]
    list_filter = ["now"]
    raw_id_fields = ["task"]


@admin.register(PlanLightRules)
class PlanLightRulesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "milestone_red_after", "deadline_window", "missed_cycles_red"]
    raw_id_fields = ["plan"]
