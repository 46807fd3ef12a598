"""Graph writes for app registration with a Global Administrator's delegated token, and the reads
that show their result: shapes, status codes, paging and `$count`."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import jwt
import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .conftest import GRAPH_SCOPE
from .flows import WRITE_SCOPES, certificate, delegated_token
from .test_permissions import GRAPH_APP_ID, GRAPH_DATE, TEAMS_ADMINISTRATOR, Graph

ORGANIZATION_READ_ALL = "498476ce-e0fe-48b0-b801-37ba7e2685c6"
DEFAULT_USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"


def assert_graph_error(response: requests.Response, status: int, code: str, message: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert GRAPH_DATE.match(error["innerError"]["date"])
    assert (error["code"], error["message"]) == (code, message)
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


@pytest.fixture
def ga(http, sandbox_url, directory_world) -> Graph:
    world = directory_world
    upn = world["users"]["ga"]["upn"]
    token = delegated_token(http, sandbox_url, world["tenant_id"], world["client_id"], upn)
    return Graph(http, sandbox_url, token)


def _create(ga: Graph, name: str = "Teams connector", **body) -> dict:
    response = ga("POST", "/applications", {"displayName": name, **body})
    assert response.status_code == 201, response.text
    return response.json()


def _client_token(http, url: str, tenant_id: str, app_id: str, **credential) -> requests.Response:
    return http.post(
        f"{url}/{tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app_id,
            "scope": GRAPH_SCOPE,
            **credential,
        },
    )


def test_create_application_and_read_it_back(ga: Graph, admin, directory_world) -> None:
    access = [
        {
            "resourceAppId": GRAPH_APP_ID,
            "resourceAccess": [{"id": ORGANIZATION_READ_ALL, "type": "Role"}],
        }
    ]
    made = _create(ga, requiredResourceAccess=access)
    base = f"{ga.url}/graph/v1.0/$metadata#"
    assert made["@odata.context"] == f"{base}applications/$entity"
    assert made["displayName"] == "Teams connector"
    assert made["signInAudience"] == "AzureADMyOrg"
    assert made["requiredResourceAccess"] == access
    assert (made["keyCredentials"], made["passwordCredentials"], made["appRoles"]) == ([], [], [])
    assert made["publisherDomain"] == directory_world["default_domain"]
    by_id = ga("GET", f"/applications/{made['id']}")
    assert by_id.status_code == 200
    assert by_id.json() == {**made, "@odata.context": f"{base}applications/$entity"}
    by_app_id = ga("GET", f"/applications(appId='{made['appId']}')?$select=id,displayName")
    assert by_app_id.json() == {
        "@odata.context": f"{base}applications(id,displayName)/$entity",
        "id": made["id"],
        "displayName": "Teams connector",
    }
    [view] = admin.applications(directory_world["tenant_id"])
    assert view["owners"] == [directory_world["users"]["ga"]["id"]]
    assert view["service_principal_id"] is None


def test_application_found_by_its_tag(ga: Graph) -> None:
    """`tags/any(t:t eq '…')`, as Graph filters an application's tags: how a run that crashed
    after Microsoft created its app finds that app again (issue 11)."""
    made = _create(ga, tags=["OnrampCreation:run-1", "other"])
    _create(ga, "Another connector", tags=["OnrampCreation:run-2"])
    found = ga(
        "GET", "/applications?$filter=tags/any(t:t eq 'onrampcreation:RUN-1')&$select=id,tags"
    )
    assert found.status_code == 200, found.text
    assert found.json()["value"] == [{"id": made["id"], "tags": ["OnrampCreation:run-1", "other"]}]
    none = ga("GET", "/applications?$filter=tags/any(x:x eq 'OnrampCreation:run-3')")
    assert (none.status_code, none.json()["value"]) == (200, [])
    for clause in ("tags/any(t:x eq 'other')", "notes/any(t:t eq 'other')", "tags eq 'other'"):
        refused = ga("GET", f"/applications?$filter={clause}")
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            400,
            "Request_UnsupportedQuery",
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Property 'displayName' is required."),
        (
            {"displayName": "x", "colour": "blue"},
            "The property 'colour' does not exist on type 'microsoft.graph.application'. Make "
            "sure to only use property names that are defined by the type.",
        ),
        (
            {"displayName": "x", "signInAudience": "Everyone"},
            "Invalid value specified for property 'signInAudience'.",
        ),
    ],
)
def test_create_application_bad_input(ga: Graph, body, message) -> None:
    assert_graph_error(ga("POST", "/applications", body), 400, "BadRequest", message)


def test_unknown_object_ids_are_404(ga: Graph) -> None:
    missing = "6a1f9fdc-8a9b-4a4e-8a4e-2b8ef3b3a001"
    for path in (f"/applications/{missing}", f"/servicePrincipals/{missing}"):
        assert_graph_error(
            ga("GET", path),
            404,
            "Request_ResourceNotFound",
            f"Resource '{missing}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )


def test_service_principal_create_read_and_conflict(ga: Graph) -> None:
    made = _create(ga)
    sp = ga("POST", "/servicePrincipals", {"appId": made["appId"]})
    assert sp.status_code == 201
    body = sp.json()
    assert body["@odata.context"] == f"{ga.url}/graph/v1.0/$metadata#servicePrincipals/$entity"
    assert (body["appId"], body["displayName"]) == (made["appId"], "Teams connector")
    read = ga("GET", f"/servicePrincipals/{body['id']}")
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    assert_graph_error(
        ga("POST", "/servicePrincipals", {"appId": made["appId"]}),
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "The service principal cannot be created, updated, or restored because the service "
        f"principal name {made['appId']} is already in use.",
    )
    stranger = "0b7d7bd5-2b53-4f57-9a43-7c5b6f6c2a11"
    assert_graph_error(
        ga("POST", "/servicePrincipals", {"appId": stranger}),
        400,
        "BadRequest",
        f"The appId '{stranger}' of the service principal does not reference a valid "
        "application object.",
    )


def test_grant_app_role_and_directory_role_reach_the_token(
    ga: Graph, http, sandbox_url, admin, directory_world
) -> None:
    tenant_id = directory_world["tenant_id"]
    made = _create(ga)
    sp_id = ga("POST", "/servicePrincipals", {"appId": made["appId"]}).json()["id"]
    graph_sp = ga.sp_id(GRAPH_APP_ID)
    body = {"principalId": sp_id, "resourceId": graph_sp, "appRoleId": ORGANIZATION_READ_ALL}
    granted = ga("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", body)
    assert granted.status_code == 201, granted.text
    assert {k: granted.json()[k] for k in ("principalId", "resourceId", "appRoleId")} == body
    assert granted.json()["@odata.context"] == (
        f"{ga.url}/graph/v1.0/$metadata#servicePrincipals('{graph_sp}')/appRoleAssignedTo/$entity"
    )
    assert_graph_error(
        ga("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", body),
        400,
        "BadRequest",
        "Permission being assigned already exists on the object",
    )
    unknown_role = {**body, "appRoleId": "00000000-0000-0000-0000-00000000abcd"}
    assert_graph_error(
        ga("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", unknown_role),
        400,
        "BadRequest",
        f"Permission being assigned was not found on application '{GRAPH_APP_ID}'.",
    )
    listed = ga("GET", f"/servicePrincipals/{sp_id}/appRoleAssignments").json()["value"]
    assert [a["appRoleId"] for a in listed] == [ORGANIZATION_READ_ALL]
    role = {
        "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
        "roleDefinitionId": TEAMS_ADMINISTRATOR,
        "principalId": sp_id,
        "directoryScopeId": "/",
    }
    assigned = ga("POST", "/roleManagement/directory/roleAssignments", role)
    assert assigned.status_code == 201
    assert {k: assigned.json()[k] for k in role} == role
    filtered = ga(
        "GET", f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{sp_id}'"
    )
    assert [a["roleDefinitionId"] for a in filtered.json()["value"]] == [TEAMS_ADMINISTRATOR]
    assert_graph_error(
        ga("POST", "/roleManagement/directory/roleAssignments", role),
        400,
        "BadRequest",
        "A conflicting object with one or more of the specified property values is present in "
        "the directory.",
    )
    secret = ga("POST", f"/applications/{made['id']}/addPassword", {}).json()["secretText"]
    token = _client_token(http, sandbox_url, tenant_id, made["appId"], client_secret=secret)
    claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
    assert (claims["roles"], claims["wids"]) == (["Organization.Read.All"], [TEAMS_ADMINISTRATOR])


def test_patch_key_credentials_replaces_the_list(ga: Graph) -> None:
    made = _create(ga)
    first, second = certificate(name="first"), certificate(name="second")

    def key(cert, name: str) -> dict:
        return {
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": cert.der_b64,
            "displayName": name,
        }

    def keys() -> list[dict]:
        return ga("GET", f"/applications/{made['id']}").json()["keyCredentials"]

    patched = ga("PATCH", f"/applications/{made['id']}", {"keyCredentials": [key(first, "a")]})
    assert (patched.status_code, patched.content) == (204, b"")
    [only] = keys()
    assert only == {
        "customKeyIdentifier": base64.b64encode(hashlib.sha1(first.der).digest()).decode(),  # noqa: S324
        "displayName": "a",
        "endDateTime": "2036-01-01T00:00:00Z",
        "key": None,
        "keyId": only["keyId"],
        "startDateTime": "2026-01-01T00:00:00Z",
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
    both = [{"keyId": only["keyId"]}, key(second, "b")]
    assert ga("PATCH", f"/applications/{made['id']}", {"keyCredentials": both}).status_code == 204
    assert [k["displayName"] for k in keys()] == ["a", "b"]
    kept = [{"keyId": keys()[1]["keyId"]}]
    assert ga("PATCH", f"/applications/{made['id']}", {"keyCredentials": kept}).status_code == 204
    assert [k["displayName"] for k in keys()] == ["b"]
    assert (
        ga("PATCH", f"/applications(appId='{made['appId']}')", {"keyCredentials": []}).status_code
        == 204
    )
    assert keys() == []
    bad = {"type": "AsymmetricX509Cert", "usage": "Verify", "key": "bm90IGEgY2VydA=="}
    assert_graph_error(
        ga("PATCH", f"/applications/{made['id']}", {"keyCredentials": [bad]}),
        400,
        "BadRequest",
        "Key credential value is invalid: the key is not a certificate.",
    )


def test_add_password(ga: Graph, http, sandbox_url, directory_world) -> None:
    made = _create(ga)
    ga("POST", "/servicePrincipals", {"appId": made["appId"]})
    wanted = {
        "displayName": "onramp",
        "startDateTime": "2026-02-01T00:00:00Z",
        "endDateTime": "2026-08-01T00:00:00Z",
    }
    response = ga("POST", f"/applications/{made['id']}/addPassword", {"passwordCredential": wanted})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "@odata.context",
        "customKeyIdentifier",
        "displayName",
        "endDateTime",
        "hint",
        "keyId",
        "secretText",
        "startDateTime",
    }
    assert body["@odata.context"] == (
        f"{ga.url}/graph/v1.0/$metadata#microsoft.graph.passwordCredential"
    )
    assert (body["displayName"], body["startDateTime"], body["endDateTime"]) == tuple(
        wanted.values()
    )
    assert body["hint"] == body["secretText"][:3] and len(body["secretText"]) == 40
    [listed] = ga("GET", f"/applications/{made['id']}").json()["passwordCredentials"]
    assert listed["secretText"] is None and listed["keyId"] == body["keyId"]
    # Without dates: starts when added and lasts two years (measured on the response itself).
    default = ga("POST", f"/applications(appId='{made['appId']}')/addPassword", {}).json()
    start = datetime.fromisoformat(default["startDateTime"])
    assert datetime.fromisoformat(default["endDateTime"]) - start == timedelta(days=730)
    token = _client_token(
        http,
        sandbox_url,
        directory_world["tenant_id"],
        made["appId"],
        client_secret=default["secretText"],
    )
    assert token.status_code == 200, token.text


def test_permission_grants_get_and_delete(ga: Graph, http, sandbox_url, directory_world) -> None:
    [grant] = ga("GET", "/oauth2PermissionGrants").json()["value"]
    # The app-registration scopes alone do not allow deleting a grant.
    assert ga("DELETE", f"/oauth2PermissionGrants/{grant['id']}").status_code == 403
    world = directory_world
    scopes = [*WRITE_SCOPES, "DelegatedPermissionGrant.ReadWrite.All"]
    token = delegated_token(
        http,
        sandbox_url,
        world["tenant_id"],
        world["client_id"],
        world["users"]["ga"]["upn"],
        scopes,
    )
    ga = Graph(http, sandbox_url, token)
    [grant] = ga("GET", "/oauth2PermissionGrants").json()["value"]
    assert grant["scope"].split() == scopes
    read = ga("GET", f"/oauth2PermissionGrants/{grant['id']}")
    assert read.status_code == 200
    assert read.json() == {
        "@odata.context": f"{ga.url}/graph/v1.0/$metadata#oauth2PermissionGrants/$entity",
        **grant,
    }
    filtered = ga("GET", f"/oauth2PermissionGrants?$filter=clientId eq '{grant['clientId']}'")
    assert filtered.json()["value"] == [grant]
    deleted = ga("DELETE", f"/oauth2PermissionGrants/{grant['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert ga("GET", "/oauth2PermissionGrants").json()["value"] == []
    message = (
        f"Resource '{grant['id']}' does not exist or one of its queried reference-property "
        "objects are not present."
    )
    assert_graph_error(
        ga("GET", f"/oauth2PermissionGrants/{grant['id']}"),
        404,
        "Request_ResourceNotFound",
        message,
    )
    assert_graph_error(
        ga("DELETE", f"/oauth2PermissionGrants/{grant['id']}"),
        404,
        "Request_ResourceNotFound",
        message,
    )


def test_paging_with_top_and_next_link(ga: Graph, admin: SandboxAdmin, directory_world) -> None:
    for index in range(4):
        admin.create_application(directory_world["tenant_id"], f"app {index}")
    _create(ga, "made through graph")
    expected = {a["object_id"] for a in admin.applications(directory_world["tenant_id"])}
    seen, pages = [], 0
    response = ga("GET", "/applications?$top=2&$select=id,displayName")
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["value"]) <= 2
        assert all(set(item) == {"id", "displayName"} for item in body["value"])
        seen += [item["id"] for item in body["value"]]
        if "@odata.nextLink" not in body:
            break
        assert body["@odata.nextLink"].startswith(f"{ga.url}/graph/v1.0/applications?")
        response = ga.http.get(
            body["@odata.nextLink"], headers={"Authorization": f"Bearer {ga.token}"}
        )
    assert (pages, len(seen), set(seen)) == (3, 5, expected)
    assert_graph_error(
        ga("GET", "/applications?$top=0"),
        400,
        "Request_BadRequest",
        "Invalid page size specified: '0'. Must be between 1 and 999 inclusive.",
    )


def test_count_needs_eventual_consistency(ga: Graph, admin, directory_world) -> None:
    for index in range(3):
        admin.create_application(directory_world["tenant_id"], f"app {index}")
    url = f"{ga.url}/graph/v1.0/applications?$count=true&$top=1"
    headers = {"Authorization": f"Bearer {ga.token}", "ConsistencyLevel": "eventual"}
    body = ga.http.get(url, headers=headers).json()
    assert (body["@odata.count"], len(body["value"])) == (3, 1)
    assert "@odata.nextLink" in body
    assert_graph_error(
        ga("GET", "/applications?$count=true"),
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    )
    assert "@odata.count" not in ga("GET", "/applications").json()


def test_users_and_me(ga: Graph, directory_world) -> None:
    me = ga("GET", "/me")
    assert me.status_code == 200
    assert me.json()["userPrincipalName"] == directory_world["users"]["ga"]["upn"]
    listed = ga("GET", "/users").json()["value"]
    assert sorted(u["userPrincipalName"] for u in listed) == sorted(
        u["upn"] for u in directory_world["users"].values()
    )


def test_patch_complex_property_merges_and_registers_the_redirect(
    ga: Graph, http, sandbox_url, directory_world
) -> None:
    made = _create(ga, signInAudience="AzureADMyOrg")
    patch = {"web": {"redirectUris": ["https://portal.example/cb"]}}
    assert ga("PATCH", f"/applications/{made['id']}", patch).status_code == 204
    web = ga("GET", f"/applications/{made['id']}").json()["web"]
    assert web == {
        "homePageUrl": None,
        "logoutUrl": None,
        "redirectUris": ["https://portal.example/cb"],
        "implicitGrantSettings": {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": False,
        },
        "redirectUriSettings": [],
    }
    query = (
        f"client_id={made['appId']}&response_type=code&scope=openid"
        "&redirect_uri=https%3A%2F%2Fportal.example%2Fcb"
    )
    page = http.get(f"{sandbox_url}/{directory_world['tenant_id']}/oauth2/v2.0/authorize?{query}")
    assert page.status_code == 200 and "name='loginfmt'" in page.text
    assert_graph_error(
        ga("PATCH", f"/applications/{made['id']}", {"web": None}),
        400,
        "BadRequest",
        "Invalid value specified for property 'web'.",
    )


def test_find_application_by_display_name(ga: Graph) -> None:
    name = "Northwind Teams Direct Routing \u2013 Contoso"  # the wizard's default, en dash
    made = _create(ga, name)
    _create(ga, "something else")
    found = ga("GET", f"/applications?$filter=displayName eq '{name}'")
    assert [a["id"] for a in found.json()["value"]] == [made["id"]]
    sp = ga("POST", "/servicePrincipals", {"appId": made["appId"]}).json()
    by_name = ga("GET", f"/servicePrincipals?$filter=displayName eq '{name}'")
    assert [p["id"] for p in by_name.json()["value"]] == [sp["id"]]


def test_writes_in_a_batch(ga: Graph) -> None:
    made = _create(ga)
    graph_sp = ga.sp_id(GRAPH_APP_ID)
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": "/servicePrincipals",
                "headers": {"Content-Type": "application/json"},
                "body": {"appId": made["appId"]},
            },
            {
                "id": "2",
                "method": "POST",
                "url": f"/applications/{made['id']}/addPassword",
                "headers": {"Content-Type": "application/json"},
                "body": {"passwordCredential": {"displayName": "batch"}},
            },
            {"id": "3", "method": "GET", "url": "/applications/nope"},
        ]
    }
    responses = {r["id"]: r for r in ga("POST", "/$batch", batch).json()["responses"]}
    assert [responses[i]["status"] for i in "123"] == [201, 200, 404]
    sp_id = responses["1"]["body"]["id"]
    grant = {
        "id": "4",
        "method": "POST",
        "url": f"/servicePrincipals/{graph_sp}/appRoleAssignedTo",
        "headers": {"Content-Type": "application/json"},
        "body": {"principalId": sp_id, "resourceId": graph_sp, "appRoleId": ORGANIZATION_READ_ALL},
    }
    [answer] = ga("POST", "/$batch", {"requests": [grant]}).json()["responses"]
    assert (answer["status"], answer["body"]["appRoleId"]) == (201, ORGANIZATION_READ_ALL)


def test_writes_to_unknown_applications_are_404(ga: Graph) -> None:
    missing = "6a1f9fdc-8a9b-4a4e-8a4e-2b8ef3b3a001"
    message = (
        f"Resource '{missing}' does not exist or one of its queried reference-property objects "
        "are not present."
    )
    for method, path in (
        ("POST", f"/applications/{missing}/addPassword"),
        ("PATCH", f"/applications/{missing}"),
        ("POST", f"/servicePrincipals/{missing}/appRoleAssignedTo"),
    ):
        assert_graph_error(ga(method, path, {}), 404, "Request_ResourceNotFound", message)


def test_role_assignment_to_a_user_reaches_their_next_token(
    ga: Graph, http, sandbox_url, directory_world
) -> None:
    world = directory_world
    member = world["users"]["member"]
    listed = ga(
        "GET", f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{member['id']}'"
    )
    assert listed.json()["value"] == []
    eligible = world["users"]["eligible"]["id"]
    listed = ga(
        "GET", f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{eligible}'"
    )
    assert listed.json()["value"] == []  # PIM-eligible roles are not active assignments
    app_admin = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
    body = {"roleDefinitionId": app_admin, "principalId": member["id"], "directoryScopeId": "/"}
    assert ga("POST", "/roleManagement/directory/roleAssignments", body).status_code == 201
    token = delegated_token(
        http, sandbox_url, world["tenant_id"], world["client_id"], member["upn"]
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["wids"] == [app_admin, DEFAULT_USER_ROLE]
    made = Graph(http, sandbox_url, token)("POST", "/applications", {"displayName": "mine"})
    assert made.status_code == 201
