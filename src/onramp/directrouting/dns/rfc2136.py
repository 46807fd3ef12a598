"""RFC 2136 dynamic updates signed with TSIG: BIND, Knot, PowerDNS, Windows DNS.

Every change is read back from the same server, so "done" means the server answers with it.
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update

from onramp.directrouting.dns.errors import DnsError
from onramp.directrouting.dns.records import TxtRecord, name_in_zone
from onramp.directrouting.dns.wire import exchange, query_txt

ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1")

# Update answers that mean "change something first" (RFC 2136 §2.2), with what to change.
REFUSALS = {
    dns.rcode.NOTAUTH: "the key '{key}' may not update the zone '{zone}'",
    dns.rcode.REFUSED: "its policy refuses updates to the zone '{zone}' with the key '{key}'",
    dns.rcode.NOTZONE: "the record is outside the zone '{zone}'",
}


@dataclass(frozen=True)
class Rfc2136Settings:
    """CONTRACT §4 ``rfc2136`` settings; ``key_secret`` is the base64 TSIG secret."""

    server: str
    zone: str
    key_name: str
    key_secret: str
    port: int = 53
    key_algorithm: str = "hmac-sha256"
    timeout: float = 10.0


class Rfc2136Backend:
    """Publishes and deletes TXT records on the provider's own authoritative server."""

    def __init__(self, settings: Rfc2136Settings) -> None:
        if settings.key_algorithm not in ALGORITHMS:
            raise DnsError(
                f"The TSIG algorithm '{settings.key_algorithm}' is not supported: "
                f"use one of {', '.join(ALGORITHMS)}.",
                transient=False,
            )
        try:
            self._key = dns.tsig.Key(settings.key_name, settings.key_secret, settings.key_algorithm)
        except (binascii.Error, ValueError):
            raise DnsError(
                f"The secret of the TSIG key '{settings.key_name}' is not valid base64.",
                transient=False,
            ) from None
        self.settings = settings
        self._where = f"DNS server {settings.server}:{settings.port}"

    def publish(self, record: TxtRecord) -> None:
        """Add the value (the server ignores an existing one), then read it back."""
        update = self._update()
        update.add(name_in_zone(record.name, self.settings.zone), record.ttl, record.rdata())
        self._send(update)
        if record.value not in self.read(record.name):
            raise DnsError(
                f"The {self._where} accepted the TXT record for '{record.fqdn}' but does not "
                "answer with it; check that no delegation or other zone covers that name.",
                transient=True,
            )

    def delete(self, record: TxtRecord) -> None:
        """Remove this one value (others at the name stay), then read back that it is gone."""
        update = self._update()
        update.delete(name_in_zone(record.name, self.settings.zone), record.rdata())
        self._send(update)
        if record.value in self.read(record.name):
            raise DnsError(
                f"The {self._where} accepted the deletion of the TXT record for "
                f"'{record.fqdn}' but still answers with it.",
                transient=True,
            )

    def read(self, name: str) -> list[str]:
        """The TXT values at ``name`` as this server answers them."""
        return query_txt(
            name_in_zone(name, self.settings.zone).to_text(),
            server=self.settings.server,
            port=self.settings.port,
            timeout=self.settings.timeout,
            role="DNS server",
        )

    def test(self) -> str:
        """The **Test DNS** button: a probe record created, read back and deleted."""
        probe = TxtRecord(
            f"_onramp-probe-{secrets.token_hex(4)}.{self.settings.zone.rstrip('.')}",
            "onramp probe",
            ttl=60,
        )
        self.publish(probe)
        self.delete(probe)
        return (
            f"The {self._where} created and deleted the probe record '{probe.fqdn}' "
            f"with the key '{self.settings.key_name}'."
        )

    def _update(self) -> dns.update.UpdateMessage:
        """An update for the zone, signed with the key, after checking the server serves it."""
        self._check_zone_served()
        return dns.update.UpdateMessage(
            self.settings.zone, keyring={self._key.name: self._key}, keyname=self._key.name
        )

    def _check_zone_served(self) -> None:
        """Ask for the zone's SOA first: a server that does not serve the zone answers an update
        unsigned, which says nothing more than "bad answer", while this names the zone."""
        zone = dns.name.from_text(self.settings.zone.rstrip(".") + ".")
        response = exchange(
            dns.message.make_query(zone, dns.rdatatype.SOA),
            server=self.settings.server,
            port=self.settings.port,
            timeout=self.settings.timeout,
            role="DNS server",
        )
        served = response.get_rrset(response.answer, zone, dns.rdataclass.IN, dns.rdatatype.SOA)
        if response.rcode() == dns.rcode.SERVFAIL:
            raise DnsError(
                f"The {self._where} failed to load the zone '{zone.to_text(True)}' (SERVFAIL); "
                "it will be tried again.",
                transient=True,
            )
        if served is None or not response.flags & dns.flags.AA:
            raise DnsError(
                f"The zone '{zone.to_text(True)}' is not served by the {self._where} "
                f"({dns.rcode.to_text(response.rcode())} to its SOA query): check the zone "
                "and the server in the DNS settings.",
                transient=False,
            )

    def _send(self, update: dns.update.UpdateMessage) -> None:
        """Send a signed update and turn every refusal into a message naming its cause."""
        key = self.settings.key_name
        zone = self.settings.zone.rstrip(".")
        try:
            response = exchange(
                update,
                server=self.settings.server,
                port=self.settings.port,
                timeout=self.settings.timeout,
                role="DNS server",
            )
        except dns.tsig.PeerBadKey:
            raise DnsError(
                f"The {self._where} refused the update: TSIG key '{key}' is not valid (BADKEY); "
                f"check the key name, that the server has this key and that it may update the "
                f"zone '{zone}'.",
                transient=False,
            ) from None
        except dns.tsig.PeerBadSignature:
            raise DnsError(
                f"The {self._where} refused the update: the secret or algorithm of TSIG key "
                f"'{key}' does not match the server's (BADSIG).",
                transient=False,
            ) from None
        except dns.tsig.PeerError as exc:
            raise DnsError(
                f"The {self._where} refused the update signed with TSIG key '{key}': {exc}.",
                transient=False,
            ) from None
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        if rcode == dns.rcode.SERVFAIL:
            raise DnsError(
                f"The {self._where} failed to apply the update to the zone '{zone}' (SERVFAIL); "
                "it will be tried again.",
                transient=True,
            )
        cause = REFUSALS.get(rcode, "it answered with an error").format(key=key, zone=zone)
        raise DnsError(
            f"The {self._where} refused the update: {cause} ({dns.rcode.to_text(rcode)}).",
            transient=False,
        )
