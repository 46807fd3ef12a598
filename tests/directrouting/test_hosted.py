"""Hosted DNS through dns-lexicon: lexicon's real ``powerdns`` provider against a stand-in of
PowerDNS's HTTP API on loopback (no hosted service is reachable from here)."""

from __future__ import annotations

import pytest

from onramp.directrouting.dns import DnsError, HostedBackend, HostedSettings, TxtRecord
from tests.conftest import free_port
from tests.directrouting.conftest import ZONE, PowerDnsApi

RECORD = TxtRecord(f"customer1.{ZONE}", "MS=ms12345678")
NS = {
    (f"{ZONE}.", "NS"): {"ttl": 3600, "records": [{"content": "ns1.example.", "disabled": False}]}
}


def hosted(api: PowerDnsApi, **options: str) -> HostedBackend:
    values = {"auth_token": api.api_key, "pdns_server": api.url} | options
    return HostedBackend(HostedSettings(provider="powerdns", zone=ZONE, options=values))


def failure(backend: HostedBackend) -> DnsError:
    with pytest.raises(DnsError) as caught:
        backend.publish(RECORD)
    return caught.value


def test_publish_lists_back_and_delete_removes(powerdns: PowerDnsApi):
    backend = hosted(powerdns)

    backend.publish(RECORD)

    assert powerdns.rrsets(ZONE) == NS | {
        (f"customer1.{ZONE}.", "TXT"): {
            "ttl": 3600,
            "records": [{"content": '"MS=ms12345678"', "disabled": False}],
        }
    }
    assert backend.read(RECORD.name) == ["MS=ms12345678"]
    backend.delete(RECORD)
    assert backend.read(RECORD.name) == []
    assert powerdns.rrsets(ZONE) == NS


def test_delete_keeps_other_values_at_the_name(powerdns: PowerDnsApi):
    backend = hosted(powerdns)
    backend.publish(RECORD)
    backend.publish(TxtRecord(RECORD.name, "v=other"))

    backend.delete(RECORD)

    assert backend.read(RECORD.name) == ["v=other"]


def test_dns_test_leaves_no_probe(powerdns: PowerDnsApi):
    message = hosted(powerdns).test()

    assert message.startswith("The powerdns API created and deleted the probe record '_onramp-")
    assert powerdns.rrsets(ZONE) == NS
    assert [line.split(" ")[0] for line in powerdns.requests].count("PATCH") == 2


def test_refused_credentials_are_permanent_and_change_nothing(powerdns: PowerDnsApi):
    error = failure(hosted(powerdns, auth_token="wrong-token"))

    assert error.message == (
        "The powerdns API refused the credentials (HTTP 401): check the token or key in the "
        "DNS settings."
    )
    assert error.transient is False
    assert powerdns.rrsets(ZONE) == NS


def test_zone_not_in_the_account_is_named(powerdns: PowerDnsApi):
    backend = HostedBackend(
        HostedSettings(
            provider="powerdns",
            zone="example.net",
            options={"auth_token": powerdns.api_key, "pdns_server": powerdns.url},
        )
    )

    error = failure_for(backend, TxtRecord("customer1.example.net", "MS=ms12345678"))

    assert error.message == (
        "The zone 'example.net' is not served by this powerdns API account (HTTP 404)."
    )
    assert error.transient is False


def failure_for(backend: HostedBackend, record: TxtRecord) -> DnsError:
    with pytest.raises(DnsError) as caught:
        backend.publish(record)
    return caught.value


def test_service_unavailable_is_transient(powerdns: PowerDnsApi):
    powerdns.fail_status = 503

    error = failure(hosted(powerdns))

    assert error.message == (
        "The powerdns API is unavailable or throttling (HTTP 503); it will be tried again."
    )
    assert error.transient is True


def test_api_down_is_transient(powerdns: PowerDnsApi):
    error = failure(hosted(powerdns, pdns_server=f"http://127.0.0.1:{free_port()}"))

    assert error.message == (
        "The powerdns API could not be reached (ConnectionError); it will be tried again."
    )
    assert error.transient is True


def test_missing_option_is_reported_by_the_provider_without_credentials(powerdns: PowerDnsApi):
    backend = HostedBackend(
        HostedSettings(provider="powerdns", zone=ZONE, options={"auth_token": "secret-token"})
    )

    error = failure(backend)

    assert error.message == (
        f"The powerdns API failed for the zone '{ZONE}': PowerDNS API endpoint not defined "
        "(pdns_server)."
    )
    assert "secret-token" not in error.message


def test_unknown_service_and_missing_extra_are_named():
    with pytest.raises(DnsError) as unknown:
        HostedBackend(HostedSettings(provider="nosuchdns", zone=ZONE))
    with pytest.raises(DnsError) as extra:
        HostedBackend(HostedSettings(provider="route53", zone=ZONE))

    assert unknown.value.message == (
        "'nosuchdns' is not a DNS hosting service Onramp can speak to: choose manual, rfc2136 or "
        "one of dns-lexicon's providers."
    )
    assert extra.value.message == (
        "The DNS hosting service 'route53' needs dns-lexicon's extra 'route53', which this "
        "installation does not have."
    )
