"""Fixed-window rate limits counted in the database, so they hold across processes and hosts.

``hit(key, limit, window)`` counts one attempt in the current window and says how long to wait
once the limit is passed; ``peek`` says the same without counting (a lock-out read before the
attempt is made). Windows are aligned to the epoch, so every process agrees on them.
The increment is a row-locked UPDATE (or the INSERT that creates the window's row), which is
atomic on SQLite and PostgreSQL alike. Each row knows when its window ends; ``purge_expired``
(scheduled in ``ops.schedules``) deletes the rows whose window is over.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    ImproperlyConfigured,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from onramp.core.tokens import token_hash

FLOOR_WINDOW = 600  # the floors below are "per 10 minutes"
WIZARD_FLOORS = {"link": 5, "client": 20}
WIZARD_DEFAULT = "10/10m per link, 30/10m per client"
_UNITS = {"s": 1, "m": 60, "h": 3600}
_PART = re.compile(r"(\d+)\s*/\s*(\d*)\s*([smh])\s+per\s+(link|client)", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds


@dataclass(frozen=True)
class RetryAfter:
    """The limit is passed: the caller may try again after this many seconds."""

    seconds: int


def hit(key: str, limit: int, window: int, *, now: datetime | None = None) -> RetryAfter | None:
    """Count one attempt for ``key``; None while at most ``limit`` fall in this window."""
    now = now or timezone.now()
    start = _window_start(now, window)
    if _increment(key, start, start + timedelta(seconds=window)) <= limit:
        return None
    return _wait(start, window, now)


def peek(key: str, limit: int, window: int, *, now: datetime | None = None) -> RetryAfter | None:
    """The wait once ``limit`` attempts fill this window already (the next would pass it)."""
    from onramp.core.models import RateLimitBucket  # here, so settings.py may parse the limits

    now = now or timezone.now()
    start = _window_start(now, window)
    count = (
        RateLimitBucket.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    if count is None or count < limit:
        return None
    return _wait(start, window, now)


def _wait(start: datetime, window: int, now: datetime) -> RetryAfter:
    remaining = (start + timedelta(seconds=window) - now).total_seconds()
    return RetryAfter(max(1, math.ceil(remaining)))


def _window_start(now: datetime, window: int) -> datetime:
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % window, tz=UTC)


@dataclass(frozen=True)
class Claim:
    """``key`` is held (see ``claim``) until ``release``."""

    key: str
    window_start: datetime


def claim(key: str, seconds: int, *, now: datetime | None = None) -> Claim | None:
    """Hold ``key``, one holder at a time across processes; None while another holds it.

    The holder counts 1 in its window of ``seconds``; a claim sees the holders of this window
    and of the one before, so a holder that never releases (its process died) stops counting
    after one to two windows. ``seconds`` must exceed the longest hold."""
    from onramp.core.models import RateLimitBucket  # here, so settings.py may parse the limits

    now = now or timezone.now()
    start = _window_start(now, seconds)
    previous = start - timedelta(seconds=seconds)
    mine = Claim(key, start)
    # Its row outlives both windows a later claim reads (the purge leaves it alone till then).
    count = _increment(key, start, start + timedelta(seconds=2 * seconds), keep_since=previous)
    earlier = (
        RateLimitBucket.objects.filter(key=key, window_start=previous)
        .values_list("count", flat=True)
        .first()
    )
    if count + (earlier or 0) > 1:
        release(mine)
        return None
    return mine


def release(held: Claim) -> None:
    from onramp.core.models import RateLimitBucket  # here, so settings.py may parse the limits

    RateLimitBucket.objects.filter(
        key=held.key, window_start=held.window_start, count__gt=0
    ).update(count=F("count") - 1)


def _increment(
    key: str, start: datetime, end: datetime, *, keep_since: datetime | None = None
) -> int:
    """Count one in the window from ``start`` (its row purged after ``end``); windows before
    ``keep_since`` (default: this one) are deleted when this window's row is created."""
    from onramp.core.models import RateLimitBucket  # here, so settings.py may parse the limits

    bucket = RateLimitBucket.objects.filter(key=key, window_start=start)
    with transaction.atomic():
        if not bucket.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitBucket.objects.create(
                        key=key, window_start=start, expires_at=end, count=1
                    )
            except IntegrityError:  # another process created the window first
                bucket.update(count=F("count") + 1)
            else:
                # A new window makes this key's older windows useless: keep one row per key.
                RateLimitBucket.objects.filter(
                    key=key, window_start__lt=keep_since or start
                ).delete()
                return 1
        # Our UPDATE holds the row lock until commit, so this is exactly our attempt's number.
        return bucket.values_list("count", flat=True).get()


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the windows that are over (a key seen once, e.g. an unknown link, leaves its row
    behind otherwise); the number of rows deleted."""
    from onramp.core.models import RateLimitBucket

    deleted, _ = RateLimitBucket.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def parse_rates(
    text: str, *, floors: dict[str, int], defaults: dict[str, Rate] | None = None, setting: str
) -> dict[str, Rate]:
    """Parse "N/<minutes>m per link, M/<minutes>m per client"; too-low values rise to the floors.

    A floor is a count per 10 minutes: a limit allowing fewer attempts than that over its own
    window is raised so that it allows the floor's rate. A scope left out keeps its default.
    """
    rates: dict[str, Rate] = {}
    for part in (p.strip() for p in text.split(",")):
        match = _PART.fullmatch(part)
        if not match or match.group(4).lower() in rates:
            raise ImproperlyConfigured(
                f"{setting} must look like {WIZARD_DEFAULT!r} (counts per minutes), got {text!r}"
            )
        count, amount, unit, scope = match.groups()
        window = int(amount or 1) * _UNITS[unit.lower()]
        if window <= 0:
            raise ImproperlyConfigured(f"{setting} has an empty window: {part!r}")
        rates[scope.lower()] = Rate(int(count), window)
    for scope, floor in floors.items():
        rate = rates.get(scope) or (defaults or {}).get(scope) or Rate(floor, FLOOR_WINDOW)
        needed = math.ceil(floor * rate.window / FLOOR_WINDOW)
        rates[scope] = Rate(max(rate.limit, needed), rate.window)
    return rates


def link_attempt_wait(request: Any, kind: str, token: str) -> int | None:
    """Count one attempt at a public link (``wizard``, ``setup``) per link and per client
    address, with the wizard's limits; the seconds to wait once either is used up, else None.

    The client is counted first: once it is refused, its attempts are not counted per link, so
    a client trying link after link adds no row for each.
    """
    rates = wizard_rates(settings.WIZARD_RATE_LIMITS)
    client = getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR") or "unknown"
    refused = hit(f"{kind}:client:{client}", rates["client"].limit, rates["client"].window)
    if refused is not None:
        return refused.seconds
    refused = hit(f"{kind}:link:{token_hash(token)}", rates["link"].limit, rates["link"].window)
    return refused.seconds if refused is not None else None


Refuse = Callable[[HttpRequest, int, int | None], HttpResponse]


def public_link_post(kind: str, refuse: Refuse) -> Callable[[Callable], Callable]:
    """Guard the POSTs to a public link view (``/invite/<token>``, ``/setup/<token>``).

    The attempt is counted first, then the body is checked and parsed within Django's limits
    before a CSRF check or a form reads it: a flood of oversized posts is limited like any other
    and never becomes a 500. ``refuse(request, status, retry_after)`` renders the view's own
    page for 429 (with the seconds to wait), 413 and 400.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, token: str, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                seconds = link_attempt_wait(request, kind, token)
                if seconds is not None:
                    return refuse(request, 429, seconds)
                status = _unreadable(request)
                if status is not None:
                    return refuse(request, status, None)
            return view(request, *args, token=token, **kwargs)

        return guarded

    return decorate


def _unreadable(request: HttpRequest) -> int | None:
    """413 for a body declared over DATA_UPLOAD_MAX_MEMORY_SIZE (not read at all), 400 for more
    fields or files than Django accepts; None once the form data is parsed."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and _content_length(request) > limit:
        return 413
    try:
        request.POST  # noqa: B018 - parsed here, where Django's limits raise
    except RequestDataTooBig:
        return 413
    except (TooManyFieldsSent, TooManyFilesSent):
        return 400
    return None


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads it: an unreadable length is no body


@lru_cache(maxsize=8)
def wizard_rates(text: str) -> dict[str, Rate]:
    """The public wizard's limits (``ONRAMP_WIZARD_RATE_LIMITS``): keys ``link`` and ``client``."""
    setting = "ONRAMP_WIZARD_RATE_LIMITS"
    defaults = parse_rates(WIZARD_DEFAULT, floors=WIZARD_FLOORS, setting=setting)
    if not text.strip():
        return defaults
    return parse_rates(text, floors=WIZARD_FLOORS, defaults=defaults, setting=setting)
