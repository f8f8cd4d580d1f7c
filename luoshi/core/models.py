"""Shared records: the hash-chained audit trail and working-calendar overrides."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One change to an audited object. Append-only: rows are never updated or deleted
    (database triggers refuse it, see migration 0002), and each row's hash covers the previous
    row's hash, so any edit or removal breaks the chain that `luoshi audit_verify` checks."""

    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # The history a record belongs to, "<object type>:<id>": the object itself, or the task a
    # record of a milestone, hand-off or later stage is about. One indexed lookup reads it.
    thread = models.CharField(_("thread"), max_length=150, blank=True, default="")
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_obj_idx"),
            models.Index(fields=["thread", "id"], name="audit_thread_idx"),
        ]

    ACTION_LABELS = {
        "create": _("created"),
        "update": _("changed"),
        "delete": _("deleted"),
        "import": _("imported a workbook"),
        "import_create": _("created by import"),
        "import_update": _("changed by import"),
        "deploy": _("deployed"),
        "acknowledge": _("acknowledged"),
        "reassign_request": _("asked to reassign"),
        "grant": _("granted a role"),
        "progress": _("progress reported"),
        "submit": _("submitted"),
        "return": _("returned"),
        "accept": _("accepted"),
        "revoke": _("revoked a role"),
        "attach": _("attached a file"),
        "open": _("opened"),
        "close": _("closed"),
        "read": _("read"),
        "read_all": _("read all"),
        "upload": _("uploaded a workbook"),
        "map": _("mapped names"),
        "commit": _("committed the import"),
        "export_request": _("asked for a ledger export"),
        "export": _("wrote a ledger export"),
        "export_purge": _("removed old prepared exports"),
        # supervision
        "recompute": _("recomputed the lights"),
        "respond": _("responded"),
        "resolve": _("resolved"),
        "declare_unsolvable": _("declared unsolvable"),
        "escalate": _("escalated"),
        "issue": _("issued"),
        "approve": _("approved"),
        "reject": _("rejected"),
        "uphold": _("upheld an appeal"),
        "scan": _("scanned for signals"),
        # evaluation
        "complete": _("completed by an acceptance"),
        "record_acceptance": _("accepted by marking done"),
        "evaluate": _("evaluated the result"),
        "send": _("sent the answer"),
        "recheck": _("re-checked"),
        "post_evaluate": _("post-evaluated"),
        # desk
        "urge": _("urged to report"),
        # org: log-in paths for people an import created
        "activation_link": _("issued an activation link"),
        "activate": _("activated the account"),
        "issue_token": _("issued an API token"),
        "unlock_login": _("unlocked the log-in"),
    }

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit records are append-only")

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))

    @property
    def object_type_label(self) -> str:
        """ "ledger.task" as people say it: the model's verbose name (任务); a type that names
        no model (the lights pass) stays as recorded."""
        return object_type_label(self.object_type)


def object_type_label(object_type: str) -> str:
    from django.apps import apps

    app_label, _dot, model = object_type.partition(".")
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


class AuditHead(models.Model):
    """The chain's tip. Writers lock this single row, so on PostgreSQL two concurrent
    transactions cannot both extend the chain from the same predecessor."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, verbose_name=_("ID"))
    last_id = models.BigIntegerField(default=0, verbose_name=_("last record"))
    last_hash = models.CharField(max_length=64, default="0" * 64, verbose_name=_("last hash"))
    # Records from this id on are hashed with the audit key (HMAC); earlier ones, written before
    # the chain was keyed, with plain SHA-256. Database triggers keep it fixed (migration 0006).
    keyed_from = models.BigIntegerField(default=1, verbose_name=_("keyed from record"))

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.last_id}:{self.last_hash[:12]}"


class CalendarDay(models.Model):
    """An admin override of the working calendar: a holiday or a make-up workday (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_working_day else 'holiday'}"


class CalendarYear(models.Model):
    """A year whose official arrangement (the State Council notice) has been loaded: dates in
    other years are shown as provisional."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")

    def __str__(self) -> str:
        return str(self.year)
