"""The tests' "now": pinned to a fixed instant so that no expectation depends on the time of day,
the month or the year the suite runs in (days until expiry are whole UTC dates apart, SPEC).

The pinned clock ticks on from its instant, so code that waits for time to pass still works.
Tests whose product code runs in processes of their own (``onramp worker``, ``onramp serve``)
cannot share an in-process pin; they use ``Clock.wall()`` and keep their own margins.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

# A Monday in June, mid-morning UTC: far from midnight, month and year ends.
PINNED = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime | None) -> None:
        self.pinned = start is not None
        self._start = start
        self._started = time.monotonic()

    @classmethod
    def wall(cls) -> Clock:
        return cls(None)

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def set(self, moment: datetime) -> None:
        """Pin "now" to ``moment`` (it ticks on from there)."""
        self.pinned = True
        self._start = moment
        self._started = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def iso(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
