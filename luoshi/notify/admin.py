from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from luoshi.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin, adopt
from luoshi.core.errors import RuleViolation

from . import rules, services
from .models import Delivery, Message, Preference, WebhookEndpoint

PREFERENCE_FIELDS = ("email_digest", "webhook_digest", "digest_time")


class WebhookEndpointForm(forms.ModelForm):
    # Never rendered back: the secret signs messages into the group.
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("DingTalk and Feishu signature security. Leave empty to keep the current one."),
    )
    clear_secret = forms.BooleanField(label=_("remove the signing secret"), required=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "secret", "unit", "is_active", "rate_per_minute"]
        widgets = {"url": forms.TextInput(attrs={"size": 80, "autocomplete": "off"})}

    def clean(self):
        data = super().clean()
        if data.get("clear_secret"):
            data["secret"] = ""
        elif not data.get("secret") and self.instance.pk:
            data["secret"] = self.instance.secret
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Robots are never deleted (their delivery log names them): untick "active"."""

    form = WebhookEndpointForm
    list_display = ["name", "kind", "unit", "masked_url", "is_active", "rate_per_minute"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]
    actions = ["send_test_message"]

    @admin.display(description=_("URL"))
    def masked_url(self, obj):
        return rules.redact_url(obj.url)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {f: data[f] for f in services.ENDPOINT_FIELDS}
            adopt(obj, services.create_endpoint(actor=request.user, **fields))
            return
        # Only what the user changed, so a concurrent change to another field stands. The
        # secret is never shown back: it changes when a new one is typed or it is cleared.
        changed = set(form.changed_data)
        if data.get("clear_secret"):
            changed.add("secret")
        fields = {f: data[f] for f in services.ENDPOINT_FIELDS if f in changed}
        endpoint = WebhookEndpoint.objects.get(pk=obj.pk)
        adopt(obj, services.update_endpoint(endpoint, actor=request.user, **fields))

    @admin.action(description=_("Send a test message"))
    def send_test_message(self, request, queryset):
        for endpoint in queryset:
            try:
                attempt = services.send_test(endpoint, actor=request.user)
            except RuleViolation as e:
                self.message_user(request, f"{endpoint}: {e}", messages.ERROR)
                continue
            if attempt is None:
                self.message_user(
                    request,
                    _("%(robot)s: rate limit reached; the worker sends the test shortly.")
                    % {"robot": endpoint},
                    messages.WARNING,
                )
            elif attempt.outcome == Delivery.Outcome.OK:
                self.message_user(
                    request, _("%(robot)s: test message delivered.") % {"robot": endpoint}
                )
            else:
                self.message_user(
                    request,
                    _("%(robot)s: test message failed: %(error)s")
                    % {"robot": endpoint, "error": attempt.error},
                    messages.ERROR,
                )


# Messages and attempts are a record of what happened; they change only by delivery.


class DeliveryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Delivery
    fields = ["attempt", "at", "outcome", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "subject",
        "recipient",
        "channel",
        "webhook",
        "status",
        "urgent",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = ["channel", "status", "urgent", "is_digest"]
    search_fields = ["subject", "dedupe_key", "recipient__username", "recipient__full_name"]
    list_select_related = ["recipient", "webhook"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "message", "endpoint", "attempt", "outcome", "status_code", "duration_ms"]
    list_filter = ["outcome", "endpoint"]
    search_fields = ["message__subject", "error"]
    list_select_related = ["message__recipient", "endpoint"]
    date_hierarchy = "at"


@admin.register(Preference)
class PreferenceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Saved through services.set_preference; not deleted (without a row the defaults apply,
    so set the defaults instead)."""

    list_display = ["person", "email_digest", "webhook_digest", "digest_time"]
    search_fields = ["person__username", "person__full_name"]
    autocomplete_fields = ["person"]

    def get_readonly_fields(self, request, obj=None):
        return ["person"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        person = obj.person
        fields = {f: form.cleaned_data[f] for f in PREFERENCE_FIELDS if f in form.cleaned_data}
        adopt(obj, services.set_preference(person, actor=request.user, **fields))
