"""DNS backends for the SBC zones: ``rfc2136``, hosted services (dns-lexicon), ``manual``.

A plain package, no Django: the caller passes the provider's stored settings (CONTRACT §4
``{backend, settings}``) to ``backend_from_settings`` and gets an object to publish, delete, read
and test TXT records with. Every failure is a ``DnsError`` that says whether to retry.
"""

from __future__ import annotations

from typing import Any

from onramp.directrouting.dns.errors import DnsError
from onramp.directrouting.dns.hosted import HostedBackend, HostedSettings, hosted_providers
from onramp.directrouting.dns.manual import ManualBackend, ManualSettings
from onramp.directrouting.dns.records import TxtRecord
from onramp.directrouting.dns.rfc2136 import Rfc2136Backend, Rfc2136Settings

__all__ = [
    "DnsError",
    "HostedBackend",
    "HostedSettings",
    "ManualBackend",
    "ManualSettings",
    "Rfc2136Backend",
    "Rfc2136Settings",
    "TxtRecord",
    "backend_from_settings",
    "hosted_providers",
]

Backend = Rfc2136Backend | HostedBackend | ManualBackend


def backend_from_settings(backend: str, settings: dict[str, Any]) -> Backend:
    """The backend a provider configured. ``manual`` takes ``{zone, resolver: "HOST[:PORT]"}``,
    ``rfc2136`` CONTRACT's settings, any other name is a lexicon provider with ``{zone, …}`` and
    that provider's options. A missing or unknown setting is a permanent ``DnsError``."""
    values = dict(settings)
    try:
        if backend == "manual":
            _only(backend, values, {"zone", "resolver"})
            host, port = _host_port(str(values["resolver"]))
            return ManualBackend(
                ManualSettings(zone=values["zone"], resolver=host, resolver_port=port)
            )
        if backend == "rfc2136":
            _only(backend, values, RFC2136_SETTINGS)
            return Rfc2136Backend(
                Rfc2136Settings(
                    server=values["server"],
                    port=int(values.get("port", 53)),
                    zone=values["zone"],
                    key_name=values["key_name"],
                    key_secret=values["key_secret"],
                    key_algorithm=values.get("key_algorithm", "hmac-sha256"),
                )
            )
        zone = values.pop("zone")
        return HostedBackend(HostedSettings(provider=backend, zone=zone, options=values))
    except KeyError as exc:
        raise DnsError(
            f"The DNS settings for '{backend}' lack '{exc.args[0]}'.", transient=False
        ) from None


RFC2136_SETTINGS = {"server", "port", "zone", "key_name", "key_secret", "key_algorithm"}


def _only(backend: str, values: dict[str, Any], allowed: set[str]) -> None:
    """Refuse a setting the backend does not know: a typo must not pass as a default."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise DnsError(
            f"The DNS settings for '{backend}' have unknown settings: {', '.join(unknown)}.",
            transient=False,
        )


def _host_port(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT``, the port 53 when not given."""
    host, colon, port = text.rpartition(":")
    if colon and port.isdigit() and (host.count(":") == 0 or host.startswith("[")):
        return host.strip("[]"), int(port)
    return text.strip("[]"), 53
