"""Remove Direct Routing: the steps backwards (``REMOVAL_STEPS``) on the same driver as the
forward ones, and the operator's confirmation that the Teams teardown script ran."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidState
from onramp.directrouting.machine import run_status_refresh
from onramp.directrouting.models import (
    FORWARD_STEPS,
    REMOVAL_STEPS,
    Provisioning,
    ProvisioningStep,
    StepName,
    StepStatus,
)
from onramp.directrouting.services import started_run, step_make_due, step_resume
from onramp.services.models import Service

NOTHING_TO_REMOVE = (
    "No Direct Routing step has run for this service yet: there is nothing to remove."
)
STEP_RUNNING = (
    "The step '{step}' is running: Remove Direct Routing can start once it has finished (the "
    "page refreshes itself; a step whose worker stopped is taken up again within minutes)."
)
STOPPED = "Stopped: Direct Routing is being removed."
TEARDOWN_NOT_YET = (
    "The Teams teardown script can be confirmed once Remove Direct Routing has reached it."
)


def provisioning_remove(*, actor: Actor, service: Service) -> Provisioning:
    """Remove Direct Routing: the steps backwards (``REMOVAL_STEPS``), driven like the forward
    ones. Refused (409) before any step ran (nothing to remove) and while a forward step is
    running, since it may be creating what removal would look for; the forward steps not
    finished are stopped. Asking again resumes (a failed
    removal step is retried afresh) and changes nothing else."""
    require_actor(actor, "direct_routing.manage")
    run = started_run(service, NOTHING_TO_REMOVE)
    now = timezone.now()
    with transaction.atomic():
        run = Provisioning.objects.select_for_update().get(pk=run.pk)
        if running := run.steps.filter(name__in=FORWARD_STEPS, status=StepStatus.RUNNING).first():
            raise InvalidState(STEP_RUNNING.format(step=running.get_name_display()))
        begun = run.steps.filter(name__in=REMOVAL_STEPS).exists()
        if not begun and not run.steps.filter(attempts__gt=0).exists():
            raise InvalidState(NOTHING_TO_REMOVE)
        if not begun:
            run.steps.exclude(status__in=[StepStatus.DONE, StepStatus.SKIPPED]).update(
                status=StepStatus.SKIPPED, next_attempt_at=None, message=STOPPED, updated_at=now
            )
            ProvisioningStep.objects.bulk_create(
                ProvisioningStep(provisioning=run, name=name, position=i, updated_at=now)
                for i, name in enumerate(REMOVAL_STEPS, start=len(FORWARD_STEPS))
            )
        step = step_resume(run, run.steps.filter(name__in=REMOVAL_STEPS), now)
        run_status_refresh(run, now)
        audit_record(
            actor=actor,
            action=f"direct_routing.remove_{'resumed' if begun else 'started'}",
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"step": step.name if step else None},
        )
    return run


def provisioning_teams_teardown_confirm(*, actor: Actor, service: Service) -> Provisioning:
    """The operator confirms the Teams teardown script ran; the ``teams_teardown`` step then
    finishes at once. Repeating it changes nothing."""
    require_actor(actor, "direct_routing.manage")
    run = started_run(service, TEARDOWN_NOT_YET)
    now = timezone.now()
    with transaction.atomic():
        run = Provisioning.objects.select_for_update().get(pk=run.pk)
        if run.teams_teardown_confirmed_at is not None:
            return run
        step = run.steps.filter(name=StepName.TEAMS_TEARDOWN).first()
        if step is None:
            raise InvalidState(TEARDOWN_NOT_YET)
        run.teams_teardown_confirmed_at = run.updated_at = now
        run.save(update_fields=["teams_teardown_confirmed_at", "updated_at"])
        if step.status in (StepStatus.WAITING, StepStatus.FAILED):  # not before its turn
            step_make_due(run, StepName.TEAMS_TEARDOWN, now)
        audit_record(
            actor=actor,
            action="direct_routing.teams_teardown_confirmed",
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"step": str(StepName.TEAMS_TEARDOWN)},
        )
    return run
