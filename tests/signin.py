"""Signing operators in, for tests: password and a real TOTP code, as enforcement requires.

``sign_in`` (Django test client) skips the forms but leaves the session exactly as a complete
sign-in does: authenticated and verified by a confirmed TOTP device of the operator.
``sign_in_browser`` types the password and then a code computed from that device.
"""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from onramp.accounts.models import AuthenticatorApp


def totp_device(operator) -> AuthenticatorApp:
    """The operator's confirmed authenticator app (made on first use)."""
    device = AuthenticatorApp.objects.filter(user=operator, confirmed=True).first()
    return device or AuthenticatorApp.objects.create_for(operator, name="test app", confirmed=True)


def totp_code(key: bytes, *, at: float | None = None) -> str:
    totp = TOTP(key)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def fresh_code(device: AuthenticatorApp) -> str:
    """A code the device has not accepted yet: codes are single-use (django-otp's ``last_t``),
    and one step ahead is within tolerance; two sign-ins in one step wait for the next."""
    device.refresh_from_db()
    now = time.time()
    step = int(now // device.step)
    if device.last_t > step:
        time.sleep((device.last_t + 1) * device.step - now + 0.1)
        now = time.time()
        step = int(now // device.step)
    return totp_code(device.bin_key, at=max(step, device.last_t + 1) * device.step)


def sign_in(client, operator):
    """Sign ``client`` in as ``operator``, second factor included; returns the client."""
    device = totp_device(operator)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def sign_in_browser(page: Page, base_url: str, email: str, password: str, operator) -> None:
    """Through the real pages: the password, then a code from the operator's app."""
    device = totp_device(operator)
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.get_by_label("Code").fill(fresh_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_hidden()
