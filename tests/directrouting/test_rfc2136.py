"""The rfc2136 backend against a real Knot server: updates, read-back, and every refusal named."""

from __future__ import annotations

import pytest

from onramp.directrouting.dns import DnsError, Rfc2136Backend, TxtRecord
from tests.conftest import free_port
from tests.directrouting.conftest import INITIAL, READER_KEY, READER_SECRET, ZONE, KnotServer

RECORD = TxtRecord(f"customer1.{ZONE}", "MS=ms12345678")


def without_soa(lines: list[str]) -> list[str]:
    return [line for line in lines if " SOA " not in line]


def refused(backend: Rfc2136Backend) -> DnsError:
    with pytest.raises(DnsError) as caught:
        backend.publish(RECORD)
    return caught.value


def test_publish_reads_back_and_delete_removes(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings())
    assert knot.records() == INITIAL

    backend.publish(RECORD)

    assert backend.read(RECORD.name) == ["MS=ms12345678"]
    assert without_soa(knot.records()) == sorted(
        [*without_soa(INITIAL), f'customer1.{ZONE}. 3600 IN TXT "MS=ms12345678"']
    )
    backend.delete(RECORD)
    assert backend.read(RECORD.name) == []
    assert without_soa(knot.records()) == without_soa(INITIAL)


def test_publish_twice_keeps_one_record_and_delete_keeps_other_values(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings())
    other = TxtRecord(RECORD.name, "v=other", ttl=300)

    backend.publish(RECORD)
    backend.publish(RECORD)
    backend.publish(other)
    assert backend.read(RECORD.name) == ["MS=ms12345678", "v=other"]

    backend.delete(RECORD)
    backend.delete(RECORD)
    assert backend.read(RECORD.name) == ["v=other"]


def test_a_value_longer_than_one_txt_string_round_trips(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings())
    value = "x" * 300

    backend.publish(TxtRecord(RECORD.name, value))

    assert backend.read(RECORD.name) == [value]
    assert f'customer1.{ZONE}. 3600 IN TXT "{"x" * 255}" "{"x" * 45}"' in knot.records()


def test_unknown_key_is_named_and_nothing_changes(knot: KnotServer):
    error = refused(Rfc2136Backend(knot.settings(key_name="wrong-key")))

    assert error.message == (
        f"The DNS server 127.0.0.1:{knot.port} refused the update: TSIG key 'wrong-key' is not "
        "valid (BADKEY); check the key name, that the server has this key and that it may "
        f"update the zone '{ZONE}'."
    )
    assert error.transient is False
    assert knot.records() == INITIAL


def test_wrong_secret_is_named_and_nothing_changes(knot: KnotServer):
    error = refused(Rfc2136Backend(knot.settings(key_secret=READER_SECRET)))

    assert error.message == (
        f"The DNS server 127.0.0.1:{knot.port} refused the update: the secret or algorithm of "
        "TSIG key 'onramp-key' does not match the server's (BADSIG)."
    )
    assert error.transient is False
    assert knot.records() == INITIAL


def test_key_without_update_right_is_named_and_nothing_changes(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings(key_name=READER_KEY, key_secret=READER_SECRET))

    error = refused(backend)

    assert error.message == (
        f"The DNS server 127.0.0.1:{knot.port} refused the update: TSIG key 'reader-key' is not "
        "valid (BADKEY); check the key name, that the server has this key and that it may "
        f"update the zone '{ZONE}'."
    )
    assert error.transient is False
    assert knot.records() == INITIAL


def test_zone_not_served_is_named_and_nothing_changes(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings(zone="example.net"))

    with pytest.raises(DnsError) as caught:
        backend.publish(TxtRecord("customer1.example.net", "MS=ms12345678"))

    assert caught.value.message == (
        f"The zone 'example.net' is not served by the DNS server 127.0.0.1:{knot.port} "
        "(REFUSED to its SOA query): check the zone and the server in the DNS settings."
    )
    assert caught.value.transient is False
    assert knot.records() == INITIAL


def test_subdomain_of_the_zone_configured_as_zone_is_not_served(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings(zone=f"sub.{ZONE}"))

    with pytest.raises(DnsError) as caught:
        backend.publish(TxtRecord(f"customer1.sub.{ZONE}", "MS=ms12345678"))

    assert caught.value.message == (
        f"The zone 'sub.{ZONE}' is not served by the DNS server 127.0.0.1:{knot.port} "
        "(NXDOMAIN to its SOA query): check the zone and the server in the DNS settings."
    )
    assert knot.records() == INITIAL


def test_name_outside_the_zone_is_refused_before_any_update(knot: KnotServer):
    with pytest.raises(DnsError) as caught:
        Rfc2136Backend(knot.settings()).publish(TxtRecord("customer1.example.org", "v"))

    assert caught.value.message == (
        f"The name 'customer1.example.org' is not inside the zone '{ZONE}': the DNS settings "
        "name another zone."
    )
    assert caught.value.transient is False
    assert knot.records() == INITIAL


def test_record_hidden_below_a_delegation_fails_the_read_back(knot: KnotServer):
    backend = Rfc2136Backend(knot.settings())

    with pytest.raises(DnsError) as caught:
        backend.publish(TxtRecord(f"customer1.elsewhere.{ZONE}", "MS=ms12345678"))

    assert caught.value.message == (
        f"The DNS server 127.0.0.1:{knot.port} accepted the TXT record for "
        f"'customer1.elsewhere.{ZONE}' but does not answer with it; check that no delegation "
        "or other zone covers that name."
    )
    assert caught.value.transient is True


def test_server_down_is_transient(knot: KnotServer):
    port = free_port()
    error = refused(Rfc2136Backend(knot.settings(port=port)))

    assert error.message == (
        f"The DNS server 127.0.0.1:{port} could not be reached (connection refused); "
        "it will be tried again."
    )
    assert error.transient is True


def test_dns_test_creates_and_deletes_a_probe(knot: KnotServer):
    message = Rfc2136Backend(knot.settings()).test()

    assert message.startswith(
        f"The DNS server 127.0.0.1:{knot.port} created and deleted the probe record '_onramp-probe-"
    )
    assert message.endswith(f".{ZONE}' with the key 'onramp-key'.")
    assert without_soa(knot.records()) == without_soa(INITIAL)
    assert knot.records() != INITIAL  # the server did take two updates: the serial moved on


def test_dns_test_reports_a_bad_key(knot: KnotServer):
    with pytest.raises(DnsError) as caught:
        Rfc2136Backend(knot.settings(key_name="wrong-key")).test()

    assert "TSIG key 'wrong-key' is not valid (BADKEY)" in caught.value.message
    assert knot.records() == INITIAL


def test_settings_that_cannot_sign_are_refused(knot: KnotServer):
    with pytest.raises(DnsError) as algorithm:
        Rfc2136Backend(knot.settings(key_algorithm="hmac-md4"))
    with pytest.raises(DnsError) as secret:
        Rfc2136Backend(knot.settings(key_secret="not base64!"))

    assert algorithm.value.message == (
        "The TSIG algorithm 'hmac-md4' is not supported: use one of hmac-sha256, hmac-sha384, "
        "hmac-sha512, hmac-sha224, hmac-sha1."
    )
    assert secret.value.message == ("The secret of the TSIG key 'onramp-key' is not valid base64.")
