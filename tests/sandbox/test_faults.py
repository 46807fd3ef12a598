"""Fault injection: latency that overlaps across requests, throttling and outages."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from onramp.sandbox.admin import SandboxAdmin

from .conftest import TokenCall


def _graph_get(http: requests.Session, url: str, bearer: str) -> requests.Response:
    return http.get(f"{url}/graph/v1.0/organization", headers={"Authorization": f"Bearer {bearer}"})


def test_latency_applies_to_the_chosen_paths(
    admin: SandboxAdmin, http, sandbox_url: str, token: TokenCall
) -> None:
    bearer = token().json()["access_token"]
    admin.set_faults(latency_ms=300, paths="token")
    started = time.monotonic()
    assert token().status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert _graph_get(http, sandbox_url, bearer).status_code == 200
    assert time.monotonic() - started < 0.3
    admin.set_faults(latency_ms=300, paths="graph")
    started = time.monotonic()
    assert _graph_get(http, sandbox_url, bearer).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_latency_overlaps_across_concurrent_requests(
    admin: SandboxAdmin, sandbox_server: tuple[str, str], world: dict
) -> None:
    admin.set_faults(latency_ms=500)
    url = f"{sandbox_server[0]}/{world['tenant_id']}/v2.0/.well-known/openid-configuration"

    def fetch(_: int) -> int:
        session = requests.Session()
        session.trust_env = False
        session.verify = sandbox_server[1]
        return session.get(url).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(fetch, range(16)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 16
    assert 0.5 <= elapsed < 2.0  # 16 x 0.5 s would be 8 s if the sleeps were serialised


def test_token_throttled_with_retry_after(admin: SandboxAdmin, token: TokenCall) -> None:
    admin.set_faults(status=429, retry_after=7, paths="token")
    response = token()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("temporarily_unavailable", [90055])
    assert body["error_description"].startswith("AADSTS90055: ")


@pytest.mark.parametrize("status", [500, 503])
def test_token_service_error(admin: SandboxAdmin, token: TokenCall, status: int) -> None:
    admin.set_faults(status=status)
    response = token()
    assert response.status_code == status
    assert "Retry-After" not in response.headers
    body = response.json()
    assert (body["error"], body["error_codes"]) == ("temporarily_unavailable", [90033])


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, "TooManyRequests"), (503, "serviceNotAvailable"), (500, "UnknownError")],
)
def test_graph_faults(
    admin: SandboxAdmin, http, sandbox_url: str, token: TokenCall, status: int, code: str
) -> None:
    bearer = token().json()["access_token"]
    admin.set_faults(status=status, retry_after=3, paths="graph")
    assert token().status_code == 200  # the token side is untouched
    response = _graph_get(http, sandbox_url, bearer)
    assert response.status_code == status
    assert response.headers["Retry-After"] == "3"
    assert response.json()["error"]["code"] == code


def test_rate(admin: SandboxAdmin, token: TokenCall) -> None:
    admin.set_faults(status=503, rate=0.0)
    assert {token().status_code for _ in range(20)} == {200}
    admin.set_faults(status=503, rate=0.5)
    statuses = [token().status_code for _ in range(200)]
    assert set(statuses) == {200, 503}
    assert 50 <= statuses.count(503) <= 150  # binomial(200, 0.5): outside is ~1e-12 likely
    admin.clear_faults()
    assert token().status_code == 200


def test_faults_are_logged_as_served(admin: SandboxAdmin, token: TokenCall, world: dict) -> None:
    admin.set_faults(status=429)
    token()
    last = admin.requests_served()[-1]
    assert (last["method"], last["path"], last["status"]) == (
        "POST",
        f"/{world['tenant_id']}/oauth2/v2.0/token",
        429,
    )


def test_a_request_begun_before_a_reset_is_not_logged_after_it(
    admin: SandboxAdmin, http, world: dict, sandbox_server: tuple[str, str]
) -> None:
    """A slow request of one test finishing after the next test's reset must not show in that
    test's request log (the request counts would be off by one)."""
    admin.set_faults(latency_ms=1500)
    url = f"{sandbox_server[0]}/{world['tenant_id']}/v2.0/.well-known/openid-configuration"
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(http.get, url)
        time.sleep(0.5)  # the request is in the sandbox, sleeping its latency
        admin.reset()
        assert slow.result().status_code == 400  # its tenant went with the reset
    assert (admin.requests_served(), admin.requests_total()) == ([], 0)
