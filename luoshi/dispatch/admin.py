from django.contrib import admin

from .models import Cycle, Schedule, Slot

# Reports and their review are changed only through the audited pages and API; the admin
# configures schedules and shows cycles.


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["plan", "task", "kind", "weekday", "day", "due_time", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["plan__name", "task__title"]
    autocomplete_fields = ["task"]
    raw_id_fields = ["plan"]


class SlotInline(admin.TabularInline):
    model = Slot
    fields = ["task", "unit", "owner", "status", "submitted_at", "days_late"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["plan", "due_at", "closes_at", "status"]
    list_filter = ["status"]
    inlines = [SlotInline]
    readonly_fields = [
        "plan",
        "schedule",
        "period_start",
        "due_at",
        "closes_at",
        "status",
        "opened_at",
        "closed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
