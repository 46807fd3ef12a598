"""Graph's JSON views of the sandbox's objects (organization, application, service principal)."""

from __future__ import annotations

import base64
import hashlib

from onramp.sandbox.model import (
    GRAPH_APP_ID,
    GRAPH_ROLE_IDS,
    TEAMS_APP_ID,
    Application,
    Tenant,
    graph_role_id,
    iso_z,
)

MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
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


def application(tenant: Tenant, app: Application) -> dict:
    access = [{"id": graph_role_id(name), "type": "Role"} for name in app.permissions]
    return {
        "id": app.object_id,
        "deletedDateTime": None,
        "appId": app.app_id,
        "createdDateTime": iso_z(app.created),
        "description": None,
        "displayName": app.display_name,
        "disabledByMicrosoftStatus": None,
        "identifierUris": [],
        "publisherDomain": tenant.default_domain,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "keyCredentials": [],
        "passwordCredentials": [
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
        ],
        "requiredResourceAccess": (
            [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}] if access else []
        ),
    }


APPLICATION_FIELDS = (
    "id", "deletedDateTime", "appId", "createdDateTime", "description", "displayName",
    "disabledByMicrosoftStatus", "identifierUris", "publisherDomain", "signInAudience", "tags",
    "keyCredentials", "passwordCredentials", "requiredResourceAccess",
)  # fmt: skip


def _service_principal(
    object_id: str, app_id: str, name: str, owner: str, enabled: bool, roles: list[dict]
) -> dict:
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
        "passwordCredentials": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg"
        if owner != MICROSOFT_SERVICES_TENANT
        else "AzureADMultipleOrgs",
        "tags": [],
    }


def service_principal(tenant: Tenant, app_id: str) -> dict | None:
    """The service principal of a registered app, or of Graph / the Teams admin API."""
    app = tenant.applications.get(app_id.lower())
    if app is not None:
        return _service_principal(
            app.service_principal_id, app.app_id, app.display_name, tenant.tenant_id,
            app.enabled, [],
        )  # fmt: skip
    if app_id.lower() == GRAPH_APP_ID:
        names = dict.fromkeys(GRAPH_ROLE_IDS)
        for registered in tenant.applications.values():
            names.update(dict.fromkeys(registered.permissions))
        roles = [
            {
                "allowedMemberTypes": ["Application"],
                "description": name,
                "displayName": name,
                "id": graph_role_id(name),
                "isEnabled": True,
                "origin": "Application",
                "value": name,
            }
            for name in names
        ]
        return _service_principal(
            tenant.resource_sp_id(GRAPH_APP_ID), GRAPH_APP_ID, "Microsoft Graph",
            MICROSOFT_SERVICES_TENANT, True, roles,
        )  # fmt: skip
    if app_id.lower() == TEAMS_APP_ID and tenant.teams:
        return _service_principal(
            tenant.resource_sp_id(TEAMS_APP_ID), TEAMS_APP_ID,
            "Skype and Teams Tenant Admin API", MICROSOFT_SERVICES_TENANT, True, [],
        )  # fmt: skip
    return None


def app_role_assignments(tenant: Tenant, sp_id: str) -> list[dict] | None:
    """Granted Graph application permissions of a service principal; None when unknown."""
    app = tenant.find_sp(sp_id.lower())
    if app is None:
        first_party = {tenant.resource_sp_id(GRAPH_APP_ID)}
        if tenant.teams:
            first_party.add(tenant.resource_sp_id(TEAMS_APP_ID))
        return [] if sp_id.lower() in first_party else None
    return [
        {
            "id": base64.urlsafe_b64encode(
                hashlib.sha256(f"{app.service_principal_id}:{name}".encode()).digest()
            )
            .rstrip(b"=")
            .decode(),
            "deletedDateTime": None,
            "appRoleId": graph_role_id(name),
            "createdDateTime": iso_z(app.created),
            "principalDisplayName": app.display_name,
            "principalId": app.service_principal_id,
            "principalType": "ServicePrincipal",
            "resourceDisplayName": "Microsoft Graph",
            "resourceId": tenant.resource_sp_id(GRAPH_APP_ID),
        }
        for name in app.permissions
    ]
