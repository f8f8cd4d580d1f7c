from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.core.forms import VersionedFormMixin
from luoshi.org.models import Person, Unit

from .models import TASK_FIELDS, TASK_FORM_EXCLUDED, Category, Milestone, Plan, Task

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapMixin:
    """Give every widget Bootstrap's class, so templates render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(w, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            w.attrs["class"] = f"{w.attrs.get('class', '')} {css}".strip()


class PlanForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["name", "year", "owner_unit", "frequency", "numbering", "description"]

    def __init__(self, *args, units=None, **kw):
        super().__init__(*args, **kw)
        if units is not None:
            self.fields["owner_unit"].queryset = units


class OrderedSelectMultiple(forms.SelectMultiple):
    """A multi-select that lists the chosen options first, in the order chosen, so the order
    (the lead unit first) shows and is posted back as it was saved, with or without the
    picker script (static/ledger/unit-picker.js, Tom Select) that makes it searchable."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        order = {str(v): i for i, v in enumerate(value)}
        chosen = [g for g in groups if g[1][0]["selected"]]
        chosen.sort(key=lambda g: order.get(str(g[1][0]["value"]), len(order)))
        return chosen + [g for g in groups if not g[1][0]["selected"]]


class OrderedUnitsField(forms.ModelMultipleChoiceField):
    """Units in the order they were given (the first responsible unit leads): a list, not a
    queryset, and a change of order alone is a change."""

    widget = OrderedSelectMultiple

    def clean(self, value):
        found = super().clean(value)
        by_pk = {str(u.pk): u for u in found}
        return [by_pk[str(v)] for v in dict.fromkeys(value or ()) if str(v) in by_pk]

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        before = [str(v) for v in self.prepare_value(initial or [])]
        return before != [str(v) for v in (data or [])]


class TaskForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    responsible_units = OrderedUnitsField(
        Unit.objects.none(),
        label=_("responsible units"),
        help_text=_("The first one leads: type to search, drag or use ↑ to reorder."),
    )
    cooperating_units = OrderedUnitsField(
        Unit.objects.none(),
        label=_("cooperating units"),
        required=False,
        help_text=_("Type to search; the order is kept."),
    )
    # The units beside the lead leader, as the ledger's columns run; the other fields follow.
    field_order = [
        *TASK_FIELDS[: TASK_FIELDS.index("lead_leader") + 1],
        "responsible_units",
        "cooperating_units",
    ]

    class Meta:
        model = Task
        fields = [f for f in TASK_FIELDS if f not in TASK_FORM_EXCLUDED]
        widgets = {
            "start_date": DATE,
            "deadline": DATE,
            "completed_on": DATE,
            "source_date": DATE,
            "content": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, plan: Plan, units, people, **kw):
        super().__init__(*args, **kw)
        self.plan = plan
        self.fields["category"].queryset = Category.objects.filter(plan=plan)
        self.fields["parent"].queryset = Task.objects.filter(plan=plan).only("id", "no", "title")
        self.fields["lead_leader"].queryset = Person.objects.filter(
            unit__path__startswith=plan.owner_unit.path
        ).order_by("full_name")
        self.fields["owner"].queryset = people
        self.fields["responsible_units"].queryset = units
        self.fields["cooperating_units"].queryset = units
        for name in ("responsible_units", "cooperating_units"):
            self.fields[name].widget.attrs.update(
                {
                    "data-unit-picker": "lead" if name == "responsible_units" else "plain",
                    "data-lead-label": _("lead"),
                    "data-move-label": _("Move earlier"),
                    "data-remove-label": _("Remove"),
                    "data-no-results": _("No unit matches."),
                    "data-placeholder": _("Type a unit's name to search"),
                }
            )
        self.fields["no"].required = False
        self.fields["no"].help_text = _("Left empty, the next free No. is used.")
        if self.instance.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                pk=self.instance.pk
            )
            resp, coop = [], []
            for a in self.instance.assignments.all():
                (resp if a.role == "responsible" else coop).append(a.unit_id)
            self.initial["responsible_units"] = resp
            self.initial["cooperating_units"] = coop


class MilestoneForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["date", "name", "expected_percent", "reached_on"]
        widgets = {"date": DATE, "reached_on": DATE}


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("ledger workbook (.xlsx)"))
    plan_name = forms.CharField(
        label=_("plan"),
        max_length=200,
        help_text=_("An existing plan is updated; a new name creates one."),
    )
    year = forms.IntegerField(
        label=_("year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Needed when the title does not say it."),
    )
    owner_unit = forms.ModelChoiceField(Unit.objects.none(), label=_("owner unit"), required=False)

    def __init__(self, *args, units=None, **kw):
        super().__init__(*args, **kw)
        if units is not None:
            self.fields["owner_unit"].queryset = units
