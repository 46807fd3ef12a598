"""The permission layer: app-only `roles`; delegated `scp` plus the user's *active* roles."""

from __future__ import annotations

import re

import jwt
import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .conftest import GRAPH_SCOPE
from .flows import delegated_token

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TEAMS_APP_ID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
ORGANIZATION_READ_ALL = "498476ce-e0fe-48b0-b801-37ba7e2685c6"
TEAMS_APPLICATION_ACCESS = "15391dcf-e272-4693-b514-06792e967d66"
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
DEFAULT_USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
GRAPH_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def assert_denied(response: requests.Response) -> None:
    """Graph's exact 403 body for a caller without the permission or the role."""
    assert response.status_code == 403, response.text
    body = response.json()
    assert GRAPH_DATE.match(body["error"]["innerError"]["date"])
    assert body == {
        "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
            "innerError": {
                "date": body["error"]["innerError"]["date"],
                "request-id": response.headers["request-id"],
                "client-request-id": response.headers["client-request-id"],
            },
        }
    }


class Graph:
    """Graph calls with one bearer token."""

    def __init__(self, http: requests.Session, url: str, token: str) -> None:
        self.http, self.url, self.token = http, url, token

    def __call__(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return self.http.request(
            method,
            f"{self.url}/graph/v1.0{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def sp_id(self, app_id: str) -> str:
        response = self("GET", f"/servicePrincipals(appId='{app_id}')?$select=id")
        assert response.status_code == 200, response.text
        return response.json()["id"]


@pytest.fixture
def signed_in(http, sandbox_url, directory_world):
    """Graph clients for the directory world's users; the Global Administrator consents first,
    for the organisation, so the others are not asked."""
    world = directory_world
    ga = delegated_token(
        http, sandbox_url, world["tenant_id"], world["client_id"], world["users"]["ga"]["upn"]
    )

    def graph(key: str) -> Graph:
        if key == "ga":
            return Graph(http, sandbox_url, ga)
        upn = world["users"][key]["upn"]
        token = delegated_token(http, sandbox_url, world["tenant_id"], world["client_id"], upn)
        return Graph(http, sandbox_url, token)

    return graph


def _app_only(http, sandbox_url: str, admin: SandboxAdmin, tenant_id: str, **kw) -> Graph:
    app = admin.create_application(tenant_id, "automation", **kw)
    secret = admin.add_secret(tenant_id, app["app_id"])["secret_text"]
    response = http.post(
        f"{sandbox_url}/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["app_id"],
            "client_secret": secret,
            "scope": GRAPH_SCOPE,
        },
    )
    return Graph(http, sandbox_url, response.json()["access_token"])


def test_app_only_calls_need_the_application_permission(http, sandbox_url, admin) -> None:
    tenant = admin.create_tenant("Fabrikam")["tenant_id"]
    reader = _app_only(http, sandbox_url, admin, tenant, permissions=["Application.Read.All"])
    writer = _app_only(http, sandbox_url, admin, tenant, permissions=["Application.ReadWrite.All"])
    assert_denied(reader("POST", "/applications", {"displayName": "x"}))
    assert reader("GET", "/applications").status_code == 200
    made = writer("POST", "/applications", {"displayName": "x"})
    assert made.status_code == 201
    # Application.ReadWrite.All alone does not grant app roles or assign directory roles.
    graph_sp = reader.sp_id(GRAPH_APP_ID)
    assert_denied(
        writer(
            "POST",
            f"/servicePrincipals/{graph_sp}/appRoleAssignedTo",
            {"principalId": graph_sp, "resourceId": graph_sp, "appRoleId": ORGANIZATION_READ_ALL},
        )
    )
    assert_denied(
        writer(
            "POST",
            "/roleManagement/directory/roleAssignments",
            {
                "roleDefinitionId": TEAMS_ADMINISTRATOR,
                "principalId": graph_sp,
                "directoryScopeId": "/",
            },
        )
    )
    assert_denied(reader("GET", "/oauth2PermissionGrants"))


def test_delegated_token_carries_scp_and_only_active_wids(signed_in) -> None:
    ga = jwt.decode(signed_in("ga").token, options={"verify_signature": False})
    assert ga["scp"] == (
        "Application.ReadWrite.All AppRoleAssignment.ReadWrite.All "
        "RoleManagement.ReadWrite.Directory Directory.Read.All"
    )
    assert ga["wids"] == [GLOBAL_ADMINISTRATOR, DEFAULT_USER_ROLE]
    assert "roles" not in ga
    eligible = jwt.decode(signed_in("eligible").token, options={"verify_signature": False})
    assert eligible["scp"] == ga["scp"]
    assert eligible["wids"] == [DEFAULT_USER_ROLE]
    app_admin = jwt.decode(signed_in("app_admin").token, options={"verify_signature": False})
    assert app_admin["wids"] == [APPLICATION_ADMINISTRATOR, DEFAULT_USER_ROLE]


def test_eligible_only_and_plain_members_are_refused_writes(signed_in) -> None:
    for key in ("eligible", "member"):
        graph = signed_in(key)
        assert_denied(graph("POST", "/applications", {"displayName": "x"}))
        # Reading is open to any member holding a read scope.
        assert graph("GET", "/applications").status_code == 200


def test_scope_without_the_role_and_role_without_the_scope(http, sandbox_url, directory_world):
    world = directory_world
    read_only = delegated_token(
        http,
        sandbox_url,
        world["tenant_id"],
        world["client_id"],
        world["users"]["ga"]["upn"],
        ["Directory.Read.All"],
    )
    graph = Graph(http, sandbox_url, read_only)
    assert graph("GET", "/applications").status_code == 200
    assert_denied(graph("POST", "/applications", {"displayName": "x"}))


def test_application_administrator_cannot_grant_graph_roles_or_assign_directory_roles(
    signed_in,
) -> None:
    graph = signed_in("app_admin")
    made = graph("POST", "/applications", {"displayName": "Teams connector"})
    assert made.status_code == 201
    sp = graph("POST", "/servicePrincipals", {"appId": made.json()["appId"]})
    assert sp.status_code == 201
    sp_id, graph_sp, teams_sp = (
        sp.json()["id"],
        graph.sp_id(GRAPH_APP_ID),
        graph.sp_id(TEAMS_APP_ID),
    )
    assert_denied(
        graph(
            "POST",
            f"/servicePrincipals/{graph_sp}/appRoleAssignedTo",
            {"principalId": sp_id, "resourceId": graph_sp, "appRoleId": ORGANIZATION_READ_ALL},
        )
    )
    assert_denied(
        graph(
            "POST",
            "/roleManagement/directory/roleAssignments",
            {
                "roleDefinitionId": TEAMS_ADMINISTRATOR,
                "principalId": sp_id,
                "directoryScopeId": "/",
            },
        )
    )
    # App roles of other APIs than Microsoft Graph: application administrators may grant them.
    teams = graph(
        "POST",
        f"/servicePrincipals/{teams_sp}/appRoleAssignedTo",
        {"principalId": sp_id, "resourceId": teams_sp, "appRoleId": TEAMS_APPLICATION_ACCESS},
    )
    assert teams.status_code == 201
    assert teams.json()["appRoleId"] == TEAMS_APPLICATION_ACCESS


@pytest.mark.parametrize("key", ["ga", "pra"])
def test_global_and_privileged_role_administrators_may(signed_in, key) -> None:
    ga = signed_in("ga")
    made = ga("POST", "/applications", {"displayName": "Teams connector"}).json()
    sp_id = ga("POST", "/servicePrincipals", {"appId": made["appId"]}).json()["id"]
    graph = signed_in(key)
    graph_sp = graph.sp_id(GRAPH_APP_ID)
    granted = graph(
        "POST",
        f"/servicePrincipals/{graph_sp}/appRoleAssignedTo",
        {"principalId": sp_id, "resourceId": graph_sp, "appRoleId": ORGANIZATION_READ_ALL},
    )
    assert granted.status_code == 201, granted.text
    assigned = graph(
        "POST",
        "/roleManagement/directory/roleAssignments",
        {
            "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
            "roleDefinitionId": TEAMS_ADMINISTRATOR,
            "principalId": sp_id,
            "directoryScopeId": "/",
        },
    )
    assert assigned.status_code == 201, assigned.text
    assert (assigned.json()["roleDefinitionId"], assigned.json()["principalId"]) == (
        TEAMS_ADMINISTRATOR,
        sp_id,
    )
