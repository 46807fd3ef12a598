"""Microsoft's published ids the product needs without asking Graph (the setup scripts, start-up
checks): the Microsoft Graph application and its application permissions (app roles),
research/provisioning.md §A.2. The sandbox serves its own copy (it knows nothing of the product),
and the tests compare the scripts against that copy: a mistyped id here fails them."""

from __future__ import annotations

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

# Microsoft Graph application permissions (app roles), as published by Microsoft.
GRAPH_ROLE_IDS: dict[str, str] = {
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
