"""Graph reads: organization, applications, service principals, grants, role assignments, users.

Each handler checks the caller with one `permissions` rule, then answers in Graph's shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from onramp.sandbox import directory, people
from onramp.sandbox import permissions as perm
from onramp.sandbox.errors import GraphError, bad_request, not_found
from onramp.sandbox.odata import collection, select

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call

Reply = tuple[int, dict | None]
_ID = r"([^/()]+)"
_APP_ID = r"\(appId='([^']*)'\)"
_FILTER = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.I)
# String collections: filtered with a lambda, never with `eq`, as Graph filters `tags`:
# `tags/any(t:t eq 'value')`.
_COLLECTIONS = frozenset({"tags"})
_ANY = re.compile(r"^\s*(\w+)/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'([^']*)'\s*\)\s*$", re.I)


def filtered(call: Call, items: list[dict], allowed: set[str], type_label: str) -> list[dict]:
    """`$filter` with `prop eq 'value'` on the properties Graph filters these objects by, or
    `prop/any(x:x eq 'value')` on a string collection among them (an application's `tags`)."""
    if "$filter" not in call.query:
        return items
    clause = call.query["$filter"]
    names = {name.lower(): name for name in allowed}
    match, lambda_ = _FILTER.match(clause), _ANY.match(clause)
    over = names.get(lambda_.group(1).lower(), "") if lambda_ else ""
    if lambda_ and lambda_.group(2) == lambda_.group(3) and over in _COLLECTIONS:
        wanted = lambda_.group(4).lower()
        return [i for i in items if wanted in (str(v).lower() for v in i.get(over) or [])]
    key = names.get(match.group(1).lower()) if match else None
    if match is None or key is None or key in _COLLECTIONS:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"Unsupported or invalid query filter clause specified for resource '{type_label}'.",
        )
    value = match.group(2).lower()
    return [item for item in items if str(item.get(key) or "").lower() == value]


def listed(
    call: Call,
    items: list[dict],
    segment: str,
    *,
    filter_by: set[str],
    type_label: str,
    fields: Any,
    kind: str,
) -> Reply:
    """A Graph collection at ``segment``: `$filter` on ``filter_by``, then paged and counted."""
    return 200, collection(
        filtered(call, items, filter_by, type_label),
        call.query,
        call.headers,
        f"{call.base}/{segment}",
        f"{call.context}{segment}",
        fields,
        kind,
    )


def organization(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_ORGANIZATION)
    entity, suffix = select(directory.organization(call.tenant), call.query, "organization")
    return 200, {"@odata.context": f"{call.context}organization{suffix}", "value": [entity]}


def _entity(call: Call, entity: dict | None, key: str, set_name: str, type_name: str) -> Reply:
    if entity is None:
        raise not_found(key)
    chosen, suffix = select(entity, call.query, type_name)
    return 200, {"@odata.context": f"{call.context}{set_name}{suffix}/$entity", **chosen}


def application_by_app_id(call: Call, app_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    app = call.tenant.applications.get(app_id.lower())
    view = directory.application(call.tenant, app) if app else None
    return _entity(call, view, app_id, "applications", "application")


def application(call: Call, object_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    app = next((a for a in call.tenant.applications.values() if a.object_id == object_id), None)
    view = directory.application(call.tenant, app) if app else None
    return _entity(call, view, object_id, "applications", "application")


def applications(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    items = [directory.application(call.tenant, a) for a in call.tenant.applications.values()]
    return listed(
        call,
        items,
        "applications",
        filter_by={"appId", "displayName", "tags"},
        type_label="Application",
        fields=directory.APPLICATION_FIELDS,
        kind="application",
    )


def service_principal_by_app_id(call: Call, app_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    view = directory.service_principal(call.tenant, app_id)
    return _entity(call, view, app_id, "servicePrincipals", "servicePrincipal")


def service_principal(call: Call, sp_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    view = directory.service_principal_by_id(call.tenant, sp_id)
    return _entity(call, view, sp_id, "servicePrincipals", "servicePrincipal")


def service_principals(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    principals = directory.service_principals(call.tenant)
    return listed(
        call,
        principals,
        "servicePrincipals",
        filter_by={"appId", "displayName"},
        type_label="ServicePrincipal",
        fields=directory.SERVICE_PRINCIPAL_FIELDS,
        kind="servicePrincipal",
    )


def _assignment_list(call: Call, sp_id: str, items: list[dict] | None, segment: str) -> Reply:
    if items is None:
        raise not_found(sp_id)
    return 200, {
        "@odata.context": f"{call.context}servicePrincipals('{sp_id}')/{segment}",
        "value": items,
    }


def assignments(call: Call, sp_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    items = directory.app_role_assignments(call.tenant, sp_id)
    return _assignment_list(call, sp_id, items, "appRoleAssignments")


def assigned_to(call: Call, sp_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_APPLICATIONS)
    return _assignment_list(
        call, sp_id, directory.assigned_to(call.tenant, sp_id), "appRoleAssignedTo"
    )


def grants(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_GRANTS)
    items = [people.grant(g) for g in call.tenant.grants]
    return listed(
        call,
        items,
        "oauth2PermissionGrants",
        filter_by={"clientId", "resourceId"},
        type_label="OAuth2PermissionGrant",
        fields=people.GRANT_FIELDS,
        kind="oAuth2PermissionGrant",
    )


def grant(call: Call, grant_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_GRANTS)
    found = next((g for g in call.tenant.grants if g.grant_id == grant_id), None)
    view = people.grant(found) if found else None
    return _entity(call, view, grant_id, "oauth2PermissionGrants", "oAuth2PermissionGrant")


def role_assignments(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_ROLE_ASSIGNMENTS)
    return listed(
        call,
        people.role_assignments(call.tenant),
        "roleManagement/directory/roleAssignments",
        filter_by={"principalId", "roleDefinitionId"},
        type_label="UnifiedRoleAssignment",
        fields=people.ROLE_ASSIGNMENT_FIELDS,
        kind="unifiedRoleAssignment",
    )


def users(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_USERS)
    full = "$select" in call.query
    items = [people.user(u, full) for u in call.tenant.users.values()]
    return listed(
        call,
        items,
        "users",
        filter_by={"userPrincipalName", "id"},
        type_label="User",
        fields=people.USER_FIELDS,
        kind="user",
    )


def user(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_USERS)
    found = call.tenant.find_user(key)
    view = people.user(found, "$select" in call.query) if found else None
    return _entity(call, view, key, "users", "user")


def me(call: Call) -> Reply:
    if not perm.is_delegated(call.claims):
        raise bad_request("/me request is only valid with delegated authentication flow.")
    perm.check(call.tenant, call.claims, perm.READ_ME)
    found = perm.signed_in_user(call.tenant, call.claims)
    return _entity(call, people.user(found) if found else None, "me", "users", "user")


def _route(method: str, pattern: str, handler: Callable[..., tuple]) -> tuple:
    return method, re.compile(f"^{pattern}$"), handler


READ_ROUTES = [
    _route("GET", "organization", organization),
    _route("GET", f"applications{_APP_ID}", application_by_app_id),
    _route("GET", "applications", applications),
    _route("GET", f"applications/{_ID}", application),
    _route("GET", f"servicePrincipals{_APP_ID}", service_principal_by_app_id),
    _route("GET", "servicePrincipals", service_principals),
    _route("GET", f"servicePrincipals/{_ID}", service_principal),
    _route("GET", f"servicePrincipals/{_ID}/appRoleAssignments", assignments),
    _route("GET", f"servicePrincipals/{_ID}/appRoleAssignedTo", assigned_to),
    _route("GET", "oauth2PermissionGrants", grants),
    _route("GET", f"oauth2PermissionGrants/{_ID}", grant),
    _route("GET", "roleManagement/directory/roleAssignments", role_assignments),
    _route("GET", "users", users),
    _route("GET", f"users/{_ID}", user),
    _route("GET", "me", me),
]
