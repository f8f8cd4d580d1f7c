"""The one store for uploaded files (workbooks to import, report attachments): outside the web
root, under names the server chooses, one size limit (`LUOSHI_MAX_UPLOAD_BYTES`)."""

from __future__ import annotations

import uuid
from pathlib import Path, PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import RuleViolation


def max_bytes() -> int:
    return int(settings.LUOSHI_MAX_UPLOAD_BYTES)


def check_size(size: int) -> None:
    if size > max_bytes():
        raise RuleViolation(
            _("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // 2**20}, field="file"
        )


def _root() -> Path:
    path = Path(settings.LUOSHI_UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(name: str, data: bytes) -> str:
    """Keep `data` and return the name it is stored as (random, keeping only the suffix of
    the user's file name, so no user text reaches the file system)."""
    check_size(len(data))
    stored = f"{uuid.uuid4().hex}{PurePath(name).suffix.lower()[:10]}"
    (_root() / stored).write_bytes(data)
    return stored


def path_of(stored_as: str) -> Path:
    if PurePath(stored_as).name != stored_as:  # names come from the database; be strict anyway
        raise ValueError("bad stored name")
    return _root() / stored_as


def read(stored_as: str) -> bytes:
    return path_of(stored_as).read_bytes()
