"""The demo's mailbox: an SMTP catch-all keeps each message as a file; two pages show them.

The customer admin's inbox, for people trying Onramp without a mail server. The pages exist only
while settings.DEMO_MAILBOX_DIR is set (``onramp demo`` sets it); elsewhere they are 404. They
show live invitation and set-up links, so only signed-in operators read them (a session still
owing its second factor is sent to it by accounts' middleware, like on every operator page).
The storage half needs no Django: ``onramp demo`` runs the SMTP server before settings load.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

_MESSAGE_ID = re.compile(r"\d{8}T\d{12}-[0-9a-f]{12}")
_URL = re.compile(r"https?://[^\s<>\"']+")


class MailboxHandler:
    """aiosmtpd handler: accepts every message for every recipient and stores it."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    async def handle_DATA(self, server, session, envelope) -> str:
        store(self.directory, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def store(directory: Path, raw: bytes) -> str:
    """Write one message atomically; its id sorts by arrival time."""
    directory.mkdir(parents=True, exist_ok=True)
    message_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}"
    partial = directory / f".{message_id}.tmp"
    partial.write_bytes(raw)
    os.replace(partial, directory / f"{message_id}.eml")
    return message_id


@dataclass(frozen=True)
class Mail:
    id: str
    received_at: datetime
    sender: str
    recipients: str
    subject: str
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        """The links of the text part (the invitation link among them), in order, once each."""
        return list(dict.fromkeys(match.rstrip(".,;)") for match in _URL.findall(self.text)))

    @property
    def html_document(self) -> str:
        """The HTML part for an iframe's srcdoc; links open outside the sandboxed frame."""
        base = '<base target="_blank">'
        head = re.search(r"<head[^>]*>", self.html, re.IGNORECASE)
        if head:
            return self.html[: head.end()] + base + self.html[head.end() :]
        return base + self.html


def _parse(message_id: str, raw: bytes) -> Mail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    received = datetime.strptime(message_id[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return Mail(
        id=message_id,
        received_at=received,
        sender=str(message.get("From", "")),
        recipients=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else "",
    )


def messages(directory: Path) -> list[Mail]:
    """Every stored message, newest first."""
    if not directory.is_dir():
        return []
    found = sorted(
        (path for path in directory.glob("*.eml") if _MESSAGE_ID.fullmatch(path.stem)),
        reverse=True,
    )
    return [_parse(path.stem, path.read_bytes()) for path in found]


def message(directory: Path, message_id: str) -> Mail | None:
    if not _MESSAGE_ID.fullmatch(message_id):
        return None
    path = directory / f"{message_id}.eml"
    return _parse(message_id, path.read_bytes()) if path.is_file() else None


# --- the pages ------------------------------------------------------------------------------


def _directory() -> Path:
    if not settings.DEMO_MAILBOX_DIR:
        raise Http404("There is no demo mailbox.")
    return Path(settings.DEMO_MAILBOX_DIR)


def demo_mailbox(request: HttpRequest) -> dict[str, bool]:
    """Context processor: the navigation lists the mailbox while the demo runs it."""
    return {"demo_mailbox": bool(settings.DEMO_MAILBOX_DIR)}


def _private(response: HttpResponse) -> HttpResponse:
    """The mail holds live invitation links: not cached, not leaked as a referrer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _mailbox_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; 404 outside the demo (signed in or not), else for signed-in operators only."""
    signed_in = login_required(view)

    @functools.wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _directory()
        return _private(signed_in(request, *args, **kwargs))

    return require_GET(page)


@_mailbox_page
def mailbox_list(request: HttpRequest) -> HttpResponse:
    context = {"mails": messages(_directory()), "section": "mailbox"}
    return render(request, "sandbox/mailbox.html", context)


@_mailbox_page
def mailbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    mail = message(_directory(), message_id)
    if mail is None:
        raise Http404("No such message.")
    return render(request, "sandbox/message.html", {"mail": mail, "section": "mailbox"})
