"""The scoping of every operator-visible query, and who may do what (one table).

Out of scope is "not found" (404): an operator learns nothing about objects it cannot see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from onramp.accounts.models import Operator, Role, Scope
from onramp.core.errors import Forbidden

WRITE_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})
ADMIN_ONLY = frozenset({Role.ADMIN})
ALL_SCOPES = frozenset(Scope)
SYSTEM_ONLY = frozenset({Scope.SYSTEM})
PROVIDER_OR_ABOVE = frozenset({Scope.SYSTEM, Scope.PROVIDER})
ABOVE_CUSTOMER = frozenset({Scope.SYSTEM, Scope.PROVIDER, Scope.CHANNEL})

# action -> (roles that may, scopes at which they may). Monitors never change anything.
# docs/authorization.md shows this table; a test keeps the two equal.
PERMISSIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "provider.create": (ADMIN_ONLY, SYSTEM_ONLY),
    "provider.change": (ADMIN_ONLY, SYSTEM_ONLY),
    "provider.settings": (ADMIN_ONLY, PROVIDER_OR_ABOVE),
    "channel.create": (WRITE_ROLES, PROVIDER_OR_ABOVE),
    "channel.change": (WRITE_ROLES, PROVIDER_OR_ABOVE),
    "customer.create": (WRITE_ROLES, ABOVE_CUSTOMER),
    "customer.change": (WRITE_ROLES, ABOVE_CUSTOMER),
    "service.create": (WRITE_ROLES, ABOVE_CUSTOMER),
    "service.delete": (WRITE_ROLES, ABOVE_CUSTOMER),
    "service.decommission": (WRITE_ROLES, ABOVE_CUSTOMER),
    "invitation.manage": (WRITE_ROLES, ABOVE_CUSTOMER),
    "connection.validate": (WRITE_ROLES, ALL_SCOPES),
    "connection.renew_secret": (WRITE_ROLES, ALL_SCOPES),
    "connection.reinitiate": (WRITE_ROLES, ABOVE_CUSTOMER),
    "operator.manage": (ADMIN_ONLY, ALL_SCOPES),
    "direct_routing.manage": (WRITE_ROLES, ABOVE_CUSTOMER),
}


def can(operator: Operator, action: str) -> bool:
    roles, scopes = PERMISSIONS[action]
    return operator.role in roles and operator.scope in scopes


def require(operator: Operator, action: str) -> None:
    if not can(operator, action):
        raise Forbidden("Your role does not allow this action.")


def require_actor(actor: Any, action: str) -> None:
    """The check a write makes of whoever asks for it (an ``audit.Actor``): an operator, in a
    page or by API token, needs the permission; the customer's admin (the invitation link) and
    the system (the scheduler) act only where their flow calls the write."""
    if actor.operator is not None:
        require(actor.operator, action)


def customer_scope(operator: Operator, path: str = "") -> Q:
    """A filter restricting rows reached through ``path`` (to a Customer) to the operator."""
    prefix = f"{path}__" if path else ""
    if operator.scope == Scope.SYSTEM:
        return Q()
    if operator.scope == Scope.PROVIDER:
        return Q(**{f"{prefix}provider_id": operator.provider_id})
    if operator.scope == Scope.CHANNEL:
        return Q(**{f"{prefix}channel_id": operator.channel_id})
    return Q(**{f"{prefix}id": operator.customer_id})


def owned_scope(operator: Operator) -> Q:
    """``customer_scope`` for rows with their own ``provider`` and ``customer`` columns: the
    provider filter then needs no join to the customer."""
    if operator.scope == Scope.PROVIDER:
        return Q(provider_id=operator.provider_id)
    return customer_scope(operator, "customer")


def scoped(queryset: QuerySet, operator: Operator, path: str) -> QuerySet:
    return queryset.filter(customer_scope(operator, path))
