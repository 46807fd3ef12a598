"""Operators (scoped, with a role), their API tokens (stored only as a hash) and their
authenticator apps (the TOTP key sealed) and recovery codes (hashed)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from binascii import unhexlify
from os import urandom

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from onramp.core.crypto import secret_box


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


class AuthenticatorAppManager(models.Manager["AuthenticatorApp"]):
    def create_for(self, operator: Operator, *, name: str, confirmed: bool) -> AuthenticatorApp:
        """A device with a new random 20-byte key, sealed before it is stored."""
        box = secret_box()
        return self.create(
            user=operator,
            name=name,
            confirmed=confirmed,
            key_sealed=box.seal(urandom(20).hex()),
            key_id=box.current_key_id,
        )


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device with its key sealed by the encryption keys (``rotate-keys``
    re-seals it): django-otp's own table keeps the key in clear. Verification is django-otp's
    own code, so its rules hold: a code once (``last_t``), ``tolerance`` steps early or late."""

    key_sealed = models.TextField()
    key_id = models.CharField(max_length=8)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    objects = AuthenticatorAppManager()

    class Meta(Device.Meta):
        verbose_name = "authenticator app"

    @property
    def bin_key(self) -> bytes:
        return unhexlify(secret_box().open(self.key_sealed))

    verify_token = TOTPDevice.verify_token
    config_url = TOTPDevice.config_url
    get_throttle_factor = TOTPDevice.get_throttle_factor
    _read_str_from_settings = TOTPDevice._read_str_from_settings


def recovery_code_hash(code: str) -> str:
    """What django-otp's token column (16 characters) holds instead of a recovery code: the first
    80 bits of its SHA-256, in base32. A code is 80 random bits, so this keeps all it has; a
    fast hash is enough for random values (as for API tokens)."""
    return base64.b32encode(hashlib.sha256(code.encode()).digest()[:10]).decode().lower()


class RecoveryCodes(StaticDevice):
    """django-otp's static device whose tokens are stored hashed: each code works once."""

    class Meta:
        proxy = True

    def verify_token(self, token: str) -> bool:
        return super().verify_token(recovery_code_hash(token))
