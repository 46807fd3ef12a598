"""Microsoft's fixed catalogs: first-party app ids, directory roles, app roles and scopes.

Ids are the published ones (research/provisioning.md §A.2); anything else gets a stable made-up id.
"""

from __future__ import annotations

import uuid

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TEAMS_APP_ID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
GRAPH_RESOURCES = frozenset({"https://graph.microsoft.com", GRAPH_APP_ID})
TEAMS_RESOURCES = frozenset({TEAMS_APP_ID, "https://api.interfaces.records.teams.microsoft.com"})
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
DEFAULT_USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"  # every member's `wids` carries it

# Directory role name -> role template id (what `wids` and `roleDefinitionId` carry).
DIRECTORY_ROLES = {
    "Teams Administrator": "69091246-20e8-4a56-aa4d-066075b2a7a8",
    "Teams Communications Administrator": "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
    "Teams Telephony Administrator": "aa38014f-0993-46e9-9b45-30501a20909d",
    "Skype for Business Administrator": "75941009-915a-4869-abe7-691bff18279e",
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Application Developer": "cf1c38e5-3621-4004-a7cb-879624dced7c",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "License Administrator": "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
    "Domain Name Administrator": "8329153b-31d0-4727-b945-745eb3bc5f31",
    "Directory Writers": "9360feb5-f418-4baa-8175-e2a00bac4301",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
ROLE_NAMES = {template: name for name, template in DIRECTORY_ROLES.items()}

# Microsoft Graph application permissions (app roles), as published by Microsoft.
GRAPH_ROLE_IDS = {
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Organization.ReadWrite.All": "292d869f-3427-49a8-9dab-8c70152b74e9",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "LicenseAssignment.ReadWrite.All": "5facf0c1-8979-4e95-abcf-ff3d079771c0",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
    "AppCatalog.ReadWrite.All": "dc149144-f292-421e-b185-5953f2e98d7f",
    "TeamSettings.ReadWrite.All": "bdd80a03-d9bc-451d-b7c4-ce7c63fe3c8f",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.ReadWrite.ApplicationConfiguration": "be74164b-cff1-491c-8741-e671cb536e13",
    "TeamsTelephoneNumber.ReadWrite.All": "0a42382f-155c-4eb1-9bdc-21548ccaa387",
    "TeamsUserConfiguration.Read.All": "a91eadaf-2c3c-4362-908b-fb172d208fc6",
}

# Microsoft Graph delegated permissions (oauth2PermissionScopes) -> (id, admin consent needed).
GRAPH_SCOPES = {
    "User.Read": ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", False),
    "openid": ("37f7f235-527c-4136-accd-4a02d197296e", False),
    "profile": ("14dad69e-099b-42c9-810b-d002981feec1", False),
    "offline_access": ("7427e0e9-2fba-42fe-b0c0-848c9e6a8182", False),
    "email": ("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", False),
    "Organization.Read.All": ("4908d5b9-3fb2-4b1e-9336-1888b7937185", True),
    "Domain.ReadWrite.All": ("0b5d694c-a244-4bde-86e6-eb5cd07730fe", True),
    "User.ReadWrite.All": ("204e0828-b5ca-4ad8-b9f3-f32a958e7cc4", True),
    "User.Read.All": ("a154be20-db9c-4678-8ab7-66f6cc099a59", True),
    "Application.Read.All": ("c79f8feb-a9db-4090-85f9-90d820caa0eb", True),
    "Application.ReadWrite.All": ("bdfbf15f-ee85-4955-8675-146e8e5296b5", True),
    "AppRoleAssignment.ReadWrite.All": ("84bccea3-f856-4a8a-967b-dbe0a3d53a64", True),
    "RoleManagement.ReadWrite.Directory": ("d01b97e9-cbc0-49fe-810a-750afd5527a3", True),
    "Directory.Read.All": ("06da0dbc-49e2-44d2-8312-53f166ab848a", True),
    "DelegatedPermissionGrant.ReadWrite.All": ("41ce6ca6-6826-4807-84f1-1c82854f7ee5", True),
    "TeamsTelephoneNumber.ReadWrite.All": ("424b07a8-1209-4d17-9fe4-9018a93a1024", True),
    "TeamsUserConfiguration.Read.All": ("5c469ce4-dab5-4afd-b9de-14f1ba4004a7", True),
}
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})

TEAMS_ROLE_IDS = {
    "application_access": "15391dcf-e272-4693-b514-06792e967d66",
    "application_access_custom_sba_appliance": "2becb389-af30-4221-8e0a-3384b5a0c656",
}
TEAMS_SCOPES = {"user_impersonation": ("e60370c1-e451-437e-aa6e-d76df38e5f15", True)}

_NAMESPACE = uuid.UUID("6f1c3d52-9d0e-4c1b-8a53-5b2f3f0d8e11")


def graph_role_id(name: str) -> str:
    """The real id for known permissions; a stable made-up one for anything else."""
    return GRAPH_ROLE_IDS.get(name) or str(uuid.uuid5(_NAMESPACE, name))


def graph_scope_id(name: str) -> str:
    known = GRAPH_SCOPES.get(name)
    return known[0] if known else str(uuid.uuid5(_NAMESPACE, f"scope:{name}"))


def needs_admin_consent(scope: str) -> bool:
    """Unknown Graph scopes are treated like the `*.All` ones: an admin must consent."""
    known = GRAPH_SCOPES.get(scope)
    return known[1] if known else True


# Licensing: the published ids of the SKUs and service plans Direct Routing cares about
# (research/provisioning.md §D.3); any other name gets a stable made-up id.
SKU_IDS = {
    "ENTERPRISEPREMIUM": "c7df2760-2c81-4ef7-b578-5b5392b571df",
    "ENTERPRISEPACK": "6fd2c87f-b296-42f0-b197-1e91e994b900",
    "STANDARDPACK": "18181a46-0d4e-45cd-891e-60aabd171b4e",
    "SPE_E5": "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
    "MCOEV": "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
    "PHONESYSTEM_VIRTUALUSER": "440eaaa8-b3e0-484b-a8be-62870b9ba70a",
}
SERVICE_PLAN_IDS = {
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
    "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
    "MCOEV": "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
    "MCOEV_VIRTUALUSER": "f47330e9-c134-43b3-9993-e7f004506889",
}
TEAMS_PLAN = "TEAMS1"  # what makes a licensed user count for Teams activation
PHONE_PLAN_PREFIX = "MCOEV"  # Teams Phone: "as long as the plan starts with MCOEV"


def sku_id(part_number: str) -> str:
    return SKU_IDS.get(part_number) or str(uuid.uuid5(_NAMESPACE, f"sku:{part_number}"))


def service_plan_id(name: str) -> str:
    return SERVICE_PLAN_IDS.get(name) or str(uuid.uuid5(_NAMESPACE, f"plan:{name}"))
