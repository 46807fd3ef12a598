"""The tenant connection: the credentials Onramp holds for a customer's tenant, and every
validation run. The secret, or a certificate's private key, is sealed (see core.crypto); only a
secret's first three characters and a certificate's public part show."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ConnectionMethod(models.TextChoices):
    """How the admin connected the tenant (SPEC.md "Ways to connect")."""

    APP_REGISTRATION = "app-registration", "App registration (client secret)"
    APP_CERTIFICATE = "app-certificate", "App registration (certificate)"
    CREATED_APP = "created-app", "App registration created by Onramp"
    PROVIDER_APP = "provider-app", "Consent to the provider's app"


class ExpirySource(models.TextChoices):
    MICROSOFT = "microsoft", "Microsoft"
    OPERATOR = "operator", "entered by an operator"


class CredentialKind(models.TextChoices):
    """What the application proves itself with (m365.credentials)."""

    SECRET = "secret", "Client secret"
    CERTIFICATE = "certificate", "Certificate"


class HeldCredentials(models.Model):
    """What a validation that accepted the credentials tells about them: held by an invitation
    between the wizard and Add, then by the service's connection."""

    tenant_id = models.CharField(max_length=36, blank=True)
    tenant_display_name = models.CharField(max_length=256, blank=True)
    tenant_default_domain = models.CharField(max_length=253, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    secret_sealed = models.TextField(blank=True)
    secret_key_id = models.CharField(max_length=8, blank=True)
    secret_hint = models.CharField(max_length=3, blank=True)
    secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_expiry_source = models.CharField(max_length=16, choices=ExpirySource.choices, blank=True)
    credential_kind = models.CharField(
        max_length=16, choices=CredentialKind.choices, default=CredentialKind.SECRET
    )
    certificate_pem = models.TextField(blank=True)
    certificate_thumbprint_sha1 = models.CharField(max_length=40, blank=True)
    certificate_thumbprint_sha256 = models.CharField(max_length=64, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    private_key_sealed = models.TextField(blank=True)
    private_key_key_id = models.CharField(max_length=8, blank=True)
    granted_permissions = models.JSONField(default=list)
    assigned_roles = models.JSONField(default=list)
    # A created app (``created-app``): who signed in to create it, and its application object.
    signed_in_upn = models.CharField(max_length=254, blank=True)
    application_object_id = models.CharField(max_length=36, blank=True)

    CLEARED = {
        "tenant_id": "",
        "tenant_display_name": "",
        "tenant_default_domain": "",
        "client_id": "",
        "secret_sealed": "",
        "secret_key_id": "",
        "secret_hint": "",
        "secret_expires_at": None,
        "secret_expiry_source": "",
        "credential_kind": CredentialKind.SECRET,
        "certificate_pem": "",
        "certificate_thumbprint_sha1": "",
        "certificate_thumbprint_sha256": "",
        "certificate_expires_at": None,
        "private_key_sealed": "",
        "private_key_key_id": "",
        "granted_permissions": [],
        "assigned_roles": [],
        "signed_in_upn": "",
        "application_object_id": "",
    }

    # The credential itself, as one sealed whole: copied from an invitation to its service.
    CREDENTIAL_FIELDS = (
        "credential_kind",
        "secret_sealed",
        "secret_key_id",
        "secret_hint",
        "certificate_pem",
        "certificate_thumbprint_sha1",
        "certificate_thumbprint_sha256",
        "certificate_expires_at",
        "private_key_sealed",
        "private_key_key_id",
        "signed_in_upn",
        "application_object_id",
    )

    class Meta:
        abstract = True

    @property
    def holds_credentials(self) -> bool:
        return bool(self.secret_sealed or self.private_key_sealed)

    def clear(self) -> None:
        """Forget the credentials (the caller saves)."""
        for name, empty in self.CLEARED.items():
            setattr(self, name, list(empty) if isinstance(empty, list) else empty)


class TenantConnection(HeldCredentials):
    """How Onramp reaches the customer's tenant once the service is active."""

    service = models.OneToOneField(
        "services.Service", primary_key=True, on_delete=models.CASCADE, related_name="connection"
    )
    method = models.CharField(
        max_length=32, choices=ConnectionMethod.choices, default=ConnectionMethod.APP_REGISTRATION
    )
    authenticated_by = models.CharField(max_length=254)
    authenticated_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "services_tenantconnection"


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
        "services.Service",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="validation_runs",
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
        db_table = "services_validationrun"
        ordering = ["-validated_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-validated_at"], name="services_va_service_ff7b1f_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "service"],
                condition=Q(job__isnull=False),
                name="one_run_per_service_and_job",
            )
        ]


class DiscoveryDocument(models.Model):
    """A tenant's OpenID discovery document as Microsoft served it, by URL (the m365 client's
    key). Stable per tenant, so kept for every later process: a tenant validated before costs
    no discovery round trip, also in a new ``onramp validate`` or a new web worker."""

    url = models.CharField(max_length=512, primary_key=True)
    document = models.TextField()
