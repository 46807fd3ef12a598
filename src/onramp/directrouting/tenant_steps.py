"""The steps that act in the customer's tenant (SPEC "Direct Routing provisioning" 2 to 4), each
reading what exists before it writes, with the connection's own app-only Graph token.

A refusal from Microsoft arrives as ``GraphWriteError`` and a DNS failure as ``DnsError``; the
driver turns both into a retry (transient) or a stop (permanent, with their message). What a step
must explain itself (no free license, no country, a domain of another tenant) it answers here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

from onramp.connections.models import TenantConnection
from onramp.connections.services import held_credential
from onramp.core.backoff import doubling
from onramp.directrouting.dns import ManualBackend, TxtRecord
from onramp.directrouting.dns_settings import dns_backend_for
from onramp.directrouting.labels import subdomains
from onramp.directrouting.models import Provisioning, StepName
from onramp.directrouting.outcome import Outcome, StepContext
from onramp.m365.graph_writes import GraphWriteError
from onramp.m365.provisioning import (
    BAD_LOCATION,
    NO_UNITS,
    OTHER_TENANT,
    VERIFY_NOT_FOUND,
    Sku,
    TenantGraph,
    app_token,
)
from onramp.m365.validation import get_client
from onramp.services.selectors import connection_of

ACTIVATION_USER = "teams-activation"
CONFIRM_WAIT = timedelta(hours=6)  # the operator's confirmation makes the step due at once
DNS_CHECK = timedelta(minutes=5)
VERIFY_FIRST, VERIFY_MAX = timedelta(minutes=2), timedelta(hours=1)
TEAMS_CHECK = timedelta(minutes=15)
# What the steps call, by the permission that allows it (any of the set will do).
NEEDED = {
    "Domain.ReadWrite.All": {"Domain.ReadWrite.All"},
    "User.ReadWrite.All": {"User.ReadWrite.All", "Directory.ReadWrite.All"},
    "Organization.Read.All": {
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "LicenseAssignment.Read.All",
        "LicenseAssignment.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    },
}
TEAMS_READ = "TeamsUserConfiguration.Read.All"


def tenant_graph(ctx: StepContext) -> tuple[TenantGraph, list[str]]:
    return connection_graph(connection_of(ctx.run.service))


def connection_graph(connection: TenantConnection | None) -> tuple[TenantGraph, list[str]]:
    """Graph in the customer's tenant with the connection's app-only token, and its roles."""
    if connection is None:
        raise GraphWriteError("refused", "The service has no connection to its tenant.")
    transport = get_client().transport
    token, roles = app_token(
        transport,
        tenant_id=connection.tenant_id,
        client_id=connection.client_id,
        credential=held_credential(connection),
    )
    return TenantGraph(transport, token), roles


def sub_domains(ctx: StepContext) -> list[str]:
    return subdomains(ctx.run.label, ctx.provider.sbc_domains)


def listed(names: list[str]) -> str:
    return ", ".join(names)


# --- preflight -------------------------------------------------------------------------------


def preflight(ctx: StepContext) -> Outcome:
    """The permissions the coming steps need; the activation user's license (Teams, a free
    unit), proposed and confirmed by the operator; Teams Phone units against licensed users."""
    graph, roles = tenant_graph(ctx)
    missing = [name for name, allowing in NEEDED.items() if not allowing & set(roles)]
    if missing:
        return Outcome.fail(
            f"The app registration lacks {listed(missing)}, which the next steps need: add "
            "them under API permissions, Grant admin consent for the tenant, then retry."
        )
    skus = graph.subscribed_skus()
    candidates = sorted(
        (sku for sku in skus if sku.has_teams and sku.free > 0),
        key=lambda sku: (sku.has_phone, -sku.free, sku.part_number),
    )
    users = ctx.run.service.licensed_users
    phone = sum(sku.enabled for sku in skus if sku.has_phone)
    warnings = []
    if phone < users:
        short = users - phone
        warnings.append(
            f"The tenant has {phone} Teams Phone licenses for {users} licensed users: {short} "
            f"more {'is' if short == 1 else 'are'} needed before every user can have a number."
        )
    if TEAMS_READ not in roles:
        warnings.append(
            f"Without {TEAMS_READ} Onramp cannot see when Teams has activated the domain: "
            "grant it, or mark Teams activation done yourself."
        )
    detail: dict[str, Any] = {
        "proposed": candidates[0].part_number if candidates else None,
        "candidates": [
            {"sku_part_number": s.part_number, "sku_id": s.sku_id, "free": s.free}
            for s in candidates
        ],
        "teams_phone_units": phone,
        "warnings": warnings,
    }
    if not candidates:
        return Outcome.fail(
            "No license with Microsoft Teams has a free unit in the customer's tenant, and the "
            "activation user needs one: free or buy one (Microsoft 365 admin center → Billing → "
            "Licenses), then retry.",
            **detail,
        )
    run = ctx.run
    chosen = run.activation_sku or (
        candidates[0].part_number if run.activation_sku_confirmed else ""
    )
    if not chosen:
        return Outcome.waiting(
            f"Confirm the license for the activation user: Onramp proposes "
            f"{candidates[0].part_number} ({candidates[0].free} free). It takes a paid seat.",
            CONFIRM_WAIT,
            **detail,
        )
    sku = next((s for s in candidates if s.part_number == chosen), None)
    if sku is None:
        return Outcome.fail(
            f"The confirmed license {chosen} has no free unit with Microsoft Teams in the "
            "customer's tenant: confirm another one, then retry.",
            **detail,
        )
    if not run.activation_sku:
        Provisioning.objects.filter(pk=run.pk, activation_sku="").update(activation_sku=chosen)
    return Outcome.done(
        f"Activation user's license: {chosen} ({sku.free} free).", **detail, activation_sku=chosen
    )


# --- the domain ----------------------------------------------------------------------------


def domain(ctx: StepContext) -> Outcome:
    """Each sub-domain in the tenant: added, or adopted when it is there already."""
    graph, _ = tenant_graph(ctx)
    added, adopted = [], []
    for name in sub_domains(ctx):
        if graph.domain_get(name) is not None:
            adopted.append(name)
            continue
        try:
            graph.domain_add(name)
        except GraphWriteError as exc:
            if OTHER_TENANT in exc.message:
                return Outcome.fail(
                    f"The domain {name} is already verified in another Microsoft 365 tenant. "
                    "Remove it from that tenant (or ask Microsoft support to release it), then "
                    "retry."
                )
            raise
        added.append(name)
    parts = []
    if added:
        parts.append(f"Added to the tenant: {listed(added)}.")
    if adopted:
        parts.append(f"Already in the tenant: {listed(adopted)}.")
    return Outcome.done(" ".join(parts), added=added, adopted=adopted)


def dns_record(ctx: StepContext) -> Outcome:
    """Each unverified sub-domain's TXT record, published through the provider's DNS backend
    (the manual backend: shown, then looked up until it answers)."""
    graph, _ = tenant_graph(ctx)
    backend = dns_backend_for(ctx.provider)
    records, waiting = [], []
    for name in sub_domains(ctx):
        found = graph.domain_get(name)
        if found is None:
            return Outcome.fail(
                f"The domain {name} is no longer in the customer's tenant: retry from the "
                "domain step."
            )
        if found.get("isVerified"):
            continue
        record = TxtRecord(name, graph.verification_txt(name))
        records.append({"name": record.fqdn, "value": record.value})
        if isinstance(backend, ManualBackend):
            if not backend.check(record):
                waiting.append(backend.instructions(record))
        elif record.value not in backend.read(record.name):
            backend.publish(record)
    if waiting:
        return Outcome.waiting(
            "Publish these records in your DNS; Onramp looks for them every few minutes: "
            + " ".join(waiting),
            DNS_CHECK,
            records=records,
        )
    if not records:
        return Outcome.done("Every sub-domain is verified already: no record needed.", records=[])
    shown = [f"{record['name']} TXT {record['value']}" for record in records]
    return Outcome.done(f"Published: {listed(shown)}.", records=records)


def domain_verified(ctx: StepContext) -> Outcome:
    """Microsoft verifies each sub-domain; while DNS propagates the step waits, backing off,
    for up to ``ONRAMP_DOMAIN_VERIFY_HOURS`` after the record was published."""
    graph, _ = tenant_graph(ctx)
    pending = []
    for name in sub_domains(ctx):
        found = graph.domain_get(name)
        if found is not None and found.get("isVerified"):
            continue
        try:
            graph.domain_verify(name)
        except GraphWriteError as exc:
            if VERIFY_NOT_FOUND not in exc.message:
                raise
            pending.append(name)
    if not pending:
        return Outcome.done(f"Verified: {listed(sub_domains(ctx))}.")
    published = ctx.run.steps.get(name=StepName.DNS_RECORD).finished_at or ctx.now
    hours = settings.DOMAIN_VERIFY_HOURS
    if ctx.now - published >= timedelta(hours=hours):
        return Outcome.fail(
            f"Microsoft has not found the verification record of {listed(pending)} in "
            f"{hours} hours: check that the TXT record is published in the public DNS, then "
            "retry."
        )
    wait = doubling(VERIFY_FIRST, ctx.step.attempts, VERIFY_MAX)
    return Outcome.waiting(
        f"Waiting for DNS to propagate: Microsoft has not found the record of "
        f"{listed(pending)} yet.",
        wait,
    )


# --- the activation user and Teams ---------------------------------------------------------


def activation_user(ctx: StepContext) -> Outcome:
    """One user per sub-domain, with the customer's country as usage location and the
    confirmed license, so that Teams activates the domain. Its random password is never kept."""
    customer = ctx.run.service.customer
    if not customer.country:
        return Outcome.fail(
            f"The customer {customer.name} has no country: set it on the customer (Microsoft "
            "needs it as the usage location to license a user), then retry."
        )
    graph, _ = tenant_graph(ctx)
    part_number = ctx.run.activation_sku
    sku = next((s for s in graph.subscribed_skus() if s.part_number == part_number), None)
    if sku is None:
        return Outcome.fail(
            f"The license {part_number or '(none)'} is not in the customer's tenant: confirm "
            "another one in preflight, then retry."
        )
    users = {}
    for name in sub_domains(ctx):
        upn = f"{ACTIVATION_USER}@{name}"
        user = graph.user_get(upn)
        if user is None:  # Graph answers a create without usageLocation: it was given here
            user = graph.user_create(
                upn=upn, display_name="Teams activation (Onramp)", usage_location=customer.country
            )
        elif not user.get("usageLocation"):
            graph.user_set_location(user["id"], customer.country)
        if _licensed(user, sku):
            users[upn] = user["id"]
            continue
        try:
            graph.license_assign(user["id"], sku.sku_id)
        except GraphWriteError as exc:
            if NO_UNITS in exc.message:
                return Outcome.fail(
                    f"No unit of {sku.part_number} is free for {upn}: free one, or confirm "
                    "another license, then retry.",
                    users=users,
                )
            if BAD_LOCATION in exc.message:
                return Outcome.fail(
                    f"Microsoft refused the usage location {customer.country} of {upn}: correct "
                    "the customer's country, then retry.",
                    users=users,
                )
            raise
        users[upn] = user["id"]
    return Outcome.done(
        f"Activation users with {sku.part_number}: {listed(list(users))}.", users=users
    )


def _licensed(user: dict[str, Any], sku: Sku) -> bool:
    return any(item.get("skuId") == sku.sku_id for item in user.get("assignedLicenses") or [])


def teams_activation(ctx: StepContext) -> Outcome:
    """Waits until Teams shows every activation user (which can take up to 48 hours), or the
    operator marks activation done."""
    users = ctx.run.steps.get(name=StepName.ACTIVATION_USER).detail.get("users") or {}
    graph, roles = tenant_graph(ctx)
    confirmed = ctx.run.teams_activation_confirmed_at
    if confirmed is not None:
        return _activated(
            ctx,
            graph,
            users,
            f"An operator marked Teams activation done ({confirmed:%Y-%m-%d %H:%M} UTC).",
        )
    if TEAMS_READ not in roles:
        return Outcome.waiting(
            f"Onramp cannot see Teams activation: the app registration lacks {TEAMS_READ}. "
            "Grant it, or mark Teams activation done once the Teams admin center shows the "
            "users.",
            CONFIRM_WAIT,
        )
    pending = [upn for upn, user_id in users.items() if graph.teams_user(user_id) is None]
    if pending:
        return Outcome.waiting(
            f"Teams has not activated {listed(pending)} yet; Microsoft can take up to 48 "
            "hours. Onramp keeps checking; you may also mark it done.",
            TEAMS_CHECK,
        )
    return _activated(ctx, graph, users, f"Teams activated: {listed(list(users))}.")


def _activated(ctx: StepContext, graph: TenantGraph, users: dict[str, str], said: str) -> Outcome:
    """Done; the activation users' licenses removed first when the operator chose so."""
    if not ctx.run.reclaim_license:
        return Outcome.done(said)
    part_number = ctx.run.activation_sku
    sku = next((s for s in graph.subscribed_skus() if s.part_number == part_number), None)
    for upn in users:
        user = graph.user_get(upn)
        if sku is not None and user is not None and _licensed(user, sku):
            graph.license_remove(user["id"], sku.sku_id)
    return Outcome.done(f"{said} The activation users' {part_number} licenses were removed.")
