"""Asking Microsoft now: the live validation, its throttle per service, and the discovery
documents kept between processes. Called outside any transaction: it may take seconds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from onramp.connections.models import DiscoveryDocument
from onramp.core.errors import MicrosoftUnavailable, RateLimited, ValidationFailed
from onramp.core.ratelimit import claim, hit, release
from onramp.m365.credentials import Credential
from onramp.m365.results import ValidationResult
from onramp.m365.validation import ValidationClient, get_client


def validate_live(
    *, tenant: str, client_id: str, credential: Credential, expected_tenant_id: str | None
) -> ValidationResult:
    """Ask Microsoft now. Must be called outside any transaction: it may take seconds."""
    client = get_client()
    discovery_documents_load(client, [tenant])
    result = client.validate(
        tenant=tenant,
        client_id=client_id,
        credential=credential,
        expected_tenant_id=expected_tenant_id or None,
        now=timezone.now(),
    )
    discovery_documents_keep(client)
    return result


def discovery_documents_load(client: ValidationClient, tenants: Iterable[str]) -> None:
    """The kept discovery documents of these tenants that ``client`` lacks, into its memory
    (one query; none when it lacks nothing)."""
    missing = client.discovery_missing(tenants)
    if missing:
        kept = DiscoveryDocument.objects.filter(url__in=missing).values_list("url", "document")
        client.discovery_remember(dict(kept))


def discovery_documents_keep(client: ValidationClient) -> None:
    """Keep the discovery documents ``client`` fetched since the last call, for every later
    process (DESIGN.md: a re-validation costs two round trips, not three)."""
    fetched = client.discovery_take_fetched()
    if fetched:
        DiscoveryDocument.objects.bulk_create(
            [DiscoveryDocument(url=url, document=text) for url, text in fetched.items()],
            ignore_conflicts=True,
        )


def raise_unless_answered(result: ValidationResult) -> None:
    """Transient failures change nothing and are reported as such (503)."""
    if result.transient:
        raise MicrosoftUnavailable(result)


def raise_unless_ok(result: ValidationResult) -> None:
    raise_unless_answered(result)
    if not result.ok:
        raise ValidationFailed(result)


# Validate Authentication (page and API) per service: one at a time (a hold lasts at most the
# Microsoft timeout of each request it makes, far below LIVE_HOLD_SECONDS), and
# LIVE_PER_WINDOW per LIVE_WINDOW_SECONDS.
LIVE_HOLD_SECONDS = 120
LIVE_BUSY_RETRY_SECONDS = 5
LIVE_PER_WINDOW = 5
LIVE_WINDOW_SECONDS = 600


@contextmanager
def live_validation_slot(service: Any) -> Iterator[None]:
    """Count one live validation of ``service`` and hold it while it runs; RateLimited when
    the service used its validations of the window or one is running now."""
    key = f"live-validation:{service.pk}"
    if waited := hit(f"{key}:count", LIVE_PER_WINDOW, LIVE_WINDOW_SECONDS):
        raise RateLimited(
            f"This service was validated {LIVE_PER_WINDOW} times in the last "
            f"{LIVE_WINDOW_SECONDS // 60} minutes: try again in {waited.seconds} seconds.",
            waited.seconds,
        )
    held = claim(key, LIVE_HOLD_SECONDS)
    if held is None:
        raise RateLimited(
            "A validation of this service is already running: "
            f"try again in {LIVE_BUSY_RETRY_SECONDS} seconds.",
            LIVE_BUSY_RETRY_SECONDS,
        )
    try:
        yield
    finally:
        release(held)
