"""How each channel delivers one message: e-mail, and each group robot's exact request format.

The payload builders take a plain `Note` so the formats can be checked without a database;
`deliver()` turns a Message into a Note and raises DeliveryError when the platform did not
accept it (an HTTP error, or a 200 reply whose errcode/code is not 0)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import time
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from . import outbound
from .models import Channel, Message, WebhookKind
from .rules import markdown_plain, truncate_utf8

logger = logging.getLogger(__name__)

# Platform limits, in UTF-8 bytes, with room for the JSON around the text.
WECOM_MARKDOWN_LIMIT = 4000
DINGTALK_TEXT_LIMIT = 18000
FEISHU_TEXT_LIMIT = 18000


class DeliveryError(Exception):
    """The message was not delivered. `permanent` ones are not retried (no address, a refused
    URL): trying again would fail the same way."""

    def __init__(self, message: str, *, status_code: int | None = None, permanent: bool = False):
        self.status_code = status_code
        self.permanent = permanent
        super().__init__(message)


@dataclass(frozen=True)
class Sent:
    status_code: int | None = None


@dataclass(frozen=True)
class Note:
    subject: str
    body: str
    link: str
    urgent: bool
    recipient_username: str
    recipient_name: str
    sent_at: str


def absolute_url(url: str) -> str:
    """Links in e-mails and group chats must be absolute; in-app ones are stored as paths."""
    base = getattr(settings, "LUOSHI_BASE_URL", "") or ""
    if url.startswith("/") and not url.startswith("//") and base:
        return base.rstrip("/") + url
    return url


def note_for(message: Message) -> Note:
    person = message.recipient
    return Note(
        subject=message.subject,
        body=message.body,
        link=absolute_url(message.url),
        urgent=message.urgent,
        recipient_username=person.username,
        recipient_name=getattr(person, "display_name", "") or person.get_username(),
        sent_at=timezone.now().isoformat(),
    )


def title(note: Note) -> str:
    return f"{_('[Urgent]')} {note.subject}" if note.urgent else note.subject


def plain_text(note: Note) -> str:
    parts = [title(note)]
    if note.body:
        parts.append(note.body)
    if note.link:
        parts.append(note.link)
    return "\n\n".join(parts)


def markdown_text(note: Note, *, heading: str = "**{}**") -> str:
    # Titles and bodies carry what people typed (task titles, comments): shown, never rendered.
    parts = [heading.format(markdown_plain(title(note), one_line=True))]
    if note.body:
        parts.append(markdown_plain(note.body))
    if note.link:
        parts.append(f"[{_('Open in Luoshi')}]({note.link})")
    return "\n\n".join(parts)


# --- request formats --------------------------------------------------------------------------


def wecom_payload(note: Note) -> dict:
    """WeCom group robot: POST …/cgi-bin/webhook/send?key=K; the key in the URL is the only
    credential."""
    return {
        "msgtype": "markdown",
        "markdown": {"content": truncate_utf8(markdown_text(note), WECOM_MARKDOWN_LIMIT)},
    }


def wecom_text_payload(note: Note) -> dict:
    """The plain-text form, for WeCom clients that do not render markdown (WeChat plug-in)."""
    return {"msgtype": "text", "text": {"content": truncate_utf8(plain_text(note), 2000)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest).decode())


def dingtalk_request(url: str, secret: str, note: Note, timestamp_ms: int) -> tuple[str, dict]:
    """DingTalk custom robot: …/robot/send?access_token=T, plus timestamp (ms) and sign when
    the robot uses signature security. The platform refuses timestamps an hour off."""
    if secret:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
    payload = {
        "msgtype": "markdown",
        "markdown": {
            "title": truncate_utf8(title(note), 200),
            "text": truncate_utf8(markdown_text(note, heading="### {}"), DINGTALK_TEXT_LIMIT),
        },
    }
    return url, payload


def feishu_sign(secret: str, timestamp: int) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")): key and message are the
    reverse of DingTalk's."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_payload(secret: str, note: Note, timestamp: int) -> dict:
    """Feishu custom bot: …/open-apis/bot/v2/hook/ID; timestamp (seconds, as a string) and sign
    go in the body."""
    payload: dict = {}
    if secret:
        payload["timestamp"] = str(timestamp)
        payload["sign"] = feishu_sign(secret, timestamp)
    payload["msg_type"] = "text"
    payload["content"] = {"text": truncate_utf8(plain_text(note), FEISHU_TEXT_LIMIT)}
    return payload


def generic_payload(note: Note) -> dict:
    return {
        "subject": note.subject,
        "body": note.body,
        "url": note.link,
        "recipient": {"username": note.recipient_username, "name": note.recipient_name},
        "urgent": note.urgent,
        "sent_at": note.sent_at,
    }


def generic_signature(secret: str, timestamp: int, body: bytes) -> str:
    """For generic receivers that want to check the sender: HMAC over "<timestamp>." + body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def build_request(kind: str, url: str, secret: str, note: Note) -> tuple[str, bytes, dict]:
    """(url, body, headers) of the POST for one endpoint."""
    now = time.time()
    headers: dict[str, str] = {}
    if kind == WebhookKind.WECOM:
        payload = wecom_payload(note)
    elif kind == WebhookKind.DINGTALK:
        url, payload = dingtalk_request(url, secret, note, int(now * 1000))
    elif kind == WebhookKind.FEISHU:
        payload = feishu_payload(secret, note, int(now))
    else:
        payload = generic_payload(note)
    body = json.dumps(payload, ensure_ascii=False).encode()
    if kind == WebhookKind.GENERIC and secret:
        headers["X-Luoshi-Timestamp"] = str(int(now))
        headers["X-Luoshi-Signature"] = generic_signature(secret, int(now), body)
    return url, body, headers


def check_reply(kind: str, status: int, body: bytes) -> None:
    """Raise DeliveryError unless the platform accepted the message. WeCom and DingTalk answer
    HTTP 200 even for refused messages and put the verdict in errcode; Feishu in code."""
    snippet = body[:300].decode(errors="replace")
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}: {snippet}", status_code=status)
    if kind == WebhookKind.GENERIC:
        return
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DeliveryError(f"unexpected reply: {snippet}", status_code=status)
    if kind == WebhookKind.FEISHU:
        # Older Feishu replies carry StatusCode instead of code.
        code = data.get("code", data.get("StatusCode"))
        text = data.get("msg") or data.get("StatusMessage") or ""
    else:
        code, text = data.get("errcode"), data.get("errmsg") or ""
    if code != 0:
        raise DeliveryError(
            f"platform refused the message: code {code}: {text}", status_code=status
        )


# --- delivery -----------------------------------------------------------------------------------


def allowed_hosts() -> list[str]:
    return list(getattr(settings, "LUOSHI_WEBHOOK_ALLOWED_HOSTS", []) or [])


def send_email(message: Message) -> Sent:
    address = (message.recipient.email or "").strip()
    if not address:
        logger.error(
            "notification %s not e-mailed: %s has no e-mail address",
            message.pk,
            message.recipient.get_username(),
        )
        raise DeliveryError("the recipient has no e-mail address", permanent=True)
    note = note_for(message)
    body = "\n\n".join(p for p in (note.body, note.link) if p)
    try:
        send_mail(title(note), body, None, [address], fail_silently=False)
    except (smtplib.SMTPException, OSError) as e:
        raise DeliveryError(f"e-mail not sent: {e}") from e
    return Sent()


def send_webhook(message: Message) -> Sent:
    endpoint = message.webhook
    if endpoint is None:
        raise DeliveryError("no group robot given", permanent=True)
    if not endpoint.is_active:
        raise DeliveryError(f"group robot {endpoint} is switched off", permanent=True)
    url, body, headers = build_request(
        endpoint.kind, endpoint.url.strip(), endpoint.secret, note_for(message)
    )
    try:
        reply = outbound.post(url, body, headers=headers, allowed=allowed_hosts())
    except outbound.Refused as e:
        raise DeliveryError(str(e), permanent=True) from e
    except outbound.OutboundError as e:
        raise DeliveryError(str(e), status_code=e.status_code) from e
    check_reply(endpoint.kind, reply.status, reply.body)
    return Sent(reply.status)


def deliver(message: Message) -> Sent:
    if message.channel == Channel.INBOX:
        return Sent()  # stored is delivered: the inbox page reads the table
    if message.channel == Channel.EMAIL:
        return send_email(message)
    if message.channel == Channel.WEBHOOK:
        return send_webhook(message)
    raise DeliveryError(f"unknown channel {message.channel!r}", permanent=True)
