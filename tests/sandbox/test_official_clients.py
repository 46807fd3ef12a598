"""Microsoft's own Python clients, unchanged, against the sandbox: MSAL, azure-identity, msgraph.

If the sandbox drifts from what these clients accept, this suite fails.
"""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.application import Application
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph_core import GraphClientFactory

from onramp.sandbox.admin import SandboxAdmin
from tests.sandbox.flows import run_async

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
WRITER_PERMISSIONS = ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"]


def _certificate(tmp_path: Path) -> tuple[Path, str]:
    """A self-signed certificate with its key (PEM file for azure-identity), and the cert PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onramp test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "client.pem"
    path.write_text(key_pem + cert_pem)
    return path, cert_pem


@pytest.fixture
def app(admin: SandboxAdmin) -> dict:
    tenant = admin.create_tenant("Fabrikam")
    created = admin.create_application(
        tenant["tenant_id"],
        "writer",
        permissions=["Application.Read.All", *WRITER_PERMISSIONS],
        roles=["Teams Administrator"],
    )
    secret = admin.add_secret(tenant["tenant_id"], created["app_id"])
    return {**tenant, **created, "secret": secret["secret_text"]}


def _secret_credential(sandbox_url: str, ca: str, app: dict, **kw) -> ClientSecretCredential:
    return ClientSecretCredential(
        app["tenant_id"],
        app["app_id"],
        kw.pop("secret", app["secret"]),
        authority=sandbox_url,
        disable_instance_discovery=True,
        connection_verify=ca,
        **kw,
    )


def test_client_secret_credential(sandbox_server, app: dict) -> None:
    credential = _secret_credential(*sandbox_server, app)
    token = credential.get_token(GRAPH_SCOPE)
    assert token.token.count(".") == 2
    assert token.expires_on > datetime.now(UTC).timestamp() + 3000


def test_client_secret_credential_errors(sandbox_server, app: dict) -> None:
    wrong = _secret_credential(*sandbox_server, app, secret="nope")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        wrong.get_token(GRAPH_SCOPE)


def test_certificate_credential_and_reuse(sandbox_server, admin, app, tmp_path) -> None:
    path, cert_pem = _certificate(tmp_path)
    uploaded = admin.add_certificate(app["tenant_id"], app["app_id"], cert_pem)
    assert re.fullmatch(r"[0-9A-F]{40}", uploaded["thumbprint_sha1"])
    credential = CertificateCredential(
        app["tenant_id"],
        app["app_id"],
        str(path),
        authority=sandbox_server[0],
        disable_instance_discovery=True,
        connection_verify=sandbox_server[1],
    )
    assert credential.get_token(GRAPH_SCOPE).token.count(".") == 2
    other, _ = _certificate(tmp_path / "..")
    stranger = CertificateCredential(
        app["tenant_id"],
        app["app_id"],
        str(other),
        authority=sandbox_server[0],
        disable_instance_discovery=True,
        connection_verify=sandbox_server[1],
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        stranger.get_token(GRAPH_SCOPE)


def _graph_client(sandbox_server, credential) -> GraphServiceClient:
    url, ca = sandbox_server
    host = urlsplit(url).hostname
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host]
    )
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca))
    )
    adapter = GraphRequestAdapter(auth, http)
    adapter.base_url = f"{url}/graph/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def test_msgraph_reads_and_writes(sandbox_server, app: dict) -> None:
    client = _graph_client(sandbox_server, _secret_credential(*sandbox_server, app))

    async def scenario() -> tuple:
        made = await client.applications.post(Application(display_name="Made by msgraph"))
        sp = await client.service_principals.post(ServicePrincipal(app_id=made.app_id))
        read = await client.applications.by_application_id(made.id).get()
        read_sp = await client.service_principals.by_service_principal_id(sp.id).get()
        return made, sp, read, read_sp

    made, sp, read, read_sp = run_async(scenario())
    assert read.app_id == made.app_id and read.display_name == "Made by msgraph"
    assert read_sp.app_id == made.app_id and read_sp.id == sp.id
    assert read.web.redirect_uris == [] and read.public_client.redirect_uris == []


def _drive_sign_in(
    session: requests.Session,
    response: requests.Response,
    upn: str,
    password: str,
    *,
    organization: bool = True,
) -> requests.Response:
    """Post the sign-in and consent forms as a browser would; return the final response."""

    def post(resp: requests.Response, fields: dict) -> requests.Response:
        action = re.search(r"action='([^']+)'", resp.text).group(1)
        ctx = re.search(r"name='ctx' value='([^']*)'", resp.text).group(1)
        base = f"{urlsplit(resp.url).scheme}://{urlsplit(resp.url).netloc}"
        return session.post(base + action, data={"ctx": ctx, **fields}, allow_redirects=False)

    assert "name='loginfmt'" in response.text and ">Next</button>" in response.text
    page = post(response, {"loginfmt": upn})
    assert "name='passwd'" in page.text and ">Sign in</button>" in page.text
    page = post(page, {"loginfmt": upn, "passwd": password})
    if "Consent on behalf of your organization" in page.text:
        fields = {"action": "accept", **({"consent_org": "true"} if organization else {})}
        page = post(page, {"loginfmt": upn, **fields})
    return page


def test_msal_public_client_auth_code_with_pkce(sandbox_server, http, admin, app) -> None:
    url, _ = sandbox_server
    upn = f"admin@{app['default_domain']}"
    admin.create_user(app["tenant_id"], upn, "Pa55word!", roles=["Global Administrator"])
    client = admin.create_application(
        app["tenant_id"],
        "sign-in",
        public_client=True,
        sign_in_audience="AzureADMultipleOrgs",
        redirect_uris=["http://localhost/callback"],
    )
    pca = msal.PublicClientApplication(
        client["app_id"],
        authority=f"{url}/organizations",
        http_client=http,
        instance_discovery=False,
    )
    flow = pca.initiate_auth_code_flow(
        ["https://graph.microsoft.com/Application.ReadWrite.All"],
        redirect_uri="http://localhost:8765/callback",
    )
    assert "code_challenge_method=S256" in flow["auth_uri"]
    final = _drive_sign_in(http, http.get(flow["auth_uri"]), upn, "Pa55word!")
    assert final.status_code == 302
    location = final.headers["Location"]
    assert location.startswith("http://localhost:8765/callback?code=")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    result = pca.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = result["id_token_claims"]
    assert (claims["preferred_username"], claims["tid"]) == (upn, app["tenant_id"])
    replay = http.post(
        f"{url}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client["app_id"],
            "code": answer["code"],
            "redirect_uri": "http://localhost:8765/callback",
            "code_verifier": flow["code_verifier"],
        },
    )
    assert (replay.status_code, replay.json()["error_codes"]) == (400, [54005])
