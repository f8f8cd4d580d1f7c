"""The evaluation forms: plain fields; the services validate again and name the field."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Answer, Quality

TEXTAREA = {"class": "form-control", "rows": 4}
DATE = {"class": "form-control", "type": "date"}
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data]
        return [one(data, initial)] if data else []


class SubmitForm(forms.Form):
    completed_on = forms.DateField(
        label=_("Completed on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    summary = forms.CharField(
        label=_("What was done (the evidence)"),
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("What was delivered, where, and how it can be checked."),
    )
    actual = forms.DecimalField(
        label=_("Actual value reached"),
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(attrs={**TEXT, "step": "any"}),
    )
    documents = MultipleFileField(
        label=_("Evidence documents"),
        required=False,
        help_text=_("PDF, images, Word, Excel or a zip; several at once."),
    )

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("completed_on", timezone.localdate())
        if task is not None:
            if task.target is None:
                del self.fields["actual"]
            else:
                self.fields["actual"].help_text = _("Target: %(target)s %(measure)s") % {
                    "target": f"{task.target.normalize():f}",
                    "measure": task.measure,
                }
                self.initial.setdefault("actual", task.actual)


class DecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment (the reasons, when returned)"),
        required=False,
        widget=forms.Textarea(attrs={**TEXTAREA, "rows": 3}),
    )


class EvaluateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    quality = forms.ChoiceField(
        label=_("Quality"), choices=Quality.choices, widget=forms.RadioSelect
    )
    effect = forms.CharField(
        label=_("Effect"),
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("What the work achieved for the people it serves."),
    )
    satisfaction = forms.DecimalField(
        label=_("Satisfaction (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
        widget=forms.NumberInput(attrs={**TEXT, "step": "0.1"}),
    )
    respondents = forms.IntegerField(
        label=_("Respondents"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs=TEXT),
    )

    def __init__(self, *args, survey: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].required = survey


class AnswerForm(forms.Form):
    issuer = forms.ModelChoiceField(
        label=_("To (who issued the source)"), queryset=None, widget=forms.Select(attrs=SELECT)
    )
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = people


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    rating = forms.ChoiceField(
        label=_("Rating"),
        required=False,
        choices=[("", "—"), *Answer.Rating.choices],
        widget=forms.Select(attrs=SELECT),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={**TEXTAREA, "rows": 3})
    )


class PostEvaluationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    quality = forms.ChoiceField(
        label=_("Rating"), choices=Quality.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs=TEXTAREA))


class RecheckForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("held", _("The result holds")), ("regressed", _("Regressed: rectify"))],
        widget=forms.RadioSelect,
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs=TEXTAREA))
    deadline = forms.DateField(
        label=_("Rectification deadline"),
        required=False,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        help_text=_("Required when the result has regressed."),
    )
