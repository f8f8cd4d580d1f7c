from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Person, RoleGrant, Unit


class GrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from . import services

        if change:
            fields = {f: form.cleaned_data[f] for f in form.changed_data if f != "parent"}
            services.update_unit(request.user, Unit.objects.get(pk=obj.pk), **fields)
        else:
            created = services.create_unit(
                request.user,
                obj.name,
                obj.parent,
                kind=obj.kind,
                short_name=obj.short_name,
                code=obj.code,
                sort_key=obj.sort_key,
            )
            obj.pk = created.pk


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "full_name", "title", "unit", "is_active"]
    search_fields = ["username", "full_name"]
    list_filter = ["is_active", "is_superuser", "grants__role"]
    autocomplete_fields = ["unit"]
    inlines = [GrantInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "title", "unit", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "unit", "password1", "password2")}),
    )
