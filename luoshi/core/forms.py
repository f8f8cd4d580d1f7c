"""Form plumbing shared by every app."""

from django import forms
from django.utils.translation import gettext_lazy as _


class VersionedFormMixin:
    """Carries the version of the record a form edits, so a stale save is refused (409)
    instead of silently overwriting someone's change. Required whenever the form edits a
    stored record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = bool(getattr(self.instance, "pk", None))
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=stored,
            error_messages={
                "required": _(
                    "This page was opened without the record's version: reload it and make your"
                    " change again."
                )
            },
        )
        if stored:
            self.initial["version"] = self.instance.version
