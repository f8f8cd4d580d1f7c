from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import VersionedFormMixin
from luoshi.ledger.forms import BootstrapMixin

from . import rules
from .models import Report

# What the live counter under a text box says (report_form.js fills in the numbers).
COUNTER = _("{n} / {max} characters entered")


class ReportText(forms.CharField):
    """A report's text, with line breaks as one character each (browsers send CR LF but
    count one against `maxlength`), so the limit the page states is the limit applied."""

    def to_python(self, value):
        value = super().to_python(value)
        return rules.normalise_text(value) if value else value


def _limited(field: forms.Field, limit: int) -> ReportText:
    widget = field.widget
    widget.attrs["data-counter"] = COUNTER
    return ReportText(
        label=field.label,
        required=False,
        max_length=limit,  # also renders maxlength="…" on the box
        widget=widget,
        help_text=_limit_text(limit),
    )


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
        for name, limit in rules.TEXT_LIMITS.items():
            self.fields[name] = _limited(self.fields[name], limit)
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


def _limit_text(limit: int) -> str:
    return _("At most %(limit)s characters.") % {"limit": limit}


class ReviewForm(forms.Form):
    comment = ReportText(
        label=_("comment"),
        required=False,
        max_length=rules.COMMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "data-counter": COUNTER}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set here, not above: in the language of the page being shown.
        self.fields["comment"].help_text = _limit_text(rules.COMMENT_LIMIT)
