"""Secrets at rest: MultiFernet over ONRAMP_ENCRYPTION_KEYS (the first key encrypts, all decrypt).

A stored value records the id of the key that sealed it (the first 8 hex digits of the key's
SHA-256), so ``rotate-keys`` can find what is not yet under the first key and an undecryptable
row can be named.
"""

from __future__ import annotations

import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUndecryptable(Exception):
    """No configured key opens this value (a key was removed too early, or data is corrupt)."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ImproperlyConfigured("ONRAMP_ENCRYPTION_KEYS is empty")
        try:
            self._fernets = [Fernet(key.encode()) for key in keys]
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                "ONRAMP_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                "(generate one with: onramp generate-key)"
            ) from None
        self._multi = MultiFernet(self._fernets)
        self.current_key_id = key_id(keys[0])

    def seal(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._multi.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUndecryptable("no configured encryption key can decrypt it") from None

    def reseal(self, sealed: str) -> str:
        """Re-encrypt under the first key (for rotation)."""
        try:
            return self._multi.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUndecryptable("no configured encryption key can decrypt it") from None


@functools.cache
def _box_for(keys: tuple[str, ...]) -> SecretBox:
    return SecretBox(list(keys))


def secret_box() -> SecretBox:
    return _box_for(tuple(settings.ENCRYPTION_KEYS))
