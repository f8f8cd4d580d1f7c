from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import (
    Appeal,
    Extension,
    LightChange,
    LightPass,
    Order,
    OrderStep,
    PlanLightRules,
    Problem,
    ProblemStep,
    Signal,
    TaskLight,
)

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


@admin.register(LightPass)
class LightPassAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["on", "plan", "at"]
    list_filter = ["on"]


@admin.register(PlanLightRules)
class PlanLightRulesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "milestone_red_after", "deadline_window", "missed_cycles_red"]
    raw_id_fields = ["plan"]


# Problems, orders, extensions, appeals and signals change through their pages and API (the
# services check rights and keep the steps); the admin shows them read-only.


class ProblemStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProblemStep
    extra = 0
    fields = ["at", "kind", "level", "actor", "text"]


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "task", "unit", "level", "status", "sla_due_on", "assignee"]
    list_filter = ["status", "level"]
    search_fields = ["title"]
    raw_id_fields = ["task", "report", "unit", "raised_by", "assignee", "closed_by"]
    inlines = [ProblemStepInline]


class OrderStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderStep
    extra = 0
    fields = ["at", "kind", "actor", "text"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["label", "unit", "status", "respond_by", "responded_late"]
    list_filter = ["status", "year", "responded_late"]
    raw_id_fields = ["unit", "tasks", "issued_by", "responded_by", "closed_by"]
    inlines = [OrderStepInline]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "unit", "original_deadline", "requested_deadline", "status"]
    list_filter = ["status"]
    raw_id_fields = ["task", "unit", "requested_by", "decided_by"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "unit", "light", "status", "raised_at"]
    list_filter = ["status", "light"]
    raw_id_fields = ["task", "unit", "raised_by", "decided_by"]


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "task", "unit", "on", "text"]
    list_filter = ["kind"]
    raw_id_fields = ["task", "unit", "report"]
