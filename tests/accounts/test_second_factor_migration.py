"""The migration that seals authenticator keys and hashes recovery codes converts the rows
that exist: the same app and the same codes keep working, nothing of them stays in clear."""

from __future__ import annotations

from binascii import unhexlify

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_otp.plugins.otp_totp.models import TOTPDevice

from onramp.accounts.models import AuthenticatorApp
from onramp.accounts.second_factor import code_verify
from tests.security.scan import every_stored_value
from tests.signin import totp_code

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0002_operator_setup")]
AFTER = [("accounts", "0003_second_factor_sealed")]
OTP = [("otp_totp", "0003_add_timestamps"), ("otp_static", "0003_add_timestamps")]
KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target + OTP).apps


def test_existing_apps_are_sealed_and_recovery_codes_hashed():
    apps = migrate(BEFORE)
    operator = apps.get_model("accounts", "Operator").objects.create(
        email="ops@northwind.example", role="operator", scope="system", password="!"
    )
    apps.get_model("otp_totp", "TOTPDevice").objects.create(
        user_id=operator.pk, name="phone", key=KEY, confirmed=True, last_t=7
    )
    codes = apps.get_model("otp_static", "StaticDevice").objects.create(
        user_id=operator.pk, name="Recovery codes"
    )
    for code in ("abcdefgh", "ijklmnop"):
        codes.token_set.create(token=code)

    migrate(AFTER)
    stored = every_stored_value()
    assert KEY not in stored and "abcdefgh" not in stored and "ijklmnop" not in stored
    assert not TOTPDevice.objects.exists()
    app = AuthenticatorApp.objects.get()
    assert (app.user_id, app.name, app.confirmed, app.last_t) == (operator.pk, "phone", True, 7)
    assert app.bin_key == unhexlify(KEY)
    operator = app.user
    assert code_verify(operator, totp_code(unhexlify(KEY))) == app
    assert code_verify(operator, "abcdefgh") is not None
    assert code_verify(operator, "abcdefgh") is None
    assert code_verify(operator, "IJKL-MNOP") is not None
