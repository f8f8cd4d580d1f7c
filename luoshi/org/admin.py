"""Units, people and their role grants in the admin site. Every add and change goes through
the org services (rights, audit record, version), as the pages and the API do: the admin is
one more way in, not a way around. Nothing here is deleted: units and people are deactivated,
role grants are revoked."""

import copy

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin import forms as admin_forms
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from luoshi.core.admin import (
    SERVICE_ERRORS,
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    VersionedAdminForm,
    adopt,
    changed_fields,
    error_text,
)
from luoshi.core.errors import OutOfScope

from . import services
from .models import Person, RoleGrant, Unit
from .scope import scope_for

UNIT_FIELDS = ("name", "short_name", "code", "kind", "sort_key", "is_active")


class GrantFormSet(BaseInlineFormSet):
    """A person's role grants. A new row grants (services.grant_role), a ticked "delete"
    revokes (services.revoke_role), a changed row revokes the old grant and grants the new one:
    each one audited. A row the actor may not grant or revoke is refused here, with the reason,
    before anything is saved."""

    actor = None  # set for each request by GrantInline.get_formset

    def clean(self):
        super().clean()
        refusals = []
        for form in self.forms:
            if form.errors or not form.has_changed():
                continue
            deleting = bool(form.cleaned_data.get(DELETION_FIELD_NAME))
            checks = []
            stored = None
            if form.instance.pk is not None:
                stored = RoleGrant.objects.select_related("unit").filter(pk=form.instance.pk)
                stored = stored.first()
            if stored is not None:
                checks.append((stored.role, stored.unit, True))
            if not deleting and form.cleaned_data.get("unit"):
                checks.append((form.cleaned_data["role"], form.cleaned_data["unit"], False))
            for role, unit, revoke in checks:
                try:
                    services.check_may_grant(self.actor, role, unit, revoke=revoke)
                except OutOfScope as exc:
                    refusals.append(str(exc))
                    break
        if refusals:
            raise ValidationError(refusals)


class GrantInline(admin.TabularInline):
    model = RoleGrant
    formset = GrantFormSet
    extra = 0
    autocomplete_fields = ["unit"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": request.user})


class UnitForm(VersionedAdminForm):
    class Meta:
        model = Unit
        fields = "__all__"


@admin.register(Unit)
class UnitAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = UnitForm
    list_display = ["name", "kind", "parent", "code", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:  # a new unit is active; it has no path or version yet
            return [f for f in fields if f not in ("is_active", "version", "path", "depth")]
        return fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            unit = services.create_unit(
                data["name"],
                data.get("parent"),
                actor=request.user,
                kind=data.get("kind"),
                short_name=data.get("short_name", ""),
                code=data.get("code"),
                sort_key=data.get("sort_key", ""),
            )
            adopt(obj, unit)
            return
        unit = Unit.objects.get(pk=obj.pk)
        version = data["version"]
        if "parent" in form.changed_data and data.get("parent") != unit.parent:
            unit = services.move_unit(unit, data.get("parent"), actor=request.user, version=version)
            version = unit.version
        fields = changed_fields(form, UNIT_FIELDS)
        if fields:
            unit = services.update_unit(unit, actor=request.user, version=version, **fields)
        adopt(obj, unit)


class PersonChangeForm(VersionedAdminForm, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Person


class PersonCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Person
        fields = ("username",)


class PersonPasswordForm(AdminPasswordChangeForm):
    """The admin's set-password form, saving through services.set_password (audited, the
    actor's rights checked). `actor` is set for each request by PersonAdmin."""

    actor = None

    def save(self, commit=True):
        data = self.cleaned_data
        raw = data["password1"] if data["set_usable_password"] else None
        return services.set_password(self.user, raw, actor=self.actor)


@admin.register(Person)
class PersonAdmin(ServiceAdminMixin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    change_password_form = PersonPasswordForm
    list_display = ["username", "full_name", "title", "unit", "is_active"]
    search_fields = ["username", "full_name"]
    list_filter = ["is_active", "is_superuser", "grants__role"]
    actions = ["deactivate"]
    not_deletable_message = _(
        "People are never deleted: their names stay in the records they made. To take "
        "%(name)s's log-in away, untick “active” below and save, or choose “Deactivate” on "
        "the list."
    )
    ordering = ["full_name", "id"]
    autocomplete_fields = ["unit"]
    inlines = [GrantInline]
    fieldsets = (
        (None, {"fields": ("username", "password", "version")}),
        (_("Person"), {"fields": ("full_name", "title", "unit", "phone", "email")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser"),
                "description": _(
                    "People are never deleted: their names stay in the records they made. "
                    "Untick “active” to take the log-in away."
                ),
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    *services.PROFILE_FIELDS,
                    "usable_password",
                    "password1",
                    "password2",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Shown, not offered, to those the service would refuse (it checks again on save).
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields.append("is_superuser")
            if not scope_for(request.user).is_admin:
                fields.append("is_staff")
        return fields

    @admin.action(description=_("Deactivate the selected people (they can no longer log in)"))
    def deactivate(self, request, queryset):
        done = 0
        for person in queryset.filter(is_active=True).order_by("pk"):
            try:
                services.update_person(
                    person, actor=request.user, version=person.version, is_active=False
                )
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{person}: {error_text(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d person deactivated.", "%(n)d people deactivated.", done)
                % {"n": done},
                messages.SUCCESS,
            )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            person = services.create_person(
                data["full_name"],
                data.get("unit"),
                actor=request.user,
                username=data["username"],
                password=data.get("password1") if data.get("set_usable_password") else None,
                title=data.get("title", ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
            adopt(obj, person)
            return
        fields = changed_fields(form, services.PERSON_FIELDS)
        if fields:
            person = services.update_person(
                Person.objects.get(pk=obj.pk),
                actor=request.user,
                version=data["version"],
                **fields,
            )
            adopt(obj, person)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleGrant:
            return super().save_formset(request, form, formset, change)
        person = form.instance
        deleted = {id(f) for f in formset.deleted_forms}
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        grants = []
        for f in formset.initial_forms:
            if id(f) in deleted:
                services.revoke_role(f.instance, actor=request.user)
                formset.deleted_objects.append(f.instance)
            elif f.has_changed():
                services.revoke_role(f.instance, actor=request.user)
                grants.append((f, True))
        grants += [
            (f, False) for f in formset.extra_forms if f.has_changed() and id(f) not in deleted
        ]
        for f, was_stored in grants:
            grant = services.grant_role(
                person, f.cleaned_data["role"], f.cleaned_data["unit"], actor=request.user
            )
            if was_stored:
                formset.changed_objects.append((grant, f.changed_data))
            else:
                formset.new_objects.append(grant)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """Django's password page, with a form that saves through services.set_password."""
        view = copy.copy(self)
        view.change_password_form = type(
            "PersonPasswordForm", (PersonPasswordForm,), {"actor": request.user}
        )
        try:
            return UserAdmin.user_change_password(view, request, id, form_url)
        except OutOfScope as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:org_person_change", args=[id]))


class OwnPasswordChangeForm(admin_forms.AdminPasswordChangeForm):
    """The admin site's "change my password" form (old password, new one twice), saving
    through services.set_password with the person as their own actor."""

    def save(self, commit=True):
        return services.set_password(self.user, self.cleaned_data["new_password1"], actor=self.user)


def own_password_change(request, extra_context=None):
    """AdminSite.password_change with the audited form (Django's hard-codes its own)."""
    site = admin.site
    defaults = {
        "form_class": OwnPasswordChangeForm,
        "success_url": reverse("admin:password_change_done", current_app=site.name),
        "extra_context": {**site.each_context(request), **(extra_context or {})},
    }
    if site.password_change_template is not None:
        defaults["template_name"] = site.password_change_template
    request.current_app = site.name
    return PasswordChangeView.as_view(**defaults)(request)


# Read by AdminSite.get_urls, which runs after every admin module is loaded.
admin.site.password_change = own_password_change


@admin.register(AccessAttempt)
class LoginLockoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Failed log-ins as django-axes counts them; a locked pair is unlocked here, audited."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = list_display + ["user_agent", "path_info"]
    actions = ["unlock"]

    def has_module_permission(self, request):
        return scope_for(request.user).is_admin

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user).is_admin

    @admin.action(description=_("Unlock the selected log-ins"))
    def unlock(self, request, queryset):
        try:
            n = services.unlock_logins(list(queryset), actor=request.user)
        except SERVICE_ERRORS as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("%(n)d log-in unlocked.", "%(n)d log-ins unlocked.", n) % {"n": n},
            messages.SUCCESS,
        )
