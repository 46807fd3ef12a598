"""The demo mailbox: mail caught over real SMTP, listed at /sandbox/mailbox, shown one by one."""

from __future__ import annotations

import html
import re

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from onramp.notifications.services import outbox_deliver
from onramp.sandbox.mailbox import MailboxHandler, messages
from onramp.services.onboarding import service_create
from onramp.services.services import ServiceRequest
from tests.conftest import free_port
from tests.signin import sign_in


@pytest.fixture
def mailbox(settings, tmp_path):
    """The demo's SMTP catch-all on a free port, with Django's mail pointed at it."""
    directory = tmp_path / "mailbox"
    port = free_port()
    controller = Controller(MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    settings.DEMO_MAILBOX_DIR = str(directory)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield directory
    controller.stop()


@pytest.fixture
def ops(client, operator):
    """The mailbox shows live set-up and invitation links: only a signed-in operator reads it."""
    return sign_in(client, operator)


@pytest.fixture
def invitation_mail(mailbox, actor, customer):
    created = service_create(
        actor=actor,
        customer=customer,
        request=ServiceRequest(
            short_name="Contoso-01",
            full_name="Contoso HQ",
            license_type="hosted-pro",
            licensed_users=25,
            method="invitation",
            admin_email="admin@contoso.example",
        ),
    )
    assert outbox_deliver(str(created.issued.invitation.emails.get().pk)) == "sent"
    [mail] = messages(mailbox)
    return mail, created.issued.link


def test_the_mailbox_lists_caught_mail(ops, invitation_mail):
    mail, _ = invitation_mail
    response = ops.get("/sandbox/mailbox")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "1 message, newest first." in page
    assert f'href="/sandbox/mailbox/{mail.id}"' in page
    assert "Northwind Voice: activate Microsoft Teams calling for Contoso-01" in page
    assert "admin@contoso.example" in page


def test_a_message_shows_its_html_sandboxed_and_the_link_clickable(ops, invitation_mail):
    mail, link = invitation_mail
    response = ops.get(f"/sandbox/mailbox/{mail.id}")
    assert response.status_code == 200
    assert (response["Cache-Control"], response["Referrer-Policy"]) == ("no-store", "no-referrer")
    page = response.content.decode()
    assert f'<a href="{link}" rel="noreferrer" class="mono">{link}</a>' in page
    frame = re.search(
        r'<iframe [^>]*sandbox="allow-popups allow-popups-to-escape-sandbox"'
        r'[^>]*srcdoc="([^"]*)"',
        page,
    )
    assert frame is not None
    document = html.unescape(frame.group(1))
    assert '<base target="_blank">' in document
    assert f'<a href="{link}"' in document and "Click here to activate your tenant" in document
    assert "<script" not in page.split("<iframe", 1)[1].split("</iframe>", 1)[0].lower()


def test_unknown_or_malformed_message_ids_are_404(ops, invitation_mail):
    mail, _ = invitation_mail
    assert ops.get(f"/sandbox/mailbox/{mail.id[:-1]}0x").status_code == 404
    assert ops.get("/sandbox/mailbox/20990101T000000000000-000000000000").status_code == 404
    assert ops.get("/sandbox/mailbox/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_not_signed_in_the_mailbox_sends_to_sign_in(client, invitation_mail):
    mail, link = invitation_mail
    for path in ("/sandbox/mailbox", f"/sandbox/mailbox/{mail.id}"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, f"/login?next={path}")
        assert link not in response.content.decode()


def test_a_password_without_the_second_factor_does_not_open_the_mailbox(
    client, operator, invitation_mail
):
    mail, link = invitation_mail
    client.force_login(operator)  # the password step alone: no second factor yet
    for path in ("/sandbox/mailbox", f"/sandbox/mailbox/{mail.id}"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (
            302,
            f"/login/enrol?next={path.replace('/', '%2F')}",
        )
        assert link not in response.content.decode()


def test_the_mailbox_is_in_the_navigation_during_the_demo_only(ops, settings, tmp_path):
    entry = '<a href="/sandbox/mailbox">'
    settings.DEMO_MAILBOX_DIR = str(tmp_path / "mailbox")
    assert entry in ops.get("/services/").content.decode()
    assert (
        '<a href="/sandbox/mailbox" aria-current="page">'
        in ops.get("/sandbox/mailbox").content.decode()
    )
    settings.DEMO_MAILBOX_DIR = None
    assert "/sandbox/mailbox" not in ops.get("/services/").content.decode()


def test_an_empty_mailbox_says_what_to_do(ops, settings, tmp_path):
    settings.DEMO_MAILBOX_DIR = str(tmp_path / "nothing-yet")
    response = ops.get("/sandbox/mailbox")
    assert response.status_code == 200
    assert "No mail yet." in response.content.decode()


def test_without_the_demo_there_is_no_mailbox(client, ops, settings):
    settings.DEMO_MAILBOX_DIR = None
    for signed_in in (Client(), ops):
        assert signed_in.get("/sandbox/mailbox").status_code == 404
        missing = "/sandbox/mailbox/20990101T000000000000-000000000000"
        assert signed_in.get(missing).status_code == 404
