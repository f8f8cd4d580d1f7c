from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from . import audit
from .arrangement import parse_notice, summarize
from .calendar import OBJECT_TYPE, load_arrangement
from .models import AuditRecord, CalendarDay, CalendarYear


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "actor_name", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_name", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _day_snapshot(day: CalendarDay) -> dict:
    return {"date": day.date, "is_working_day": day.is_working_day, "note": day.note}


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Hand edits of single days; every save and delete goes to the audit trail."""

    list_display = ["date", "weekday", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    search_fields = ["note"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return "周" + "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = {}
            if change and obj.pk:
                old = CalendarDay.objects.filter(pk=obj.pk).first()
                before = _day_snapshot(old) if old else {}
            super().save_model(request, obj, form, change)
            changes = audit.diff(before, _day_snapshot(obj))
            if changes:
                action = "update" if change else "create"
                entry = audit.Entry(action, "core.calendarday", obj.pk, str(obj), changes)
                audit.record(request.user, [entry])

    def delete_model(self, request, obj):
        self.delete_queryset(request, CalendarDay.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            rows = list(queryset)
            entries = [
                audit.Entry(
                    "delete", "core.calendarday", r.pk, str(r), audit.diff(_day_snapshot(r), {})
                )
                for r in rows
            ]
            queryset.delete()
            audit.record(request.user, entries)


class NoticeForm(forms.Form):
    text = forms.CharField(
        label=_("notice text"),
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        help_text=_(
            "Paste the State Council's notice (国务院办公厅关于XXXX年部分节假日安排的通知), "
            "title and numbered lines included."
        ),
    )
    year = forms.IntegerField(
        label=_("year"),
        required=False,
        min_value=1990,
        max_value=2200,
        help_text=_("Only needed when the pasted text has no title."),
    )
    source = forms.CharField(
        label=_("source"),
        required=False,
        max_length=200,
        help_text=_("Citation recorded with the year; by default the notice's title."),
    )

    def clean(self):
        data = super().clean()
        if data.get("text"):
            try:
                data["arrangement"] = parse_notice(data["text"], data.get("year"))
            except ValueError as exc:
                self.add_error("text", str(exc))
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Confirmed years. "Load notice" (top right of the list) reads the State Council's notice
    into the calendar overrides and confirms its year."""

    list_display = ["year", "source", "days"]
    ordering = ["-year"]
    change_list_template = "admin/core/calendaryear/change_list.html"

    @admin.display(description=_("overrides"))
    def days(self, obj):
        return CalendarDay.objects.filter(date__year=obj.year).count()

    def get_urls(self):
        view = self.admin_site.admin_view(self.load_notice_view)
        return [path("load-notice/", view, name="core_calendaryear_load"), *super().get_urls()]

    def can_load(self, request) -> bool:
        return request.user.has_perms(
            [
                "core.add_calendaryear",
                "core.change_calendaryear",
                "core.add_calendarday",
                "core.change_calendarday",
                "core.delete_calendarday",
            ]
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_load": self.can_load(request)}
        return super().changelist_view(request, extra_context)

    def load_notice_view(self, request):
        if not self.can_load(request):
            raise PermissionDenied
        plan = None
        summary: list[str] = []
        if request.method == "POST":
            form = NoticeForm(request.POST)
            if form.is_valid():
                arr = form.cleaned_data["arrangement"]
                source = form.cleaned_data.get("source") or ""
                summary = summarize(arr)
                if "_load" in request.POST:
                    plan = load_arrangement(arr, source=source, actor=request.user)
                    if plan.changed:
                        msg = _("Loaded %(year)s: %(n)s days added, %(u)s changed, %(d)s removed.")
                        params = {
                            "year": arr.year,
                            "n": len(plan.create),
                            "u": len(plan.update),
                            "d": len(plan.delete),
                        }
                        self.message_user(request, msg % params, messages.SUCCESS)
                    else:
                        msg = _("%(year)s is already loaded from this notice; nothing changed.")
                        self.message_user(request, msg % {"year": arr.year}, messages.INFO)
                    return redirect(reverse("admin:core_calendaryear_changelist"))
                plan = load_arrangement(arr, source=source, dry_run=True)
        else:
            form = NoticeForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Load the State Council holiday notice"),
            "form": form,
            "plan": plan,
            "summary": summary,
            "plan_lines": plan.lines() if plan else [],
            "remarks": form.cleaned_data["arrangement"].remarks
            if plan and hasattr(form, "cleaned_data")
            else [],
        }
        return TemplateResponse(request, "admin/core/calendaryear/load_notice.html", context)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = {}
            if change and obj.pk:
                old = CalendarYear.objects.filter(pk=obj.pk).first()
                before = {"confirmed": True, "source": old.source} if old else {}
            super().save_model(request, obj, form, change)
            changes = audit.diff(before, {"confirmed": True, "source": obj.source})
            if changes:
                action = "update" if change else "create"
                label = f"{obj.year}年部分节假日安排"
                entry = audit.Entry(action, OBJECT_TYPE, obj.year, label, changes)
                audit.record(request.user, [entry])

    def delete_model(self, request, obj):
        self.delete_queryset(request, CalendarYear.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Un-confirming a year leaves its overrides; its dates become provisional again."""
        with transaction.atomic():
            rows = list(queryset)
            entries = [
                audit.Entry(
                    "update",
                    OBJECT_TYPE,
                    r.year,
                    f"{r.year}年部分节假日安排",
                    {"confirmed": [True, False]},
                )
                for r in rows
            ]
            queryset.delete()
            audit.record(request.user, entries)
