"""Browser-side helpers for the sandbox's sign-in pages, PKCE and certificates (no mocks).

The pages are driven with `requests` exactly as a browser posts them: the form's `action`, its
hidden `ctx`, the inputs Microsoft names (`loginfmt`, `passwd`, `otc`) and the consent buttons.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PASSWORD = "Pa55word!"
REDIRECT = "http://localhost/callback"
WRITE_SCOPES = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
]
# A fixed moment for certificates whose dates the tests compare (never the wall clock).
NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Certificate:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    key_pem: str
    cert_pem: str

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def thumbprint_hex(self) -> str:
        return hashlib.sha1(self.der).hexdigest().upper()  # noqa: S324 - x5t is SHA-1

    @property
    def der_b64(self) -> str:
        return base64.b64encode(self.der).decode()

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.thumbprint_hex}.pem"
        path.write_text(self.key_pem + self.cert_pem)
        return path


def certificate(
    not_before: datetime = NOT_BEFORE, not_after: datetime = NOT_AFTER, name: str = "onramp test"
) -> Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
    builder = builder.public_key(key.public_key()).serial_number(x509.random_serial_number())
    builder = builder.not_valid_before(not_before).not_valid_after(not_after)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Certificate(key, cert, key_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


def recent_certificate(name: str = "onramp test") -> Certificate:
    """Valid now: for signing assertions (the dates themselves are never asserted)."""
    now = datetime.now(UTC)
    return certificate(now - timedelta(hours=1), now + timedelta(days=30), name)


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_fields(page: requests.Response) -> tuple[str, str]:
    """(action, ctx) of the page's form."""
    action = re.search(r"action='([^']+)'", page.text)
    ctx = re.search(r"name='ctx' value='([^']*)'", page.text)
    assert action and ctx, page.text
    return action.group(1), ctx.group(1)


def post_form(
    session: requests.Session, page: requests.Response, fields: dict
) -> requests.Response:
    action, ctx = form_fields(page)
    parts = urlsplit(page.url)
    return session.post(
        f"{parts.scheme}://{parts.netloc}{action}",
        data={"ctx": ctx, **fields},
        allow_redirects=False,
    )


def sign_in(
    session: requests.Session, page: requests.Response, upn: str, password: str = PASSWORD
) -> requests.Response:
    """Username (Next), then password (Sign in); the page after the password."""
    assert "name='loginfmt'" in page.text and ">Next</button>" in page.text, page.text
    page = post_form(session, page, {"loginfmt": upn})
    assert "name='passwd'" in page.text and ">Sign in</button>" in page.text, page.text
    return post_form(session, page, {"loginfmt": upn, "passwd": password})


def answer_consent(
    session: requests.Session, page: requests.Response, *, accept: bool = True, org: bool = True
) -> requests.Response:
    assert page.status_code == 200 and "<h1>Permissions requested</h1>" in page.text, page.text
    fields = {"action": "accept" if accept else "cancel"}
    if org:
        assert "Consent on behalf of your organization" in page.text
        fields["consent_org"] = "true"
    return post_form(session, page, fields)


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def authorize_url(base: str, segment: str, client_id: str, scopes: list[str], **extra: str) -> str:
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": " ".join(scopes),
        "state": "st-1",
        **extra,
    }
    return f"{base}/{segment}/oauth2/v2.0/authorize?{urlencode(query)}"


def code_for(
    session: requests.Session,
    base: str,
    segment: str,
    client_id: str,
    upn: str,
    scopes: list[str],
    *,
    challenge: str,
    org: bool = True,
) -> dict[str, str]:
    """Sign in (and consent when asked); the redirect's parameters (code, state...)."""
    url = authorize_url(
        base, segment, client_id, scopes, code_challenge=challenge, code_challenge_method="S256"
    )
    page = sign_in(session, session.get(url), upn)
    if page.status_code == 200 and "Permissions requested" in page.text:
        page = answer_consent(session, page, org=org)
    return redirect_params(page)


def delegated_token(
    session: requests.Session,
    base: str,
    segment: str,
    client_id: str,
    upn: str,
    scopes: list[str] | None = None,
    *,
    org: bool = True,
) -> str:
    """A delegated Graph access token for `upn` through auth code + PKCE (a public client)."""
    verifier, challenge = pkce()
    graph = [f"https://graph.microsoft.com/{s}" for s in scopes or WRITE_SCOPES]
    params = code_for(session, base, segment, client_id, upn, graph, challenge=challenge, org=org)
    response = session.post(
        f"{base}/{segment}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def run_async(coroutine: Any) -> Any:
    """Run an async client (msgraph-sdk) to completion on a thread of its own: earlier tests in
    the same process (Playwright's sync API) may have left an event loop running on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
