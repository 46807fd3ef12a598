"""Issued tokens (claims, signature against the JWKS), discovery documents and MSAL."""

from __future__ import annotations

import time
import uuid

import jwt
import msal
import pytest
import requests
from jwt.algorithms import RSAAlgorithm

from onramp.sandbox.admin import SandboxAdmin

from .conftest import GRAPH_SCOPE, TEAMS_SCOPE, TokenCall

TEAMS_ADMIN = "69091246-20e8-4a56-aa4d-066075b2a7a8"
TEAMS_COMMS_ADMIN = "baf37b3a-610e-45da-9e62-d9d1e5e8914b"


def _verified_claims(http: requests.Session, url: str, world: dict, access_token: str) -> dict:
    """Verify the token with the published JWKS, selecting the key by kid as clients do."""
    keys = http.get(f"{url}/{world['tenant_id']}/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(access_token)
    (jwk,) = [key for key in keys if key["kid"] == header["kid"]]
    public = RSAAlgorithm.from_jwk(jwk)
    return jwt.decode(access_token, public, algorithms=["RS256"], options={"verify_aud": False})


def test_graph_token_claims(http, sandbox_url: str, world: dict, token: TokenCall) -> None:
    before = int(time.time())
    access_token = token().json()["access_token"]
    header = jwt.get_unverified_header(access_token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    assert header["x5t"] == header["kid"]
    claims = _verified_claims(http, sandbox_url, world, access_token)
    issuer = f"https://sts.windows.net/{world['tenant_id']}/"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert (claims["iss"], claims["idp"]) == (issuer, issuer)
    assert claims["tid"] == world["tenant_id"]
    assert claims["appid"] == world["app_id"]
    assert claims["oid"] == claims["sub"] == world["service_principal_id"]
    assert (claims["appidacr"], claims["idtyp"], claims["ver"]) == ("1", "app", "1.0")
    assert claims["roles"] == ["Organization.Read.All", "Application.Read.All"]
    assert claims["wids"] == [TEAMS_ADMIN]
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 3599
    assert isinstance(claims["uti"], str) and claims["uti"]
    assert "scp" not in claims


@pytest.mark.parametrize(
    ("scope", "audience"),
    [
        (GRAPH_SCOPE, "https://graph.microsoft.com"),
        ("00000003-0000-0000-c000-000000000000/.default", "00000003-0000-0000-c000-000000000000"),
        (TEAMS_SCOPE, "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"),
        (
            "https://api.interfaces.records.teams.microsoft.com/.default",
            "https://api.interfaces.records.teams.microsoft.com",
        ),
    ],
)
def test_audience_is_the_resource_as_requested(
    http, sandbox_url: str, world: dict, token: TokenCall, scope: str, audience: str
) -> None:
    claims = _verified_claims(http, sandbox_url, world, token(scope=scope).json()["access_token"])
    assert claims["aud"] == audience
    is_graph = audience in ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
    assert ("roles" in claims) is is_graph


def test_missing_consent_still_gets_a_token_without_roles(
    admin: SandboxAdmin, http, sandbox_url: str, world: dict, token: TokenCall
) -> None:
    admin.update_application(
        world["tenant_id"],
        world["app_id"],
        permissions=[],
        roles=["Teams Communications Administrator", "Global Reader"],
    )
    response = token()
    assert response.status_code == 200
    claims = _verified_claims(http, sandbox_url, world, response.json()["access_token"])
    assert "roles" not in claims
    assert claims["wids"] == [TEAMS_COMMS_ADMIN, "f2ef992c-3afb-46b9-b7cf-a126ee74c451"]


def test_discovery_by_guid_and_by_domain(http, sandbox_url: str, world: dict) -> None:
    tid = world["tenant_id"]
    root = f"{sandbox_url}/{tid}"
    for segment in (tid, world["default_domain"], world["custom_domain"]):
        response = http.get(f"{sandbox_url}/{segment}/v2.0/.well-known/openid-configuration")
        assert response.status_code == 200
        document = response.json()
        assert document["issuer"] == f"{root}/v2.0"
        assert document["token_endpoint"] == f"{root}/oauth2/v2.0/token"
        assert document["jwks_uri"] == f"{root}/discovery/v2.0/keys"
        assert document["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
        assert document["device_authorization_endpoint"] == f"{root}/oauth2/v2.0/devicecode"
        assert document["end_session_endpoint"] == f"{root}/oauth2/v2.0/logout"
        assert document["kerberos_endpoint"] == f"{root}/kerberos"
        assert document["token_endpoint_auth_methods_supported"] == [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ]
        assert document["id_token_signing_alg_values_supported"] == ["RS256"]
        assert document["cloud_instance_name"] == "microsoftonline.com"
        assert document["msgraph_host"] == "graph.microsoft.com"
        assert document["request_uri_parameter_supported"] is False
        assert response.headers["Cache-Control"] == "max-age=86400, private"


@pytest.mark.parametrize(
    ("segment", "error", "code"),
    [
        (str(uuid.uuid4()), "invalid_tenant", 90002),
        ("unknown.example", "invalid_tenant", 90002),
        ("1234-5678", "invalid_request", 900023),
        ("bad_tenant", "invalid_request", 900023),
    ],
)
def test_discovery_errors(http, sandbox_url: str, segment: str, error: str, code: int) -> None:
    response = http.get(f"{sandbox_url}/{segment}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")


def test_jwks_shape(http, sandbox_url: str, world: dict) -> None:
    keys = http.get(f"{sandbox_url}/{world['tenant_id']}/discovery/v2.0/keys").json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert (key["kty"], key["use"], key["e"]) == ("RSA", "sig", "AQAB")
    assert key["x5t"] == key["kid"]
    assert len(key["n"]) == 342  # 2048-bit modulus, base64url without padding
    assert key["issuer"] == f"{sandbox_url}/{world['tenant_id']}/v2.0"


def test_instance_discovery(http, sandbox_url: str) -> None:
    response = http.get(
        f"{sandbox_url}/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": f"{sandbox_url}/contoso.com/oauth2/v2.0/authorize",
        },
    )
    assert response.status_code == 200
    body = response.json()
    host = sandbox_url.removeprefix("https://")
    assert body["api-version"] == "1.1"
    assert body["tenant_discovery_endpoint"] == (
        f"{sandbox_url}/contoso.com/v2.0/.well-known/openid-configuration"
    )
    assert body["metadata"][0] == {
        "preferred_network": host,
        "preferred_cache": host,
        "aliases": [host],
    }
    assert "login.microsoftonline.com" in body["metadata"][1]["aliases"]


def test_device_code(http, sandbox_url: str, world: dict) -> None:
    response = http.post(
        f"{sandbox_url}/{world['tenant_id']}/oauth2/v2.0/devicecode",
        data={"client_id": world["app_id"], "scope": f"{GRAPH_SCOPE} offline_access"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "user_code",
        "device_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    }
    assert (body["verification_uri"], body["expires_in"], body["interval"]) == (
        "https://microsoft.com/devicelogin",
        900,
        5,
    )
    assert len(body["user_code"]) == 9 and body["user_code"] in body["message"]
    unknown = http.post(
        f"{sandbox_url}/{world['tenant_id']}/oauth2/v2.0/devicecode",
        data={"client_id": str(uuid.uuid4()), "scope": GRAPH_SCOPE},
    )
    assert (unknown.status_code, unknown.json()["error_codes"]) == (400, [700016])


def test_msal_gets_a_token(admin: SandboxAdmin, http, sandbox_url: str, world: dict) -> None:
    app = msal.ConfidentialClientApplication(
        world["app_id"],
        client_credential=world["secret"],
        authority=f"{sandbox_url}/{world['default_domain']}",
        instance_discovery=False,
        http_client=http,
    )
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result
    served = [(r["method"], r["path"], r["status"]) for r in admin.requests_served()[-2:]]
    assert served == [
        ("GET", f"/{world['default_domain']}/v2.0/.well-known/openid-configuration", 200),
        ("POST", f"/{world['tenant_id']}/oauth2/v2.0/token", 200),
    ]
    claims = _verified_claims(http, sandbox_url, world, result["access_token"])
    assert (claims["appid"], claims["tid"]) == (world["app_id"], world["tenant_id"])


def test_msal_reports_a_wrong_secret(http, sandbox_url: str, world: dict) -> None:
    app = msal.ConfidentialClientApplication(
        world["app_id"],
        client_credential="wrong",
        authority=f"{sandbox_url}/{world['tenant_id']}",
        instance_discovery=False,
        http_client=http,
    )
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    assert (result["error"], result["error_codes"]) == ("invalid_client", [7000215])


def test_msal_constructor_fails_for_unknown_tenant(http, sandbox_url: str) -> None:
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        msal.ConfidentialClientApplication(
            str(uuid.uuid4()),
            client_credential="x",
            authority=f"{sandbox_url}/{uuid.uuid4()}",
            instance_discovery=False,
            http_client=http,
        )
