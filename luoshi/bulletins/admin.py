from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import Bulletin, NumberSeries

# Bulletins change through their pages and API only (the services check roles, number them
# without gaps and refuse every change to a published one); the admin only shows them.


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["prefix", "year", "last"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "title", "status", "as_of", "published_at"]
    list_filter = ["status"]
    raw_id_fields = ["plan", "unit", "corrects", "drafted_by", "approved_by", "published_by"]
    exclude = ["docx", "pdf"]
