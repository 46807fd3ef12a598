"""Bulk re-validation jobs and the alerts they raise."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from onramp.core.models import UUIDModel

# ``created_by`` of a job ``onramp validate`` runs in its own process, from start to end: it
# holds no web worker and no other job waits for it, so it is left out of the one-per-scope rule.
IN_PROCESS = "cli"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class ValidationJob(UUIDModel):
    """One re-validation of many services; progress is counted as results are stored."""

    kind = models.CharField(max_length=32, default="validation")
    scope = models.CharField(max_length=16)  # all, provider, customer, service
    scope_id = models.CharField(max_length=64, blank=True)
    provider = models.ForeignKey(
        "tenancy.Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one unfinished job per scope: a second start is refused (or, on schedule,
            # the unfinished one resumed) rather than validating the same services twice.
            models.UniqueConstraint(
                fields=["scope", "scope_id"],
                condition=Q(status__in=UNFINISHED) & ~Q(created_by=IN_PROCESS),
                name="one_unfinished_job_per_scope",
            )
        ]


class AlertKind(models.TextChoices):
    EXPIRY = "expiry", "Secret expiry"
    FAILURE = "failure", "Validation failed"


class Alert(models.Model):
    """An alert that was sent; the unique key makes each one go out once."""

    service = models.ForeignKey("services.Service", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    threshold_days = models.IntegerField(null=True, blank=True)
    # What the alert is about: "expiry:<days>:<hint>:<expiry date>" or "failure:<run id>".
    dedupe_key = models.CharField(max_length=128)
    sent_at = models.DateTimeField()
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "dedupe_key"], name="alert_sent_once"),
        ]
