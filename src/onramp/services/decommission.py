"""Decommission (SPEC "Decommission") as far as the service itself goes: the open invitation
revoked when it is asked for, and the final transition once Direct Routing is removed (the held
credentials purged, ``decommissioned``, the short name kept taken, the audit trail kept). The
run that removes Direct Routing and the app registration is driven by ``directrouting``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.invitations.models import OPEN_STATUSES
from onramp.services.models import Service, ServiceStatus
from onramp.services.onboarding import invitation_revoke
from onramp.services.selectors import connection_of, newest_invitation


def service_open_invitation_revoke(*, actor: Actor, service: Service) -> None:
    """The service's open invitation (pending or authenticated, not expired) revoked: its link
    dead, its held credentials purged. None open: nothing."""
    invitation = newest_invitation(service)
    if invitation is not None and invitation.effective_status(timezone.now()) in OPEN_STATUSES:
        invitation_revoke(actor=actor, invitation=invitation)


def service_decommission_finish(*, service: Service, app_to_delete: dict[str, Any]) -> Service:
    """The last transition: every held credential purged (the connection's and any
    invitation's), status ``decommissioned``; ``app_to_delete`` names the app registration the
    customer's admin must delete ({} when Onramp deleted it). Once only."""
    now = timezone.now()
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status != ServiceStatus.ACTIVE or service.decommission_requested_at is None:
            return service
        for holder in [connection_of(service), *service.invitations.all()]:
            if holder is not None:
                holder.clear()
                holder.save()
        old = service.status
        service.status, service.decommissioned_at = ServiceStatus.DECOMMISSIONED, now
        service.app_to_delete = app_to_delete
        service.save(update_fields=["status", "decommissioned_at", "app_to_delete"])
        audit_record(
            actor=Actor.system(),
            action="service.decommissioned",
            target=service,
            provider_id=service.provider_id,
            customer_id=service.customer_id,
            old={"status": old},
            new={"status": service.status, "app_to_delete": app_to_delete or None},
        )
    return service
