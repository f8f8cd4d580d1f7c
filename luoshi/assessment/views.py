"""Assessment pages: the list with computing a month, one month's ranking with the change since
the month before, a unit's breakdown down to its tasks, bonus and penalty items, locking, and a
plan's scheme. Thin: reads through access, writes through services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.ledger import access as ledger_access
from luoshi.ledger.forms import BootstrapMixin
from luoshi.ledger.models import Plan
from luoshi.org.models import Unit

from . import access, rules, services
from .models import Adjustment, Scheme

PAGE_SIZE = 50
TASKS_SHOWN = 200


class ComputeForm(BootstrapMixin, forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label=gettext_lazy("Plan"))
    period = forms.RegexField(
        regex=r"^\d{4}-\d{2}$",
        label=gettext_lazy("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        error_messages={"invalid": gettext_lazy("A month such as 2026-06.")},
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = ledger_access.plans_for(person).select_related("owner_unit").order_by("-year")
        self.fields["plan"].queryset = Plan.objects.filter(
            pk__in=[p.pk for p in plans if services.can_assess(person, p)]
        ).order_by("-year", "name")


class AdjustmentForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("Unit"))
    points = forms.DecimalField(
        label=gettext_lazy("Points (+ bonus, − penalty)"), max_digits=6, decimal_places=2
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()


class SchemeForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Scheme
        fields = ["completion", "on_time", "reporting", "problems", "quality", "late_order_penalty"]


@login_required
@require_http_methods(["GET", "POST"])
def assessment_list(request):
    form = ComputeForm(request.POST or None, person=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.compute(
                form.cleaned_data["plan"], form.cleaned_data["period"], actor=request.user
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Assessed: %(label)s.") % {"label": assessment})
            return redirect("assessment:detail", pk=assessment.pk)
    qs = access.assessments_for(request.user).select_related("plan").order_by("-period", "plan")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_compute = form.fields["plan"].queryset.exists()
    if not form.is_bound and not form.initial:
        today = timezone.localdate()
        form.initial = {"period": f"{today.year:04d}-{today.month:02d}"}
    return render(
        request,
        "assessment/list.html",
        {"page": page, "form": form, "can_compute": can_compute},
        status=400 if form.errors else 200,
    )


def _detail_context(request, assessment) -> dict:
    scores = access.scores_for(request.user, assessment).order_by("rank", "unit__name")
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    before = access.previous_scores(assessment)
    rows = []
    for s in page:
        prev = before.get(s.unit_id)
        rows.append(
            {
                "score": s,
                "prev_score": prev[0] if prev else None,
                "delta": (s.score - prev[0]) if prev else None,
                "rank_change": (prev[1] - s.rank) if prev else None,
            }
        )
    can = services.can_assess(request.user, assessment.plan)
    units = Unit.objects.filter(
        pk__in=access.scores_for(request.user, assessment).values("unit_id")
    ).order_by("path")
    return {
        "assessment": assessment,
        "page": page,
        "rows": rows,
        "previous_period": rules.previous_period(assessment.period),
        "has_previous": bool(before),
        "can_assess": can,
        "adjustments": access.adjustments_for(request.user, assessment.plan, assessment.period),
        "adjust_form": AdjustmentForm(units=units) if can and not assessment.locked else None,
        "intact": (services.digest(assessment) == assessment.digest) if assessment.locked else None,
    }


@login_required
def assessment_detail(request, pk):
    assessment = access.get_assessment(request.user, pk)
    return render(request, "assessment/detail.html", _detail_context(request, assessment))


def _assessable(request, pk):
    assessment = access.get_assessment(request.user, pk)
    if not services.can_assess(request.user, assessment.plan):
        raise PermissionDenied(_("Only a supervisor over this plan assesses its units."))
    return assessment


@login_required
@require_POST
def assessment_recompute(request, pk):
    assessment = _assessable(request, pk)
    try:
        services.compute(assessment.plan, assessment.period, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Computed again as of today."))
    return redirect("assessment:detail", pk=pk)


@login_required
@require_POST
def assessment_lock(request, pk):
    assessment = _assessable(request, pk)
    try:
        services.lock(assessment, actor=request.user, version=int(request.POST.get("version", "")))
    except (ValueError, TypeError):
        messages.error(request, _("The page was out of date; nothing was changed. Try again."))
    except StaleVersion as exc:
        ctx = _detail_context(request, access.get_assessment(request.user, pk))
        return render(request, "assessment/detail.html", {**ctx, "error": str(exc)}, status=409)
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Locked. These scores no longer change."))
    return redirect("assessment:detail", pk=pk)


@login_required
@require_POST
def adjustment_add(request, pk):
    assessment = _assessable(request, pk)
    units = Unit.objects.filter(
        pk__in=access.scores_for(request.user, assessment).values("unit_id")
    )
    form = AdjustmentForm(request.POST, units=units)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_adjustment(
                assessment.plan,
                assessment.period,
                d["unit"],
                actor=request.user,
                points=d["points"],
                reason=d["reason"],
                rescore=True,
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Item recorded and the scores computed again."))
            return redirect("assessment:detail", pk=pk)
    ctx = _detail_context(request, assessment)
    return render(request, "assessment/detail.html", {**ctx, "adjust_form": form}, status=400)


@login_required
@require_POST
def adjustment_remove(request, pk, item):
    assessment = _assessable(request, pk)
    adjustment = get_object_or_404(
        Adjustment, pk=item, plan=assessment.plan, period=assessment.period
    )
    try:
        services.remove_adjustment(adjustment, actor=request.user, rescore=True)
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Item removed and the scores computed again."))
    return redirect("assessment:detail", pk=pk)


@login_required
def unit_breakdown(request, pk, unit):
    assessment = access.get_assessment(request.user, pk)
    score = access.scores_for(request.user, assessment).filter(unit_id=unit).first()
    if score is None:
        raise Http404
    ids = set()
    for item in score.breakdown:
        ids.update(item.get("missed", [])[:TASKS_SHOWN])
        ids.update(item.get("met", [])[:TASKS_SHOWN])
    tasks = {
        t.pk: t
        for t in ledger_access.tasks_for(request.user)
        .filter(pk__in=ids)
        .only("pk", "no", "title", "deadline", "completed_on", "status")
    }
    items = []
    for item in score.breakdown:
        missed, met = item.get("missed", []), item.get("met", [])
        items.append(
            {
                **item,
                "missed_tasks": [tasks[i] for i in missed[:TASKS_SHOWN] if i in tasks],
                "met_tasks": [tasks[i] for i in met[:TASKS_SHOWN] if i in tasks],
                "missed_more": max(0, len(missed) - TASKS_SHOWN),
                "met_more": max(0, len(met) - TASKS_SHOWN),
                "counted": len(missed) + len(met),
            }
        )
    return render(
        request,
        "assessment/unit.html",
        {"assessment": assessment, "score": score, "items": items},
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request, plan):
    plan = ledger_access.get_plan(request.user, plan)
    if not services.can_assess(request.user, plan):
        raise PermissionDenied(_("Only a supervisor over this plan sets its assessment scheme."))
    scheme = Scheme.objects.filter(plan=plan).first()
    if scheme is None:
        scheme = Scheme(plan=plan)
    form = SchemeForm(
        request.POST or None,
        instance=scheme,
        initial={"version": scheme.version if scheme.pk else None},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.save_scheme(
                    plan,
                    actor=request.user,
                    weights={c: d[c] for c in rules.INDICATORS},
                    late_order_penalty=d["late_order_penalty"],
                    version=d.get("version"),
                )
            except StaleVersion as exc:
                form.add_error(None, str(exc))
                status = 409
            except RuleViolation as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Scheme saved. It applies from the next computation."))
                return redirect("assessment:list")
        if status == 200:
            status = 400
    return render(request, "assessment/scheme.html", {"plan": plan, "form": form}, status=status)
