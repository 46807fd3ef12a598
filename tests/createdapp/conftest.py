"""Fixtures for "Create the app registration for me" against the real sandbox over HTTPS: the
installation's sign-in app in a provider tenant, a customer tenant with admins of each kind,
an admin's browser for Microsoft's sign-in pages, and the worker's steps run in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.utils import timezone

from onramp.createdapp import machine, services
from onramp.createdapp.models import AppCreation, CreationStatus
from tests.sandbox.flows import PASSWORD, answer_consent, redirect_params, sign_in
from tests.wizard.conftest import link, make_link  # noqa: F401 - the invitation link fixtures

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
REQUIRED = [
    "Organization.Read.All",
    "Application.Read.All",
    "User.ReadWrite.All",
    "Domain.ReadWrite.All",
    "TeamsTelephoneNumber.ReadWrite.All",
    "TeamsUserConfiguration.Read.All",
]
USERS = {
    "ga": {"roles": ["Global Administrator"]},
    "app.admin": {"roles": ["Application Administrator"]},
    "eligible": {"eligible_roles": ["Global Administrator"]},
}


@dataclass
class CustomerTenant:
    tenant_id: str
    default_domain: str
    display_name: str
    sign_in_client_id: str
    sign_in_secret: str
    provider_tenant_id: str
    users: dict[str, str] = field(default_factory=dict)
    reader: dict[str, str] = field(default_factory=dict)


def make_tenant(sandbox, settings) -> CustomerTenant:
    """The sign-in app (multi-tenant, confidential, device code allowed, redirect URI under
    ``settings.PUBLIC_URL``) configured as the installation's, and a customer tenant with a
    Global Administrator, an Application Administrator, an admin whose role is only eligible,
    and an app that may read grants."""
    admin = sandbox.admin
    provider = admin.create_tenant("Northwind Voice")
    app = admin.create_application(
        provider["tenant_id"],
        "Onramp sign-in",
        sign_in_audience="AzureADMultipleOrgs",
        public_client=True,
        redirect_uris=[f"{settings.PUBLIC_URL}/invite/callback"],
    )
    secret = admin.add_secret(provider["tenant_id"], app["app_id"])["secret_text"]
    settings.SIGN_IN_CLIENT_ID = app["app_id"]
    settings.SIGN_IN_CLIENT_SECRET = secret
    customer = admin.create_tenant("Contoso")
    users = {}
    for name, fields in USERS.items():
        upn = f"{name}@{customer['default_domain']}"
        admin.create_user(customer["tenant_id"], upn, PASSWORD, **fields)
        users[name] = upn
    reader = admin.create_application(
        customer["tenant_id"], "Grant reader", permissions=["Directory.Read.All"]
    )
    reader_secret = admin.add_secret(customer["tenant_id"], reader["app_id"])["secret_text"]
    return CustomerTenant(
        customer["tenant_id"],
        customer["default_domain"],
        "Contoso",
        app["app_id"],
        secret,
        provider["tenant_id"],
        users,
        {"app_id": reader["app_id"], "secret": reader_secret},
    )


@pytest.fixture
def tenant(sandbox, microsoft_settings, settings) -> CustomerTenant:
    return make_tenant(sandbox, settings)


@pytest.fixture
def admin_browser(sandbox) -> requests.Session:
    """The admin's browser at Microsoft's sign-in pages."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_path
    return session


def microsoft_sign_in(
    browser: requests.Session, auth_uri: str, upn: str, *, accept: bool = True
) -> dict[str, str]:
    """Sign in and answer the consent page as the admin; the callback's query parameters."""
    page = sign_in(browser, browser.get(auth_uri), upn)
    if page.status_code == 200 and "Permissions requested" in page.text:
        org = "Consent on behalf of your organization" in page.text
        page = answer_consent(browser, page, accept=accept, org=org)
    assert page.headers["Location"].startswith(f"{django_settings.PUBLIC_URL}/invite/callback?")
    return redirect_params(page)


class Queue(list):
    """Tasks waiting (``run_steps`` takes them), and ``history``: every task ever queued."""

    def __init__(self) -> None:
        super().__init__()
        self.history: list[tuple] = []

    def put(self, *args: Any) -> None:
        self.append(args)
        self.history.append(args)


@pytest.fixture
def queued(monkeypatch) -> Queue:
    """The steps' tasks, collected instead of sent to a worker (``run_steps`` runs them)."""
    queue = Queue()
    monkeypatch.setattr(services, "enqueue_on_commit", queue.put)
    monkeypatch.setattr(machine, "enqueue_on_commit", queue.put)
    return queue


@pytest.fixture
def run_steps(queued, clock):
    """Run the queued steps as a worker would; a step waiting out a backoff is let wait (the
    clock moves on to its time, and the wall clock a little, for Microsoft's replicas)."""
    import time

    def run(creation: AppCreation, *, limit: int = 60) -> AppCreation:
        for _ in range(limit):
            if queued:
                _, creation_id, name = queued.pop(0)
                machine.creation_step_run(creation_id=creation_id, name=name)
                continue
            creation.refresh_from_db()
            if creation.status != CreationStatus.RUNNING:
                return creation
            waiting = creation.steps.filter(next_attempt_at__isnull=False).first()
            assert waiting is not None, "a running creation has a step to run"
            if waiting.next_attempt_at > timezone.now():
                time.sleep(0.5)
                clock.set(waiting.next_attempt_at + timedelta(seconds=1))
            services.creation_kick(creation)
        raise AssertionError("the steps did not finish")

    return run


def grants_of(sandbox, tenant: CustomerTenant) -> list[dict[str, Any]]:
    """The tenant's delegated permission grants, as an app allowed to read them sees them."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_path
    token = session.post(
        f"{sandbox.url}/{tenant.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.reader["app_id"],
            "client_secret": tenant.reader["secret"],
            "scope": GRAPH_SCOPE,
        },
    ).json()["access_token"]
    response = session.get(
        f"{sandbox.graph_url}/v1.0/oauth2PermissionGrants",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["value"]
