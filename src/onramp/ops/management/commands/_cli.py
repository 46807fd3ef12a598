"""Shared bits of the ``onramp <noun> create`` commands: one-line errors, the system actor."""

from __future__ import annotations

from django.core.management.base import CommandError

from onramp.core.errors import InvalidInput

# Service fields named as the command-line options that carry them.
OPTION_NAMES = {"expires_days": "--expires-days", "sbc_domain": "--sbc-domain"}


def one_line(exc: InvalidInput) -> CommandError:
    """``InvalidInput(errors)`` → a CommandError whose message is one line naming each field."""
    parts = []
    for field, messages in exc.errors.items():
        option = OPTION_NAMES.get(field, field if field == "password" else f"--{field}")
        parts.append(f"{option}: {' '.join(messages)}")
    return CommandError(" ".join(parts).replace("\n", " "))
