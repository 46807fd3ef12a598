"""Shared helpers for the Direct Routing provisioning tests: app-only Graph clients with chosen
permissions, and the tenants those tests start from."""

from __future__ import annotations

import requests

from onramp.sandbox.admin import SandboxAdmin

from .conftest import GRAPH_SCOPE
from .test_permissions import Graph

PROVISIONER = [
    "Domain.ReadWrite.All",
    "User.ReadWrite.All",
    "Organization.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "TeamsUserConfiguration.Read.All",
]
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"  # ENTERPRISEPREMIUM, Microsoft's skuId
TEAMS1 = "57ff2da0-773e-42df-b2af-ffb7a2317929"
MCOEV = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"
PASSWORD = "Activation-2026!"


def app_graph(
    http: requests.Session,
    url: str,
    admin: SandboxAdmin,
    tenant_id: str,
    permissions: list[str],
    roles: list[str] | None = None,
) -> Graph:
    """Graph with an app-only token of a new app holding exactly ``permissions``."""
    app = admin.create_application(tenant_id, "provisioner", permissions=permissions, roles=roles)
    secret = admin.add_secret(tenant_id, app["app_id"])["secret_text"]
    response = http.post(
        f"{url}/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["app_id"],
            "client_secret": secret,
            "scope": GRAPH_SCOPE,
        },
    )
    assert response.status_code == 200, response.text
    return Graph(http, url, response.json()["access_token"])


def new_user(graph: Graph, upn: str, **body: object) -> dict:
    """POST /users with the activation user's usual body; ``body`` overrides or adds fields."""
    fields = {
        "accountEnabled": True,
        "displayName": "Teams activation",
        "mailNickname": upn.partition("@")[0],
        "userPrincipalName": upn,
        "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False},
        **body,
    }
    response = graph("POST", "/users", {k: v for k, v in fields.items() if v is not None})
    assert response.status_code == 201, response.text
    return response.json()
