"""The audit trail in the caller's scope: filterable, newest first, exportable as CSV."""

from __future__ import annotations

from datetime import UTC

from django.http import HttpRequest
from ninja import Query, Router

from onramp.api.auth import operator_of
from onramp.api.exports import csv_openapi
from onramp.api.pagination import every_row, page
from onramp.api.responses import AuditEvent, AuditEventPage, errors
from onramp.api.schemas import AuditFilters
from onramp.api.serializers import audit_event_json
from onramp.audit.selectors import audit_events
from onramp.core.csv_export import csv_response

router = Router(tags=["audit"])
COLUMNS = tuple(AuditEvent.model_fields)


@router.get(
    "/audit-events",
    response={200: AuditEventPage, **errors(422)},
    openapi_extra=csv_openapi("`?format=csv`: every matching event, the same columns."),
)
def list_audit_events(request: HttpRequest, params: Query[AuditFilters]):
    """System operators see every event; others those of their provider (channel and customer
    operators: those about their customers). ``since`` without an offset is UTC."""
    since = params.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    events = audit_events(
        operator_of(request),
        target_type=params.target_type,
        target_id=params.target_id,
        action=params.action,
        since=since,
    )
    if params.format == "csv":
        return csv_response("audit-events.csv", COLUMNS, every_row(events), audit_event_json)
    return page(events, limit=params.limit, cursor=params.cursor, render=audit_event_json)
