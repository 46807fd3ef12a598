from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.connections.models import TenantConnection
from onramp.core import short_names
from onramp.core.crypto import secret_box
from onramp.services.models import Service
from tests.m365.conftest import ALL_PERMISSIONS


@pytest.fixture
def active_service(customer, sandbox, microsoft_settings):
    """An active service connected to a fresh sandbox tenant (created without the wizard)."""
    counter = iter(range(1, 10_000))

    def make(*, expires_in=timedelta(days=180), permissions=None, name=None):
        n = next(counter)
        tenant = sandbox.admin.create_tenant(f"Tenant {n}")
        app = sandbox.admin.create_application(
            tenant["tenant_id"],
            "Onramp",
            permissions=ALL_PERMISSIONS if permissions is None else permissions,
            roles=["Teams Administrator"],
        )
        end = (timezone.now() + expires_in).replace(microsecond=0)
        secret = sandbox.admin.add_secret(
            tenant["tenant_id"], app["app_id"], end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        short = name or f"svc-{n:04d}"
        service = Service.objects.create(
            provider=customer.provider,
            customer=customer,
            short_name=short,
            short_name_key=short_names.short_name_key(short),
            full_name=short,
            license_type="hosted-pro",
            licensed_users=5,
            status="active",
            activated_at=timezone.now(),
        )
        box = secret_box()
        TenantConnection.objects.create(
            service=service,
            tenant_id=tenant["tenant_id"],
            client_id=app["app_id"],
            secret_sealed=box.seal(secret["secret_text"]),
            secret_key_id=box.current_key_id,
            secret_hint=secret["secret_text"][:3],
            authenticated_by="admin@example.test",
            authenticated_at=timezone.now(),
        )
        service.sandbox_tenant = tenant["tenant_id"]
        service.sandbox_app = app["app_id"]
        service.secret_end = end
        return service

    return make
