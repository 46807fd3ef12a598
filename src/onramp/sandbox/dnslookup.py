"""Where `POST /domains/{id}/verify` looks for its TXT record: a real DNS server named by
`PUT /_sandbox/dns`, through dnspython, or else the sandbox's own zones (powerdns.py).

Graph handlers run under the world's lock, so a lookup holds other requests for as long as the
server takes to answer: at most TIMEOUT, and a refused or unreachable server fails at once."""

from __future__ import annotations

import dns.exception
import dns.resolver

from onramp.sandbox.powerdns import txt_in_zones
from onramp.sandbox.state import World

TIMEOUT = 3.0  # seconds for the whole lookup: a missing record must fail fast, not hang Graph


def txt_values(world: World, name: str) -> list[str]:
    """The TXT strings published at ``name`` ([] when none, or when the server cannot say)."""
    if world.dns_resolver is None:
        return txt_in_zones(world, name)
    host, port = world.dns_resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = TIMEOUT
    resolver.cache = None
    try:
        answer = resolver.resolve(f"{name}.", "TXT", raise_on_no_answer=False)
    except (dns.exception.DNSException, OSError):
        return []
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer.rrset or []]
