from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from onramp.core.crypto import SecretBox, SecretUndecryptable, key_id


def test_sealed_value_hides_the_secret_and_opens_again():
    box = SecretBox([Fernet.generate_key().decode()])
    sealed = box.seal("s3cr3t~value")
    assert "s3cr3t" not in sealed
    assert box.open(sealed) == "s3cr3t~value"


def test_first_key_encrypts_all_keys_decrypt_and_reseal_moves_to_the_first():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_old = SecretBox([old]).seal("value")
    rotated = SecretBox([new, old])
    assert rotated.current_key_id == key_id(new)
    assert rotated.open(sealed_old) == "value"
    resealed = rotated.reseal(sealed_old)
    assert SecretBox([new]).open(resealed) == "value"
    with pytest.raises(SecretUndecryptable, match="no configured encryption key can decrypt it"):
        SecretBox([new]).open(sealed_old)


def test_bad_keys_are_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        SecretBox(["not-a-key"])
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        SecretBox([])
