"""Changes to units, people and roles: each one audited, in one transaction."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from luoshi.core import audit
from luoshi.core.actors import is_system
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned

from .models import PATH_STEP, Person, Role, RoleGrant, Unit, UnitKind
from .scope import scope_for

_BRACKETS = re.compile(r"^(?P<name>[^(（]+?)\s*[(（](?P<title>[^)）]*)[)）]\s*$")


def split_name_title(text: str) -> tuple[str, str]:
    """'张三(副局长)' -> ('张三', '副局长')."""
    text = (text or "").strip()
    m = _BRACKETS.match(text)
    if m:
        return m["name"].strip(), m["title"].strip()
    return text, ""


def _segment(n: int) -> str:
    return f"{n:0{PATH_STEP}d}."


def _next_child_numbers(parent: Unit | None, count: int) -> list[int]:
    siblings = Unit.objects.filter(parent=parent)
    last = siblings.aggregate(m=Max("path"))["m"]
    start = int(last[-(PATH_STEP + 1) : -1]) if last else 0
    return list(range(start + 1, start + 1 + count))


def unit_snapshot(u: Unit) -> dict:
    return {
        "name": u.name,
        "short_name": u.short_name,
        "code": u.code,
        "kind": u.kind,
        "parent": u.parent_id,
        "is_active": u.is_active,
    }


# A person's fields as services change them; the admin and the API read these lists.
PROFILE_FIELDS = ("username", "full_name", "title", "unit", "phone", "email")
ACCOUNT_FLAGS = ("is_staff", "is_superuser")  # set only by administrators (the admin site)
PERSON_FIELDS = (*PROFILE_FIELDS, "is_active", *ACCOUNT_FLAGS)


def person_snapshot(p: Person) -> dict:
    return {f: p.unit_id if f == "unit" else getattr(p, f) for f in PERSON_FIELDS}


def _check_manages(actor, unit: Unit | None) -> None:
    scope = scope_for(actor)
    if unit is None:
        if not scope.is_admin:
            raise OutOfScope(_("Only an administrator may create a top-level unit."))
    elif not scope.manages_unit(unit):
        raise OutOfScope(_("You may not change units or people of %(unit)s.") % {"unit": unit})


@transaction.atomic
def create_units(specs: Iterable[dict], *, actor) -> list[Unit]:
    """Create units; each spec has name, parent (Unit or None), and optional kind, short_name,
    code. Siblings created together get consecutive path numbers."""
    specs = list(specs)
    by_parent: dict[int | None, list[dict]] = {}
    for spec in specs:
        parent = spec.get("parent")
        _check_manages(actor, parent)
        if not (spec.get("name") or "").strip():
            raise RuleViolation(_("A unit needs a name."), field="name")
        by_parent.setdefault(parent.pk if parent else None, []).append(spec)
    created: list[Unit] = []
    for group in by_parent.values():
        parent = group[0].get("parent")
        numbers = _next_child_numbers(parent, len(group))
        for spec, n in zip(group, numbers, strict=True):
            prefix = parent.path if parent else ""
            created.append(
                Unit(
                    name=spec["name"].strip(),
                    short_name=spec.get("short_name", ""),
                    code=spec.get("code") or None,
                    kind=spec.get("kind") or UnitKind.OTHER,
                    parent=parent,
                    path=prefix + _segment(n),
                    depth=(parent.depth + 1) if parent else 0,
                    sort_key=spec.get("sort_key", ""),
                )
            )
    Unit.objects.bulk_create(created)
    audit.record(
        actor,
        [
            audit.Entry("create", "org.unit", u.pk, u.name, audit.diff({}, unit_snapshot(u)))
            for u in created
        ],
    )
    return created


def create_unit(name: str, parent: Unit | None = None, *, actor, **fields) -> Unit:
    return create_units([{"name": name, "parent": parent, **fields}], actor=actor)[0]


@transaction.atomic
def update_unit(unit: Unit, *, actor, version: int, **fields) -> Unit:
    _check_manages(actor, unit)
    if "parent" in fields and fields["parent"] != unit.parent:
        raise RuleViolation(
            _("Moving a unit to another parent is done by an administrator in the admin site."),
            field="parent",
        )
    before = unit_snapshot(unit)
    save_versioned(unit, version, fields)
    changes = audit.diff(before, unit_snapshot(unit))
    if changes:
        audit.record(actor, [audit.Entry("update", "org.unit", unit.pk, unit.name, changes)])
    return unit


def _usernames_for(full_names: list[str]) -> list[str]:
    """Log-in names a unit admin can read out and hand on: the person's name, then 张三2, 张三3
    … when taken (one query for all). A name Django would refuse as a username falls back to a
    short random one."""
    wanted = [re.sub(r"[^\w.@+-]", "", n)[:140] for n in full_names]
    q = Q(pk__in=[])
    for base in set(wanted):
        if base:
            q |= Q(username__startswith=base)
    taken = set(Person.objects.filter(q).values_list("username", flat=True))
    out = []
    for base in wanted:
        if not base:
            base = "p-" + uuid.uuid4().hex[:8]
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        taken.add(name)
        out.append(name)
    return out


@transaction.atomic
def create_people(specs: Iterable[dict], *, actor) -> list[Person]:
    """Create people; a spec has full_name, unit, and optional username, password, title, phone,
    roles (list of role names granted over the person's unit). Without a password the person
    cannot log in until given one."""
    specs = list(specs)
    people: list[Person] = []
    logins = iter(
        _usernames_for([(s.get("full_name") or "").strip() for s in specs if not s.get("username")])
    )
    for spec in specs:
        unit = spec.get("unit")
        _check_manages(actor, unit)
        name = (spec.get("full_name") or "").strip()
        if not name:
            raise RuleViolation(_("A person needs a name."), field="full_name")
        p = Person(
            username=spec.get("username") or next(logins),
            full_name=name,
            title=spec.get("title", ""),
            unit=unit,
            phone=spec.get("phone", ""),
            email=spec.get("email", ""),
        )
        if spec.get("password"):
            p.set_password(spec["password"])
        else:
            p.set_unusable_password()
        people.append(p)
    Person.objects.bulk_create(people)
    grants = []
    for p, spec in zip(people, specs, strict=True):
        for role in spec.get("roles", ()):
            grants.append(
                RoleGrant(person=p, role=Role(role), unit=spec.get("role_unit") or p.unit)
            )
    RoleGrant.objects.bulk_create(grants)
    entries = [
        audit.Entry(
            "create", "org.person", p.pk, p.display_name, audit.diff({}, person_snapshot(p))
        )
        for p in people
    ]
    entries += [
        audit.Entry(
            "grant",
            "org.person",
            g.person_id,
            str(g.person),
            {"role": [None, g.role], "unit": [None, g.unit_id]},
        )
        for g in grants
    ]
    audit.record(actor, entries)
    return people


@transaction.atomic
def update_person(person: Person, *, actor, version: int, **fields) -> Person:
    _check_manages(actor, person.unit)
    check_account_flags(actor, person, fields)
    if "unit" in fields and fields["unit"] != person.unit:
        _check_manages(actor, fields["unit"])
    before = person_snapshot(person)
    save_versioned(person, version, fields)
    changes = audit.diff(before, person_snapshot(person))
    if changes:
        audit.record(actor, [audit.Entry("update", "org.person", person.pk, str(person), changes)])
    return person


def create_person(full_name: str, unit: Unit | None, *, actor, **fields) -> Person:
    return create_people([{"full_name": full_name, "unit": unit, **fields}], actor=actor)[0]


@transaction.atomic
def grant_role(person: Person, role: str, unit: Unit, *, actor) -> RoleGrant:
    check_may_grant(actor, role, unit)
    grant, created = RoleGrant.objects.get_or_create(person=person, role=role, unit=unit)
    if created:
        audit.record(
            actor,
            [
                audit.Entry(
                    "grant",
                    "org.person",
                    person.pk,
                    str(person),
                    {"role": [None, role], "unit": [None, unit.pk]},
                )
            ],
        )
    return grant


# --- accounts, roles and the tree as the admin site changes them ---------------------------


def _acts_as_superuser(actor) -> bool:
    return bool(getattr(actor, "is_superuser", False)) or is_system(actor)


def check_may_grant(actor, role: str, unit: Unit, *, revoke: bool = False) -> None:
    """Raise OutOfScope unless `actor` may grant (or revoke) `role` over `unit`: only over
    units it manages, and the administrator and supervisor roles only as an administrator."""
    _check_manages(actor, unit)
    if role in (Role.ADMIN, Role.SUPERVISOR) and not scope_for(actor).is_admin:
        if revoke:
            raise OutOfScope(_("Only an administrator may revoke this role."))
        raise OutOfScope(_("Only an administrator may grant this role."))


def check_account_flags(actor, person: Person, fields: dict) -> None:
    """The flags that open the admin site (is_staff) and pass every permission check
    (is_superuser) are set only by an administrator and a superuser respectively."""

    def changes(flag: str) -> bool:
        return flag in fields and bool(fields[flag]) != bool(getattr(person, flag))

    if changes("is_superuser") and not _acts_as_superuser(actor):
        raise OutOfScope(_("Only a superuser may make or unmake a superuser."))
    if changes("is_staff") and not scope_for(actor).is_admin:
        raise OutOfScope(_("Only an administrator may give or take access to the admin site."))


@transaction.atomic
def revoke_role(grant: RoleGrant, *, actor) -> None:
    """Take a role back. The audit record ("revoke", on the person) names the role and the
    unit. Revoking a grant that is already gone does nothing."""
    stored = RoleGrant.objects.select_related("person", "unit").filter(pk=grant.pk).first()
    if stored is None:
        return
    check_may_grant(actor, stored.role, stored.unit, revoke=True)
    RoleGrant.objects.filter(pk=stored.pk).delete()
    audit.record(
        actor,
        [
            audit.Entry(
                "revoke",
                "org.person",
                stored.person_id,
                str(stored.person),
                {"role": [stored.role, None], "unit": [stored.unit_id, None]},
            )
        ],
    )


@transaction.atomic
def set_password(person: Person, raw: str | None, *, actor) -> Person:
    """Give a person a new password, or (`raw` None or empty) take password log-in away. The
    audit record says that the password changed, never anything of it. Not versioned: no form
    that carries the version edits the password, so it cannot overwrite anyone's change.
    Everyone may change their own; others' only within the units the actor manages."""
    if actor.pk != person.pk:
        _check_manages(actor, person.unit)
    if person.is_superuser and not _acts_as_superuser(actor):
        raise OutOfScope(_("Only a superuser may change a superuser's password."))
    had = person.has_usable_password()
    if raw:
        person.set_password(raw)
    else:
        person.set_unusable_password()
    Person.objects.filter(pk=person.pk).update(password=person.password)
    changes = {"password": ["***" if had else None, "*** (changed)" if raw else None]}
    # A token outlives no password: whoever learned the old one loses the API too.
    if Token.objects.filter(user=person).delete()[0]:
        changes["api_token"] = ["***", None]
    audit.record(actor, [audit.Entry("update", "org.person", person.pk, str(person), changes)])
    return person


@transaction.atomic
def unlock_logins(attempts, *, actor) -> int:
    """Forget the failed log-ins of the given (account, address) pairs, so they may try again
    at once. Administrators only; one audit record per pair."""
    if not scope_for(actor).is_admin:
        raise OutOfScope(_("Only an administrator may unlock a log-in."))
    from axes.models import AccessAttempt

    attempts = list(attempts)
    AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
    people = dict(
        Person.objects.filter(username__in=[a.username for a in attempts]).values_list(
            "username", "pk"
        )
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "unlock_login",
                "org.person",
                people.get(a.username, ""),
                a.username or "",
                {"failures": [a.failures_since_start, 0]},
                {"ip_address": a.ip_address},
            )
            for a in attempts
        ],
    )
    return len(attempts)


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.LUOSHI_TOKEN_DAYS)


@transaction.atomic
def issue_api_token(person: Person, *, actor) -> Token:
    """The person's API token: the one they hold while it is younger than LUOSHI_TOKEN_DAYS,
    else a new one (audited; the key itself never is)."""
    if actor.pk != person.pk:
        _check_manages(actor, person.unit)
    token = Token.objects.select_for_update().filter(user=person).first()
    if token is not None and token.created > timezone.now() - token_lifetime():
        return token
    replaced = token is not None
    if replaced:
        token.delete()
    token = Token.objects.create(user=person)
    audit.record(
        actor,
        [
            audit.Entry(
                "issue_token",
                "org.person",
                person.pk,
                str(person),
                {"api_token": ["*** (expired)" if replaced else None, "***"]},
            )
        ],
    )
    return token


@transaction.atomic
def move_unit(unit: Unit, parent: Unit | None, *, actor, version: int) -> Unit:
    """Move a unit, with its whole subtree, under another parent (None: to the top). Only an
    administrator: it changes whose scope covers everything below. The subtree's paths are
    rewritten in one pass; the unit's audit record shows the parent before and after."""
    if not scope_for(actor).is_admin:
        raise OutOfScope(_("Only an administrator may move a unit to another parent."))
    if parent is not None and parent.path.startswith(unit.path):
        raise RuleViolation(
            _("A unit cannot move under itself or one of its subunits."), field="parent"
        )
    if Unit.objects.filter(parent=parent, name=unit.name).exclude(pk=unit.pk).exists():
        raise RuleViolation(
            _("The new parent already has a unit named “%(name)s”.") % {"name": unit.name},
            field="parent",
        )
    before = unit_snapshot(unit)
    old_path = unit.path
    new_path = (parent.path if parent else "") + _segment(_next_child_numbers(parent, 1)[0])
    shift = ((parent.depth + 1) if parent else 0) - unit.depth
    save_versioned(unit, version, {"parent": parent, "path": new_path, "depth": unit.depth + shift})
    below = list(
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).only("path", "depth")
    )
    for u in below:
        u.path = new_path + u.path[len(old_path) :]
        u.depth += shift
    Unit.objects.bulk_update(below, ["path", "depth"], batch_size=1000)
    changes = audit.diff(before, unit_snapshot(unit))
    audit.record(
        actor,
        [audit.Entry("update", "org.unit", unit.pk, unit.name, changes, {"subunits": len(below)})],
    )
    return unit


# --- a log-in path for people created without a password (an import's owners and leaders) ---


class _ActivationTokens(PasswordResetTokenGenerator):
    """One-time, expiring tokens (settings.PASSWORD_RESET_TIMEOUT): a token is made from the
    person's password hash and last log-in, so setting the password spends it."""

    key_salt = "luoshi.org.services.activation"


activation_tokens = _ActivationTokens()


def awaiting_activation(actor):
    """People in the units `actor` manages (unit admins, supervisors, administrators) who
    cannot log in yet: active, without a usable password."""
    scope = scope_for(actor)
    people = Person.objects.filter(is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX)
    if scope.is_admin:
        return people
    q = Q(pk__in=[])
    for path in scope.supervise + scope.manage:
        q |= Q(unit__path__startswith=path)
    return people.filter(q)


@transaction.atomic
def issue_activation_links(people: Iterable[Person], *, actor) -> list[tuple[Person, str, str]]:
    """An activation link for each person (uid, token): to hand out on a printed list or in a
    message. Only for people in units the actor manages who cannot log in yet; audited (the
    record says a link was issued, never the token)."""
    out = []
    entries = []
    for p in people:
        _check_manages(actor, p.unit)
        if p.has_usable_password() or not p.is_active:
            raise RuleViolation(
                _("%(name)s can already log in: no activation link is needed.")
                % {"name": p.display_name}
            )
        out.append((p, urlsafe_base64_encode(force_bytes(p.pk)), activation_tokens.make_token(p)))
        entries.append(audit.Entry("activation_link", "org.person", p.pk, p.display_name, {}, {}))
    audit.record(actor, entries)
    return out


def person_for_activation(uidb64: str, token: str) -> Person | None:
    """The person an activation link is for, while its token is good (unused, not expired)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    person = Person.objects.filter(pk=pk, is_active=True).select_related("unit").first()
    if person is None or not activation_tokens.check_token(person, token):
        return None
    return person


@transaction.atomic
def activate_account(uidb64: str, token: str, raw_password: str) -> Person:
    """Set a password through an activation link: the link works once (the new password spends
    its token) and until it expires. The person is the actor of its own audit record."""
    person = person_for_activation(uidb64, token)
    if person is None:
        raise RuleViolation(_("This activation link has been used or has expired."))
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not activation_tokens.check_token(locked, token):
        raise RuleViolation(_("This activation link has been used or has expired."))
    try:
        validate_password(raw_password, locked)
    except ValidationError as exc:
        raise RuleViolation(" ".join(exc.messages), field="password") from exc
    locked.set_password(raw_password)
    Person.objects.filter(pk=locked.pk).update(password=locked.password)
    audit.record(
        locked,
        [
            audit.Entry(
                "activate",
                "org.person",
                locked.pk,
                str(locked),
                {"password": [None, "*** (set)"]},
            )
        ],
    )
    return locked
