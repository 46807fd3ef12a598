"""CSRF on the wizard form: Django's token check, a friendly refusal, and browsers' Origin: null."""

from __future__ import annotations

import pytest
from django.test import Client

from onramp.audit.models import AuditEvent
from onramp.connections.models import ValidationRun
from tests.wizard.conftest import assert_wizard_headers, find, snapshot, text

pytestmark = pytest.mark.django_db

FIELDS = {
    "method": "app-registration",
    "tenant_id": "contoso.example",
    "client_id": "1b730954-1685-4b74-9bfd-dac224a7b894",
    "client_secret": "",  # empty: an accepted submission stops at the form, Microsoft unasked
}


def csrf_token(client: Client, link) -> str:
    response = client.get(link.path + "?method=app-registration")
    (field,) = find(response, "input", name="csrfmiddlewaretoken")
    return field["attrs"]["value"]


def test_a_post_without_the_token_is_refused_and_changes_nothing(link):
    strict = Client(enforce_csrf_checks=True)
    before = snapshot(link.invitation)
    events = AuditEvent.objects.count()
    response = strict.post(link.path, {**FIELDS, "client_secret": "s3cret-value"})
    assert response.status_code == 403
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == "The form could not be accepted"
    assert "s3cret-value" not in response.content.decode()
    assert snapshot(link.invitation) == before
    assert ValidationRun.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_post_with_the_token_is_accepted(link):
    strict = Client(enforce_csrf_checks=True)
    token = csrf_token(strict, link)
    response = strict.post(link.path, {**FIELDS, "csrfmiddlewaretoken": token})
    assert response.status_code == 422  # past CSRF, stopped by the empty secret
    assert text(find(response, "p", id="id_client_secret_error")[0]["text"]) == (
        "Enter the client secret."
    )


@pytest.mark.parametrize(
    ("fetch_site", "status"), [("same-origin", 422), (None, 422), ("cross-site", 403)]
)
def test_origin_null_from_the_no_referrer_page_is_accepted_only_same_origin(
    link, fetch_site, status
):
    """Referrer-Policy: no-referrer makes browsers send Origin: null with the form."""
    strict = Client(enforce_csrf_checks=True)
    token = csrf_token(strict, link)
    headers = {"Origin": "null"}
    if fetch_site:
        headers["Sec-Fetch-Site"] = fetch_site
    response = strict.post(link.path, {**FIELDS, "csrfmiddlewaretoken": token}, headers=headers)
    assert response.status_code == status
    assert_wizard_headers(response)


def test_a_foreign_origin_is_refused(link):
    strict = Client(enforce_csrf_checks=True)
    token = csrf_token(strict, link)
    response = strict.post(
        link.path,
        {**FIELDS, "csrfmiddlewaretoken": token},
        headers={"Origin": "https://attacker.example"},
    )
    assert response.status_code == 403
