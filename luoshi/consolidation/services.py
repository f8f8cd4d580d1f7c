"""Every change to the experience library: recording and editing a practice, adding and removing
its documents. Each checks who may (access.py), validates with field names (RuleViolation) and
writes its audit record in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit, uploads
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned
from luoshi.dispatch import attachments
from luoshi.ledger.models import Task
from luoshi.org.models import Unit

from . import access, rules
from .models import Practice, PracticeDocument, Tag

OBJECT = "consolidation.practice"
EDITABLE = ("kind", "title", "what", "unit", "result")
MAX_DOCUMENTS = 20


def _clean(*, kind, title, what, unit, result) -> dict:
    title, what, result = (title or "").strip(), (what or "").strip(), (result or "").strip()
    if kind not in Practice.Kind.values:
        raise RuleViolation(_("Choose a good practice or a lasting mechanism."), field="kind")
    if not title:
        raise RuleViolation(_("Give the practice a title."), field="title")
    if len(title) > Practice._meta.get_field("title").max_length:
        raise RuleViolation(_("The title is too long (200 characters at most)."), field="title")
    if not what:
        raise RuleViolation(_("Say what was done."), field="what")
    if not isinstance(unit, Unit):
        raise RuleViolation(_("Say which unit did it."), field="unit")
    return {"kind": kind, "title": title, "what": what, "unit": unit, "result": result}


def _tag_names(tags) -> list[str]:
    names = rules.parse_tags(tags or ())
    problem = rules.tag_problem(names)
    if problem == "too_many":
        raise RuleViolation(
            _("At most %(n)s tags.") % {"n": rules.MAX_TAGS},
            field="tags",
        )
    if problem == "too_long":
        raise RuleViolation(
            _("A tag has at most %(n)s characters.") % {"n": rules.MAX_TAG_LENGTH},
            field="tags",
        )
    return names


def _tags(names: list[str]) -> list[Tag]:
    """The tags of these names, made where missing (two queries and one insert, whatever the
    number). Names compare case-insensitively: an existing spelling is reused."""
    if not names:
        return []
    q = Q(pk__in=[])
    for n in names:
        q |= Q(name__iexact=n)
    existing = {t.name.lower(): t for t in Tag.objects.filter(q)}
    missing = [Tag(name=n) for n in names if n.lower() not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        for t in Tag.objects.filter(name__in=[m.name for m in missing]):
            existing[t.name.lower()] = t
    return [existing[n.lower()] for n in names if n.lower() in existing]


def _check_task(actor, task: Task | None) -> None:
    if task is not None and not access.visible_task_ids(actor, [task.pk]):
        raise OutOfScope(_("This task is outside your scope."))


@transaction.atomic
def record_practice(
    *,
    actor,
    title: str,
    what: str,
    unit: Unit,
    kind: str = Practice.Kind.PRACTICE,
    result: str = "",
    task: Task | None = None,
    tags: Iterable[str] | str = (),
) -> Practice:
    """Record a good practice or lasting mechanism of `unit`, optionally learned from `task`."""
    data = _clean(kind=kind, title=title, what=what, unit=unit, result=result)
    _check_task(actor, task)
    if not access.can_record(actor, unit, task):
        raise OutOfScope(
            _(
                "Only supervisors and admins over the unit, or whoever reports on the task,"
                " record its practices."
            )
        )
    names = _tag_names(tags)
    tag_objs = _tags(names)
    now = timezone.now()
    practice = Practice.objects.create(
        **data,
        task=task,
        recorded_by=actor,
        recorded_at=now,
        updated_at=now,
        search_text=rules.search_text(data["title"], data["what"], data["result"], names),
    )
    practice.tags.set(tag_objs)
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                OBJECT,
                practice.pk,
                practice.title,
                {
                    "kind": [None, practice.kind],
                    "title": [None, practice.title],
                    "what": [None, practice.what],
                    "unit": [None, unit.pk],
                    "result": [None, practice.result],
                    "tags": [None, [t.name for t in tag_objs]],
                    "task": [None, task.pk if task else None],
                },
                {"unit": unit.pk},
            )
        ],
    )
    return practice


@transaction.atomic
def update_practice(
    practice: Practice,
    *,
    actor,
    version: int | None,
    tags: Iterable[str] | str | None = None,
    **fields,
) -> Practice:
    """Change the practice's kind, title, what, unit, result and (when given) its tags. The
    version read is required: a stale one is refused (StaleVersion)."""
    if version in (None, ""):
        raise RuleViolation(_("Say which version you are changing."), field="version")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise RuleViolation(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if not access.can_edit(actor, practice):
        raise OutOfScope(_("You may not change this practice."))
    current = {f: getattr(practice, f) for f in EDITABLE}
    data = _clean(**{**current, **fields})
    if data["unit"] != practice.unit and not access.can_record(actor, data["unit"], practice.task):
        raise RuleViolation(_("You may not record practices of that unit."), field="unit")
    old_tags = list(practice.tags.values_list("name", flat=True))
    names = old_tags if tags is None else _tag_names(tags)
    data["search_text"] = rules.search_text(data["title"], data["what"], data["result"], names)
    data["updated_at"] = timezone.now()
    save_versioned(practice, version, data)
    changes = audit.diff(
        {**current, "tags": sorted(old_tags)},
        {**{f: data[f] for f in EDITABLE}, "tags": sorted(names)},
    )
    if tags is not None and sorted(old_tags) != sorted(names):
        practice.tags.set(_tags(names))
    audit.record(
        actor,
        [
            audit.Entry(
                "update",
                OBJECT,
                practice.pk,
                practice.title,
                changes,
                {"unit": practice.unit_id, "version": practice.version},
            )
        ],
    )
    return practice


@transaction.atomic
def add_document(practice: Practice, name: str, data: bytes, *, actor) -> PracticeDocument:
    """Keep a document of the practice: type decided from the content, size-limited, stored
    outside the web root."""
    if not access.can_edit(actor, practice):
        raise OutOfScope(_("You may not change this practice."))
    if PracticeDocument.objects.filter(practice=practice).count() >= MAX_DOCUMENTS:
        raise RuleViolation(
            _("A practice keeps at most %(n)s documents.") % {"n": MAX_DOCUMENTS}, field="file"
        )
    uploads.check_size(len(data))
    content_type = attachments.sniff(name, data)
    stored = uploads.store(name, data)
    doc = PracticeDocument.objects.create(
        practice=practice,
        name=PurePath(name).name[:255],
        stored_as=stored,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "attach",
                OBJECT,
                practice.pk,
                practice.title,
                {"document": [None, doc.name]},
                {"unit": practice.unit_id, "document": doc.pk},
            )
        ],
    )
    return doc


@transaction.atomic
def remove_document(document: PracticeDocument, *, actor) -> None:
    """Remove a document from its practice (the stored file stays: the audit trail names it)."""
    practice = document.practice
    if not access.can_edit(actor, practice):
        raise OutOfScope(_("You may not change this practice."))
    audit.record(
        actor,
        [
            audit.Entry(
                "detach",
                OBJECT,
                practice.pk,
                practice.title,
                {"document": [document.name, None]},
                {"unit": practice.unit_id, "document": document.pk},
            )
        ],
    )
    document.delete()


# --- reading: search and similar practices --------------------------------------------------


def search(
    qs: QuerySet[Practice],
    *,
    q: str = "",
    tag: str = "",
    unit: Unit | None = None,
    kind: str = "",
) -> QuerySet[Practice]:
    """Filter a scoped queryset: `q` found inside title, what, result or tag names (a Chinese
    word inside the text too: substring match on the normalised search column, any length),
    `tag` by name, `unit` with its subtree, `kind`. Newest first."""
    text = rules.query_text(q)
    if text:
        for word in text.split():
            qs = qs.filter(search_text__contains=word)
    if tag:
        qs = qs.filter(
            pk__in=Practice.tags.through.objects.filter(tag__name=tag.strip()).values("practice_id")
        )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-recorded_at", "-id")


def similar(task: Task, *, reader, limit: int = rules.PANEL_SIZE) -> list[Practice]:
    """Up to `limit` practices similar to the task (rules.rank), best first: candidates are
    those sharing at least one bigram with the task's title or a tag with its category (one
    query, at most 200 rows), scored in Python; then one query for the chosen rows."""
    words = [task.category.name] if task.category_id else []
    grams = sorted(rules.bigrams(task.title))[:40]
    if not grams:
        return []
    where = Q(pk__in=[])
    for g in [*grams, *(rules.query_text(w) for w in words)]:
        where |= Q(search_text__contains=g)
    base = access.practices_for(reader)
    rows = list(
        base.filter(where)
        .order_by("-recorded_at", "-id")
        .values_list("pk", "title", "what", "unit_id")[:200]
    )
    if not rows:
        return []
    tag_rows = Practice.tags.through.objects.filter(
        practice_id__in=[r[0] for r in rows]
    ).values_list("practice_id", "tag__name")
    tags: dict[int, list[str]] = {}
    for pk, name in tag_rows:
        tags.setdefault(pk, []).append(name)
    unit_id = task.primary_unit_id
    candidates = [
        rules.Candidate(pk, title, what, tuple(tags.get(pk, ())), unit_id == u)
        for pk, title, what, u in rows
    ]
    matches = rules.rank(task.title, candidates, words, limit=limit)
    chosen = {p.pk: p for p in base.filter(pk__in=[m.pk for m in matches]).select_related("unit")}
    return [chosen[m.pk] for m in matches if m.pk in chosen]
