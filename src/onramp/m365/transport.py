"""HTTP to Microsoft: one pooled session per configuration, plus a cache of discovery documents.

This machine (and many servers) export REQUESTS_CA_BUNDLE, which silently overrides
``verify=``; the session therefore ignores the environment and trusts exactly the system CAs
plus the optional extra bundle. Discovery documents are stable per authority and tenant, so
after the first validation of a tenant MSAL is served them from memory and a validation costs
two round trips (token, then Graph reads and the Teams token in parallel).
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from onramp.m365.config import MicrosoftConfig

POOL_SIZE = 128
DISCOVERY_CACHE_LIMIT = 50_000


class _TLSAdapter(HTTPAdapter):
    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        super().__init__(pool_connections=16, pool_maxsize=POOL_SIZE)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)


def build_session(ca_bundle: str | None) -> requests.Session:
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    session = requests.Session()
    session.trust_env = False
    adapter = _TLSAdapter(context)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "Onramp (Teams Direct Routing onboarding)"
    return session


@dataclass(frozen=True)
class CachedResponse:
    """The three attributes MSAL reads from a response."""

    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"HTTP {self.status_code}")


def _cache_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"


class MicrosoftTransport:
    """Shared, thread-safe HTTP plumbing for every validation in this process."""

    def __init__(self, config: MicrosoftConfig) -> None:
        self.config = config
        self.session = build_session(config.ca_bundle)
        self._discovery: dict[str, CachedResponse] = {}
        self._lock = threading.Lock()

    def cached_discovery(self, url: str) -> CachedResponse | None:
        return self._discovery.get(_cache_key(url))

    def remember_discovery(self, urls: list[str], text: str) -> None:
        with self._lock:
            if len(self._discovery) >= DISCOVERY_CACHE_LIMIT:
                self._discovery.clear()
            for url in urls:
                self._discovery[_cache_key(url)] = CachedResponse(200, text)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.get(url, timeout=self.config.timeout_seconds, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.post(url, timeout=self.config.timeout_seconds, **kwargs)


class AttemptHttpClient:
    """The ``http_client`` given to MSAL for one validation attempt.

    Serves cached discovery documents and remembers the longest Retry-After seen, which MSAL
    does not pass back in its error results.
    """

    def __init__(self, transport: MicrosoftTransport) -> None:
        self.transport = transport
        self.retry_after: int | None = None
        self.last_status: int | None = None

    def _note(self, response: requests.Response) -> requests.Response:
        self.last_status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            self.retry_after = max(retry_after, self.retry_after or 0)
        return response

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> Any:
        cached = self.transport.cached_discovery(url)
        if cached is not None:
            return cached
        return self._note(self.transport.get(url, params=params, headers=headers))

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **_: Any
    ) -> Any:
        return self._note(self.transport.post(url, params=params, data=data, headers=headers))

    def close(self) -> None:
        """MSAL may close its client; the pooled session outlives the attempt."""


def parse_retry_after(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None
