"""The import pages' forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import ImportForm
from ..models import Plan


class ImportStartForm(ImportForm):
    """Upload a workbook into an existing plan (chosen from the plans the actor manages) or a
    new one (its name typed)."""

    plan = forms.ModelChoiceField(
        Plan.objects.none(),
        label=_("existing plan"),
        required=False,
        empty_label=_("— a new plan (type its name below) —"),
    )
    field_order = ["file", "plan", "plan_name", "year", "owner_unit"]

    def __init__(self, *args, plans=None, **kw):
        super().__init__(*args, **kw)
        if plans is not None:
            self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda p: f"{p.name}（{p.year}）"
        self.fields["plan_name"].required = False
        self.fields["plan_name"].label = _("new plan's name")
        self.fields["plan_name"].help_text = _(
            "Only for a new plan; a workbook for an existing plan updates it."
        )
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        plan = data.get("plan")
        if plan is not None:
            data["plan_name"], data["year"] = plan.name, plan.year
            data["owner_unit"] = plan.owner_unit
        elif not (data.get("plan_name") or "").strip():
            self.add_error("plan_name", _("Choose an existing plan or type a new plan's name."))
        return data
