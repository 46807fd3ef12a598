"""Graph's JSON views of users, delegated permission grants and directory role assignments."""

from __future__ import annotations

from onramp.sandbox.catalog import DIRECTORY_ROLES
from onramp.sandbox.model import PermissionGrant, Tenant, User, stable_id

USER_FIELDS = (
    "id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName",
)  # fmt: skip


def user(item: User) -> dict:
    """The default property set Graph returns for a user."""
    name = item.user_principal_name.partition("@")[0]
    return dict(
        zip(
            USER_FIELDS,
            (item.user_id, [], name, None, None, None, None, None, None, None,
             item.user_principal_name),
            strict=True,
        )
    )  # fmt: skip


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
