"""The steps, as data: a table from step name to a small function ``step(ctx) -> Outcome`` that
first reads what exists, then acts. The driver (``machine``) is written once; a step not in the
table would wait for its code. The steps that talk to the customer's tenant are in
``tenant_steps`` and ``numbers``."""

from __future__ import annotations

from collections.abc import Callable

from onramp.directrouting.labels import label_errors, subdomains
from onramp.directrouting.models import StepName
from onramp.directrouting.numbers import numbers
from onramp.directrouting.outcome import Outcome, StepContext, script_confirmed
from onramp.directrouting.removal_steps import (
    activation_user_deleted,
    dns_record_deleted,
    domain_removed,
    numbers_unassigned,
    teams_teardown,
)
from onramp.directrouting.tenant_steps import (
    activation_user,
    dns_record,
    domain,
    domain_verified,
    preflight,
    teams_activation,
)

NO_SBC_DOMAIN = (
    "The provider has no SBC domain: add one in its Direct Routing settings, then retry."
)


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


SCRIPT_WAITING = (
    "Download the Teams voice script, run it in PowerShell as a Teams Administrator of the "
    "customer's tenant, then confirm that it ran."
)


def teams_voice(ctx: StepContext) -> Outcome:
    """Voice routing exists only in Teams PowerShell: the operator runs the generated script
    (``teams_script``) and confirms; until then the step waits."""
    return script_confirmed(ctx.run.teams_script_confirmed_at, SCRIPT_WAITING, "Teams voice script")


STEPS: dict[str, Callable[[StepContext], Outcome]] = {
    StepName.PLAN: plan,
    StepName.PREFLIGHT: preflight,
    StepName.DOMAIN: domain,
    StepName.DNS_RECORD: dns_record,
    StepName.DOMAIN_VERIFIED: domain_verified,
    StepName.ACTIVATION_USER: activation_user,
    StepName.TEAMS_ACTIVATION: teams_activation,
    StepName.TEAMS_VOICE: teams_voice,
    StepName.NUMBERS: numbers,
    StepName.NUMBERS_UNASSIGNED: numbers_unassigned,
    StepName.ACTIVATION_USER_DELETED: activation_user_deleted,
    StepName.DOMAIN_REMOVED: domain_removed,
    StepName.DNS_RECORD_DELETED: dns_record_deleted,
    StepName.TEAMS_TEARDOWN: teams_teardown,
}
