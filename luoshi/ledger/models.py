"""Plans, categories, tasks with subtasks, milestones, responsibility and hand-off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned
from luoshi.org.models import Unit


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("weekly")
    BIWEEKLY = "biweekly", _("every two weeks")
    SEMIMONTHLY = "semimonthly", _("twice a month")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    YEARLY = "yearly", _("yearly")


class Plan(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        DEPLOYED = "deployed", _("deployed")
        CLOSED = "closed", _("closed")

    class Numbering(models.TextChoices):
        THROUGH = "through", _("runs through the ledger")
        PER_SECTION = "per_section", _("restarts in each category")

    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="plans"
    )
    frequency = models.CharField(
        _("reporting frequency"),
        max_length=16,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    numbering = models.CharField(
        _("numbering"), max_length=16, choices=Numbering.choices, default=Numbering.THROUGH
    )
    deployed_at = models.DateTimeField(_("deployed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="plan_unique_name")]

    def __str__(self) -> str:
        return self.name


class Category(Versioned):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["plan", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("completed")
    SUSPENDED = "suspended", _("suspended")
    CANCELLED = "cancelled", _("cancelled")


class TaskLightChoice(models.TextChoices):
    """A task's light as the supervision stage last computed it (stored here, denormalised, so
    the ledger filters and exports it without importing supervision)."""

    RED = "red", _("red light")
    YELLOW = "yellow", _("yellow light")
    GREEN = "green", _("green light")
    DONE = "done", _("light: completed")
    DONE_LATE = "done_late", _("light: completed late")
    OFF = "off", _("light: paused or cancelled")


class SourceKind(models.TextChoices):
    NONE = "", _("—")
    INSTRUCTION = "instruction", _("leader's instruction (批示)")
    MEETING = "meeting", _("meeting")
    PROPOSAL = "proposal", _("proposal or motion")
    DOCUMENT = "document", _("document")
    OTHER = "other", _("other")


# A task's own fields as people and services change them (its units, milestones and hand-offs
# are related rows). Services, the API, the form, the importer and history read this one list.
TASK_FIELDS = (
    "category",
    "parent",
    "no",
    "title",
    "content",
    "lead_leader",
    "owner",
    "start_date",
    "deadline",
    "ongoing",
    "deadline_text",
    "key_task",
    "target",
    "measure",
    "actual",
    "frequency",
    "status",
    "completed_on",
    "percent",
    "progress",
    "problems",
    "next_steps",
    "notes",
    "source_kind",
    "source_ref",
    "source_date",
    "extra",
)
# Kept out of the task form: the deadline's wording follows the date, progress comes from
# accepted reports, extra columns from the workbook.
TASK_FORM_EXCLUDED = ("deadline_text", "progress", "problems", "next_steps", "extra")


class Task(Versioned):
    """The unit of accountability. `key` identifies it within its plan across re-imports
    (the No., or category|No. when numbering restarts per category)."""

    # Not indexed on its own: every index below that starts with the plan serves it.
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subtasks",
    )
    no = models.CharField(_("No."), max_length=32)
    key = models.CharField(max_length=250, verbose_name=_("key"))
    sort_key = models.CharField(max_length=120, db_index=True, verbose_name=_("sort key"))
    depth = models.PositiveSmallIntegerField(default=0, verbose_name=_("depth"))
    title = models.CharField(_("task"), max_length=500)
    content = models.TextField(_("content"), blank=True)
    lead_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_tasks",
    )
    # Denormalised first responsible unit: the ledger sorts and filters on it (task_unit_idx
    # serves both, so no index of its own).
    primary_unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tasks",
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    ongoing = models.BooleanField(
        _("ongoing"),
        default=False,
        help_text=_("No deadline: a standing task, reviewed periodically."),
    )
    deadline_text = models.CharField(_("deadline as written"), max_length=100, blank=True)
    key_task = models.BooleanField(_("key task"), default=False)
    target = models.DecimalField(
        _("target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    measure = models.CharField(_("measure"), max_length=20, blank=True)
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    frequency = models.CharField(
        _("reporting frequency"), max_length=16, blank=True, choices=Frequency.choices
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # xgettext:no-python-format
    percent = models.PositiveSmallIntegerField(_("% complete"), null=True, blank=True)
    progress = models.TextField(_("progress"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    last_update = models.DateTimeField(_("last update"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source_kind = models.CharField(
        _("source"), max_length=16, choices=SourceKind.choices, blank=True
    )
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    source_date = models.DateField(_("hand-off date"), null=True, blank=True)
    extra = models.JSONField(_("extra columns"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan_id", "sort_key"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="task_unique_key")]
        indexes = [
            models.Index(fields=["plan", "sort_key"], name="task_plan_sort_idx"),
            models.Index(fields=["deadline"], name="task_deadline_idx"),
            models.Index(fields=["plan", "deadline", "sort_key"], name="task_plan_deadline_idx"),
            # A status's tasks (and the overdue ones: open statuses past the deadline) counted
            # and paged in ledger order from the index alone; ledger pages ask for a page's
            # ids first (core.pagination), so no full row is read before the sort.
            models.Index(
                fields=["status", "deadline", "plan", "sort_key"], name="task_status_list_idx"
            ),
            # One status's page walks this in order and stops after 50.
            models.Index(fields=["status", "plan", "sort_key"], name="task_status_sort_idx"),
            # Covers the cockpit's pass over a viewer's tasks (counts by plan, category, status
            # and due date) and a plan's due tasks by status, without reading the wide task
            # rows (docs/benchmarks.md, "Assessment, bulletin and cockpit").
            models.Index(
                fields=["plan", "status", "deadline", "category"], name="task_plan_status_idx"
            ),
            # Only the tasks with a target, which the roll-ups sum (a few in most ledgers): the
            # roll-up reads those instead of every row of the plan.
            models.Index(
                fields=["plan", "category"],
                condition=models.Q(target__isnull=False),
                name="task_target_idx",
            ),
            models.Index(fields=["primary_unit", "sort_key"], name="task_unit_idx"),
            models.Index(fields=["key_task", "sort_key"], name="task_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.title}"

    # The light a later stage computed (see ShownLight). Lists read it with
    # select_related("shown_light"); a task without one has no light yet.
    def _shown(self):
        try:
            return self.shown_light
        except ShownLight.DoesNotExist:
            return None

    @property
    def light(self) -> str:
        shown = self._shown()
        return shown.light if shown else ""

    @property
    def light_reasons(self) -> str:
        shown = self._shown()
        return shown.reasons if shown else ""

    def get_light_display(self) -> str:
        shown = self._shown()
        return shown.get_light_display() if shown else ""


class ShownLight(models.Model):
    """A task's light as the supervision stage last computed it, kept by the ledger so that it
    filters, shows and exports lights without importing supervision. Written only by
    services.record_lights (computed state: no version, no audit record per task; the pass
    records one for its run).

    Its own narrow table rather than two columns of the task: the daily pass rewrites the
    lights of a third of a city's tasks, and rewriting the wide task row (with its indexes) cost
    ten times the rest of the pass on PostgreSQL (docs/benchmarks.md, "Lights recomputed")."""

    task = models.OneToOneField(
        Task,
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="shown_light",
    )
    light = models.CharField(
        _("light"), max_length=12, choices=TaskLightChoice.choices, db_index=True
    )
    reasons = models.TextField(_("light reasons"), blank=True)

    class Meta:
        verbose_name = _("light shown on the ledger")
        verbose_name_plural = _("lights shown on the ledger")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.light}"


class Assignment(models.Model):
    """A unit's part in a task: responsible (does it) or cooperating (helps), and, for the
    responsible ones, the hand-off (交办) and its acknowledgement (签收)."""

    class Role(models.TextChoices):
        RESPONSIBLE = "responsible", _("responsible unit")
        COOPERATING = "cooperating", _("cooperating unit")

    class Ack(models.TextChoices):
        NOT_HANDED = "", _("not handed off")
        PENDING = "pending", _("awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        REASSIGN = "reassign", _("reassignment requested")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    ack = models.CharField(_("hand-off"), max_length=16, choices=Ack.choices, blank=True)
    handed_off_at = models.DateTimeField(_("handed off"), null=True, blank=True)
    acked_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["task_id", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit", "role"], name="assignment_unique"),
        ]
        indexes = [
            models.Index(fields=["unit", "role"], name="assignment_unit_idx"),
            models.Index(fields=["ack", "handed_off_at"], name="assignment_ack_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.unit} ({self.role})"


class Milestone(Versioned):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="milestones"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("what"), max_length=300, blank=True)
    expected_percent = models.PositiveSmallIntegerField(_("expected %"), null=True, blank=True)
    reached_on = models.DateField(_("reached on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["task_id", "date", "id"]
        indexes = [models.Index(fields=["date"], name="milestone_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ImportBatch(models.Model):
    """An uploaded workbook between preview and commit, private to the person who uploaded it.
    The file is in the one upload store (core.uploads: outside the web root); `mapping` holds the
    names mapped on the preview page, `report` the committed import's summary. Written only by
    the import's services (luoshi.ledger.importer.service), each step audited."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("previewed")
        COMMITTED = "committed", _("committed")
        DISCARDED = "discarded", _("discarded")

    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="imports",
    )
    plan_name = models.CharField(_("plan"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    owner_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner unit"),
    )
    filename = models.CharField(_("file"), max_length=255)
    stored_as = models.CharField(max_length=255, verbose_name=_("stored as"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PREVIEW, verbose_name=_("status")
    )
    mapping = models.JSONField(default=dict, blank=True, verbose_name=_("mapping"))
    report = models.JSONField(default=dict, blank=True, verbose_name=_("report"))

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.plan_name}"


class ExportJob(models.Model):
    """A ledger export too large to answer within the server's timeout, written by the worker
    (services.run_export_job) and downloaded by the person who asked for it, and only by them.
    The plans are fixed when asked (the requester's plans then); the tasks are the requester's
    scope when the job runs. Written only by the export services."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # The one plan asked for, or none for every plan in scope; plan_ids is what that meant then.
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("plan"),
    )
    plan_ids = models.JSONField(default=list, blank=True, verbose_name=_("plans"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    stored_as = models.CharField(_("stored as"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.requester_id}: {self.status} {self.rows_done}/{self.rows_total}"

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else min(100, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
