"""The second factor: a TOTP authenticator app (django-otp, its key sealed at rest) and ten
one-time recovery codes (stored hashed): accounts.models' AuthenticatorApp and RecoveryCodes.

django-otp's own per-device throttling is switched off in settings: wrong codes count in the
same per-email and per-address lock-out as wrong passwords (accounts.login), one rule for both.
A TOTP code is accepted one step (30 s) early or late and never twice (django-otp's ``last_t``).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticToken

from onramp.accounts.models import AuthenticatorApp, Operator, RecoveryCodes, recovery_code_hash
from onramp.core.errors import InvalidInput

RECOVERY_CODES = 10
RECOVERY_CODE_BYTES = 10  # 80 random bits: 16 base32 characters
WRONG_CODE = "The code is incorrect or has already been used."


def needs_second_factor(user: Any) -> bool:
    """Signed in with the password but not yet with a second factor (the demo operator aside)."""
    return user.is_authenticated and not user.second_factor_exempt and not user.is_verified()


def confirmed_totp(operator: Operator) -> AuthenticatorApp | None:
    return AuthenticatorApp.objects.filter(user=operator, confirmed=True).first()


def next_step_url(operator: Operator, next_url: str) -> str:
    """Where a half-signed-in operator goes: the code step, or enrolment when it has no app."""
    step = "login-code" if confirmed_totp(operator) else "login-enrol"
    return f"{reverse(step)}?{urlencode({'next': next_url})}"


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the key to type (in groups of four), its URI, a QR code."""

    device: AuthenticatorApp

    @property
    def key(self) -> str:
        return base64.b32encode(self.device.bin_key).decode()

    @property
    def key_groups(self) -> str:
        key = self.key
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    @property
    def uri(self) -> str:
        return self.device.config_url

    @property
    def qr_svg(self) -> str:
        """An inline SVG (no script, no style attribute: the CSP allows it)."""
        return segno.make(self.uri, error="m").svg_inline(
            scale=4, svgclass="qr", title="QR code of your set-up key"
        )


def enrolment_for(operator: Operator) -> Enrolment:
    """The unconfirmed device an enrolment shows: the same one until it is confirmed, so a
    reloaded page keeps the key the app already has."""
    device = AuthenticatorApp.objects.filter(user=operator, confirmed=False).first()
    if device is None:
        device = AuthenticatorApp.objects.create_for(
            operator, name="Authenticator app", confirmed=False
        )
    return Enrolment(device)


def recovery_codes_replace(operator: Operator) -> list[str]:
    """Ten new codes, returned to be shown once and stored only hashed; the old ones stop
    working."""
    RecoveryCodes.objects.filter(user=operator).delete()
    device = RecoveryCodes.objects.create(user=operator, name="Recovery codes")
    codes = [
        base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
        for _ in range(RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_hash(code)) for code in codes
    )
    return codes


def enrol(operator: Operator, code: str) -> tuple[AuthenticatorApp, list[str]]:
    """Confirm the operator's enrolment with a code from its app; returns the device and its
    recovery codes. Call inside a transaction: a wrong code raises and changes nothing."""
    unconfirmed = AuthenticatorApp.objects.filter(user=operator, confirmed=False)
    device = unconfirmed.select_for_update().first()
    if device is None or not device.verify_token(_normalised(code)):
        raise InvalidInput({"code": [WRONG_CODE]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    AuthenticatorApp.objects.filter(user=operator).exclude(pk=device.pk).delete()
    return device, recovery_codes_replace(operator)


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def code_verify(operator: Operator, code: str) -> Device | None:
    """The device that accepts ``code`` (a TOTP code or an unused recovery code), else None.

    The device rows are locked, so the same code sent twice at once is accepted only once."""
    code = _normalised(code)
    is_totp = len(code) == 6 and code.isdigit()
    model: type[Device] = AuthenticatorApp if is_totp else RecoveryCodes
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=operator, confirmed=True):
            if device.verify_token(code):
                return device
    return None


def recovery_codes_left(operator: Operator) -> int:
    return StaticToken.objects.filter(device__user=operator).count()
