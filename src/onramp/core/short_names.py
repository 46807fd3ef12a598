"""The service short-name rules (SPEC.md step 2), in one place for forms, API and database.

The database holds ``casefold(NFC(name))`` under a unique constraint per provider, so the
comparison is the same on SQLite and PostgreSQL and two racing requests cannot both win.
"""

from __future__ import annotations

import unicodedata

MIN_LENGTH = 3
MAX_LENGTH = 15
FORBIDDEN = set('\\/:*?"<>|.')
RESERVED = {"audit"}


def normalize(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def short_name_key(name: str) -> str:
    """The uniqueness key: case-insensitive the same way on every database."""
    return normalize(name).casefold()


def short_name_errors(name: str) -> list[str]:
    """Every rule the name breaks, as messages for the field (empty when valid)."""
    name = normalize(name)
    errors: list[str] = []
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        errors.append(f"Use {MIN_LENGTH} to {MAX_LENGTH} characters (this has {len(name)}).")
    bad = sorted({ch for ch in name if ch in FORBIDDEN})
    if bad:
        errors.append("Remove these characters: " + " ".join(bad))
    if any(ch.isspace() for ch in name):
        errors.append("Spaces and other whitespace are not allowed.")
    elif not name.isprintable():
        errors.append("Control and invisible characters are not allowed.")
    if name.casefold() in RESERVED:
        errors.append(f"'{name}' is a reserved word.")
    return errors
