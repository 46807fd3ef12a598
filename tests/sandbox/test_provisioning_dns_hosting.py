"""The sandbox's DNS-hosting stand-in: the provider's zones behind PowerDNS's HTTP API, driven
here by dns-lexicon's own `powerdns` provider (what the product's hosted DNS backend loads), and
Graph's `verify` finding the records published there."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from lexicon._private.discovery import load_provider_module
from lexicon.config import ConfigResolver

from onramp.sandbox.admin import SandboxAdmin, SandboxAdminError
from onramp.sandbox.state import DEFAULT_POWERDNS_KEY

from .conftest import running_sandbox
from .provisioning import PROVISIONER, app_graph
from .test_permissions import Graph

ZONE = "sbc.provider.example"
DOMAIN = f"contoso.{ZONE}"
API = "/powerdns/api/v1/servers/localhost"


@pytest.fixture
def plain_url(sandbox_url: str) -> str:
    """The same port, without TLS: PowerDNS serves its API over plain HTTP."""
    return f"http://{urlsplit(sandbox_url).netloc}"


@pytest.fixture
def pdns(plain_url: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers["X-API-Key"] = DEFAULT_POWERDNS_KEY
    return session


def _lexicon(plain_url: str, key: str = DEFAULT_POWERDNS_KEY):
    config = {
        "provider_name": "powerdns",
        "domain": ZONE,
        "ttl": 3600,
        "powerdns": {"auth_token": key, "pdns_server": f"{plain_url}/powerdns"},
    }
    provider = load_provider_module("powerdns").Provider(ConfigResolver().with_dict(config))
    provider.authenticate()
    return provider


def test_lexicon_publishes_where_verify_looks(admin, http, sandbox_url, plain_url) -> None:
    tenant = admin.create_tenant("Contoso")
    graph: Graph = app_graph(http, sandbox_url, admin, tenant["tenant_id"], PROVISIONER)
    assert admin.create_zone(ZONE) == {"name": f"{ZONE}."}
    assert graph("POST", "/domains", {"id": DOMAIN}).status_code == 201
    text = graph("GET", f"/domains/{DOMAIN}/verificationDnsRecords").json()["value"][0]["text"]
    assert graph("POST", f"/domains/{DOMAIN}/verify").status_code == 400

    provider = _lexicon(plain_url)
    assert provider.create_record("TXT", DOMAIN, text)
    listed = provider.list_records("TXT", DOMAIN)
    assert [(r["name"], r["content"], r["ttl"]) for r in listed] == [(DOMAIN, text, 3600)]
    assert admin.dns()["zones"][f"{ZONE}."] == sorted(
        [
            f'{DOMAIN}. 3600 IN TXT "{text}"',
            f"{ZONE}. 3600 IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 10800 3600 604800 3600",
        ]
    )
    verified = graph("POST", f"/domains/{DOMAIN}/verify")
    assert verified.status_code == 200 and verified.json()["isVerified"] is True

    assert provider.delete_record(None, "TXT", DOMAIN, text)
    assert provider.list_records("TXT", DOMAIN) == []
    assert admin.dns() == {
        "resolver": None,
        "zones": {
            f"{ZONE}.": [
                f"{ZONE}. 3600 IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 10800 3600 604800 3600"
            ]
        },
    }


def test_the_api_over_https_and_its_zone_shape(admin, http, sandbox_url) -> None:
    admin.create_zone(ZONE)
    response = http.get(
        f"{sandbox_url}{API}/zones/{ZONE}", headers={"X-API-Key": DEFAULT_POWERDNS_KEY}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": f"{ZONE}.",
        "name": f"{ZONE}.",
        "kind": "Native",
        "url": f"/api/v1/servers/localhost/zones/{ZONE}.",
        "serial": 1,
        "notified_serial": 0,
        "edited_serial": 1,
        "masters": [],
        "dnssec": False,
        "account": "",
        "rrsets": [
            {
                "name": f"{ZONE}.",
                "type": "SOA",
                "ttl": 3600,
                "records": [
                    {
                        "content": f"ns1.{ZONE}. hostmaster.{ZONE}. 1 10800 3600 604800 3600",
                        "disabled": False,
                    }
                ],
                "comments": [],
            }
        ],
    }
    zones = http.get(f"{sandbox_url}{API}/zones", headers={"X-API-Key": DEFAULT_POWERDNS_KEY})
    assert [z["name"] for z in zones.json()] == [f"{ZONE}."]


def test_powerdns_errors(admin, pdns, plain_url) -> None:
    admin.create_zone(ZONE)
    url = f"{plain_url}{API}/zones"
    cases = [
        (pdns.get(f"{url}/{ZONE}.", headers={"X-API-Key": "wrong"}), 401, "Unauthorized"),
        (pdns.get(f"{url}/other.example."), 404, "Could not find domain 'other.example.'"),
        (
            pdns.post(url, json={"name": f"{ZONE}.", "kind": "Native"}),
            409,
            f"Domain '{ZONE}.' already exists",
        ),
        (pdns.post(url, json={"name": "bad name"}), 422, "Unable to parse DNS Name 'bad name'"),
        (
            pdns.patch(
                f"{url}/{ZONE}.",
                json={
                    "rrsets": [
                        {
                            "name": "x.other.example.",
                            "type": "TXT",
                            "changetype": "REPLACE",
                            "records": [],
                        }
                    ]
                },
            ),
            422,
            "RRset x.other.example. IN TXT: Name is out of zone",
        ),
        (
            pdns.patch(
                f"{url}/{ZONE}.",
                json={
                    "rrsets": [
                        {
                            "name": f"x.{ZONE}.",
                            "type": "TXT",
                            "ttl": 60,
                            "changetype": "REPLACE",
                            "records": [{"content": "unquoted", "disabled": False}],
                        }
                    ]
                },
            ),
            422,
            f"RRset x.{ZONE}. IN TXT: Parsing record content: Data field in DNS should start "
            "with quote (\") at position 0 of 'unquoted'",
        ),
        (
            pdns.patch(
                f"{url}/{ZONE}.",
                json={"rrsets": [{"name": f"x.{ZONE}.", "type": "TXT", "changetype": "UPSERT"}]},
            ),
            422,
            "Changetype not understood",
        ),
        (pdns.get(f"{plain_url}{API}/nothing"), 404, "Not Found"),
    ]
    for response, status, message in cases:
        assert (response.status_code, response.json()) == (status, {"error": message})
    # A refused change leaves the zone as it was.
    assert pdns.get(f"{url}/{ZONE}.").json()["serial"] == 1
    # Plain HTTP reaches the DNS-hosting API only.
    graph = requests.get(f"{plain_url}/graph/v1.0/organization", timeout=5)
    assert (graph.status_code, graph.json()) == (
        400,
        {"error": "this port speaks HTTPS; plain HTTP serves only /powerdns/"},
    )


def test_created_and_deleted_zones_and_the_api_key(admin, pdns, plain_url) -> None:
    made = pdns.post(
        f"{plain_url}{API}/zones",
        json={"name": "voice.example", "kind": "Native", "nameservers": []},
    )
    assert made.status_code == 201 and made.json()["name"] == "voice.example."
    with pytest.raises(SandboxAdminError) as duplicate:
        admin.create_zone("voice.example")
    assert (duplicate.value.status, str(duplicate.value)) == (
        409,
        "sandbox admin API answered 409: Domain 'voice.example.' already exists",
    )
    with pytest.raises(SandboxAdminError) as bad:
        admin.create_zone("not a zone")
    assert bad.value.status == 400
    admin.set_dns(None, api_key="provider-key")
    assert pdns.get(f"{plain_url}{API}/zones").status_code == 401
    assert (
        pdns.get(f"{plain_url}{API}/zones", headers={"X-API-Key": "provider-key"}).status_code
        == 200
    )
    admin.set_dns(None)  # back to the default key
    assert pdns.delete(f"{plain_url}{API}/zones/voice.example").status_code == 204
    assert pdns.get(f"{plain_url}{API}/zones").json() == []


def test_hosted_zones_survive_a_restart(tmp_path) -> None:
    with running_sandbox(tmp_path) as (url, ca, _):
        admin = SandboxAdmin(url, ca)
        admin.create_zone(ZONE)
        _lexicon(url.replace("https://", "http://")).create_record("TXT", DOMAIN, "MS=ms12345678")
        before = admin.dns()
    with running_sandbox(tmp_path) as (url, ca, _):
        assert SandboxAdmin(url, ca).dns() == before
        assert f'{DOMAIN}. 3600 IN TXT "MS=ms12345678"' in before["zones"][f"{ZONE}."]
