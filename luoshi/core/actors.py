"""The named system actor: jobs, imports from the command line and the demo loader act as it,
so every audit record names who acted and no service ever takes `actor=None`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction

SYSTEM_USERNAME = "luoshi-system"
SYSTEM_NAME = "系统"


def system_actor():
    """The system's own account: no password, cannot log in, acts with an administrator's
    reach. Looked up each call (one indexed query) because a test's flush may remove it."""
    user_model = get_user_model()
    person = user_model.objects.filter(username=SYSTEM_USERNAME).first()
    if person is not None:
        return person
    person = user_model(username=SYSTEM_USERNAME, is_active=False, first_name=SYSTEM_NAME)
    try:
        user_model._meta.get_field("full_name")
        person.full_name = SYSTEM_NAME
    except FieldDoesNotExist:
        pass
    person.set_unusable_password()
    try:
        with transaction.atomic():
            # Not audited: it is the actor audit records name, made once per installation.
            person.save()
    except IntegrityError:  # made by a concurrent job a moment ago
        person = user_model.objects.get(username=SYSTEM_USERNAME)
    return person


def is_system(person) -> bool:
    return getattr(person, "username", None) == SYSTEM_USERNAME
