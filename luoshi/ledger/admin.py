from django.contrib import admin

from luoshi.core.admin import (
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    VersionedAdminForm,
    adopt,
    changed_fields,
)

from . import services
from .models import Category, Plan, Task

# Tasks and milestones are changed only through the audited service path (the pages and the
# API); the admin configures plans and categories, through the same services. Plans and
# categories are never deleted here: their tasks and audit trail hang on them.


class CategoryForm(VersionedAdminForm):
    class Meta:
        model = Category
        fields = ["name", "order", "version"]


class CategoryInline(admin.TabularInline):
    model = Category
    form = CategoryForm
    fields = ["name", "order", "version"]
    extra = 0
    can_delete = False


class PlanForm(VersionedAdminForm):
    class Meta:
        model = Plan
        fields = "__all__"


@admin.register(Plan)
class PlanAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = PlanForm
    list_display = ["name", "year", "owner_unit", "status", "frequency"]
    list_filter = ["year", "status"]
    search_fields = ["name"]
    readonly_fields = ["status", "deployed_at"]
    inlines = [CategoryInline]
    autocomplete_fields = ["owner_unit"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            given = ("name", "year", "owner_unit")
            rest = {f: data[f] for f in services.PLAN_FIELDS if f in data and f not in given}
            plan = services.create_plan(
                actor=request.user,
                name=data["name"],
                year=data["year"],
                owner_unit=data["owner_unit"],
                **rest,
            )
            adopt(obj, plan)
            return
        fields = changed_fields(form, services.PLAN_FIELDS)
        if fields:
            plan = Plan.objects.select_related("owner_unit").get(pk=obj.pk)
            adopt(
                obj,
                services.update_plan(plan, actor=request.user, version=data["version"], **fields),
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Category:
            return super().save_formset(request, form, formset, change)
        plan = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for f in formset.initial_forms:
            fields = changed_fields(f, services.CATEGORY_FIELDS)
            if fields:
                category = services.update_category(
                    Category.objects.get(pk=f.instance.pk),
                    actor=request.user,
                    version=f.cleaned_data["version"],
                    **fields,
                )
                formset.changed_objects.append((category, list(fields)))
        for f in formset.extra_forms:
            if f.has_changed():
                category = services.create_category(
                    plan,
                    actor=request.user,
                    name=f.cleaned_data["name"],
                    # left at its default, a new category goes last
                    order=f.cleaned_data["order"] if "order" in f.changed_data else None,
                )
                formset.new_objects.append(category)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: lets other admin pages pick a task (autocomplete); changes go through the
    audited pages and API."""

    list_display = ["no", "title", "plan", "status", "deadline"]
    list_filter = ["plan", "status"]
    search_fields = ["title", "no"]
