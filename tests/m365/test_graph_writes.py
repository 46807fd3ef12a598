"""The Graph-write client with a delegated token from the sandbox's own sign-in (auth code +
PKCE), over HTTPS: each step of building an app registration, repeated without duplicates, and
Microsoft's refusals as an admin reads them."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.utils import timezone

from onramp.m365.catalog import GRAPH_APP_ID
from onramp.m365.config import TEAMS_ADMIN_API_APP_ID, MicrosoftConfig
from onramp.m365.credentials import key_pair_generate
from onramp.m365.graph_writes import (
    TEAMS_APP_ROLE,
    GraphWriteError,
    GraphWriter,
    refusal,
)
from onramp.m365.transport import MicrosoftTransport, Response
from onramp.m365.validation import ValidationClient
from tests.m365.conftest import ALL_PERMISSIONS
from tests.sandbox.flows import PASSWORD, REDIRECT, WRITE_SCOPES, delegated_token

SCOPES = [*WRITE_SCOPES, "DelegatedPermissionGrant.ReadWrite.All"]


@pytest.fixture
def world(sandbox):
    """A provider tenant homing the multi-tenant sign-in app; a customer tenant with a Global
    Administrator and an Application Administrator."""
    admin = sandbox.admin
    provider = admin.create_tenant("Northwind Voice")
    sign_in = admin.create_application(
        provider["tenant_id"],
        "Onramp sign-in",
        sign_in_audience="AzureADMultipleOrgs",
        public_client=True,
        redirect_uris=[REDIRECT],
    )
    tenant = admin.create_tenant("Contoso")
    users = {}
    for key, role in (("ga", "Global Administrator"), ("appadmin", "Application Administrator")):
        upn = f"{key}@{tenant['default_domain']}"
        admin.create_user(tenant["tenant_id"], upn, PASSWORD, roles=[role])
        users[key] = upn
    return {**tenant, "sign_in_app": sign_in["app_id"], "users": users}


@pytest.fixture
def writer_for(sandbox, world):
    def build(user: str = "ga") -> GraphWriter:
        session = requests.Session()
        session.trust_env = False
        session.verify = sandbox.ca_path
        token = delegated_token(
            session,
            sandbox.url,
            world["tenant_id"],
            world["sign_in_app"],
            world["users"][user],
            SCOPES,
        )
        config = MicrosoftConfig(
            authority=sandbox.url, graph=sandbox.graph_url, ca_bundle=sandbox.ca_path
        )
        return GraphWriter(MicrosoftTransport(config), token)

    return build


def _validated(sandbox, tenant_id: str, app_id: str, pair):
    """Validation with the new certificate, once the sandbox's replicas have caught up."""
    client = ValidationClient(
        MicrosoftConfig(authority=sandbox.url, graph=sandbox.graph_url, ca_bundle=sandbox.ca_path)
    )
    deadline = time.monotonic() + 10
    while True:
        result = client.validate(tenant=tenant_id, client_id=app_id, credential=pair)
        if result.ok or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_global_administrator_builds_a_valid_app_registration_once(sandbox, world, writer_for):
    writer = writer_for("ga")
    graph = writer.resource_roles(GRAPH_APP_ID)
    teams = writer.resource_roles(TEAMS_ADMIN_API_APP_ID)
    access = [graph.access(ALL_PERMISSIONS), teams.access([TEAMS_APP_ROLE])]
    assert writer.application_tagged("OnrampCreation:run-1") is None
    app = writer.application_create(
        "Northwind Teams Direct Routing - Contoso", access, "OnrampCreation:run-1"
    )
    assert writer.application_tagged("OnrampCreation:run-1") == app  # found again by its marker
    assert writer.application_tagged("OnrampCreation:run-2") is None
    found = writer.application_find(app.object_id)
    assert found["appId"] == app.app_id
    assert found["requiredResourceAccess"] == access
    sp_id = writer.service_principal_create(app.app_id)
    assert writer.service_principal_create(app.app_id) == sp_id  # found again, not made twice
    for _ in range(2):  # a resumed run repeats the steps
        for name in ALL_PERMISSIONS:
            writer.app_role_grant(graph, sp_id, name)
        writer.app_role_grant(teams, sp_id, TEAMS_APP_ROLE)
        writer.directory_role_assign(sp_id)
    pair = key_pair_generate(now=timezone.now())
    writer.certificate_add(app.object_id, pair)
    writer.certificate_add(app.object_id, pair)
    [key] = writer.application_find(app.object_id)["keyCredentials"]
    assert pair.is_entry(key)

    result = _validated(sandbox, world["tenant_id"], app.app_id, pair)
    assert result.ok is True, result.message
    assert result.granted_permissions == sorted(ALL_PERMISSIONS)
    assert result.assigned_roles == ["Teams Administrator"]

    assert writer.permission_grants_delete(world["sign_in_app"]) == 1
    assert writer.permission_grants_delete(world["sign_in_app"]) == 0
    [only] = [
        a for a in sandbox.admin.applications(world["tenant_id"]) if a["app_id"] == app.app_id
    ]
    assert only["service_principal_id"] == sp_id
    assert writer.application_find("6a1f9fdc-8a9b-4a4e-8a4e-2b8ef3b3a001") is None


def test_application_administrator_cannot_grant_graph_roles(world, writer_for):
    writer = writer_for("appadmin")
    graph = writer.resource_roles(GRAPH_APP_ID)
    app = writer.application_create(
        "Teams connector", [graph.access(["Organization.Read.All"])], "OnrampCreation:run-1"
    )
    sp_id = writer.service_principal_create(app.app_id)
    with pytest.raises(GraphWriteError) as refused:
        writer.app_role_grant(graph, sp_id, "Organization.Read.All")
    assert (refused.value.kind, refused.value.code) == ("forbidden", "Authorization_RequestDenied")
    assert refused.value.message == (
        "Microsoft refused to grant Organization.Read.All: the signed-in user, or what the "
        "sign-in was allowed to do, lacks the rights for it (Authorization_RequestDenied). Sign "
        "in as a Global Administrator, or as a user who is both a Privileged Role Administrator "
        "and an Application Administrator."
    )
    with pytest.raises(GraphWriteError) as role:
        writer.directory_role_assign(sp_id)
    assert role.value.kind == "forbidden"


def test_unknown_permission_is_refused_before_any_write(writer_for):
    graph = writer_for().resource_roles(GRAPH_APP_ID)
    with pytest.raises(GraphWriteError) as refused:
        graph.access(["Vulnerability.Read"])
    assert refused.value.message == (
        f"The permissions Vulnerability.Read do not exist on the resource application "
        f"{GRAPH_APP_ID} in this tenant."
    )


def test_throttling_and_outage_are_transient_with_retry_after(sandbox, writer_for):
    writer = writer_for()
    sandbox.admin.set_faults(status=429, retry_after=30, paths="graph")
    with pytest.raises(GraphWriteError) as throttled:
        writer.application_create("Teams connector", [], "OnrampCreation:run-1")
    assert (throttled.value.kind, throttled.value.retry_after) == ("transient", 30)
    assert throttled.value.message == (
        "Microsoft is throttling requests while trying to create the application; try again in "
        "30 seconds."
    )
    sandbox.admin.set_faults(status=503, paths="graph")
    with pytest.raises(GraphWriteError) as down:
        writer.service_principal_create("00000000-0000-0000-0000-000000000001")
    assert down.value.transient
    sandbox.admin.clear_faults()
    assert repr(writer) == "GraphWriter()"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "CredentialTypeNotAllowedAsPerAppPolicy",
            "Password addition is not allowed as per assigned policy "
            "'00000000-0000-0000-0000-000000000000'.",
        ),
        (
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed as per assigned policy "
            "'00000000-0000-0000-0000-000000000000'.",
        ),
    ],
)
def test_app_management_policy_refusals(code, message):
    answer = Response(400, json.dumps({"error": {"code": code, "message": message}}))
    error = refusal(answer, "add the certificate to the application")
    assert (error.kind, error.code, error.transient) == ("policy", code, False)
    assert error.message == (
        "The tenant's app management policy does not allow Onramp to add the certificate to "
        f"the application ({code}): {message}"
    )


def test_expired_sign_in_asks_for_a_new_one():
    error = refusal(Response(401, "{}"), "create the application")
    assert (error.kind, error.message) == (
        "signed_out",
        "The Microsoft sign-in has expired, so Onramp could not create the application. Sign in "
        "again.",
    )
