"""The audit trail, read-only and scoped (audit.selectors): who did what to which object, when."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from onramp.audit.models import AuditEvent
from onramp.audit.selectors import audit_events, audit_events_visible
from onramp.core.csv_export import csv_response
from onramp.core.views.ui import PageForm, operator_page, paginate, render_page

ACTIONS = (
    "invitation.created",
    "invitation.emailed",
    "invitation.email_failed",
    "invitation.resent",
    "invitation.revoked",
    "invitation.opened",
    "invitation.authenticated",
    "invitation.rejected",
    "service.created",
    "service.activated",
    "service.deleted",
    "connection.validated",
    "connection.secret_replaced",
    "connection.expiry_entered",
    "operator.created",
    "operator.changed",
    "operator.deleted",
    "token.created",
    "token.revoked",
    "login.succeeded",
    "login.failed",
    "keys.rotated",
)
CSV_COLUMNS = [
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
]
ACTOR_TYPES = {
    "operator": "operator",
    "token": "API token",
    "admin": "customer admin",
    "system": "system",
    "anonymous": "not signed in",
}


class AuditFilterForm(PageForm):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "All actions")] + [(a, a) for a in ACTIONS]
    )
    target_type = forms.ChoiceField(label="Target type", required=False)
    target_id = forms.CharField(label="Target ID", required=False, max_length=64)
    since = forms.DateField(
        label="Since",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )

    def __init__(self, *args: Any, target_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_type"].choices = [("", "All types")] + [(t, t) for t in target_types]

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a malformed one is shown as an error and not applied."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        since = data.get("since")
        return {
            "action": data.get("action") or None,
            "target_type": data.get("target_type") or None,
            "target_id": (data.get("target_id") or "").strip() or None,
            "since": datetime.combine(since, time.min, tzinfo=UTC) if since else None,
        }


def short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_lines(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"old": {...}, "new": {...}}`` as one line per field: old → new."""
    old, new = changes.get("old") or {}, changes.get("new") or {}
    lines = []
    for key in list(old) + [k for k in new if k not in old]:
        lines.append(
            {
                "field": key,
                "old": short(old[key]) if key in old else None,
                "new": short(new[key]) if key in new else None,
            }
        )
    return lines


def csv_item(event: AuditEvent) -> dict[str, Any]:
    return {
        "created_at": event.created_at.isoformat(),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "changes": event.changes,
    }


@operator_page
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    target_types = sorted(
        set(audit_events_visible(operator).order_by().values_list("target_type", flat=True))
    )
    form = AuditFilterForm(request.GET, target_types=target_types)
    filters = form.filters()
    events = audit_events(operator, **filters).order_by("-created_at", "-id")
    if request.GET.get("format") == "csv":
        return csv_response("audit-events.csv", CSV_COLUMNS, events.iterator(), csv_item)
    page = paginate(request, events)
    page.object_list = list(page.object_list)
    for event in page.object_list:
        event.actor_kind = ACTOR_TYPES.get(event.actor_type, event.actor_type)
        event.change_lines = change_lines(event.changes)
    context = {
        "page": page,
        "form": form,
        "filtered": any(value is not None for value in filters.values()),
    }
    return render_page(request, "audit/list.html", context, section="audit", title="Audit")
