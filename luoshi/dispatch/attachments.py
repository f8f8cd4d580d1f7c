"""Report attachments: the type is decided from the content, not the name; size-limited;
stored outside the web root; served only through a scoped view."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import puremagic
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.errors import RuleViolation

from .models import Attachment, Report

# extension -> (content types accepted, how the content is recognised)
ALLOWED = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".zip": "application/zip",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_bytes() -> int:
    return int(getattr(settings, "LUOSHI_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024))


def storage_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(name: str, data: bytes) -> str:
    """The content type, if the content is what the name says and is allowed; else raise."""
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        raise RuleViolation(
            _("Files of type %(ext)s are not accepted.") % {"ext": ext or "?"}, field="file"
        )
    head = data[:4096]
    if ext in (".docx", ".xlsx", ".pptx", ".zip"):
        ok = zipfile.is_zipfile(io.BytesIO(data))
        if ok and ext != ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                ok = "[Content_Types].xml" in zf.namelist()
    elif ext in (".doc", ".xls"):
        ok = head.startswith(OLE)
    else:
        try:
            found = {m.mime_type for m in puremagic.magic_string(head)}
        except puremagic.PureError:
            found = set()
        ok = ALLOWED[ext] in found
    if not ok:
        raise RuleViolation(
            _("The content of %(name)s is not a %(ext)s file.") % {"name": name, "ext": ext},
            field="file",
        )
    return ALLOWED[ext]


@transaction.atomic
def add_attachment(actor, report: Report, name: str, data: bytes) -> Attachment:
    from .services import _check_editable

    _check_editable(actor, report)
    if len(data) > max_bytes():
        raise RuleViolation(
            _("The file is larger than %(mb)s MB.") % {"mb": max_bytes() // 2**20}, field="file"
        )
    content_type = sniff(name, data)
    stored = f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    (storage_dir() / stored).write_bytes(data)
    att = Attachment.objects.create(
        report=report,
        name=Path(name).name[:255],
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
                "dispatch.report",
                report.pk,
                str(report),
                {"attachment": [None, att.name]},
                {"task": report.slot.task_id},
            )
        ],
    )
    return att


def path_of(att: Attachment) -> Path:
    return storage_dir() / att.stored_as
