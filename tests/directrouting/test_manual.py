"""The manual backend: the record to copy, and the check through a resolver (Knot answers)."""

from __future__ import annotations

import pytest

from onramp.directrouting.dns import (
    DnsError,
    ManualBackend,
    ManualSettings,
    Rfc2136Backend,
    TxtRecord,
)
from tests.conftest import free_port
from tests.directrouting.conftest import INITIAL, ZONE, KnotServer

RECORD = TxtRecord(f"customer1.{ZONE}.", "MS=ms12345678")


def manual(knot: KnotServer, **overrides: object) -> ManualBackend:
    values: dict[str, object] = {"zone": ZONE, "resolver": knot.host, "resolver_port": knot.port}
    return ManualBackend(ManualSettings(**(values | overrides)))  # type: ignore[arg-type]


def test_instructions_are_one_zone_file_line():
    backend = ManualBackend(ManualSettings(zone=ZONE, resolver="127.0.0.1"))

    assert backend.instructions(RECORD) == f'customer1.{ZONE}. 3600 IN TXT "MS=ms12345678"'


def test_check_waits_until_the_operator_published_the_record(knot: KnotServer):
    backend = manual(knot)
    assert backend.check(RECORD) is False

    Rfc2136Backend(knot.settings()).publish(RECORD)  # what the operator does in their DNS

    assert backend.check(RECORD) is True
    assert backend.check(TxtRecord(RECORD.name, "MS=ms87654321")) is False


def test_check_through_a_resolver_that_is_down_is_transient(knot: KnotServer):
    port = free_port()

    with pytest.raises(DnsError) as caught:
        manual(knot, resolver_port=port).check(RECORD)

    assert caught.value.message == (
        f"The resolver 127.0.0.1:{port} could not be reached (connection refused); "
        "it will be tried again."
    )
    assert caught.value.transient is True


def test_dns_test_proves_the_resolver_answers_for_the_zone(knot: KnotServer):
    assert manual(knot).test() == (
        f"The resolver 127.0.0.1:{knot.port} answers for the zone '{ZONE}'; records you publish "
        "there are checked through it."
    )
    assert knot.records() == INITIAL


def test_dns_test_names_a_zone_the_resolver_does_not_answer_for(knot: KnotServer):
    with pytest.raises(DnsError) as caught:
        manual(knot, zone="example.net").test()

    assert caught.value.message == (
        f"The resolver 127.0.0.1:{knot.port} does not answer for the zone 'example.net' "
        "(REFUSED to its SOA query): check the zone name and the resolver in the DNS settings."
    )
    assert caught.value.transient is False
