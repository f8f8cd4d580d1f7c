from django.contrib import admin

from .models import Category, Plan, Task

# Tasks and milestones are changed only through the audited service path (the pages and the
# API); the admin configures plans and categories.


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "owner_unit", "status", "frequency"]
    list_filter = ["year", "status"]
    search_fields = ["name"]
    readonly_fields = ["status", "deployed_at", "version"]
    inlines = [CategoryInline]
    autocomplete_fields = ["owner_unit"]

    def save_model(self, request, obj, form, change):
        from . import services

        fields = {f: form.cleaned_data[f] for f in form.changed_data}
        if change:
            services.update_plan(request.user, Plan.objects.get(pk=obj.pk), None, **fields)
        else:
            created = services.create_plan(request.user, **form.cleaned_data)
            obj.pk = created.pk


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read-only: lets other admin pages pick a task (autocomplete); changes go through the
    audited pages and API."""

    list_display = ["no", "title", "plan", "status", "deadline"]
    list_filter = ["plan", "status"]
    search_fields = ["title", "no"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
