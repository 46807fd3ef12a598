"""Client authentication at the token endpoint: a secret, or a certificate-signed assertion.

Assertions are checked as Entra does: the key named by `x5t` / `x5t#S256` among the app's
keyCredentials, the signature (RS256 / PS256), `iss` = `sub` = client id, `aud` = this token
endpoint, `exp` / `nbf`. The same assertion may be sent again until it expires (MSAL reuses it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

import jwt
from cryptography import x509

from onramp.sandbox.ests import error
from onramp.sandbox.model import Application, KeyCredential, utcnow, visible
from onramp.sandbox.web import Request, Response

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_SKEW = 300


def _digest(value: object) -> bytes:
    """A thumbprint header as bytes; Entra accepts base64url and (as MSAL sends) padded base64."""
    text = str(value or "").replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _find_key(app: Application, header: dict) -> KeyCredential | None:
    sha1, sha256 = _digest(header.get("x5t")), _digest(header.get("x5t#S256"))
    for key in app.keys:
        if not visible(key.visible_at):
            continue
        der = base64.b64decode(key.key)
        if sha1 and sha1 == hashlib.sha1(der).digest():  # noqa: S324 - x5t is SHA-1
            return key
        if sha256 and sha256 == hashlib.sha256(der).digest():
            return key
    return None


def check_assertion(
    request: Request, app: Application, assertion: str, audiences: set[str]
) -> Response | None:
    """None when the assertion proves the client; else Entra's error."""

    def invalid(code: int, message: str) -> Response:
        return error(request, 401, "invalid_client", code, message)

    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return invalid(50027, "JWT token is invalid or malformed.")
    key = _find_key(app, header)
    if key is None:
        thumbprint = header.get("x5t") or header.get("x5t#S256") or ""
        return invalid(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, "
            "Graph Explorer or directly use MS Graph to see configured keys for app Id "
            f"'{app.app_id}'.]",
        )
    public_key = x509.load_der_x509_certificate(base64.b64decode(key.key)).public_key()
    try:
        claims = jwt.decode(
            assertion, public_key, algorithms=["RS256", "PS256"],  # type: ignore[arg-type]
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False},
        )  # fmt: skip
    except jwt.PyJWTError:
        return invalid(700027, "Client assertion failed signature validation.")
    if not (claims.get("iss") == claims.get("sub") == app.app_id):
        return invalid(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )
    audience = claims.get("aud")
    if not isinstance(audience, str) or audience not in audiences:
        return invalid(
            700027,
            "Client assertion failed signature validation. [Reason - The audience claim is "
            f"invalid: '{audience}'.]",
        )
    now = datetime.now(UTC).timestamp()
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    in_range = (
        isinstance(exp, int | float)
        and isinstance(nbf, int | float)
        and not isinstance(exp, bool)
        and not isinstance(nbf, bool)
        and nbf <= now + _SKEW
        and exp >= now - _SKEW
    )
    if not in_range:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%m/%d/%Y %H:%M:%S")
        return invalid(
            700024,
            f"Client assertion is not within its valid time range. Current time: {stamp}, "
            f"assertion valid from {nbf}, expiry time of assertion {exp}.",
        )
    if key.end < utcnow():
        return invalid(
            700027,
            "Client assertion failed signature validation. [Reason - The certificate used to "
            "sign the client assertion is expired.]",
        )
    return None


def check_secret(request: Request, app: Application, secret: str) -> Response | None:
    now = utcnow()
    matches = [
        s
        for s in app.secrets
        if s.start <= now
        and visible(s.visible_at)
        and hmac.compare_digest(s.secret_text.encode(), secret.encode())
    ]
    if not matches:
        return error(
            request, 401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            f"'{app.app_id}'.",
        )  # fmt: skip
    if all(s.end <= now for s in matches):
        return error(
            request, 401, "invalid_client", 7000222,
            f"The provided client secret keys for app '{app.app_id}' are expired. Visit the "
            "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or "
            "consider using certificate credentials for added security: "
            "https://aka.ms/certCreds",
        )  # fmt: skip
    return None
