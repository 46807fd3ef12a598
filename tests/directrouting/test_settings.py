"""Stored provider settings (CONTRACT §4 ``{backend, settings}``) turned into a backend."""

from __future__ import annotations

import pytest

from onramp.directrouting.dns import (
    DnsError,
    HostedBackend,
    ManualBackend,
    Rfc2136Backend,
    backend_from_settings,
)

RFC2136 = {
    "server": "192.0.2.53",
    "zone": "sbc.provider.example",
    "key_name": "onramp-key",
    "key_secret": "b25yYW1wLXRlc3Qta2V5LXNlY3JldC0zMi1ieXRlcyE=",
}


def test_rfc2136_defaults_port_and_algorithm():
    backend = backend_from_settings("rfc2136", RFC2136)

    assert isinstance(backend, Rfc2136Backend)
    assert (backend.settings.port, backend.settings.key_algorithm) == (53, "hmac-sha256")


@pytest.mark.parametrize(
    ("resolver", "host", "port"),
    [
        ("192.0.2.1", "192.0.2.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:53", "::1", 53),
    ],
)
def test_manual_resolver_host_and_port(resolver: str, host: str, port: int):
    backend = backend_from_settings(
        "manual", {"zone": "sbc.provider.example", "resolver": resolver}
    )

    assert isinstance(backend, ManualBackend)
    assert (backend.settings.resolver, backend.settings.resolver_port) == (host, port)


def test_any_other_name_is_a_lexicon_provider_with_its_options():
    backend = backend_from_settings(
        "powerdns", {"zone": "sbc.provider.example", "auth_token": "t", "pdns_server": "http://x"}
    )

    assert isinstance(backend, HostedBackend)
    assert backend.settings.options == {"auth_token": "t", "pdns_server": "http://x"}


def test_missing_and_unknown_settings_are_named():
    with pytest.raises(DnsError) as missing:
        backend_from_settings("rfc2136", {k: v for k, v in RFC2136.items() if k != "key_secret"})
    with pytest.raises(DnsError) as unknown:
        backend_from_settings("rfc2136", RFC2136 | {"key_secert": "x"})

    assert missing.value.message == "The DNS settings for 'rfc2136' lack 'key_secret'."
    assert unknown.value.message == (
        "The DNS settings for 'rfc2136' have unknown settings: key_secert."
    )
    assert (missing.value.transient, unknown.value.transient) == (False, False)
