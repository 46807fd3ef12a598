"""Hosted DNS services through dns-lexicon: one backend for every provider lexicon speaks.

Lexicon's public ``Client`` guesses the zone from the public-suffix list (fetched from the
network at first use) or from a live DNS lookup; Onramp knows the zone from the provider's
settings, so it loads the provider class itself and hands it the zone. Lexicon's discovery
functions live in ``lexicon._private``: the tests load a real provider through them, so an
upgrade that moves them fails there and not in production.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import requests
from lexicon._private.discovery import find_providers, load_provider_module
from lexicon.config import ConfigResolver
from lexicon.exceptions import AuthenticationError
from lexicon.interfaces import Provider

from onramp.directrouting.dns.errors import DnsError
from onramp.directrouting.dns.records import TxtRecord, name_in_zone

# HTTP answers worth waiting out: throttling and the service's own failures.
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def hosted_providers() -> list[str]:
    """Lexicon's providers whose extra dependencies are installed here (usable as they are)."""
    return sorted(name for name, available in find_providers().items() if available)


@dataclass(frozen=True)
class HostedSettings:
    """``provider`` is lexicon's name for the service; ``options`` its credentials and endpoint
    as lexicon names them (``auth_token``, ``pdns_server`` …)."""

    provider: str
    zone: str
    options: dict[str, str] = field(default_factory=dict)


class HostedBackend:
    """Publishes and deletes TXT records through a hosted DNS service's API."""

    def __init__(self, settings: HostedSettings) -> None:
        available = find_providers()
        if settings.provider not in available:
            raise DnsError(
                f"'{settings.provider}' is not a DNS hosting service Onramp can speak to: choose "
                "manual, rfc2136 or one of dns-lexicon's providers.",
                transient=False,
            )
        if not available[settings.provider]:
            raise DnsError(
                f"The DNS hosting service '{settings.provider}' needs dns-lexicon's extra "
                f"'{settings.provider}', which this installation does not have.",
                transient=False,
            )
        self.settings = settings
        self._provider_class: type[Provider] = load_provider_module(settings.provider).Provider
        self._zone = settings.zone.rstrip(".").lower()
        self._where = f"{settings.provider} API"

    def publish(self, record: TxtRecord) -> None:
        """Create the record (lexicon skips one already there), then read it back from the API."""
        fqdn = self._fqdn(record)
        self._call(lambda provider: provider.create_record("TXT", fqdn, record.value), record.ttl)
        if record.value not in self.read(fqdn):
            raise DnsError(
                f"The {self._where} accepted the TXT record for '{fqdn}' but does not list it.",
                transient=True,
            )

    def delete(self, record: TxtRecord) -> None:
        """Delete this one value, then read back that the API no longer lists it."""
        fqdn = self._fqdn(record)
        self._call(
            lambda provider: provider.delete_record(None, "TXT", fqdn, record.value), record.ttl
        )
        if record.value in self.read(fqdn):
            raise DnsError(
                f"The {self._where} accepted the deletion of the TXT record for '{fqdn}' but "
                "still lists it.",
                transient=True,
            )

    def read(self, name: str) -> list[str]:
        """The TXT values the API lists at ``name``."""
        fqdn = name_in_zone(name, self._zone).to_text(omit_final_dot=True)
        records = self._call(lambda provider: provider.list_records("TXT", fqdn), None)
        return sorted(str(item["content"]) for item in records)

    def test(self) -> str:
        """The **Test DNS** button: a probe record created, listed and deleted."""
        probe = TxtRecord(f"_onramp-probe-{secrets.token_hex(4)}.{self._zone}", "onramp probe", 60)
        self.publish(probe)
        self.delete(probe)
        return f"The {self._where} created and deleted the probe record '{probe.fqdn}'."

    def _fqdn(self, record: TxtRecord) -> str:
        return name_in_zone(record.name, self._zone).to_text(omit_final_dot=True)

    def _call(self, operation: Any, ttl: int | None) -> Any:
        """One authenticated provider for one operation, every failure turned into ``DnsError``
        whose message names the service and the zone and holds none of the credentials."""
        config: dict[str, Any] = {
            "provider_name": self.settings.provider,
            "domain": self._zone,
            self.settings.provider: dict(self.settings.options),
        }
        if ttl is not None:
            config["ttl"] = ttl
        try:
            provider = self._provider_class(ConfigResolver().with_dict(config))
            provider.authenticate()
            try:
                return operation(provider)
            finally:
                provider.cleanup()
        except requests.HTTPError as exc:
            raise self._http_error(exc.response) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise DnsError(
                f"The {self._where} could not be reached ({type(exc).__name__}); it will be tried "
                "again.",
                transient=True,
            ) from None
        except AuthenticationError as exc:
            raise DnsError(
                f"The {self._where} refused the credentials for the zone '{self._zone}': "
                f"{self._scrub(str(exc))}.",
                transient=False,
            ) from None
        except Exception as exc:  # lexicon's providers raise bare Exception
            raise DnsError(
                f"The {self._where} failed for the zone '{self._zone}': "
                f"{self._scrub(str(exc)) or type(exc).__name__}.",
                transient=False,
            ) from None

    def _http_error(self, response: requests.Response) -> DnsError:
        status = f"HTTP {response.status_code}"
        if response.status_code in (401, 403):
            return DnsError(
                f"The {self._where} refused the credentials ({status}): check the token or key "
                "in the DNS settings.",
                transient=False,
            )
        if response.status_code == 404:
            return DnsError(
                f"The zone '{self._zone}' is not served by this {self._where} account ({status}).",
                transient=False,
            )
        if response.status_code in TRANSIENT_STATUS:
            return DnsError(
                f"The {self._where} is unavailable or throttling ({status}); it will be tried "
                "again.",
                transient=True,
            )
        return DnsError(
            f"The {self._where} refused the change to the zone '{self._zone}' ({status}).",
            transient=False,
        )

    def _scrub(self, text: str) -> str:
        """Lexicon's messages may quote a request; no credential may reach an operator's page."""
        for value in self.settings.options.values():
            if len(value) >= 4:
                text = text.replace(value, "[hidden]")
        return text
