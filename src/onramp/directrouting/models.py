"""Direct Routing provisioning (SPEC "Direct Routing provisioning", CONTRACT §4): a provider's
DNS backend, and per service one provisioning run with one row per step."""

from __future__ import annotations

from django.db import models

from onramp.core.models import UUIDModel


class StepName(models.TextChoices):
    """In the order they run (CONTRACT §4)."""

    PLAN = "plan", "Plan"
    PREFLIGHT = "preflight", "Preflight"
    DOMAIN = "domain", "Domain"
    DNS_RECORD = "dns_record", "DNS record"
    DOMAIN_VERIFIED = "domain_verified", "Domain verified"
    ACTIVATION_USER = "activation_user", "Activation user"
    TEAMS_ACTIVATION = "teams_activation", "Teams activation"
    TEAMS_VOICE = "teams_voice", "Teams voice routing"
    NUMBERS = "numbers", "Numbers"
    # Remove Direct Routing: the steps backwards (SPEC "Remove Direct Routing").
    NUMBERS_UNASSIGNED = "numbers_unassigned", "Numbers unassigned"
    ACTIVATION_USER_DELETED = "activation_user_deleted", "Activation user deleted"
    DOMAIN_REMOVED = "domain_removed", "Domain removed"
    DNS_RECORD_DELETED = "dns_record_deleted", "DNS record deleted"
    TEAMS_TEARDOWN = "teams_teardown", "Teams voice teardown"


FORWARD_STEPS = [
    StepName.PLAN,
    StepName.PREFLIGHT,
    StepName.DOMAIN,
    StepName.DNS_RECORD,
    StepName.DOMAIN_VERIFIED,
    StepName.ACTIVATION_USER,
    StepName.TEAMS_ACTIVATION,
    StepName.TEAMS_VOICE,
    StepName.NUMBERS,
]
REMOVAL_STEPS = [
    StepName.NUMBERS_UNASSIGNED,
    StepName.ACTIVATION_USER_DELETED,
    StepName.DOMAIN_REMOVED,
    StepName.DNS_RECORD_DELETED,
    StepName.TEAMS_TEARDOWN,
]


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class RunStatus(models.TextChoices):
    NOT_STARTED = "not-started", "Not started"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REMOVING = "removing", "Removing"
    REMOVED = "removed", "Removed"


class DnsSettings(models.Model):
    """The provider's DNS backend for its SBC zone(s): the settings in clear except the secret
    ones (TSIG key, API token …), which are sealed together and never shown back."""

    provider = models.OneToOneField(
        "tenancy.Provider", on_delete=models.CASCADE, primary_key=True, related_name="dns"
    )
    backend = models.CharField(max_length=64)
    settings = models.JSONField(default=dict)
    secrets_sealed = models.TextField(blank=True)
    secrets_key_id = models.CharField(max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class Provisioning(UUIDModel):
    """A service's run. ``label`` is unique per provider (its sub-domains are ``label.<SBC
    domain>``); ``status`` is derived from the steps by the driver, in the same transaction.
    ``activation_sku`` is the SKU part number of the activation user's license, and
    ``activation_sku_confirmed`` the operator's word for it (given before ``preflight`` ran
    without a SKU, it accepts the one ``preflight`` proposes);
    the ``…_confirmed_at`` record the operator's word that Teams activated the domain, that the
    Teams voice script ran and, on removal, that its teardown script ran; ``reclaim_license``:
    the activation users' licenses are removed once Teams has activated the domain; ``numbers``:
    the rows ``{user_principal_name,
    phone_number}`` the ``numbers`` step assigns (optional)."""

    service = models.OneToOneField(
        "services.Service", on_delete=models.CASCADE, related_name="provisioning"
    )
    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=63)
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.NOT_STARTED
    )
    activation_sku = models.CharField(max_length=64, blank=True)
    activation_sku_confirmed = models.BooleanField(default=False)
    teams_activation_confirmed_at = models.DateTimeField(null=True, blank=True)
    reclaim_license = models.BooleanField(default=False)
    numbers = models.JSONField(default=list)
    teams_script_confirmed_at = models.DateTimeField(null=True, blank=True)
    teams_teardown_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "label"], name="provisioning_label_unique_per_provider"
            )
        ]

    def __str__(self) -> str:
        return self.label


class ProvisioningStep(models.Model):
    """One step of a run: its state, attempts, when to try again (also the lease of a running
    step: a worker that died leaves it due again) and what the operator should know."""

    provisioning = models.ForeignKey(Provisioning, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=32, choices=StepName.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    detail = models.JSONField(default=dict)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["provisioning", "name"], name="one_row_per_step")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.provisioning} {self.name}"


class BulkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class BulkProvisioning(UUIDModel):
    """Bulk Provision from the Services list: provisioning started for each selected service
    by a task taking this id; ``results`` maps a service id to ``{status: started | refused,
    message}`` as each one is handled (a task that died resumes with the ones left). The job is
    its operator's."""

    operator = models.ForeignKey("accounts.Operator", on_delete=models.CASCADE, related_name="+")
    service_ids = models.JSONField(default=list)
    results = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=BulkStatus.choices, default=BulkStatus.QUEUED)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
