"""The provider's DNS zones for the demo, hosted by the sandbox behind the part of PowerDNS's
documented HTTP API (`/api/v1/servers/localhost/zones...`, `X-API-Key`) that dns-lexicon's
`powerdns` provider speaks — so the product's hosted DNS backend publishes verification records
here with the same code a real provider's PowerDNS would get (CONTRACT §6, last paragraph).

Served under `/powerdns` on the sandbox's port, over HTTPS and, as PowerDNS's own webserver
does, plain HTTP (`pdns_server = http://HOST:PORT/powerdns`). `verify` looks here for TXT
records unless `PUT /_sandbox/dns` names a resolver. Errors are PowerDNS's: `{"error": "..."}`
with 401 (key), 404 (zone), 409 (zone exists) and 422 (a record it cannot take).
"""

from __future__ import annotations

import json
import re
from typing import Any

from onramp.sandbox.state import World
from onramp.sandbox.web import Request, Response, json_response

PREFIX = "/powerdns"
SERVER = "/api/v1/servers/localhost"
_NAME = re.compile(r"^(?=.{1,254}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+$")
_TXT_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')  # the quoted strings of TXT content
_TYPES = {"A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "CAA", "PTR"}


class DnsApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _dotted(name: str) -> str:
    return name.lower() if name.endswith(".") else f"{name.lower()}."


def _summary(name: str, zone: dict) -> dict:
    return {
        "id": name,
        "name": name,
        "kind": "Native",
        "url": f"{SERVER}/zones/{name}",
        "serial": zone["serial"],
        "notified_serial": 0,
        "edited_serial": zone["serial"],
        "masters": [],
        "dnssec": False,
        "account": "",
    }


class PowerDns:
    """PowerDNS's zones API over the world's `dns_zones`; every method holds the world's lock."""

    def __init__(self, world: World) -> None:
        self.world = world

    def handle(self, request: Request) -> Response:
        path = request.path.removeprefix(PREFIX).rstrip("/")
        try:
            if request.headers.get("x-api-key") != self.world.powerdns_key:
                raise DnsApiError(401, "Unauthorized")
            status, payload = self._route(request.method, path, request.body)
        except DnsApiError as error:
            return json_response(error.status, {"error": str(error)})
        if payload is None:
            return Response(status)
        return json_response(status, payload)

    def _route(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        if path == SERVER and method == "GET":
            return 200, {
                "type": "Server",
                "id": "localhost",
                "daemon_type": "authoritative",
                "version": "onramp sandbox",
                "url": SERVER,
                "zones_url": f"{SERVER}/zones{{/zone}}",
                "config_url": f"{SERVER}/config{{/config_setting}}",
            }
        if path == f"{SERVER}/zones":
            if method == "GET":
                with self.world.lock:
                    return 200, [_summary(n, z) for n, z in sorted(self.world.dns_zones.items())]
            if method == "POST":
                return 201, self.create_zone(self._body(raw).get("name"))
        prefix = f"{SERVER}/zones/"
        if path.startswith(prefix) and "/" not in path.removeprefix(prefix):
            name = _dotted(path.removeprefix(prefix))
            if method == "GET":
                return 200, self.zone(name)
            if method == "PATCH":
                self.patch(name, self._body(raw).get("rrsets"))
                return 204, None
            if method == "DELETE":
                with self.world.lock:
                    self._zone(name)
                    del self.world.dns_zones[name]
                    self.world.save()
                return 204, None
        raise DnsApiError(404, "Not Found")

    @staticmethod
    def _body(raw: bytes) -> dict:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise DnsApiError(400, "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise DnsApiError(400, "Request body is not a JSON object")
        return body

    def _zone(self, name: str) -> dict:
        zone = self.world.dns_zones.get(name)
        if zone is None:
            raise DnsApiError(404, f"Could not find domain '{name}'")
        return zone

    def create_zone(self, raw: Any) -> dict:
        if not isinstance(raw, str) or not _NAME.match(_dotted(raw)):
            raise DnsApiError(422, f"Unable to parse DNS Name '{raw}'")
        name = _dotted(raw)
        with self.world.lock:
            if name in self.world.dns_zones:
                raise DnsApiError(409, f"Domain '{name}' already exists")
            soa = f"ns1.{name} hostmaster.{name} 1 10800 3600 604800 3600"
            self.world.dns_zones[name] = {
                "serial": 1,
                "rrsets": [{"name": name, "type": "SOA", "ttl": 3600, "records": [soa]}],
            }
            self.world.save()
        return self.zone(name)

    def zone(self, name: str) -> dict:
        with self.world.lock:
            zone = self._zone(name)
            rrsets = [
                {
                    "name": rrset["name"],
                    "type": rrset["type"],
                    "ttl": rrset["ttl"],
                    "records": [{"content": c, "disabled": False} for c in rrset["records"]],
                    "comments": [],
                }
                for rrset in zone["rrsets"]
            ]
            return {**_summary(name, zone), "rrsets": rrsets}

    def patch(self, name: str, changes: Any) -> None:
        """Apply REPLACE/DELETE rrset changes all or nothing, then bump the serial."""
        if not isinstance(changes, list):
            raise DnsApiError(422, "No rrsets given")
        with self.world.lock:
            zone = self._zone(name)
            rrsets = {(r["name"], r["type"]): r for r in zone["rrsets"]}
            for change in changes:
                key, rrset = self._change(name, change)
                if rrset is None:
                    rrsets.pop(key, None)
                else:
                    rrsets[key] = rrset
            zone["rrsets"] = list(rrsets.values())
            zone["serial"] += 1
            self.world.save()

    @staticmethod
    def _change(zone: str, change: Any) -> tuple[tuple[str, str], dict | None]:
        if not isinstance(change, dict):
            raise DnsApiError(422, "RRset is not an object")
        owner = _dotted(str(change.get("name", "")))
        rtype = str(change.get("type", "")).upper()
        label = f"RRset {owner} IN {rtype}"
        if owner != zone and not owner.endswith(f".{zone}"):
            raise DnsApiError(422, f"{label}: Name is out of zone")
        if rtype not in _TYPES:
            raise DnsApiError(422, f"{label}: Unknown or unsupported record type")
        kind = change.get("changetype")
        if kind == "DELETE":
            return (owner, rtype), None
        if kind != "REPLACE":
            raise DnsApiError(422, "Changetype not understood")
        records = change.get("records")
        if not isinstance(records, list):
            raise DnsApiError(422, f"{label}: records must be a list")
        contents = []
        for record in records:
            content = record.get("content") if isinstance(record, dict) else None
            if not isinstance(content, str) or not content:
                raise DnsApiError(422, f"{label}: record content missing")
            if rtype == "TXT" and not (len(content) >= 2 and content[0] == content[-1] == '"'):
                raise DnsApiError(
                    422,
                    f"{label}: Parsing record content: Data field in DNS should start with "
                    f"quote (\") at position 0 of '{content}'",
                )
            if isinstance(record, dict) and not record.get("disabled", False):
                contents.append(content)
        ttl = change.get("ttl", 3600)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
            raise DnsApiError(422, f"{label}: TTL must be a non-negative integer")
        if not contents:
            return (owner, rtype), None
        return (owner, rtype), {"name": owner, "type": rtype, "ttl": ttl, "records": contents}


def txt_in_zones(world: World, name: str) -> list[str]:
    """TXT strings at ``name`` in the hosted zones (quotes and the string split removed)."""
    owner = _dotted(name)
    with world.lock:
        served = [z for z in world.dns_zones if owner == z or owner.endswith(f".{z}")]
        if not served:
            return []
        zone = world.dns_zones[max(served, key=len)]  # the most specific zone answers
        for rrset in zone["rrsets"]:
            if rrset["name"] == owner and rrset["type"] == "TXT":
                return ["".join(_TXT_STRING.findall(c)) for c in rrset["records"]]
    return []
