"""Invitations to a customer's M365 admin (SPEC.md lifecycle table).

``status`` stores pending / authenticated / completed / revoked; ``expired`` is computed from
``expires_at`` the moment it passes (no job). The link's token is stored only as its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from onramp.connections.models import ConnectionMethod, HeldCredentials
from onramp.core.models import UUIDModel


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHENTICATED = "authenticated", "Authenticated"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


OPEN_STATUSES = (InvitationStatus.PENDING, InvitationStatus.AUTHENTICATED)


class Invitation(UUIDModel, HeldCredentials):
    service = models.ForeignKey(
        "services.Service", on_delete=models.CASCADE, related_name="invitations"
    )
    # Copied from the service at creation (a service never changes either): scoped, sorted
    # lists then walk one index instead of joining invitation → service → customer. The
    # composite indexes below start with them, so no single-column index is needed.
    provider = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "tenancy.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    admin_email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=InvitationStatus.choices)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    # The credentials received through the wizard (HeldCredentials) are pinned to the tenant of
    # the first success.
    authenticated_at = models.DateTimeField(null=True, blank=True)
    authenticated_method = models.CharField(
        max_length=32, choices=ConnectionMethod.choices, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status__in=["pending", "authenticated"]),
                name="one_open_invitation_per_service",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["provider", "-created_at", "-id"]),
            models.Index(fields=["provider", "status", "-created_at", "-id"]),
            models.Index(fields=["provider", "expires_at", "id"]),
            models.Index(fields=["customer", "-created_at", "-id"]),
        ]

    def __str__(self) -> str:
        """What an operator knows the invitation by (the audit trail's label): its service."""
        return self.service.short_name

    def effective_status(self, now: datetime) -> str:
        if self.status in OPEN_STATUSES and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status

    @property
    def device_authenticated(self) -> bool:
        return self.authenticated_at is not None


class SupersededLink(UUIDModel):
    """A link a resend replaced, by its hash only: opening it says "a newer link was sent" (410)
    instead of "unknown" (404), SPEC.md "Invitation links replaced by resend"."""

    token_hash = models.CharField(max_length=64, unique=True)
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="+")
    superseded_at = models.DateTimeField()
