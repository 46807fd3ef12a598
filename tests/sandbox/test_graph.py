"""Graph under /graph: authentication, role enforcement, the reads and JSON batching."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from onramp.sandbox import directory
from onramp.sandbox.admin import SandboxAdmin
from onramp.sandbox.certs import SigningKey
from onramp.sandbox.credentials import utcnow
from onramp.sandbox.model import Application, Tenant

from .conftest import TEAMS_SCOPE, TokenCall

GRAPH_ERROR_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
ROLE_IDS = {
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
    "Domain.ReadWrite.All": "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
}


@pytest.fixture
def graph(http: requests.Session, sandbox_url: str, token: TokenCall):
    """GET (or POST with json=) a Graph path with the world's Graph token, or another token."""
    default = token().json()["access_token"]

    def call(path: str, bearer: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {bearer or default}", **kwargs.pop("headers", {})}
        method = "POST" if "json" in kwargs else "GET"
        return http.request(method, f"{sandbox_url}/graph/v1.0{path}", headers=headers, **kwargs)

    return call


def assert_graph_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert error["code"] == code
    inner = error["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    assert GRAPH_ERROR_DATE.match(inner["date"])
    assert inner["request-id"] == response.headers["request-id"]
    return error


def _forged(sandbox_server: tuple[str, str], world: dict, **overrides) -> str:
    """A token signed with the sandbox's own key (kept in its data dir) but with odd claims."""
    key = SigningKey.load_or_create(Path(sandbox_server[1]).parent)
    now = int(time.time())
    claims = {
        "aud": "https://graph.microsoft.com",
        "tid": world["tenant_id"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": ["Organization.Read.All"],
        **overrides,
    }
    return key.mint(claims)


def test_organization(graph, world: dict) -> None:
    response = graph("/organization")
    assert response.status_code == 200
    assert response.headers["request-id"] == response.headers["client-request-id"]
    body = response.json()
    assert body["@odata.context"].endswith("/graph/v1.0/$metadata#organization")
    (org,) = body["value"]
    assert (org["id"], org["displayName"], org["tenantType"]) == (
        world["tenant_id"],
        "Contoso",
        "AAD",
    )
    assert org["verifiedDomains"] == [
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": True,
            "isInitial": True,
            "name": world["default_domain"],
            "type": "Managed",
        },
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": False,
            "isInitial": False,
            "name": world["custom_domain"],
            "type": "Managed",
        },
    ]
    assert {plan["service"] for plan in org["assignedPlans"]} == {
        "TeamspaceAPI",
        "MicrosoftCommunicationsOnline",
    }


def test_application_by_app_id_with_select(graph, admin: SandboxAdmin, world: dict) -> None:
    second = admin.add_secret(
        world["tenant_id"],
        world["app_id"],
        secret_text=world["secret"][:3] + "different",
        start_date_time="2026-01-01T00:00:00Z",
        end_date_time="2026-07-01T12:30:00+02:00",
    )
    response = graph(
        f"/applications(appId='{world['app_id']}')?$select=id,appId,passwordCredentials"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].endswith("#applications(id,appId,passwordCredentials)/$entity")
    assert set(body) == {"@odata.context", "id", "appId", "passwordCredentials"}
    assert (body["id"], body["appId"]) == (world["object_id"], world["app_id"])
    first, other = body["passwordCredentials"]
    assert first["keyId"] == world["key_id"] and first["displayName"] == "onramp"
    assert first["hint"] == other["hint"] == world["secret"][:3]
    assert other == {
        "customKeyIdentifier": None,
        "displayName": None,
        "endDateTime": "2026-07-01T10:30:00Z",
        "hint": world["secret"][:3],
        "keyId": second["key_id"],
        "secretText": None,
        "startDateTime": "2026-01-01T00:00:00Z",
    }


def test_applications_filter(graph, world: dict) -> None:
    found = graph(f"/applications?$filter=appId eq '{world['app_id']}'&$select=appId").json()
    assert found["value"] == [{"appId": world["app_id"]}]
    assert found["@odata.context"].endswith("#applications(appId)")
    missing = graph(f"/applications?$filter=appId eq '{uuid.uuid4()}'")
    assert (missing.status_code, missing.json()["value"]) == (200, [])
    by_name = graph("/applications?$filter=displayName eq 'ONRAMP CONNECTOR'&$select=appId")
    assert by_name.json()["value"] == [{"appId": world["app_id"]}]  # case-insensitive, as Graph
    unsupported = graph("/applications?$filter=notes eq 'x'")
    assert_graph_error(unsupported, 400, "Request_UnsupportedQuery")


def test_select_of_unknown_property(graph, world: dict) -> None:
    response = graph(f"/applications(appId='{world['app_id']}')?$select=nope")
    assert_graph_error(response, 400, "Request_BadRequest")


def test_service_principal_and_assignments(graph, admin: SandboxAdmin, world: dict) -> None:
    admin.update_application(
        world["tenant_id"], world["app_id"], permissions=[*ROLE_IDS, "Custom.Thing"]
    )
    sp = graph(f"/servicePrincipals(appId='{world['app_id']}')").json()
    assert (sp["id"], sp["appId"], sp["accountEnabled"]) == (
        world["service_principal_id"],
        world["app_id"],
        True,
    )
    assignments = graph(f"/servicePrincipals/{sp['id']}/appRoleAssignments").json()["value"]
    assert [a["appRoleId"] for a in assignments][:6] == list(ROLE_IDS.values())
    custom = assignments[6]["appRoleId"]
    assert custom not in ROLE_IDS.values()
    again = graph(f"/servicePrincipals/{sp['id']}/appRoleAssignments").json()["value"]
    assert again[6]["appRoleId"] == custom  # deterministic
    graph_sp = graph("/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')").json()
    roles = {role["value"]: role["id"] for role in graph_sp["appRoles"]}
    assert roles["Custom.Thing"] == custom
    assert all(roles[name] == role_id for name, role_id in ROLE_IDS.items())
    first = assignments[0]
    assert (first["principalId"], first["principalType"], first["resourceId"]) == (
        sp["id"],
        "ServicePrincipal",
        graph_sp["id"],
    )


@pytest.mark.parametrize(
    "path",
    [
        "/applications(appId='{missing}')",
        "/servicePrincipals(appId='{missing}')",
        "/servicePrincipals/{missing}/appRoleAssignments",
    ],
)
def test_not_found(graph, path: str) -> None:
    missing = str(uuid.uuid4())
    error = assert_graph_error(graph(path.format(missing=missing)), 404, "Request_ResourceNotFound")
    assert error["message"].startswith(f"Resource '{missing}' does not exist")


def test_insufficient_privileges(admin: SandboxAdmin, graph, token: TokenCall, world: dict):
    admin.update_application(
        world["tenant_id"], world["app_id"], permissions=["User.ReadWrite.All"]
    )
    weak = token().json()["access_token"]
    for path in ("/organization", f"/applications(appId='{world['app_id']}')"):
        error = assert_graph_error(graph(path, bearer=weak), 403, "Authorization_RequestDenied")
        assert error["message"] == "Insufficient privileges to complete the operation."
    admin.update_application(
        world["tenant_id"], world["app_id"], permissions=["Directory.Read.All"]
    )
    assert graph("/organization", bearer=token().json()["access_token"]).status_code == 200


def test_unauthenticated(graph, http, sandbox_url, sandbox_server, token: TokenCall, world):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "": "Access token is empty.",
        "not-a-jwt": "CompactToken parsing failed with error code: 80049217",
        token(scope=TEAMS_SCOPE).json()["access_token"]: (
            "Access token validation failure. Invalid audience."
        ),
        _forged(sandbox_server, world, exp=int(time.time()) - 10): (
            "Lifetime validation failed, the token is expired."
        ),
        jwt.encode({"aud": "https://graph.microsoft.com", "tid": world["tenant_id"],
                    "exp": int(time.time()) + 60}, other_key, algorithm="RS256"): (
            "Access token validation failure."
        ),
    }  # fmt: skip
    for bearer, message in cases.items():
        response = http.get(
            f"{sandbox_url}/graph/v1.0/organization",
            headers={"Authorization": f"Bearer {bearer}"} if bearer else {},
        )
        error = assert_graph_error(response, 401, "InvalidAuthenticationToken")
        assert error["message"] == message
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm=""')


def test_forged_token_with_sandbox_key_is_accepted(graph, sandbox_server, world) -> None:
    assert graph("/organization", bearer=_forged(sandbox_server, world)).status_code == 200


def test_client_request_id_is_echoed(graph) -> None:
    sent = str(uuid.uuid4())
    response = graph("/applications(appId='x')", headers={"client-request-id": sent})
    assert response.headers["client-request-id"] == sent
    assert response.json()["error"]["innerError"]["client-request-id"] == sent


def test_unknown_segment(graph) -> None:
    error = assert_graph_error(graph("/nonsense"), 400, "BadRequest")
    assert error["message"] == "Resource not found for the segment 'nonsense'."


def test_batch(graph, world: dict) -> None:
    requests_ = [
        {"id": "org", "method": "GET", "url": "/organization?$select=id"},
        {"id": "app", "method": "GET",
         "url": f"/applications(appId='{world['app_id']}')?$select=appId"},
        {"id": "missing", "method": "GET", "url": "applications(appId='nope')",
         "headers": {"client-request-id": "abc"}},
        {"id": "sp", "method": "GET", "url": f"/servicePrincipals(appId='{world['app_id']}')"},
    ]  # fmt: skip
    response = graph("/$batch", json={"requests": requests_})
    assert response.status_code == 200
    answers = response.json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [
        ("org", 200),
        ("app", 200),
        ("missing", 404),
        ("sp", 200),
    ]
    assert answers[0]["body"]["value"] == [{"id": world["tenant_id"]}]
    assert answers[1]["body"]["appId"] == world["app_id"]
    assert answers[2]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert answers[2]["body"]["error"]["innerError"]["client-request-id"] == "abc"
    assert answers[0]["headers"]["Content-Type"].startswith("application/json")


def test_batch_enforces_roles_per_request(admin: SandboxAdmin, graph, token, world) -> None:
    admin.update_application(
        world["tenant_id"], world["app_id"], permissions=["Organization.Read.All"]
    )
    bearer = token().json()["access_token"]
    body = {"requests": [
        {"id": "1", "method": "GET", "url": "/organization"},
        {"id": "2", "method": "GET", "url": f"/applications(appId='{world['app_id']}')"},
    ]}  # fmt: skip
    answers = graph("/$batch", bearer=bearer, json=body).json()["responses"]
    assert [a["status"] for a in answers] == [200, 403]
    assert answers[1]["body"]["error"]["code"] == "Authorization_RequestDenied"


def test_batch_limits_and_auth(graph, http, sandbox_url: str) -> None:
    many = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    assert_graph_error(graph("/$batch", json={"requests": many}), 400, "BadRequest")
    assert graph("/$batch", json={"requests": many[:20]}).status_code == 200
    assert_graph_error(graph("/$batch", json={"nope": []}), 400, "BadRequest")
    duplicate = [many[0], many[0]]
    assert_graph_error(graph("/$batch", json={"requests": duplicate}), 400, "BadRequest")
    unauthenticated = http.post(f"{sandbox_url}/graph/v1.0/$batch", json={"requests": many[:1]})
    assert_graph_error(unauthenticated, 401, "InvalidAuthenticationToken")


def test_application_fields_list_matches_entity() -> None:
    """`$select` on an empty list is validated against APPLICATION_FIELDS; keep it in sync."""
    now = utcnow()
    tenant = Tenant(str(uuid.uuid4()), "T", ["t.onmicrosoft.com"], True, now)
    app = Application("a", "o", "s", "n", [], [], True, now)
    assert tuple(directory.application(tenant, app)) == directory.APPLICATION_FIELDS
