"""Graph's JSON views of users, delegated permission grants and directory role assignments."""

from __future__ import annotations

from onramp.sandbox.catalog import DIRECTORY_ROLES
from onramp.sandbox.credentials import iso_z, opt_iso, utcnow
from onramp.sandbox.model import PermissionGrant, Tenant, User, stable_id


def user(item: User, full: bool = False) -> dict:
    """The default property set Graph returns for a user; ``full`` adds those `$select` may
    name (usage location, licenses, ...)."""
    graph = item.graph
    view = {
        "id": item.user_id,
        "businessPhones": list(graph.get("businessPhones", [])),
        "displayName": graph.get("displayName") or item.user_principal_name.partition("@")[0],
        "givenName": graph.get("givenName"),
        "jobTitle": graph.get("jobTitle"),
        "mail": None,
        "mobilePhone": graph.get("mobilePhone"),
        "officeLocation": graph.get("officeLocation"),
        "preferredLanguage": graph.get("preferredLanguage"),
        "surname": graph.get("surname"),
        "userPrincipalName": item.user_principal_name,
    }
    if full:
        view.update(
            accountEnabled=graph.get("accountEnabled", True),
            assignedLicenses=[{"disabledPlans": [], "skuId": sku} for sku in item.licenses],
            createdDateTime=iso_z(item.created),
            deletedDateTime=opt_iso(item.deleted_at),
            mailNickname=graph.get("mailNickname") or item.user_principal_name.partition("@")[0],
            usageLocation=item.usage_location,
        )
    return view


USER_FIELDS = tuple(user(User("", "", "", [], [], None, utcnow()), full=True))


def grant(item: PermissionGrant) -> dict:
    return {
        "clientId": item.client_id,
        "consentType": item.consent_type,
        "id": item.grant_id,
        "principalId": item.principal_id,
        "resourceId": item.resource_id,
        "scope": item.scope,
    }


GRANT_FIELDS = ("clientId", "consentType", "id", "principalId", "resourceId", "scope")


def role_assignment(principal_id: str, role_name: str) -> dict:
    template = DIRECTORY_ROLES[role_name]
    return {
        "id": stable_id(principal_id, template),
        "directoryScopeId": "/",
        "principalId": principal_id,
        "principalOrganizationId": None,
        "resourceScope": "/",
        "roleDefinitionId": template,
    }


ROLE_ASSIGNMENT_FIELDS = tuple(role_assignment("", "Global Administrator"))


def role_assignments(tenant: Tenant) -> list[dict]:
    """Active assignments of users and service principals (eligible ones are not listed)."""
    items = [role_assignment(u.user_id, r) for u in tenant.users.values() for r in u.roles]
    for principal in tenant.principals():
        items += [role_assignment(str(principal.service_principal_id), r) for r in principal.roles]
    return items
