"""The record every backend publishes, and the helpers that turn it into DNS wire data."""

from __future__ import annotations

from dataclasses import dataclass

import dns.name
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.ANY.TXT import TXT

from onramp.directrouting.dns.errors import DnsError

# One TXT character-string holds at most 255 bytes (RFC 1035 §3.3); longer values are split.
TXT_CHUNK = 255


@dataclass(frozen=True)
class TxtRecord:
    """A TXT record at ``name`` (a fully qualified domain name, with or without the final dot)."""

    name: str
    value: str
    ttl: int = 3600

    @property
    def fqdn(self) -> str:
        """The name without its final dot, as Graph and the pages show it."""
        return self.name.rstrip(".").lower()

    def zone_file_line(self) -> str:
        """The record as one zone-file line, for the manual backend's copy button."""
        return f"{self.fqdn}. {self.ttl} IN TXT {self.rdata().to_text()}"

    def rdata(self) -> TXT:
        """The value as TXT rdata, split into 255-byte strings so any length fits."""
        data = self.value.encode()
        chunks = [data[i : i + TXT_CHUNK] for i in range(0, len(data), TXT_CHUNK)] or [b""]
        return TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)


def txt_value(rdata: TXT) -> str:
    """One TXT record's value: its strings joined, as Microsoft's verifier reads them."""
    return b"".join(rdata.strings).decode(errors="replace")


def name_in_zone(name: str, zone: str) -> dns.name.Name:
    """``name`` as a DNS name, refused when it is not inside ``zone`` (no update could place it)."""
    absolute = dns.name.from_text(name.rstrip(".") + ".")
    origin = dns.name.from_text(zone.rstrip(".") + ".")
    if not absolute.is_subdomain(origin):
        raise DnsError(
            f"The name '{absolute.to_text(omit_final_dot=True)}' is not inside the zone "
            f"'{origin.to_text(omit_final_dot=True)}': the DNS settings name another zone.",
            transient=False,
        )
    return absolute
