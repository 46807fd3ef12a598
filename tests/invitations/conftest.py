from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.services.onboarding import service_create
from onramp.services.services import ServiceRequest


@pytest.fixture
def invite(actor, customer):
    """Create a service with the invitation option; returns (service, invitation, token)."""

    def make(short_name: str = "Contoso-01", admin_email: str = "admin@contoso.example"):
        created = service_create(
            actor=actor,
            customer=customer,
            request=ServiceRequest(
                short_name=short_name,
                full_name="Contoso main",
                license_type="hosted-pro",
                licensed_users=10,
                method="invitation",
                admin_email=admin_email,
            ),
        )
        token = created.issued.link.rsplit("/", 1)[1]
        return created.service, created.issued.invitation, token

    return make


def expire(invitation) -> None:
    type(invitation).objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invitation.refresh_from_db()
