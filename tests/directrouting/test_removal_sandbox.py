"""Remove Direct Routing against the real sandbox over HTTPS and the real Knot server: a
provisioned service removed leaves no domain, no activation user (not even deleted) and no TXT
record; removal is refused while a step runs; a worker killed mid-removal resumes."""

from __future__ import annotations

import pytest

from onramp.audit.models import AuditEvent
from onramp.connections.services import held_credential
from onramp.core.errors import InvalidState
from onramp.directrouting.machine import provisioning_step_run
from onramp.directrouting.removal import provisioning_remove, provisioning_teams_teardown_confirm
from onramp.directrouting.services import (
    provisioning_sku_confirm,
    provisioning_start,
)
from onramp.m365.provisioning import TenantGraph, app_token
from onramp.m365.validation import get_client
from onramp.services.selectors import connection_of
from tests.directrouting.test_steps_sandbox import (
    SUBDOMAIN,
    USER,
    advance,
    reach_numbers,
    rerun_after_killed_worker,
    run_due,
)

pytestmark = pytest.mark.django_db

NUMBER = "+442071234567"
REMOVAL = ["numbers_unassigned", "activation_user_deleted", "domain_removed", "dns_record_deleted"]


def graph_of(tenant, credential) -> TenantGraph:
    transport = get_client().transport
    token, _ = app_token(
        transport, tenant_id=tenant.tenant_id, client_id=tenant.app_id, credential=credential
    )
    return TenantGraph(transport, token)


def test_a_provisioned_service_removed_leaves_nothing_behind(world, knot):
    sandbox, tenant, service, ops = world
    run = reach_numbers(world, [{"user_principal_name": USER, "phone_number": NUMBER}])
    assert run_due(run, "numbers").status == "done"
    user_id = run.steps.get(name="activation_user").detail["users"][USER]

    run = provisioning_remove(actor=ops, service=service)
    run.refresh_from_db()
    assert run.status == "removing"
    numbers = run_due(run, "numbers_unassigned")
    if numbers.status == "waiting":  # the operation was still running
        numbers = run_due(run, "numbers_unassigned")
    assert (numbers.status, numbers.message) == ("done", "Unassigned the numbers of 1 row.")
    assert [r["status"] for r in numbers.detail["rows"]] == ["released"]

    deleted = run_due(run, "activation_user_deleted")
    assert (deleted.status, deleted.message) == ("done", f"Deleted for good: {USER}.")
    removed = run_due(run, "domain_removed")
    assert (removed.status, removed.message) == ("done", f"Removed from the tenant: {SUBDOMAIN}.")
    record = run_due(run, "dns_record_deleted")
    assert record.status == "done"
    teardown = run_due(run, "teams_teardown")
    assert teardown.status == "waiting"
    run.refresh_from_db()
    assert run.status == "removing"
    provisioning_teams_teardown_confirm(actor=ops, service=service)
    assert run_due(run, "teams_teardown").status == "done"

    run.refresh_from_db()
    assert run.status == "removed"
    seen = sandbox.admin.tenant(tenant.tenant_id)
    assert SUBDOMAIN not in [d["id"] for d in seen["domains"]]
    assert USER not in [u["user_principal_name"] for u in seen["users"]]
    graph = graph_of(tenant, held_credential(connection_of(service)))
    assert graph.deleted_user_get(user_id) is None
    assert graph.number_holder(NUMBER) is None
    assert not [r for r in knot.records() if " TXT " in r and SUBDOMAIN in r]
    assert AuditEvent.objects.filter(action="direct_routing.removed").count() == 1
    assert AuditEvent.objects.filter(action="direct_routing.remove_started").count() == 1


def test_removal_again_finds_its_work_done(world, knot):
    _sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user")
    provisioning_remove(actor=ops, service=service)
    skipped = run_due(run, "numbers_unassigned")
    assert (skipped.status, skipped.message) == (
        "skipped",
        "No numbers were assigned: nothing to unassign.",
    )
    advance(run, *REMOVAL[1:])
    run.steps.filter(name__in=REMOVAL[1:]).update(status="pending")
    assert run_due(run, "activation_user_deleted").message == (
        "No activation user is left in the tenant."
    )
    assert run_due(run, "domain_removed").message == "None of the sub-domains is in the tenant."
    assert run_due(run, "dns_record_deleted").status == "done"


def test_removal_is_refused_while_a_step_runs(world):
    _sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight")
    run.steps.filter(name="domain").update(status="running", attempts=1)
    before = list(run.steps.values_list("name", "status"))
    with pytest.raises(InvalidState) as refused:
        provisioning_remove(actor=ops, service=service)
    assert str(refused.value) == (
        "The step 'Domain' is running: Remove Direct Routing can start once it has finished (the "
        "page refreshes itself; a step whose worker stopped is taken up again within minutes)."
    )
    assert list(run.steps.values_list("name", "status")) == before
    assert not AuditEvent.objects.filter(action__startswith="direct_routing.remove").exists()


def test_provisioning_cannot_go_on_once_removal_began(world):
    _sandbox, _tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan")
    provisioning_remove(actor=ops, service=service)
    assert run.steps.get(name="preflight").status == "skipped"
    with pytest.raises(InvalidState):
        provisioning_start(actor=ops, service=service)
    assert provisioning_step_run(provisioning_id=str(run.pk), name="preflight") is None


def test_a_removed_service_is_provisioned_again(world, knot):
    """Removal done, the operator starts again: the same label, every step afresh, the license
    confirmed again; one domain, one user and one TXT record, as the first time."""
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    forward = ["plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user"]
    advance(run, *forward)
    provisioning_remove(actor=ops, service=service)
    with pytest.raises(InvalidState) as removing:
        provisioning_start(actor=ops, service=service)
    assert removing.value.detail == (
        "Direct Routing is being removed from this service: provisioning can start again once "
        "removal is done."
    )
    assert run_due(run, "numbers_unassigned").status == "skipped"
    advance(run, *REMOVAL[1:])
    provisioning_teams_teardown_confirm(actor=ops, service=service)
    advance(run, "teams_teardown")
    run.refresh_from_db()
    assert run.status == "removed"
    with pytest.raises(InvalidState) as refused:
        provisioning_sku_confirm(actor=ops, service=service, sku="ENTERPRISEPACK")
    assert refused.value.detail == (
        "Direct Routing was removed from this service: start provisioning again first."
    )

    provisioning_start(actor=ops, service=service)
    run.refresh_from_db()
    assert (run.status, run.label, run.activation_sku, run.activation_sku_confirmed) == (
        "not-started",
        "contoso-01",
        "",
        False,
    )
    assert (run.teams_script_confirmed_at, run.teams_teardown_confirmed_at) == (None, None)
    steps = list(run.steps.values_list("name", "status", "attempts", "message"))
    assert [name for name, *_ in steps] == [*forward, "teams_activation", "teams_voice", "numbers"]
    assert {tuple(rest) for _, *rest in steps} == {("pending", 0, "")}
    advance(run, "plan")
    assert run_due(run, "preflight").status == "waiting"  # the license is asked for again
    provisioning_sku_confirm(actor=ops, service=service, sku="ENTERPRISEPACK")
    advance(run, *forward[1:])

    seen = sandbox.admin.tenant(tenant.tenant_id)
    assert [d["id"] for d in seen["domains"]].count(SUBDOMAIN) == 1
    assert [u["user_principal_name"] for u in seen["users"]] == [USER]
    assert len([r for r in knot.records() if " TXT " in r and SUBDOMAIN in r]) == 1
    done = AuditEvent.objects.filter(action="direct_routing.step_done")
    assert sorted(
        e.changes["new"]["step"] for e in done if e.changes["new"]["step"] in forward
    ) == sorted(forward * 2)


def test_a_worker_killed_mid_removal_resumes(world, knot):
    sandbox, tenant, service, ops = world
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user")
    provisioning_remove(actor=ops, service=service)
    run_due(run, "numbers_unassigned")
    # the worker soft-deleted the activation user, then died before purging it
    user_id = run.steps.get(name="activation_user").detail["users"][USER]
    graph_of(tenant, held_credential(connection_of(service))).user_delete(user_id)
    again = rerun_after_killed_worker(run, "activation_user_deleted")
    assert (again.status, again.attempts, again.message) == (
        "done",
        2,
        f"Deleted for good: {USER}.",
    )
    advance(run, "domain_removed", "dns_record_deleted")
    seen = sandbox.admin.tenant(tenant.tenant_id)
    assert SUBDOMAIN not in [d["id"] for d in seen["domains"]]
