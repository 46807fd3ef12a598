"""Pending Invitations: the list and filters, Resend, Revoke, Delete service, Add → Next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from onramp.services.models import Service
from onramp.tenancy.models import Customer
from tests.pages.conftest import invite
from tests.pages.helpers import counts, page_text, shown_link, visible_text

pytestmark = pytest.mark.django_db

LIST = "/invitations/"


def test_empty_state_says_what_to_do(ops):
    text = visible_text(ops.get(LIST))
    assert "No pending invitations. Add a service to invite a customer's admin." in text


def test_list_shows_the_columns_of_step_six(ops, invited):
    invitation = invited.invitation
    OutboxMessage.objects.filter(invitation=invitation).update(
        attempts=2, last_error="SMTP 451 try later"
    )
    response = ops.get(LIST)
    assert response.status_code == 200
    text = page_text(response)
    for header in (
        "Short name",
        "Full name",
        "Customer",
        "Invitation email",
        "Email sent / send count",
        "Created",
        "Expires",
        "Device Authenticated",
        "Status",
    ):
        assert f">{header}<" in text or f">{header}<span" in text, header
    words = visible_text(response)
    assert (
        "Contoso-01 Contoso-01 voice Contoso Ltd admin@contoso.example No / 2 "
        "Last error: SMTP 451 try later"
    ) in words
    assert (
        '<td data-label="Device Authenticated"><span title="Device Authenticated: the admin '
        'handed over working credentials">'
        '<span class="badge badge--grey" data-status="not-authenticated">No</span></span></td>'
    ) in text
    assert 'data-status="pending">Pending</span>' in text
    assert f'title="{invitation.created_at:%Y-%m-%d %H:%M:%S} UTC"' in text
    assert "1\u20131 of 1" in words
    for action in ("Resend the invitation for", "Revoke the invitation for", "Delete service"):
        assert action in text
    assert "Add Contoso-01" not in text  # not authenticated yet


def test_expired_invitation_reads_expired(ops, invited):
    Invitation.objects.filter(pk=invited.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    text = page_text(ops.get(LIST))
    assert 'data-status="expired">Expired</span>' in text
    assert page_text(ops.get(LIST + "?status=expired")).count("<tr data-invitation") == 1
    assert page_text(ops.get(LIST + "?status=pending")).count("<tr data-invitation") == 0


def test_filters_by_status_and_customer(ops, customer, provider, operator):
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam Inc")
    invite(customer, short_name="Contoso-01")
    invite(fabrikam, short_name="Fabrikam-01")
    both = page_text(ops.get(LIST))
    assert both.count("<tr data-invitation") == 2
    only = page_text(ops.get(f"{LIST}?customer={fabrikam.pk}"))
    assert only.count("<tr data-invitation") == 1
    assert "Fabrikam-01" in only
    assert page_text(ops.get(f"{LIST}?status=authenticated")).count("<tr data-invitation") == 0
    assert "No invitations match these filters" in page_text(ops.get(f"{LIST}?status=revoked"))
    # Unknown values are ignored rather than failing.
    assert (
        page_text(ops.get(f"{LIST}?status=bogus&customer=nope")).count("<tr data-invitation") == 2
    )


def test_another_providers_invitations_are_invisible(ops, other_customer, other_operator):
    theirs = invite(other_customer, short_name="Tailspin-01")
    assert "Tailspin-01" not in page_text(ops.get(LIST))
    base = f"/invitations/{theirs.invitation.pk}"
    before = counts()
    assert ops.post(f"{base}/resend/").status_code == 404
    assert ops.get(f"{base}/revoke/").status_code == 404
    assert ops.post(f"{base}/revoke/").status_code == 404
    assert ops.get(f"{base}/add/").status_code == 404
    assert ops.post(f"{base}/add/").status_code == 404
    assert ops.post(f"/services/{theirs.service.pk}/delete/").status_code == 404
    assert counts() == before
    assert invitation_by_token(theirs.token) is not None


def test_resend_shows_a_new_link_once_and_kills_the_old(ops, invited, smtp_settings, smtp_server):
    old = OutboxMessage.objects.get()
    response = ops.post(f"/invitations/{invited.invitation.pk}/resend/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = visible_text(response)
    assert "Invitation resent" in text
    assert "The invitation email was queued to admin@contoso.example." in text
    assert "The previous link no longer works." in text
    link = shown_link(response)
    assert link != invited.link
    assert invitation_by_token(invited.token) is None
    assert invitation_by_token(link.rsplit("/", 1)[1]) == invited.invitation
    old.refresh_from_db()
    assert old.status == "cancelled"
    new = OutboxMessage.objects.exclude(pk=old.pk).get()
    assert outbox_deliver(str(new.pk)) == "sent"
    assert link in smtp_server.messages[0].as_string()
    assert link not in page_text(ops.get(LIST))


def test_revoke_asks_first_then_revokes(ops, invited):
    url = f"/invitations/{invited.invitation.pk}/revoke/"
    confirm = ops.get(url)
    assert confirm.status_code == 200
    text = visible_text(confirm)
    assert "Revoke the invitation for Contoso-01?" in text
    assert "The link stops working at once." in text
    assert Invitation.objects.get().status == "pending"  # asking changed nothing
    response = ops.post(url)
    assert response.status_code == 302
    assert response.url == "/invitations/"
    invitation = Invitation.objects.get()
    assert invitation.status == "revoked"
    assert Service.objects.get().status == "disconnected"
    assert invitation_by_token(invited.token).effective_status(timezone.now()) == "revoked"
    listing = ops.get(LIST)
    assert "The invitation for Contoso-01 was revoked; its link no longer works." in visible_text(
        listing
    )
    assert 'data-status="revoked">Revoked</span>' in page_text(listing)
    # Revoked: no more Resend/Revoke, and revoking again is a conflict that changes nothing.
    assert "Resend the invitation for" not in page_text(listing)
    before = counts()
    assert ops.get(url).status_code == 409
    again = ops.post(url)
    assert again.status_code == 409
    assert "An invitation that is revoked cannot be revoked." in visible_text(again)
    assert counts() == before


def test_delete_service_asks_first_then_frees_the_name(ops, invited):
    url = f"/services/{invited.service.pk}/delete/?back=invitations"
    confirm = ops.get(url)
    assert confirm.status_code == 200
    text = visible_text(confirm)
    assert "Delete service Contoso-01?" in text
    assert "Its open invitation to admin@contoso.example dies with it" in text
    assert Service.objects.count() == 1
    response = ops.post(f"/services/{invited.service.pk}/delete/", {"back": "invitations"})
    assert response.status_code == 302
    assert response.url == "/invitations/"
    assert Service.objects.count() == 0
    assert Invitation.objects.count() == 0
    assert invitation_by_token(invited.token) is None
    assert "Service Contoso-01 was deleted; its short name is free again." in visible_text(
        ops.get(LIST)
    )
    assert AuditEvent.objects.filter(action="service.deleted").count() == 1


def test_monitor_sees_the_list_but_cannot_act(monitor_client, invited):
    text = page_text(monitor_client.get(LIST))
    assert "Contoso-01" in text
    for action in ("Resend", "Revoke", "Delete service", "Add Service"):
        assert f">{action}<" not in text
    base = f"/invitations/{invited.invitation.pk}"
    before = counts()
    for method, url in (
        ("post", f"{base}/resend/"),
        ("get", f"{base}/revoke/"),
        ("post", f"{base}/revoke/"),
        ("get", f"{base}/add/"),
        ("post", f"{base}/add/"),
        ("get", f"/services/{invited.service.pk}/delete/"),
        ("post", f"/services/{invited.service.pk}/delete/"),
    ):
        response = getattr(monitor_client, method)(url)
        assert response.status_code == 403, url
    assert counts() == before
    assert invitation_by_token(invited.token) is not None


# --- Add → Next ---------------------------------------------------------------------------------


def test_authenticated_invitation_offers_add(ops, authenticated):
    text = page_text(ops.get(LIST))
    assert (
        '<td data-label="Device Authenticated"><span title="Device Authenticated: the admin '
        'handed over working credentials">'
        '<span class="badge badge--blue" data-status="authenticated">Yes</span></span>'
        '<span class="small muted" data-method="app-registration">'
        "App registration (client secret)</span></td>"
    ) in text
    assert 'data-status="authenticated">Authenticated</span>' in text
    assert 'aria-label="Add Contoso-01"' in text


def test_add_shows_the_received_registration(ops, authenticated, m365_tenant):
    response = ops.get(f"/invitations/{authenticated.invitation.pk}/add/")
    assert response.status_code == 200
    text = visible_text(response)
    assert f"Tenant ID {m365_tenant.tenant_id}" in text
    assert "Tenant name Contoso Ltd" in text
    assert f"Application (Client) ID {m365_tenant.app_id}" in text
    assert f"Client secret hint {m365_tenant.secret[:3]}" in text
    assert f"Secret expiry date {m365_tenant.secret_expires:%Y-%m-%d}" in text
    for permission in (
        "Organization.Read.All",
        "Application.Read.All",
        "User.ReadWrite.All",
        "Domain.ReadWrite.All",
        "Teams Administrator",
    ):
        assert permission in text
    assert "(missing)" not in text
    assert m365_tenant.secret not in page_text(response)
    assert ">Next</button>" in page_text(response)


def test_add_next_activates_and_lands_on_m365(ops, authenticated, m365_tenant):
    response = ops.post(f"/invitations/{authenticated.invitation.pk}/add/")
    service = Service.objects.get()
    assert response.status_code == 302
    assert response.url == f"/services/{service.pk}/m365/"
    assert service.status == "active"
    invitation = Invitation.objects.get()
    assert invitation.status == "completed"
    assert invitation.secret_sealed == ""
    page = ops.get(response.url)
    text = visible_text(page)
    assert (
        "Contoso-01 is active: the app registration was validated and onboarding is complete."
        in text
    )
    assert "Client Secret Days Until Expire 180" in text
    # Completed invitations leave the list; Add is not possible twice.
    assert "Contoso-01" not in page_text(ops.get(LIST))
    before = counts()
    assert ops.post(f"/invitations/{invitation.pk}/add/").status_code == 409
    assert counts() == before


def test_add_next_failure_changes_nothing(ops, authenticated, m365_tenant, sandbox):
    sandbox.admin.update_application(
        m365_tenant.tenant_id,
        m365_tenant.app_id,
        permissions=["Organization.Read.All", "Application.Read.All"],
    )
    response = ops.post(f"/invitations/{authenticated.invitation.pk}/add/")
    assert response.status_code == 422
    text = visible_text(response)
    assert "Microsoft did not accept the app registration" in text
    assert "Nothing was changed" in text
    assert "User.ReadWrite.All" in text and "Domain.ReadWrite.All" in text
    body = page_text(response)
    assert body.index('data-check="permissions"') < body.index('data-check="tenant"')
    assert Service.objects.get().status == "authenticated"
    assert Invitation.objects.get().status == "authenticated"
    assert TenantConnection.objects.count() == 0


def test_add_next_when_microsoft_is_down(ops, authenticated, sandbox):
    sandbox.admin.set_faults(status=503, paths="token")
    before = counts()
    response = ops.post(f"/invitations/{authenticated.invitation.pk}/add/")
    assert response.status_code == 503
    assert (
        "Microsoft could not be reached, try again in a moment; nothing was saved."
        in visible_text(response)
    )
    assert counts() == before
    assert Service.objects.get().status == "authenticated"


def test_add_is_refused_for_a_pending_invitation(ops, invited):
    response = ops.get(f"/invitations/{invited.invitation.pk}/add/")
    assert response.status_code == 409
    assert "this one is pending" in visible_text(response)
    assert ">Next</button>" not in page_text(response)
    before = counts()
    assert ops.post(f"/invitations/{invited.invitation.pk}/add/").status_code == 409
    assert counts() == before


def test_list_queries_do_not_grow_with_rows(ops, customer, django_assert_num_queries):
    """Session, operator (its provider joined, for the header), second-factor device,
    customers, bounded count, the page (service and customer joined): six, for one row or
    fifty."""
    invite(customer, short_name="First-01")
    with django_assert_num_queries(6):
        assert page_text(ops.get(LIST)).count("<tr data-invitation") == 1
    for number in range(4):
        invite(customer, short_name=f"More-{number:02d}")
    with django_assert_num_queries(6):
        assert page_text(ops.get(LIST + "?sort=customer")).count("<tr data-invitation") == 5


def test_pager_counts_only_so_far_past_the_page(ops, customer, monkeypatch):
    monkeypatch.setattr("onramp.core.views.ui.COUNT_BEYOND", 5)
    for number in range(60):
        invite(customer, short_name=f"svc-{number:03d}")
    first = visible_text(ops.get(LIST))
    assert "1\u201350 of more than 55" in first
    assert "Page 1 of more than 2" in first
    second = ops.get(LIST + "?page=2")
    assert page_text(second).count("<tr data-invitation") == 10
    assert "51\u201360 of 60" in visible_text(second)
    assert "Page 2 of 2" in visible_text(second)


def test_customer_filter_offers_every_customer_with_the_chosen_one_selected(ops, customer):
    other = Customer.objects.create(provider=customer.provider, name="<Fabrikam & Sons>")
    html = ops.get(f"{LIST}?customer={other.pk}").content.decode()
    assert f'<option value="{other.pk}" selected>&lt;Fabrikam &amp; Sons&gt;</option>' in html
    assert f'<option value="{customer.pk}">{customer.name}</option>' in html
    assert html.count(" selected>") == 1
    unfiltered = ops.get(LIST).content.decode()
    assert f'<option value="{other.pk}">&lt;Fabrikam &amp; Sons&gt;</option>' in unfiltered
    assert '<option value="">All customers</option>' in unfiltered
