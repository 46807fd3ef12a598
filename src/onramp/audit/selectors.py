"""Reads of the audit trail, scoped to the caller: system operators see every event; others the
events of their provider; channel and customer operators only those about their customers."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.audit.models import AuditEvent
from onramp.tenancy.selectors import customers_visible


def audit_events_visible(operator: Operator) -> QuerySet[AuditEvent]:
    if operator.scope == Scope.SYSTEM:
        return AuditEvent.objects.all()
    events = AuditEvent.objects.filter(provider_id=operator.provider_id)
    if operator.scope in (Scope.CHANNEL, Scope.CUSTOMER):
        events = events.filter(customer_id__in=customers_visible(operator).values("pk"))
    return events


def audit_events(
    operator: Operator,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Visible events matching every filter given (``since``: at or after that moment)."""
    events = audit_events_visible(operator)
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(created_at__gte=since)
    return events
