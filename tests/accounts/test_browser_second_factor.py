"""Enrol, then sign in again, through the real pages in Debian's chromium: the key is read off
the page and codes are computed from it, as an authenticator app would."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import Page, expect

from onramp.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.pages.browser import shoot
from tests.signin import fresh_code, totp_code, totp_device

pytestmark = pytest.mark.django_db(transaction=True)


def test_enrol_at_first_sign_in_then_sign_in_with_a_code(page: Page, live_server, operator):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/services/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("img", name="QR code of your set-up key")).to_be_visible()
    shoot(page, "enrol", "wide")
    key = base64.b32decode(page.get_by_test_id("totp-key").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#id_code-error")).to_have_text(
        "The code is incorrect or has already been used."
    )
    expect(page.get_by_label("Code")).to_have_value("")
    page.get_by_label("Code").fill(totp_code(key))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your second factor is set up")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(10)
    shoot(page, "recovery-codes", "wide")
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", level=1, name="Services")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    shoot(page, "second-factor", "wide")
    device = totp_device(operator)
    assert device.bin_key == key
    page.get_by_label("Code").fill(fresh_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="Services")).to_be_visible()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_test_id("account-email")).to_have_text(operator.email)
    expect(page.get_by_test_id("recovery-codes-left")).to_have_text("10")
    shoot(page, "account", "wide")
    assert list(
        AuditEvent.objects.filter(action="login.succeeded")
        .order_by("pk")
        .values_list("changes", flat=True)
    ) == [{"new": {"second_factor": "enrolled"}}, {"new": {"second_factor": "app"}}]
