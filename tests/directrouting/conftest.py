"""Real parts for the DNS backends: Debian's Knot as the provider's authoritative server, and a
stand-in for a hosted DNS service's HTTP API (PowerDNS's, which a real lexicon provider speaks)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import dns.tsig
import dns.zone
import pytest

from onramp.core.actors import Actor
from onramp.directrouting import machine
from onramp.directrouting.dns import Rfc2136Settings
from onramp.directrouting.dns_settings import dns_settings_set
from tests.conftest import PASSWORD, free_port
from tests.factories import OperatorFactory, ProviderFactory, ServiceFactory
from tests.m365.conftest import ALL_PERMISSIONS, make_tenant
from tests.signin import sign_in

KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
ZONE = "sbc.provider.example"
KEY_NAME = "onramp-key"
KEY_SECRET = "b25yYW1wLXRlc3Qta2V5LXNlY3JldC0zMi1ieXRlcyE="
READER_KEY = "reader-key"  # known to the server, may transfer the zone but not update it
READER_SECRET = "cmVhZGVyLWtleS1zZWNyZXQtMzItYnl0ZXMtbG9uZyE="

ZONE_FILE = f"""$ORIGIN {ZONE}.
$TTL 3600
@ SOA ns1 hostmaster 1 3600 900 604800 60
@ NS ns1
ns1 A 127.0.0.1
elsewhere NS ns.other.example.
"""
# The zone as the server transfers it (AXFR) right after a reset.
INITIAL = sorted(
    [
        f"{ZONE}. 3600 IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 900 604800 60",
        f"{ZONE}. 3600 IN NS ns1.{ZONE}.",
        f"elsewhere.{ZONE}. 3600 IN NS ns.other.example.",
        f"ns1.{ZONE}. 3600 IN A 127.0.0.1",
    ]
)

KNOT_CONF = """server:
    rundir: "{dir}"
    listen: 127.0.0.1@{port}
log:
  - target: stderr
    any: warning
database:
    storage: "{dir}"
key:
  - id: {key_name}
    algorithm: hmac-sha256
    secret: {key_secret}
  - id: {reader_key}
    algorithm: hmac-sha256
    secret: {reader_secret}
acl:
  - id: onramp-update
    key: {key_name}
    action: [update, transfer]
  - id: reader-transfer
    key: {reader_key}
    action: transfer
template:
  - id: default
    storage: "{dir}"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: {zone}
    acl: [onramp-update, reader-transfer]
"""


@dataclass
class KnotServer:
    """A running knotd serving ``ZONE``; ``reset()`` reloads the zone file, undoing updates."""

    host: str
    port: int
    conf: Path
    process: subprocess.Popen[bytes]

    def settings(self, **overrides: Any) -> Rfc2136Settings:
        values: dict[str, Any] = {
            "server": self.host,
            "port": self.port,
            "zone": ZONE,
            "key_name": KEY_NAME,
            "key_secret": KEY_SECRET,
            "timeout": 5.0,
        }
        return Rfc2136Settings(**(values | overrides))

    def reset(self) -> None:
        subprocess.run(
            [KNOTC, "-c", str(self.conf), "-b", "zone-reload", ZONE],
            check=True,
            capture_output=True,
        )

    def records(self) -> list[str]:
        """The zone's records as the server transfers them (AXFR), SOA included, sorted."""
        key = dns.tsig.Key(KEY_NAME, KEY_SECRET, "hmac-sha256")
        transfer = dns.query.xfr(
            self.host,
            f"{ZONE}.",
            port=self.port,
            keyring={key.name: key},
            keyname=key.name,
            relativize=False,
        )
        zone = dns.zone.from_xfr(transfer, relativize=False)
        return sorted(zone.to_text(relativize=False).splitlines())

    def answers(self) -> bool:
        try:
            query = dns.message.make_query(ZONE, dns.rdatatype.SOA)
            return bool(dns.query.tcp(query, self.host, port=self.port, timeout=1).answer)
        except OSError:
            return False


@pytest.fixture(scope="session")
def knot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    """knotd started once for the session on a free loopback port (``make dns-server``)."""
    assert shutil.which(KNOTD), "knotd is missing: run `make dns-server`"
    directory = tmp_path_factory.mktemp("knot")
    (directory / f"{ZONE}.zone").write_text(ZONE_FILE)
    port = free_port()
    conf = directory / "knot.conf"
    conf.write_text(
        KNOT_CONF.format(
            dir=directory,
            port=port,
            zone=ZONE,
            key_name=KEY_NAME,
            key_secret=KEY_SECRET,
            reader_key=READER_KEY,
            reader_secret=READER_SECRET,
        )
    )
    log = (directory / "knotd.log").open("wb")
    process = subprocess.Popen([KNOTD, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    server = KnotServer("127.0.0.1", port, conf, process)
    deadline = time.monotonic() + 15
    while not server.answers():
        assert process.poll() is None, (directory / "knotd.log").read_text()
        assert time.monotonic() < deadline, "knotd did not answer within 15 s"
        time.sleep(0.05)
    yield server
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def knot(knot_server: KnotServer) -> KnotServer:
    """The Knot server with its zone back to the zone file."""
    knot_server.reset()
    return knot_server


@dataclass
class PowerDnsApi:
    """The part of PowerDNS's HTTP API (``/api/v1/servers/localhost/zones/{zone}``: GET, PATCH)
    that lexicon's ``powerdns`` provider uses, over real HTTP, holding its zones in memory."""

    url: str
    api_key: str
    zones: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    fail_status: int | None = None
    requests: list[str] = field(default_factory=list)

    def rrsets(self, zone: str) -> dict[tuple[str, str], dict[str, Any]]:
        return self.zones[zone.rstrip(".") + "."]


def _handler(api: PowerDnsApi) -> type[BaseHTTPRequestHandler]:
    prefix = "/api/v1/servers/localhost/zones/"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is pytest's."""

        def _answer(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _zone(self) -> str | None:
            """The zone named in the path after the checks PowerDNS makes (key, existence)."""
            api.requests.append(f"{self.command} {self.path}")
            if api.fail_status:
                self._answer(api.fail_status, {"error": "Service unavailable"})
                return None
            if self.headers.get("X-API-Key") != api.api_key:
                self._answer(401, {"error": "Unauthorized"})
                return None
            name = self.path.removeprefix(prefix)
            if not self.path.startswith(prefix) or name not in api.zones:
                self._answer(404, {"error": f"Could not find domain '{name}'"})
                return None
            return name

        def do_GET(self) -> None:
            zone = self._zone()
            if zone is not None:
                rrsets = [
                    {"name": name, "type": rtype, **rrset}
                    for (name, rtype), rrset in sorted(api.zones[zone].items())
                ]
                self._answer(200, {"name": zone, "kind": "Native", "rrsets": rrsets})

        def do_PATCH(self) -> None:
            zone = self._zone()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if zone is None:
                return
            for rrset in body["rrsets"]:
                key = (rrset["name"], rrset["type"])
                if rrset["changetype"] == "DELETE" or not rrset["records"]:
                    api.zones[zone].pop(key, None)
                else:
                    api.zones[zone][key] = {"ttl": rrset["ttl"], "records": rrset["records"]}
            self._answer(204)

    return Handler


@pytest.fixture
def powerdns() -> Iterator[PowerDnsApi]:
    """A PowerDNS API stand-in on a free loopback port, serving ``ZONE`` with one NS record."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    api = PowerDnsApi(url=f"http://127.0.0.1:{server.server_address[1]}", api_key="pdns-api-key")
    api.zones[f"{ZONE}."] = {
        (f"{ZONE}.", "NS"): {
            "ttl": 3600,
            "records": [{"content": "ns1.example.", "disabled": False}],
        }
    }
    server.RequestHandlerClass = _handler(api)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def api(operator):
    """The provider's operator, by API token."""
    from tests.api.helpers import Api, token_for

    return Api(token_for(operator), operator)


@pytest.fixture
def admin_api(provider):
    """An admin of the provider: its Direct Routing settings are its own."""
    from tests.api.helpers import api_as

    return api_as(
        email="admin@northwind.example", role="admin", scope="provider", provider=provider
    )


def use_knot(provider, knot: KnotServer, **overrides: Any) -> None:
    """The provider's DNS backend: RFC 2136 to the Knot server (``overrides``: other settings)."""
    settings = {
        "server": knot.host,
        "port": knot.port,
        "zone": ZONE,
        "key_name": KEY_NAME,
        "key_secret": KEY_SECRET,
    }
    dns_settings_set(
        actor=Actor.system(),
        provider=provider,
        backend="rfc2136",
        settings={**settings, **overrides},
    )


# --- a customer tenant in the sandbox, ready for the steps ---------------------------------------

TEAMS_READ = "TeamsUserConfiguration.Read.All"
E3 = {"sku_part_number": "ENTERPRISEPACK", "prepaid_units": 5, "service_plans": ["TEAMS1"]}
PHONE = {"sku_part_number": "MCOEV", "prepaid_units": 2, "service_plans": ["MCOEV"]}


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(machine, "enqueue_on_commit", lambda *args: calls.append(args))
    return calls


@pytest.fixture
def world(sandbox, microsoft_settings, knot, enqueued):
    """A customer tenant whose app may do every step, licenses with Teams, the provider's zone
    in Knot (where the sandbox looks for verification records) and an active service."""
    tenant = make_tenant(sandbox, permissions=[*ALL_PERMISSIONS, TEAMS_READ])
    sandbox.admin.set_skus(tenant.tenant_id, [E3, PHONE])
    sandbox.admin.set_dns(f"{knot.host}:{knot.port}")
    provider = ProviderFactory(sbc_domain=ZONE, sbc_domains=[ZONE])
    use_knot(provider, knot)
    service = ServiceFactory(
        connected=True,
        tenant=tenant,
        short_name="Contoso-01",
        licensed_users=3,
        customer__provider=provider,
        customer__country="GB",
    )
    operator = OperatorFactory(role="operator", scope="provider", provider=provider)
    operator.set_password(PASSWORD)
    operator.save()
    ops = Actor.for_operator(operator)
    yield sandbox, tenant, service, ops
    sandbox.admin.set_dns(None)


# --- signed-in page clients ------------------------------------------------------------------


@pytest.fixture
def ops_client(client, operator):
    return sign_in(client, operator)


@pytest.fixture
def monitor(provider):
    """A provider-scoped monitor: may read every page, change nothing."""
    return OperatorFactory(role="monitor", scope="provider", provider=provider)
