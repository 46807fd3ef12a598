"""The second factor at rest: the authenticator app's key is sealed with the encryption keys
(and re-sealed by ``rotate-keys``), recovery codes are stored hashed; verification keeps
django-otp's rules (a TOTP code once, one step early or late; a recovery code once)."""

from __future__ import annotations

import time

import pytest
from cryptography.fernet import Fernet
from django.db import transaction

from onramp.accounts.models import AuthenticatorApp
from onramp.accounts.second_factor import code_verify, enrol, enrolment_for
from onramp.core.actors import Actor
from onramp.core.crypto import SecretBox
from onramp.ops.rotation import keys_rotate
from tests.security.scan import every_stored_value
from tests.signin import totp_code

pytestmark = pytest.mark.django_db


def enrolled(operator) -> tuple[bytes, list[str]]:
    key = enrolment_for(operator).device.bin_key
    with transaction.atomic():
        _, codes = enrol(operator, totp_code(key))
    return key, codes


def test_neither_the_key_nor_a_recovery_code_is_stored_in_clear(operator):
    key, codes = enrolled(operator)
    stored = every_stored_value().lower()
    assert key.hex() not in stored
    assert len(codes) == 10 and len(set(codes)) == 10
    assert [code for code in codes if code.lower() in stored] == []


def test_verification_keeps_django_otps_rules(operator):
    key, codes = enrolled(operator)
    step = int(time.time()) // 30
    # The enrolment code used this step; the next step's code (within tolerance) works once.
    ahead = totp_code(key, at=(step + 1) * 30)
    assert code_verify(operator, ahead) is not None
    assert code_verify(operator, ahead) is None
    assert code_verify(operator, totp_code(key, at=(step + 3) * 30)) is None  # too far ahead
    assert code_verify(operator, codes[0].upper()) is not None
    assert code_verify(operator, codes[0]) is None
    assert code_verify(operator, codes[1]) is not None


def test_rotate_keys_reseals_the_app_key(operator, settings):
    key, _ = enrolled(operator)
    old, new = settings.ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new, old]
    assert keys_rotate(actor=Actor.system()) == 1
    settings.ENCRYPTION_KEYS = [new]  # the old key can go: the app still works
    device = enrolment_for(operator).device  # a new unconfirmed one: the confirmed one is kept
    assert device.bin_key != key
    step = int(time.time()) // 30
    assert code_verify(operator, totp_code(key, at=(step + 1) * 30)) is not None
    assert AuthenticatorApp.objects.get(confirmed=True).key_id == SecretBox([new]).current_key_id
