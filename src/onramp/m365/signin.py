"""The customer admin's delegated sign-in with the installation's own sign-in app (CONTRACT §3
``ONRAMP_SIGN_IN_*``, DESIGN "New parts and how they start", research/msidentity.md §6).

MSAL's ``ConfidentialClientApplication`` runs the authorization-code flow with PKCE; the
device-code flow needs a ``PublicClientApplication`` with the same client ID. ``offline_access``
is never asked for (no refresh token: a later resume asks for a new sign-in). The flow dicts MSAL
returns hold the PKCE verifier and nonce: the caller seals them. Neither a token nor a flow ever
appears in a ``repr`` or an exception message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msal

from onramp.m365.answers import token_claims
from onramp.m365.attempt import NoTokenCache
from onramp.m365.credentials import ClientCertificate, ClientSecret, Credential
from onramp.m365.transport import AttemptHttpClient, MicrosoftTransport, TransportError

GRAPH = "https://graph.microsoft.com"
# research/provisioning.md §A.1, plus the right to remove the sign-in app's own grant afterwards.
SIGN_IN_SCOPES = tuple(
    f"{GRAPH}/{scope}"
    for scope in (
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.Read.All",
        "DelegatedPermissionGrant.ReadWrite.All",
    )
)
# Directory roles as a delegated token's ``wids`` names them (active assignments only).
ADMIN_ROLE_TEMPLATE_IDS = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "cf1c38e5-3621-4004-a7cb-879624dced7c": "Application Developer",
}
_AADSTS = re.compile(r"AADSTS(\d+)")
_PENDING = frozenset({"authorization_pending", "slow_down"})


class SignInError(Exception):
    """Why a sign-in did not give a token. ``kind``: ``declined`` (consent or the sign-in was
    declined), ``blocked`` (Conditional Access), ``expired`` (the code or device code ran out),
    ``used`` (an authorization code presented twice), ``transient`` (no answer, 5xx, 429) or
    ``refused`` (anything else, quoted)."""

    def __init__(self, kind: str, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SignInApp:
    client_id: str
    credential: Credential

    @classmethod
    def from_settings(cls) -> SignInApp | None:
        """The configured sign-in app, or None when the sign-in methods are off."""
        from django.conf import settings

        if not settings.SIGN_IN_CLIENT_ID:
            return None
        if settings.SIGN_IN_CLIENT_SECRET:
            return cls(settings.SIGN_IN_CLIENT_ID, ClientSecret(settings.SIGN_IN_CLIENT_SECRET))
        with open(settings.SIGN_IN_CLIENT_CERTIFICATE, encoding="utf-8") as pem:
            return cls(settings.SIGN_IN_CLIENT_ID, certificate_from_pem(pem.read()))


def certificate_from_pem(text: str) -> ClientCertificate:
    """A PEM file holding a certificate and its private key, in either order."""
    found = re.finditer(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", text, re.DOTALL)
    parts = {match.group(1): match.group(0) + "\n" for match in found}
    certificate = parts.get("CERTIFICATE")
    key = next((value for name, value in parts.items() if name.endswith("PRIVATE KEY")), None)
    if certificate is None or key is None:
        raise ValueError("the PEM file must hold a certificate and its private key")
    return ClientCertificate.load(certificate, key)


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, to which tenant, with which active roles; the token for the writes."""

    access_token: str = field(repr=False)
    expires_at: datetime
    tenant_id: str
    user_principal_name: str
    roles: tuple[str, ...]

    @classmethod
    def from_result(cls, result: dict[str, Any], now: datetime) -> SignedIn:
        claims = token_claims(result["access_token"])
        id_claims = result.get("id_token_claims") or {}
        upn = id_claims.get("preferred_username") or claims.get("upn") or claims.get("unique_name")
        wids = [str(wid) for wid in claims.get("wids") or []]
        return cls(
            access_token=result["access_token"],
            expires_at=now + timedelta(seconds=int(result.get("expires_in") or 3600)),
            tenant_id=str(claims.get("tid") or id_claims.get("tid") or "").lower(),
            user_principal_name=str(upn or ""),
            roles=tuple(ADMIN_ROLE_TEMPLATE_IDS[w] for w in wids if w in ADMIN_ROLE_TEMPLATE_IDS),
        )


def _failure(body: dict[str, Any], status: int | None) -> SignInError:
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    match = _AADSTS.search(description)
    code = int(match.group(1)) if match else None
    if status == 429 or (status is not None and status >= 500):
        return SignInError(
            "transient", "Microsoft did not complete the sign-in just now; try again in a minute."
        )
    if code == 53003:
        return SignInError(
            "blocked",
            "Your organization's Conditional Access policies blocked this sign-in (AADSTS53003). "
            "Use Sign in with Microsoft on this device instead, or ask whoever manages "
            "Conditional Access in your tenant.",
            code=code,
        )
    if error in ("access_denied", "authorization_declined", "consent_required"):
        return SignInError(
            "declined",
            "The sign-in was cancelled or the permissions were declined, so nothing was "
            "created. To continue, sign in again and accept the permissions for your "
            "organization.",
            code=code,
        )
    if error in ("expired_token", "bad_verification_code"):
        return SignInError(
            "expired", "The sign-in code expired before the sign-in finished. Start again."
        )
    if error == "invalid_grant":
        return SignInError(
            "used",
            "This sign-in was already used or has expired. Sign in again to continue.",
            code=code,
        )
    label = f"AADSTS{code}" if code is not None else error or "an error"
    text = description.split("\n")[0].split(": ", 1)[-1] if description else ""
    return SignInError("refused", f"Microsoft refused the sign-in with {label}: {text}", code=code)


class SignInClient:
    """One sign-in app against the configured Microsoft endpoints."""

    def __init__(self, transport: MicrosoftTransport, app: SignInApp) -> None:
        self.transport = transport
        self.app = app

    def __repr__(self) -> str:
        return f"SignInClient({self.app.client_id})"

    def authority(self, tenant: str | None) -> str:
        return f"{self.transport.config.authority}/{tenant or 'organizations'}"

    def _msal(self, tenant: str | None, http: AttemptHttpClient, *, public: bool = False) -> Any:
        common = {
            "authority": self.authority(tenant),
            "instance_discovery": False,
            "http_client": http,
            "token_cache": NoTokenCache(),
            "exclude_scopes": ["offline_access"],
        }
        if public:
            return msal.PublicClientApplication(self.app.client_id, **common)
        return msal.ConfidentialClientApplication(
            self.app.client_id, client_credential=self.app.credential.msal_credential(), **common
        )

    def _ask(
        self, tenant: str | None, call: Callable[[Any], dict[str, Any]], *, public: bool = False
    ) -> tuple[dict[str, Any], AttemptHttpClient]:
        """``call`` with a fresh MSAL application (building one reads the discovery document,
        so it is inside the guard too); the answer and the HTTP client that saw the statuses."""
        http = AttemptHttpClient(self.transport)
        try:
            return call(self._msal(tenant, http, public=public)), http
        except TransportError as exc:
            raise SignInError(
                "transient", f"Microsoft could not be reached for the sign-in ({exc.detail})."
            ) from None
        except (ValueError, msal.exceptions.MsalServiceError) as exc:
            if http.last_status and (http.last_status >= 500 or http.last_status == 429):
                raise SignInError(
                    "transient", "Microsoft did not answer the sign-in just now; try again."
                ) from None
            raise SignInError("refused", f"The sign-in could not be started: {exc}") from None

    def auth_code_start(
        self, tenant: str | None, redirect_uri: str, *, login_hint: str | None = None
    ) -> dict[str, Any]:
        """The flow to seal; its ``auth_uri`` is where the browser goes, ``state`` comes back."""
        flow, _ = self._ask(
            tenant,
            lambda app: app.initiate_auth_code_flow(
                list(SIGN_IN_SCOPES), redirect_uri=redirect_uri, login_hint=login_hint
            ),
        )
        return flow

    def auth_code_finish(
        self, tenant: str | None, flow: dict[str, Any], params: dict[str, str], now: datetime
    ) -> SignedIn:
        """Redeem the code Microsoft sent back (PKCE verifier and nonce from ``flow``)."""
        if params.get("error"):
            raise _failure(params, None)
        result, http = self._ask(
            tenant, lambda app: app.acquire_token_by_auth_code_flow(flow, params)
        )
        if "access_token" not in result:
            raise _failure(result, http.last_status)
        return SignedIn.from_result(result, now)

    def device_start(self, tenant: str | None) -> dict[str, Any]:
        """The device flow: ``user_code`` and ``verification_uri`` to show, the rest to seal."""
        flow, http = self._ask(
            tenant, lambda app: app.initiate_device_flow(scopes=list(SIGN_IN_SCOPES)), public=True
        )
        if "user_code" not in flow:
            raise _failure(flow, http.last_status)
        return flow

    def device_poll(
        self, tenant: str | None, flow: dict[str, Any], now: datetime
    ) -> SignedIn | None:
        """Ask once; None while the admin has not finished on the other device."""
        result, http = self._ask(
            tenant,
            lambda app: app.acquire_token_by_device_flow(flow, exit_condition=lambda _: True),
            public=True,
        )
        if "access_token" in result:
            return SignedIn.from_result(result, now)
        if result.get("error") in _PENDING:
            return None
        raise _failure(result, http.last_status)


def sign_in_client() -> SignInClient | None:
    """The configured sign-in client, or None when ``ONRAMP_SIGN_IN_CLIENT_ID`` is unset."""
    from onramp.m365.validation import get_client

    app = SignInApp.from_settings()
    return None if app is None else SignInClient(get_client().transport, app)
