"""Operators: admins invite (an emailed one-time set-up link, stored only as a hash), list,
change and deactivate the operators inside their own scope, and never themselves."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator, OperatorSetup
from onramp.accounts.second_factor import enrolment_for
from onramp.accounts.services.setup_links import operator_setup_complete
from onramp.audit.models import AuditEvent
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from onramp.tenancy.models import Channel, Customer
from tests.api.helpers import Api, db_state, error, token_for
from tests.factories import OperatorFactory
from tests.signin import totp_code

pytestmark = pytest.mark.django_db

LINK_START = "http://127.0.0.1:8000/setup/"


def text_and_html(message) -> tuple[str, str]:
    """The parts as sent (SMTP lines end in CRLF; compared with LF)."""
    text, html = message.get_payload()
    return tuple(
        part.get_payload(decode=True).decode().replace("\r\n", "\n") for part in (text, html)
    )


def test_invite_emails_a_one_time_setup_link(
    admin_api, provider, customer, smtp_settings, smtp_server, settings
):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    started = timezone.now()
    response = admin_api.post(
        "/operators",
        {
            "email": " New.Ops@Northwind.example ",
            "role": "operator",
            "scope": f"provider:{provider.pk}",
        },
    )
    assert response.status_code == 201, response.content
    new = Operator.objects.get(email="new.ops@northwind.example")
    body = response.json()
    assert body == {
        "id": str(new.pk),
        "email": "new.ops@northwind.example",
        "role": "operator",
        "scope": f"provider:{provider.pk}",
        "is_active": True,
        "status": "invited",
        "created_at": body["created_at"],
    }
    assert not new.has_usable_password()

    message = OutboxMessage.objects.get()
    assert (message.kind, message.to_email, message.subject) == (
        "operator_setup",
        "new.ops@northwind.example",
        "Set up your Onramp operator account",
    )
    assert outbox_deliver(str(message.pk)) == "sent"
    assert smtp_server.envelopes[0][1] == ["new.ops@northwind.example"]
    text, html = text_and_html(smtp_server.messages[0])
    link = next(line for line in text.splitlines() if line.startswith(LINK_START))
    token = link.removeprefix(LINK_START)
    assert len(token) == 43  # 32 random bytes, URL-safe
    setup = OperatorSetup.objects.get()
    assert expires_text(setup) in text
    assert text == (
        "admin@northwind.example added you to Onramp as operator (Provider: Northwind Voice).\n\n"
        f"Set your password and second factor here:\n{link}\n\n"
        f"The link works once and expires on {expires_text(setup)}. "
        "If you did not expect this email, ignore it.\n"
    )
    assert f'<a href="{link}">Set your password and second factor</a>' in html

    assert setup.operator == new and setup.used_at is None
    assert setup.token_hash == hashlib.sha256(token.encode()).hexdigest()
    ttl = setup.expires_at - started
    assert timedelta(hours=72) <= ttl < timedelta(hours=72, seconds=30)
    assert token not in response.content.decode()
    message.refresh_from_db()
    assert message.payload_sealed == ""  # the sent mail's copy is wiped
    for event in AuditEvent.objects.all():
        assert token not in str(event.changes)
    event = AuditEvent.objects.get(action="operator.created")
    assert (event.actor_type, event.target_id, event.provider_id, event.changes) == (
        "token",
        str(new.pk),
        provider.pk,
        {
            "new": {
                "email": "new.ops@northwind.example",
                "role": "operator",
                "scope": f"provider:{provider.pk}",
            }
        },
    )


def expires_text(setup) -> str:
    return setup.expires_at.strftime("%Y-%m-%d %H:%M UTC")


def test_invite_rules(admin_api, provider, operator):
    cases = [
        (
            {"email": "nope", "role": "boss", "scope": "planet:1"},
            {
                "email": ["Enter a valid email address."],
                "role": ["Use admin, operator or monitor."],
                "scope": ["Use system, provider:ID, channel:ID or customer:ID."],
            },
        ),
        (
            {
                "email": "ops@northwind.example",
                "role": "operator",
                "scope": f"provider:{provider.pk}",
            },
            {"email": ["An operator with this email already exists."]},
        ),
        (
            {"email": "a@b.example", "role": "operator", "scope": "customer:nope"},
            {"scope": ["No customer with id nope."]},
        ),
    ]
    before = db_state()
    for body, errors in cases:
        assert error(admin_api.post("/operators", body)) == (422, "invalid_input", errors), body
    response = admin_api.post("/operators", {"email": "a@b.example", "role": "operator"})
    assert error(response) == (422, "invalid_input", {"scope": ["This field is required."]})
    assert db_state() == before


def test_an_admin_grants_only_scopes_inside_its_own(
    admin_api, channel_admin_api, customer_admin_api, provider, channel, customer, other_provider
):
    foreign_customer = Customer.objects.create(provider=other_provider, name="Tailspin")
    foreign_channel = Channel.objects.create(provider=other_provider, name="Elsewhere")
    west = Channel.objects.create(provider=provider, name="Reseller West")
    outside_channel = Customer.objects.create(provider=provider, name="Fabrikam")
    forbidden = [
        (admin_api, "system"),
        (channel_admin_api, "system"),
        (channel_admin_api, f"provider:{provider.pk}"),
        (channel_admin_api, f"provider:{other_provider.pk}"),
        (customer_admin_api, f"channel:{channel.pk}"),
        (customer_admin_api, f"provider:{provider.pk}"),
    ]
    unseen = [
        (admin_api, "provider", other_provider.pk),
        (admin_api, "channel", foreign_channel.pk),
        (admin_api, "customer", foreign_customer.pk),
        (channel_admin_api, "channel", west.pk),
        (channel_admin_api, "customer", outside_channel.pk),
        (customer_admin_api, "customer", outside_channel.pk),
    ]
    before = db_state()
    for caller, scope in forbidden:
        response = caller.post(
            "/operators", {"email": "x@y.example", "role": "monitor", "scope": scope}
        )
        assert error(response) == (403, "forbidden", None), scope
        assert response.json()["detail"] == "You can only give operators a scope within your own."
    for caller, kind, pk in unseen:
        body = {"email": "x@y.example", "role": "monitor", "scope": f"{kind}:{pk}"}
        assert error(caller.post("/operators", body)) == (
            422,
            "invalid_input",
            {"scope": [f"No {kind} with id {pk}."]},
        ), body
    assert db_state() == before

    customer.channel = channel
    customer.save()
    allowed = [
        (admin_api, f"provider:{provider.pk}"),
        (admin_api, f"channel:{west.pk}"),
        (channel_admin_api, f"channel:{channel.pk}"),
        (channel_admin_api, f"customer:{customer.pk}"),
        (customer_admin_api, f"customer:{customer.pk}"),
    ]
    for n, (caller, scope) in enumerate(allowed):
        body = {"email": f"new{n}@northwind.example", "role": "admin", "scope": scope}
        response = caller.post("/operators", body)
        assert (response.status_code, response.json()["scope"]) == (201, scope)


def test_non_admins_may_not_manage_operators(api, monitor_api, operator):
    target = f"/operators/{operator.pk}"
    body = {"email": "x@y.example", "role": "monitor", "scope": f"provider:{operator.provider_id}"}
    before = db_state()
    for caller in (api, monitor_api):
        assert error(caller.post("/operators", body)) == (403, "forbidden", None)
        assert error(caller.get("/operators")) == (403, "forbidden", None)
        assert error(caller.get(target)) == (403, "forbidden", None)
        assert error(caller.patch(target, {"role": "admin"})) == (403, "forbidden", None)
        assert error(caller.delete(target)) == (403, "forbidden", None)
    assert db_state() == before


def test_each_admin_lists_the_operators_inside_its_scope(
    admin_api, channel_admin_api, customer_admin_api, system_api, other_api, channel, customer
):
    in_channel = Customer.objects.create(provider=channel.provider, channel=channel, name="Fab")
    fab_ops = OperatorFactory(email="ops@fab.example", scope="customer", customer=in_channel)

    def emails(caller: Api) -> set[str]:
        return {o["email"] for o in caller.get("/operators").json()["items"]}

    assert emails(system_api) == {
        "root@onramp.example",
        "admin@northwind.example",
        "admin@reseller.example",
        "admin@contoso.example",
        "admin@southwind.example",
        "ops@fab.example",
    }
    assert emails(admin_api) == emails(system_api) - {
        "root@onramp.example",
        "admin@southwind.example",
    }
    assert emails(channel_admin_api) == {"admin@reseller.example", "ops@fab.example"}
    assert emails(customer_admin_api) == {"admin@contoso.example"}
    assert emails(other_api) == {"admin@southwind.example"}
    assert (
        channel_admin_api.get(f"/operators/{fab_ops.pk}").json()["scope"]
        == f"customer:{in_channel.pk}"
    )
    ours = customer_admin_api.operator
    for caller in (channel_admin_api, other_api):
        assert error(caller.get(f"/operators/{ours.pk}")) == (404, "not_found", None)


def test_change_role_and_reactivate(admin_api, operator, provider):
    path = f"/operators/{operator.pk}"
    token = Api(token_for(operator))
    response = admin_api.patch(path, {"role": "monitor"})
    assert (response.status_code, response.json()["role"]) == (200, "monitor")
    assert error(token.post("/customers", {"name": "Fabrikam"})) == (403, "forbidden", None)
    response = admin_api.patch(path, {"is_active": False})
    assert response.json()["is_active"] is False
    assert error(token.get("/customers")) == (401, "not_authenticated", None)
    response = admin_api.patch(path, {"is_active": True, "role": "monitor"})
    assert response.json()["is_active"] is True
    # Its tokens died with the deactivation and stay dead.
    assert error(token.get("/customers")) == (401, "not_authenticated", None)
    events = AuditEvent.objects.filter(action="operator.changed").order_by("id")
    assert [e.changes for e in events] == [
        {"old": {"role": "operator"}, "new": {"role": "monitor"}},
        {"old": {"is_active": True}, "new": {"is_active": False, "tokens_revoked": 1}},
        {"old": {"is_active": False}, "new": {"is_active": True}},
    ]
    before = db_state()
    assert admin_api.patch(path, {"role": "monitor"}).status_code == 200
    assert db_state() == before  # nothing new: no write, no audit


def test_change_rules(admin_api, operator):
    path = f"/operators/{operator.pk}"
    before = db_state()
    assert error(admin_api.patch(path, {"role": "boss"})) == (
        422,
        "invalid_input",
        {"role": ["Use admin, operator or monitor."]},
    )
    assert error(admin_api.patch(path, {"is_active": None})) == (
        422,
        "invalid_input",
        {"is_active": ["Use true or false."]},
    )
    assert error(admin_api.patch(path, {"email": "x@y.example"})) == (
        400,
        "malformed_request",
        {"email": ["Unknown field."]},
    )
    assert error(admin_api.patch(path, {"is_active": "no"}))[:2] == (400, "malformed_request")
    assert db_state() == before


def test_an_admin_cannot_demote_deactivate_or_delete_itself(admin_api):
    path = f"/operators/{admin_api.operator.pk}"
    before = db_state()
    assert error(admin_api.patch(path, {"role": "operator"})) == (
        422,
        "invalid_input",
        {"role": ["You cannot change your own role."]},
    )
    assert error(admin_api.patch(path, {"is_active": False})) == (
        422,
        "invalid_input",
        {"is_active": ["You cannot deactivate yourself."]},
    )
    response = admin_api.delete(path)
    assert error(response) == (403, "forbidden", None)
    assert response.json()["detail"] == "You cannot delete your own operator account."
    assert db_state() == before
    assert admin_api.patch(path, {"role": "admin", "is_active": True}).status_code == 200


def test_delete_deactivates_keeps_the_row_and_kills_tokens_and_links(
    admin_api, operator, provider, settings
):
    invited = admin_api.post(
        "/operators",
        {"email": "late@northwind.example", "role": "monitor", "scope": f"provider:{provider.pk}"},
    ).json()
    token = Api(token_for(operator))
    assert token.get("/customers").status_code == 200
    for target in (str(operator.pk), invited["id"]):
        response = admin_api.delete(f"/operators/{target}")
        assert (response.status_code, response.content) == (204, b"")
    assert error(token.get("/customers")) == (401, "not_authenticated", None)
    assert Operator.objects.filter(pk=operator.pk, is_active=False).exists()
    assert ApiToken.objects.get(operator=operator).revoked_at is not None
    assert OperatorSetup.objects.get().expires_at <= timezone.now()
    assert admin_api.get(f"/operators/{operator.pk}").json()["is_active"] is False
    event = AuditEvent.objects.get(action="operator.deleted", target_id=str(operator.pk))
    assert event.changes == {
        "old": {"is_active": True},
        "new": {"is_active": False, "tokens_revoked": 1},
    }
    before = db_state()
    assert admin_api.delete(f"/operators/{operator.pk}").status_code == 204
    assert db_state() == before


def test_an_invited_operator_is_invited_until_it_uses_its_set_up_link(admin_api, provider):
    body = admin_api.post(
        "/operators",
        {"email": "new@northwind.example", "role": "operator", "scope": f"provider:{provider.pk}"},
    ).json()
    path = f"/operators/{body['id']}"
    assert (body["is_active"], body["status"]) == (True, "invited")
    assert admin_api.get(path).json()["status"] == "invited"
    listed = {o["email"]: o["status"] for o in admin_api.get("/operators").json()["items"]}
    assert listed == {"admin@northwind.example": "active", "new@northwind.example": "invited"}

    new = Operator.objects.get(pk=body["id"])
    operator_setup_complete(
        setup=OperatorSetup.objects.get(operator=new),
        password="a long and unusual passphrase 7",
        password_again="a long and unusual passphrase 7",
        code=totp_code(enrolment_for(new).device.bin_key),
    )
    assert admin_api.get(path).json()["status"] == "active"
    assert admin_api.patch(path, {"is_active": False}).json()["status"] == "inactive"
