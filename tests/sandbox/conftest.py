"""Fixtures that run the real sandbox as a subprocess and talk to it over HTTPS."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin
from onramp.sandbox.runner import SandboxProcess
from tests.clock import Clock

SANDBOX_LINE = re.compile(r"^SANDBOX (https://127\.0\.0\.1:(\d+)) CA=(/\S+/ca\.pem)\n$")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TEAMS_SCOPE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default"


@contextmanager
def running_sandbox(data_dir: Path) -> Iterator[tuple[str, str, str]]:
    """A sandbox of the test's own; yield (url, ca_path, the SANDBOX line); it must stop cleanly."""
    process = SandboxProcess(data_dir)
    try:
        yield process.url, process.ca_path, process.line
    finally:
        assert process.stop() == 0


@pytest.fixture(scope="session")
def sandbox_server(sandbox_process: SandboxProcess) -> tuple[str, str]:
    return sandbox_process.url, sandbox_process.ca_path


@pytest.fixture
def sandbox_url(sandbox_server: tuple[str, str]) -> str:
    return sandbox_server[0]


@pytest.fixture
def admin(sandbox_server: tuple[str, str], clock: Clock) -> Iterator[SandboxAdmin]:
    """The admin client, the directory's clock at the tests' "now"; faults are cleared after
    every test so they cannot leak."""
    client = SandboxAdmin(*sandbox_server)
    client.set_clock(clock.iso() if clock.pinned else None)
    yield client
    client.clear_faults()


@pytest.fixture
def http(sandbox_server: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox_server[1]
    return session


@pytest.fixture
def world(admin: SandboxAdmin) -> dict:
    """A fresh tenant with one consented app (Graph reads + Teams Administrator) and a secret."""
    domain = f"voice-{uuid.uuid4().hex[:12]}.example"
    tenant = admin.create_tenant("Contoso", domains=[domain])
    app = admin.create_application(
        tenant["tenant_id"],
        "Onramp connector",
        permissions=["Organization.Read.All", "Application.Read.All"],
        roles=["Teams Administrator"],
    )
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"], display_name="onramp")
    return {
        **tenant,
        **app,
        "custom_domain": domain,
        "secret": secret["secret_text"],
        "key_id": secret["key_id"],
    }


TokenCall = Callable[..., requests.Response]


@pytest.fixture
def token(http: requests.Session, sandbox_url: str, world: dict) -> TokenCall:
    """POST a client-credentials request; defaults are the world's valid credentials."""

    def call(tenant: str | None = None, headers: dict | None = None, **fields: str | None):
        form = {
            "grant_type": "client_credentials",
            "client_id": world["app_id"],
            "client_secret": world["secret"],
            "scope": GRAPH_SCOPE,
            **fields,
        }
        body = {key: value for key, value in form.items() if value is not None}
        url = f"{sandbox_url}/{tenant or world['tenant_id']}/oauth2/v2.0/token"
        return http.post(url, data=body, headers=headers or {})

    return call


@pytest.fixture
def directory_world(admin: SandboxAdmin) -> dict:
    """A customer tenant with users in each role of interest and a multi-tenant public sign-in
    client homed in a provider tenant (as Onramp's own sign-in app is)."""
    from .flows import PASSWORD, REDIRECT

    provider = admin.create_tenant("Northwind Voice")
    client = admin.create_application(
        provider["tenant_id"],
        "Onramp sign-in",
        sign_in_audience="AzureADMultipleOrgs",
        public_client=True,
        redirect_uris=[REDIRECT],
    )
    tenant = admin.create_tenant("Contoso")
    roles = {
        "ga": {"roles": ["Global Administrator"]},
        "app_admin": {"roles": ["Application Administrator"]},
        "pra": {"roles": ["Privileged Role Administrator"]},
        "eligible": {"eligible_roles": ["Global Administrator"]},
        "member": {},
    }
    users = {}
    for key, fields in roles.items():
        upn = f"{key.replace('_', '.')}@{tenant['default_domain']}"
        created = admin.create_user(tenant["tenant_id"], upn, PASSWORD, **fields)
        users[key] = {"upn": upn, "id": created["id"]}
    return {
        **tenant,
        "provider_tenant_id": provider["tenant_id"],
        "client_id": client["app_id"],
        "users": users,
    }
