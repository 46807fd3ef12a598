"""msgraph-sdk, unchanged, driving the Graph writes of issue 11 against the sandbox: the calls
Onramp makes to create an app registration, the paging it follows and the errors it raises."""

from __future__ import annotations

import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.applications.item.add_password.add_password_post_request_body import (
    AddPasswordPostRequestBody,
)
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment
from msgraph_core.tasks.page_iterator import PageIterator

from onramp.sandbox.admin import SandboxAdmin
from tests.sandbox.flows import run_async

from .flows import certificate, delegated_token
from .test_official_clients import _graph_client, _secret_credential

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ORGANIZATION_READ_ALL = uuid.UUID("498476ce-e0fe-48b0-b801-37ba7e2685c6")
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
PROVISIONER = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "DelegatedPermissionGrant.ReadWrite.All",
]


def _client(sandbox_server, admin: SandboxAdmin, tenant_id: str, permissions: list[str]):
    app = admin.create_application(tenant_id, "provisioner", permissions=permissions)
    secret = admin.add_secret(tenant_id, app["app_id"])["secret_text"]
    credential = _secret_credential(
        *sandbox_server, {"tenant_id": tenant_id, "app_id": app["app_id"], "secret": secret}
    )
    return _graph_client(sandbox_server, credential)


@pytest.fixture
def customer(admin: SandboxAdmin, http, sandbox_url, directory_world) -> dict:
    """The directory world after its Global Administrator consented to the sign-in app."""
    world = directory_world
    delegated_token(
        http, sandbox_url, world["tenant_id"], world["client_id"], world["users"]["ga"]["upn"]
    )
    return world


def test_app_registration_with_msgraph(sandbox_server, admin, customer) -> None:
    client = _client(sandbox_server, admin, customer["tenant_id"], PROVISIONER)
    cert = certificate()

    async def scenario() -> dict:
        made = await client.applications.post(Application(display_name="Teams connector"))
        sp = await client.service_principals.post(ServicePrincipal(app_id=made.app_id))
        graph_sp = await client.service_principals_with_app_id(GRAPH_APP_ID).get()
        assignment = await client.service_principals.by_service_principal_id(
            graph_sp.id
        ).app_role_assigned_to.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(sp.id),
                resource_id=uuid.UUID(graph_sp.id),
                app_role_id=ORGANIZATION_READ_ALL,
            )
        )
        role = await client.role_management.directory.role_assignments.post(
            UnifiedRoleAssignment(
                role_definition_id=TEAMS_ADMINISTRATOR, principal_id=sp.id, directory_scope_id="/"
            )
        )
        key = KeyCredential(type="AsymmetricX509Cert", usage="Verify", key=cert.der)
        await client.applications.by_application_id(made.id).patch(
            Application(key_credentials=[key])
        )
        secret = await client.applications.by_application_id(made.id).add_password.post(
            AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="x"))
        )
        read = await client.applications.by_application_id(made.id).get()
        grants = await client.oauth2_permission_grants.get()
        await client.oauth2_permission_grants.by_o_auth2_permission_grant_id(
            grants.value[0].id
        ).delete()
        left = await client.oauth2_permission_grants.get()
        return {
            "assignment": assignment,
            "role": role,
            "secret": secret,
            "read": read,
            "grants": grants.value,
            "left": left.value,
        }

    out = run_async(scenario())
    assert out["assignment"].app_role_id == ORGANIZATION_READ_ALL
    assert (out["role"].role_definition_id, out["role"].directory_scope_id) == (
        TEAMS_ADMINISTRATOR,
        "/",
    )
    assert out["secret"].hint == out["secret"].secret_text[:3]
    [key] = out["read"].key_credentials
    assert (key.type, key.usage, key.end_date_time.year) == ("AsymmetricX509Cert", "Verify", 2036)
    assert [p.hint for p in out["read"].password_credentials] == [out["secret"].hint]
    assert [g.consent_type for g in out["grants"]] == ["AllPrincipals"]
    assert out["left"] == []
    [view] = [
        a for a in admin.applications(customer["tenant_id"]) if a["display_name"] != "provisioner"
    ]
    assert view["roles"] == ["Teams Administrator"]
    assert view["permissions"] == ["Organization.Read.All"]


def test_msgraph_errors(sandbox_server, admin, customer) -> None:
    reader = _client(sandbox_server, admin, customer["tenant_id"], ["Application.Read.All"])
    writer = _client(sandbox_server, admin, customer["tenant_id"], ["Application.ReadWrite.All"])

    async def denied() -> None:
        await reader.applications.post(Application(display_name="x"))

    async def missing() -> None:
        await writer.applications.by_application_id(str(uuid.uuid4())).get()

    with pytest.raises(ODataError) as raised:
        run_async(denied())
    assert raised.value.response_status_code == 403
    assert raised.value.error.code == "Authorization_RequestDenied"
    assert raised.value.error.message == "Insufficient privileges to complete the operation."
    with pytest.raises(ODataError) as raised:
        run_async(missing())
    assert (raised.value.response_status_code, raised.value.error.code) == (
        404,
        "Request_ResourceNotFound",
    )


def test_msgraph_paging_and_count(sandbox_server, admin) -> None:
    tenant_id = admin.create_tenant("Paged")["tenant_id"]
    for index in range(6):
        admin.create_application(tenant_id, f"app {index}")
    client = _client(sandbox_server, admin, tenant_id, ["Application.Read.All"])
    query = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
        top=3, count=True, select=["id", "displayName"]
    )
    config = RequestConfiguration(query_parameters=query)
    config.headers.add("ConsistencyLevel", "eventual")

    async def scenario() -> tuple[int, list[str]]:
        first = await client.applications.get(request_configuration=config)
        names: list[str] = []

        def collect(item: Application) -> bool:
            names.append(item.display_name)
            return True

        await PageIterator(first, client.request_adapter).iterate(collect)
        return first.odata_count, names

    count, names = run_async(scenario())
    assert count == 7  # six apps and the provisioner itself
    assert sorted(names) == sorted([*(f"app {i}" for i in range(6)), "provisioner"])


def test_msgraph_finds_an_application_by_its_tag(sandbox_server, admin) -> None:
    """The idempotent creation of issue 11: an app created with a marker tag is found again by
    `tags/any(...)` before anything is created a second time."""
    tenant_id = admin.create_tenant("Tagged")["tenant_id"]
    admin.create_application(tenant_id, "untagged")
    client = _client(sandbox_server, admin, tenant_id, ["Application.ReadWrite.All"])

    def by_tag(tag: str) -> RequestConfiguration:
        query = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            filter=f"tags/any(t:t eq '{tag}')", select=["id", "appId", "tags"]
        )
        return RequestConfiguration(query_parameters=query)

    async def scenario() -> tuple[Application, list[Application], list[Application]]:
        made = await client.applications.post(
            Application(display_name="Teams connector", tags=["OnrampCreation:run-1"])
        )
        found = await client.applications.get(request_configuration=by_tag("onrampcreation:RUN-1"))
        other = await client.applications.get(request_configuration=by_tag("OnrampCreation:run-2"))
        return made, found.value, other.value

    made, found, other = run_async(scenario())
    assert [(a.id, a.app_id, a.tags) for a in found] == [
        (made.id, made.app_id, ["OnrampCreation:run-1"])
    ]
    assert other == []
