"""The sandbox's own admin API under /_sandbox: JSON in and out, no auth, loopback clients only."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from onramp.sandbox.powerdns import DnsApiError, PowerDns
from onramp.sandbox.state import AdminError, World, _fields
from onramp.sandbox.tenant_admin import TenantAdmin
from onramp.sandbox.web import Request, Response, json_response

Handler = Callable[[Any, list[str]], tuple[int, Any]]


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


class Control:
    def __init__(self, world: World) -> None:
        self.world = world
        w, t = world, TenantAdmin(world)
        # (method, path pattern with "*" for an id, handler(body, ids) -> (status, payload))
        self._routes: list[tuple[str, tuple[str, ...], Handler]] = [
            ("POST", ("tenants",), lambda b, _: (201, w.create_tenant(b))),
            (
                "POST",
                ("tenants", "*", "applications"),
                lambda b, ids: (201, w.create_application(ids[0], b)),
            ),
            (
                "PATCH",
                ("tenants", "*", "applications", "*"),
                lambda b, ids: (200, w.update_application(ids[0], ids[1], b)),
            ),
            (
                "POST",
                ("tenants", "*", "applications", "*", "secrets"),
                lambda b, ids: (201, w.add_secret(ids[0], ids[1], b)),
            ),
            ("DELETE", ("tenants", "*", "applications", "*", "secrets", "*"), self._delete_secret),
            ("GET", ("tenants", "*"), lambda b, ids: (200, t.tenant_view(ids[0]))),
            ("GET", ("tenants", "*", "applications"), lambda b, ids: (200, t.applications(ids[0]))),
            ("POST", ("tenants", "*", "users"), lambda b, ids: (201, t.create_user(ids[0], b))),
            (
                "POST",
                ("tenants", "*", "applications", "*", "certificates"),
                lambda b, ids: (201, t.add_certificate(ids[0], ids[1], b)),
            ),
            ("PUT", ("tenants", "*", "policy"), lambda b, ids: (200, t.set_policy(ids[0], b))),
            (
                "PUT",
                ("tenants", "*", "conditional-access"),
                lambda b, ids: (200, t.set_conditional_access(ids[0], b)),
            ),
            ("PUT", ("tenants", "*", "skus"), lambda b, ids: (200, t.set_skus(ids[0], b))),
            (
                "PUT",
                ("tenants", "*", "teams-activation"),
                lambda b, ids: (200, t.set_teams_activation(ids[0], b)),
            ),
            ("PUT", ("dns",), lambda b, _: (200, w.set_dns(b))),
            ("GET", ("dns",), lambda b, _: (200, w.dns_view())),
            ("POST", ("dns", "zones"), self._create_zone),
            ("PUT", ("faults",), lambda b, _: (200, w.set_faults(b))),
            ("GET", ("faults",), lambda b, _: (200, w.faults.public())),
            ("PUT", ("clock",), lambda b, _: (200, w.set_clock(b))),
            ("GET", ("requests",), lambda b, _: (200, w.request_log())),
            ("POST", ("reset",), self._reset),
        ]

    def _delete_secret(self, _: Any, ids: list[str]) -> tuple[int, None]:
        self.world.delete_secret(*ids)
        return 204, None

    def _create_zone(self, body: Any, _: list[str]) -> tuple[int, dict]:
        body = _fields(body, {"name"}, ("name",))
        try:
            zone = PowerDns(self.world).create_zone(body["name"])
        except DnsApiError as error:
            raise AdminError(409 if error.status == 409 else 400, str(error)) from None
        return 201, {"name": zone["name"]}

    def _reset(self, *_: Any) -> tuple[int, dict]:
        self.world.reset()
        return 200, {"reset": True}

    def handle(self, request: Request) -> Response:
        if not is_loopback(request.client_ip):
            return json_response(
                403, {"error": "the sandbox admin API answers loopback clients only"}
            )
        parts = [part for part in request.path.split("/")[2:] if part]
        allowed = []
        for method, pattern, handler in self._routes:
            if len(pattern) != len(parts) or any(
                p not in ("*", actual) for p, actual in zip(pattern, parts, strict=True)
            ):
                continue
            if method != request.method:
                allowed.append(method)
                continue
            ids = [actual for p, actual in zip(pattern, parts, strict=True) if p == "*"]
            try:
                body = request.json() if request.body.strip() else None
            except ValueError:
                return json_response(400, {"error": "the body is not valid JSON"})
            try:
                status, payload = handler(body, ids)
            except AdminError as error:
                return json_response(error.status, {"error": str(error)})
            if status == 204:
                return Response(204)
            return json_response(status, payload)
        if allowed:
            return json_response(
                405, {"error": "method not allowed"}, {"Allow": ", ".join(allowed)}
            )
        return json_response(404, {"error": f"no admin endpoint at {request.path}"})
