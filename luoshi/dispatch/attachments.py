"""Report attachments: the type is decided from the content, not the name; kept in the one
upload store (core.uploads: size-limited, outside the web root); served only through a scoped
view."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import puremagic
from django.utils.translation import gettext as _

from luoshi.core import uploads
from luoshi.core.errors import RuleViolation

from .models import Attachment

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


def path_of(att: Attachment) -> Path:
    return uploads.path_of(att.stored_as)
