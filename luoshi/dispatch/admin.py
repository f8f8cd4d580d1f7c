from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from luoshi.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt, changed_fields

from . import services
from .models import Cycle, Schedule, Slot

# Reports and their review are changed only through the audited pages and API; the admin
# configures schedules (through the same service, audited) and shows cycles.


@admin.register(Schedule)
class ScheduleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A schedule is never deleted (its cycles and slots hang on it): untick "active"."""

    list_display = ["plan", "task", "kind", "weekday", "day", "due_time", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["plan__name", "task__title"]
    autocomplete_fields = ["task"]
    raw_id_fields = ["plan"]

    def get_readonly_fields(self, request, obj=None):
        # What the schedule is for is fixed once made; set up another one instead.
        return ["plan", "task"] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            note = _("Schedules are not deleted: untick “active” to stop this one.")
            fieldsets = [(None, {**fieldsets[0][1], "description": note}), *fieldsets[1:]]
        return fieldsets

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            schedule = Schedule.objects.select_related("plan__owner_unit", "task").get(pk=obj.pk)
            fields = changed_fields(form, services.SCHEDULE_FIELDS)
        else:
            schedule = Schedule(plan=data["plan"], task=data.get("task"))
            fields = {f: data[f] for f in services.SCHEDULE_FIELDS if f in data}
        adopt(obj, services.save_schedule(schedule, actor=request.user, **fields))


class SlotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Slot
    fields = ["task", "unit", "owner", "status", "submitted_at", "days_late"]
    readonly_fields = fields
    extra = 0
    show_change_link = False


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
