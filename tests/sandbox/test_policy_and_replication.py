"""The tenant's app-management policy, and objects still replicating (AADSTS700016 / 7000215 /
700027 until the delay has passed)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .flows import recent_certificate
from .test_graph_writes import _client_token, assert_graph_error
from .test_permissions import Graph, _app_only

AUDIENCE_TEXT = (
    "Client assertion failed signature validation. [Reason - The audience claim is invalid: '"
)
POLICY = "00000000-0000-0000-0000-000000000000"
DELAY_MS = 1500


@pytest.fixture
def writer(http, sandbox_url, admin: SandboxAdmin) -> Graph:
    """An app-only Graph client that may manage applications in a fresh tenant."""
    tenant_id = admin.create_tenant("Fabrikam")["tenant_id"]
    graph = _app_only(
        http, sandbox_url, admin, tenant_id, permissions=["Application.ReadWrite.All"]
    )
    graph.tenant_id = tenant_id  # type: ignore[attr-defined]
    return graph


def _app(writer: Graph, with_sp: bool = True) -> dict:
    made = writer("POST", "/applications", {"displayName": "connector"}).json()
    if with_sp:
        assert writer("POST", "/servicePrincipals", {"appId": made["appId"]}).status_code == 201
    return made


def _key(cert) -> dict:
    return {"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert.der_b64}


def _assertion(cert, app_id: str, audience: str, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": app_id,
        "sub": app_id,
        "aud": audience,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, cert.key_pem, algorithm="RS256", headers={"x5t": _x5t(cert)})


def _x5t(cert) -> str:
    import base64

    return base64.urlsafe_b64encode(bytes.fromhex(cert.thumbprint_hex)).rstrip(b"=").decode()


def _with_assertion(http, url: str, tenant_id: str, app_id: str, assertion: str):
    return _client_token(
        http,
        url,
        tenant_id,
        app_id,
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion,
    )


def _aad(response: requests.Response, status: int, error: str, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    return body["error_description"]


def test_policy_forbidding_passwords(writer: Graph, admin, http, sandbox_url) -> None:
    made = _app(writer)
    assert admin.set_policy(writer.tenant_id, passwords_allowed=False) == {
        "passwords_allowed": False,
        "max_password_lifetime_days": None,
    }
    assert_graph_error(
        writer("POST", f"/applications/{made['id']}/addPassword", {}),
        400,
        "CredentialTypeNotAllowedAsPerAppPolicy",
        f"Password addition is not allowed as per assigned policy '{POLICY}'.",
    )
    assert writer("GET", f"/applications/{made['id']}").json()["passwordCredentials"] == []
    # The certificate path is unaffected.
    cert = recent_certificate()
    patched = writer("PATCH", f"/applications/{made['id']}", {"keyCredentials": [_key(cert)]})
    assert patched.status_code == 204
    aud = f"{sandbox_url}/{writer.tenant_id}/oauth2/v2.0/token"
    token = _with_assertion(
        http, sandbox_url, writer.tenant_id, made["appId"], _assertion(cert, made["appId"], aud)
    )
    assert token.status_code == 200, token.text


def test_policy_capping_password_lifetime(writer: Graph, admin) -> None:
    made = _app(writer)
    admin.set_policy(writer.tenant_id, max_password_lifetime_days=90)
    too_long = {
        "passwordCredential": {
            "startDateTime": "2026-03-01T00:00:00Z",
            "endDateTime": "2026-05-30T00:00:01Z",
        }
    }
    message = (
        f"Credential lifetime exceeds the max value allowed as per assigned policy '{POLICY}'."
    )
    path = f"/applications/{made['id']}/addPassword"
    assert_graph_error(
        writer("POST", path, too_long), 400, "CredentialInvalidLifetimeAsPerAppPolicy", message
    )
    # The default lifetime (two years) is refused too; exactly 90 days is allowed.
    assert_graph_error(
        writer("POST", path, {}), 400, "CredentialInvalidLifetimeAsPerAppPolicy", message
    )
    within = {
        "passwordCredential": {
            "startDateTime": "2026-03-01T00:00:00Z",
            "endDateTime": "2026-05-30T00:00:00Z",
        }
    }
    added = writer("POST", path, within)
    assert added.status_code == 200
    assert added.json()["endDateTime"] == "2026-05-30T00:00:00Z"
    cert = recent_certificate()
    patch = {"keyCredentials": [_key(cert)]}
    assert writer("PATCH", f"/applications/{made['id']}", patch).status_code == 204


def _until_ok(call, timeout: float = 10.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = call()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_new_application_is_unknown_to_the_token_endpoint_for_a_while(
    writer: Graph, admin, http, sandbox_url
) -> None:
    admin.set_faults(replication_delay_ms=DELAY_MS)
    made = _app(writer)
    secret = writer("POST", f"/applications/{made['id']}/addPassword", {}).json()["secretText"]
    # Graph sees the new objects at once; the token endpoint does not.
    assert writer("GET", f"/applications/{made['id']}").status_code == 200

    def call() -> requests.Response:
        return _client_token(
            http, sandbox_url, writer.tenant_id, made["appId"], client_secret=secret
        )

    description = _aad(call(), 400, "unauthorized_client", 700016)
    assert description.startswith(
        f"AADSTS700016: Application with identifier '{made['appId']}' was not found in the "
        "directory 'Fabrikam'."
    )
    assert _until_ok(call).status_code == 200


def test_new_secret_is_refused_for_a_while(writer: Graph, admin, http, sandbox_url) -> None:
    made = _app(writer)
    admin.set_faults(replication_delay_ms=DELAY_MS)
    secret = writer("POST", f"/applications/{made['id']}/addPassword", {}).json()["secretText"]

    def call() -> requests.Response:
        return _client_token(
            http, sandbox_url, writer.tenant_id, made["appId"], client_secret=secret
        )

    _aad(call(), 401, "invalid_client", 7000215)
    assert _until_ok(call).status_code == 200


def test_new_certificate_is_refused_for_a_while(writer: Graph, admin, http, sandbox_url) -> None:
    made = _app(writer)
    admin.set_faults(replication_delay_ms=DELAY_MS)
    cert = recent_certificate()
    writer("PATCH", f"/applications/{made['id']}", {"keyCredentials": [_key(cert)]})
    aud = f"{sandbox_url}/{writer.tenant_id}/oauth2/v2.0/token"

    def call() -> requests.Response:
        assertion = _assertion(cert, made["appId"], aud)
        return _with_assertion(http, sandbox_url, writer.tenant_id, made["appId"], assertion)

    description = _aad(call(), 401, "invalid_client", 700027)
    assert "The key was not found." in description
    assert _until_ok(call).status_code == 200


class TestClientAssertions:
    @pytest.fixture
    def signer(self, writer: Graph, sandbox_url) -> dict:
        made = _app(writer)
        cert = recent_certificate()
        patch = {"keyCredentials": [_key(cert)]}
        assert writer("PATCH", f"/applications/{made['id']}", patch).status_code == 204
        aud = f"{sandbox_url}/{writer.tenant_id}/oauth2/v2.0/token"
        return {"app": made, "cert": cert, "aud": aud, "tenant_id": writer.tenant_id}

    def _send(self, http, sandbox_url, signer: dict, assertion: str) -> requests.Response:
        app_id = signer["app"]["appId"]
        return _with_assertion(http, sandbox_url, signer["tenant_id"], app_id, assertion)

    def test_reused_until_it_expires(self, http, sandbox_url, signer) -> None:
        assertion = _assertion(signer["cert"], signer["app"]["appId"], signer["aud"])
        for _ in range(3):
            response = self._send(http, sandbox_url, signer, assertion)
            assert response.status_code == 200, response.text
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["appidacr"] == "2"

    @pytest.mark.parametrize(
        ("claims", "code", "text"),
        [
            ({"aud": "https://login.example/token"}, 700027, AUDIENCE_TEXT),
            ({"aud": ["https://login.example/token"]}, 700027, AUDIENCE_TEXT),
            ({"exp": int(time.time()) - 3600}, 700024, "Client assertion is not within its valid"),
            ({"nbf": int(time.time()) + 3600}, 700024, "Client assertion is not within its valid"),
            ({"nbf": "soon"}, 700024, "Client assertion is not within its valid"),
            ({"iss": "someone-else"}, 700021, "Client assertion application identifier"),
        ],
        ids=["aud", "aud-list", "expired", "nbf-future", "nbf-text", "iss"],
    )
    def test_refused(self, http, sandbox_url, signer, claims, code, text) -> None:
        assertion = _assertion(signer["cert"], signer["app"]["appId"], signer["aud"], **claims)
        description = _aad(
            self._send(http, sandbox_url, signer, assertion), 401, "invalid_client", code
        )
        assert description.startswith(f"AADSTS{code}: {text}")

    def test_unknown_thumbprint(self, http, sandbox_url, signer) -> None:
        stranger = recent_certificate("stranger")
        assertion = _assertion(stranger, signer["app"]["appId"], signer["aud"])
        description = _aad(
            self._send(http, sandbox_url, signer, assertion), 401, "invalid_client", 700027
        )
        assert description.startswith(
            "AADSTS700027: Client assertion failed signature validation. [Reason - The key was "
            f"not found., Thumbprint of key used by client: '{_x5t(stranger)}'"
        )

    def test_signed_by_another_key_with_the_right_thumbprint(
        self, http, sandbox_url, signer
    ) -> None:
        forger = recent_certificate("forger")
        now = int(time.time())
        payload = {
            "iss": signer["app"]["appId"],
            "sub": signer["app"]["appId"],
            "aud": signer["aud"],
            "nbf": now,
            "exp": now + 600,
        }
        forged = jwt.encode(
            payload, forger.key_pem, algorithm="RS256", headers={"x5t": _x5t(signer["cert"])}
        )
        description = _aad(
            self._send(http, sandbox_url, signer, forged), 401, "invalid_client", 700027
        )
        assert description.startswith("AADSTS700027: Client assertion failed signature validation.")
