"""A clock the tests set: ``timezone.now()`` answers the pinned instant until moved, so the
fixed rate-limit windows and expiry dates never depend on when the suite runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone


@dataclass
class Clock:
    at: datetime

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def pin(monkeypatch, at: datetime) -> Clock:
    clock = Clock(at)
    monkeypatch.setattr(timezone, "now", lambda: clock.at)
    return clock


def pin_to_window_start(monkeypatch) -> Clock:
    """Pinned 5 s into the current 15-minute rate-limit window: a test's failures then share
    one window (and minute) at any time of day, and sessions made before stay unexpired."""
    stamp = int(timezone.now().timestamp())
    return pin(monkeypatch, datetime.fromtimestamp(stamp - stamp % 900 + 5, tz=UTC))
