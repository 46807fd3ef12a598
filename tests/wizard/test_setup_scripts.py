"""The setup scripts (SPEC "Ways to connect", *Setup script*; CONTRACT §5 **Download PowerShell
script**, **Download Azure CLI script**): generated for this invitation, downloads with the
wizard's headers and link checks, the permissions of the created-app flow by their published ids,
nothing secret of Onramp's and not the link's token in them."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings

from onramp.sandbox.catalog import GRAPH_ROLE_IDS  # Microsoft's ids as the sandbox serves them
from onramp.services.onboarding import invitation_revoke
from onramp.tenancy.models import Customer
from tests.wizard.conftest import assert_wizard_headers, expire, find, text

pytestmark = pytest.mark.django_db

TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
TENANT = "5d9f0c1e-7b1a-4c55-9a3e-2f4b6c8d0e11"
OPTIONAL = "TeamsTelephoneNumber.ReadWrite.All"
NAME = "Northwind Voice Teams Direct Routing \u2013 Contoso-01"


@pytest.fixture(autouse=True)
def optional_permission(settings):
    settings.OPTIONAL_GRAPH_PERMISSIONS = [OPTIONAL]


def _wanted() -> list[str]:
    return [*settings.REQUIRED_GRAPH_PERMISSIONS, OPTIONAL]


def _download(client, link, kind: str):
    response = client.get(f"{link.path}?script={kind}")
    assert response.status_code == 200, response.content
    assert_wizard_headers(response)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response, response.content.decode("utf-8")


def _assert_nothing_of_onramps(script: str, link) -> None:
    for secret in (
        link.token,
        settings.SECRET_KEY,
        settings.SIGN_IN_CLIENT_SECRET,
        str(link.invitation.pk),
    ):
        if secret:
            assert secret not in script
    assert "/invite/" not in script and "Bearer" not in script


def _outside_strings(script: str) -> str:
    """The PowerShell code without its comments and string literals (scanned left to right as
    PowerShell does: '…' with '' inside, "…" with `x and "" inside, # to the end of the line),
    to check its brackets."""
    code, index = [], 0
    while index < len(script):
        char = script[index]
        if char == "#":
            index = script.find("\n", index)
            index = len(script) if index < 0 else index
        elif char in "'\"":
            index += 1
            while index < len(script):
                if char == '"' and script[index] == "`":
                    index += 2
                elif script[index] == char and script[index + 1 : index + 2] == char:
                    index += 2
                elif script[index] == char:
                    break
                else:
                    index += 1
            index += 1
        else:
            code.append(char)
            index += 1
    return "".join(code)


def _balanced(code: str) -> bool:
    pairs, stack = {")": "(", "}": "{", "]": "["}, []
    for char in code:
        if char in "({[":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack


def test_powershell_script_builds_the_same_app_registration(client, link):
    response, script = _download(client, link, "powershell")
    assert response["Content-Disposition"] == 'attachment; filename="onramp-setup-contoso-01.ps1"'
    assert script.startswith("\ufeff# Onramp setup script (PowerShell, Microsoft Graph")
    assert "# For Contoso main (Contoso Ltd), connected by Northwind Voice.\n" in script
    roles = "".join(f"    '{name}' = '{GRAPH_ROLE_IDS[name]}'\n" for name in _wanted())
    assert f"$AppRoleIds = [ordered]@{{\n{roles}}}\n" in script
    role = f"    'Teams Administrator' = '{TEAMS_ADMINISTRATOR}'\n"
    assert f"$DirectoryRoleIds = [ordered]@{{\n{role}}}\n" in script
    assert f"$AppName = '{NAME}'\n" in script
    assert "$GraphAppId = '00000003-0000-0000-c000-000000000000'\n" in script
    assert "$SecretDays = 180\n" in script
    # No tenant known yet: the admin's sign-in chooses it, and the script reads it back.
    assert (
        "Connect-MgGraph -NoWelcome -Scopes 'Application.ReadWrite.All', "
        "'AppRoleAssignment.ReadWrite.All', 'RoleManagement.ReadWrite.Directory'\n"
    ) in script
    order = [
        "Connect-MgGraph ",
        "$TenantId = (Get-MgContext).TenantId",
        "$app = Get-MgApplication -Filter $nameFilter -Top 1",
        "Update-MgApplication -ApplicationId $app.Id -RequiredResourceAccess $access",
        "$app = New-MgApplication -DisplayName $AppName -SignInAudience 'AzureADMyOrg' "
        "-RequiredResourceAccess $access",
        "$sp = Retry { New-MgServicePrincipal -AppId $app.AppId }",
        "$graphSp = Get-MgServicePrincipal -Filter \"appId eq '$GraphAppId'\"",
        "New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id "
        "-ResourceId $graphSp.Id -AppRoleId $AppRoleIds[$name]",
        "New-MgRoleManagementDirectoryRoleAssignment -PrincipalId $sp.Id -RoleDefinitionId "
        "$DirectoryRoleIds[$name] -DirectoryScopeId '/'",
        "$secret = Add-MgApplicationPassword -ApplicationId $app.Id -PasswordCredential @{",
        "EndDateTime = (Get-Date).ToUniversalTime().AddDays($SecretDays)",
        'Write-Host "Directory (tenant) ID:   $TenantId"',
        'Write-Host "Application (client) ID: $($app.AppId)"',
        'Write-Host "Client secret:           $($secret.SecretText)"',
    ]
    positions = [script.index(line) for line in order]
    assert positions == sorted(positions)
    assert _balanced(_outside_strings(script))
    _assert_nothing_of_onramps(script, link)


def test_azure_cli_script_builds_the_same_app_registration(client, link):
    response, script = _download(client, link, "azure-cli")
    assert response["Content-Disposition"] == 'attachment; filename="onramp-setup-contoso-01.sh"'
    assert script.startswith("#!/usr/bin/env bash\n# Onramp setup script (Azure CLI)\n")
    roles = "".join(f"  '{name}={GRAPH_ROLE_IDS[name]}'\n" for name in _wanted())
    assert f"APP_ROLES=(\n{roles})\n" in script
    assert f"DIRECTORY_ROLES=(\n  'Teams Administrator={TEAMS_ADMINISTRATOR}'\n)\n" in script
    assert f"APP_NAME='{NAME}'\n" in script
    assert "az login --allow-no-subscriptions --output none\n" in script
    order = [
        "set -euo pipefail",
        "az login ",
        "TENANT_ID=$(az account show --query tenantId --output tsv)",
        'APP_ID=$(az ad app list --filter "$NAME_FILTER"',
        'az ad app update --id "$APP_ID" --required-resource-accesses "@$ACCESS_FILE"',
        'APP_ID=$(az ad app create --display-name "$APP_NAME" --sign-in-audience AzureADMyOrg',
        'SP_ID=$(retry az ad sp create --id "$APP_ID" --query id --output tsv)',
        'GRAPH_SP_ID=$(az ad sp show --id "$GRAPH_APP_ID" --query id --output tsv)',
        'retry az rest --method POST --uri "$GRAPH/servicePrincipals/$GRAPH_SP_ID/'
        'appRoleAssignedTo"',
        'retry az rest --method POST --uri "$GRAPH/roleManagement/directory/roleAssignments"',
        "SECRET=$(az ad app credential reset --id \"$APP_ID\" --append --display-name 'Onramp'",
        'echo "Directory (tenant) ID:   $TENANT_ID"',
        'echo "Application (client) ID: $APP_ID"',
        'echo "Client secret:           $SECRET"',
    ]
    positions = [script.index(line) for line in order]
    assert positions == sorted(positions)
    checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    _assert_nothing_of_onramps(script, link)


def test_the_tenant_is_named_when_onramp_knows_it(client, link):
    Customer.objects.filter(pk=link.service.customer_id).update(azure_tenant_id=TENANT.upper())
    _, powershell = _download(client, link, "powershell")
    assert f"Connect-MgGraph -TenantId '{TENANT}' -NoWelcome -Scopes " in powershell
    _, cli = _download(client, link, "azure-cli")
    assert f"az login --tenant '{TENANT}' --allow-no-subscriptions --output none\n" in cli


def test_quotes_in_the_name_cannot_break_out_of_the_string(client, link, provider):
    provider.name = "O'Brien \u2019Voice\u2019 $(rm -rf /)"
    provider.save()
    name = f"{provider.name} Teams Direct Routing \u2013 Contoso-01"
    _, powershell = _download(client, link, "powershell")
    assert (
        "$AppName = 'O''Brien \u2019\u2019Voice\u2019\u2019 $(rm -rf /) Teams Direct" in powershell
    )
    _, cli = _download(client, link, "azure-cli")
    line = next(line for line in cli.splitlines() if line.startswith("APP_NAME="))
    shown = subprocess.run(
        ["bash", "-c", f'{line}\nprintf %s "$APP_NAME"'], capture_output=True, text=True
    )
    assert shown.stdout == name


def test_the_form_offers_both_downloads(client, link):
    response = client.get(f"{link.path}?method=app-registration")
    links = {text(a["text"]): a["attrs"] for a in find(response, "a") if "download" in a["attrs"]}
    assert links == {
        "Download PowerShell script": {
            "class": "wz-button",
            "href": "?script=powershell",
            "download": None,
        },
        "Download Azure CLI script": {
            "class": "wz-button",
            "href": "?script=azure-cli",
            "download": None,
        },
    }
    assert NAME in text(response.content.decode())


def test_closed_and_unknown_links_give_no_script(client, link, make_link, actor):
    assert client.get("/invite/not-a-token?script=powershell").status_code == 404
    expire(link.invitation)
    expired = client.get(f"{link.path}?script=powershell")
    assert expired.status_code == 410 and "Content-Disposition" not in expired
    assert_wizard_headers(expired)
    other = make_link("Fabrikam-01", "Fabrikam main")
    invitation_revoke(actor=actor, invitation=other.invitation)
    revoked = client.get(f"{other.path}?script=azure-cli")
    assert revoked.status_code == 410 and "Content-Disposition" not in revoked
