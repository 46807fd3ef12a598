"""Validation results as the operator pages show them: one line per check, failing checks
first, each failing one with what to do about it in plain words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from onramp.m365.results import CHECK_LABELS, CHECK_NAMES, CheckState, ValidationResult

HOW_TO_FIX = {
    "tenant": (
        "Check the tenant ID: the Directory (tenant) ID on the app registration's Overview page "
        "in the Microsoft Entra admin center."
    ),
    "credentials": (
        "Ask the customer's admin for a new client secret (App registrations → the app → "
        "Certificates & secrets → New client secret) and paste its Value under Renew the "
        "client secret, or re-initiate the authentication flow."
    ),
    "tenant_match": (
        "The credentials belong to another tenant than this customer's. Re-initiate the "
        "authentication flow with the customer's own admin, or correct the customer's Azure "
        "tenant ID."
    ),
    "permissions": (
        "In the Microsoft Entra admin center: App registrations → the app → API permissions → "
        "add the missing Microsoft Graph application permissions, then Grant admin consent. "
        "New consent can take a few minutes to reach Microsoft's tokens."
    ),
    "teams_access": (
        "Assign the Teams Administrator role to the app: Roles & admins → Teams Administrator → "
        "Add assignments → select the app. Teams must be licensed in the tenant."
    ),
    "organization": (
        "Grant the Microsoft Graph application permission Organization.Read.All with admin "
        "consent, then validate again."
    ),
    "secret_expiry": (
        "Grant Application.Read.All (application permission, with admin consent) so Onramp can "
        "read the secret's expiry date — or enter the expiry date by hand on this page."
    ),
}

# The stylesheet's modifier for each state (``check--skipped`` predates the not-run state).
_CSS_STATE = {CheckState.OK: "ok", CheckState.FAILED: "failed", CheckState.NOT_RUN: "skipped"}


def check_items(checks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check dicts ({name, ok, state, message}, as stored) → display items: failing checks first
    (with how to fix them), then the passing ones, then those that could not run."""
    items = []
    for check in checks:
        name, state = check["name"], CheckState(check["state"])
        items.append(
            {
                "name": name,
                "label": CHECK_LABELS.get(name, name),
                "ok": check["ok"],
                "state": _CSS_STATE[state],
                "message": check["message"],
                "fix": HOW_TO_FIX.get(name, "") if state is CheckState.FAILED else "",
            }
        )
    rank = {"failed": 0, "ok": 1, "skipped": 2}
    order = {name: index for index, name in enumerate(CHECK_NAMES)}
    return sorted(items, key=lambda item: (rank[item["state"]], order.get(item["name"], 99)))


def result_items(result: ValidationResult) -> list[dict[str, Any]]:
    return check_items(result.as_dict()["checks"])


UNAVAILABLE = "Microsoft could not be reached, try again in a moment; nothing was saved."


def unavailable_context(result: ValidationResult) -> dict[str, Any]:
    """What a page shows when Microsoft throttled or could not be reached (HTTP 503)."""
    return {
        "unavailable": {
            "message": UNAVAILABLE,
            "detail": result.message,
            "retry_after": result.retry_after,
        }
    }


def grant_items(found: Iterable[str], required: Iterable[str]) -> list[dict[str, Any]]:
    """Required permissions (or roles) first, each marked found or missing, then the extras."""
    found = list(found)
    required = list(required)
    items = [{"name": name, "found": name in found, "required": True} for name in required]
    items += [
        {"name": name, "found": True, "required": False} for name in found if name not in required
    ]
    return items


def grants(granted_permissions: Iterable[str], assigned_roles: Iterable[str]) -> dict[str, Any]:
    permissions = grant_items(granted_permissions, settings.REQUIRED_GRAPH_PERMISSIONS)
    roles = grant_items(assigned_roles, settings.REQUIRED_DIRECTORY_ROLES)
    return {
        "permissions": permissions,
        "roles": roles,
        "missing": [item["name"] for item in permissions + roles if not item["found"]],
    }
