"""The steps, as data: a table from step name to a small function ``step(ctx) -> Outcome`` that
first reads what exists, then acts. The driver (``machine``) is written once; a step not in the
table yet waits for its code (``preflight`` … need Graph writes the sandbox does not have yet)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from onramp.directrouting.labels import label_errors
from onramp.directrouting.models import Provisioning, ProvisioningStep, StepName, StepStatus
from onramp.tenancy.models import Provider

NO_SBC_DOMAIN = (
    "The provider has no SBC domain: add one in its Direct Routing settings, then retry."
)


@dataclass(frozen=True)
class StepContext:
    run: Provisioning
    step: ProvisioningStep
    provider: Provider
    now: datetime


@dataclass(frozen=True)
class Outcome:
    """What a step found: ``done``, ``waiting`` (look again in ``retry_in``), ``failed`` with
    ``transient`` (retried with backoff, at least ``retry_in``) or not (stopped: the message
    says what the operator must do)."""

    status: StepStatus
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    transient: bool = False
    retry_in: timedelta | None = None

    @classmethod
    def done(cls, message: str, **detail: Any) -> Outcome:
        return cls(StepStatus.DONE, message, detail)

    @classmethod
    def waiting(cls, message: str, retry_in: timedelta) -> Outcome:
        return cls(StepStatus.WAITING, message, retry_in=retry_in)

    @classmethod
    def retry(cls, message: str, retry_in: timedelta | None = None) -> Outcome:
        return cls(StepStatus.FAILED, message, transient=True, retry_in=retry_in)

    @classmethod
    def fail(cls, message: str) -> Outcome:
        return cls(StepStatus.FAILED, message)


def subdomains(label: str, sbc_domains: list[str]) -> list[str]:
    return [f"{label}.{domain}" for domain in sbc_domains]


def plan(ctx: StepContext) -> Outcome:
    """The sub-domains, one per SBC domain of the provider, from the label proposed (or edited)
    earlier; checked again against the SBC domains as they are now."""
    domains = list(ctx.provider.sbc_domains)
    if not domains:
        return Outcome.fail(NO_SBC_DOMAIN)
    if problems := label_errors(ctx.run.label, taken=(), sbc_domains=domains):
        return Outcome.fail(
            f"The label '{ctx.run.label}' does not fit: {problems[0]} Edit the label, then retry."
        )
    names = subdomains(ctx.run.label, domains)
    return Outcome.done(f"Sub-domains: {', '.join(names)}.", subdomains=names)


SCRIPT_WAIT = timedelta(hours=6)  # the operator's confirmation makes the step due at once
SCRIPT_WAITING = (
    "Download the Teams voice script, run it in PowerShell as a Teams Administrator of the "
    "customer's tenant, then confirm that it ran."
)


def teams_voice(ctx: StepContext) -> Outcome:
    """Voice routing exists only in Teams PowerShell: the operator runs the generated script
    (``teams_script``) and confirms; until then the step waits."""
    confirmed = ctx.run.teams_script_confirmed_at
    if confirmed is None:
        return Outcome.waiting(SCRIPT_WAITING, SCRIPT_WAIT)
    return Outcome.done(
        f"An operator confirmed the Teams voice script ran ({confirmed:%Y-%m-%d %H:%M} UTC)."
    )


STEPS: dict[str, Callable[[StepContext], Outcome]] = {
    StepName.PLAN: plan,
    StepName.TEAMS_VOICE: teams_voice,
}
