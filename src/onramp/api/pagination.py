"""Keyset pagination on ``(<timestamp>, id)``, newest first: every page costs the same however
deep it is (no OFFSET). The cursor is opaque to clients: the last row's key, base64-encoded.
The timestamp is ``created_at`` unless a list orders by another one (alerts: ``sent_at``)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from onramp.api.errors import MalformedRequest

BAD_CURSOR = "Use the `next` value of the previous page, unchanged."
EXPORT_CHUNK = 1000


def encode_cursor(row: Model, key: str = "created_at") -> str:
    value = [getattr(row, key).isoformat(), str(row.pk)]
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, model: type[Model]) -> tuple[datetime, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, pk_text = json.loads(raw)
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None:
            raise ValueError("naive")
        if not isinstance(pk_text, str):
            raise TypeError("pk")
        return moment, model._meta.pk.to_python(pk_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, ValidationError):
        raise MalformedRequest({"cursor": [BAD_CURSOR]}) from None


def _after(queryset: QuerySet, key: str, moment: datetime, pk: Any) -> QuerySet:
    return queryset.filter(Q(**{f"{key}__lt": moment}) | Q(**{key: moment, "pk__lt": pk}))


def page(
    queryset: QuerySet,
    *,
    limit: int,
    cursor: str | None,
    render: Callable[[Any], dict[str, Any]],
    key: str = "created_at",
) -> dict[str, Any]:
    """``{"items": [...], "next": cursor | None}`` for one page of ``queryset``."""
    queryset = queryset.order_by(f"-{key}", "-pk")
    if cursor:
        queryset = _after(queryset, key, *decode_cursor(cursor, queryset.model))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [render(row) for row in rows],
        "next": encode_cursor(rows[-1], key) if more else None,
    }


def every_row(queryset: QuerySet, *, key: str = "created_at") -> Iterator[Any]:
    """All rows, newest first, fetched in keyset chunks: an export of any size holds one chunk
    in memory and keeps no cursor or transaction open between chunks."""
    queryset = queryset.order_by(f"-{key}", "-pk")
    chunk = queryset
    while True:
        rows = list(chunk[:EXPORT_CHUNK])
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        last = rows[-1]
        chunk = _after(queryset, key, getattr(last, key), last.pk)
