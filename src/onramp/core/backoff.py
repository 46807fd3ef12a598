"""The retry delay every step machine uses: doubling per attempt, with a ceiling."""

from __future__ import annotations

from datetime import timedelta


def doubling(first: timedelta, attempts: int, ceiling: timedelta) -> timedelta:
    """``first`` after the first attempt, then twice as long after each further one, never more
    than ``ceiling``."""
    return min(first * 2 ** max(attempts - 1, 0), ceiling)
