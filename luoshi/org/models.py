"""Units (a tree), people, and roles bound to a unit subtree."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned

PATH_STEP = 5  # digits per tree level in Unit.path: 99,999 children per unit


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a unit and of every unit above it, root first."""
    step = PATH_STEP + 1
    return [path[:i] for i in range(step, len(path) + 1, step)]


class UnitKind(models.TextChoices):
    CITY = "city", _("city")
    BUREAU = "bureau", _("bureau")
    DISTRICT = "district", _("district")
    DIVISION = "division", _("division")
    TOWN = "town", _("town")
    VILLAGE = "village", _("village")
    SCHOOL = "school", _("school")
    COMPANY = "company", _("enterprise")
    OTHER = "other", _("other")


class Unit(Versioned):
    """An organisation node. `path` is a materialised path ("00001.00003.") so that a subtree
    is one indexed prefix query, portable to every database Django supports."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    short_name = models.CharField(_("short name"), max_length=100, blank=True, db_index=True)
    code = models.CharField(_("code"), max_length=64, unique=True, null=True, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.OTHER
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False, verbose_name=_("path"))
    depth = models.PositiveSmallIntegerField(default=0, editable=False, verbose_name=_("depth"))
    sort_key = models.CharField(
        _("sort key"),
        max_length=100,
        blank=True,
        help_text=_("Editable ordering key (pinyin guesses are unreliable)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(AbstractUser, Versioned):
    """A person: a log-in account, or (with an unusable password) a name a ledger mentions —
    a lead leader or an owner — who can be given a log-in later."""

    full_name = models.CharField(_("name"), max_length=100, db_index=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN = "admin", _("administrator")
    SUPERVISOR = "supervisor", _("supervisor")
    LEADER = "leader", _("leader")
    UNIT_ADMIN = "unit_admin", _("unit administrator")
    REPORTER = "reporter", _("reporter")
    PUBLIC = "public", _("public")


class RoleGrant(models.Model):
    """A role held by a person over a unit's subtree (DOMAIN.md, roles)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="grants"
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["person", "role", "unit"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"
