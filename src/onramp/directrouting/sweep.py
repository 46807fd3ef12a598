"""The Direct Routing sweep, run each minute by the worker: the safety net that keeps every
run moving whatever was lost (a task, a worker, a wake-up)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from onramp.directrouting.machine import due, step_enqueue
from onramp.directrouting.models import ProvisioningStep
from onramp.directrouting.services import provisioning_propose
from onramp.directrouting.steps import STEPS
from onramp.services.models import Service, ServiceStatus

SWEEP_GRACE = timedelta(minutes=5)  # an enqueued step not taken by then: its task was lost


def provisioning_sweep() -> int:
    """The periodic safety net: propose runs for active services that have none, and enqueue
    every step that is due (a backoff elapsed, a waiting step's time came, a dead worker's
    lease ran out). A step enqueued when it became due (its ``updated_at`` is its due time) is
    left to that task unless ``SWEEP_GRACE`` passed: re-enqueuing the whole backlog each minute
    made a third of a big run's tasks find nothing to do. Returns how many were enqueued."""
    for service in Service.objects.filter(status=ServiceStatus.ACTIVE, provisioning=None):
        provisioning_propose(service=service)
    now = timezone.now()
    untended = Q(next_attempt_at__gt=F("updated_at")) | Q(updated_at__lte=now - SWEEP_GRACE)
    steps = list(
        ProvisioningStep.objects.filter(due(now), untended, name__in=list(STEPS)).select_related(
            "provisioning"
        )
    )
    with transaction.atomic():
        ProvisioningStep.objects.filter(pk__in=[step.pk for step in steps]).update(updated_at=now)
        for step in steps:
            step_enqueue(step.provisioning, step.name)
    return len(steps)
