"""Reads of Direct Routing provisioning, scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from onramp.accounts.models import Operator
from onramp.accounts.scoping import scoped
from onramp.core.errors import InvalidState
from onramp.directrouting.labels import derive_label, subdomains
from onramp.directrouting.models import (
    FORWARD_STEPS,
    REMOVAL_STEPS,
    Provisioning,
    ProvisioningStep,
    RunStatus,
    StepName,
    StepStatus,
)
from onramp.directrouting.teams_script import (
    TeamsVoicePlan,
    teams_teardown_script,
    teams_voice_script,
)
from onramp.services.models import Service, ServiceStatus
from onramp.services.selectors import connection_of

NO_SCRIPT = "The Teams voice script is made for an active service with a working connection."


def direct_routing_rows(operator: Operator) -> QuerySet[Service]:
    """Every service in scope with its run (if any) and provider preloaded: what the
    provider's SBCs need to know (CONTRACT ``GET /api/v1/direct-routing``)."""
    return scoped(Service.objects.select_related("provider", "provisioning"), operator, "customer")


def run_of(service: Service) -> Provisioning | None:
    try:
        return service.provisioning
    except Provisioning.DoesNotExist:
        return None


def service_subdomains(service: Service) -> list[str]:
    """``label.<SBC domain>`` for each SBC domain of the provider; [] before a run exists."""
    run = run_of(service)
    return run_subdomains(run) if run else []


def run_subdomains(run: Provisioning) -> list[str]:
    return subdomains(run.label, list(run.service.provider.sbc_domains))


def service_run_status(service: Service) -> str:
    run = run_of(service)
    return run.status if run else RunStatus.NOT_STARTED


def teams_script_for(service: Service, *, teardown: bool = False) -> str:
    """The ``teams_voice`` step's PowerShell for this service (CONTRACT
    ``GET …/direct-routing/teams-script``), or with ``teardown`` the script of Remove Direct
    Routing that undoes it: its tenant, its sub-domains as they are now."""
    run, _ = run_or_proposal(service)
    connection = connection_of(service)
    if run is None or connection is None or not connection.tenant_id:
        raise InvalidState(NO_SCRIPT)
    write = teams_teardown_script if teardown else teams_voice_script
    return write(
        TeamsVoicePlan(
            tenant_id=connection.tenant_id,
            label=run.label,
            subdomains=run_subdomains(run),
            service_name=service.short_name,
        )
    )


def teams_script_filename(service: Service, *, teardown: bool = False) -> str:
    run, _ = run_or_proposal(service)
    kind = "teams-teardown" if teardown else "teams-voice"
    return f"onramp-{kind}-{run.label if run else 'service'}.ps1"


@dataclass(frozen=True)
class StepView:
    """One line of the Direct Routing stepper: the step and what an operator can do there."""

    step: ProvisioningStep
    actions: frozenset[str]

    @property
    def current(self) -> bool:
        return self.step.status in (StepStatus.RUNNING, StepStatus.WAITING, StepStatus.FAILED)


def run_or_proposal(service: Service) -> tuple[Provisioning | None, list[ProvisioningStep]]:
    """The service's run and its steps; for an active service without one yet, the run that
    would be proposed (label derived, every step pending), unsaved: a read writes nothing, and
    the first write (label, start) proposes it for real."""
    run = run_of(service)
    if run is not None:
        return run, list(run.steps.all())
    if service.status != ServiceStatus.ACTIVE:
        return None, []
    taken = Provisioning.objects.filter(provider_id=service.provider_id).values_list(
        "label", flat=True
    )
    sbc_domains = service.provider.sbc_domains
    proposal = Provisioning(
        service=service,
        provider_id=service.provider_id,
        label=derive_label(service.short_name, taken=set(taken), sbc_domains=sbc_domains),
    )
    steps = [
        ProvisioningStep(provisioning=proposal, name=name, position=i)
        for i, name in enumerate(FORWARD_STEPS)
    ]
    return proposal, steps


def provisioning_view(steps: list[ProvisioningStep], now: datetime) -> dict[str, Any]:
    """The run's steps as the Direct Routing tab shows them: each with its actions (``retry``,
    ``label``, ``confirm_sku``, ``script``, ``numbers``, ``confirm_activation``,
    ``confirm_script``; on removal ``retry_removal``, ``teardown_script``,
    ``confirm_teardown``), whether anything is moving (the page then refreshes itself) and
    whether the label may still change."""
    status = {step.name: step.status for step in steps}
    removing = any(step.name in REMOVAL_STEPS for step in steps)
    done = {name for name, state in status.items() if state == StepStatus.DONE}
    domain = next(step for step in steps if step.name == StepName.DOMAIN)
    label_editable = domain.status == StepStatus.PENDING and not domain.attempts
    rows = []
    for step in steps:
        actions = set()
        if step.status == StepStatus.FAILED:
            actions.add("retry_removal" if step.name in REMOVAL_STEPS else "retry")
        if step.name == StepName.PLAN and label_editable:
            actions.add("label")
        if (
            step.name == StepName.PREFLIGHT
            and step.status in (StepStatus.WAITING, StepStatus.FAILED)
            and step.detail.get("candidates")
            and StepName.ACTIVATION_USER not in done
        ):
            actions.add("confirm_sku")
        if step.name == StepName.TEAMS_ACTIVATION and step.status != StepStatus.DONE:
            if StepName.ACTIVATION_USER in done:
                actions.add("confirm_activation")
        if step.name == StepName.NUMBERS:
            actions.add("numbers")
        if step.name == StepName.TEAMS_TEARDOWN:
            actions.add("teardown_script")
            if step.status in (StepStatus.WAITING, StepStatus.FAILED):
                actions.add("confirm_teardown")
        if step.name == StepName.TEAMS_VOICE:
            actions.add("script")
            if step.status != StepStatus.DONE and StepName.TEAMS_ACTIVATION in done:
                actions.add("confirm_script")
        if removing and step.name not in REMOVAL_STEPS:
            actions.clear()  # provisioning stopped: only removal's actions remain
        rows.append(StepView(step, frozenset(actions)))
    moving = any(  # a step running, or due now (one the operator just confirmed, too)
        step.status == StepStatus.RUNNING
        or (
            step.status in (StepStatus.PENDING, StepStatus.WAITING)
            and step.next_attempt_at is not None
            and step.next_attempt_at <= now
        )
        for step in steps
    )
    return {
        "steps": rows,
        "moving": moving,
        "label_editable": label_editable,
        "removing": removing,
    }
