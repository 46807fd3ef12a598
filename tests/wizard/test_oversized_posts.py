"""Posts bigger than any form of the wizard sends (too many fields, a body over Django's limit)
are refused with a wizard page (400, 413), counted in the rate limit before the body is read."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from onramp.audit.models import AuditEvent
from onramp.connections.models import ValidationRun
from onramp.core.models import RateLimitBucket
from onramp.core.tokens import token_hash
from tests.wizard.conftest import assert_wizard_headers, find, snapshot, text

pytestmark = pytest.mark.django_db

TOO_MANY = "This form could not be read"
TOO_LARGE = "This form is too large"
LEAD = "Nothing was checked or stored."


def too_many_fields(client: Client, path: str):
    return client.post(path, {f"field{n}": "x" for n in range(1001)})


def too_large_body(client: Client, path: str):
    return client.post(path, {"client_secret": "x" * (2_621_440 + 1)})


def declared_too_large(client: Client, path: str):
    """Only the Content-Length says so: the test client fails if anything reads past the body."""
    return client.post(
        path, "a=1", content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="2621441"
    )


@pytest.mark.parametrize(
    ("send", "status", "title"),
    [
        (too_many_fields, 400, TOO_MANY),
        (too_large_body, 413, TOO_LARGE),
        (declared_too_large, 413, TOO_LARGE),
    ],
)
def test_an_oversized_post_is_a_wizard_page_counted_in_the_rate_limit(
    link, settings, caplog, send, status, title
):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 30/10m per client"
    client = Client(enforce_csrf_checks=True)
    form = client.get(link.path + "?method=app-registration")
    assert "csrftoken" in form.cookies  # as a browser has it
    before = snapshot(link.invitation)
    events = AuditEvent.objects.count()
    with caplog.at_level("INFO"):
        responses = [send(client, link.path) for _ in range(6)]
    assert [response.status_code for response in responses] == [status] * 5 + [429]
    refused = responses[0]
    assert_wizard_headers(refused)
    assert text(find(refused, "h1")[0]["text"]) == title
    assert [text(alert["text"]) for alert in find(refused, role="alert")] == [LEAD]
    limited = responses[5]
    assert_wizard_headers(limited)
    assert text(find(limited, "h1")[0]["text"]) == "Too many attempts"
    assert 1 <= int(limited["Retry-After"]) <= 600
    counts = dict(RateLimitBucket.objects.values_list("key", "count"))
    assert counts == {"wizard:client:127.0.0.1": 6, f"wizard:link:{token_hash(link.token)}": 6}
    assert [r.levelno for r in caplog.records if r.levelno >= logging.ERROR] == []
    wizard_lines = [r.getMessage() for r in caplog.records if r.name == "onramp.wizard"]
    reason = refused.reason_phrase
    assert wizard_lines == [f"{reason}: /invite/****"] * 5 + ["Too Many Requests: /invite/****"]
    assert snapshot(link.invitation) == before
    assert AuditEvent.objects.count() == events
    assert ValidationRun.objects.count() == 0
