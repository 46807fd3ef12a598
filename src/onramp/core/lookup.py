from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from onramp.core.errors import NotFound

M = TypeVar("M", bound=Model)


def get_or_not_found(queryset: QuerySet[M], pk: Any, what: str) -> M:
    """One row of a (scoped) queryset; a malformed id reads as absent, never as a 500."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"No such {what}.") from None
