"""The sandbox's mutable state and the admin operations on it, behind one lock.

Handlers read under `World.lock`; admin operations validate their input, change the world and
mark it changed. With a data directory, a writer thread persists the changes of each
SAVE_DELAY together (one write, not one per request: the state of a thousand tenants takes tens
of milliseconds to write), and `flush` at shutdown writes what is left.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from onramp.sandbox.catalog import DIRECTORY_ROLES
from onramp.sandbox.credentials import DirectoryClock, Secret, iso_z, parse_iso, utcnow
from onramp.sandbox.model import Application, Tenant

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PERMISSION = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,127}$")
_REDIRECT = re.compile(
    r"^(https://|http://localhost(:\d+)?(/|$)|http://127\.0\.0\.1(:\d+)?(/|$))\S*$"
)
_SECRET_ALPHABET = string.ascii_letters + string.digits + "~._-"
DEFAULT_POWERDNS_KEY = "onramp-sandbox-powerdns"  # the hosted DNS API's X-API-Key (a stand-in)
SAVE_DELAY = 0.25  # seconds within which changes reach the state file together
REQUEST_LOG_SIZE = 10_000  # bounded so a long benchmark cannot eat the memory


class AdminError(Exception):
    """Bad admin input (400), an unknown object (404) or a conflict (409)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    status: int | None = None
    rate: float = 0.0
    retry_after: int | None = None
    paths: str = "all"
    replication_delay_ms: float = 0.0
    device_code_interval: int = 5  # seconds, as Entra's `interval`
    device_code_expires_in: int = 900  # seconds, as Entra's `expires_in`

    def applies(self, category: str) -> bool:
        return self.paths in ("all", category)

    def public(self) -> dict:
        """The admin view; the replication delay and device-code timings only when changed."""
        view = asdict(self)
        defaults = Faults()
        for name in ("replication_delay_ms", "device_code_interval", "device_code_expires_in"):
            if view[name] == getattr(defaults, name):
                del view[name]
        return view

    def visible_at(self) -> datetime | None:
        """When an object created through Graph now reaches the token endpoint (None: at once)."""
        if not self.replication_delay_ms:
            return None
        return datetime.now(UTC) + timedelta(milliseconds=self.replication_delay_ms)


def _fields(body: Any, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(body, dict):
        raise AdminError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise AdminError(400, f"unknown field {unknown[0]!r}")
    missing = [key for key in required if key not in body]
    if missing:
        raise AdminError(400, f"{missing[0]} is required")
    return body


def _text(body: dict, key: str, *, max_length: int = 256) -> str:
    value = body[key]
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise AdminError(
            400, f"{key} must be a non-empty string of at most {max_length} characters"
        )
    return value.strip()


def _flag(body: dict, key: str) -> bool:
    if not isinstance(body[key], bool):
        raise AdminError(400, f"{key} must be true or false")
    return body[key]


def _names(body: dict, key: str, valid: Any) -> list[str]:
    values = body[key]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AdminError(400, f"{key} must be a list of strings")
    for value in values:
        if not valid(value):
            raise AdminError(400, f"{key}: {value!r} is not valid")
    return list(dict.fromkeys(values))


def _moment(body: dict, key: str) -> datetime:
    try:
        return parse_iso(body[key])
    except (TypeError, ValueError):
        raise AdminError(400, f"{key} must be an ISO 8601 date-time") from None


def _seconds(body: dict, key: str, default: int, maximum: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise AdminError(400, f"{key} must be a whole number of seconds from 1 to {maximum}")
    return value


def generate_secret_text() -> str:
    """40 characters shaped like Entra's: 3 characters, a digit, `Q~`, then 34 more."""
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    tail = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(34))
    return f"{head}{secrets.choice(string.digits)}Q~{tail}"


class World:
    """Tenants, faults and the request log; every method is thread-safe."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self._state_file = state_file
        self._dirty = False
        self._changed = threading.Event()
        self._write_lock = threading.Lock()  # one writer of the state file at a time
        self._writer: threading.Thread | None = None
        self.tenants: dict[str, Tenant] = {}
        self._domains: dict[str, str] = {}
        self.faults = Faults()
        self._requests: deque[dict] = deque(maxlen=REQUEST_LOG_SIZE)
        self.requests_total = 0  # every request served, also those the bounded log forgot
        self.requests_by_kind: dict[str, int] = {}  # the total split: identity, graph, dns
        self.generation = 0  # bumped by every reset: requests begun before it are not logged
        self.pending: dict[str, Any] = {}  # sign-ins, codes, device codes: memory only
        self.dns_resolver: tuple[str, int] | None = None  # where `verify` looks up TXT records
        self.dns_zones: dict[str, dict] = {}  # the hosted zones (powerdns.py), by "name."
        self.powerdns_key = DEFAULT_POWERDNS_KEY
        if state_file is not None and state_file.exists():
            saved = json.loads(state_file.read_text())
            for item in saved["tenants"]:
                self._add_tenant(Tenant.load(item))
            self.dns_zones = dict(saved.get("dns_zones", {}))

    def _add_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant
        for domain in tenant.domains:
            self._domains[domain] = tenant.tenant_id

    def save(self) -> None:
        """Mark the world changed after a change; callers hold the lock. The writer thread
        persists it within SAVE_DELAY."""
        if self._state_file is None:
            return
        self._dirty = True
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._write_behind, name="sandbox-state", daemon=True
            )
            self._writer.start()
        self._changed.set()

    def _write_behind(self) -> None:
        while True:
            self._changed.wait()
            time.sleep(SAVE_DELAY)
            self._changed.clear()
            self.flush()

    def flush(self) -> None:
        """Write the world to its state file now, if it changed since the last write."""
        if self._state_file is None:
            return
        with self._write_lock:
            with self.lock:
                if not self._dirty:
                    return
                payload = {
                    "tenants": [tenant.dump() for tenant in self.tenants.values()],
                    "dns_zones": self.dns_zones,
                }
                text = json.dumps(payload, separators=(",", ":"))
                self._dirty = False
            temporary = self._state_file.with_suffix(".tmp")
            temporary.write_text(text)  # holds secret values: owner only
            temporary.chmod(0o600)
            temporary.replace(self._state_file)

    def resolve(self, segment: str) -> Tenant | None:
        """The tenant named by a GUID or one of its verified domains (case-insensitive)."""
        key = segment.lower()
        return self.tenants.get(key) or self.tenants.get(self._domains.get(key, ""))

    def domain_owner(self, domain: str) -> str | None:
        """The id of the tenant that has verified ``domain`` (None when no tenant has)."""
        return self._domains.get(domain.lower())

    def claim_domain(self, tenant: Tenant, domain: str) -> None:
        """``domain`` is now verified in ``tenant``: tokens and sign-ins may name it."""
        self._domains[domain.lower()] = tenant.tenant_id

    def release_domain(self, domain: str) -> None:
        self._domains.pop(domain.lower(), None)

    def multi_tenant_app(self, app_id: str) -> tuple[str, Application] | None:
        """(home tenant id, application) of a multi-tenant app registered anywhere."""
        for tenant in self.tenants.values():
            app = tenant.applications.get(app_id.lower())
            if app is not None:
                return (tenant.tenant_id, app) if app.sign_in_audience != "AzureADMyOrg" else None
        return None

    def home_of(self, app_id: str) -> tuple[Tenant, Application] | None:
        """The tenant an application is registered in, and the application."""
        for tenant in self.tenants.values():
            app = tenant.applications.get(app_id.lower())
            if app is not None:
                return tenant, app
        return None

    # -- admin operations -------------------------------------------------------------------

    def create_tenant(self, body: Any) -> dict:
        body = _fields(body, {"display_name", "domains", "teams"}, ("display_name",))
        name = _text(body, "display_name")
        extra = _names(body, "domains", _DOMAIN.match) if "domains" in body else []
        extra = [d.lower() for d in extra]
        teams = _flag(body, "teams") if "teams" in body else True
        with self.lock:
            for domain in extra:
                if domain in self._domains:
                    raise AdminError(409, f"domain {domain!r} is already verified in a tenant")
            slug = re.sub(r"[^a-z0-9]", "", name.lower())[:27] or "tenant"
            default, counter = f"{slug}.onmicrosoft.com", 1
            while default in self._domains or default in extra:
                counter += 1
                default = f"{slug}{counter}.onmicrosoft.com"
            tenant = Tenant(str(uuid.uuid4()), name, [default, *extra], teams, utcnow())
            self._add_tenant(tenant)
            self.save()
        return {"tenant_id": tenant.tenant_id, "default_domain": default}

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self.tenants.get(tenant_id.lower())
        if tenant is None:
            raise AdminError(404, f"tenant {tenant_id!r} not found")
        return tenant

    def app(self, tenant_id: str, app_id: str) -> Application:
        app = self.tenant(tenant_id).applications.get(app_id.lower())
        if app is None:
            raise AdminError(404, f"application {app_id!r} not found in tenant {tenant_id!r}")
        return app

    @staticmethod
    def _changes(body: dict) -> dict[str, Any]:
        """Validated new values for an application's mutable fields."""
        changes: dict[str, Any] = {}
        if "permissions" in body:
            changes["permissions"] = _names(body, "permissions", _PERMISSION.match)
        if "roles" in body:
            changes["roles"] = _names(body, "roles", DIRECTORY_ROLES.__contains__)
        if "enabled" in body:
            changes["enabled"] = _flag(body, "enabled")
        if "redirect_uris" in body:
            changes["redirect_uris"] = _names(body, "redirect_uris", _REDIRECT.match)
        return changes

    def create_application(self, tenant_id: str, body: Any) -> dict:
        allowed = {"display_name", "permissions", "roles", "enabled", "sign_in_audience"}
        body = _fields(body, allowed | {"redirect_uris", "public_client"}, ("display_name",))
        audience = body.get("sign_in_audience", "AzureADMyOrg")
        if audience not in ("AzureADMyOrg", "AzureADMultipleOrgs"):
            raise AdminError(
                400, "sign_in_audience must be 'AzureADMyOrg' or 'AzureADMultipleOrgs'"
            )
        app = Application(
            app_id=str(uuid.uuid4()),
            object_id=str(uuid.uuid4()),
            service_principal_id=str(uuid.uuid4()),
            display_name=_text(body, "display_name"),
            created=utcnow(),
            sign_in_audience=audience,
            public_client=_flag(body, "public_client") if "public_client" in body else False,
            **{
                "permissions": [],
                "roles": [],
                "enabled": True,
                "redirect_uris": [],
                **self._changes(body),
            },
        )
        with self.lock:
            self.tenant(tenant_id).applications[app.app_id] = app
            self.save()
        return {
            "app_id": app.app_id,
            "object_id": app.object_id,
            "service_principal_id": app.service_principal_id,
        }

    def update_application(self, tenant_id: str, app_id: str, body: Any) -> dict:
        body = _fields(body, {"permissions", "roles", "enabled", "redirect_uris", "owners"})
        with self.lock:
            app = self.app(tenant_id, app_id)
            changes = self._changes(body)
            if "owners" in body:
                tenant = self.tenant(tenant_id)
                owners = _names(body, "owners", lambda name: True)
                known = {*tenant.users, *(p.service_principal_id for p in tenant.principals())}
                if not set(map(str.lower, owners)) <= known:
                    raise AdminError(
                        400, "owners must be object ids of the tenant's users or service principals"
                    )
                changes["owners"] = [owner.lower() for owner in owners]
            for name, value in changes.items():
                setattr(app, name, value)
            self.save()
            return app.public()

    def add_secret(self, tenant_id: str, app_id: str, body: Any) -> dict:
        allowed = {"display_name", "start_date_time", "end_date_time", "secret_text"}
        body = _fields(body, allowed)
        now = utcnow()
        display_name = _text(body, "display_name") if "display_name" in body else None
        end = _moment(body, "end_date_time") if "end_date_time" in body else now + timedelta(180)
        start = _moment(body, "start_date_time") if "start_date_time" in body else min(now, end)
        if start > end:
            raise AdminError(400, "start_date_time must not be after end_date_time")
        text = (
            _text(body, "secret_text", max_length=1024)
            if "secret_text" in body
            else generate_secret_text()
        )
        secret = Secret(str(uuid.uuid4()), display_name, text, start, end)
        with self.lock:
            self.app(tenant_id, app_id).secrets.append(secret)
            self.save()
        return {
            "key_id": secret.key_id,
            "secret_text": secret.secret_text,
            "hint": secret.hint,
            "start_date_time": iso_z(secret.start),
            "end_date_time": iso_z(secret.end),
        }

    def delete_secret(self, tenant_id: str, app_id: str, key_id: str) -> None:
        with self.lock:
            app = self.app(tenant_id, app_id)
            kept = [s for s in app.secrets if s.key_id != key_id.lower()]
            if len(kept) == len(app.secrets):
                raise AdminError(404, f"secret {key_id!r} not found")
            app.secrets = kept
            self.save()

    def set_faults(self, body: Any) -> dict:
        allowed = {"latency_ms", "status", "rate", "retry_after", "paths", "replication_delay_ms"}
        body = _fields(body, allowed | {"device_code_interval", "device_code_expires_in"})
        interval = _seconds(body, "device_code_interval", 5, 60)
        expires_in = _seconds(body, "device_code_expires_in", 900, 900)
        delay = body.get("replication_delay_ms", 0)
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not 0 <= delay <= 3_600_000
        ):
            raise AdminError(400, "replication_delay_ms must be a number between 0 and 3600000")
        latency = body.get("latency_ms", 0)
        status = body.get("status")
        rate = body.get("rate", 1.0 if status is not None else 0.0)
        retry_after = body.get("retry_after")
        paths = body.get("paths", "all")
        if isinstance(latency, bool) or not isinstance(latency, int | float):
            raise AdminError(400, "latency_ms must be a number")
        if not 0 <= latency <= 120_000:
            raise AdminError(400, "latency_ms must be between 0 and 120000")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
        ):
            raise AdminError(400, "status must be null or an HTTP error status (400-599)")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise AdminError(400, "rate must be a number between 0 and 1")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise AdminError(400, "retry_after must be null or a non-negative integer")
        if paths not in ("token", "graph", "all"):
            raise AdminError(400, "paths must be 'token', 'graph' or 'all'")
        faults = Faults(
            float(latency),
            status,
            float(rate),
            retry_after,
            paths,
            float(delay),
            interval,
            expires_in,
        )
        with self.lock:
            self.faults = faults
        return faults.public()

    def set_clock(self, body: Any) -> dict:
        """Moves the directory's clock to ``now`` (null: back to the wall clock); it ticks on."""
        body = _fields(body, {"now"}, required=("now",))
        moment = None if body["now"] is None else _moment(body, "now")
        with self.lock:
            DirectoryClock.set(moment)
        return {"now": iso_z(utcnow())}

    def set_dns(self, body: Any) -> dict:
        """Where `verify` resolves TXT records: a DNS server at HOST:PORT, or (null) the
        sandbox's own zones; and the key of its DNS-hosting API (default when left out)."""
        body = _fields(body if body is not None else {}, {"resolver", "api_key"})
        key = _text(body, "api_key") if "api_key" in body else DEFAULT_POWERDNS_KEY
        value = body.get("resolver")
        resolver = None
        if value is not None:
            host, _, port = str(value).rpartition(":")
            if not isinstance(value, str) or not host or not port.isdigit():
                raise AdminError(400, "resolver must be null or HOST:PORT")
            if not 0 < int(port) < 65536:
                raise AdminError(400, "resolver must be null or HOST:PORT")
            resolver = (host.strip("[]"), int(port))
        with self.lock:
            self.dns_resolver = resolver
            self.powerdns_key = key
        return {"resolver": value}

    def dns_view(self) -> dict:
        """The DNS settings and every hosted record, zone-file style, for tests to inspect."""
        with self.lock:
            host_port = (
                f"{self.dns_resolver[0]}:{self.dns_resolver[1]}" if self.dns_resolver else None
            )
            zones = {
                name: sorted(
                    f"{r['name']} {r['ttl']} IN {r['type']} {content}"
                    for r in zone["rrsets"]
                    for content in r["records"]
                )
                for name, zone in sorted(self.dns_zones.items())
            }
        return {"resolver": host_port, "zones": zones}

    def record(
        self, method: str, path: str, status: int, generation: int, kind: str = "identity"
    ) -> None:
        """Log a served request, unless a reset came while it was being served: a slow request
        of the previous test must not show in the next test's log. Stamped with the directory's
        clock, so that a test pinning it compares request times with the product's "now";
        ``kind`` (identity, graph or dns) is counted, the log being bounded."""
        moment = datetime.now(UTC) + DirectoryClock.offset
        stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entry = {"method": method, "path": path, "status": status, "time": stamp}
        with self.lock:
            if generation != self.generation:
                return
            self._requests.append(entry)
            self.requests_total += 1
            self.requests_by_kind[kind] = self.requests_by_kind.get(kind, 0) + 1

    def request_log(self) -> dict:
        """The bounded log and the count of every request served."""
        with self.lock:
            return {
                "requests": list(self._requests),
                "total": self.requests_total,
                "by_kind": dict(self.requests_by_kind),
            }

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.tenants.clear()
            self._domains.clear()
            self.faults = Faults()
            DirectoryClock.set(None)
            self.dns_resolver = None
            self.dns_zones.clear()
            self.powerdns_key = DEFAULT_POWERDNS_KEY
            self.pending.clear()
            self._requests.clear()
            self.requests_total = 0
            self.requests_by_kind.clear()
            self.save()
