"""Remove Direct Routing (SPEC "Direct Routing provisioning", *Remove Direct Routing*): the steps
backwards, each reading what is left before it deletes, so a repeat (a retry, a worker that died)
finds its work done: the numbers unassigned, the activation users deleted for good (a
soft-deleted user still holds its domain), the sub-domains removed from the tenant, the
verification records deleted from the provider's DNS, and the Teams voice teardown script that
the operator runs and confirms."""

from __future__ import annotations

from typing import Any

from onramp.directrouting.dns import ManualBackend, TxtRecord
from onramp.directrouting.dns_settings import dns_backend_for
from onramp.directrouting.models import StepName
from onramp.directrouting.numbers import FOLLOW, operation_result
from onramp.directrouting.outcome import Outcome, StepContext, script_confirmed
from onramp.directrouting.tenant_steps import (
    ACTIVATION_USER,
    DNS_CHECK,
    listed,
    sub_domains,
    tenant_graph,
)

TEARDOWN_WAITING = (
    "Download the Teams voice teardown script, run it in PowerShell as a Teams Administrator of "
    "the customer's tenant, then confirm that it ran."
)


def numbers_unassigned(ctx: StepContext) -> Outcome:
    """Each listed number still held by its listed user unassigned (``unassignNumber``,
    followed to its operation); a number that is free already, or now another user's, is left
    as it is."""
    rows = ctx.run.numbers
    if not rows:
        return Outcome.skipped("No numbers were assigned: nothing to unassign.")
    graph, _ = tenant_graph(ctx)
    following: dict[str, str] = dict(ctx.step.detail.get("operations") or {})
    results = []
    for row in rows:
        upn, number = row["user_principal_name"], row["phone_number"]
        if number not in following:
            user = graph.user_get(upn)
            holder = graph.number_holder(number)
            if holder is None:
                results.append(_row(row, "released", f"{number} is not assigned."))
                continue
            if user is None or holder != user["id"]:
                results.append(_row(row, "kept", f"{number} belongs to another user: left."))
                continue
            following[number] = graph.number_unassign(number)
        status, why = operation_result(graph, following[number])
        if status == "pending":
            results.append(_row(row, "pending", f"Microsoft is unassigning {number}."))
            continue
        del following[number]
        if status == "succeeded":
            results.append(_row(row, "released", f"{number} was unassigned from {upn}."))
        else:
            message = f"Microsoft did not unassign {number} from {upn}: {why}".strip()
            results.append(_row(row, "failed", message))
    detail: dict[str, Any] = {"rows": results, "operations": following}
    if pending := [r for r in results if r["status"] == "pending"]:
        return Outcome.waiting(
            f"Microsoft is unassigning {len(pending)} of {len(rows)} numbers.", FOLLOW, **detail
        )
    if failed := [r for r in results if r["status"] == "failed"]:
        return Outcome.fail(
            f"{len(failed)} of {len(rows)} numbers were not unassigned; the first: "
            f"{failed[0]['message']} Unassign it in the Teams admin center, then retry.",
            **detail,
        )
    plural = "" if len(rows) == 1 else "s"
    return Outcome.done(f"Unassigned the numbers of {len(rows)} row{plural}.", **detail)


def _row(row: dict[str, str], status: str, message: str) -> dict[str, str]:
    return {**row, "status": status, "message": message}


def activation_user_deleted(ctx: StepContext) -> Outcome:
    """Each activation user deleted, then purged from ``directory/deletedItems``. The ids come
    from the users found now and those the activation user step recorded, so a user soft-deleted
    by a worker that died before purging it is still found."""
    graph, _ = tenant_graph(ctx)
    recorded = ctx.run.steps.get(name=StepName.ACTIVATION_USER).detail.get("users") or {}
    ids = dict(recorded)
    for name in sub_domains(ctx):
        upn = f"{ACTIVATION_USER}@{name}"
        if (user := graph.user_get(upn)) is not None:
            ids[upn] = user["id"]
            graph.user_delete(user["id"])
    purged = []
    for upn, user_id in ids.items():
        if graph.deleted_user_get(user_id) is not None:
            graph.deleted_user_purge(user_id)
            purged.append(upn)
    if not purged:
        return Outcome.done("No activation user is left in the tenant.")
    return Outcome.done(f"Deleted for good: {listed(purged)}.", users=list(purged))


def domain_removed(ctx: StepContext) -> Outcome:
    """Each sub-domain removed from the tenant (one already gone is skipped)."""
    graph, _ = tenant_graph(ctx)
    removed = []
    for name in sub_domains(ctx):
        if graph.domain_get(name) is not None:
            graph.domain_delete(name)
            removed.append(name)
    if not removed:
        return Outcome.done("None of the sub-domains is in the tenant.")
    return Outcome.done(f"Removed from the tenant: {listed(removed)}.", removed=removed)


def dns_record_deleted(ctx: StepContext) -> Outcome:
    """The verification records the DNS record step published, deleted through the provider's
    DNS backend (the manual backend: shown, then looked up until they are gone)."""
    published = ctx.run.steps.get(name=StepName.DNS_RECORD).detail.get("records") or []
    if not published:
        return Outcome.skipped("No verification record was published: nothing to delete.")
    backend = dns_backend_for(ctx.provider)
    records = [TxtRecord(item["name"], item["value"]) for item in published]
    left = [record for record in records if record.value in backend.read(record.name)]
    if isinstance(backend, ManualBackend):
        if left:
            return Outcome.waiting(
                "Delete these records from your DNS; Onramp looks every few minutes: "
                + " ".join(backend.instructions(record) for record in left),
                DNS_CHECK,
            )
    else:
        for record in left:
            backend.delete(record)
    return Outcome.done(f"Deleted: {listed([f'{r.fqdn} TXT {r.value}' for r in records])}.")


def teams_teardown(ctx: StepContext) -> Outcome:
    """The voice route, PSTN usage and voice routing policy exist only in Teams PowerShell: the
    operator runs the teardown script and confirms; until then the step waits."""
    return script_confirmed(
        ctx.run.teams_teardown_confirmed_at, TEARDOWN_WAITING, "Teams teardown script"
    )
