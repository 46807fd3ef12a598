"""The onboarding pages (dashboard, services, invitations, M365, health, audit) for every kind
of operator: the exact status of each page and action, the exact audit event of an allowed
change, and proof that a refused one changed nothing. The hierarchy and operator pages have
their own matrix in test_tenancy_pages.py and test_operator_pages.py."""

from __future__ import annotations

import pytest

from onramp.invitations.models import Invitation
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from tests.pages.conftest import invite
from tests.pages.hierarchy import KINDS, World, attempt, build, new_events, state

pytestmark = pytest.mark.django_db

READ = {"anonymous": 302, "*": 200}
# The channel customer's service: everyone in the provider sees it, down to its own customer.
SEE_IN_CHANNEL = {"anonymous": 302, "other admin": 404, "*": 200}
# The direct customer's service: not the channel's, nor the channel customer's.
SEE_DIRECT = {
    **SEE_IN_CHANNEL,
    **{who: 404 for who in ("channel admin", "channel operator")},
    **{who: 404 for who in ("customer admin", "customer operator")},
}
# invitation.manage and service.delete: writers above customer scope; monitors and customer
# operators see the service but may not act.
MANAGE = {
    **SEE_IN_CHANNEL,
    **{
        who: 403
        for who in ("system monitor", "provider monitor", "customer admin", "customer operator")
    },
}
CREATE = {**MANAGE, "other admin": 200}

EXPECTED: dict[str, dict[str, int]] = {
    "dashboard": READ,
    "services list": READ,
    "invitations list": READ,
    "health list": READ,
    "audit list": READ,
    "add service": CREATE,
    "direct routing form": CREATE,
    "service detail": SEE_IN_CHANNEL,
    "direct service detail": SEE_DIRECT,
    "m365 page": SEE_IN_CHANNEL,
    "revoke form": MANAGE,
    "revoke": {**MANAGE, **{who: 302 for who, code in MANAGE.items() if code == 200}},
    "resend": MANAGE,
    "delete form": MANAGE,
    "delete": {**MANAGE, **{who: 302 for who, code in MANAGE.items() if code == 200}},
}
EVENTS = {
    "revoke": "invitation.revoked",
    "resend": "invitation.resent",
    "delete": "service.deleted",
}


@pytest.fixture
def world(db) -> World:
    built = build()
    built.services = {
        "in channel": invite(built.customer, short_name="Contoso-01"),
        "direct": invite(built.direct, short_name="Adatum-01"),
    }
    return built


def request_for(w: World, action: str) -> tuple[str, dict | None]:
    """The URL and, for a POST, the form data of each page action."""
    service = w.services["in channel"].service
    invitation = w.services["in channel"].invitation
    return {
        "dashboard": ("/dashboard/", None),
        "services list": ("/services/", None),
        "invitations list": ("/invitations/", None),
        "health list": ("/health/", None),
        "audit list": ("/audit/", None),
        "add service": ("/services/add/", None),
        "direct routing form": ("/services/add/direct-routing/", None),
        "service detail": (f"/services/{service.pk}/", None),
        "direct service detail": (f"/services/{w.services['direct'].service.pk}/", None),
        "m365 page": (f"/services/{service.pk}/m365/", None),
        "revoke form": (f"/invitations/{invitation.pk}/revoke/", None),
        "revoke": (f"/invitations/{invitation.pk}/revoke/", {}),
        "resend": (f"/invitations/{invitation.pk}/resend/", {}),
        "delete form": (f"/services/{service.pk}/delete/", None),
        "delete": (f"/services/{service.pk}/delete/", {}),
    }[action]


def snapshot() -> dict[str, list]:
    """Every row these pages could write, beside the hierarchy's."""
    return {
        **state(),
        "services": sorted(Service.objects.values_list("id", "status")),
        "invitations": sorted(
            Invitation.objects.values_list("id", "status", "token_hash", "expires_at")
        ),
        "outbox": sorted(OutboxMessage.objects.values_list("id", flat=True)),
    }


@pytest.mark.parametrize("who", KINDS)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_who_may_use_each_page(world, action, who):
    url, data = request_for(world, action)
    before, audit_before = snapshot(), state()
    _, expected = attempt(world, who, url, data, EXPECTED[action])
    if action in EVENTS and expected in (200, 302) and who != "anonymous":
        events = new_events(audit_before)
        assert [(e.action, e.actor_id) for e in events] == [
            (EVENTS[action], str(world.people[who].pk))
        ]
    else:
        assert snapshot() == before
