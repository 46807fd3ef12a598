"""Key rotation with two keys: old data stays readable, is re-encrypted, the old key can go."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection
from onramp.core.actors import Actor
from onramp.core.crypto import SecretBox
from onramp.directrouting.dns_settings import dns_settings_set
from onramp.directrouting.models import DnsSettings
from onramp.invitations.models import Invitation
from onramp.notifications.models import OutboxMessage
from onramp.ops.rotation import RotationError, keys_rotate

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_and_new_keys(settings):
    old = settings.ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    return old, new


def test_rotation_reencrypts_every_secret_under_the_first_key(
    invite, settings, old_and_new_keys, active_connection
):
    old, new = old_and_new_keys
    invite()
    sealed_before = TenantConnection.objects.get().secret_sealed
    settings.ENCRYPTION_KEYS = [new, old]
    assert keys_rotate(actor=Actor.system()) == 2  # the connection and the queued email
    connection = TenantConnection.objects.get()
    assert connection.secret_sealed != sealed_before
    assert connection.secret_key_id == SecretBox([new]).current_key_id
    assert SecretBox([new]).open(connection.secret_sealed) == "the-secret-value"
    payload = OutboxMessage.objects.get().payload_sealed
    assert "invite" in SecretBox([new]).open(payload)
    assert keys_rotate(actor=Actor.system()) == 0  # resumable: nothing left to do
    settings.ENCRYPTION_KEYS = [new]  # the old key can go
    assert SecretBox([new]).open(TenantConnection.objects.get().secret_sealed) == (
        "the-secret-value"
    )
    event = AuditEvent.objects.filter(action="keys.rotated").first()
    assert (event.target_type, event.target_id) == ("system", "encryption-keys")
    assert event.changes == {"new": {"rewritten": 0, "key_id": SecretBox([new]).current_key_id}}


def test_a_secret_no_key_opens_is_named(settings, active_connection):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    service_id = TenantConnection.objects.get().pk
    with pytest.raises(
        RotationError, match=f"cannot decrypt the connection of service {service_id}: no key"
    ):
        keys_rotate(actor=Actor.system())
    assert not Invitation.objects.exists()


def test_rotation_reseals_a_providers_dns_secrets(settings, old_and_new_keys, provider):
    old, new = old_and_new_keys
    dns_settings_set(
        actor=Actor.system(),
        provider=provider,
        backend="rfc2136",
        settings={
            "server": "127.0.0.1:5353",
            "zone": "sbc.northwind.example",
            "key_name": "onramp-key",
            "key_secret": "c2VjcmV0LXRzaWcta2V5LTMyLWJ5dGVzLWxvbmchIQ==",
        },
    )
    sealed_before = DnsSettings.objects.get().secrets_sealed
    settings.ENCRYPTION_KEYS = [new, old]
    assert keys_rotate(actor=Actor.system()) == 1
    row = DnsSettings.objects.get()
    assert row.secrets_sealed != sealed_before
    assert row.secrets_key_id == SecretBox([new]).current_key_id
    assert json.loads(SecretBox([new]).open(row.secrets_sealed)) == {
        "key_secret": "c2VjcmV0LXRzaWcta2V5LTMyLWJ5dGVzLWxvbmchIQ=="
    }
