"""``can`` on every page: the navigation and the buttons show only what the operator may use.

A context processor, so ``core``'s page rendering needs no knowledge of roles and scopes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from onramp.accounts.scoping import PERMISSIONS, can


def permission_flags(operator: Any) -> dict[str, bool]:
    """``can.service_create`` and friends for the templates, from the one permission table."""
    if not operator.is_authenticated:
        return {}
    return {action.replace(".", "_"): can(operator, action) for action in PERMISSIONS}


def permissions(request: HttpRequest) -> dict[str, Any]:
    """Worked out only when a template reads ``can`` (the public pages never do)."""
    return {"can": SimpleLazyObject(lambda: permission_flags(request.user))}
