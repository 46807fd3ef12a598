"""Reads of services, connections and validation runs, always scoped to the caller."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from onramp.accounts.models import Operator
from onramp.accounts.scoping import scoped
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.lookup import get_or_not_found
from onramp.invitations.models import Invitation
from onramp.notifications.selectors import with_delivery
from onramp.services.models import Service


def services_visible(operator: Operator) -> QuerySet[Service]:
    """Services in scope, with what lists show (customer, newest invitation) preloaded."""
    newest_first = with_delivery(Invitation.objects.order_by("-created_at", "-id"))
    return scoped(
        Service.objects.select_related("customer", "provider").prefetch_related(
            Prefetch("invitations", queryset=newest_first, to_attr="invitations_newest_first")
        ),
        operator,
        "customer",
    )


def service_get(operator: Operator, service_id: object) -> Service:
    return get_or_not_found(services_visible(operator), service_id, "service")


def newest_invitation(service: Service) -> Invitation | None:
    preloaded = getattr(service, "invitations_newest_first", None)
    if preloaded is not None:
        return preloaded[0] if preloaded else None
    return with_delivery(service.invitations.order_by("-created_at", "-id")).first()


def connection_of(service: Service) -> TenantConnection | None:
    try:
        return service.connection
    except TenantConnection.DoesNotExist:
        return None


def last_validation(service: Service) -> ValidationRun | None:
    return service.validation_runs.order_by("-validated_at", "-id").first()
