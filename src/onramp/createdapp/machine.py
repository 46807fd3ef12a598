"""The driver of the creation's steps (DESIGN "Step machines"), as Direct Routing's driver
does it: delivery is at least once, so a task may arrive twice or after a worker died.

1. lock the creation, take the step only if it is due (pending and its time has come, or running
   with an expired lease), mark it running with a lease, commit;
2. run the step outside any transaction (it reads what exists first);
3. lock again and apply the outcome only if the step is still ours: done → the next step is
   enqueued (the last one ends the creation); transient → due again after a backoff
   (Retry-After honoured) until ``MAX_ATTEMPTS``; otherwise the creation stops with the step's
   message. A creation that ends forgets the delegated token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.backoff import doubling
from onramp.core.tasks import enqueue_on_commit, step_lease
from onramp.createdapp.models import AppCreation, CreationStatus, CreationStep, StepStatus
from onramp.createdapp.services import STEP_TASK
from onramp.createdapp.steps import STEPS, Outcome
from onramp.invitations.models import OPEN_STATUSES

MAX_ATTEMPTS = 15
BACKOFF_FIRST = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … at most two minutes: replication usually takes seconds, at times
    minutes."""
    return doubling(BACKOFF_FIRST, attempts, BACKOFF_MAX)


def due(now: datetime) -> Q:
    """Steps a worker should run now (also those whose worker died)."""
    waiting = Q(status__in=[StepStatus.PENDING, StepStatus.RUNNING])
    return waiting & Q(next_attempt_at__lte=now)


def creation_step_run(*, creation_id: str, name: str) -> CreationStep | None:
    """Run one step of one creation if it is due; None when there was nothing to do."""
    function = STEPS.get(name)
    if function is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        creation = (
            AppCreation.objects.select_for_update().select_related("invitation").get(pk=creation_id)
        )
        if creation.status != CreationStatus.RUNNING:
            return None
        step = creation.steps.filter(due(now), name=name).first()
        if step is None:
            return None
        status = creation.invitation.effective_status(now)
        if status not in OPEN_STATUSES:
            message = f"The invitation is {status}, so nothing more is created in the tenant."
            _end(creation, CreationStatus.STOPPED, message, now)
            return None
        step.status, step.attempts = StepStatus.RUNNING, step.attempts + 1
        step.next_attempt_at, step.updated_at = now + step_lease(), now
        step.save()
    outcome = function(creation)
    return _apply(creation, step, outcome)


def _apply(creation: AppCreation, taken: CreationStep, outcome: Outcome) -> CreationStep | None:
    now = timezone.now()
    with transaction.atomic():
        creation = AppCreation.objects.select_for_update().get(pk=creation.pk)
        step = creation.steps.get(pk=taken.pk)
        if step.status != StepStatus.RUNNING or step.attempts != taken.attempts:
            return None  # another worker took it over after our lease ran out
        step.message, step.updated_at = outcome.message, now
        if outcome.done:
            step.status, step.next_attempt_at = StepStatus.DONE, None
        elif outcome.transient and step.attempts < MAX_ATTEMPTS:
            wait = max(backoff(step.attempts), outcome.retry_in or timedelta(0))
            step.status, step.next_attempt_at = StepStatus.PENDING, now + wait
            step.message = f"{outcome.message} Trying again at {now + wait:%H:%M:%S} UTC."
        else:
            step.status, step.next_attempt_at = StepStatus.FAILED, None
            if outcome.transient:
                step.message = f"{outcome.message} Gave up after {step.attempts} attempts."
        step.save()
        if step.status == StepStatus.DONE:
            _next(creation, step, now)
        elif step.status == StepStatus.FAILED:
            _end(creation, CreationStatus.STOPPED, step.message, now)
    return step


def _next(creation: AppCreation, step: CreationStep, now: datetime) -> None:
    following = creation.steps.filter(position__gt=step.position).first()
    if following is None:
        _end(creation, CreationStatus.DONE, "", now)
        return
    following.next_attempt_at, following.updated_at = now, now
    following.save(update_fields=["next_attempt_at", "updated_at"])
    enqueue_on_commit(STEP_TASK, str(creation.pk), following.name)


def _end(creation: AppCreation, status: str, message: str, now: datetime) -> None:
    """The steps finished (done, or stopped): the delegated token is dropped."""
    creation.status, creation.message, creation.updated_at = status, message, now
    creation.token_sealed, creation.token_expires_at = "", None
    creation.save(
        update_fields=["status", "message", "updated_at", "token_sealed", "token_expires_at"]
    )
    invitation = creation.invitation
    audit_record(
        actor=Actor.system(),
        action="connection.created_app",
        target=invitation,
        provider_id=invitation.provider_id,
        customer_id=invitation.customer_id,
        new={
            "status": status,
            "message": message,
            "tenant_id": creation.tenant_id,
            "application_object_id": creation.application_object_id,
            "application_id": creation.application_app_id,
            "signed_in_as": creation.signed_in_upn,
            "grants_removed": creation.grants_removed,
        },
    )
