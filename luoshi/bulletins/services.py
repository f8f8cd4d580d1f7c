"""Bulletin writes: drafting from the data, editing a draft, approving, publishing under the
next number, and correcting a published bulletin with a new one. Each checks rights, runs in one
transaction with its audit record; a published bulletin refuses every change.

Drafting is set-based: a handful of aggregate queries (tasks by light, responsible units by
light, the red tasks' rows, missing report slots by unit, the assessment's ranking) whatever the
number of tasks, then the pure rules."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.assessment.models import Assessment, Score
from luoshi.core import audit
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.services import take_next_number
from luoshi.core.versioning import save_versioned
from luoshi.dispatch.models import Slot
from luoshi.ledger.access import can_manage_plan
from luoshi.ledger.models import Assignment, Plan, Task
from luoshi.org.models import Role, Unit
from luoshi.org.scope import scope_for

from . import documents, rules
from .models import Bulletin, NumberSeries

OBJECT = "bulletins.bulletin"
EDITABLE = ("masthead", "prefix", "title", "opening", "praise_text", "next_steps", "closing")


# --- who may do what -----------------------------------------------------------------------


def can_draft(person, *, plan: Plan | None = None, unit: Unit | None = None) -> bool:
    """Supervisors over the plan (or over the unit, for a unit-wide bulletin) and admins."""
    if plan is not None:
        return can_manage_plan(person, plan)
    scope = scope_for(person)
    if scope.is_admin:
        return True
    return unit is not None and any(unit.path.startswith(p) for p in scope.supervise)


def can_manage(person, bulletin: Bulletin) -> bool:
    """Edit, publish and correct: whoever may draft it."""
    if bulletin.plan_id is not None:
        return can_manage_plan(person, bulletin.plan)
    return can_draft(person, unit=bulletin.unit)


def can_approve(person, bulletin: Bulletin) -> bool:
    """Leaders over the issuing unit (their unit's subtree covers it) and admins (DOMAIN.md:
    leaders review and approve; supervisors draft and publish)."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    if Role.LEADER not in scope.roles:
        return False
    return any(bulletin.unit.path.startswith(p) for p in scope.lead)


def _refuse_published(bulletin: Bulletin) -> None:
    if bulletin.status == Bulletin.Status.PUBLISHED:
        raise RuleViolation(_("A published bulletin never changes: issue a correction instead."))


# --- drafting --------------------------------------------------------------------------------


def _period(period, today: dt.date) -> tuple[str, dt.date, dt.date]:
    period = period or rules.month_of(today)
    try:
        start, end = rules.period_bounds(period)
    except rules.BadPeriod:
        raise RuleViolation(
            _("A period is a month written YYYY-MM, such as 2026-06."), field="period"
        ) from None
    return period, start, end


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def gather(plan_ids: list[int], start: dt.date, as_of: dt.date, plan: Plan | None) -> dict:
    """The figures of the bulletin as of `as_of`: totals, red tasks by responsible unit with the
    lead leader and the reasons, units with missing reports, praised units, the ranking.

    Lights are the ones the supervision stage last computed (the ledger keeps them); report
    slots count up to the end of `as_of`, so a draft of an earlier day sees what was missing
    then."""
    tasks = Task.objects.filter(plan_id__in=plan_ids)
    by_light = dict(tasks.order_by().values_list("shown_light__light").annotate(n=Count("pk")))
    total = sum(by_light.values())

    # Units are keyed by their tree path, not their name: names repeat under different parents
    # (every district has its 党政办), and two of them must not merge into one line.
    unit_lights: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for path, name, light, n in (
        Assignment.objects.filter(task__plan_id__in=plan_ids, role=Assignment.Role.RESPONSIBLE)
        .order_by()
        .values_list("unit__path", "unit__name", "task__shown_light__light")
        .annotate(n=Count("task_id"))
    ):
        names[path] = name
        unit_lights.setdefault(path, {})[light or "none"] = n

    red_rows = [
        {
            "id": pk,
            "no": no,
            "title": title,
            "deadline": deadline.isoformat() if deadline else "",
            "leader": leader or "",
            "reasons": reasons or "",
            "unit": unit,
            "unit_key": unit_key,
        }
        for pk, no, title, deadline, leader, reasons, unit, unit_key in tasks.filter(
            shown_light__light=rules.RED
        )
        .order_by()
        .values_list(
            "pk",
            "no",
            "title",
            "deadline",
            "lead_leader__full_name",
            "shown_light__reasons",
            "primary_unit__name",
            "primary_unit__path",
        )
    ]
    red = rules.group_red(red_rows)

    hi = min(_moment(as_of + dt.timedelta(days=1)), timezone.now())
    missing_rows = (
        Slot.objects.filter(task__plan_id__in=plan_ids, due_at__gte=_moment(start), due_at__lt=hi)
        .filter(Q(submitted_at__isnull=True) | Q(submitted_at__gte=hi))
        .order_by()
        .values_list("unit__path", "unit__name")
        .annotate(n=Count("pk"))
    )
    missing_by_path = {}
    for path, name, n in sorted(missing_rows):
        names[path] = name
        missing_by_path[path] = n
    missing = [{"unit": names[path], "count": n} for path, n in missing_by_path.items()]

    ranking, ranking_source = [], "lights"
    if plan is not None:
        assessment = (
            Assessment.objects.filter(plan=plan, period=rules.month_of(start))
            .values_list("pk", "status")
            .first()
        )
        if assessment is not None:
            ranking_source = "assessment_" + assessment[1]
            ranking = [
                {"rank": rank, "unit": name, "score": str(score)}
                for rank, name, score in Score.objects.filter(assessment_id=assessment[0])
                .order_by("rank", "unit__name")
                .values_list("rank", "unit__name", "score")
            ]
    if not ranking:
        ranking = [
            {**row, "unit": names[row["unit"]]} for row in rules.fallback_ranking(unit_lights)
        ]
        ranking_source = "lights"

    done = by_light.get(rules.DONE, 0) + by_light.get(rules.DONE_LATE, 0)
    return {
        "totals": {
            "tasks": total,
            "done": done,
            "done_late": by_light.get(rules.DONE_LATE, 0),
            "red": by_light.get(rules.RED, 0),
            "yellow": by_light.get(rules.YELLOW, 0),
            "green": by_light.get(rules.GREEN, 0),
            "units": len(unit_lights),
            "red_units": len(red),
            "missing_reports": sum(m["count"] for m in missing),
        },
        "red": red,
        "missing": missing,
        "praised": [names[path] for path in rules.praised(unit_lights, missing_by_path)],
        "ranking": ranking,
        "ranking_source": ranking_source,
    }


def _root_name(unit: Unit) -> str:
    root = (
        Unit.objects.filter(parent=None, path__in=_prefixes(unit.path))
        .values_list("name", flat=True)
        .first()
    )
    return root or unit.name


def _prefixes(path: str) -> list[str]:
    return [path[:i] for i in range(1, len(path) + 1)]


def default_texts(subject: str, root: str, start: dt.date, as_of: dt.date, figures: dict) -> dict:
    """The draft's wording, from the figures (a supervisor edits it before approval). The
    document is an official Chinese one, whatever the reader's interface language."""
    t = figures["totals"]
    # "2026年交通重点工作6月", not "…2026年6月" again when the plan's name says the year.
    month = (
        f"{start.month}月"
        if subject.startswith(f"{start.year}年")
        else f"{start.year}年{start.month}月"
    )
    opening = (
        f"为推动{subject}落实落地，现将截至{as_of.year}年{as_of.month}月{as_of.day}日的"
        f"推进情况通报如下。"
    )
    praise = (
        "以上单位任务推进有力、按时报送，予以通报表扬。"
        if figures["praised"]
        else "本期无符合条件的表扬单位。"
    )
    steps = (
        "各责任单位要对照通报的红灯任务逐项分析原因，明确整改措施和完成时限，"
        "牵头领导要亲自过问、一线督导；未按时报送进展的单位要立即补报。"
        "督查室将对红灯任务持续跟踪督办，并将通报情况纳入考核。"
    )
    if not t["red"]:
        steps = "各责任单位要保持工作力度，按时报送进展，确保各项任务按期完成。"
    return {
        "masthead": f"{root}督查通报",
        "prefix": settings.LUOSHI_BULLETIN_PREFIX,
        "title": f"关于{subject}{month}推进情况的通报",
        "opening": opening,
        "praise_text": praise,
        "next_steps": steps,
        "closing": "",
    }


def draft(
    *,
    actor,
    plan: Plan | None = None,
    unit: Unit | None = None,
    today: dt.date | None = None,
    period: str | None = None,
    corrects: Bulletin | None = None,
) -> Bulletin:
    """Draft a bulletin for a plan, or for every deployed plan a unit (and its subtree) owns,
    for the month `period` (default the month of `today`) as of `today` (never later than the
    month's end)."""
    if (plan is None) == (unit is None):
        raise RuleViolation(_("Choose a plan, or a unit for all of its plans."), field="plan")
    if not can_draft(actor, plan=plan, unit=unit):
        raise OutOfScope(_("Only a supervisor over this plan or unit drafts its bulletins."))
    today = today or timezone.localdate()
    period, start, end = _period(period, today)
    as_of = min(today, end)
    if as_of < start:
        raise RuleViolation(
            _("The period %(period)s has not begun on %(today)s.")
            % {"period": period, "today": today.isoformat()},
            field="period",
        )
    if plan is not None:
        unit = plan.owner_unit
        plan_ids = [plan.pk]
        subject = plan.name
    else:
        plan_ids = list(
            Plan.objects.filter(owner_unit__path__startswith=unit.path)
            .exclude(status=Plan.Status.DRAFT)
            .values_list("pk", flat=True)
        )
        subject = f"{unit.name}重点工作"
    figures = gather(plan_ids, start, as_of, plan)
    figures["subject"] = subject
    figures["plans"] = len(plan_ids)
    texts = default_texts(subject, _root_name(unit), start, as_of, figures)
    if corrects is not None:
        texts.update({k: getattr(corrects, k) for k in EDITABLE})
        texts["title"] = f"{corrects.title}（更正）"
        texts["opening"] = f"现对{corrects.number}通报予以更正，更正后内容如下。{corrects.opening}"
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            plan=plan,
            unit=unit,
            period_start=start,
            period_end=end,
            as_of=as_of,
            content=figures,
            corrects=corrects,
            drafted_by=actor if getattr(actor, "pk", None) else None,
            **texts,
        )
        audit.record(
            actor,
            [
                audit.Entry(
                    "create",
                    OBJECT,
                    bulletin.pk,
                    bulletin.title,
                    {"status": [None, "draft"], "as_of": [None, as_of.isoformat()]},
                    {
                        "plan": plan.pk if plan else None,
                        "unit": unit.pk,
                        "period": period,
                        "corrects": corrects.pk if corrects else None,
                        "red": figures["totals"]["red"],
                    },
                )
            ],
        )
    return bulletin


# --- editing, approving ----------------------------------------------------------------------


def _fresh(bulletin: Bulletin) -> Bulletin:
    return (
        Bulletin.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__owner_unit", "unit", "corrects")
        .get(pk=bulletin.pk)
    )


def _check_version(bulletin: Bulletin, version: int | None) -> int:
    expected = bulletin.version if version is None else int(version)
    if expected != bulletin.version:
        raise StaleVersion(str(bulletin), expected, bulletin.version)
    return expected


def edit(bulletin: Bulletin, *, actor, version: int | None, **texts) -> Bulletin:
    """Change a draft's wording (masthead, prefix, title, opening, praise, next steps,
    closing). Approved or published bulletins are not edited."""
    unknown = set(texts) - set(EDITABLE)
    if unknown:
        raise RuleViolation(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        fresh = _fresh(bulletin)
        if not can_manage(actor, fresh):
            raise OutOfScope(_("Only a supervisor over this plan or unit edits its bulletins."))
        _refuse_published(fresh)
        if fresh.status != Bulletin.Status.DRAFT:
            raise RuleViolation(_("Only a draft is edited; this bulletin is already approved."))
        fields = {k: (v or "").strip() for k, v in texts.items()}
        for required in ("masthead", "prefix", "title"):
            if required in fields and not fields[required]:
                raise RuleViolation(_("This field is required."), field=required)
        before = {k: getattr(fresh, k) for k in fields}
        save_versioned(fresh, version, fields)
        changes = audit.diff(before, fields)
        audit.record(actor, [audit.Entry("update", OBJECT, fresh.pk, fresh.title, changes)])
    return fresh


def approve(bulletin: Bulletin, *, actor, version: int | None) -> Bulletin:
    with transaction.atomic():
        fresh = _fresh(bulletin)
        if not can_approve(actor, fresh):
            raise OutOfScope(_("Only a leader over the issuing unit approves its bulletins."))
        _refuse_published(fresh)
        if fresh.status != Bulletin.Status.DRAFT:
            raise RuleViolation(_("This bulletin is already approved."))
        save_versioned(
            fresh,
            version,
            {
                "status": Bulletin.Status.APPROVED,
                "approved_at": timezone.now(),
                "approved_by": actor,
            },
        )
        audit.record(
            actor,
            [
                audit.Entry(
                    "approve", OBJECT, fresh.pk, fresh.title, {"status": ["draft", "approved"]}
                )
            ],
        )
    return fresh


# --- publishing ------------------------------------------------------------------------------


def published_document(bulletin: Bulletin) -> dict:
    """What the SHA-256 of a published bulletin covers: every word and figure it shows."""
    return {
        "number": bulletin.number,
        "masthead": bulletin.masthead,
        "title": bulletin.title,
        "plan": bulletin.plan.name if bulletin.plan_id else None,
        "unit": bulletin.unit.name,
        "period": [bulletin.period_start.isoformat(), bulletin.period_end.isoformat()],
        "as_of": bulletin.as_of.isoformat(),
        "published_on": timezone.localdate(bulletin.published_at).isoformat(),
        "corrects": bulletin.corrects.number if bulletin.corrects_id else None,
        "texts": {k: getattr(bulletin, k) for k in EDITABLE if k not in ("masthead", "title")},
        "content": bulletin.content,
    }


def publish(bulletin: Bulletin, *, actor, version: int | None, pdf: bool = True) -> Bulletin:
    """Number, render and publish an approved bulletin, all in one transaction: if rendering
    fails nothing is published and the number is not used (no gaps). The series row stays
    locked while the files render, which serialises publishing under one prefix: rare, and
    the price of numbers without gaps."""
    with transaction.atomic():
        fresh = _fresh(bulletin)
        if not can_manage(actor, fresh):
            raise OutOfScope(_("Only a supervisor over this plan or unit publishes its bulletins."))
        _refuse_published(fresh)
        if fresh.status != Bulletin.Status.APPROVED:
            raise RuleViolation(_("A bulletin is approved by a leader before it is published."))
        expected = _check_version(fresh, version)
        now = timezone.now()
        year = timezone.localdate(now).year
        seq = take_next_number(NumberSeries, prefix=fresh.prefix, year=year)
        fresh.year, fresh.seq, fresh.published_at = year, seq, now
        fresh.number = rules.format_number(fresh.prefix, year, seq)
        fresh.status = Bulletin.Status.PUBLISHED
        digest = rules.sha256(published_document(fresh))
        fresh.sha256 = digest
        docx = documents.write_docx(fresh)
        pdf_bytes = documents.write_pdf(docx) if pdf else None
        save_versioned(
            fresh,
            expected,
            {
                "status": Bulletin.Status.PUBLISHED,
                "year": year,
                "seq": seq,
                "number": fresh.number,
                "published_at": now,
                "published_by": actor if getattr(actor, "pk", None) else None,
                "sha256": digest,
                "docx": docx,
                "pdf": pdf_bytes,
            },
        )
        audit.record(
            actor,
            [
                audit.Entry(
                    "publish",
                    OBJECT,
                    fresh.pk,
                    fresh.number,
                    {
                        "status": ["approved", "published"],
                        "number": [None, fresh.number],
                        "sha256": [None, digest],
                    },
                    {"corrects": fresh.corrects_id},
                )
            ],
        )
    return fresh


def verify(bulletin: Bulletin) -> bool:
    """Whether a published bulletin still hashes to the SHA-256 it was published with."""
    return bool(bulletin.sha256) and rules.sha256(published_document(bulletin)) == bulletin.sha256


def correct(bulletin: Bulletin, *, actor, today: dt.date | None = None) -> Bulletin:
    """A correction: a new draft for the same plan (or unit), period and day, drafted again
    from the data, carrying the wording over and referring to the published bulletin."""
    if bulletin.status != Bulletin.Status.PUBLISHED:
        raise RuleViolation(_("Only a published bulletin is corrected; edit the draft instead."))
    if not can_manage(actor, bulletin):
        raise OutOfScope(_("Only a supervisor over this plan or unit corrects its bulletins."))
    return draft(
        actor=actor,
        plan=bulletin.plan,
        unit=None if bulletin.plan_id else bulletin.unit,
        today=bulletin.as_of,
        period=rules.month_of(bulletin.period_start),
        corrects=bulletin,
    )
