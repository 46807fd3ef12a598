"""Decommission of a created-app service against the real sandbox over HTTPS and Knot: the
open invitation revoked, Direct Routing removed, the app registration deleted when the app
Onramp created may delete itself (Application.ReadWrite.All, or …OwnedBy and it owns itself),
else named for the admin, every held credential purged, ``decommissioned``."""

from __future__ import annotations

import pytest

from onramp.api.serializers import decommission_json
from onramp.audit.models import AuditEvent
from onramp.connections.models import ConnectionMethod
from onramp.core.errors import InvalidState
from onramp.directrouting import decommission
from onramp.directrouting.decommission import decommission_finish, service_decommission
from onramp.directrouting.removal import provisioning_teams_teardown_confirm
from onramp.directrouting.services import provisioning_start
from onramp.invitations.models import Invitation
from onramp.services.models import Service
from tests.api.helpers import db_state
from tests.directrouting.test_steps_sandbox import SUBDOMAIN, advance, run_due
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

FORWARD = ["plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user"]


@pytest.fixture
def finishing(monkeypatch):
    """The finish tasks decommission enqueues itself (the driver's are in ``enqueued``)."""
    calls: list[tuple] = []
    monkeypatch.setattr(decommission, "enqueue_on_commit", lambda *args: calls.append(args))
    return calls


def created_app(sandbox, tenant, service):
    [app] = sandbox.admin.applications(tenant.tenant_id)
    connection = service.connection
    connection.method = ConnectionMethod.CREATED_APP
    connection.application_object_id = app["object_id"]
    connection.save()
    return app


def test_a_created_app_service_decommissioned(world, knot, enqueued, finishing):
    sandbox, tenant, service, ops = world
    app = created_app(sandbox, tenant, service)
    reinvited = InvitationFactory(service=service, status="pending")
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, *FORWARD)

    service_decommission(actor=ops, service=service)
    service.refresh_from_db()
    assert service.status == "active" and service.decommission_requested_at is not None
    assert Invitation.objects.get(pk=reinvited.pk).status == "revoked"
    assert finishing == []  # removal first
    run.refresh_from_db()
    assert run.status == "removing"
    run_due(run, "numbers_unassigned")
    advance(run, "activation_user_deleted", "domain_removed", "dns_record_deleted")
    provisioning_teams_teardown_confirm(actor=ops, service=service)
    enqueued.clear()
    advance(run, "teams_teardown")
    assert enqueued == [("onramp.directrouting.tasks.decommission_finish", str(service.pk))]

    done = decommission_finish(service_id=str(service.pk))
    assert done.status == "decommissioned"
    assert done.app_to_delete == {
        "display_name": "Onramp connector",
        "app_id": tenant.app_id,
        "object_id": app["object_id"],
    }
    connection = Service.objects.get(pk=service.pk).connection
    assert (connection.client_id, connection.secret_sealed, connection.tenant_id) == ("", "", "")
    assert [a["app_id"] for a in sandbox.admin.applications(tenant.tenant_id)] == [tenant.app_id]
    assert SUBDOMAIN not in [d["id"] for d in sandbox.admin.tenant(tenant.tenant_id)["domains"]]
    actions = list(
        AuditEvent.objects.filter(action__startswith="service.decommission").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["service.decommission_started", "service.decommissioned"]
    assert decommission_finish(service_id=str(service.pk)) is None  # once only


def may_delete_itself(sandbox, tenant, app, permission):
    """The connection's app (the one Onramp created) given `permission`; with …OwnedBy its
    service principal owns it, as Decommission needs."""
    fields = {"permissions": [*app["permissions"], permission]}
    if permission.endswith("OwnedBy"):
        fields["owners"] = [*app["owners"], app["service_principal_id"]]
    sandbox.admin.update_application(tenant.tenant_id, tenant.app_id, **fields)


def decommission_audit():
    return {
        event.action: event.changes["new"]
        for event in AuditEvent.objects.filter(action__startswith="service.decommission")
    }


@pytest.mark.parametrize(
    "permission", ["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"]
)
def test_a_created_app_that_may_delete_itself_is_deleted(
    world, knot, enqueued, finishing, permission
):
    sandbox, tenant, service, ops = world
    app = created_app(sandbox, tenant, service)
    may_delete_itself(sandbox, tenant, app, permission)
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, *FORWARD)
    service_decommission(actor=ops, service=service)
    run.refresh_from_db()
    run_due(run, "numbers_unassigned")
    advance(run, "activation_user_deleted", "domain_removed", "dns_record_deleted")
    provisioning_teams_teardown_confirm(actor=ops, service=service)
    advance(run, "teams_teardown")

    done = decommission_finish(service_id=str(service.pk))
    assert done.status == "decommissioned"
    assert done.app_to_delete == {}
    assert decommission_json(done)["app_to_delete"] is None
    assert sandbox.admin.applications(tenant.tenant_id) == []
    connection = Service.objects.get(pk=service.pk).connection
    assert (connection.client_id, connection.secret_sealed, connection.tenant_id) == ("", "", "")
    assert decommission_audit() == {
        "service.decommission_started": {"direct_routing": "removing"},
        "service.decommissioned": {"status": "decommissioned", "app_to_delete": None},
    }
    assert decommission_finish(service_id=str(service.pk)) is None  # once only


def test_owned_by_without_owning_itself_names_the_app(world, finishing):
    sandbox, tenant, service, ops = world
    app = created_app(sandbox, tenant, service)
    permissions = [*app["permissions"], "Application.ReadWrite.OwnedBy"]
    sandbox.admin.update_application(tenant.tenant_id, tenant.app_id, permissions=permissions)
    service_decommission(actor=ops, service=service)
    done = decommission_finish(service_id=str(service.pk))
    assert done.status == "decommissioned"
    assert done.app_to_delete == {
        "display_name": "Onramp connector",
        "app_id": tenant.app_id,
        "object_id": app["object_id"],
    }
    assert [a["app_id"] for a in sandbox.admin.applications(tenant.tenant_id)] == [tenant.app_id]


def test_without_provisioning_it_finishes_at_once(world, finishing):
    _sandbox, tenant, service, ops = world
    service_decommission(actor=ops, service=service)
    assert finishing == [("onramp.directrouting.tasks.decommission_finish", str(service.pk))]
    done = decommission_finish(service_id=str(service.pk))
    assert done.status == "decommissioned"
    assert done.app_to_delete["app_id"] == tenant.app_id  # the admin made it: named


def test_refused_while_a_step_runs_and_nothing_changes(world, enqueued, finishing):
    _sandbox, _tenant, service, ops = world
    invitation = InvitationFactory(service=service, status="pending")
    run = provisioning_start(actor=ops, service=service, confirm_sku=True)
    advance(run, "plan")
    run.steps.filter(name="preflight").update(status="running", attempts=1)
    before = db_state()
    with pytest.raises(InvalidState):
        service_decommission(actor=ops, service=service)
    assert db_state() == before
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


def test_nothing_new_is_provisioned_once_decommission_was_asked(world, finishing):
    _sandbox, _tenant, service, ops = world
    service_decommission(actor=ops, service=service)
    with pytest.raises(InvalidState) as refused:
        provisioning_start(actor=ops, service=service)
    assert str(refused.value) == "Direct Routing is provisioned for active services only."
