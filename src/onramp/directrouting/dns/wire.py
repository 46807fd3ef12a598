"""One DNS exchange with a named server, its network failures turned into ``DnsError``.

Shared by the RFC 2136 backend (updates and the read-back) and the manual backend (the resolver
check), so "the server did not answer" reads the same wherever it happens.
"""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from onramp.directrouting.dns.errors import DnsError
from onramp.directrouting.dns.records import txt_value


def exchange(
    message: dns.message.Message, *, server: str, port: int, timeout: float, role: str
) -> dns.message.Message:
    """Send ``message`` over TCP (one answer, never truncated; refused at once when down)."""
    where = f"{role} {server}:{port}"
    try:
        return dns.query.tcp(message, server, port=port, timeout=timeout)
    except dns.exception.Timeout:
        raise DnsError(
            f"The {where} did not answer within {timeout:g} s; it will be tried again.",
            transient=True,
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DnsError(
            f"The {where} could not be reached ({reason.lower()}); it will be tried again.",
            transient=True,
        ) from None


def query_txt(name: str, *, server: str, port: int, timeout: float, role: str) -> list[str]:
    """The TXT values at ``name`` as ``server`` answers them; none for NXDOMAIN or no data."""
    response = exchange(
        dns.message.make_query(name, dns.rdatatype.TXT),
        server=server,
        port=port,
        timeout=timeout,
        role=role,
    )
    rcode = response.rcode()
    if rcode == dns.rcode.SERVFAIL:
        raise DnsError(
            f"The {role} {server}:{port} failed to answer for '{name.rstrip('.')}' (SERVFAIL); "
            "it will be tried again.",
            transient=True,
        )
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise DnsError(
            f"The {role} {server}:{port} refused to answer for '{name.rstrip('.')}' "
            f"({dns.rcode.to_text(rcode)}).",
            transient=False,
        )
    return sorted(
        txt_value(rdata)
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    )
