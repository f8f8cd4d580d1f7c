"""Ids in URLs and query strings bounded to what a row can have, so a number past 64 bits is a
404 or a 400 with its field named, never a 500: SQLite refuses to bind it (OverflowError) and
Django checks the range only on an integer column's own lookups, not on a foreign key's.

`core.middleware` (web) and `core.api.exception_handler` (API) catch whatever number
still slips through anywhere else and answer 400 with a message."""

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import fields as df_fields

# BigAutoField's range on both databases.
MAX_ID = 2**63 - 1
# At most 18 digits always fits in 63 bits: longer ids cannot name a row, so they do not match.
ID_REGEX = "[0-9]{1,18}"

OUT_OF_RANGE = _("A number in the request is out of range.")


class IdConverter:
    """`<id:pk>` in URL patterns: `<id:pk>` with at most 18 digits."""

    regex = ID_REGEX

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def fits(value) -> bool:
    """Whether a submitted id is a whole number a row could have (other text is left for the
    field's own check to refuse)."""
    text = str(value).strip()
    if text.startswith("-"):
        text = text[1:]
    return not text.isdigit() or int(text) <= MAX_ID


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(df.NumberFilter):
    """A filter on a foreign key's id (?owner=12): 1 … 2⁶³−1, else 400 naming the field."""

    field_class = IdField


class IdChoiceField(df_fields.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not fits(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoiceFilter(df.ModelChoiceFilter):
    """A model choice (?plan=3) that refuses an id past 64 bits as an invalid choice."""

    field_class = IdChoiceField
