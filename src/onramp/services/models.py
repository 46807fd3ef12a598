"""Direct Routing services (SPEC.md lifecycle); their tenant connection is in ``connections``."""

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
    DECOMMISSIONED = "decommissioned", "Decommissioned"


# UI.md "States that must never mislead": an active service whose last answered validation
# failed is shown as this, never as a plain "Active" (``Service.shown_status``).
CONNECTION_FAILING = ("connection-failing", "Active · connection failing")

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
    # Decommission (SPEC): asked for, then finished once Direct Routing is removed;
    # ``app_to_delete`` names the app registration the customer's admin must delete
    # ``{display_name, app_id, object_id}`` when Onramp could not delete it ({} otherwise).
    decommission_requested_at = models.DateTimeField(null=True, blank=True)
    decommissioned_at = models.DateTimeField(null=True, blank=True)
    app_to_delete = models.JSONField(default=dict, blank=True)

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

    # Annotated by ``services.selectors.services_visible``: the last answered validation's
    # outcome of an active service, else None.
    connection_ok: bool | None

    def __str__(self) -> str:
        return self.short_name

    @property
    def shown_status(self) -> tuple[str, str]:
        """The status as pages show it (value, label): an active service whose connection
        failed its last answered validation is "Active · connection failing"."""
        if self.status == ServiceStatus.ACTIVE and self.connection_ok is False:
            return CONNECTION_FAILING
        return self.status, self.get_status_display()
