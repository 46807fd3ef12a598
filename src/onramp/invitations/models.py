"""Invitations to a customer's M365 admin (SPEC.md lifecycle table).

``status`` stores pending / authenticated / completed / revoked; ``expired`` is computed from
``expires_at`` the moment it passes (no job). The link's token is stored only as its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from onramp.core.models import UUIDModel


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHENTICATED = "authenticated", "Authenticated"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


OPEN_STATUSES = (InvitationStatus.PENDING, InvitationStatus.AUTHENTICATED)


class Invitation(UUIDModel):
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
    # Credentials received through the wizard; the tenant is pinned at the first success.
    authenticated_at = models.DateTimeField(null=True, blank=True)
    authenticated_method = models.CharField(max_length=32, blank=True)
    tenant_id = models.CharField(max_length=36, blank=True)
    tenant_display_name = models.CharField(max_length=256, blank=True)
    tenant_default_domain = models.CharField(max_length=253, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    secret_sealed = models.TextField(blank=True)
    secret_key_id = models.CharField(max_length=8, blank=True)
    secret_hint = models.CharField(max_length=3, blank=True)
    secret_expires_at = models.DateTimeField(null=True, blank=True)
    granted_permissions = models.JSONField(default=list)
    assigned_roles = models.JSONField(default=list)
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Delivery of the invitation email (updated by the outbox task).
    email_sent = models.BooleanField(default=False)
    email_send_count = models.PositiveIntegerField(default=0)
    email_last_error = models.TextField(blank=True)

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

    def effective_status(self, now: datetime) -> str:
        if self.status in OPEN_STATUSES and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status

    @property
    def device_authenticated(self) -> bool:
        return self.authenticated_at is not None

    @property
    def holds_credentials(self) -> bool:
        return bool(self.secret_sealed)
