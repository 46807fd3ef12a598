"""The shared fixtures are real: mail really crosses SMTP, pages really render in chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def test_django_mail_reaches_the_smtp_server(smtp_settings, smtp_server):
    message = EmailMultiAlternatives(
        "Grüße from Onramp", "plain body", "onramp@example.test", ["admin@contoso.example"]
    )
    message.attach_alternative("<p>html body</p>", "text/html")
    assert message.send() == 1
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert smtp_server.envelopes == [("onramp@example.test", ["admin@contoso.example"])]
    assert str(received["To"]) == "admin@contoso.example"
    parts = [part.get_content_type() for part in received.walk()]
    assert parts == ["multipart/alternative", "text/plain", "text/html"]


@pytest.mark.django_db
def test_home_page_renders_in_chromium(page, live_server):
    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/login"
    assert page.title() == "Sign in · Onramp"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)


def test_sandbox_fixture_serves_https_with_its_own_ca(sandbox):
    tenant = sandbox.admin.create_tenant("Fabrikam")
    assert sandbox.url.startswith("https://127.0.0.1:")
    assert tenant["default_domain"] == "fabrikam.onmicrosoft.com"
    assert [r["path"] for r in sandbox.admin.requests_served()] == []
