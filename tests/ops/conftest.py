from __future__ import annotations

import pytest
from django.utils import timezone

from onramp.connections.models import TenantConnection
from onramp.core.crypto import secret_box
from onramp.services.models import Service
from tests.invitations.conftest import invite  # noqa: F401 - shared fixture


@pytest.fixture
def active_connection(customer):
    """An active service whose connection holds the secret "the-secret-value"."""
    service = Service.objects.create(
        provider=customer.provider,
        customer=customer,
        short_name="Active1",
        short_name_key="active1",
        full_name="Active1",
        license_type="hosted-pro",
        licensed_users=3,
        status="active",
    )
    box = secret_box()
    return TenantConnection.objects.create(
        service=service,
        tenant_id="00000000-0000-0000-0000-000000000001",
        client_id="00000000-0000-0000-0000-000000000002",
        secret_sealed=box.seal("the-secret-value"),
        secret_key_id=box.current_key_id,
        secret_hint="the",
        authenticated_by="x",
        authenticated_at=timezone.now(),
    )
