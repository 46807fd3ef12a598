"""The setup scripts of the wizard (SPEC.md "Ways to connect", *Setup script*): for an admin who
will not sign in to a third-party page, a PowerShell (Microsoft Graph module) and an Azure CLI
script that build the same app registration as "Create the app registration for me" — the same
name, the same permissions (required and optional), admin consent, the directory role(s) — then
add a client secret and print the three values to enter on the Use App Registration form.

Generated for one invitation: its app name and, when Onramp knows it, the customer's tenant.
They carry no secret or token of Onramp's and not the invitation link: only ids Microsoft
publishes (``onramp.m365.catalog``, ``DIRECTORY_ROLE_TEMPLATE_IDS``) and names. Running one again
finds the app by its name and adds only what is missing (and a new secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import slugify

from onramp.createdapp.services import default_app_name, known_tenant, permissions_wanted
from onramp.invitations.models import Invitation
from onramp.m365.catalog import GRAPH_APP_ID, GRAPH_ROLE_IDS
from onramp.m365.config import DIRECTORY_ROLE_TEMPLATE_IDS

# What the manual guide recommends too: shorter than any common tenant cap on secret lifetimes,
# long enough that the expiry alerts (30 days ahead) are rare.
SECRET_DAYS = 180
CREDENTIAL_DISPLAY_NAME = "Onramp"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POWERSHELL_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")


@dataclass(frozen=True)
class ScriptKind:
    template: str
    extension: str
    bom: bool  # Windows PowerShell 5.1 reads a UTF-8 file without BOM as the ANSI code page


POWERSHELL = "powershell"
AZURE_CLI = "azure-cli"
KINDS = {
    POWERSHELL: ScriptKind("invitations/scripts/setup.ps1", "ps1", bom=True),
    AZURE_CLI: ScriptKind("invitations/scripts/setup.sh", "sh", bom=False),
}


@dataclass(frozen=True)
class SetupScript:
    filename: str
    text: str


def _powershell_literal(value: str) -> str:
    """A single-quoted PowerShell string: only the quotes (PowerShell counts the typographic
    single quotes too) are special, each doubled."""
    return "'" + _POWERSHELL_QUOTES.sub(lambda quote: quote.group() * 2, value) + "'"


def _shell_literal(value: str) -> str:
    """A single-quoted POSIX shell word."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _app_roles(names: list[str]) -> list[tuple[str, str]]:
    """Ids for the configured names (start-up refuses a name the catalog does not know)."""
    return [(name, GRAPH_ROLE_IDS[name]) for name in names]


def script_app_name(invitation: Invitation) -> str:
    """The app registration's name: the one "Create the app registration for me" proposes."""
    return _CONTROL.sub(" ", default_app_name(invitation))


def setup_script(invitation: Invitation, kind: str) -> SetupScript:
    """The script ``kind`` (``powershell`` or ``azure-cli``) for this invitation."""
    chosen = KINDS[kind]
    quote = _powershell_literal if kind == POWERSHELL else _shell_literal
    service = invitation.service
    roles = list(settings.REQUIRED_DIRECTORY_ROLES)
    context = {
        "about": _CONTROL.sub(" ", f"{service.full_name} ({service.customer.name})"),
        "provider": _CONTROL.sub(" ", service.provider.name),
        "app_name": quote(script_app_name(invitation)),
        "tenant_id": known_tenant(invitation),
        "graph_app_id": GRAPH_APP_ID,
        "app_roles": _app_roles(permissions_wanted()),
        "directory_roles": [(role, DIRECTORY_ROLE_TEMPLATE_IDS[role]) for role in roles],
        "secret_days": SECRET_DAYS,
        "secret_name": quote(CREDENTIAL_DISPLAY_NAME),
    }
    text = render_to_string(chosen.template, context).rstrip("\n") + "\n"
    slug = slugify(service.short_name) or "service"
    return SetupScript(
        f"onramp-setup-{slug}.{chosen.extension}", ("\ufeff" if chosen.bom else "") + text
    )
