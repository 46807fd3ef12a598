"""Validate an app registration's credentials against Microsoft (SPEC.md "Validation").

The only place that talks to Microsoft. One validation of an already-seen tenant costs two
round trips: the Graph token, then — in parallel — one Graph ``$batch`` (organization and
application) and the Teams admin API token. Transient failures (timeouts, refused connections,
5xx, 429) come back as ``microsoft_unavailable`` / ``throttled``, never as bad credentials.

This module holds the client and its round trips; ``attempt`` runs the checks of one validation,
``answers`` classifies what Microsoft answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from onramp.m365.answers import classify_discovery, classify_graph, tenant_from_discovery
from onramp.m365.attempt import Attempt
from onramp.m365.config import MicrosoftConfig
from onramp.m365.credentials import Credential
from onramp.m365.errors import CheckStopped, transient_failure
from onramp.m365.results import ValidationResult
from onramp.m365.transport import MicrosoftTransport, TransportError, discovery_key


class ValidationClient:
    """Thread-safe; share one per configuration (see ``get_client``)."""

    def __init__(
        self,
        config: MicrosoftConfig,
        *,
        parallelism: int = 64,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.clock = clock
        self.transport = MicrosoftTransport(config)
        self._executor = ThreadPoolExecutor(parallelism, thread_name_prefix="m365")

    def validate(
        self,
        *,
        tenant: str,
        client_id: str,
        credential: Credential,
        expected_tenant_id: str | None = None,
        now: datetime | None = None,
    ) -> ValidationResult:
        """Days until expiry count from the date of ``now`` (default: this client's clock)."""
        attempt = Attempt(self, tenant.strip(), client_id.strip(), credential, expected_tenant_id)
        attempt.result.validated_at = now or attempt.result.validated_at
        return attempt.execute()

    # --- the round trips -------------------------------------------------------------

    def discover_tenant(self, tenant: str, client_id: str) -> tuple[str, str]:
        """The tenant GUID behind a GUID or domain, and the discovery document (cached)."""
        url = self.config.discovery_url(tenant)
        cached = self.transport.cached_discovery(url)
        if cached is not None:
            return tenant_from_discovery(cached.text), cached.text
        with self.transport.single_flight(url):  # many validations of one new tenant: one GET
            cached = self.transport.cached_discovery(url)
            if cached is not None:
                return tenant_from_discovery(cached.text), cached.text
            return self._fetch_discovery(url, tenant, client_id)

    def _fetch_discovery(self, url: str, tenant: str, client_id: str) -> tuple[str, str]:
        response = self.call("tenant", lambda: self.transport.get(url))
        if response.status_code != 200:
            raise CheckStopped("tenant", classify_discovery(response, tenant, client_id))
        tenant_id = tenant_from_discovery(response.text)
        self.transport.remember_discovery(
            {url: response.text, self.config.discovery_url(tenant_id): response.text},
            fetched=True,
        )
        return tenant_id, response.text

    # --- discovery documents kept between processes (the caller stores them) ----------

    def discovery_missing(self, tenants: Iterable[str]) -> set[str]:
        """The keys of these tenants' discovery documents that are not in memory."""
        urls = {self.config.discovery_url(tenant.strip()) for tenant in tenants}
        return {discovery_key(url) for url in urls if self.transport.cached_discovery(url) is None}

    def discovery_remember(self, documents: dict[str, str]) -> None:
        """Documents kept by an earlier process, by key, into memory; each also under its
        tenant's GUID, the URL MSAL asks for."""
        by_guid = {
            self.config.discovery_url(tenant_from_discovery(text)): text
            for text in documents.values()
        }
        self.transport.remember_discovery({**documents, **by_guid})

    def discovery_take_fetched(self) -> dict[str, str]:
        """The documents fetched from Microsoft since the last call, by key, to keep."""
        return self.transport.take_fetched_discovery()

    def read_tenant(self, token: str, client_id: str, credentials: str) -> Future[dict[str, Any]]:
        """The organization and the application with its ``credentials`` list (password or
        key credentials), read in one ``$batch`` on a pool thread so the Teams token can be
        asked for meanwhile; the answers by request id."""
        return self._executor.submit(
            self._graph_batch,
            token,
            [
                {
                    "id": "organization",
                    "method": "GET",
                    "url": "/organization?$select=id,displayName,verifiedDomains",
                },
                {
                    "id": "application",
                    "method": "GET",
                    "url": f"/applications(appId='{quote(client_id, safe='-')}')"
                    f"?$select=appId,{credentials}",
                },
            ],
        )

    def _graph_batch(self, token: str, requests_: list[dict[str, str]]) -> dict[str, Any]:
        response = self.call(
            "organization",
            lambda: self.transport.post_json(
                self.config.graph_batch_url(),
                {"requests": requests_},
                {"Authorization": f"Bearer {token}"},
            ),
        )
        if response.status_code != 200:
            raise CheckStopped("organization", classify_graph(response))
        return {item["id"]: item for item in response.json().get("responses", [])}

    def call(self, check: str, send: Callable[[], Any]) -> Any:
        """Run one HTTP exchange; no answer at all is a transient failure of ``check``."""
        try:
            return send()
        except TransportError as exc:
            raise CheckStopped(
                check, transient_failure("microsoft_unavailable", None, exc.detail)
            ) from None


_clients: dict[MicrosoftConfig, ValidationClient] = {}
_clients_lock = threading.Lock()


def get_client() -> ValidationClient:
    """The process-wide client for the configured Microsoft endpoints: one per configuration,
    also when many threads ask for it first at once (each would otherwise build its own, and
    fetch every discovery document again)."""
    config = MicrosoftConfig.from_settings()
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            client = _clients[config] = ValidationClient(config)
    return client
