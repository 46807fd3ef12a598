"""The admin API: validation, objects it creates, the request log and loopback-only access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.utils import timezone

from onramp.sandbox.admin import SandboxAdmin, SandboxAdminError
from onramp.sandbox.control import Control, is_loopback
from onramp.sandbox.state import World
from onramp.sandbox.web import Request

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_tenant_derives_unique_default_domains(admin: SandboxAdmin) -> None:
    first = admin.create_tenant("Fabrikam & Sons, Inc.")
    second = admin.create_tenant("Fabrikam & Sons, Inc.")
    assert GUID.match(first["tenant_id"])
    assert first["default_domain"].startswith("fabrikamsonsinc")
    assert first["default_domain"].endswith(".onmicrosoft.com")
    assert second["default_domain"] != first["default_domain"]
    assert set(first) == {"tenant_id", "default_domain"}


def test_create_application_and_secret(admin: SandboxAdmin) -> None:
    tenant = admin.create_tenant("Secrets Ltd")
    app = admin.create_application(tenant["tenant_id"], "app")
    assert set(app) == {"app_id", "object_id", "service_principal_id"}
    assert all(GUID.match(value) for value in app.values())
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])
    assert re.match(r"^[A-Za-z0-9~._-]{40}$", secret["secret_text"])
    assert secret["hint"] == secret["secret_text"][:3]
    start = datetime.fromisoformat(secret["start_date_time"])
    end = datetime.fromisoformat(secret["end_date_time"])
    assert ISO_Z.match(secret["start_date_time"]) and ISO_Z.match(secret["end_date_time"])
    assert abs(start - timezone.now()) < timedelta(seconds=5)
    assert end - start == timedelta(days=180)
    past = admin.add_secret(
        tenant["tenant_id"], app["app_id"], end_date_time="2020-01-01T00:00:00Z", secret_text="abc"
    )
    assert past["start_date_time"] == past["end_date_time"] == "2020-01-01T00:00:00Z"
    assert (past["secret_text"], past["hint"]) == ("abc", "abc")


def test_update_application_returns_state(admin: SandboxAdmin) -> None:
    tenant = admin.create_tenant("Patch Co")
    app = admin.create_application(tenant["tenant_id"], "app", permissions=["Directory.Read.All"])
    state = admin.update_application(
        tenant["tenant_id"], app["app_id"], roles=["Teams Administrator"], enabled=False
    )
    assert state["permissions"] == ["Directory.Read.All"]
    assert state["roles"] == ["Teams Administrator"]
    assert state["enabled"] is False
    assert state["app_id"] == app["app_id"]
    assert state["redirect_uris"] == []
    moved = admin.update_application(
        tenant["tenant_id"], app["app_id"], redirect_uris=["http://127.0.0.1:8001/invite/callback"]
    )
    assert moved["redirect_uris"] == ["http://127.0.0.1:8001/invite/callback"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/tenants", {}, 400),
        ("POST", "/tenants", {"display_name": ""}, 400),
        ("POST", "/tenants", {"display_name": "x", "teams": "yes"}, 400),
        ("POST", "/tenants", {"display_name": "x", "domains": ["not a domain"]}, 400),
        ("POST", "/tenants", {"display_name": "x", "colour": "blue"}, 400),
        ("POST", "/tenants", [1, 2], 400),
        ("POST", "/tenants/{tid}/applications", {"display_name": "a", "roles": ["Boss"]}, 400),
        ("POST", "/tenants/{tid}/applications", {"display_name": "a", "permissions": "x"}, 400),
        ("POST", "/tenants/{tid}/applications", {"permissions": []}, 400),
        ("POST", "/tenants/{tid}/applications", {"display_name": "a", "redirect_uris": "x"}, 400),
        ("POST", "/tenants/00000000-0000-0000-0000-000000000000/applications",
         {"display_name": "a"}, 404),
        ("PATCH", "/tenants/{tid}/applications/{app}", {"display_name": "renamed"}, 400),
        ("PATCH", "/tenants/{tid}/applications/{app}", {"enabled": 1}, 400),
        ("PATCH", "/tenants/{tid}/applications/nope", {"enabled": True}, 404),
        ("POST", "/tenants/{tid}/applications/{app}/secrets", {"end_date_time": "soon"}, 400),
        ("POST", "/tenants/{tid}/applications/{app}/secrets",
         {"start_date_time": "2030-01-01T00:00:00Z", "end_date_time": "2029-01-01T00:00:00Z"},
         400),
        ("POST", "/tenants/{tid}/applications/{app}/secrets", {"secret_text": ""}, 400),
        ("DELETE", "/tenants/{tid}/applications/{app}/secrets/nope", None, 404),
        ("PUT", "/faults", {"status": 200}, 400),
        ("PUT", "/faults", {"rate": 2}, 400),
        ("PUT", "/faults", {"latency_ms": -1}, 400),
        ("PUT", "/faults", {"paths": "mail"}, 400),
        ("PUT", "/faults", {"retry_after": "soon"}, 400),
        ("GET", "/tenants", None, 405),
        ("GET", "/nothing-here", None, 404),
    ],
)  # fmt: skip
def test_admin_validation(
    admin: SandboxAdmin, method: str, path: str, body: object, status: int
) -> None:
    tenant = admin.create_tenant("Validation")
    app = admin.create_application(tenant["tenant_id"], "app")
    url = f"{admin.base_url}/_sandbox{path.format(tid=tenant['tenant_id'], app=app['app_id'])}"
    response = admin.session.request(method, url, json=body)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(response.json()["error"], str)


def test_invalid_json_body(admin: SandboxAdmin) -> None:
    response = admin.session.post(f"{admin.base_url}/_sandbox/tenants", data=b"{oops")
    assert (response.status_code, response.json()) == (400, {"error": "the body is not valid JSON"})


def test_domain_taken_by_another_tenant(admin: SandboxAdmin) -> None:
    admin.create_tenant("One", domains=["taken-domain.example"])
    with pytest.raises(SandboxAdminError) as raised:
        admin.create_tenant("Two", domains=["taken-domain.example"])
    assert raised.value.status == 409


def test_delete_secret(admin: SandboxAdmin) -> None:
    tenant = admin.create_tenant("Delete Co")
    app = admin.create_application(tenant["tenant_id"], "app")
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])
    url = (
        f"{admin.base_url}/_sandbox/tenants/{tenant['tenant_id']}/applications/"
        f"{app['app_id']}/secrets/{secret['key_id']}"
    )
    response = admin.session.delete(url)
    assert (response.status_code, response.content) == (204, b"")
    assert admin.session.delete(url).status_code == 404


def test_faults_round_trip(admin: SandboxAdmin) -> None:
    assert admin.set_faults(status=429) == {
        "latency_ms": 0.0,
        "status": 429,
        "rate": 1.0,
        "retry_after": None,
        "paths": "all",
    }
    assert admin.clear_faults()["status"] is None


def test_request_log(admin: SandboxAdmin, http: requests.Session, sandbox_url: str) -> None:
    http.get(f"{sandbox_url}/nowhere.example/v2.0/.well-known/openid-configuration?x=1")
    last = admin.requests_served()[-1]
    assert set(last) == {"method", "path", "status", "time"}
    assert (last["method"], last["path"], last["status"]) == (
        "GET",
        "/nowhere.example/v2.0/.well-known/openid-configuration",
        400,
    )
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", last["time"])


def test_request_counts_by_kind_and_times_on_the_directory_clock(
    admin: SandboxAdmin, http: requests.Session, sandbox_url: str
) -> None:
    """The log keeps the last 10,000 requests, the counts every one (a benchmark's round trips
    to Microsoft apart from the provider's DNS); times follow the directory's clock, which a
    test pins to its own "now"."""
    admin.set_clock("2030-01-01T00:00:00Z")
    http.get(f"{sandbox_url}/nowhere.example/v2.0/.well-known/openid-configuration")
    http.get(f"{sandbox_url}/graph/v1.0/organization")
    http.get(f"{sandbox_url}/powerdns/api/v1/servers/localhost")
    assert admin.requests_by_kind() == {"identity": 1, "graph": 1, "dns": 1}
    times = [datetime.fromisoformat(r["time"]) for r in admin.requests_served()]
    pinned = datetime(2030, 1, 1, tzinfo=UTC)
    assert all(pinned <= moment < pinned + timedelta(seconds=10) for moment in times)
    admin.reset()
    assert admin.requests_by_kind() == {}


def test_request_total_counts_past_the_bounded_log(
    admin: SandboxAdmin, http: requests.Session, sandbox_url: str
) -> None:
    admin.reset()
    for _ in range(3):
        http.get(f"{sandbox_url}/common/discovery/instance")
    assert admin.requests_total() == 3
    admin.reset()
    assert admin.requests_total() == 0


def test_non_loopback_clients_are_refused() -> None:
    control = Control(World())
    request = Request("POST", "/_sandbox/reset", {}, {}, b"", "https://x", "192.0.2.7")
    assert control.handle(request).status == 403
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.1")


def test_directory_clock_is_pinned_ticks_and_resets(admin: SandboxAdmin, clock) -> None:
    tenant = admin.create_tenant("Clock Ltd")
    app = admin.create_application(tenant["tenant_id"], "app")
    assert admin.set_clock("2031-02-28T23:59:30Z") == {"now": "2031-02-28T23:59:30Z"}
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])
    start = datetime.fromisoformat(secret["start_date_time"])
    assert (
        timedelta(0) <= start - datetime(2031, 2, 28, 23, 59, 30, tzinfo=UTC) < timedelta(seconds=5)
    )
    assert secret["end_date_time"][:10] == "2031-08-27"  # 180 days on
    with pytest.raises(SandboxAdminError) as refused:
        admin.set_clock("tomorrow")
    assert (refused.value.status, str(refused.value)) == (
        400,
        "sandbox admin API answered 400: now must be an ISO 8601 date-time",
    )
    assert admin.set_clock(None)["now"][:4] == str(datetime.now(UTC).year)
    admin.set_clock(clock.iso())
    admin.reset()  # back to the wall clock
    tenant = admin.create_tenant("After reset")
    app = admin.create_application(tenant["tenant_id"], "app")
    start = datetime.fromisoformat(
        admin.add_secret(tenant["tenant_id"], app["app_id"])["start_date_time"]
    )
    assert abs(start - datetime.now(UTC)) < timedelta(seconds=5)
