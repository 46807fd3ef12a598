"""`DELETE /applications/{id}` and `DELETE /applications(appId='…')` (Graph's application-delete),
over HTTPS: 204 and the app registration gone with its service principal in its home tenant;
404 for an unknown id; 403 unless the caller may (app-only `Application.ReadWrite.All`, or
`…OwnedBy` for an app it owns; delegated `Application.ReadWrite.All` with an application
administrator's role), the tenant unchanged then."""

from __future__ import annotations

import pytest

from onramp.sandbox.admin import SandboxAdmin, SandboxAdminError

from .conftest import GRAPH_SCOPE
from .flows import delegated_token
from .test_graph_writes import assert_graph_error
from .test_permissions import Graph

MISSING = "6a1f9fdc-8a9b-4a4e-8a4e-2b8ef3b3a001"
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def _app_only(http, sandbox_url: str, admin: SandboxAdmin, tenant_id: str, **kw) -> tuple:
    """An app with a secret in the tenant and a Graph client with its app-only token."""
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
    assert response.status_code == 200, response.text
    return app, Graph(http, sandbox_url, response.json()["access_token"])


@pytest.fixture
def tenant_id(admin: SandboxAdmin) -> str:
    return admin.create_tenant("Fabrikam")["tenant_id"]


@pytest.fixture
def target(admin: SandboxAdmin, tenant_id: str) -> dict:
    """The app registration to delete (with its service principal)."""
    return admin.create_application(tenant_id, "Onramp connector")


def _app_ids(admin: SandboxAdmin, tenant_id: str) -> list[str]:
    return [app["app_id"] for app in admin.applications(tenant_id)]


def _gone(admin: SandboxAdmin, tenant_id: str, graph: Graph, app: dict) -> None:
    """Neither the app registration nor its service principal is left in its tenant."""
    assert app["app_id"] not in _app_ids(admin, tenant_id)
    for path in (
        f"/applications/{app['object_id']}",
        f"/servicePrincipals/{app['service_principal_id']}",
        f"/servicePrincipals(appId='{app['app_id']}')",
    ):
        assert graph("GET", path).status_code == 404, path


def test_app_only_read_write_all_deletes_by_object_id(
    http, sandbox_url, admin, tenant_id, target
) -> None:
    _app, graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.All"]
    )
    assert graph("GET", f"/servicePrincipals/{target['service_principal_id']}").status_code == 200
    response = graph("DELETE", f"/applications/{target['object_id']}")
    assert (response.status_code, response.content) == (204, b"")
    _gone(admin, tenant_id, graph, target)
    assert_graph_error(
        graph("DELETE", f"/applications/{target['object_id']}"),
        404,
        "Request_ResourceNotFound",
        f"Resource '{target['object_id']}' does not exist or one of its queried "
        "reference-property objects are not present.",
    )


def test_app_only_deletes_by_app_id(http, sandbox_url, admin, tenant_id, target) -> None:
    _app, graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.All"]
    )
    response = graph("DELETE", f"/applications(appId='{target['app_id']}')")
    assert (response.status_code, response.content) == (204, b"")
    _gone(admin, tenant_id, graph, target)


def test_unknown_ids_are_404_and_nothing_changes(
    http, sandbox_url, admin, tenant_id, target
) -> None:
    _app, graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.All"]
    )
    before = admin.tenant(tenant_id)
    for path in (f"/applications/{MISSING}", f"/applications(appId='{MISSING}')"):
        assert_graph_error(
            graph("DELETE", path),
            404,
            "Request_ResourceNotFound",
            f"Resource '{MISSING}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    assert admin.tenant(tenant_id) == before


@pytest.mark.parametrize(
    "permissions",
    [[], ["Application.Read.All"], ["Directory.ReadWrite.All"], ["Application.ReadWrite.OwnedBy"]],
)
def test_app_only_refused_without_the_permission_or_ownership(
    http, sandbox_url, admin, tenant_id, target, permissions
) -> None:
    _app, graph = _app_only(http, sandbox_url, admin, tenant_id, permissions=permissions)
    before = admin.tenant(tenant_id)
    for path in (
        f"/applications/{target['object_id']}",
        f"/applications(appId='{target['app_id']}')",
    ):
        assert_graph_error(graph("DELETE", path), 403, *DENIED)
    assert admin.tenant(tenant_id) == before


def test_owned_by_deletes_only_the_apps_it_owns(
    http, sandbox_url, admin, tenant_id, target
) -> None:
    caller, graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.OwnedBy"]
    )
    other = admin.create_application(tenant_id, "not ours")
    admin.update_application(tenant_id, target["app_id"], owners=[caller["service_principal_id"]])
    owners = {a["app_id"]: a["owners"] for a in admin.applications(tenant_id)}
    assert owners[target["app_id"]] == [caller["service_principal_id"]]
    before = admin.tenant(tenant_id)
    assert_graph_error(graph("DELETE", f"/applications/{other['object_id']}"), 403, *DENIED)
    assert admin.tenant(tenant_id) == before
    response = graph("DELETE", f"/applications/{target['object_id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert _app_ids(admin, tenant_id) == [caller["app_id"], other["app_id"]]


def test_an_app_that_owns_itself_may_delete_itself(http, sandbox_url, admin, tenant_id) -> None:
    """What Decommission does with Onramp's created app holding …OwnedBy."""
    caller, graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.OwnedBy"]
    )
    admin.update_application(tenant_id, caller["app_id"], owners=[caller["service_principal_id"]])
    response = graph("DELETE", f"/applications(appId='{caller['app_id']}')")
    assert (response.status_code, response.content) == (204, b"")
    assert _app_ids(admin, tenant_id) == []


@pytest.mark.parametrize("owners", [[MISSING], ["not an id"]])
def test_admin_owners_must_be_the_tenants_objects(admin, tenant_id, target, owners) -> None:
    with pytest.raises(SandboxAdminError) as refused:
        admin.update_application(tenant_id, target["app_id"], owners=owners)
    assert (refused.value.status, str(refused.value)) == (
        400,
        "sandbox admin API answered 400: owners must be object ids of the tenant's users or "
        "service principals",
    )


@pytest.fixture
def delegated(http, sandbox_url, directory_world):
    """Graph clients for the directory world's users (the Global Administrator consents first,
    for the organisation); `scopes` narrows the token."""
    world = directory_world

    def graph(key: str, scopes: list[str] | None = None) -> Graph:
        upn = world["users"][key]["upn"]
        token = delegated_token(
            http, sandbox_url, world["tenant_id"], world["client_id"], upn, scopes
        )
        return Graph(http, sandbox_url, token)

    graph("ga")
    return graph


@pytest.mark.parametrize("key", ["ga", "app_admin"])
def test_delegated_application_administrators_delete(delegated, admin, directory_world, key):
    tenant_id = directory_world["tenant_id"]
    graph = delegated(key)
    made = graph("POST", "/applications", {"displayName": "Teams connector"}).json()
    sp = graph("POST", "/servicePrincipals", {"appId": made["appId"]})
    assert sp.status_code == 201, sp.text
    response = graph("DELETE", f"/applications/{made['id']}")
    assert (response.status_code, response.content) == (204, b"")
    gone = {
        "app_id": made["appId"],
        "object_id": made["id"],
        "service_principal_id": sp.json()["id"],
    }
    _gone(admin, tenant_id, graph, gone)


@pytest.mark.parametrize(
    ("key", "scopes"),
    [
        ("member", None),  # Application.ReadWrite.All, but no role that may
        ("eligible", None),  # Global Administrator only eligible (PIM): does not count
        ("pra", None),  # Privileged Role Administrator: not an application administrator
        ("ga", ["Application.Read.All", "Directory.Read.All"]),  # the scope is missing
    ],
)
def test_delegated_refused_and_nothing_changes(
    delegated, admin, directory_world, key, scopes
) -> None:
    tenant_id = directory_world["tenant_id"]
    made = delegated("ga")("POST", "/applications", {"displayName": "Teams connector"}).json()
    graph = delegated(key, scopes)
    before = admin.tenant(tenant_id)
    for path in (f"/applications/{made['id']}", f"/applications(appId='{made['appId']}')"):
        assert_graph_error(graph("DELETE", path), 403, *DENIED)
    assert admin.tenant(tenant_id) == before
