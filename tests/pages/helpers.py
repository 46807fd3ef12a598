"""Reading what a page shows: field errors next to their input, the shown link, text."""

from __future__ import annotations

import html
import re

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.invitations.models import Invitation
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def visible_text(response) -> str:
    """The page as words: tags removed (a line-break opportunity, ``<wbr>``, joins its
    neighbours), whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    body = body.replace("<wbr>", "")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()).replace(" .", ".")


def field_errors(response, name: str) -> list[str]:
    """The messages rendered under the input ``id_<name>`` (empty when none)."""
    body = response.content.decode()
    match = re.search(rf'<ul class="field-errors" id="id_{name}-error">(.*?)</ul>', body, re.S)
    if not match:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def described_by(response, name: str) -> str:
    """The aria-describedby of the input named ``name``."""
    body = response.content.decode()
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert tag, f"no input named {name}"
    found = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    return found.group(1) if found else ""


def input_value(response, name: str) -> str | None:
    body = response.content.decode()
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert tag, f"no input named {name}"
    found = re.search(r'value="([^"]*)"', tag.group(0))
    return html.unescape(found.group(1)) if found else None


def shown_link(response) -> str:
    return input_value(response, "invitation_link") or ""


def counts() -> dict[str, int]:
    """Rows that any write would add: compare before and after a refused action."""
    return {
        "services": Service.objects.count(),
        "invitations": Invitation.objects.count(),
        "connections": TenantConnection.objects.count(),
        "runs": ValidationRun.objects.count(),
        "emails": OutboxMessage.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
