from django.contrib import admin

from luoshi.core.admin import ReadOnlyAdminMixin

from .models import Practice, PracticeDocument, Tag

# The experience library changes through its pages and API only (the services check who may,
# keep the search column and write the audit record); the admin only shows it.


@admin.register(Tag)
class TagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Practice)
class PracticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "unit", "recorded_at"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "task", "recorded_by"]
    exclude = ["search_text"]


@admin.register(PracticeDocument)
class PracticeDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "practice", "size", "uploaded_at"]
    raw_id_fields = ["practice", "uploaded_by"]
