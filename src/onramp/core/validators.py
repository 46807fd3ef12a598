"""Small input rules shared by forms and the API."""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.I)


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def tenant_id_error(value: str) -> str | None:
    if is_guid(value) or _DOMAIN.fullmatch(value):
        return None
    return (
        "Enter the Directory (tenant) ID — a GUID such as "
        "72f988bf-86f1-41af-91ab-2d7cd011db47 — or a tenant domain such as "
        "contoso.onmicrosoft.com."
    )


def client_id_error(value: str) -> str | None:
    if is_guid(value):
        return None
    return "Enter the Application (client) ID: a GUID such as 1b730954-1685-4b74-9bfd-dac224a7b894."


def printable_error(value: str) -> str | None:
    """Names shown in emails and pages: a line break or control character could fake a line."""
    if value.isprintable():
        return None
    return "Use printable characters only (no line breaks or control characters)."


def email_error(value: str) -> str | None:
    if len(value) > 254:
        return "Use at most 254 characters."
    try:
        validate_email(value)
    except ValidationError:
        return "Enter a valid email address."
    return None
