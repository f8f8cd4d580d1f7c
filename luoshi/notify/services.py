"""The notification mechanism every stage of the loop calls. It knows people and units, never
tasks: callers say whom to tell, what, and under which idempotency key.

    notify(person, subject=…, body=…, dedupe_key="reminder:slot:123:before")   # any time
    deliver_due()                                                              # the worker

notify() only writes rows, inside the caller's transaction, so a change that rolls back
notifies nobody. deliver_due() sends what is due, one message at a time: claim it with a
conditional UPDATE, send it outside any transaction, record the attempt."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.org.models import ancestor_paths
from luoshi.org.scope import scope_for

from . import channels as channel_impl
from . import outbound, rules
from .models import Channel, Delivery, Message, Preference, Status, WebhookEndpoint

logger = logging.getLogger(__name__)

LOST = "the worker stopped before recording the outcome (lease expired); it may have been sent"
OUTCOMES = ("digests", "digested", "sent", "retrying", "failed", "deferred", "skipped")


def _digest_enabled() -> bool:
    return bool(getattr(settings, "LUOSHI_NOTIFY_DIGEST", True))


def _one_line(text: str, limit: int = 200) -> str:
    # Subjects become e-mail headers and robot titles: one line, bounded.
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- creating notifications -------------------------------------------------------------------


def preference_for(person) -> Preference:
    """The person's preference, or an unsaved one carrying the defaults."""
    return Preference.objects.filter(person=person).first() or Preference(person=person)


def robot_for(person) -> WebhookEndpoint | None:
    """The active group robot of the person's unit, or of the nearest ancestor unit that has
    one: a division without its own group is reached through its bureau's."""
    unit = getattr(person, "unit", None)
    if unit is None:
        return None
    return (
        WebhookEndpoint.objects.filter(is_active=True, unit__path__in=ancestor_paths(unit.path))
        .order_by("-unit__depth", "id")
        .first()
    )


def notify(
    person,
    *,
    subject: str,
    body: str,
    url: str = "",
    channels: Iterable[str] = (Channel.INBOX,),
    urgent: bool = False,
    dedupe_key: str,
    webhook: WebhookEndpoint | None = None,
) -> list[Message]:
    """Queue a notification for `person` on each channel; one Message per channel.

    dedupe_key is the caller's idempotency key ("reminder:slot:123:before"); the message is
    stored under "<dedupe_key>:<channel>", and calling again with the same key returns the
    existing messages and creates nothing. "webhook" goes to `webhook`, or to the robot of the
    person's unit (see robot_for); with neither, that channel is skipped. Deactivated people
    are not notified. Inbox messages count as delivered at once; the others wait for the
    worker, non-urgent ones until the person's daily digest."""
    if not dedupe_key:
        raise ValueError("notify() needs a dedupe_key")
    if isinstance(channels, str):  # ("email") without the comma would iterate letters
        channels = (channels,)
    wanted = list(dict.fromkeys(channels))
    unknown = [c for c in wanted if c not in Channel.values]
    if unknown:
        raise ValueError(f"unknown notification channels: {unknown}")
    if webhook is not None and Channel.WEBHOOK not in wanted:
        raise ValueError("a webhook was given but 'webhook' is not among the channels")
    keys = {c: f"{dedupe_key}:{c}" for c in wanted}
    if any(len(k) > 255 for k in keys.values()):
        raise ValueError("dedupe_key is too long: with ':<channel>' it must fit 255 characters")
    if not person.is_active:
        logger.info("not notifying %s: the account is deactivated", person.get_username())
        return []

    # Jobs call this for the same reminder every run; finding them all is one query.
    existing = {m.dedupe_key: m for m in Message.objects.filter(dedupe_key__in=keys.values())}
    if len(existing) == len(keys):
        return [existing[k] for k in keys.values()]
    now = timezone.now()
    subject = _one_line(subject)
    prefs: Preference | None = None
    slot: dt.datetime | None = None
    out: list[Message] = []
    with transaction.atomic():
        for channel, key in keys.items():
            if key in existing:
                msg = existing[key]
                if msg.recipient_id != person.pk:
                    logger.warning("dedupe key %s already used for another recipient", key)
                out.append(msg)
                continue
            target = None
            if channel == Channel.WEBHOOK:
                target = webhook if webhook is not None else robot_for(person)
                if target is None or not target.is_active:
                    logger.warning(
                        "no active group robot for %s; %s not sent there",
                        person.get_username(),
                        key,
                    )
                    continue
            digestible = False
            if not urgent and channel != Channel.INBOX and _digest_enabled():
                prefs = prefs or preference_for(person)
                digestible = prefs.digest_for(channel)
            if digestible and slot is None:
                slot = rules.digest_slot(
                    timezone.localtime(now), prefs.digest_time, current_calendar().is_working_day
                )
            fields = {
                "recipient": person,
                "channel": channel,
                "webhook": target,
                "subject": subject,
                "body": body or "",
                "url": url or "",
                "urgent": urgent,
                "digestible": digestible,
                "next_attempt_at": slot if digestible else now,
                "created_at": now,
            }
            if channel == Channel.INBOX:
                fields.update(status=Status.SENT, sent_at=now)
            # get_or_create, not create: another process may have created it since the lookup.
            msg, _created = Message.objects.get_or_create(dedupe_key=key, defaults=fields)
            out.append(msg)
    return out


# --- delivering ---------------------------------------------------------------------------------


def _clock(now: dt.datetime | None) -> Callable[[], dt.datetime]:
    """Time as the run sees it: `now` (tests pass a fixed one) advanced by real elapsed time,
    so attempts within one run still get increasing times for the rate window."""
    start = now or timezone.now()
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def _claimable(now: dt.datetime) -> Q:
    # A "sending" row whose lease ran out belongs to a worker that died mid-send.
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lt=now
    )


def deliver_due(
    now: dt.datetime | None = None, limit: int = 500, *, max_seconds: float | None = None
) -> dict[str, int]:
    """The worker job: build digests, then send up to `limit` due messages, urgent first.

    Safe to run in several processes at once: each message is claimed by a conditional UPDATE
    (pending → sending with a lease), so only one worker sends it; a message whose worker died
    is claimed again once its lease has expired. `max_seconds` ends the pass early (what is
    left stays due for the next one), so a scheduled job finishes within its time limit.
    Returns counts per outcome."""
    clock = _clock(now)
    start = clock()
    stats = dict.fromkeys(OUTCOMES, 0)
    if _digest_enabled():
        _build_digests(start, stats)
    due = list(
        Message.objects.filter(_claimable(start))
        .order_by("-urgent", "next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    # Robots that did not answer at all in this pass: their other messages wait for the next
    # pass instead of each waiting out the timeout.
    unreachable: set[int] = set()
    for pk in due:
        if max_seconds is not None and (clock() - start).total_seconds() > max_seconds:
            break
        stats[_process(pk, clock, unreachable=unreachable)] += 1
    return stats


def _build_digests(now: dt.datetime, stats: dict[str, int]) -> None:
    """Fold the due non-urgent messages of one person, channel and robot for one day into one
    digest message; the parts are marked digested and point at it."""
    rows = (
        Message.objects.filter(
            status=Status.PENDING,
            digestible=True,
            is_digest=False,
            attempts=0,
            next_attempt_at__lte=now,
        )
        .order_by("created_at", "id")
        .values_list("pk", "recipient_id", "channel", "webhook_id", "next_attempt_at")
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, recipient_id, channel, webhook_id, due_at in rows:
        groups[(recipient_id, channel, webhook_id, timezone.localdate(due_at))].append(pk)
    for (recipient_id, channel, webhook_id, _day), ids in groups.items():
        if len(ids) < 2:
            continue  # a lone message goes as itself
        parts = _make_digest(recipient_id, channel, webhook_id, ids, now)
        if parts:
            stats["digests"] += 1
            stats["digested"] += parts


def _make_digest(recipient_id, channel, webhook_id, ids: list[int], now: dt.datetime) -> int:
    try:
        with transaction.atomic():
            digest = Message.objects.create(
                recipient_id=recipient_id,
                channel=channel,
                webhook_id=webhook_id,
                subject="…",
                # Its first part can start only one digest: once digested it is not pending.
                # A second worker building the same digest fails on this key and backs off.
                dedupe_key=f"digest:{ids[0]}",
                is_digest=True,
                next_attempt_at=now,
                created_at=now,
            )
            # Only the parts still pending: another worker may have claimed some meanwhile.
            Message.objects.filter(pk__in=ids, status=Status.PENDING, attempts=0).update(
                status=Status.DIGESTED, digest=digest
            )
            parts = list(digest.parts.order_by("created_at", "id"))
            if not parts:
                raise _NothingToDigest
            digest.subject, digest.body = _compose_digest(parts)
            digest.save(update_fields=["subject", "body"])
            return len(parts)
    except (_NothingToDigest, IntegrityError):
        return 0


class _NothingToDigest(Exception):
    pass


def _compose_digest(parts: list[Message]) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Luoshi: %(count)d notification", "Luoshi: %(count)d notifications", len(parts)
        ) % {"count": len(parts)}
        blocks = []
        for i, part in enumerate(parts, 1):
            lines = [f"{i}. {part.subject}"]
            if part.body:
                lines.append(part.body)
            link = channel_impl.absolute_url(part.url)
            if link:
                lines.append(link)
            blocks.append("\n".join(lines))
    return subject, "\n\n".join(blocks)


def _log(msg: Message, attempt: int, at, *, ok: bool, code=None, error="", ms=0) -> Delivery:
    return Delivery.objects.create(
        message_id=msg.pk,
        endpoint_id=msg.webhook_id if msg.channel == Channel.WEBHOOK else None,
        attempt=attempt,
        at=at,
        outcome=Delivery.Outcome.OK if ok else Delivery.Outcome.ERROR,
        status_code=code,
        error=error[:4000],
        duration_ms=ms,
    )


def _rate_limited_until(msg: Message, now: dt.datetime) -> dt.datetime | None:
    # Locking the endpoint row serialises the count-then-claim of concurrent workers on
    # PostgreSQL; on SQLite the IMMEDIATE transaction already does.
    rate = (
        WebhookEndpoint.objects.select_for_update()
        .filter(pk=msg.webhook_id)
        .values_list("rate_per_minute", flat=True)
        .first()
    )
    if not rate:
        return None
    recent = list(
        Delivery.objects.filter(endpoint_id=msg.webhook_id, at__gt=now - rules.RATE_WINDOW)
        .order_by("at")
        .values_list("at", flat=True)
    )
    in_flight = (
        Message.objects.filter(
            webhook_id=msg.webhook_id, status=Status.SENDING, lease_until__gte=now
        )
        .exclude(pk=msg.pk)
        .count()
    )
    return rules.rate_limited_until(recent, in_flight, rate, now)


def _process(
    pk: int,
    clock: Callable[[], dt.datetime],
    *,
    retry: bool = True,
    unreachable: set[int] | None = None,
) -> str:
    """Claim, send and record one message; returns the outcome name."""
    unreachable = set() if unreachable is None else unreachable
    now = clock()
    with transaction.atomic():
        msg = (
            Message.objects.select_related("recipient", "webhook")
            .filter(_claimable(now), pk=pk)
            .first()
        )
        if msg is None:
            return "skipped"
        if msg.channel == Channel.WEBHOOK and msg.webhook_id in unreachable:
            return "deferred"
        if msg.status == Status.SENDING:
            gave_up = msg.attempts >= rules.MAX_ATTEMPTS
            recovered = Message.objects.filter(
                pk=pk, status=Status.SENDING, attempts=msg.attempts, lease_until=msg.lease_until
            ).update(
                status=Status.FAILED if gave_up else Status.PENDING,
                lease_until=None,
                last_error=LOST,
            )
            if not recovered:
                return "skipped"
            _log(msg, msg.attempts, now, ok=False, error=LOST)
            if gave_up:
                return "failed"
            msg.status = Status.PENDING
        if msg.channel == Channel.WEBHOOK and msg.webhook_id:
            until = _rate_limited_until(msg, now)
            if until is not None:
                Message.objects.filter(pk=pk, status=Status.PENDING, attempts=msg.attempts).update(
                    next_attempt_at=until
                )
                return "deferred"
        attempt = msg.attempts + 1
        claimed = Message.objects.filter(
            pk=pk, status=Status.PENDING, attempts=msg.attempts, next_attempt_at__lte=now
        ).update(status=Status.SENDING, attempts=attempt, lease_until=now + rules.LEASE)
        if not claimed:
            return "skipped"  # another worker got there first

    msg.status, msg.attempts = Status.SENDING, attempt
    started_at, started = clock(), time.monotonic()
    code, error, permanent, ok = None, "", False, False
    try:
        with translation.override(settings.LANGUAGE_CODE):
            code = channel_impl.deliver(msg).status_code
        ok = True
    except channel_impl.DeliveryError as e:
        code, error, permanent = e.status_code, str(e), e.permanent
        if code is None and not permanent and msg.channel == Channel.WEBHOOK:
            unreachable.add(msg.webhook_id)
    except Exception as e:
        # One broken message must not stop the run for everyone else.
        logger.exception("notification %s: unexpected error while sending", pk)
        error = f"{type(e).__name__}: {e}"
    ms = int((time.monotonic() - started) * 1000)
    done = clock()

    with transaction.atomic():
        _log(msg, attempt, started_at, ok=ok, code=code, error=error, ms=ms)
        mine = Message.objects.filter(pk=pk, status=Status.SENDING, attempts=attempt)
        if ok:
            outcome = "sent"
            changed = mine.update(status=Status.SENT, sent_at=done, lease_until=None, last_error="")
            if changed and msg.is_digest:
                Message.objects.filter(digest_id=pk).update(sent_at=done)
        elif not retry or rules.gives_up(attempt, permanent=permanent):
            outcome = "failed"
            changed = mine.update(status=Status.FAILED, lease_until=None, last_error=error)
            logger.warning("notification %s failed after %s attempts: %s", pk, attempt, error)
        else:
            outcome = "retrying"
            changed = mine.update(
                status=Status.PENDING,
                next_attempt_at=done + rules.backoff(attempt),
                lease_until=None,
                last_error=error,
            )
        if not changed:
            # Our lease ran out mid-send and another worker took the message over.
            logger.warning("notification %s: lease lost while sending (attempt %s)", pk, attempt)
    return outcome


def send_test(endpoint: WebhookEndpoint, *, actor) -> Delivery | None:
    """Post a test message to a robot now, through the same path as every message. Returns the
    attempt, or None when the robot's rate limit deferred it (the worker sends it later)."""
    if not endpoint.is_active:
        raise RuleViolation(_("This group robot is switched off."), field="is_active")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Test message from Luoshi")
        body = _("If you can read this, the group robot “%(name)s” is set up correctly.") % {
            "name": endpoint.name
        }
    msg = Message.objects.create(
        recipient=actor,
        channel=Channel.WEBHOOK,
        webhook=endpoint,
        subject=subject,
        body=body,
        dedupe_key=f"test:{endpoint.pk}:{uuid.uuid4().hex}",
    )
    # No retries: whoever pressed the button wants to see the platform's answer now.
    _process(msg.pk, _clock(None), retry=False)
    return msg.deliveries.order_by("-id").first()


# --- the inbox --------------------------------------------------------------------------------


@transaction.atomic
def mark_read(message_id: int, *, actor) -> Message:
    """Mark one of the actor's own inbox messages read, recorded as a read receipt (a notice
    that was seen can be proved). Message.DoesNotExist for anyone else's, so a guessed id
    reveals nothing."""
    msg = Message.objects.get(pk=message_id, recipient=actor, channel=Channel.INBOX)
    if msg.read_at is None:
        now = timezone.now()
        if Message.objects.filter(pk=msg.pk, read_at__isnull=True).update(read_at=now):
            audit.record(
                actor,
                [audit.Entry("read", "notify.message", msg.pk, msg.subject[:300], {})],
                at=now,
            )
        msg.read_at = now
    return msg


@transaction.atomic
def mark_all_read(*, actor) -> int:
    unread = Message.objects.filter(recipient=actor, channel=Channel.INBOX, read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True)[:10000])
    now = timezone.now()
    n = Message.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
    if n:
        audit.record(
            actor,
            [audit.Entry("read_all", "notify.inbox", actor.pk, str(actor), {"read": [0, n]})],
            at=now,
        )
    return n


@transaction.atomic
def set_preference(person, *, actor, **fields) -> Preference:
    """Change a person's digest preference (email_digest, webhook_digest, digest_time)."""
    allowed = {"email_digest", "webhook_digest", "digest_time"}
    if set(fields) - allowed:
        raise ValueError(f"unknown preference fields: {sorted(set(fields) - allowed)}")
    if person.pk != actor.pk:
        _check_may_manage(actor, [person.unit])
    pref, _created = Preference.objects.get_or_create(person=person)
    before = {k: getattr(pref, k) for k in allowed}
    for name, value in fields.items():
        setattr(pref, name, value)
    pref.save()
    changes = audit.diff(before, {k: getattr(pref, k) for k in allowed})
    if changes:
        audit.record(
            actor, [audit.Entry("update", "notify.preference", pref.pk, str(person), changes)]
        )
    return pref


# --- group robots (audited: they decide where messages leave the building) ------------------

ENDPOINT_FIELDS = ("name", "kind", "url", "secret", "unit", "is_active", "rate_per_minute")


def endpoint_snapshot(e: WebhookEndpoint) -> dict:
    # The URL carries the robot's key and the secret signs for it: neither goes into the
    # audit trail in clear.
    return {
        "name": e.name,
        "kind": e.kind,
        "url": rules.redact_url(e.url),
        "unit": e.unit_id,
        "is_active": e.is_active,
        "rate_per_minute": e.rate_per_minute,
    }


def _check_may_manage(actor, units) -> None:
    scope = scope_for(actor)
    if scope.is_admin:
        return
    for unit in units:
        if unit is None or not scope.manages_unit(unit):
            raise OutOfScope(_("Only an administrator or the unit's administrator may do this."))


def _credential_changes(before: WebhookEndpoint | None, after: WebhookEndpoint) -> dict:
    changes = {}
    old_secret = before.secret if before else ""
    if after.secret != old_secret:
        changes["secret"] = ["***" if old_secret else None, "***" if after.secret else None]
    if (
        before
        and after.url != before.url
        and rules.redact_url(after.url) == rules.redact_url(before.url)
    ):
        changes["url_credential"] = ["***", "*** (changed)"]
    return changes


def _check_reachable(endpoint: WebhookEndpoint) -> None:
    """A URL leading inside the network is refused when it is saved, with the address it leads
    to, not first at the send. A name this server cannot resolve yet is saved: the send says so
    when it fails (the robot's host may only resolve where the server is deployed)."""
    _scheme, host, port = outbound.check_url_shape(endpoint.url)
    try:
        outbound.resolve(host, port, channel_impl.allowed_hosts())
    except outbound.Refused as e:
        raise RuleViolation(
            _(
                "%(host)s leads to %(ip)s, an address inside the network: group robots may only "
                "reach public addresses. If this gateway is meant to be reached, the server's "
                "administrator adds it to LUOSHI_WEBHOOK_ALLOWED_HOSTS."
            )
            % {"host": e.host, "ip": e.ip},
            field="url",
        ) from e
    except outbound.OutboundError:
        pass


@transaction.atomic
def create_endpoint(*, actor, **fields) -> WebhookEndpoint:
    unknown = set(fields) - set(ENDPOINT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    endpoint = WebhookEndpoint(**fields)
    _check_may_manage(actor, [endpoint.unit])
    endpoint.full_clean()
    _check_reachable(endpoint)
    endpoint.save()
    changes = audit.diff({}, endpoint_snapshot(endpoint)) | _credential_changes(None, endpoint)
    audit.record(
        actor,
        [audit.Entry("create", "notify.webhookendpoint", endpoint.pk, endpoint.name, changes)],
    )
    return endpoint


@transaction.atomic
def update_endpoint(endpoint: WebhookEndpoint, *, actor, **fields) -> WebhookEndpoint:
    unknown = set(fields) - set(ENDPOINT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    before = WebhookEndpoint.objects.get(pk=endpoint.pk)
    # Both the unit it belongs to now and the one it would move to.
    _check_may_manage(actor, [before.unit, fields.get("unit", before.unit)])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.full_clean()
    if endpoint.url != before.url:
        _check_reachable(endpoint)
    endpoint.save()
    changes = audit.diff(endpoint_snapshot(before), endpoint_snapshot(endpoint))
    changes |= _credential_changes(before, endpoint)
    if changes:
        audit.record(
            actor,
            [audit.Entry("update", "notify.webhookendpoint", endpoint.pk, endpoint.name, changes)],
        )
    return endpoint
