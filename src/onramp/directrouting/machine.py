"""The driver of every step, written once (DESIGN "Step machines").

Delivery is at least once, so a task may arrive twice or after a worker died mid-step:
1. lock the run, take the step only if it is due (pending or waiting and its time has come, or
   running with an expired lease — a dead worker), mark it running with a lease, commit;
2. run the step function outside any transaction (it reads what exists first);
3. lock again and apply the outcome only if the step is still ours (same attempt, running):
   done → the next step enqueued; transient → due again after a backoff (Retry-After
   honoured) until ``MAX_ATTEMPTS``; permanent → failed with the step's message. Each ending
   is audited (``direct_routing.step_done`` / ``direct_routing.step_failed``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.backoff import doubling
from onramp.core.tasks import enqueue_on_commit
from onramp.directrouting.dns import DnsError
from onramp.directrouting.models import (
    REMOVAL_STEPS,
    Provisioning,
    ProvisioningStep,
    RunStatus,
    StepStatus,
)
from onramp.directrouting.steps import STEPS, Outcome, StepContext
from onramp.m365.graph_writes import GraphWriteError

STEP_TASK = "onramp.directrouting.tasks.run_step"
DECOMMISSION_TASK = "onramp.directrouting.tasks.decommission_finish"
LEASE = timedelta(minutes=10)  # longer than a worker's task timeout
MAX_ATTEMPTS = 12
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour."""
    return doubling(BACKOFF_FIRST, attempts, BACKOFF_MAX)


def step_enqueue(run: Provisioning, name: str) -> None:
    enqueue_on_commit(STEP_TASK, str(run.pk), str(name))


def due(now=None) -> Q:
    """Steps a worker should run now (also those whose worker died)."""
    now = now or timezone.now()
    waiting = Q(status__in=[StepStatus.PENDING, StepStatus.WAITING, StepStatus.RUNNING])
    return waiting & Q(next_attempt_at__lte=now)


def unqueued(now) -> Q:
    """Due steps whose task is not in the queue, presumably. Whatever makes a step due at once
    enqueues it and writes ``next_attempt_at`` and ``updated_at`` from the same "now" (a retry,
    a wait or a lease end later than they were written): such a step is left to its task for
    a ``LEASE``, as deep as the queue may be (a thousand runs started together), and sent again
    only after, its task presumed lost."""
    enqueued = Q(next_attempt_at=F("updated_at"), next_attempt_at__gt=now - LEASE)
    return due(now) & ~enqueued


def provisioning_step_run(*, provisioning_id: str, name: str) -> ProvisioningStep | None:
    """Run one step of one run if it is due; None when there was nothing to do."""
    function = STEPS.get(name)
    if function is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        run = (
            Provisioning.objects.select_for_update()
            .select_related("provider")
            .get(pk=provisioning_id)
        )
        step = run.steps.filter(due(now), name=name).first()
        if step is None:
            return None
        step.status, step.attempts = StepStatus.RUNNING, step.attempts + 1
        step.started_at, step.next_attempt_at, step.updated_at = now, now + LEASE, now
        step.save()
        run_status_refresh(run, now)
    context = StepContext(run=run, step=step, provider=run.provider, now=now)
    try:
        outcome = function(context)
    except DnsError as exc:
        outcome = Outcome(StepStatus.FAILED, exc.message, transient=exc.transient)
    except GraphWriteError as exc:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else None
        outcome = Outcome(StepStatus.FAILED, exc.message, transient=exc.transient, retry_in=wait)
    return _apply(run, step, outcome)


def _apply(run: Provisioning, taken: ProvisioningStep, outcome: Outcome) -> ProvisioningStep | None:
    now = timezone.now()
    with transaction.atomic():
        run = Provisioning.objects.select_for_update().get(pk=run.pk)
        step = run.steps.get(pk=taken.pk)
        if step.status != StepStatus.RUNNING or step.attempts != taken.attempts:
            return None  # another worker took it over after our lease ran out
        step.message, step.detail, step.updated_at = outcome.message, outcome.detail, now
        if outcome.status in (StepStatus.DONE, StepStatus.SKIPPED):
            step.status, step.finished_at, step.next_attempt_at = outcome.status, now, None
        elif outcome.status == StepStatus.WAITING:
            step.status, step.next_attempt_at = StepStatus.WAITING, now + outcome.retry_in
        elif outcome.transient and step.attempts < MAX_ATTEMPTS:
            wait = max(backoff(step.attempts), outcome.retry_in or timedelta(0))
            step.status, step.next_attempt_at = StepStatus.PENDING, now + wait
            step.message = f"{outcome.message} Trying again at {_clock(now + wait)}."
        else:
            step.status, step.finished_at, step.next_attempt_at = StepStatus.FAILED, now, None
            if outcome.transient:
                step.message = f"{outcome.message} Gave up after {step.attempts} attempts."
        step.save()
        run_status_refresh(run, now)
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED, StepStatus.FAILED):
            _audit(run, step)
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            _start_next(run, step, now)
    return step


def _start_next(run: Provisioning, step: ProvisioningStep, now) -> None:
    following = run.steps.filter(position__gt=step.position, status=StepStatus.PENDING).first()
    if following is not None:
        following.next_attempt_at, following.updated_at = now, now
        following.save(update_fields=["next_attempt_at", "updated_at"])
        step_enqueue(run, following.name)


def run_status_refresh(run: Provisioning, now) -> None:
    """The run's status from its steps; once removal has begun, from the removal steps alone
    (``removing`` until each is done, then ``removed``, audited as ``direct_routing.removed``)."""
    steps = run.steps.all()
    removing = steps.filter(name__in=REMOVAL_STEPS).exists()
    if removing:
        steps = steps.filter(name__in=REMOVAL_STEPS)
    statuses = set(steps.values_list("status", flat=True))
    if StepStatus.RUNNING in statuses:
        status = RunStatus.REMOVING if removing else RunStatus.RUNNING
    elif StepStatus.FAILED in statuses:
        status = RunStatus.FAILED
    elif StepStatus.WAITING in statuses:
        status = RunStatus.REMOVING if removing else RunStatus.WAITING
    elif statuses <= {StepStatus.DONE, StepStatus.SKIPPED}:
        status = RunStatus.REMOVED if removing else RunStatus.DONE
    elif removing:
        status = RunStatus.REMOVING
    else:
        started = steps.filter(attempts__gt=0).exists()
        status = RunStatus.RUNNING if started else RunStatus.NOT_STARTED
    if status == run.status:
        return
    run.status, run.updated_at = status, now
    run.save(update_fields=["status", "updated_at"])
    if status == RunStatus.REMOVED:
        if run.service.decommission_requested_at is not None:
            enqueue_on_commit(DECOMMISSION_TASK, str(run.service_id))
        audit_record(
            actor=Actor.system(),
            action="direct_routing.removed",
            target=run.service,
            provider_id=run.provider_id,
            customer_id=run.service.customer_id,
            new={"label": run.label},
        )


def _audit(run: Provisioning, step: ProvisioningStep) -> None:
    audit_record(
        actor=Actor.system(),
        action=f"direct_routing.step_{'failed' if step.status == StepStatus.FAILED else 'done'}",
        target=run.service,
        provider_id=run.provider_id,
        customer_id=run.service.customer_id,
        new={"step": step.name, "attempts": step.attempts, "message": step.message},
    )


def _clock(when) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")
