"""The manual backend: the operator publishes the record; Onramp checks the public answer."""

from __future__ import annotations

from dataclasses import dataclass

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from onramp.directrouting.dns.errors import DnsError
from onramp.directrouting.dns.records import TxtRecord
from onramp.directrouting.dns.wire import exchange, query_txt


@dataclass(frozen=True)
class ManualSettings:
    """The zone the operator edits, and the resolver whose answer counts as "published"."""

    zone: str
    resolver: str
    resolver_port: int = 53
    timeout: float = 5.0


class ManualBackend:
    """Shows what to publish and checks it; never writes DNS itself."""

    def __init__(self, settings: ManualSettings) -> None:
        self.settings = settings

    def instructions(self, record: TxtRecord) -> str:
        """The record for the copy button, as a zone-file line any DNS host accepts."""
        return record.zone_file_line()

    def check(self, record: TxtRecord) -> bool:
        """Whether the resolver answers with the value: the step waits until it does."""
        return record.value in self.read(record.name)

    def read(self, name: str) -> list[str]:
        """The TXT values at ``name`` as the configured resolver answers them."""
        return query_txt(
            name.rstrip(".") + ".",
            server=self.settings.resolver,
            port=self.settings.resolver_port,
            timeout=self.settings.timeout,
            role="resolver",
        )

    def test(self) -> str:
        """The **Test DNS** button: Onramp cannot write here, so it proves the resolver answers
        for the zone, which every later check depends on."""
        zone = dns.name.from_text(self.settings.zone.rstrip(".") + ".")
        where = f"resolver {self.settings.resolver}:{self.settings.resolver_port}"
        response = exchange(
            dns.message.make_query(zone, dns.rdatatype.SOA),
            server=self.settings.resolver,
            port=self.settings.resolver_port,
            timeout=self.settings.timeout,
            role="resolver",
        )
        if response.get_rrset(response.answer, zone, dns.rdataclass.IN, dns.rdatatype.SOA):
            return (
                f"The {where} answers for the zone '{zone.to_text(True)}'; records you publish "
                "there are checked through it."
            )
        raise DnsError(
            f"The {where} does not answer for the zone '{zone.to_text(True)}' "
            f"({dns.rcode.to_text(response.rcode())} to its SOA query): check the zone name and "
            "the resolver in the DNS settings.",
            transient=False,
        )
