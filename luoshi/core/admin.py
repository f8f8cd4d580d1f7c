"""Admin plumbing every app's admin uses, and the admin of core's own records.

Every change made in the admin site goes through the same service a page or the API calls
(rights, audit record, version check, one transaction): `ServiceAdminMixin` is the one way in,
`ReadOnlyAdminMixin` shuts every other door."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_q import admin as q_admin
from django_q import models as q_models
from rest_framework.authtoken.models import TokenProxy

from . import services
from .arrangement import parse_notice, summarize
from .calendar import load_arrangement
from .errors import OutOfScope, RuleViolation, StaleVersion
from .forms import VersionedFormMixin
from .models import AuditRecord, CalendarDay, CalendarYear, object_type_label

SERVICE_ERRORS = (StaleVersion, RuleViolation, OutOfScope, ValidationError)


class ReadOnlyAdminMixin:
    """Records of what happened (audit records, cycles, slots, messages, deliveries) and objects
    changed only through the audited pages and API: the admin shows them and never adds,
    changes or deletes one. For model admins and inlines alike."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class ServiceAdminMixin:
    """A model admin whose save_model / save_formset call the app's services. A refusal the
    form could not foresee (a save that raced past the form's version check, a rule or scope
    the service enforces) rolls the whole save back (inlines included) and comes back as an
    error on the reloaded page, never as a server error or a half-saved object.

    Objects with an audit trail are never deleted here: they are deactivated instead. An admin
    whose deletion is itself a service call sets `deletable` and overrides delete_model and
    delete_queryset."""

    deletable = False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SERVICE_ERRORS as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # Said, instead of a bare 403, to whoever opens the delete page of a record never deleted.
    not_deletable_message = _(
        "“%(name)s” cannot be deleted: the records that refer to it would lose it."
    )

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = None if self.deletable else self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return super().delete_view(request, object_id, extra_context)
        self.message_user(request, self.not_deletable_message % {"name": obj}, messages.WARNING)
        opts = self.opts
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied


class VersionedAdminForm(VersionedFormMixin, forms.ModelForm):
    """An admin form (or inline row) for a versioned record: carries the version it was opened
    with, hidden, and refuses a save when the record has changed since, with the reason, so
    someone's change is never overwritten. (The service's compare-and-set still refuses a save
    that races past this check.) List "version" among the admin's fields."""

    def clean(self):
        data = super().clean()
        posted = data.get("version")
        stored = self.instance.version if self.instance.pk else None
        if stored is not None and posted is not None and posted != stored:
            stale = StaleVersion(str(self.instance), posted, stored)
            raise ValidationError(str(stale), code="stale")
        return data


def changed_fields(form, allowed) -> dict:
    """The fields of `allowed` the user changed, with their cleaned values."""
    return {f: form.cleaned_data[f] for f in form.changed_data if f in allowed}


def adopt(obj, saved) -> None:
    """Make the admin's in-memory object the one the service saved (primary key, version,
    computed fields), so the admin's log, message and redirect name it."""
    obj.__dict__.update(saved.__dict__)


class _LabelledFilter(admin.SimpleListFilter):
    """A filter on a recorded code (action, object type) that shows the code's label."""

    def label(self, code: str) -> str:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        codes = AuditRecord.objects.order_by().values_list(self.parameter_name, flat=True)
        return sorted(((c, self.label(c)) for c in codes.distinct()), key=lambda kv: kv[1])

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.parameter_name: value}) if value else queryset


class _ActionFilter(_LabelledFilter):
    title = _("action")
    parameter_name = "action"

    def label(self, code):
        return str(AuditRecord.ACTION_LABELS.get(code, code))


class _ObjectTypeFilter(_LabelledFilter):
    title = _("object type")
    parameter_name = "object_type"

    def label(self, code):
        return object_type_label(code)


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "at",
        "actor_name",
        "action_shown",
        "type_shown",
        "object_id",
        "object_repr",
    ]
    list_filter = [_ActionFilter, _ObjectTypeFilter]
    search_fields = ["object_repr", "actor_name", "object_id"]

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, obj):
        return obj.action_label

    @admin.display(description=_("object type"), ordering="object_type")
    def type_shown(self, obj):
        return obj.object_type_label


@admin.register(CalendarDay)
class CalendarDayAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Hand edits of single days; every save and delete goes to the audit trail."""

    deletable = True
    list_display = ["date", "weekday", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    search_fields = ["note"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return "周" + "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        day = CalendarDay.objects.get(pk=obj.pk) if change else CalendarDay()
        fields = {f: form.cleaned_data[f] for f in services.DAY_FIELDS if f in form.cleaned_data}
        adopt(obj, services.save_calendar_day(day, actor=request.user, **fields))

    def delete_model(self, request, obj):
        services.delete_calendar_days([obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_calendar_days(queryset, actor=request.user)


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
class CalendarYearAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Confirmed years. "Load notice" (top right of the list) reads the State Council's notice
    into the calendar overrides and confirms its year."""

    deletable = True
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
                plan = load_arrangement(arr, source=source, actor=request.user, dry_run=True)
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
        year = CalendarYear.objects.get(pk=obj.pk) if change else CalendarYear()
        fields = {f: form.cleaned_data[f] for f in ("year", "source") if f in form.cleaned_data}
        adopt(obj, services.confirm_calendar_year(year, actor=request.user, **fields))

    def delete_model(self, request, obj):
        services.unconfirm_calendar_years([obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        """Un-confirming a year leaves its overrides; its dates become provisional again."""
        services.unconfirm_calendar_years(queryset, actor=request.user)


# --- other apps' admins -----------------------------------------------------------------------
# Every change made on the admin site goes through an audited service. Django's groups (roles
# are role grants here) and API tokens (issued to their owner at /api/token/) have none, so they
# are not offered; the worker's queue is shown read-only (its jobs are registered in code, and a
# hand-made schedule or a re-queued task would run without a trace).
admin.site.unregister(Group)
admin.site.unregister(TokenProxy)
for _model, _admin_class in (
    (q_models.Schedule, q_admin.ScheduleAdmin),
    (q_models.Success, q_admin.TaskAdmin),
    (q_models.Failure, q_admin.FailAdmin),
    (q_models.OrmQ, q_admin.QueueAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(_admin_class.__name__, (ReadOnlyAdminMixin, _admin_class), {})
        )


# The admin's own header and titles, in the product's words (Django's default reads "Django 管理").
admin.site.site_header = _("Luoshi administration")
admin.site.site_title = _("Luoshi administration")
admin.site.index_title = _("Configuration")
