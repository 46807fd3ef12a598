"""How close a credential is to expiring: whole UTC days, and the bands every page, the API and
the alerts share (CONTRACT.md: critical < 7 days, warning < 30)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import models
from django.utils import timezone

CRITICAL_DAYS = 7
WARNING_DAYS = 30
# An expiry entered by hand outside these years is a typo; near the ends of datetime's range
# converting it to UTC or counting days to it would overflow.
EARLIEST_ENTERED = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_ENTERED = datetime(3000, 1, 1, tzinfo=UTC)
ENTERED_RANGE = "Enter a date from 2000-01-01 to 2999-12-31 (UTC)."


class Band(models.TextChoices):
    EXPIRED = "expired", "Expired"
    CRITICAL = "critical", f"Critical (< {CRITICAL_DAYS} days)"
    WARNING = "warning", f"Warning (< {WARNING_DAYS} days)"
    OK = "ok", "OK"
    UNKNOWN = "unknown", "Unknown"


def days_until(moment: datetime | None, today: date | None = None) -> int | None:
    """Whole UTC days from today to the expiry date; negative once expired."""
    if moment is None:
        return None
    today = today or timezone.now().date()
    return (moment.astimezone(UTC).date() - today).days


def band_for(days: int | None) -> str:
    if days is None:
        return Band.UNKNOWN
    if days < 0:
        return Band.EXPIRED
    if days < CRITICAL_DAYS:
        return Band.CRITICAL
    if days < WARNING_DAYS:
        return Band.WARNING
    return Band.OK
