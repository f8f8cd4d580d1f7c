"""Bulletin pages: the scoped list with drafting, a bulletin as the document reads with the
buttons each role has, the edit form, the files, and the public pages (no log-in) of published
bulletins. Thin: reads through access, writes through services."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.ledger import access as ledger_access
from luoshi.ledger.forms import BootstrapMixin
from luoshi.ledger.models import Plan
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for

from . import access, documents, services
from .models import Bulletin

PAGE_SIZE = 30
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DraftForm(BootstrapMixin, forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(), label=gettext_lazy("Plan"), required=False
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        label=gettext_lazy("or all plans of a unit"),
        required=False,
    )
    period = forms.RegexField(
        regex=r"^\d{4}-\d{2}$",
        label=gettext_lazy("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        error_messages={"invalid": gettext_lazy("A month such as 2026-06.")},
    )
    today = forms.DateField(
        label=gettext_lazy("Data as of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Default today; never later than the month's end."),
    )

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = ledger_access.plans_for(person).select_related("owner_unit")
        self.fields["plan"].queryset = Plan.objects.filter(
            pk__in=[p.pk for p in plans if services.can_draft(person, plan=p)]
        ).order_by("-year", "name")
        scope = scope_for(person)
        units = Unit.objects.all() if scope.is_admin else Unit.objects.none()
        if not scope.is_admin:
            for path in scope.supervise:
                units = units | Unit.objects.filter(path__startswith=path)
        self.fields["unit"].queryset = units.order_by("path")

    def clean(self):
        data = super().clean()
        if bool(data.get("plan")) == bool(data.get("unit")):
            raise forms.ValidationError(_("Choose a plan, or a unit for all of its plans."))
        return data


class EditForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Bulletin
        fields = list(services.EDITABLE)
        widgets = {
            f: forms.Textarea(attrs={"rows": 4})
            for f in ("opening", "praise_text", "next_steps", "closing")
        }


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_list(request):
    form = DraftForm(request.POST or None, person=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            bulletin = services.draft(
                actor=request.user,
                plan=d["plan"],
                unit=None if d["plan"] else d["unit"],
                period=d["period"],
                today=d["today"] or timezone.localdate(),
            )
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Drafted from the data: %(title)s.") % {"title": bulletin})
            return redirect("bulletins:detail", pk=bulletin.pk)
    qs = (
        access.bulletins_for(request.user)
        .select_related("plan", "unit")
        .order_by("-period_end", "-pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_draft = form.fields["plan"].queryset.exists() or form.fields["unit"].queryset.exists()
    if not form.is_bound:
        today = timezone.localdate()
        form.initial = {"period": f"{today.year:04d}-{today.month:02d}"}
    return render(
        request,
        "bulletins/list.html",
        {"page": page, "form": form, "can_draft": can_draft},
        status=400 if form.errors else 200,
    )


def _detail_context(request, bulletin: Bulletin) -> dict:
    user = request.user
    status = bulletin.status
    manage = services.can_manage(user, bulletin)
    return {
        "bulletin": bulletin,
        "c": bulletin.content,
        "can_edit": manage and status == Bulletin.Status.DRAFT,
        "can_approve": status == Bulletin.Status.DRAFT and services.can_approve(user, bulletin),
        "can_publish": manage and status == Bulletin.Status.APPROVED,
        "can_correct": manage and status == Bulletin.Status.PUBLISHED,
        "intact": services.verify(bulletin) if bulletin.published else None,
        "corrections": access.bulletins_for(user).filter(corrects=bulletin).order_by("pk"),
        "public": False,
    }


@login_required
@require_GET
def bulletin_detail(request, pk):
    bulletin = access.get_bulletin(request.user, pk)
    return render(request, "bulletins/detail.html", _detail_context(request, bulletin))


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_edit(request, pk):
    bulletin = access.get_bulletin(request.user, pk)
    if not services.can_manage(request.user, bulletin):
        raise OutOfScope(_("Only a supervisor over this plan or unit edits its bulletins."))
    form = EditForm(request.POST or None, instance=bulletin, initial={"version": bulletin.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.edit(
                bulletin,
                actor=request.user,
                version=d["version"],
                **{k: d[k] for k in services.EDITABLE},
            )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("bulletins:detail", pk=bulletin.pk)
    return render(
        request,
        "bulletins/edit.html",
        {"bulletin": bulletin, "form": form},
        status=400 if form.errors else 200,
    )


def _act(request, pk, action, done_message):
    bulletin = access.get_bulletin(request.user, pk)
    try:
        result = action(bulletin, request.POST.get("version"))
    except (StaleVersion, RuleViolation, documents.DocumentError) as exc:
        messages.error(request, str(exc))
        return redirect("bulletins:detail", pk=bulletin.pk)
    messages.success(request, done_message % {"bulletin": result})
    return redirect("bulletins:detail", pk=result.pk)


@login_required
@require_POST
def bulletin_approve(request, pk):
    return _act(
        request,
        pk,
        lambda b, v: services.approve(b, actor=request.user, version=v),
        _("Approved: %(bulletin)s."),
    )


@login_required
@require_POST
def bulletin_publish(request, pk):
    return _act(
        request,
        pk,
        lambda b, v: services.publish(b, actor=request.user, version=v),
        _("Published as %(bulletin)s."),
    )


@login_required
@require_POST
def bulletin_correct(request, pk):
    return _act(
        request,
        pk,
        lambda b, v: services.correct(b, actor=request.user),
        _("A correction is drafted: %(bulletin)s."),
    )


def _file(bulletin: Bulletin, kind: str) -> HttpResponse:
    """The stored file of a published bulletin; a draft's .docx is rendered for reading (no
    write), a draft has no PDF."""
    if kind == "docx":
        data = bulletin.docx if bulletin.published else documents.write_docx(bulletin)
        ctype = DOCX
    else:
        data = bulletin.pdf if bulletin.published else None
        ctype = "application/pdf"
    if not data:
        raise Http404(_("This bulletin has no such file."))
    name = (bulletin.number or f"bulletin-{bulletin.pk}") + f".{kind}"
    resp = HttpResponse(bytes(data), content_type=ctype)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(name)
    return resp


@login_required
@require_GET
def bulletin_docx(request, pk):
    return _file(access.get_bulletin(request.user, pk, files=True), "docx")


@login_required
@require_GET
def bulletin_pdf(request, pk):
    return _file(access.get_bulletin(request.user, pk, files=True), "pdf")


# --- public: no log-in, published bulletins only -------------------------------------------


@require_GET
def public_list(request):
    page = Paginator(access.public_bulletins(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "bulletins/public_list.html", {"page": page})


@require_GET
def public_detail(request, pk):
    bulletin = access.get_public(pk)
    return render(
        request,
        "bulletins/detail.html",
        {
            "bulletin": bulletin,
            "c": bulletin.content,
            "intact": services.verify(bulletin),
            "public": True,
        },
    )


@require_GET
def public_docx(request, pk):
    return _file(access.get_public(pk, files=True), "docx")


@require_GET
def public_pdf(request, pk):
    return _file(access.get_public(pk, files=True), "pdf")
