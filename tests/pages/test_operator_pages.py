"""The Operators pages: admins list, invite (one email with a one-time set-up link, through the
real SMTP fixture), change the role of and deactivate the operators inside their own scope;
every other kind of operator is refused with nothing changed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onramp.accounts.models import ApiToken, Operator, OperatorSetup
from onramp.accounts.second_factor import enrolment_for
from onramp.accounts.services import operator_invite, token_create
from onramp.accounts.services.setup_links import operator_setup_complete
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from tests.pages.helpers import field_errors, input_value, page_text, visible_text
from tests.pages.hierarchy import KINDS, World, attempt, build, new_events, state
from tests.signin import sign_in, totp_code

pytestmark = pytest.mark.django_db

ADMINS = ("system admin", "provider admin", "channel admin", "customer admin", "other admin")
ANY_ADMIN = {"anonymous": 302, **{who: 200 for who in ADMINS}, "*": 403}
# The target is the provider's operator: its provider's admins and system admins manage it;
# operators who see it but are not admins are refused; the rest do not see it at all.
OF_TARGET = {
    "anonymous": 302,
    "system admin": 200,
    "provider admin": 200,
    "system monitor": 403,
    "provider operator": 403,
    "provider monitor": 403,
    "*": 404,
}
CHANGED_TARGET = {**OF_TARGET, "system admin": 302, "provider admin": 302}
EXPECTED: dict[str, dict[str, int]] = {
    "list": ANY_ADMIN,
    "invite form": ANY_ADMIN,
    # customer:<Contoso> lies inside every first-provider admin's scope; the other provider's
    # admin does not see it, so it reads as unknown (422, next to the field).
    "invite": {**ANY_ADMIN, **{who: 302 for who in ADMINS}, "other admin": 422},
    "role form": OF_TARGET,
    "role": CHANGED_TARGET,
    "deactivate form": OF_TARGET,
    "deactivate": CHANGED_TARGET,
}
EVENTS = {
    "invite": "operator.created",
    "role": "operator.changed",
    "deactivate": "operator.deleted",
}


@pytest.fixture
def world(db) -> World:
    return build()


def request_for(w: World, action: str) -> tuple[str, dict | None]:
    target = w.people["provider operator"].pk
    invite = {
        "email": "new@contoso.example",
        "role": "operator",
        "scope": f"customer:{w.customer.pk}",
    }
    return {
        "list": ("/operators/", None),
        "invite form": ("/operators/invite/", None),
        "invite": ("/operators/invite/", invite),
        "role form": (f"/operators/{target}/role/", None),
        "role": (f"/operators/{target}/role/", {"role": "monitor"}),
        "deactivate form": (f"/operators/{target}/deactivate/", None),
        "deactivate": (f"/operators/{target}/deactivate/", {}),
    }[action]


@pytest.mark.parametrize("who", KINDS)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_who_may_manage_operators(world, action, who):
    url, data = request_for(world, action)
    before = state()
    response, expected = attempt(world, who, url, data, EXPECTED[action])
    if expected == 302 and who != "anonymous":
        assert response.url == "/operators/"
        events = new_events(before)
        assert [(e.action, e.actor_id) for e in events] == [
            (EVENTS[action], str(world.people[who].pk))
        ]
    else:
        assert state() == before
    if expected == 422:
        assert field_errors(response, "scope") == [f"No customer with id {world.customer.pk}."]


EMAIL_CELL = r'<td data-label="Email" class="strong cell-email"><span>([^<\s]+)'


def emails(response) -> list[str]:
    return re.findall(EMAIL_CELL, page_text(response))


def test_each_admin_lists_the_operators_inside_its_scope(world):
    assert emails(world.client("provider admin").get("/operators/")) == [
        "admin@contoso.example",
        "admin@east.example",
        "admin@northwind.example",
        "it@contoso.example",
        "ops@east.example",
        "ops@northwind.example",
        "watch@northwind.example",
    ]
    assert emails(world.client("channel admin").get("/operators/")) == [
        "admin@contoso.example",
        "admin@east.example",
        "it@contoso.example",
        "ops@east.example",
    ]
    assert emails(world.client("customer admin").get("/operators/")) == [
        "admin@contoso.example",
        "it@contoso.example",
    ]
    assert emails(world.client("other admin").get("/operators/")) == ["admin@fabrikam.example"]
    assert len(emails(world.client("system admin").get("/operators/"))) == 10


def test_an_invited_operator_shows_invited_until_its_set_up_link_is_used(world):
    admin = world.people["provider admin"]
    new = operator_invite(
        actor=Actor.for_operator(admin),
        email="new@contoso.example",
        role="operator",
        scope=f"customer:{world.customer.pk}",
    )
    row = "new@contoso.example Operator Customer: Contoso Ltd"
    text = visible_text(world.client("provider admin").get("/operators/"))
    assert f"{row} Invited" in text and f"{row} Active" not in text

    operator_setup_complete(
        setup=OperatorSetup.objects.get(operator=new),
        password="a long and unusual passphrase 7",
        password_again="a long and unusual passphrase 7",
        code=totp_code(enrolment_for(new).device.bin_key),
    )
    text = visible_text(world.client("provider admin").get("/operators/"))
    assert f"{row} Active" in text and f"{row} Invited" not in text


def test_list_shows_role_scope_status_and_actions(world):
    Operator.objects.filter(email="watch@northwind.example").update(is_active=False)
    response = world.client("provider admin").get("/operators/")
    text = visible_text(response)
    assert "ops@east.example Operator Channel: Reseller East Active" in text
    assert "watch@northwind.example Monitor Provider: Northwind Voice Inactive" in text
    assert "admin@northwind.example (you) Admin Provider: Northwind Voice Active" in text
    body = page_text(response)
    assert "Deactivate ops@east.example" in body
    assert "Change the role of ops@east.example" in body
    for email in ("admin@northwind.example", "watch@northwind.example"):  # itself; inactive
        assert f"Deactivate {email}" not in body
        assert f"Change the role of {email}" not in body
    assert "1\u20137 of 7" in text


def scope_options(world: World, who: str) -> list[tuple[str, str]]:
    body = page_text(world.client(who).get("/operators/invite/"))
    select = re.search(r'<select name="scope".*?</select>', body, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)[1:]


def test_an_admin_grants_its_own_scope_and_below(world):
    w = world
    assert scope_options(w, "provider admin") == [
        (f"provider:{w.provider.pk}", "Provider: Northwind Voice"),
        (f"channel:{w.channel.pk}", "Channel: Northwind Voice · Reseller East"),
        (f"customer:{w.direct.pk}", "Customer: Northwind Voice · Adatum Corp"),
        (f"customer:{w.customer.pk}", "Customer: Northwind Voice · Contoso Ltd"),
    ]
    assert scope_options(w, "channel admin") == [
        (f"channel:{w.channel.pk}", "Channel: Northwind Voice · Reseller East"),
        (f"customer:{w.customer.pk}", "Customer: Northwind Voice · Contoso Ltd"),
    ]
    assert scope_options(w, "customer admin") == [
        (f"customer:{w.customer.pk}", "Customer: Northwind Voice · Contoso Ltd"),
    ]
    system = scope_options(w, "system admin")
    assert system[:3] == [
        ("system", "System (everything)"),
        (f"provider:{w.other_provider.pk}", "Provider: Fabrikam Telecom"),
        (f"provider:{w.provider.pk}", "Provider: Northwind Voice"),
    ]
    assert len(system) == 1 + 2 + 2 + 3


def test_invite_emails_one_setup_link(
    world, smtp_settings, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    admin = world.client("channel admin")
    with django_capture_on_commit_callbacks(execute=False):
        response = admin.post(
            "/operators/invite/",
            {
                "email": " New.Ops@East.example ",
                "role": "monitor",
                "scope": f"channel:{world.channel.pk}",
            },
        )
    assert (response.status_code, response.url) == (302, "/operators/")
    new = Operator.objects.get(email="new.ops@east.example")
    assert (new.role, new.scope, new.channel, new.is_active) == (
        "monitor",
        "channel",
        world.channel,
        True,
    )
    assert not new.has_usable_password()
    event = AuditEvent.objects.get(action="operator.created")
    assert (event.actor_label, event.target_id, event.changes) == (
        "admin@east.example",
        str(new.pk),
        {
            "new": {
                "email": "new.ops@east.example",
                "role": "monitor",
                "scope": f"channel:{world.channel.pk}",
            }
        },
    )
    listing = admin.get("/operators/")
    assert (
        "Invitation sent to new.ops@east.example: the emailed link lets them set a password "
        "and a second factor within 72 hours."
    ) in visible_text(listing)

    message = OutboxMessage.objects.get()
    assert outbox_deliver(str(message.pk)) == "sent"
    assert len(smtp_server.messages) == 1
    assert smtp_server.envelopes[0][1] == ["new.ops@east.example"]
    sent = smtp_server.messages[0]
    assert sent["Subject"] == "Set up your Onramp operator account"
    text = sent.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://127\.0\.0\.1:8000/setup/\S+", text).group(0)
    assert text.startswith(
        "admin@east.example added you to Onramp as monitor (Channel: Reseller East)."
    )
    token = link.rsplit("/", 1)[1]
    assert OperatorSetup.objects.get(operator=new).token_hash != token
    for page in (response, listing):
        assert token not in page_text(page)


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"email": ""}, "email", "Enter a valid email address."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "ops@east.example"}, "email", "An operator with this email already exists."),
        ({"role": ""}, "role", "Use admin, operator or monitor."),
        ({"role": "root"}, "role", "Use admin, operator or monitor."),
        ({"scope": ""}, "scope", "Use system, provider:ID, channel:ID or customer:ID."),
        ({"scope": "customer:nope"}, "scope", "No customer with id nope."),
    ],
)
def test_invite_errors_next_to_the_field(world, data, field, message):
    before = state()
    form = {
        "email": "new@northwind.example",
        "role": "operator",
        "scope": f"customer:{world.direct.pk}",
    }
    response = world.client("provider admin").post("/operators/invite/", {**form, **data})
    assert response.status_code == 422
    assert field_errors(response, field) == [message]
    assert "Please correct the fields below" in visible_text(response)
    assert (input_value(response, "email") or "") == {**form, **data}["email"]
    assert state() == before


def test_changes_need_the_csrf_token(world):
    client = sign_in(Client(enforce_csrf_checks=True), world.people["provider admin"])
    target = world.people["provider operator"].pk
    before = state()
    scope = f"customer:{world.customer.pk}"
    invite = {"email": "new@northwind.example", "role": "operator", "scope": scope}
    assert client.post("/operators/invite/", invite).status_code == 403
    assert client.post(f"/operators/{target}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"/operators/{target}/deactivate/").status_code == 403
    assert state() == before


def test_invite_outside_the_admins_scope(world):
    before = state()
    admin = world.client("provider admin")
    data = {"email": "new@northwind.example", "role": "admin"}
    other = admin.post(
        "/operators/invite/", {**data, "scope": f"customer:{world.other_customer.pk}"}
    )
    assert other.status_code == 422
    assert field_errors(other, "scope") == [f"No customer with id {world.other_customer.pk}."]
    above = admin.post("/operators/invite/", {**data, "scope": "system"})
    assert above.status_code == 403
    assert "You can only give operators a scope within your own." in visible_text(above)
    assert state() == before


def test_change_role(world):
    target = world.people["channel operator"]
    admin = world.client("channel admin")
    url = f"/operators/{target.pk}/role/"
    form = admin.get(url)
    assert re.search(r'<option value="operator" selected>Operator</option>', page_text(form))
    response = admin.post(url, {"role": "admin"})
    assert (response.status_code, response.url) == (302, "/operators/")
    target.refresh_from_db()
    assert target.role == "admin"
    event = AuditEvent.objects.get(action="operator.changed")
    assert (event.target_id, event.changes) == (
        str(target.pk),
        {"old": {"role": "operator"}, "new": {"role": "admin"}},
    )
    assert "ops@east.example is now admin." in visible_text(admin.get("/operators/"))


@pytest.mark.parametrize(
    "who,role,message",
    [
        ("channel admin", "root", "Use admin, operator or monitor."),
        ("channel admin", "", "Use admin, operator or monitor."),
    ],
)
def test_change_role_errors(world, who, role, message):
    before = state()
    target = world.people["channel operator"]
    response = world.client(who).post(f"/operators/{target.pk}/role/", {"role": role})
    assert response.status_code == 422
    assert field_errors(response, "role") == [message]
    assert state() == before


def test_an_admin_keeps_its_own_role_and_account(world):
    before = state()
    me = world.people["provider admin"]
    admin = world.client("provider admin")
    response = admin.post(f"/operators/{me.pk}/role/", {"role": "monitor"})
    assert response.status_code == 422
    assert field_errors(response, "role") == ["You cannot change your own role."]
    response = admin.post(f"/operators/{me.pk}/deactivate/")
    assert response.status_code == 403
    assert "You cannot delete your own operator account." in visible_text(response)
    assert state() == before


def test_deactivate_after_confirming(world):
    target = world.people["customer operator"]
    token_create(actor=Actor.system(), operator=target, name="ci")
    admin = world.client("customer admin")
    url = f"/operators/{target.pk}/deactivate/"
    confirm = admin.get(url)
    assert confirm.status_code == 200
    text = visible_text(confirm)
    assert "it@contoso.example (operator, Customer: Contoso Ltd) will be deactivated." in text
    assert (
        "They can no longer sign in; their API tokens and any unused set-up link stop working."
        in text
    )
    assert 'name="csrfmiddlewaretoken"' in page_text(confirm)
    target.refresh_from_db()
    assert target.is_active  # opening the confirmation changes nothing

    response = admin.post(url)
    assert (response.status_code, response.url) == (302, "/operators/")
    target.refresh_from_db()
    assert not target.is_active
    assert ApiToken.objects.get(operator=target).revoked_at is not None
    event = AuditEvent.objects.get(action="operator.deleted")
    assert (event.actor_label, event.target_id, event.changes) == (
        "admin@contoso.example",
        str(target.pk),
        {"old": {"is_active": True}, "new": {"is_active": False, "tokens_revoked": 1}},
    )
    assert (
        "it@contoso.example was deactivated: no more sign-in, API tokens revoked."
        in visible_text(admin.get("/operators/"))
    )
    again = admin.get(url)
    assert "it@contoso.example is already inactive." in visible_text(again)
    assert "Deactivate operator" not in visible_text(again)
