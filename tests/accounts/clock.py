"""A clock the tests set: ``timezone.now()`` answers the pinned instant until moved, so the
fixed rate-limit windows and expiry dates never depend on when the suite runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
