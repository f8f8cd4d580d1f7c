"""Notifications: an outbox of messages, the group robots they may go to, and a log of every
attempt to deliver them.

A Message row is written in the caller's transaction (so a rolled-back change notifies nobody)
and delivered later by the worker (`services.deliver_due`), which claims rows with a conditional
UPDATE so that concurrent workers never send one message twice."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.org.models import Unit

from .outbound import check_url_shape


class Channel(models.TextChoices):
    INBOX = "inbox", _("in-app inbox")
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("group robot")


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    DIGESTED = "digested", _("sent in a digest")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    FEISHU = "feishu", _("Feishu custom bot")
    GENERIC = "generic", _("generic JSON webhook")


class WebhookEndpoint(models.Model):
    """A group robot (or any JSON webhook). The URL and secret are credentials: whoever holds
    them can post into the group, so the admin never shows the secret back."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    # CharField, not URLField: intranet gateways often have host names without a dot, which
    # Django's URL validator rejects. The scheme and host are checked in clean().
    url = models.CharField(_("URL"), max_length=1000)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk and Feishu robots with signature security; empty otherwise."),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhooks",
        help_text=_("The unit whose group this robot posts to; its people are notified here."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    rate_per_minute = models.PositiveSmallIntegerField(
        _("messages per minute"),
        default=20,
        help_text=_(
            "WeCom and DingTalk accept 20 a minute; DingTalk blocks a robot for 10 minutes"
            " when that is exceeded."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            check_url_shape(self.url)
        except ValueError as e:
            raise ValidationError({"url": str(e)}) from e
        if self.rate_per_minute < 1:
            raise ValidationError({"rate_per_minute": _("At least one message a minute.")})


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notify_messages",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    webhook = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("group robot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # The caller's idempotency key plus ":<channel>": a job that runs every few minutes may
    # call notify() for the same reminder every time, and the unique index keeps it to one row.
    dedupe_key = models.CharField(_("deduplication key"), max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Held for the recipient's daily digest (decided once, when the message is created).
    digestible = models.BooleanField(_("held for digest"), default=False)
    is_digest = models.BooleanField(_("digest"), default=False)
    digest = models.ForeignKey(
        "self",
        verbose_name=_("sent in digest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parts",
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due"),
            models.Index(fields=["status", "lease_until"], name="notify_msg_lease"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notify_msg_inbox"),
            models.Index(fields=["webhook", "status"], name="notify_msg_webhook"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.channel})"


class Delivery(models.Model):
    """One attempt to deliver a message, whatever came of it."""

    class Outcome(models.TextChoices):
        OK = "ok", _("delivered")
        ERROR = "error", _("error")

    message = models.ForeignKey(
        Message, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Copied from the message so the rate limit counts one endpoint's recent attempts with
    # one indexed query.
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("group robot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("when"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["endpoint", "at"], name="notify_delivery_rate")]

    def __str__(self) -> str:
        return f"#{self.message_id} attempt {self.attempt}: {self.outcome}"


class Preference(models.Model):
    """How a person wants non-urgent notifications. Without a row the defaults apply: one
    digest per channel each working day at 08:30."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    email_digest = models.BooleanField(_("daily digest of e-mails"), default=True)
    webhook_digest = models.BooleanField(_("daily digest of group robot messages"), default=True)
    digest_time = models.TimeField(_("digest time"), default=dt.time(8, 30))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.person)

    def digest_for(self, channel: str) -> bool:
        # The inbox is the quiet channel already: it never interrupts, so it is never held.
        return {Channel.EMAIL: self.email_digest, Channel.WEBHOOK: self.webhook_digest}.get(
            channel, False
        )
