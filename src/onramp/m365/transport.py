"""HTTP to Microsoft: one pooled connection manager per configuration, plus a cache of
discovery documents.

Built on urllib3 directly (docs/decisions/0001-urllib3-transport.md): it never reads
REQUESTS_CA_BUNDLE (which this machine exports and which silently overrides ``verify=`` in
requests), it trusts exactly the system CAs plus the optional extra bundle, and it costs far
less CPU per request than a requests.Session. Discovery documents are stable per authority and
tenant, so after the first validation of a tenant MSAL is served them from memory and a
validation costs two round trips (token, then Graph reads and the Teams token in parallel).
The documents fetched are handed over to be kept (``take_fetched_discovery``), and those kept
by an earlier process are given back (``remember_discovery``): no storage of its own here.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from onramp.m365.config import MicrosoftConfig

POOL_SIZE = 128
DISCOVERY_CACHE_LIMIT = 50_000
USER_AGENT = "Onramp (Teams Direct Routing onboarding)"


class TransportError(Exception):
    """No HTTP answer: timeout, refused connection, TLS failure. Always transient."""

    def __init__(self, detail: str, *, timeout: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timeout = timeout


@dataclass(frozen=True)
class Response:
    """The attributes MSAL and our client read from an HTTP answer."""

    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise TransportError(f"HTTP {self.status_code}")


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def discovery_key(url: str) -> str:
    """The key a discovery document is kept under: its URL without query, host lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"


class MicrosoftTransport:
    """Shared, thread-safe HTTP plumbing for every validation in this process."""

    def __init__(self, config: MicrosoftConfig) -> None:
        self.config = config
        self.pool = urllib3.PoolManager(
            num_pools=16,
            maxsize=POOL_SIZE,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(total=config.timeout_seconds),
            ssl_context=_ssl_context(config.ca_bundle),
            headers={"User-Agent": USER_AGENT},
        )
        self._discovery: dict[str, Response] = {}
        self._fetched: dict[str, str] = {}
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    def single_flight(self, url: str) -> threading.Lock:
        """A lock per discovery URL, so concurrent first validations of a tenant fetch once."""
        with self._lock:
            return self._flights.setdefault(discovery_key(url), threading.Lock())

    def cached_discovery(self, url: str) -> Response | None:
        return self._discovery.get(discovery_key(url))

    def remember_discovery(self, documents: dict[str, str], *, fetched: bool = False) -> None:
        """Serve these documents (by URL) from memory; ``fetched``: they came from Microsoft
        just now, and ``take_fetched_discovery`` hands them over for keeping."""
        with self._lock:
            if len(self._discovery) >= DISCOVERY_CACHE_LIMIT:
                self._discovery.clear()
            for url, text in documents.items():
                self._discovery[discovery_key(url)] = Response(200, text)
                if fetched:
                    self._fetched[discovery_key(url)] = text

    def take_fetched_discovery(self) -> dict[str, str]:
        """The documents fetched from Microsoft since the last call, by key."""
        with self._lock:
            fetched, self._fetched = self._fetched, {}
        return fetched

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = urlencode(body)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            raw = self.pool.request(
                method,
                url,
                body=body,
                headers=headers or None,
                preload_content=True,
                redirect=False,
            )
        except urllib3.exceptions.NewConnectionError:  # a subclass of the timeout error
            raise TransportError("the connection failed") from None
        except urllib3.exceptions.TimeoutError:
            raise TransportError(
                f"no answer within {self.config.timeout_seconds:g} seconds", timeout=True
            ) from None
        except urllib3.exceptions.SSLError:
            raise TransportError("the TLS certificate was not trusted") from None
        except urllib3.exceptions.HTTPError:
            raise TransportError("the connection failed") from None
        return Response(
            raw.status, raw.data.decode("utf-8", errors="replace"), dict(raw.headers.items())
        )

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post_json(self, url: str, payload: Any, headers: dict[str, str]) -> Response:
        return self.request(
            "POST",
            url,
            body=json.dumps(payload).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )


class AttemptHttpClient:
    """The ``http_client`` given to MSAL for one validation attempt.

    Serves cached discovery documents and remembers the longest Retry-After seen and the last
    status, which MSAL does not pass back in its error results. ``keep_discovery``: a document
    MSAL had to fetch is kept for the next attempt (callers that do not fetch it first).
    """

    def __init__(self, transport: MicrosoftTransport, *, keep_discovery: bool = False) -> None:
        self.transport = transport
        self.keep_discovery = keep_discovery
        self.retry_after: int | None = None
        self.last_status: int | None = None

    def _note(self, response: Response) -> Response:
        self.last_status = response.status_code
        retry_after = parse_retry_after(header(response.headers, "Retry-After"))
        if retry_after is not None:
            self.retry_after = max(retry_after, self.retry_after or 0)
        return response

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> Response:
        cached = self.transport.cached_discovery(url)
        if cached is not None:
            return cached
        response = self._note(self.transport.request("GET", url, params=params, headers=headers))
        if self.keep_discovery and response.status_code == 200:
            self.transport.remember_discovery({url: response.text})
        return response

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **_: Any
    ) -> Response:
        return self._note(
            self.transport.request("POST", url, params=params, body=data, headers=headers)
        )

    def close(self) -> None:
        """MSAL may close its client; the pool outlives the attempt."""


def header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def parse_retry_after(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(float(value)))
    except ValueError:
        return None
