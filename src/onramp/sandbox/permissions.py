"""One permission check for every Graph call, as Microsoft Graph makes it.

App-only tokens need one of the operation's application permissions in `roles`. Delegated tokens
need one of its delegated permissions in `scp` **and** the signed-in user must hold one of its
directory roles as an active assignment (PIM-eligible roles do not count). Otherwise 403
`Authorization_RequestDenied`. Provisioning endpoints declare their own `Rule`s and reuse `check`.
"""

from __future__ import annotations

from dataclasses import dataclass

from onramp.sandbox.errors import forbidden
from onramp.sandbox.model import Tenant, User

_GA = "Global Administrator"
_APP_ADMINS = frozenset({_GA, "Application Administrator", "Cloud Application Administrator"})
_DIRECTORY_READ = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})


@dataclass(frozen=True)
class Rule:
    """Who may call one operation; `user_roles` None means any member of the tenant."""

    app_roles: frozenset[str]
    scopes: frozenset[str]
    user_roles: frozenset[str] | None = None


def rule(app_roles: set[str], scopes: set[str], user_roles: set[str] | None = None) -> Rule:
    return Rule(
        frozenset(app_roles), frozenset(scopes), frozenset(user_roles) if user_roles else None
    )


def is_delegated(claims: dict) -> bool:
    return "scp" in claims


def signed_in_user(tenant: Tenant, claims: dict) -> User | None:
    return tenant.users.get(str(claims.get("oid", ""))) if is_delegated(claims) else None


def check(tenant: Tenant, claims: dict, needed: Rule) -> None:
    """Raise Graph's 403 unless the token (and, delegated, its user) may do this."""
    if not is_delegated(claims):
        if not needed.app_roles & set(claims.get("roles") or []):
            raise forbidden()
        return
    if not needed.scopes & set(str(claims["scp"]).split()):
        raise forbidden()
    user = signed_in_user(tenant, claims)
    if user is None:
        raise forbidden()
    if needed.user_roles is not None and not needed.user_roles & set(user.roles):
        raise forbidden()


def check_owned(claims: dict, owners: list[str], needed: Rule) -> None:
    """An app-only token whose only fitting role is an `…OwnedBy` one reaches only the objects
    its service principal (`oid`) owns: 403 otherwise. Call after `check`."""
    if is_delegated(claims):
        return
    held = needed.app_roles & set(claims.get("roles") or [])
    if all(role.endswith(".OwnedBy") for role in held) and claims.get("oid") not in owners:
        raise forbidden()


READ_ORGANIZATION = rule(
    {"Organization.Read.All", "Organization.ReadWrite.All", *_DIRECTORY_READ},
    {"User.Read", "Organization.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"},
)
READ_APPLICATIONS = rule(
    {"Application.Read.All", "Application.ReadWrite.All", *_DIRECTORY_READ},
    {
        "Application.Read.All",
        "Application.ReadWrite.All",
        *_DIRECTORY_READ,
        "Directory.AccessAsUser.All",
    },
)
WRITE_APPLICATIONS = rule(
    {"Application.ReadWrite.All"},
    {"Application.ReadWrite.All", "Directory.AccessAsUser.All"},
    {*_APP_ADMINS, "Application Developer"},
)
# Deleting an app registration (application-delete): app-only `…OwnedBy` reaches only the apps
# the caller owns (see `may_delete_application`); delegated needs an application administrator.
DELETE_APPLICATIONS = rule(
    {"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"},
    {"Application.ReadWrite.All"},
    {*_APP_ADMINS},
)
# Granting Microsoft Graph app roles needs a Privileged Role Administrator (Entra's consent
# rules); app roles of other APIs may also be granted by the application administrators.
GRANT_GRAPH_APP_ROLES = rule(
    {"AppRoleAssignment.ReadWrite.All"},
    {"AppRoleAssignment.ReadWrite.All"},
    {_GA, "Privileged Role Administrator"},
)
GRANT_APP_ROLES = rule(
    {"AppRoleAssignment.ReadWrite.All"},
    {"AppRoleAssignment.ReadWrite.All"},
    {*_APP_ADMINS, "Privileged Role Administrator"},
)
ASSIGN_DIRECTORY_ROLES = rule(
    {"RoleManagement.ReadWrite.Directory"},
    {"RoleManagement.ReadWrite.Directory"},
    {_GA, "Privileged Role Administrator"},
)
READ_ROLE_ASSIGNMENTS = rule(
    {"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", *_DIRECTORY_READ},
    {"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", *_DIRECTORY_READ},
)
READ_GRANTS = rule(
    {"DelegatedPermissionGrant.ReadWrite.All", *_DIRECTORY_READ},
    {"DelegatedPermissionGrant.ReadWrite.All", *_DIRECTORY_READ},
)
DELETE_GRANTS = rule(
    {"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"},
    {
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.ReadWrite.All",
        "Directory.AccessAsUser.All",
    },
    {*_APP_ADMINS, "Privileged Role Administrator"},
)
READ_USERS = rule(
    {"User.Read.All", "User.ReadWrite.All", *_DIRECTORY_READ},
    {"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", *_DIRECTORY_READ},
)
READ_ME = rule(set(), {"User.Read", "User.ReadWrite", "User.Read.All", "Directory.Read.All"})

# Direct Routing provisioning (research/provisioning.md §D.2).
_ACCESS_AS_USER = "Directory.AccessAsUser.All"
READ_DOMAINS = rule(
    {"Domain.Read.All", "Domain.ReadWrite.All", *_DIRECTORY_READ},
    {"Domain.Read.All", "Domain.ReadWrite.All", *_DIRECTORY_READ, _ACCESS_AS_USER},
)
WRITE_DOMAINS = rule(
    {"Domain.ReadWrite.All"},
    {"Domain.ReadWrite.All", _ACCESS_AS_USER},
    {_GA, "Domain Name Administrator"},
)
READ_SKUS = rule(
    {
        "LicenseAssignment.Read.All",
        "LicenseAssignment.ReadWrite.All",
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        *_DIRECTORY_READ,
    },
    {
        "LicenseAssignment.Read.All",
        "LicenseAssignment.ReadWrite.All",
        "Organization.Read.All",
        *_DIRECTORY_READ,
        _ACCESS_AS_USER,
    },
)
WRITE_USERS = rule(
    {"User.ReadWrite.All", "Directory.ReadWrite.All"},
    {"User.ReadWrite.All", "Directory.ReadWrite.All", _ACCESS_AS_USER},
    {_GA, "User Administrator"},
)
DELETE_USERS = rule(
    {"User.ReadWrite.All", "User.DeleteRestore.All"},
    {"User.ReadWrite.All", "User.DeleteRestore.All", _ACCESS_AS_USER},
    {_GA, "User Administrator"},
)
READ_DELETED_USERS = rule(
    {"User.Read.All", "User.ReadWrite.All", "User.DeleteRestore.All", *_DIRECTORY_READ},
    {"User.Read.All", "User.ReadWrite.All", "User.DeleteRestore.All", *_DIRECTORY_READ},
)
ASSIGN_LICENSES = rule(
    {"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
    {"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
    {_GA, "User Administrator", "License Administrator", "Directory Writers"},
)
_TEAMS_ADMINS = {
    _GA,
    "Teams Administrator",
    "Teams Communications Administrator",
    "Teams Telephony Administrator",
}
READ_TEAMS_USERS = rule(
    {"TeamsUserConfiguration.Read.All"},
    {"TeamsUserConfiguration.Read.All"},
    {*_TEAMS_ADMINS, "Global Reader"},
)
READ_NUMBERS = rule(
    {"TeamsTelephoneNumber.Read.All", "TeamsTelephoneNumber.ReadWrite.All"},
    {"TeamsTelephoneNumber.Read.All", "TeamsTelephoneNumber.ReadWrite.All"},
    {*_TEAMS_ADMINS, "Global Reader"},
)
WRITE_NUMBERS = rule(
    {"TeamsTelephoneNumber.ReadWrite.All"},
    {"TeamsTelephoneNumber.ReadWrite.All"},
    _TEAMS_ADMINS,
)
