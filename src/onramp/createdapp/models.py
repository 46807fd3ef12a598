"""Create the app registration for me (SPEC "Ways to connect", ``created-app``): per invitation
one creation, with the admin's sign-in and one row per step (DESIGN "Step machines").

Everything secret is sealed (core.crypto): the sign-in flow (PKCE verifier, nonce), the delegated
token and the new certificate's private key. The flow's ``state`` is kept only as a hash, and
the browser session it belongs to only as the hash of a value held in that session.
"""

from __future__ import annotations

from django.db import models

from onramp.core.models import UUIDModel


class StepName(models.TextChoices):
    """In the order they run; the labels are what the admin sees on the progress page."""

    ROLES = "roles", "Check your administrator roles"
    APPLICATION = "application", "Create the application"
    SERVICE_PRINCIPAL = "service_principal", "Create its service principal"
    PERMISSIONS = "permissions", "Grant the permissions (admin consent)"
    ROLE = "role", "Assign the Teams Administrator role"
    CERTIFICATE = "certificate", "Add a certificate"
    REPLICATION = "replication", "Wait for Microsoft"
    VALIDATION = "validation", "Validate"
    CLEANUP = "cleanup", "Remove Onramp's sign-in permissions"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CreationStatus(models.TextChoices):
    SIGNING_IN = "signing-in", "Signing in"
    SIGNED_IN = "signed-in", "Signed in, to be approved"
    RUNNING = "running", "Creating"
    DONE = "done", "Done"
    STOPPED = "stopped", "Stopped"


class AppCreation(UUIDModel):
    invitation = models.OneToOneField(
        "invitations.Invitation", on_delete=models.CASCADE, related_name="app_creation"
    )
    app_name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=16, choices=CreationStatus.choices, default=CreationStatus.SIGNING_IN
    )
    message = models.TextField(blank=True)
    # The sign-in under way: the browser session's binding and the state (hashes), the flow.
    session_hash = models.CharField(max_length=64, blank=True)
    state_hash = models.CharField(max_length=64, blank=True, db_index=True)
    flow_kind = models.CharField(max_length=8, blank=True)  # "code" or "device"
    flow_sealed = models.TextField(blank=True)
    device_user_code = models.CharField(max_length=32, blank=True)
    device_verification_uri = models.CharField(max_length=512, blank=True)
    # Who signed in, where, and the delegated token until the steps finish.
    tenant_id = models.CharField(max_length=36, blank=True)
    tenant_display_name = models.CharField(max_length=256, blank=True)
    tenant_default_domain = models.CharField(max_length=253, blank=True)
    signed_in_upn = models.CharField(max_length=254, blank=True)
    signed_in_roles = models.JSONField(default=list)
    token_sealed = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # What exists in the tenant: found again by these ids, never created twice.
    application_object_id = models.CharField(max_length=36, blank=True)
    application_app_id = models.CharField(max_length=36, blank=True)
    service_principal_id = models.CharField(max_length=36, blank=True)
    certificate_pem = models.TextField(blank=True)
    private_key_sealed = models.TextField(blank=True)
    grants_removed = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.app_name


class CreationStep(models.Model):
    """One step: its state, attempts, when to try again (also the lease of a running step) and
    what the admin should know."""

    creation = models.ForeignKey(AppCreation, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=32, choices=StepName.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["creation", "name"], name="one_row_per_creation_step")
        ]

    def __str__(self) -> str:
        return f"{self.creation} {self.name}"
