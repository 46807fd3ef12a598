"""Who may do what on the tenancy and operator endpoints.

Same shape and meaning as accounts.scoping.PERMISSIONS; these rows belong in that one table
and live here only until they are added there (then this module reduces to the import).
"""

from __future__ import annotations

from onramp.accounts import scoping
from onramp.accounts.models import Operator, Role, Scope
from onramp.core.errors import Forbidden

ADMINS = frozenset({str(Role.ADMIN)})
WRITERS = frozenset({str(Role.ADMIN), str(Role.OPERATOR)})
SYSTEM = frozenset({str(Scope.SYSTEM)})
PROVIDER_OR_ABOVE = frozenset({str(Scope.SYSTEM), str(Scope.PROVIDER)})

PERMISSIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "provider.create": (ADMINS, SYSTEM),
    "provider.change": (ADMINS, SYSTEM),
    "channel.create": (WRITERS, PROVIDER_OR_ABOVE),
    "channel.change": (WRITERS, PROVIDER_OR_ABOVE),
    "operator.manage": (ADMINS, frozenset(Scope.values)),
}


def require(operator: Operator, action: str) -> None:
    """accounts.scoping.require, for its own actions and for the ones above."""
    if action in scoping.PERMISSIONS:
        scoping.require(operator, action)
        return
    roles, scopes = PERMISSIONS[action]
    if not (operator.role in roles and operator.scope in scopes):
        raise Forbidden("Your role does not allow this action.")
