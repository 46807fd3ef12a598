"""The token endpoint reproduces every row of microsoft-cases.json `token_endpoint`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from onramp.sandbox.admin import SandboxAdmin

from .conftest import TEAMS_SCOPE, TokenCall

TRAILER = re.compile(
    r"\r\nTrace ID: ([0-9a-f-]{36})\r\nCorrelation ID: ([0-9a-f-]{36})\r\n"
    r"Timestamp: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)$"
)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ERROR_FIELDS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
    "error_uri",
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _disabled(admin: SandboxAdmin, world: dict) -> dict:
    admin.update_application(world["tenant_id"], world["app_id"], enabled=False)
    return {}


def _expired(admin: SandboxAdmin, world: dict) -> dict:
    past = timezone.now() - timedelta(days=1)
    secret = admin.add_secret(world["tenant_id"], world["app_id"], end_date_time=_iso(past))
    return {"client_secret": secret["secret_text"]}


def _not_yet_valid(admin: SandboxAdmin, world: dict) -> dict:
    future = timezone.now() + timedelta(days=1)
    secret = admin.add_secret(world["tenant_id"], world["app_id"], start_date_time=_iso(future))
    return {"client_secret": secret["secret_text"]}


def _no_teams(admin: SandboxAdmin, world: dict) -> dict:
    tenant = admin.create_tenant("No Teams Inc", teams=False)
    app = admin.create_application(tenant["tenant_id"], "app")
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])
    return {
        "tenant": tenant["tenant_id"],
        "client_id": app["app_id"],
        "client_secret": secret["secret_text"],
        "scope": TEAMS_SCOPE,
    }


Setup = Callable[[SandboxAdmin, dict], dict]
CASES: list[tuple[str, Setup, int, str, int]] = [
    ("tenant well-formed but unknown", lambda a, w: {"tenant": str(uuid.uuid4())},
     400, "invalid_tenant", 90002),
    ("tenant domain unknown", lambda a, w: {"tenant": "nowhere.example"},
     400, "invalid_tenant", 90002),
    ("tenant identifier malformed", lambda a, w: {"tenant": "1234-abcd-12"},
     400, "invalid_request", 900023),
    ("tenant with a stray character", lambda a, w: {"tenant": "not_a_tenant"},
     400, "invalid_request", 900023),
    ("client id not found in tenant", lambda a, w: {"client_id": str(uuid.uuid4())},
     400, "unauthorized_client", 700016),
    ("application disabled", _disabled, 400, "unauthorized_client", 7000112),
    ("no secret and no assertion", lambda a, w: {"client_secret": None},
     401, "invalid_client", 7000218),
    ("wrong secret", lambda a, w: {"client_secret": "nope"}, 401, "invalid_client", 7000215),
    ("the secret ID instead of its value", lambda a, w: {"client_secret": w["key_id"]},
     401, "invalid_client", 7000215),
    ("secret not yet valid", _not_yet_valid, 401, "invalid_client", 7000215),
    ("expired secret", _expired, 401, "invalid_client", 7000222),
    ("scope without /.default",
     lambda a, w: {"scope": "https://graph.microsoft.com/Organization.Read.All"},
     400, "invalid_scope", 1002012),
    ("unknown resource", lambda a, w: {"scope": "https://example.com/.default"},
     400, "invalid_resource", 500011),
    ("resource not present in tenant (no Teams)", _no_teams, 400, "invalid_resource", 500011),
    ("grant type not client_credentials", lambda a, w: {"grant_type": "password"},
     400, "unsupported_grant_type", 70003),
    ("client assertion (no certificates exist)",
     lambda a, w: {"client_secret": None, "client_assertion": "e30.e30.sig",
                   "client_assertion_type": JWT_BEARER},
     401, "invalid_client", 700027),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "status", "error", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_token_errors(
    admin: SandboxAdmin,
    world: dict,
    token: TokenCall,
    setup: Setup,
    status: int,
    error: str,
    code: int,
) -> None:
    response = token(**setup(admin, world))
    assert response.status_code == status
    body = response.json()
    assert set(body) == ERROR_FIELDS
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    trailer = TRAILER.search(body["error_description"])
    assert trailer is not None
    assert trailer.groups() == (body["trace_id"], body["correlation_id"], body["timestamp"])
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"


def test_error_texts_are_microsofts(world: dict, token: TokenCall) -> None:
    wrong = token(client_secret="nope").json()["error_description"]
    assert wrong.startswith(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID, for a secret added to "
        f"app '{world['app_id']}'.\r\n"
    )
    unknown = token(tenant="nowhere.example").json()["error_description"]
    assert unknown.startswith("AADSTS90002: Tenant 'nowhere.example' not found.")


def test_correlation_id_echoes_client_request_id(token: TokenCall) -> None:
    sent = str(uuid.uuid4())
    body = token(client_secret="nope", headers={"client-request-id": sent}).json()
    assert body["correlation_id"] == sent
    assert f"\r\nCorrelation ID: {sent}\r\n" in body["error_description"]


def test_check_order_grant_type_before_tenant(token: TokenCall) -> None:
    body = token(tenant="not_a_tenant", grant_type="password").json()
    assert body["error_codes"] == [70003]


def test_check_order_disabled_before_secret(admin: SandboxAdmin, world: dict, token: TokenCall):
    admin.update_application(world["tenant_id"], world["app_id"], enabled=False)
    assert token(client_secret="wrong").json()["error_codes"] == [7000112]


def test_expired_secret_is_checked_before_scope(
    admin: SandboxAdmin, world: dict, token: TokenCall
) -> None:
    fields = _expired(admin, world)
    assert token(scope="no-default", **fields).json()["error_codes"] == [7000222]


def test_deleted_secret_no_longer_works(admin: SandboxAdmin, world: dict, token: TokenCall):
    assert token().status_code == 200
    admin.delete_secret(world["tenant_id"], world["app_id"], world["key_id"])
    assert token().json()["error_codes"] == [7000215]


def test_success_body_and_headers(token: TokenCall) -> None:
    response = token()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert (body["token_type"], body["expires_in"], body["ext_expires_in"]) == (
        "Bearer",
        3599,
        3599,
    )
    assert response.headers["Cache-Control"] == "no-store, no-cache"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_tenant_domain_and_basic_auth(http, sandbox_url: str, world: dict) -> None:
    for tenant in (world["default_domain"], world["custom_domain"], world["custom_domain"].upper()):
        response = http.post(
            f"{sandbox_url}/{tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "scope": "https://graph.microsoft.com/.default",
            },
            auth=(world["app_id"], world["secret"]),
        )
        assert response.status_code == 200, response.text


def test_get_on_token_endpoint_is_refused(http, sandbox_url: str, world: dict) -> None:
    response = http.get(f"{sandbox_url}/{world['tenant_id']}/oauth2/v2.0/token")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900561]


def test_multiple_resources_are_refused(token: TokenCall) -> None:
    body = token(scope=f"https://graph.microsoft.com/.default {TEAMS_SCOPE}").json()
    assert (body["error"], body["error_codes"]) == ("invalid_scope", [700022])
