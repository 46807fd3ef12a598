"""Operators (scoped, with a role) and their API tokens (stored only as a hash)."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    OPERATOR = "operator", "Operator"
    MONITOR = "monitor", "Monitor"


class Scope(models.TextChoices):
    SYSTEM = "system", "System"
    PROVIDER = "provider", "Provider"
    CHANNEL = "channel", "Channel"
    CUSTOMER = "customer", "Customer"


class OperatorStatus(models.TextChoices):
    """What the Operators page and the API say of an operator (not stored: derived)."""

    INVITED = "invited", "Invited"  # its set-up link is not used yet: it has no password
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class OperatorManager(BaseUserManager["Operator"]):
    def create_user(self, email: str, password: str | None = None, **fields) -> Operator:
        operator = self.model(email=self.normalize_email(email).lower(), **fields)
        operator.set_password(password)
        operator.save(using=self._db)
        return operator


class Operator(AbstractBaseUser):
    """A person who signs in; sees only what its scope holds."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    provider = models.ForeignKey(
        "tenancy.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
    )
    channel = models.ForeignKey(
        "tenancy.Channel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
    )
    customer = models.ForeignKey(
        "tenancy.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
    )
    is_active = models.BooleanField(default=True)
    # Only the demo's own operator is exempt from the second factor (with a banner saying so).
    second_factor_exempt = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OperatorManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="operator_scope_matches_its_object",
                condition=(
                    Q(scope="system", provider__isnull=True)
                    | Q(
                        scope="provider",
                        provider__isnull=False,
                        channel__isnull=True,
                        customer__isnull=True,
                    )
                    | Q(
                        scope="channel",
                        provider__isnull=False,
                        channel__isnull=False,
                        customer__isnull=True,
                    )
                    | Q(scope="customer", provider__isnull=False, customer__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def status(self) -> OperatorStatus:
        """Invited while a set-up link is unused and no password set (an operator the CLI made
        has no link); lists annotate ``setup_pending`` (accounts.selectors) to spare a query."""
        if not self.is_active:
            return OperatorStatus.INACTIVE
        if self.has_usable_password():
            return OperatorStatus.ACTIVE
        pending = getattr(self, "setup_pending", None)
        if pending is None:
            pending = self.setups.filter(used_at__isnull=True).exists()
        return OperatorStatus.INVITED if pending else OperatorStatus.ACTIVE

    @property
    def scope_label(self) -> str:
        target = self.customer or self.channel or self.provider
        return f"{self.get_scope_display()}: {target}" if target else "System"


class ApiToken(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API token {self.name or self.pk} of {self.operator.email}"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class OperatorSetup(models.Model):
    """A one-time link emailed to a new operator to set a password and a second factor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="setups")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def is_usable(self, now) -> bool:
        return self.used_at is None and self.expires_at > now and self.operator.is_active
