"""Forms of the experience library pages."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import VersionedFormMixin
from luoshi.ledger.forms import BootstrapMixin
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for

from .models import Practice


class SearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        label=_("Unit (with its subunits)"),
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *Practice.Kind.choices], required=False
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _filter_units(person)


def _filter_units(person):
    """Units to filter by: those with practices (their names are on the practices anyway) and
    those in the person's own scope; not every unit of the organisation."""
    scope = scope_for(person)
    return Unit.objects.filter(
        Q(pk__in=Practice.objects.values("unit_id")) | scope.unit_q(),
        is_active=True,
    ).order_by("path")


class PracticeForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. 网格化, 营商环境"),
    )

    class Meta:
        model = Practice
        fields = ["kind", "title", "unit", "what", "result"]
        widgets = {
            "what": forms.Textarea(attrs={"rows": 5}),
            "result": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.order_by("path")
        if self.instance.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Document"))
