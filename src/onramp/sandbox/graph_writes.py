"""Graph writes for app registration: applications, credentials, service principals, grants.

Status codes follow Microsoft: 201 with the object for creations, 200 for `addPassword`, 204 for
`PATCH` and `DELETE`. Objects created here reach the token endpoint only after the configured
replication delay, as Microsoft's replicas do.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from onramp.sandbox import directory, people
from onramp.sandbox import permissions as perm
from onramp.sandbox.catalog import (
    GRAPH_APP_ID,
    ROLE_NAMES,
    TEAMS_ROLE_IDS,
    graph_role_id,
)
from onramp.sandbox.credentials import KeyCredential, Secret, iso_z, parse_iso, utcnow
from onramp.sandbox.errors import GraphError, bad_request, not_found
from onramp.sandbox.graph_reads import _APP_ID, _ID, Reply, _route
from onramp.sandbox.model import Application, ServicePrincipal
from onramp.sandbox.state import generate_secret_text
from onramp.sandbox.tenant_admin import key_credential

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call

DEFAULT_POLICY_ID = "00000000-0000-0000-0000-000000000000"
_WRITABLE = frozenset(
    (
        "displayName signInAudience requiredResourceAccess keyCredentials web spa publicClient "
        "api appRoles info description tags identifierUris isFallbackPublicClient notes"
    ).split()
)
_AUDIENCES = {"AzureADMyOrg", "AzureADMultipleOrgs"}
_COMPLEX = {"web", "spa", "publicClient", "api", "info"}


def _unknown_property(name: str, type_name: str) -> GraphError:
    return bad_request(
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type."
    )


def _find_app(call: Call, key: str, by_app_id: bool) -> Application:
    apps = call.tenant.applications.values()
    found = next((a for a in apps if (a.app_id if by_app_id else a.object_id) == key.lower()), None)
    if found is None:
        raise not_found(key)
    return found


def _keys(call: Call, app: Application | None, items: object) -> list[KeyCredential]:
    """The new keyCredentials collection: entries with `key` are added, `keyId` alone kept."""
    if not isinstance(items, list):
        raise bad_request(
            "Invalid value specified for property 'keyCredentials' of resource 'Application'."
        )
    existing = {k.key_id: k for k in (app.keys if app else [])}
    result = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("Invalid value specified for property 'keyCredentials'.")
        if not item.get("key") and str(item.get("keyId", "")).lower() in existing:
            result.append(existing[str(item["keyId"]).lower()])
            continue
        if item.get("type") != "AsymmetricX509Cert" or item.get("usage") != "Verify":
            raise bad_request("Key credential type or usage is not supported.")
        try:
            key = key_credential(
                base64.b64decode(str(item.get("key")), validate=True), item.get("displayName")
            )
        except (binascii.Error, ValueError):
            raise bad_request(
                "Key credential value is invalid: the key is not a certificate."
            ) from None
        key.visible_at = call.world.faults.visible_at()
        result.append(key)
    return result


def _apply(call: Call, app: Application, body: dict) -> None:
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name not in _WRITABLE:
            raise _unknown_property(name, "application")
        if name == "displayName":
            if not isinstance(value, str) or not value.strip() or len(value) > 256:
                raise bad_request("Invalid value specified for property 'displayName'.")
            app.display_name = value
        elif name == "signInAudience":
            if value not in _AUDIENCES:
                raise bad_request("Invalid value specified for property 'signInAudience'.")
            app.sign_in_audience = value
        elif name == "keyCredentials":
            app.keys = _keys(call, app, value)
        elif name in _COMPLEX:
            # Complex types merge: properties left out keep their values, as in Graph.
            if not isinstance(value, dict):
                raise bad_request(f"Invalid value specified for property '{name}'.")
            app.graph[name] = {**directory.property_value(app, name), **value}
        else:
            app.graph[name] = value
            if name == "isFallbackPublicClient":
                app.public_client = bool(value)


def create_application(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_APPLICATIONS)
    if not str(call.body.get("displayName") or "").strip():
        raise bad_request("Property 'displayName' is required.")
    now = utcnow()
    app = Application(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        None,
        "",
        [],
        [],
        True,
        now,
        visible_at=call.world.faults.visible_at(),
    )
    _apply(call, app, call.body)
    user = perm.signed_in_user(call.tenant, call.claims)
    app.owners = [user.user_id] if user else []
    call.tenant.applications[app.app_id] = app
    call.world.save()
    view = directory.application(call.tenant, app)
    return 201, {"@odata.context": f"{call.context}applications/$entity", **view}


def update_application(call: Call, key: str, by_app_id: bool = False) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_APPLICATIONS)
    app = _find_app(call, key, by_app_id)
    _apply(call, app, call.body)
    call.world.save()
    return 204, None


def add_password(call: Call, key: str, by_app_id: bool = False) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_APPLICATIONS)
    app = _find_app(call, key, by_app_id)
    wanted = call.body.get("passwordCredential") or {}
    if not isinstance(wanted, dict):
        raise bad_request("Invalid value specified for property 'passwordCredential'.")
    try:
        start = parse_iso(wanted["startDateTime"]) if wanted.get("startDateTime") else utcnow()
        end = parse_iso(wanted["endDateTime"]) if wanted.get("endDateTime") else None
    except (TypeError, ValueError):
        raise bad_request("Invalid value specified for property 'endDateTime'.") from None
    end = end or start + timedelta(days=730)
    policy = call.tenant.policy
    if not policy.get("passwords_allowed", True):
        raise GraphError(
            400,
            "CredentialTypeNotAllowedAsPerAppPolicy",
            f"Password addition is not allowed as per assigned policy '{DEFAULT_POLICY_ID}'.",
        )
    days = policy.get("max_password_lifetime_days")
    if days is not None and end - start > timedelta(days=days):
        raise GraphError(
            400,
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed as per assigned policy "
            f"'{DEFAULT_POLICY_ID}'.",
        )
    secret = Secret(
        str(uuid.uuid4()),
        wanted.get("displayName"),
        generate_secret_text(),
        start,
        end,
        call.world.faults.visible_at(),
    )
    app.secrets.append(secret)
    call.world.save()
    return 200, {
        "@odata.context": f"{call.context}microsoft.graph.passwordCredential",
        "customKeyIdentifier": None,
        "displayName": secret.display_name,
        "endDateTime": iso_z(secret.end),
        "hint": secret.hint,
        "keyId": secret.key_id,
        "secretText": secret.secret_text,
        "startDateTime": iso_z(secret.start),
    }


def create_service_principal(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_APPLICATIONS)
    app_id = str(call.body.get("appId") or "").lower()
    if not app_id:
        raise bad_request("Property 'appId' is required.")
    existing = directory.service_principal(call.tenant, app_id)
    if existing is not None:
        raise GraphError(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "The service principal cannot be created, updated, or restored because the service "
            f"principal name {app_id} is already in use.",
        )
    home = call.tenant.applications.get(app_id)
    if home is not None:
        home.service_principal_id = str(uuid.uuid4())
        home.sp_created, home.sp_visible_at = utcnow(), call.world.faults.visible_at()
    else:
        owner = call.world.multi_tenant_app(app_id)
        if owner is None:
            raise bad_request(
                f"The appId '{app_id}' of the service principal does not reference a valid "
                "application object."
            )
        call.tenant.foreign[app_id] = ServicePrincipal(
            str(uuid.uuid4()),
            app_id,
            owner[1].display_name,
            owner[0],
            utcnow(),
            visible_at=call.world.faults.visible_at(),
        )
    call.world.save()
    view = directory.service_principal(call.tenant, app_id)
    return 201, {"@odata.context": f"{call.context}servicePrincipals/$entity", **(view or {})}


def assign_app_role(call: Call, resource_id: str) -> Reply:
    resource_app_id = call.tenant.first_party_sp_ids().get(resource_id.lower())
    if resource_app_id is None:
        raise not_found(resource_id)
    is_graph = resource_app_id == GRAPH_APP_ID
    perm.check(
        call.tenant, call.claims, perm.GRANT_GRAPH_APP_ROLES if is_graph else perm.GRANT_APP_ROLES
    )
    body = call.body
    if str(body.get("resourceId", "")).lower() != resource_id.lower():
        raise bad_request("The resourceId in the request body must match the resource in the URL.")
    principal = call.tenant.find_sp(str(body.get("principalId", "")).lower())
    if principal is None:
        raise not_found(str(body.get("principalId")))
    roles = directory.graph_app_roles(call.tenant) if is_graph else TEAMS_ROLE_IDS
    by_id = {role_id: name for name, role_id in roles.items()}
    name = by_id.get(str(body.get("appRoleId", "")).lower())
    if name is None:
        raise bad_request(
            f"Permission being assigned was not found on application '{resource_app_id}'."
        )
    held = principal.permissions if is_graph else principal.teams_permissions
    if name in held:
        raise bad_request("Permission being assigned already exists on the object")
    held.append(name)
    call.world.save()
    role_id = graph_role_id(name) if is_graph else TEAMS_ROLE_IDS[name]
    item = next(
        a for a in directory.assignments_of(call.tenant, principal) if a["appRoleId"] == role_id
    )
    context = f"{call.context}servicePrincipals('{resource_id}')/appRoleAssignedTo/$entity"
    return 201, {"@odata.context": context, **item}


def assign_directory_role(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.ASSIGN_DIRECTORY_ROLES)
    body = call.body
    role = ROLE_NAMES.get(str(body.get("roleDefinitionId", "")).lower())
    if role is None:
        raise not_found(str(body.get("roleDefinitionId")))
    if body.get("directoryScopeId", "/") != "/":
        raise bad_request("Only the tenant-wide directory scope '/' is supported.")
    principal_id = str(body.get("principalId", "")).lower()
    principal = call.tenant.find_sp(principal_id) or call.tenant.users.get(principal_id)
    if principal is None:
        raise not_found(principal_id)
    if role in principal.roles:
        raise bad_request(
            "A conflicting object with one or more of the specified property values is present "
            "in the directory."
        )
    principal.roles.append(role)
    call.world.save()
    item = people.role_assignment(principal_id, role)
    context = f"{call.context}roleManagement/directory/roleAssignments/$entity"
    return 201, {
        "@odata.context": context,
        "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
        **item,
    }


def delete_application(call: Call, key: str, by_app_id: bool = False) -> Reply:
    """The app registration gone, and its service principal in this (its home) tenant with the
    grants made to it. Microsoft keeps both in deletedItems for 30 days; the sandbox models no
    deleted applications, so they are simply gone."""
    perm.check(call.tenant, call.claims, perm.DELETE_APPLICATIONS)
    app = _find_app(call, key, by_app_id)
    perm.check_owned(call.claims, app.owners, perm.DELETE_APPLICATIONS)
    del call.tenant.applications[app.app_id]
    sp_id = app.service_principal_id
    call.tenant.grants = [
        g for g in call.tenant.grants if sp_id not in (g.client_id, g.resource_id)
    ]
    for other in call.tenant.applications.values():
        other.owners = [owner for owner in other.owners if owner != sp_id]
    call.world.save()
    return 204, None


def delete_grant(call: Call, grant_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.DELETE_GRANTS)
    kept = [g for g in call.tenant.grants if g.grant_id != grant_id]
    if len(kept) == len(call.tenant.grants):
        raise not_found(grant_id)
    call.tenant.grants = kept
    call.world.save()
    return 204, None


WRITE_ROUTES = [
    _route("POST", "applications", create_application),
    _route("PATCH", f"applications/{_ID}", update_application),
    _route("PATCH", f"applications{_APP_ID}", lambda c, k: update_application(c, k, True)),
    _route("DELETE", f"applications/{_ID}", delete_application),
    _route("DELETE", f"applications{_APP_ID}", lambda c, k: delete_application(c, k, True)),
    _route("POST", f"applications/{_ID}/addPassword", add_password),
    _route("POST", f"applications{_APP_ID}/addPassword", lambda c, k: add_password(c, k, True)),
    _route("POST", "servicePrincipals", create_service_principal),
    _route("POST", f"servicePrincipals/{_ID}/appRoleAssignedTo", assign_app_role),
    _route("POST", "roleManagement/directory/roleAssignments", assign_directory_role),
    _route("DELETE", f"oauth2PermissionGrants/{_ID}", delete_grant),
]
