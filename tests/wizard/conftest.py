"""Fixtures for the public wizard: an invitation link, the HTML helpers and the header check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from onramp.invitations.models import Invitation
from onramp.services.models import Service
from onramp.services.onboarding import service_create
from onramp.services.services import ServiceRequest

WIZARD_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}


@dataclass
class Link:
    service: Service
    invitation: Invitation
    token: str

    @property
    def path(self) -> str:
        return f"/invite/{self.token}"

    def reload(self) -> Invitation:
        self.invitation.refresh_from_db()
        self.service.refresh_from_db()
        return self.invitation


@pytest.fixture
def make_link(actor, customer):
    """A service created with the invitation option; returns its Link (the token from the link)."""

    def make(short_name: str = "Contoso-01", full_name: str = "Contoso main") -> Link:
        created = service_create(
            actor=actor,
            customer=customer,
            request=ServiceRequest(
                short_name=short_name,
                full_name=full_name,
                license_type="hosted-pro",
                licensed_users=10,
                method="invitation",
                admin_email="admin@contoso.example",
            ),
        )
        token = created.issued.link.rsplit("/", 1)[1]
        return Link(created.service, created.issued.invitation, token)

    return make


@pytest.fixture
def link(make_link) -> Link:
    return make_link()


def expire(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def snapshot(invitation: Invitation) -> dict:
    invitation.refresh_from_db()
    return {f.name: getattr(invitation, f.name) for f in Invitation._meta.fields}


def assert_wizard_headers(response) -> None:
    for name, value in WIZARD_HEADERS.items():
        assert response[name] == value, name


class _Page(HTMLParser):
    """Collects elements (tag, attributes, text) so tests can ask for them like a browser."""

    VOID = {"input", "meta", "link", "br", "img", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def find(response, tag: str | None = None, **attrs) -> list[dict]:
    """Elements matching the tag and attributes (``role="alert"`` → ``role="alert"``)."""
    wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
    return [
        element
        for element in parse(response).elements
        if (tag is None or element["tag"] == tag)
        and all(element["attrs"].get(key) == value for key, value in wanted.items())
    ]


def text(value: str) -> str:
    return " ".join(value.split())


def alert_text(response) -> str:
    alerts = find(response, role="alert")
    assert len(alerts) == 1, [a["text"] for a in alerts]
    return text(alerts[0]["text"])


def input_value(response, name: str) -> str | None:
    (element,) = find(response, "input", name=name)
    return element["attrs"].get("value")
