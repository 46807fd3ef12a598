from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from onramp.m365.config import MicrosoftConfig
from onramp.m365.validation import ValidationClient

ALL_PERMISSIONS = [
    "Organization.Read.All",
    "Application.Read.All",
    "User.ReadWrite.All",
    "Domain.ReadWrite.All",
]


@dataclass
class Tenant:
    tenant_id: str
    default_domain: str
    app_id: str
    secret: str
    secret_expires: datetime


def make_tenant(
    sandbox,
    *,
    name="Contoso Ltd",
    permissions=None,
    roles=None,
    teams=True,
    enabled=True,
    expires_in=timedelta(days=180),
) -> Tenant:
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    tenant = sandbox.admin.create_tenant(name, domains=[f"{slug}.example"], teams=teams)
    app = sandbox.admin.create_application(
        tenant["tenant_id"],
        "Onramp connector",
        permissions=ALL_PERMISSIONS if permissions is None else permissions,
        roles=["Teams Administrator"] if roles is None else roles,
        enabled=enabled,
    )
    end = (timezone.now() + expires_in).replace(microsecond=0)
    secret = sandbox.admin.add_secret(
        tenant["tenant_id"], app["app_id"], end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return Tenant(
        tenant["tenant_id"], tenant["default_domain"], app["app_id"], secret["secret_text"], end
    )


@pytest.fixture
def client_for(sandbox):
    """A validation client aimed at the sandbox, optionally with a shorter timeout."""

    def build(timeout: float = 15.0, **overrides) -> ValidationClient:
        return ValidationClient(
            MicrosoftConfig(
                authority=sandbox.url,
                graph=sandbox.graph_url,
                ca_bundle=sandbox.ca_path,
                timeout_seconds=timeout,
                **overrides,
            ),
            clock=lambda: timezone.now(),
        )

    return build


@pytest.fixture
def contoso(sandbox) -> Tenant:
    return make_tenant(sandbox)
