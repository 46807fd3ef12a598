"""The email outbox: a message is a row first, sent by the worker after the commit.

The rendered message (which may carry an invitation link) is sealed until sent, then wiped.
"""

from __future__ import annotations

from django.db import models

from onramp.core.models import UUIDModel


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutboxMessage(UUIDModel):
    kind = models.CharField(max_length=32)
    invitation = models.ForeignKey(
        "invitations.Invitation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    payload_sealed = models.TextField(blank=True)
    payload_key_id = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
