from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ServiceFactory
from tests.m365.conftest import ALL_PERMISSIONS, Tenant


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
        service = ServiceFactory(
            customer=customer,
            short_name=name or f"svc-{n:04d}",
            connected=True,
            tenant=Tenant(tenant["tenant_id"], "", app["app_id"], secret["secret_text"], end),
        )
        service.sandbox_tenant = tenant["tenant_id"]
        service.sandbox_app = app["app_id"]
        service.secret_end = end
        return service

    return make
