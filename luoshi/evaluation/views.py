"""Evaluation's pages: the worklist (completions to accept, tasks to evaluate, answers to send
and acknowledge, post-evaluations due), the completion form with its evidence, the acceptance,
the evaluation form, the answer to the source, and the task page's panel. Thin: the services
decide and write, access.py reads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.core import uploads
from luoshi.core.errors import RuleViolation, StaleVersion
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan, Task, TaskStatus
from luoshi.org.models import Person
from luoshi.supervision.closed_loop import sources as closed_loop_sources

from . import access, closeout, rules, services
from .forms import (
    AcknowledgeForm,
    AnswerForm,
    DecideForm,
    EvaluateForm,
    PostEvaluationForm,
    RecheckForm,
    SubmitForm,
)
from .models import Answer, Completion, Evaluation, PostEvaluation, Recheck

app_name = "evaluation"
PAGE_SIZE = 50


def _task(request, pk) -> Task:
    return access.get_task(request.user, pk)


def _error(form, exc: RuleViolation) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


# --- the worklist --------------------------------------------------------------------------

TABS = ("accept", "evaluate", "answer", "answers", "post", "recheck")


def _worklist(person, tab: str):
    today = timezone.localdate()
    if tab == "accept":
        return (
            access.completions_for(person)
            .filter(status=Completion.Status.SUBMITTED)
            .select_related("task", "task__primary_unit", "submitted_by")
            .order_by("submitted_at", "pk")
        )
    done = access.tasks_for(person).filter(
        status=TaskStatus.DONE, plan__status=Plan.Status.DEPLOYED
    )
    if tab == "evaluate":
        return (
            done.filter(Q(key_task=True) | Q(plan__evaluation_rules__evaluate_all=True))
            .filter(~Exists(Evaluation.objects.filter(task=OuterRef("pk"))))
            .select_related("plan", "primary_unit")
            .order_by("completed_on", "pk")
        )
    if tab == "answer":
        return (
            done.filter(source_kind__in=rules.ANSWERED_SOURCES)
            .filter(~Exists(Answer.objects.filter(task=OuterRef("pk"))))
            .select_related("plan", "primary_unit")
            .order_by("completed_on", "pk")
        )
    if tab == "answers":
        return (
            access.answers_for(person)
            .filter(issuer=person, status=Answer.Status.SENT)
            .select_related("task", "sent_by")
            .order_by("sent_at", "pk")
        )
    if tab == "recheck":
        return (
            access.rechecks_for(person)
            .filter(status=Recheck.Status.DUE, due_on__lte=today)
            .select_related("task", "unit")
            .order_by("due_on", "pk")
        )
    return (
        access.post_evaluations_for(person)
        .filter(status=PostEvaluation.Status.DUE, due_on__lte=today)
        .select_related("task", "task__primary_unit")
        .order_by("due_on", "pk")
    )


@login_required
def home(request):
    tab = request.GET.get("tab", "accept")
    if tab not in TABS:
        tab = "accept"
    counts = {t: _worklist(request.user, t).count() for t in TABS}
    page = Paginator(_worklist(request.user, tab), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/home.html",
        {"tab": tab, "counts": counts, "page": page, "today": timezone.localdate()},
    )


# --- completion and acceptance -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def complete(request, pk):
    task = _task(request, pk)
    if not access.can_submit(request.user, task):
        raise PermissionDenied(_("You may not submit the completion of this task."))
    form = SubmitForm(request.POST or None, request.FILES or None, task=task)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            completion = services.submit_completion(
                task,
                actor=request.user,
                completed_on=d["completed_on"],
                summary=d["summary"],
                actual=d.get("actual"),
                documents=[(f.name, f.read()) for f in d["documents"]],
            )
        except RuleViolation as exc:
            _error(form, exc)
        else:
            messages.success(request, _("Completion submitted: it now awaits acceptance."))
            return redirect("evaluation:completion", pk=completion.pk)
    return render(
        request,
        "evaluation/complete.html",
        {"task": task, "form": form, "open": services.open_completion(task)},
        status=400 if form.errors else 200,
    )


def _completion(request, pk) -> Completion:
    c = access.completions_for(request.user).select_related("task", "task__plan").filter(pk=pk)
    found = c.first()
    if found is None:
        raise Http404
    return found


def _render_completion(request, completion, *, form=None, status=200, error=""):
    may_decide = completion.status == Completion.Status.SUBMITTED and access.can_accept(
        request.user, completion.task
    )
    if may_decide and form is None:
        form = DecideForm(initial={"version": completion.version})
    return render(
        request,
        "evaluation/completion.html",
        {
            "completion": completion,
            "task": completion.task,
            "documents": list(completion.documents.all()),
            "history": list(
                Completion.objects.filter(task=completion.task)
                .exclude(pk=completion.pk)
                .select_related("submitted_by", "decided_by")
                .order_by("-submitted_at")[:10]
            ),
            "form": form if may_decide else None,
            "error": error,
        },
        status=status,
    )


@login_required
def completion(request, pk):
    return _render_completion(request, _completion(request, pk))


@login_required
@require_POST
def decide(request, pk):
    c = _completion(request, pk)
    if not access.can_accept(request.user, c.task):
        raise PermissionDenied(_("Only the task's lead leader or a supervisor accepts it."))
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _render_completion(request, c, form=form, status=400)
    accept = "accept" in request.POST
    try:
        services.decide_completion(
            c,
            actor=request.user,
            version=form.cleaned_data["version"],
            accept=accept,
            comment=form.cleaned_data["comment"],
        )
    except StaleVersion as exc:
        return _render_completion(request, _completion(request, pk), status=409, error=str(exc))
    except RuleViolation as exc:
        _error(form, exc)
        return _render_completion(request, c, form=form, status=400)
    if accept:
        messages.success(request, _("Accepted: the task is done."))
        if access.can_evaluate(request.user, c.task):
            return redirect("evaluation:evaluate", pk=c.task_id)
    else:
        messages.success(request, _("Returned to the unit with your reasons."))
    return redirect("evaluation:completion", pk=pk)


@login_required
def document(request, pk):
    doc = get_object_or_404(access.documents_for(request.user), pk=pk)
    try:
        handle = uploads.path_of(doc.stored_as).open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=doc.name, content_type=doc.content_type
    )


# --- evaluation ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request, pk):
    task = _task(request, pk)
    if not access.can_evaluate(request.user, task):
        raise PermissionDenied(_("Only the task's lead leader or a supervisor evaluates it."))
    existing = Evaluation.objects.filter(task=task).first()
    accepted = services.accepted_completion(task)
    survey = services.plan_rules(task.plan).satisfaction
    initial = {}
    if existing is not None:
        initial = {
            "version": existing.version,
            "quality": existing.quality,
            "effect": existing.effect,
            "satisfaction": existing.satisfaction,
            "respondents": existing.respondents,
        }
    form = EvaluateForm(request.POST or None, initial=initial, survey=survey)
    status = 200
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.evaluate(
                task,
                actor=request.user,
                quality=d["quality"],
                effect=d["effect"],
                satisfaction=d.get("satisfaction"),
                respondents=d.get("respondents"),
                version=d.get("version"),
            )
        except StaleVersion as exc:
            messages.error(request, str(exc))
            return redirect("evaluation:evaluate", pk=pk)
        except RuleViolation as exc:
            _error(form, exc)
        else:
            messages.success(request, _("Evaluation saved."))
            return redirect("ledger:task_detail", pk=task.pk)
    if form.errors:
        status = 400
    return render(
        request,
        "evaluation/evaluate.html",
        {
            "task": task,
            "form": form,
            "existing": existing,
            "accepted": accepted,
            "attainment": rules.attainment(task.target, task.actual),
            "survey": survey,
        },
        status=status,
    )


# --- answer to the source ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def answer_new(request, pk):
    task = _task(request, pk)
    if not access.can_answer(request.user, task):
        raise PermissionDenied(_("Only the task's lead leader or a supervisor answers its source."))
    people = Person.objects.filter(is_active=True).order_by("full_name", "username")
    initial = {"issuer": task.lead_leader_id} if task.source_kind == "instruction" else {}
    form = AnswerForm(request.POST or None, initial=initial, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            a = services.send_answer(
                task,
                actor=request.user,
                issuer=form.cleaned_data["issuer"],
                outcome=form.cleaned_data["outcome"],
            )
        except RuleViolation as exc:
            _error(form, exc)
        else:
            messages.success(request, _("The answer is sent to %(person)s.") % {"person": a.issuer})
            return redirect("evaluation:answer", pk=a.pk)
    return render(
        request,
        "evaluation/answer_form.html",
        {"task": task, "form": form},
        status=400 if form.errors else 200,
    )


def _answer(request, pk) -> Answer:
    found = access.answers_for(request.user).select_related("task", "issuer").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _render_answer(request, a, *, form=None, status=200, error=""):
    may_ack = a.status == Answer.Status.SENT and access.can_acknowledge(request.user, a)
    if may_ack and form is None:
        form = AcknowledgeForm(initial={"version": a.version})
    return render(
        request,
        "evaluation/answer.html",
        {"answer": a, "task": a.task, "form": form if may_ack else None, "error": error},
        status=status,
    )


@login_required
def answer(request, pk):
    return _render_answer(request, _answer(request, pk))


@login_required
@require_POST
def acknowledge(request, pk):
    a = _answer(request, pk)
    if not access.can_acknowledge(request.user, a):
        raise PermissionDenied(_("Only the person the answer is addressed to acknowledges it."))
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _render_answer(request, a, form=form, status=400)
    try:
        services.acknowledge_answer(
            a,
            actor=request.user,
            version=form.cleaned_data["version"],
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except StaleVersion as exc:
        return _render_answer(request, _answer(request, pk), status=409, error=str(exc))
    except RuleViolation as exc:
        _error(form, exc)
        return _render_answer(request, a, form=form, status=400)
    messages.success(request, _("Acknowledged."))
    return redirect("evaluation:answer", pk=pk)


# --- post-evaluation -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def post_evaluation(request, pk):
    pe = get_object_or_404(access.post_evaluations_for(request.user).select_related("task"), pk=pk)
    may = pe.status == PostEvaluation.Status.DUE and access.can_evaluate(request.user, pe.task)
    form = None
    status = 200
    if may:
        form = PostEvaluationForm(request.POST or None, initial={"version": pe.version})
        if request.method == "POST" and form.is_valid():
            try:
                services.post_evaluate(
                    pe,
                    actor=request.user,
                    version=form.cleaned_data["version"],
                    findings=form.cleaned_data["findings"],
                    quality=form.cleaned_data["quality"],
                )
            except StaleVersion as exc:
                messages.error(request, str(exc))
                return redirect("evaluation:post_evaluation", pk=pk)
            except RuleViolation as exc:
                _error(form, exc)
            else:
                messages.success(request, _("Post-evaluation saved."))
                return redirect("evaluation:post_evaluation", pk=pk)
        status = 400 if form.errors else 200
    elif request.method == "POST":
        raise PermissionDenied(_("Only the task's lead leader or a supervisor evaluates it."))
    return render(
        request,
        "evaluation/post_evaluation.html",
        {"pe": pe, "task": pe.task, "form": form},
        status=status,
    )


# --- re-checks ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recheck(request, pk):
    r = get_object_or_404(
        access.rechecks_for(request.user).select_related("task", "unit", "rectification"), pk=pk
    )
    may = r.status == Recheck.Status.DUE and access.can_recheck(request.user, r.task)
    form = None
    status = 200
    if may:
        form = RecheckForm(request.POST or None, initial={"version": r.version})
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.record_recheck(
                    r,
                    actor=request.user,
                    version=d["version"],
                    held=d["outcome"] == "held",
                    findings=d["findings"],
                    deadline=d.get("deadline"),
                )
            except StaleVersion as exc:
                messages.error(request, str(exc))
                return redirect("evaluation:recheck", pk=pk)
            except RuleViolation as exc:
                _error(form, exc)
            else:
                messages.success(request, _("Re-check recorded."))
                return redirect("evaluation:recheck", pk=pk)
        status = 400 if form.errors else 200
    elif request.method == "POST":
        raise PermissionDenied(_("You may not record this re-check."))
    return render(
        request, "evaluation/recheck.html", {"r": r, "task": r.task, "form": form}, status=status
    )


# --- close-out -----------------------------------------------------------------------------


@login_required
def closeout_page(request, pk):
    plan = ledger_access.get_plan(request.user, pk)
    result = closeout.closeout(request.user, plan)
    labels = closeout.outcome_labels()
    wanted = request.GET.get("outcome", "")
    lines = [ln for ln in result.lines if not wanted or ln.outcome == wanted]
    kinds = {s.kind: s.label for s in closed_loop_sources()}
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    for ln in page:
        ln.label = labels[ln.outcome]
    return render(
        request,
        "evaluation/closeout.html",
        {
            "plan": plan,
            "result": result,
            "outcomes": [(k, labels[k], n) for k, n in result.outcomes.items()],
            "labels": labels,
            "wanted": wanted,
            "page": page,
            "open_kinds": [(kinds.get(k, k), n) for k, n in result.open_by_kind.items()],
        },
    )


@login_required
def closeout_export(request, pk):
    plan = ledger_access.get_plan(request.user, pk)
    result = closeout.closeout(request.user, plan)
    data = closeout.workbook(result)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{plan.name}-成果巩固.xlsx")
    return response


# --- the task page's panel -----------------------------------------------------------------


def task_panel(request, task) -> str:
    """Where the task stands in evaluation, and the next step for this person. Reads only."""
    person = request.user
    latest = (
        Completion.objects.filter(task=task)
        .select_related("submitted_by", "decided_by")
        .order_by("-submitted_at", "-pk")
        .first()
    )
    evaluation = Evaluation.objects.filter(task=task).first()
    answers = list(Answer.objects.filter(task=task).select_related("issuer")[:5])
    pe = PostEvaluation.objects.filter(task=task).first()
    rechecks = list(Recheck.objects.filter(task=task).select_related("rectification")[:6])
    done = task.status == TaskStatus.DONE
    may_submit = (
        not done
        and task.status != TaskStatus.CANCELLED
        and task.plan.status == Plan.Status.DEPLOYED
        and not (latest and latest.status == Completion.Status.SUBMITTED)
        and access.can_submit(person, task)
    )
    may_accept = bool(
        latest and latest.status == Completion.Status.SUBMITTED and access.can_accept(person, task)
    )
    may_evaluate = done and access.can_evaluate(person, task)
    may_answer = done and rules.needs_answer(task.source_kind) and access.can_answer(person, task)
    if not (latest or evaluation or answers or may_submit):
        return ""
    return render_to_string(
        "evaluation/_task_panel.html",
        {
            "task": task,
            "latest": latest,
            "evaluation": evaluation,
            "answers": answers,
            "pe": pe,
            "rechecks": rechecks,
            "may_submit": may_submit,
            "may_accept": may_accept,
            "may_evaluate": may_evaluate,
            "may_answer": may_answer,
            "awaiting_answer": done and rules.needs_answer(task.source_kind) and not answers,
            "must_evaluate": done
            and rules.must_evaluate(task.key_task, services.plan_rules(task.plan).evaluate_all),
        },
        request=request,
    )


def report_panel(request, slot) -> str:
    """On a report page: the re-checks the slot's unit owes by this cycle's due date (a due
    re-check comes up in the unit's next cycle). Reads only."""
    due = timezone.localtime(slot.due_at).date()
    rechecks = list(
        access.rechecks_for(request.user)
        .filter(unit_id=slot.unit_id, status=Recheck.Status.DUE, due_on__lte=due)
        .select_related("task")
        .order_by("due_on", "pk")[:10]
    )
    if not rechecks:
        return ""
    return render_to_string(
        "evaluation/_report_panel.html", {"rechecks": rechecks}, request=request
    )


urlpatterns = [
    path("", home, name="home"),
    path("tasks/<id:pk>/complete/", complete, name="complete"),
    path("tasks/<id:pk>/evaluate/", evaluate, name="evaluate"),
    path("tasks/<id:pk>/answer/", answer_new, name="answer_new"),
    path("completions/<id:pk>/", completion, name="completion"),
    path("completions/<id:pk>/decide/", decide, name="decide"),
    path("documents/<id:pk>/", document, name="document"),
    path("answers/<id:pk>/", answer, name="answer"),
    path("answers/<id:pk>/acknowledge/", acknowledge, name="acknowledge"),
    path("post-evaluations/<id:pk>/", post_evaluation, name="post_evaluation"),
    path("rechecks/<id:pk>/", recheck, name="recheck"),
    path("plans/<id:pk>/closeout/", closeout_page, name="closeout"),
    path("plans/<id:pk>/closeout.xlsx", closeout_export, name="closeout_export"),
]
