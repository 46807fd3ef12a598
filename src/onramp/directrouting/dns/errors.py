"""The one error every DNS backend raises, so a step machine needs one ``except``."""

from __future__ import annotations


class DnsError(Exception):
    """A DNS operation that did not happen, with a message an operator can act on.

    ``transient`` tells the step machine whether trying again later may succeed (a timeout, an
    unreachable server, SERVFAIL, HTTP 5xx) or whether someone must change something first (a bad
    key, a zone the server does not serve). The message never holds a secret.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
