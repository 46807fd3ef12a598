"""Bearer secrets (invitation links, API tokens): random, shown once, stored only as SHA-256."""

import hashlib
import secrets


def new_token() -> str:
    """32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mask_token(token: str) -> str:
    """How a token appears in logs: not even a prefix of it."""
    return "****" if token else ""
