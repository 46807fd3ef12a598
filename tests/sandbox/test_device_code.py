"""The device-code grant end to end: MSAL polls while a browser (requests, in a thread) signs in
at /devicelogin; pending, slow_down, expiry, decline and Conditional Access."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import jwt
import msal
import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .flows import PASSWORD, WRITE_SCOPES, answer_consent, post_form

SCOPES = [f"https://graph.microsoft.com/{s}" for s in WRITE_SCOPES]
NOT_ALLOWED = "<p role='alert'>That code didn't work. Check the code and try again.</p>"


@pytest.fixture
def fast(admin: SandboxAdmin) -> None:
    """A one-second polling interval, so the real loop runs in about a second."""
    admin.set_faults(device_code_interval=1)


def _pca(http, sandbox_url: str, segment: str, client_id: str) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        client_id, authority=f"{sandbox_url}/{segment}", http_client=http, instance_discovery=False
    )


def _browser(sandbox_server: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox_server[1]
    return session


def enter_code(session: requests.Session, url: str, user_code: str) -> requests.Response:
    page = session.get(f"{url}/devicelogin")
    assert page.status_code == 200 and "name='otc'" in page.text and ">Next</button>" in page.text
    return post_form(session, page, {"otc": user_code})


def device_sign_in(
    sandbox_server, user_code: str, upn: str, *, consent: str | None = "org"
) -> requests.Response:
    """What the admin does on another device: code, username, password, consent."""
    session = _browser(sandbox_server)
    page = enter_code(session, sandbox_server[0], user_code)
    page = post_form(session, page, {"loginfmt": upn})
    page = post_form(session, page, {"loginfmt": upn, "passwd": PASSWORD})
    if consent is not None and "Permissions requested" in page.text:
        page = answer_consent(session, page, accept=consent != "cancel", org=consent == "org")
    return page


@contextmanager
def in_thread(target, *args, **kwargs) -> Iterator[dict]:
    """Run the browser side in a thread; its final page lands in the yielded dict."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["page"] = target(*args, **kwargs)
        except BaseException as error:  # surfaced in the test thread below
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield outcome
    finally:
        thread.join(timeout=30)
        assert not thread.is_alive()
        if "error" in outcome:
            raise outcome["error"]


def _poll_once(pca: msal.PublicClientApplication, flow: dict) -> dict:
    return pca.acquire_token_by_device_flow(flow, exit_condition=lambda _: True)


def test_device_code_end_to_end(http, sandbox_server, sandbox_url, directory_world, fast) -> None:
    world = directory_world
    pca = _pca(http, sandbox_url, world["tenant_id"], world["client_id"])
    flow = pca.initiate_device_flow(scopes=SCOPES)
    assert (flow["interval"], flow["expires_in"]) == (1, 900)
    assert flow["verification_uri"] == "https://microsoft.com/devicelogin"
    pending = _poll_once(pca, flow)
    assert (pending["error"], pending["error_codes"]) == ("authorization_pending", [70016])
    time.sleep(flow["interval"])
    upn = world["users"]["ga"]["upn"]
    with in_thread(device_sign_in, sandbox_server, flow["user_code"], upn) as browser:
        result = pca.acquire_token_by_device_flow(flow)
    assert "<h1>You&#x27;re all set</h1>" in browser["page"].text
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert sorted(claims["scp"].split()) == sorted(WRITE_SCOPES)
    assert (claims["tid"], claims["upn"]) == (world["tenant_id"], upn)
    assert flow["interval"] == 1  # never told to slow down
    # The device code is single-use.
    again = _poll_once(pca, flow)
    assert (again["error"], again["error_codes"]) == ("invalid_grant", [54005])


def test_slow_down_when_polling_faster_than_the_interval(
    http, sandbox_url, directory_world, admin
) -> None:
    world = directory_world
    admin.set_faults(device_code_interval=3)
    pca = _pca(http, sandbox_url, "organizations", world["client_id"])
    flow = pca.initiate_device_flow(scopes=SCOPES)
    first = _poll_once(pca, flow)
    assert first["error"] == "authorization_pending"
    with pytest.warns(UserWarning, match="Attempted too soon"):
        second = _poll_once(pca, flow)
    assert (second["error"], second["error_codes"]) == ("slow_down", [70016])
    assert flow["interval"] == 3 + 5  # MSAL's answer to slow_down


def test_expired_device_code(http, sandbox_url, directory_world, admin, sandbox_server) -> None:
    world = directory_world
    admin.set_faults(device_code_interval=1, device_code_expires_in=1)
    pca = _pca(http, sandbox_url, world["tenant_id"], world["client_id"])
    flow = pca.initiate_device_flow(scopes=SCOPES)
    assert flow["expires_in"] == 1
    time.sleep(1.2)
    result = pca.acquire_token_by_device_flow(flow)
    assert (result["error"], result["error_codes"]) == ("expired_token", [70019])
    assert result["error_description"].startswith("AADSTS70019: Verification code expired.")
    page = enter_code(_browser(sandbox_server), sandbox_url, flow["user_code"])
    assert page.status_code == 400 and NOT_ALLOWED in page.text


def test_declined_consent(http, sandbox_server, sandbox_url, directory_world, fast) -> None:
    world = directory_world
    pca = _pca(http, sandbox_url, world["tenant_id"], world["client_id"])
    flow = pca.initiate_device_flow(scopes=SCOPES)
    upn = world["users"]["ga"]["upn"]
    with in_thread(device_sign_in, sandbox_server, flow["user_code"], upn, consent="cancel"):
        result = pca.acquire_token_by_device_flow(flow)
    assert (result["error"], result["error_codes"]) == ("authorization_declined", [70000])
    assert "access_token" not in result


def test_conditional_access_blocks_the_device_code(
    http, sandbox_server, sandbox_url, directory_world, admin, fast
) -> None:
    world = directory_world
    admin.set_conditional_access(world["tenant_id"], block_device_code=True)
    pca = _pca(http, sandbox_url, world["tenant_id"], world["client_id"])
    flow = pca.initiate_device_flow(scopes=SCOPES)
    upn = world["users"]["ga"]["upn"]
    with in_thread(device_sign_in, sandbox_server, flow["user_code"], upn) as browser:
        result = pca.acquire_token_by_device_flow(flow)
    assert browser["page"].status_code == 403
    assert (
        "<p role='alert'>AADSTS53003: Access has been blocked by Conditional Access policies. "
        "The access policy does not allow token issuance.</p>"
    ) in browser["page"].text
    assert (result["error"], result["error_codes"]) == ("invalid_grant", [53003])
    # The same tenant's browser sign-in (authorization code) is not blocked by this rule.
    from .flows import delegated_token

    assert delegated_token(http, sandbox_url, world["tenant_id"], world["client_id"], upn)


def test_confidential_client_without_public_flows(http, sandbox_server, sandbox_url, admin, fast):
    tenant = admin.create_tenant("Fabrikam")
    app = admin.create_application(tenant["tenant_id"], "web only")
    upn = f"admin@{tenant['default_domain']}"
    admin.create_user(tenant["tenant_id"], upn, PASSWORD, roles=["Global Administrator"])
    pca = _pca(http, sandbox_url, tenant["tenant_id"], app["app_id"])
    flow = pca.initiate_device_flow(scopes=["https://graph.microsoft.com/User.Read"])
    with in_thread(device_sign_in, sandbox_server, flow["user_code"], upn):
        result = pca.acquire_token_by_device_flow(flow)
    assert (result["error"], result["error_codes"]) == ("invalid_client", [7000218])


def test_unknown_user_code(sandbox_server, sandbox_url) -> None:
    page = enter_code(_browser(sandbox_server), sandbox_url, "NOPE12345")
    assert page.status_code == 400 and NOT_ALLOWED in page.text
