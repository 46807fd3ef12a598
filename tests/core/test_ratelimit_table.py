"""The rate-limit table stays small: a refused attempt adds no row, and windows that ended are
purged on schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onramp.core.models import RateLimitBucket
from onramp.core.ratelimit import hit, purge_expired

pytestmark = pytest.mark.django_db


def test_attempts_refused_for_the_client_add_no_row(client, settings):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 20/10m per client"
    statuses = [client.post(f"/invite/unknown-{n:03d}", {}).status_code for n in range(20)]
    assert statuses == [404] * 20
    keys = sorted(RateLimitBucket.objects.values_list("key", flat=True))
    assert len(keys) == 21  # 20 links and the client
    statuses = [client.post(f"/invite/another-{n:03d}", {}).status_code for n in range(10)]
    assert statuses == [429] * 10
    assert sorted(RateLimitBucket.objects.values_list("key", flat=True)) == keys
    assert RateLimitBucket.objects.get(key="wizard:client:127.0.0.1").count == 30


def test_the_purge_deletes_only_windows_that_ended():
    at = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    hit("one-minute", 5, 60, now=at)
    hit("ten-minutes", 5, 600, now=at)
    hit("one-hour", 5, 3600, now=at)
    hit("ten-minutes-later", 5, 600, now=at + timedelta(minutes=5))  # 12:00 to 12:10 too
    assert purge_expired(now=at + timedelta(minutes=10)) == 3
    assert list(RateLimitBucket.objects.values_list("key", "window_start", "expires_at")) == [
        ("one-hour", at, datetime(2030, 1, 1, 13, 0, 0, tzinfo=UTC))
    ]
    assert purge_expired(now=at + timedelta(minutes=59, seconds=59)) == 0
    assert purge_expired(now=at + timedelta(hours=1)) == 1
    assert RateLimitBucket.objects.count() == 0
