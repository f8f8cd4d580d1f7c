"""`luoshi check --deploy` refuses the built-in development SECRET_KEY (issue #12)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from luoshi.core.checks import development_secret_key


def test_the_development_key_fails_the_deployment_check(settings):
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    [error] = development_secret_key(None)
    assert error.id == "luoshi.E001" and "SECRET_KEY" in error.msg
    with pytest.raises(SystemCheckError, match="luoshi.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_a_key_of_its_own_passes(settings):
    settings.SECRET_KEY = "a-deployment's-own-key-" + "x" * 40
    assert development_secret_key(None) == []
