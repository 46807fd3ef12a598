"""Keyset pagination on ``(created_at, id)``, newest first: every page costs the same however
deep it is (no OFFSET). The cursor is opaque to clients: the last row's key, base64-encoded."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

from onramp.api.errors import MalformedRequest

BAD_CURSOR = "Use the `next` value of the previous page, unchanged."


def encode_cursor(row: Model) -> str:
    key = [row.created_at.isoformat(), str(row.pk)]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, pk = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise MalformedRequest({"cursor": [BAD_CURSOR]}) from None


def page(
    queryset: QuerySet,
    *,
    limit: int,
    cursor: str | None,
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """``{"items": [...], "next": cursor | None}`` for one page of ``queryset``."""
    queryset = queryset.order_by("-created_at", "-pk")
    if cursor:
        created_at, pk = decode_cursor(cursor)
        queryset = queryset.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        )
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [render(row) for row in rows],
        "next": encode_cursor(rows[-1]) if more else None,
    }
