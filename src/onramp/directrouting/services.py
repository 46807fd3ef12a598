"""Writes of Direct Routing provisioning: the run proposed for an active service, its label
edited, provisioning started, the operator's confirmations and numbers (the sweep is in
sweep.py)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState
from onramp.directrouting.labels import ascii_label, derive_label, label_errors
from onramp.directrouting.machine import step_enqueue
from onramp.directrouting.models import (
    FORWARD_STEPS,
    REMOVAL_STEPS,
    Provisioning,
    ProvisioningStep,
    RunStatus,
    StepName,
    StepStatus,
)
from onramp.directrouting.numbers import number_rows_errors
from onramp.services.models import Service, ServiceStatus

NOT_ACTIVE = "Direct Routing is provisioned for active services only."
LABEL_FIXED = "The sub-domain label can no longer change: the domain step has run."
ACTIVATION_NOT_YET = (
    "Teams activation can be marked done once the activation user exists (the activation user "
    "step is done)."
)
SKU_FIXED = "The activation user has its license already: the SKU can no longer change."
SKU_MAX = 64
NO_NUMBERS_YET = "Start provisioning first: numbers are assigned after Teams voice routing."
NO_PROPOSAL = "Preflight has not proposed a license yet: start provisioning first."
SKU_RULE = "Enter a SKU part number such as ENTERPRISEPACK (at most 64 characters)."
SCRIPT_NOT_YET = (
    "The Teams voice script can be confirmed once Teams has activated the sub-domains (the Teams "
    "activation step is done): before that, Teams refuses the derived trunks."
)
PROPOSE_TRIES = 5
REMOVED = (
    "Direct Routing is being removed from this service: provisioning can start again once "
    "removal is done."
)
WAS_REMOVED = "Direct Routing was removed from this service: start provisioning again first."
DECOMMISSIONING = "The service is being decommissioned: provisioning cannot go on."


def provisioning_propose(*, service: Service) -> Provisioning | None:
    """The run of an active service, created with its label derived from the short name (SPEC
    Plan) and every step pending; the existing one when there is one. None for a service that
    is not active. A label taken concurrently by another service is derived again."""
    for _ in range(PROPOSE_TRIES):
        try:
            with transaction.atomic():
                return _propose(service)
        except IntegrityError:
            continue
    raise IntegrityError(f"no free sub-domain label for service {service.pk}")


def _propose(service: Service) -> Provisioning | None:
    service = Service.objects.select_for_update().select_related("provider").get(pk=service.pk)
    existing = Provisioning.objects.filter(service=service).first()
    if existing is not None or service.status != ServiceStatus.ACTIVE:
        return existing
    if service.decommission_requested_at is not None:
        return None  # being decommissioned: nothing new in its tenant
    now = timezone.now()
    taken = set(
        Provisioning.objects.filter(provider_id=service.provider_id).values_list("label", flat=True)
    )
    run = Provisioning.objects.create(
        service=service,
        provider_id=service.provider_id,
        label=derive_label(
            service.short_name, taken=taken, sbc_domains=service.provider.sbc_domains
        ),
        created_at=now,
        updated_at=now,
    )
    ProvisioningStep.objects.bulk_create(
        ProvisioningStep(provisioning=run, name=name, position=i, updated_at=now)
        for i, name in enumerate(FORWARD_STEPS)
    )
    audit_record(
        actor=Actor.system(),
        action="direct_routing.proposed",
        target=service,
        provider_id=service.provider_id,
        customer_id=service.customer_id,
        new={"label": run.label},
    )
    return run


def provisioning_label_set(*, actor: Actor, service: Service, label: str) -> Provisioning:
    """The operator's label, until the domain step has run (409 after); 422 for a label DNS
    cannot hold, one another service of the provider uses, or one too long for Entra ID. The
    run is proposed in the same transaction: a refused label leaves none behind."""
    require_actor(actor, "direct_routing.manage")
    label = label.strip()
    with transaction.atomic():
        run = provisioning_propose(service=service)
        if run is None:
            raise InvalidState(NOT_ACTIVE)
        run = Provisioning.objects.select_for_update().select_related("provider").get(pk=run.pk)
        domain = run.steps.get(name=StepName.DOMAIN)
        if domain.status != StepStatus.PENDING or domain.attempts:
            raise InvalidState(LABEL_FIXED)
        taken = set(
            Provisioning.objects.filter(provider_id=run.provider_id)
            .exclude(pk=run.pk)
            .values_list("label", flat=True)
        )
        if errors := label_errors(label, taken=taken, sbc_domains=run.provider.sbc_domains):
            raise InvalidInput({"subdomain_label": errors})
        old, run.label, run.updated_at = run.label, ascii_label(label), timezone.now()
        if run.label != old:
            run.save(update_fields=["label", "updated_at"])
            audit_record(
                actor=actor,
                action="direct_routing.label_changed",
                target=service,
                provider_id=run.provider_id,
                customer_id=service.customer_id,
                old={"label": old},
                new={"label": run.label},
            )
    return run


def provisioning_start(
    *,
    actor: Actor,
    service: Service,
    confirm_sku: bool = False,
    activation_sku: str | None = None,
) -> Provisioning:
    """Start or resume: the first step not done is due now (a failed one retried afresh).
    ``confirm_sku`` (the API's start, CONTRACT §4) is also the operator's confirmation of the
    activation user's license: ``activation_sku`` when given, else the one preflight proposes."""
    require_actor(actor, "direct_routing.manage")
    sku = _sku_checked(activation_sku) if activation_sku is not None else ""
    run = provisioning_propose(service=service)
    if run is None:
        raise InvalidState(NOT_ACTIVE)
    now = timezone.now()
    with transaction.atomic():
        run = _forward_run(run, again=True, now=now)
        if confirm_sku and run.steps.get(name=StepName.ACTIVATION_USER).status != StepStatus.DONE:
            _sku_record(run, sku or run.activation_sku or _proposed(run), now)
        step = step_resume(run, run.steps.all(), now)
        audit_record(
            actor=actor,
            action="direct_routing.started",
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"step": step.name if step else None},
        )
    return run


def step_resume(
    run: Provisioning, steps: QuerySet[ProvisioningStep], now
) -> ProvisioningStep | None:
    """The first of ``steps`` not finished made due now and enqueued (a failed one retried
    afresh, a running one left to its worker); None when every one is finished."""
    step = steps.exclude(status__in=[StepStatus.DONE, StepStatus.SKIPPED]).first()
    if step is not None and step.status != StepStatus.RUNNING:
        step.status, step.next_attempt_at, step.updated_at = StepStatus.PENDING, now, now
        if step.attempts and step.finished_at:
            step.attempts, step.finished_at = 0, None
        step.save()
        step_enqueue(run, step.name)
    return step


def provisioning_sku_confirm(*, actor: Actor, service: Service, sku: str) -> Provisioning:
    """The operator confirms the activation user's license (a SKU part number); preflight,
    waiting for it, runs again at once. Refused (409) once the activation user has its license."""
    require_actor(actor, "direct_routing.manage")
    sku = _sku_checked(sku)
    run = started_run(service, NO_PROPOSAL)
    now = timezone.now()
    with transaction.atomic():
        run = _forward_run(run)
        if run.steps.get(name=StepName.ACTIVATION_USER).status == StepStatus.DONE:
            raise InvalidState(SKU_FIXED)
        _sku_record(run, sku, now)
        step_make_due(run, StepName.PREFLIGHT, now)
        audit_record(
            actor=actor,
            action="direct_routing.sku_confirmed",
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"activation_sku": sku},
        )
    return run


def started_run(service: Service, refusal: str) -> Provisioning:
    """The service's run, for what only a run under way can take (409 without one)."""
    run = Provisioning.objects.filter(service=service).first()
    if run is None:
        raise InvalidState(refusal)
    return run


def _forward_run(run: Provisioning, *, again: bool = False, now=None) -> Provisioning:
    """The run locked, for a forward write: refused (409) while removal runs, once it is done
    (unless starting ``again``) and while the service is being decommissioned."""
    run = Provisioning.objects.select_for_update().select_related("service").get(pk=run.pk)
    if run.service.decommission_requested_at is not None:
        raise InvalidState(DECOMMISSIONING)
    if run.steps.filter(name__in=REMOVAL_STEPS).exists():
        if run.status != RunStatus.REMOVED:
            raise InvalidState(REMOVED)
        if not again:
            raise InvalidState(WAS_REMOVED)
        _begin_again(run, now)
    return run


def _begin_again(run: Provisioning, now) -> None:
    """A removed run provisioned again from the start: removal's steps dropped (the audit
    keeps them), every forward step pending afresh and the operator's confirmations asked for
    again, since removal undid what they confirmed; the label and the numbers are kept."""
    run.steps.filter(name__in=REMOVAL_STEPS).delete()
    run.steps.update(
        status=StepStatus.PENDING,
        attempts=0,
        next_attempt_at=None,
        message="",
        detail={},
        started_at=None,
        finished_at=None,
        updated_at=now,
    )
    run.status, run.updated_at = RunStatus.NOT_STARTED, now
    run.activation_sku, run.activation_sku_confirmed, run.reclaim_license = "", False, False
    run.teams_activation_confirmed_at = run.teams_script_confirmed_at = None
    run.teams_teardown_confirmed_at = None
    run.save()


def _sku_checked(sku: str) -> str:
    sku = sku.strip()
    if not sku or len(sku) > SKU_MAX or not sku.isprintable():
        raise InvalidInput({"activation_sku": [SKU_RULE]})
    return sku


def _proposed(run: Provisioning) -> str:
    """Preflight's proposal, once it ran ("" before: preflight then takes its own)."""
    return run.steps.get(name=StepName.PREFLIGHT).detail.get("proposed") or ""


def _sku_record(run: Provisioning, sku: str, now) -> None:
    run.activation_sku, run.activation_sku_confirmed, run.updated_at = sku, True, now
    run.save(update_fields=["activation_sku", "activation_sku_confirmed", "updated_at"])


def step_make_due(run: Provisioning, name: StepName, now) -> None:
    """A step waiting (or stopped) for the operator becomes due now and is enqueued."""
    step = run.steps.get(name=name)
    if step.status in (StepStatus.PENDING, StepStatus.WAITING, StepStatus.FAILED):
        if step.status == StepStatus.FAILED:
            step.status = StepStatus.PENDING
        step.next_attempt_at, step.updated_at = now, now
        step.save(update_fields=["status", "next_attempt_at", "updated_at"])
        step_enqueue(run, step.name)


def provisioning_teams_activation_confirm(
    *, actor: Actor, service: Service, reclaim_license: bool = False
) -> Provisioning:
    """The operator marks Teams activation done (it saw the domain active in Teams); the
    ``teams_activation`` step then finishes at once, removing the activation users' licenses
    when ``reclaim_license``. Repeating it changes nothing."""
    return _confirm(
        actor=actor,
        service=service,
        extra={"reclaim_license": reclaim_license},
        field="teams_activation_confirmed_at",
        step=StepName.TEAMS_ACTIVATION,
        after=StepName.ACTIVATION_USER,
        refusal=ACTIVATION_NOT_YET,
        action="direct_routing.teams_activation_confirmed",
    )


def provisioning_teams_script_confirm(*, actor: Actor, service: Service) -> Provisioning:
    """The operator confirms the Teams voice script ran; the ``teams_voice`` step then finishes
    at once. Repeating it changes nothing."""
    return _confirm(
        actor=actor,
        service=service,
        field="teams_script_confirmed_at",
        step=StepName.TEAMS_VOICE,
        after=StepName.TEAMS_ACTIVATION,
        refusal=SCRIPT_NOT_YET,
        action="direct_routing.teams_script_confirmed",
    )


def _confirm(
    *,
    actor: Actor,
    service: Service,
    extra: dict[str, bool] | None = None,
    field: str,
    step: StepName,
    after: StepName,
    refusal: str,
    action: str,
) -> Provisioning:
    """An operator's confirmation that ``step`` waits for, accepted once ``after`` is done:
    recorded and audited once, the step made due now. A flag of ``extra`` asked for later (the
    license reclaimed after Teams activation was seen) runs a finished step once more."""
    require_actor(actor, "direct_routing.manage")
    run = started_run(service, refusal)
    now = timezone.now()
    with transaction.atomic():
        run = _forward_run(run)
        asked = {name: True for name, value in (extra or {}).items() if value}
        new = {name: value for name, value in asked.items() if getattr(run, name) != value}
        if getattr(run, field) is not None and not new:
            return run
        if run.steps.get(name=after).status != StepStatus.DONE:
            raise InvalidState(refusal)
        changes = {field: getattr(run, field) or now, **new}
        for name, value in changes.items():
            setattr(run, name, value)
        run.updated_at = now
        run.save(update_fields=[*changes, "updated_at"])
        if new:
            run.steps.filter(name=step, status=StepStatus.DONE).update(
                status=StepStatus.PENDING, attempts=0, finished_at=None
            )
        step_make_due(run, step, now)
        audit_record(
            actor=actor,
            action=action,
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"step": str(step), **(extra or {})},
        )
    return run


def provisioning_numbers_set(
    *, actor: Actor, service: Service, rows: list[dict[str, str]]
) -> Provisioning:
    """The Direct Routing numbers to assign (user principal name → E.164 number), replacing the
    list; the ``numbers`` step runs (again) once Teams voice routing is done. 422 naming each
    bad row; nothing is kept then."""
    require_actor(actor, "direct_routing.manage")
    cleaned = [
        {
            "user_principal_name": row["user_principal_name"].strip(),
            "phone_number": row["phone_number"].strip(),
        }
        for row in rows
    ]
    if problems := number_rows_errors(cleaned):
        raise InvalidInput({"numbers": problems})
    run = started_run(service, NO_NUMBERS_YET)
    now = timezone.now()
    with transaction.atomic():
        run = _forward_run(run)
        run.numbers, run.updated_at = cleaned, now
        run.save(update_fields=["numbers", "updated_at"])
        step = run.steps.get(name=StepName.NUMBERS)
        if run.steps.get(name=StepName.TEAMS_VOICE).status == StepStatus.DONE:
            if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
                step.status, step.attempts, step.finished_at = StepStatus.PENDING, 0, None
                step.save(update_fields=["status", "attempts", "finished_at"])
            step_make_due(run, StepName.NUMBERS, now)
        audit_record(
            actor=actor,
            action="direct_routing.numbers_set",
            target=service,
            provider_id=run.provider_id,
            customer_id=service.customer_id,
            new={"rows": len(cleaned)},
        )
    return run
