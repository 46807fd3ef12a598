"""Graph's JSON views of the sandbox's objects (organization, application, service principal)."""

from __future__ import annotations

from onramp.sandbox.catalog import (
    GRAPH_APP_ID,
    GRAPH_ROLE_IDS,
    GRAPH_SCOPES,
    MICROSOFT_SERVICES_TENANT,
    TEAMS_APP_ID,
    TEAMS_ROLE_IDS,
    TEAMS_SCOPES,
    graph_role_id,
    graph_scope_id,
)
from onramp.sandbox.model import Application, Principal, Tenant, iso_z, stable_id

_TEAMS_PLANS = [  # (service, servicePlanId): Teams, Skype for Business Online, Phone System
    ("TeamspaceAPI", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
    ("MicrosoftCommunicationsOnline", "0feaeb32-d00e-4d66-bd5a-43b5b83db82c"),
    ("MicrosoftCommunicationsOnline", "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"),
]


def organization(tenant: Tenant) -> dict:
    plans = _TEAMS_PLANS if tenant.teams else []
    created = iso_z(tenant.created)
    return {
        "id": tenant.tenant_id,
        "deletedDateTime": None,
        "businessPhones": [],
        "city": None,
        "country": None,
        "countryLetterCode": "US",
        "createdDateTime": created,
        "displayName": tenant.display_name,
        "onPremisesSyncEnabled": None,
        "postalCode": None,
        "preferredLanguage": "en",
        "state": None,
        "street": None,
        "technicalNotificationMails": [],
        "tenantType": "AAD",
        "assignedPlans": [
            {
                "assignedDateTime": created,
                "capabilityStatus": "Enabled",
                "service": service,
                "servicePlanId": plan_id,
            }
            for service, plan_id in plans
        ],
        "provisionedPlans": [
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": service}
            for service, _ in plans
        ],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": index == 0,
                "isInitial": index == 0,
                "name": domain,
                "type": "Managed",
            }
            for index, domain in enumerate(tenant.domains)
        ],
    }


def _defaults(app: Application) -> dict:
    """Graph's values for what the creator did not set; admin-made apps get their redirects."""
    web = [] if app.public_client else list(app.redirect_uris)
    public = list(app.redirect_uris) if app.public_client else []
    return {
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
        },
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "isFallbackPublicClient": app.public_client or None,
        "publicClient": {"redirectUris": public},
        "spa": {"redirectUris": []},
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": web,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
            "redirectUriSettings": [{"uri": uri, "index": None} for uri in web],
        },
    }


def redirect_uris(app: Application) -> list[str]:
    """Every registered reply URL: web, single-page and public-client platforms."""
    view = {**_defaults(app), **app.graph}
    return [
        *view["web"].get("redirectUris", []),
        *view["spa"].get("redirectUris", []),
        *view["publicClient"].get("redirectUris", []),
    ]


def allows_public_client(app: Application) -> bool:
    return bool({**_defaults(app), **app.graph}["isFallbackPublicClient"])


def key_credentials(app: Application) -> list[dict]:
    return [
        {
            "customKeyIdentifier": key.thumbprint,
            "displayName": key.display_name,
            "endDateTime": iso_z(key.end),
            "key": None,
            "keyId": key.key_id,
            "startDateTime": iso_z(key.start),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }
        for key in app.keys
    ]


def password_credentials(app: Application) -> list[dict]:
    return [
        {
            "customKeyIdentifier": None,
            "displayName": secret.display_name,
            "endDateTime": iso_z(secret.end),
            "hint": secret.hint,
            "keyId": secret.key_id,
            "secretText": None,
            "startDateTime": iso_z(secret.start),
        }
        for secret in app.secrets
    ]


def application(tenant: Tenant, app: Application) -> dict:
    access = [{"id": graph_role_id(name), "type": "Role"} for name in app.permissions]
    declared = [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}] if access else []
    view = {**_defaults(app), **app.graph}
    return {
        "id": app.object_id,
        "deletedDateTime": None,
        "appId": app.app_id,
        "createdDateTime": iso_z(app.created),
        "description": view.get("description"),
        "displayName": app.display_name,
        "disabledByMicrosoftStatus": None,
        "identifierUris": view.get("identifierUris", []),
        "isFallbackPublicClient": view["isFallbackPublicClient"],
        "notes": view.get("notes"),
        "publisherDomain": tenant.default_domain,
        "signInAudience": app.sign_in_audience,
        "tags": view.get("tags", []),
        "api": view["api"],
        "appRoles": view["appRoles"],
        "info": view["info"],
        "keyCredentials": key_credentials(app),
        "passwordCredentials": password_credentials(app),
        "publicClient": view["publicClient"],
        "requiredResourceAccess": view.get("requiredResourceAccess", declared),
        "spa": view["spa"],
        "web": view["web"],
    }


APPLICATION_FIELDS = (
    "id", "deletedDateTime", "appId", "createdDateTime", "description", "displayName",
    "disabledByMicrosoftStatus", "identifierUris", "isFallbackPublicClient", "notes",
    "publisherDomain", "signInAudience", "tags", "api", "appRoles", "info", "keyCredentials",
    "passwordCredentials", "publicClient", "requiredResourceAccess", "spa", "web",
)  # fmt: skip


def _app_roles(names: dict[str, str]) -> list[dict]:
    return [
        {
            "allowedMemberTypes": ["Application"],
            "description": name,
            "displayName": name,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": name,
        }
        for name, role_id in names.items()
    ]


def _scopes(names: dict[str, str]) -> list[dict]:
    return [
        {
            "adminConsentDescription": name,
            "adminConsentDisplayName": name,
            "id": scope_id,
            "isEnabled": True,
            "type": "Admin",
            "userConsentDescription": name,
            "userConsentDisplayName": name,
            "value": name,
        }
        for name, scope_id in names.items()
    ]


def _service_principal(
    object_id: str, app_id: str, name: str, owner: str, enabled: bool, audience: str,
    roles: list[dict], scopes: list[dict],
) -> dict:  # fmt: skip
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": enabled,
        "appDisplayName": name,
        "appId": app_id,
        "appOwnerOrganizationId": owner,
        "appRoleAssignmentRequired": False,
        "appRoles": roles,
        "displayName": name,
        "keyCredentials": [],
        "oauth2PermissionScopes": scopes,
        "passwordCredentials": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": audience,
        "tags": [],
    }


SERVICE_PRINCIPAL_FIELDS = tuple(_service_principal("", "", "", "", True, "", [], []))


def graph_app_roles(tenant: Tenant) -> dict[str, str]:
    """Graph's app roles: Microsoft's published ones plus any the tenant's apps were granted."""
    names = dict.fromkeys(GRAPH_ROLE_IDS)
    for principal in tenant.principals():
        names.update(dict.fromkeys(principal.permissions))
    return {name: graph_role_id(name) for name in names}


def principal_view(tenant: Tenant, principal: Principal) -> dict:
    owner = getattr(principal, "home_tenant_id", tenant.tenant_id)
    audience = getattr(principal, "sign_in_audience", "AzureADMultipleOrgs")
    assert principal.service_principal_id is not None
    return _service_principal(
        principal.service_principal_id, principal.app_id, principal.display_name, owner,
        principal.enabled, audience, [], [],
    )  # fmt: skip


def service_principal(tenant: Tenant, app_id: str) -> dict | None:
    """The service principal of a registered app, or of Graph / the Teams admin API."""
    found = tenant.principal_for(app_id)
    if found is not None:
        return principal_view(tenant, found)
    if app_id.lower() == GRAPH_APP_ID:
        scopes = {name: graph_scope_id(name) for name in GRAPH_SCOPES}
        return _service_principal(
            tenant.resource_sp_id(GRAPH_APP_ID), GRAPH_APP_ID, "Microsoft Graph",
            MICROSOFT_SERVICES_TENANT, True, "AzureADMultipleOrgs",
            _app_roles(graph_app_roles(tenant)), _scopes(scopes),
        )  # fmt: skip
    if app_id.lower() == TEAMS_APP_ID and tenant.teams:
        scopes = {name: ids[0] for name, ids in TEAMS_SCOPES.items()}
        return _service_principal(
            tenant.resource_sp_id(TEAMS_APP_ID), TEAMS_APP_ID,
            "Skype and Teams Tenant Admin API", MICROSOFT_SERVICES_TENANT, True,
            "AzureADMultipleOrgs", _app_roles(TEAMS_ROLE_IDS), _scopes(scopes),
        )  # fmt: skip
    return None


def service_principal_by_id(tenant: Tenant, sp_id: str) -> dict | None:
    found = tenant.find_sp(sp_id.lower())
    if found is not None:
        return principal_view(tenant, found)
    app_id = tenant.first_party_sp_ids().get(sp_id.lower())
    return service_principal(tenant, app_id) if app_id else None


def service_principals(tenant: Tenant) -> list[dict]:
    views = [service_principal(tenant, app_id) for app_id in tenant.first_party_sp_ids().values()]
    views += [principal_view(tenant, p) for p in tenant.principals()]
    return [view for view in views if view is not None]


def _assignment(tenant: Tenant, principal: Principal, resource_app_id: str, role_id: str) -> dict:
    resource = (
        "Microsoft Graph"
        if resource_app_id == GRAPH_APP_ID
        else ("Skype and Teams Tenant Admin API")
    )
    sp_id = str(principal.service_principal_id)
    return {
        "id": stable_id(sp_id, role_id),
        "deletedDateTime": None,
        "appRoleId": role_id,
        "createdDateTime": iso_z(principal.created),
        "principalDisplayName": principal.display_name,
        "principalId": sp_id,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource,
        "resourceId": tenant.resource_sp_id(resource_app_id),
    }


def assignments_of(tenant: Tenant, principal: Principal) -> list[dict]:
    graph = [_assignment(tenant, principal, GRAPH_APP_ID, graph_role_id(n))
             for n in principal.permissions]  # fmt: skip
    teams = [_assignment(tenant, principal, TEAMS_APP_ID, TEAMS_ROLE_IDS[n])
             for n in principal.teams_permissions]  # fmt: skip
    return graph + teams


def app_role_assignments(tenant: Tenant, sp_id: str) -> list[dict] | None:
    """Granted application permissions of a service principal; None when unknown."""
    principal = tenant.find_sp(sp_id.lower())
    if principal is None:
        return [] if sp_id.lower() in tenant.first_party_sp_ids() else None
    return assignments_of(tenant, principal)


def assigned_to(tenant: Tenant, resource_sp_id: str) -> list[dict] | None:
    """Every grant of a resource's app roles (`appRoleAssignedTo`); None when unknown."""
    resource_app_id = tenant.first_party_sp_ids().get(resource_sp_id.lower())
    if resource_app_id is None:
        return [] if tenant.find_sp(resource_sp_id.lower()) else None
    return [
        item
        for principal in tenant.principals()
        for item in assignments_of(tenant, principal)
        if item["resourceId"] == resource_sp_id.lower()
    ]
