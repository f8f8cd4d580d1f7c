from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import VersionedFormMixin
from luoshi.ledger.forms import BootstrapMixin

from .models import Report


class ReportForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Report
        fields = ["progress", "problems", "next_steps", "percent", "actual"]
        widgets = {
            "progress": forms.Textarea(attrs={"rows": 4}),
            "problems": forms.Textarea(attrs={"rows": 2}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
            "percent": forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"}),
            "actual": forms.NumberInput(attrs={"inputmode": "decimal"}),
        }

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.milestones = list(milestones)
        reached = (self.instance.milestones_reached or {}) if self.instance.pk else {}
        for m in self.milestones:
            self.fields[f"milestone_{m.pk}"] = forms.DateField(
                label=_("%(name)s (due %(date)s) reached on")
                % {"name": m.name or m.date, "date": m.date},
                required=False,
                initial=reached.get(str(m.pk)) or m.reached_on,
                widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
            )

    def reached(self) -> dict:
        out = {}
        for m in self.milestones:
            value = self.cleaned_data.get(f"milestone_{m.pk}")
            if value and not m.reached_on:
                out[str(m.pk)] = value.isoformat()
        return out


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
