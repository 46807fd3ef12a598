"""Decommission (SPEC "Decommission", CONTRACT ``POST /services/{id}/decommission``): an active
service ended for good. Asked for: the open invitation revoked, Remove Direct Routing started
when provisioning ran, the service marked. Finished once removal is done (a task taking the
service's id, from the removal's last step or the sweep): the app registration Onramp created
deleted, or named for the customer's admin to delete when Onramp may not (or the admin made
it), then every held credential purged and the service ``decommissioned``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.connections.models import ConnectionMethod
from onramp.core.actors import Actor
from onramp.core.errors import InvalidState
from onramp.core.tasks import enqueue_on_commit
from onramp.directrouting.machine import DECOMMISSION_TASK
from onramp.directrouting.models import (
    REMOVAL_STEPS,
    Provisioning,
    RunStatus,
    StepStatus,
)
from onramp.directrouting.removal import STOPPED, provisioning_remove
from onramp.directrouting.tenant_steps import connection_graph
from onramp.m365.graph_writes import GraphWriteError
from onramp.services.decommission import (
    service_decommission_finish,
    service_open_invitation_revoke,
)
from onramp.services.models import Service, ServiceStatus
from onramp.services.selectors import connection_of

NOT_ACTIVE = "Only an active service can be decommissioned."
APP_WRITE = {"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}


def service_decommission(*, actor: Actor, service: Service) -> Service:
    """Asked for (202): refused (409) unless the service is active, or while a provisioning
    step is running (nothing changes then). Asking again resumes."""
    require_actor(actor, "service.decommission")
    now = timezone.now()
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status != ServiceStatus.ACTIVE:
            raise InvalidState(NOT_ACTIVE)
        run = Provisioning.objects.filter(service=service).first()
        if run is not None and run.steps.filter(attempts__gt=0).exists():
            if run.status != RunStatus.REMOVED:
                provisioning_remove(actor=actor, service=service)
        elif run is not None:  # proposed, nothing ran: it simply stops
            run.steps.update(status=StepStatus.SKIPPED, next_attempt_at=None, message=STOPPED)
        service_open_invitation_revoke(actor=actor, service=service)
        if service.decommission_requested_at is None:
            service.decommission_requested_at = now
            service.save(update_fields=["decommission_requested_at"])
            audit_record(
                actor=actor,
                action="service.decommission_started",
                target=service,
                provider_id=service.provider_id,
                customer_id=service.customer_id,
                new={"direct_routing": "removing" if removal_pending(service) else "none"},
            )
        if not removal_pending(service):
            enqueue_on_commit(DECOMMISSION_TASK, str(service.pk))
    return service


def removal_pending(service: Service) -> bool:
    """Whether Remove Direct Routing still has to finish before the service can go."""
    run = Provisioning.objects.filter(service=service).first()
    return (
        run is not None
        and run.steps.filter(name__in=REMOVAL_STEPS).exists()
        and run.status != RunStatus.REMOVED
    )


def decommission_finish(*, service_id: str) -> Service | None:
    """The end, once removal is done: the app registration, then the final transition. A
    transient failure raises (the sweep tries again); None while there is nothing to do yet."""
    service = Service.objects.get(pk=service_id)
    if service.status != ServiceStatus.ACTIVE or service.decommission_requested_at is None:
        return None
    if removal_pending(service):
        return None
    return service_decommission_finish(service=service, app_to_delete=app_deleted_or_named(service))


def app_deleted_or_named(service: Service) -> dict[str, Any]:
    """{} once the app registration Onramp created is deleted; else the app the customer's
    admin must delete: when they made it, or when Onramp's app may not delete itself (it holds
    neither Application.ReadWrite.All nor …OwnedBy, or Microsoft refuses)."""
    connection = connection_of(service)
    if connection is None or not connection.client_id:
        return {}
    graph, roles, found = None, [], None
    try:
        graph, roles = connection_graph(connection)
        found = graph.application_by_app_id(connection.client_id)
    except GraphWriteError as exc:
        if exc.transient:
            raise
    object_id = connection.application_object_id or (found or {}).get("id") or None
    named = {
        "display_name": str((found or {}).get("displayName") or ""),
        "app_id": connection.client_id,
        "object_id": object_id,
    }
    created = connection.method == ConnectionMethod.CREATED_APP
    if graph is None or not created or not object_id or not APP_WRITE & set(roles):
        return named
    try:
        graph.application_delete(object_id)
    except GraphWriteError as exc:
        if exc.transient:
            raise
        return named
    return {}


def decommission_sweep() -> int:
    """Services asked to go whose removal is done (or was never needed): finished."""
    waiting = Service.objects.filter(
        status=ServiceStatus.ACTIVE, decommission_requested_at__isnull=False
    )
    due = [service for service in waiting if not removal_pending(service)]
    with transaction.atomic():
        for service in due:
            enqueue_on_commit(DECOMMISSION_TASK, str(service.pk))
    return len(due)
