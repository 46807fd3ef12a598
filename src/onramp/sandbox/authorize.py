"""Microsoft-shaped sign-in pages: /authorize, /devicelogin, the consent page and adminconsent.

Inputs and buttons are named as Microsoft's: `loginfmt` then `passwd` (**Next**, **Sign in**),
consent with **Consent on behalf of your organization** and **Accept** / **Cancel**, and the
device-code page's `otc` (**Next**). Every form posts to `/{tenant}/login` with its `ctx`.
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from urllib.parse import urlencode, urlsplit

from onramp.sandbox import delegated
from onramp.sandbox.directory import redirect_uris
from onramp.sandbox.model import Tenant, User
from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response

_MULTI = ("common", "organizations")


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    return Response(status, text.encode(), headers)


def _form(action: str, ctx: str, inner: str) -> str:
    return (
        f"<form method='post' action='{html.escape(action)}'>"
        f"<input type='hidden' name='ctx' value='{ctx}'>{inner}</form>"
    )


def _redirect(uri: str, params: dict) -> Response:
    glue = "&" if urlsplit(uri).query else "?"
    return Response(302, b"", {"Location": f"{uri}{glue}{urlencode(params)}"})


def _matches(registered: list[str], uri: str) -> bool:
    """Exact match; for http://localhost the port is ignored, as Entra does for native apps."""
    parts = urlsplit(uri)
    for item in registered:
        if item == uri:
            return True
        known = urlsplit(item)
        if (
            parts.scheme == known.scheme == "http"
            and parts.hostname == known.hostname == ("localhost")
            and parts.path == known.path
        ):
            return True
    return False


class Pages:
    def __init__(self, world: World) -> None:
        self.world = world

    def _error_page(self, code: int, message: str) -> Response:
        return _page("Sign in", f"<p role='alert'>AADSTS{code}: {html.escape(message)}</p>", 400)

    def authorize(self, request: Request, segment: str) -> Response:
        q = request.query
        with self.world.lock:
            home = self.world.home_of(q.get("client_id", ""))
            if home is None:
                return self._error_page(
                    700016,
                    f"Application with identifier "
                    f"'{q.get('client_id', '')}' was not found in the directory.",
                )
            app = home[1]
            if not _matches(redirect_uris(app), q.get("redirect_uri", "")):
                return self._error_page(
                    50011,
                    "The redirect URI "
                    f"'{q.get('redirect_uri', '')}' specified in the request "
                    "does not match the redirect URIs configured for the "
                    f"application '{app.app_id}'.",
                )
            if q.get("response_type") != "code":
                return _redirect(
                    q["redirect_uri"],
                    {
                        "error": "unsupported_response_type",
                        "error_description": "AADSTS70005: response_type is not supported.",
                        "state": q.get("state", ""),
                    },
                )
            scopes = delegated.split_scopes(q.get("scope", ""))
            if scopes is None:
                return _redirect(
                    q["redirect_uri"],
                    {
                        "error": "invalid_scope",
                        "error_description": "AADSTS70011: The provided value for the "
                        "input parameter 'scope' is not valid.",
                        "state": q.get("state", ""),
                    },
                )
            ctx = secrets.token_urlsafe(24)
            self.world.pending[f"flow:{ctx}"] = {
                "kind": "code",
                "segment": segment,
                "client_id": app.app_id,
                "redirect_uri": q["redirect_uri"],
                "state": q.get("state"),
                "nonce": q.get("nonce"),
                "challenge": q.get("code_challenge"),
                "method": q.get("code_challenge_method", "plain"),
                "graph": scopes[0],
                "oidc": scopes[1],
                "prompt": q.get("prompt", ""),
            }
        return self._sign_in(segment, ctx, q.get("login_hint", ""))

    @staticmethod
    def _sign_in(segment: str, ctx: str, hint: str = "", note: str = "") -> Response:
        alert = f"<p role='alert'>{html.escape(note)}</p>" if note else ""
        return _page(
            "Sign in",
            alert
            + _form(
                f"/{segment}/login",
                ctx,
                "<label for='i0116'>Email, phone, or Skype</label>"
                f"<input id='i0116' type='email' name='loginfmt' value='{html.escape(hint)}'>"
                "<button type='submit'>Next</button>",
            ),
        )

    def devicelogin(self, request: Request) -> Response:
        if request.method == "GET":
            return _page(
                "Enter code",
                _form(
                    "/devicelogin",
                    "",
                    "<label for='otc'>Enter the code displayed on your app or device.</label>"
                    "<input id='otc' name='otc'><button type='submit'>Next</button>",
                ),
            )
        code = request.form().get("otc", "").strip().upper()
        with self.world.lock:
            device_code = self.world.pending.get(f"user_code:{code}")
            record = self.world.pending.get(f"device:{device_code}") if device_code else None
            if record is None or record["expires"] < time.time():
                return _page(
                    "Enter code",
                    "<p role='alert'>That code didn't work. Check the code and try again.</p>",
                    400,
                )
            scopes = delegated.split_scopes(record["scope"]) or ([], [])
            ctx = secrets.token_urlsafe(24)
            self.world.pending[f"flow:{ctx}"] = {
                "kind": "device",
                "segment": record["segment"],
                "client_id": record["client_id"],
                "device_code": device_code,
                "graph": scopes[0],
                "oidc": scopes[1],
                "prompt": "",
            }
        return self._sign_in(record["segment"], ctx)

    def login(self, request: Request, segment: str) -> Response:
        form = request.form()
        with self.world.lock:
            flow = self.world.pending.get(f"flow:{form.get('ctx', '')}")
            if flow is None:
                return self._error_page(
                    50058, "A silent sign-in request was sent but no user is signed in."
                )
            return self._step(flow, form)

    def _step(self, flow: dict, form: dict) -> Response:
        ctx, segment = form["ctx"], flow["segment"]
        upn = form.get("loginfmt", "").strip()
        tenant = self.world.resolve(upn.rpartition("@")[2]) if "@" in upn else None
        user = tenant.find_user(upn) if tenant else None
        if "action" in form and "user_id" in flow:
            return self._consent_answer(flow, form)
        if user is None or tenant is None:
            return self._sign_in(
                segment,
                ctx,
                upn,
                "This username may be incorrect. Make sure "
                "you typed it correctly. Otherwise, contact your admin.",
            )
        if "passwd" not in form:
            return _page(
                "Enter password",
                _form(
                    f"/{segment}/login",
                    ctx,
                    f"<input type='hidden' name='loginfmt' value='{html.escape(upn)}'>"
                    "<label for='i0118'>Password</label>"
                    "<input id='i0118' type='password' name='passwd'>"
                    "<button type='submit'>Sign in</button>",
                ),
            )
        if not hmac.compare_digest(form["passwd"].encode(), user.password.encode()):
            return _page(
                "Enter password",
                "<p role='alert'>Your account or password is "
                "incorrect.</p>"
                + _form(
                    f"/{segment}/login",
                    ctx,
                    f"<input type='hidden' name='loginfmt' value='{html.escape(upn)}'>"
                    "<input id='i0118' type='password' name='passwd'>"
                    "<button type='submit'>Sign in</button>",
                ),
                400,
            )
        target = None if segment.lower() in _MULTI else self.world.resolve(segment)
        if target is not None and target is not tenant:
            return self._not_a_member(flow, user, tenant, target)
        flow.update(user_id=user.user_id, tenant_id=tenant.tenant_id)
        rules = tenant.conditional_access
        blocked = (
            rules.get("block_device_code")
            if flow["kind"] == "device"
            else rules.get("block_sign_in")
        )
        if blocked:
            return self._refuse(
                flow,
                "blocked",
                53003,
                "Access has been blocked by Conditional "
                "Access policies. The access policy does not allow token issuance.",
            )
        home = self.world.home_of(flow["client_id"])
        assert home is not None
        if home[1].sign_in_audience == "AzureADMyOrg" and home[0] is not tenant:
            return self._refuse(
                flow,
                "declined",
                700016,
                f"Application with identifier "
                f"'{flow['client_id']}' was not found in the directory "
                f"'{tenant.display_name}'.",
            )
        flow["graph"] = delegated.wanted(tenant, home[1], user, flow["graph"])
        if (
            delegated.needs_consent(tenant, home[1], user, flow["graph"])
            or flow["prompt"] == "consent"
        ):
            if not delegated.may_consent(user, flow["graph"]):
                return _page(
                    "Need admin approval",
                    "<p>AADSTS90094: "
                    f"{html.escape(home[1].display_name)} needs permission to access "
                    "resources in your organization that only an admin can grant.</p>",
                    403,
                )
            is_admin = bool(delegated.CONSENT_ADMINS & set(user.roles))
            box = (
                (
                    "<label><input type='checkbox' name='consent_org' value='true'>"
                    "Consent on behalf of your organization</label>"
                )
                if is_admin
                else ""
            )
            items = "".join(f"<li>{html.escape(s)}</li>" for s in flow["graph"])
            return _page(
                "Permissions requested",
                f"<p>{html.escape(home[1].display_name)}</p>"
                f"<ul>{items}</ul>"
                + _form(
                    f"/{segment}/login",
                    ctx,
                    box + "<button type='submit' name='action' value='accept'>Accept</button>"
                    "<button type='submit' name='action' value='cancel'>Cancel</button>",
                ),
            )
        return self._complete(flow)

    def _not_a_member(self, flow: dict, user: User, home: Tenant, target: Tenant) -> Response:
        """A real account of another tenant, at a tenant-specific authority: AADSTS50020."""
        found = self.world.home_of(flow["client_id"])
        app_name = found[1].display_name if found else ""
        return self._error_page(
            50020,
            f"User account '{user.user_principal_name}' from identity provider "
            f"'https://sts.windows.net/{home.tenant_id}/' does not exist in tenant "
            f"'{target.display_name}' and cannot access the application "
            f"'{flow['client_id']}'({app_name}) in that tenant. The account needs to be added "
            "as an external user in the tenant first. Sign out and sign in again with a "
            "different Azure Active Directory user account.",
        )

    def _consent_answer(self, flow: dict, form: dict) -> Response:
        if form["action"] != "accept":
            return self._refuse(
                flow, "declined", 65004, "User declined to consent to access the app."
            )
        tenant = self.world.tenants[flow["tenant_id"]]
        user = tenant.users[flow["user_id"]]
        home = self.world.home_of(flow["client_id"])
        assert home is not None
        for_org = form.get("consent_org") == "true" and bool(
            delegated.CONSENT_ADMINS & set(user.roles)
        )
        delegated.consent(tenant, home[1], home[0].tenant_id, user, flow["graph"], for_org)
        self.world.save()
        return self._complete(flow)

    def _refuse(self, flow: dict, status: str, code: int, message: str) -> Response:
        if flow["kind"] == "device":
            self.world.pending[f"device:{flow['device_code']}"]["status"] = status
            return _page(
                "Sign in", f"<p role='alert'>AADSTS{code}: {html.escape(message)}</p>", 403
            )
        return _redirect(
            flow["redirect_uri"],
            {
                "error": "access_denied",
                "error_description": f"AADSTS{code}: {message}",
                "state": flow["state"] or "",
            },
        )

    def _complete(self, flow: dict) -> Response:
        record = {
            "client_id": flow["client_id"],
            "tenant_id": flow["tenant_id"],
            "user_id": flow["user_id"],
            "graph": flow["graph"],
            "oidc": flow["oidc"],
        }
        if flow["kind"] == "device":
            self.world.pending[f"device:{flow['device_code']}"].update(record, status="approved")
            return _page(
                "You're all set",
                "<p>You have signed in to the application on your "
                "device. You may now close this window.</p>",
            )
        code = secrets.token_urlsafe(48)
        self.world.pending[f"code:{code}"] = {
            **record,
            "redirect_uri": flow["redirect_uri"],
            "challenge": flow["challenge"],
            "method": flow["method"],
            "nonce": flow["nonce"],
            "expires": time.time() + 600,
        }
        params = {
            "code": code,
            "state": flow["state"] or "",
            "session_state": secrets.token_hex(16),
        }
        return _redirect(flow["redirect_uri"], params)

    def admin_consent(self, request: Request, segment: str) -> Response:
        """v2 admin consent: the same sign-in, then consent for the organization."""
        q = dict(request.query)
        q.update(response_type="code", prompt="consent")
        return self.authorize(
            Request(
                request.method,
                request.path,
                q,
                request.headers,
                request.body,
                request.base_url,
                request.client_ip,
            ),
            segment,
        )
