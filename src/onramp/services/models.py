"""Direct Routing services, their tenant connection and every validation run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onramp.core.models import UUIDModel


class LicenseType(models.TextChoices):
    ESSENTIALS_PLUS = "hosted-essentials-plus", "Hosted Essentials+"
    PRO = "hosted-pro", "Hosted Pro"


class ServiceStatus(models.TextChoices):
    AWAITING = "awaiting-authentication", "Awaiting authentication"
    AUTHENTICATED = "authenticated", "Authenticated"
    ACTIVE = "active", "Active"
    DISCONNECTED = "disconnected", "Disconnected"


NEVER_ACTIVE = (ServiceStatus.AWAITING, ServiceStatus.AUTHENTICATED, ServiceStatus.DISCONNECTED)
MAX_LICENSED_USERS = 500


class Service(UUIDModel):
    provider = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, related_name="services"
    )
    customer = models.ForeignKey(
        "tenancy.Customer", on_delete=models.PROTECT, related_name="services"
    )
    short_name = models.CharField(max_length=15)
    short_name_key = models.CharField(max_length=60, editable=False)
    full_name = models.CharField(max_length=200)
    license_type = models.CharField(max_length=32, choices=LicenseType.choices)
    licensed_users = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=32, choices=ServiceStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["short_name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "short_name_key"], name="service_short_name_unique_per_provider"
            ),
            models.CheckConstraint(
                name="service_licensed_users_1_to_500",
                condition=Q(licensed_users__gte=1, licensed_users__lte=MAX_LICENSED_USERS),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["provider", "-created_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.short_name


class ExpirySource(models.TextChoices):
    MICROSOFT = "microsoft", "Microsoft"
    OPERATOR = "operator", "entered by an operator"


class TenantConnection(models.Model):
    """How Onramp reaches the customer's tenant; the secret is sealed (see core.crypto)."""

    service = models.OneToOneField(
        Service, primary_key=True, on_delete=models.CASCADE, related_name="connection"
    )
    method = models.CharField(max_length=32, default="app-registration")
    tenant_id = models.CharField(max_length=36)
    tenant_display_name = models.CharField(max_length=256, blank=True)
    tenant_default_domain = models.CharField(max_length=253, blank=True)
    client_id = models.CharField(max_length=64)
    secret_sealed = models.TextField()
    secret_key_id = models.CharField(max_length=8)
    secret_hint = models.CharField(max_length=3)
    secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_expiry_source = models.CharField(max_length=16, choices=ExpirySource.choices, blank=True)
    granted_permissions = models.JSONField(default=list)
    assigned_roles = models.JSONField(default=list)
    authenticated_by = models.CharField(max_length=254)
    authenticated_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)


class ValidationTrigger(models.TextChoices):
    WIZARD = "wizard", "Invitation wizard"
    ADD = "add", "Add (operator)"
    CREATE = "create", "Service created with known credentials"
    MANUAL = "manual", "Validate Authentication"
    RENEWAL = "renewal", "Secret renewal"
    SCHEDULED = "scheduled", "Scheduled re-validation"


class ValidationRun(models.Model):
    """One stored validation result; every run is kept, the newest is shown."""

    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="validation_runs"
    )
    invitation = models.ForeignKey(
        "invitations.Invitation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="validation_runs",
    )
    job = models.ForeignKey(
        "health.ValidationJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    trigger = models.CharField(max_length=16, choices=ValidationTrigger.choices)
    ok = models.BooleanField()
    reason = models.CharField(max_length=32, blank=True)
    message = models.TextField()
    result = models.JSONField()
    validated_at = models.DateTimeField()
    actor_label = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-validated_at", "-id"]
        indexes = [models.Index(fields=["service", "-validated_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "service"],
                condition=Q(job__isnull=False),
                name="one_run_per_service_and_job",
            )
        ]
