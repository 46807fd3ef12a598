"""Authorization code + PKCE through the sign-in and consent pages; MSAL's confidential client."""

from __future__ import annotations

import jwt
import msal
import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .flows import (
    PASSWORD,
    WRITE_SCOPES,
    answer_consent,
    authorize_url,
    certificate,
    code_for,
    delegated_token,
    pkce,
    redirect_params,
    sign_in,
)

WEB_REDIRECT = "https://onramp.example/callback"
SCOPES = [f"https://graph.microsoft.com/{s}" for s in WRITE_SCOPES]
NAME_REFUSED = (
    "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your "
    "admin."
)


@pytest.fixture
def web_app(admin: SandboxAdmin, directory_world: dict) -> dict:
    """A multi-tenant confidential client in the provider tenant: a secret and a certificate."""
    provider = directory_world["provider_tenant_id"]
    app = admin.create_application(
        provider,
        "Onramp web sign-in",
        sign_in_audience="AzureADMultipleOrgs",
        redirect_uris=[WEB_REDIRECT],
    )
    secret = admin.add_secret(provider, app["app_id"])["secret_text"]
    cert = certificate()
    admin.add_certificate(provider, app["app_id"], cert.cert_pem)
    return {**app, "secret": secret, "cert": cert}


def _msal(
    http, url: str, segment: str, app: dict, credential
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        app["app_id"],
        client_credential=credential,
        authority=f"{url}/{segment}",
        http_client=http,
        instance_discovery=False,
    )


def _browser(http: requests.Session, flow: dict, upn: str, *, org: bool = True) -> dict:
    """Sign in and consent as the admin's browser; the redirect's query parameters."""
    page = sign_in(http, http.get(flow["auth_uri"]), upn)
    if page.status_code == 200:
        page = answer_consent(http, page, org=org)
    return redirect_params(page)


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("credential", ["secret", "certificate"])
def test_msal_confidential_client_auth_code_flow(
    http, sandbox_url, directory_world, web_app, credential
) -> None:
    world = directory_world
    cert = web_app["cert"]
    client_credential = (
        web_app["secret"]
        if credential == "secret"
        else {"private_key": cert.key_pem, "thumbprint": cert.thumbprint_hex}
    )
    cca = _msal(http, sandbox_url, world["tenant_id"], web_app, client_credential)
    flow = cca.initiate_auth_code_flow(SCOPES, redirect_uri=WEB_REDIRECT, state="resume-42")
    assert "code_challenge_method=S256" in flow["auth_uri"]
    answer = _browser(http, flow, world["users"]["ga"]["upn"])
    assert answer["state"] == "resume-42"
    result = cca.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert sorted(claims["scp"].split()) == sorted(WRITE_SCOPES)
    assert (claims["tid"], claims["appid"], claims["upn"]) == (
        world["tenant_id"],
        web_app["app_id"],
        world["users"]["ga"]["upn"],
    )
    assert claims["appidacr"] == ("1" if credential == "secret" else "2")
    assert "refresh_token" not in result


@pytest.mark.parametrize("segment", ["organizations", "common"])
def test_multi_tenant_authorities(http, sandbox_url, directory_world, web_app, segment) -> None:
    world = directory_world
    cca = _msal(http, sandbox_url, segment, web_app, web_app["secret"])
    flow = cca.initiate_auth_code_flow(SCOPES, redirect_uri=WEB_REDIRECT)
    assert flow["auth_uri"].startswith(f"{sandbox_url}/{segment}/oauth2/v2.0/authorize?")
    result = cca.acquire_token_by_auth_code_flow(
        flow, _browser(http, flow, world["users"]["ga"]["upn"])
    )
    assert "access_token" in result, result
    # The tenant is the signed-in user's: the customer's, not the app's home tenant.
    assert _claims(result["access_token"])["tid"] == world["tenant_id"]
    assert result["id_token_claims"]["tid"] == world["tenant_id"]


def _token_form(world: dict, web_app: dict, issued: str, verifier: str, **overrides) -> dict:
    form = {
        "grant_type": "authorization_code",
        "client_id": web_app["app_id"],
        "client_secret": web_app["secret"],
        "code": issued,
        "redirect_uri": WEB_REDIRECT,
        "code_verifier": verifier,
        **overrides,
    }
    return {k: v for k, v in form.items() if v is not None}


def _code(http, sandbox_url, world, web_app, challenge) -> str:
    url = authorize_url(
        sandbox_url,
        world["tenant_id"],
        web_app["app_id"],
        SCOPES,
        redirect_uri=WEB_REDIRECT,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    page = sign_in(http, http.get(url), world["users"]["ga"]["upn"])
    if page.status_code == 200:
        page = answer_consent(http, page)
    return redirect_params(page)["code"]


def _assert_aad(response: requests.Response, status: int, error: str, code: int, text: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: {text}")


@pytest.mark.parametrize(
    ("overrides", "status", "error", "aadsts", "text"),
    [
        (
            {"redirect_uri": "https://onramp.example/other"},
            400,
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'redirect_uri' is not valid. The value "
            "must exactly match the redirect URI used to obtain the authorization code.",
        ),
        (
            {"code_verifier": "not-the-verifier-" + "x" * 30},
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization "
            "request.",
        ),
        (
            {"client_secret": None},
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        ),
        (
            {"client_secret": "wrong"},
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        ),
        ({"code": "unknown"}, 400, "invalid_grant", 70000, "The provided value for the 'code'"),
    ],
    ids=["redirect-uri", "verifier", "no-secret", "wrong-secret", "unknown-code"],
)
def test_code_redemption_refusals(
    http, sandbox_url, directory_world, web_app, overrides, status, error, aadsts, text
) -> None:
    verifier, challenge = pkce()
    issued = _code(http, sandbox_url, directory_world, web_app, challenge)
    form = _token_form(directory_world, web_app, issued, verifier, **overrides)
    url = f"{sandbox_url}/{directory_world['tenant_id']}/oauth2/v2.0/token"
    _assert_aad(http.post(url, data=form), status, error, aadsts, text)


def test_code_is_single_use_and_bound_to_its_client(
    http, sandbox_url, directory_world, web_app
) -> None:
    world = directory_world
    url = f"{sandbox_url}/{world['tenant_id']}/oauth2/v2.0/token"
    verifier, challenge = pkce()
    issued = _code(http, sandbox_url, world, web_app, challenge)
    other = {"client_id": world["client_id"], "client_secret": None}
    _assert_aad(
        http.post(url, data=_token_form(world, web_app, issued, verifier, **other)),
        400,
        "invalid_grant",
        70000,
        "The provided authorization code was issued to a different client.",
    )
    assert http.post(url, data=_token_form(world, web_app, issued, verifier)).status_code == 200
    _assert_aad(
        http.post(url, data=_token_form(world, web_app, issued, verifier)),
        400,
        "invalid_grant",
        54005,
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or "
        "use an existing refresh token.",
    )


def test_unregistered_redirect_uri_is_refused_on_the_page(http, sandbox_url, web_app) -> None:
    url = authorize_url(sandbox_url, "organizations", web_app["app_id"], SCOPES)
    page = http.get(url.replace("http%3A%2F%2Flocalhost%2Fcallback", "https%3A%2F%2Fevil.example"))
    assert page.status_code == 400
    assert (
        "<p role='alert'>AADSTS50011: The redirect URI &#x27;https://evil.example&#x27; "
        "specified in the request does not match the redirect URIs configured for the "
        f"application &#x27;{web_app['app_id']}&#x27;.</p>"
    ) in page.text


def test_consent_cancelled_returns_access_denied(
    http, sandbox_url, directory_world, web_app
) -> None:
    cca = _msal(http, sandbox_url, directory_world["tenant_id"], web_app, web_app["secret"])
    flow = cca.initiate_auth_code_flow(SCOPES, redirect_uri=WEB_REDIRECT, state="s-9")
    page = sign_in(http, http.get(flow["auth_uri"]), directory_world["users"]["ga"]["upn"])
    answer = redirect_params(answer_consent(http, page, accept=False, org=False))
    assert answer == {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": "s-9",
    }
    result = cca.acquire_token_by_auth_code_flow(flow, answer)
    assert result["error"] == "access_denied"
    assert "access_token" not in result


def _grants(http, sandbox_url, token: str) -> list[dict]:
    response = http.get(
        f"{sandbox_url}/graph/v1.0/oauth2PermissionGrants",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["value"]


def _sp_id(http, sandbox_url, token: str, app_id: str) -> str:
    response = http.get(
        f"{sandbox_url}/graph/v1.0/servicePrincipals(appId='{app_id}')",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_consent_for_the_organisation(http, sandbox_url, directory_world) -> None:
    world = directory_world
    token = delegated_token(
        http, sandbox_url, world["tenant_id"], world["client_id"], world["users"]["ga"]["upn"]
    )
    # The sign-in app, homed in the provider's tenant, now has a service principal here.
    client_sp = _sp_id(http, sandbox_url, token, world["client_id"])
    graph_sp = _sp_id(http, sandbox_url, token, "00000003-0000-0000-c000-000000000000")
    [grant] = _grants(http, sandbox_url, token)
    assert {k: v for k, v in grant.items() if k != "id"} == {
        "clientId": client_sp,
        "consentType": "AllPrincipals",
        "principalId": None,
        "resourceId": graph_sp,
        "scope": " ".join(WRITE_SCOPES),
    }
    # Everyone in the organisation is covered: a plain member signs in without a consent page.
    _, challenge = pkce()
    url = authorize_url(
        sandbox_url, world["tenant_id"], world["client_id"], SCOPES, code_challenge=challenge
    )
    page = sign_in(http, http.get(url), world["users"]["member"]["upn"])
    assert set(redirect_params(page)) == {"code", "state", "session_state"}


def test_consent_for_the_admin_alone(http, sandbox_url, directory_world) -> None:
    world = directory_world
    ga = world["users"]["ga"]
    token = delegated_token(
        http, sandbox_url, world["tenant_id"], world["client_id"], ga["upn"], org=False
    )
    [grant] = _grants(http, sandbox_url, token)
    assert (grant["consentType"], grant["principalId"]) == ("Principal", ga["id"])
    # Another administrator is asked again; a plain member may not consent to admin scopes.
    _, challenge = pkce()
    url = authorize_url(
        sandbox_url, world["tenant_id"], world["client_id"], SCOPES, code_challenge=challenge
    )
    page = sign_in(http, http.get(url), world["users"]["app_admin"]["upn"])
    assert page.status_code == 200 and "<h1>Permissions requested</h1>" in page.text
    for key in ("member", "eligible"):
        page = sign_in(http, http.get(url), world["users"][key]["upn"])
        assert page.status_code == 403
        assert (
            "<h1>Need admin approval</h1><p>AADSTS90094: Onramp sign-in needs permission to "
            "access resources in your organization that only an admin can grant.</p>"
        ) in page.text


def test_consent_checkbox_is_offered_to_administrators_only(
    http, sandbox_url, directory_world
) -> None:
    world = directory_world
    _, challenge = pkce()
    url = authorize_url(
        sandbox_url,
        world["tenant_id"],
        world["client_id"],
        ["https://graph.microsoft.com/User.Read", "openid"],
        code_challenge=challenge,
    )
    member = sign_in(http, http.get(url), world["users"]["member"]["upn"])
    assert "<h1>Permissions requested</h1>" in member.text
    assert "Consent on behalf of your organization" not in member.text
    admin_page = sign_in(http, http.get(url), world["users"]["app_admin"]["upn"])
    assert "Consent on behalf of your organization" in admin_page.text


def test_sign_in_to_the_wrong_tenant(http, sandbox_url, admin, directory_world) -> None:
    world = directory_world
    other = admin.create_tenant("Woodgrove")
    upn = f"admin@{other['default_domain']}"
    admin.create_user(other["tenant_id"], upn, PASSWORD, roles=["Global Administrator"])
    _, challenge = pkce()
    url = authorize_url(
        sandbox_url, world["tenant_id"], world["client_id"], SCOPES, code_challenge=challenge
    )
    page = sign_in(http, http.get(url), upn)
    assert page.status_code == 400
    assert (
        f"<p role='alert'>AADSTS50020: User account &#x27;{upn}&#x27; from identity provider "
        f"&#x27;https://sts.windows.net/{other['tenant_id']}/&#x27; does not exist in tenant "
        f"&#x27;Contoso&#x27; and cannot access the application &#x27;{world['client_id']}"
        "&#x27;(Onramp sign-in) in that tenant. The account needs to be added as an external "
        "user in the tenant first. Sign out and sign in again with a different Azure Active "
        "Directory user account.</p>"
    ) in page.text
    # Nothing was consented or created in either tenant.
    assert admin.tenant(world["tenant_id"])["applications"] == []
    # With `organizations` the same user signs in to their own tenant.
    params = code_for(
        http,
        sandbox_url,
        "organizations",
        world["client_id"],
        upn,
        SCOPES,
        challenge=challenge,
    )
    assert set(params) == {"code", "state", "session_state"}


def test_unknown_user_and_wrong_password(http, sandbox_url, directory_world) -> None:
    world = directory_world
    url = authorize_url(sandbox_url, world["tenant_id"], world["client_id"], SCOPES)
    first = http.get(url)
    from .flows import post_form

    page = post_form(http, first, {"loginfmt": f"nobody@{world['default_domain']}"})
    assert f"<p role='alert'>{NAME_REFUSED}</p>" in page.text
    page = post_form(http, first, {"loginfmt": world["users"]["ga"]["upn"]})
    page = post_form(http, page, {"loginfmt": world["users"]["ga"]["upn"], "passwd": "nope"})
    assert page.status_code == 400
    assert "<p role='alert'>Your account or password is incorrect.</p>" in page.text
