from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import Urge


# 催报 is pressed on the home page (desk.services.urge_unit checks the rights, the rate limit
# and records the audit); the admin only shows what was sent.
@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "cycle", "unit", "actor", "missing", "recipients"]
    list_filter = ["at"]
    raw_id_fields = ["cycle", "unit", "actor"]
