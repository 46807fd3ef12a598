"""Discovery documents are kept in the database: a client with nothing in memory (a new process)
fetches none for a tenant validated before."""

from __future__ import annotations

import pytest

from onramp.connections.live import validate_live
from onramp.connections.models import DiscoveryDocument
from onramp.m365.credentials import ClientSecret
from tests.m365.conftest import make_tenant

pytestmark = pytest.mark.django_db


def discovery_paths(sandbox, since=0):
    served = sandbox.admin.requests_served()[since:]
    return [r["path"] for r in served if r["path"].endswith("/.well-known/openid-configuration")]


def test_a_new_client_fetches_no_discovery_document_of_a_tenant_seen_before(
    sandbox, microsoft_settings
):
    contoso = make_tenant(sandbox)

    def validate():
        return validate_live(
            tenant=contoso.default_domain,
            client_id=contoso.app_id,
            credential=ClientSecret(contoso.secret),
            expected_tenant_id=None,
        )

    microsoft_settings.MICROSOFT_TIMEOUT_SECONDS = 14.5  # a client with nothing in memory
    assert validate().ok is True
    assert discovery_paths(sandbox) == [
        f"/{contoso.default_domain}/v2.0/.well-known/openid-configuration"
    ]
    assert set(DiscoveryDocument.objects.values_list("url", flat=True)) == {
        f"{sandbox.url}/{contoso.tenant_id}/v2.0/.well-known/openid-configuration",
        f"{sandbox.url}/{contoso.default_domain}/v2.0/.well-known/openid-configuration",
    }

    microsoft_settings.MICROSOFT_TIMEOUT_SECONDS = 14.75  # another one, as in a new process
    before = len(sandbox.admin.requests_served())
    assert validate().ok is True
    assert discovery_paths(sandbox, before) == []
    assert len(sandbox.admin.requests_served()) == before + 3
