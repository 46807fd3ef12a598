"""Reads of services, connections and validation runs, always scoped to the caller."""

from __future__ import annotations

from django.db.models import BooleanField, Case, OuterRef, Prefetch, QuerySet, Subquery, When

from onramp.accounts.models import Operator
from onramp.accounts.scoping import scoped
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.lookup import get_or_not_found
from onramp.invitations.models import Invitation
from onramp.m365.results import TRANSIENT_REASONS
from onramp.notifications.selectors import with_delivery
from onramp.services.models import Service, ServiceStatus


def with_connection_ok(services: QuerySet[Service]) -> QuerySet[Service]:
    """``connection_ok`` (CONTRACT §4): the outcome of an active service's newest answered
    validation, None before any and for a service that is not active. A transient answer
    (throttled, unreachable) is no outcome: it never turns a connection invalid. One subquery,
    whatever the number of rows."""
    newest = (
        ValidationRun.objects.filter(service=OuterRef("pk"))
        .exclude(reason__in=TRANSIENT_REASONS)
        .order_by("-validated_at", "-id")
    )
    return services.annotate(
        connection_ok=Case(
            When(status=ServiceStatus.ACTIVE, then=Subquery(newest.values("ok")[:1])),
            default=None,
            output_field=BooleanField(null=True),
        )
    )


def services_visible(operator: Operator) -> QuerySet[Service]:
    """Services in scope, with what lists show (customer, newest invitation, the connection's
    last outcome) preloaded."""
    newest_first = with_delivery(Invitation.objects.order_by("-created_at", "-id"))
    return scoped(
        with_connection_ok(Service.objects.select_related("customer", "provider")).prefetch_related(
            Prefetch("invitations", queryset=newest_first, to_attr="invitations_newest_first")
        ),
        operator,
        "customer",
    )


def connection_ok_of(service: Service) -> bool | None:
    """The annotated ``connection_ok``, else read for this one service."""
    if hasattr(service, "connection_ok"):
        return service.connection_ok
    return (
        with_connection_ok(Service.objects.filter(pk=service.pk))
        .values_list("connection_ok", flat=True)
        .get()
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
