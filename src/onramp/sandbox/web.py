"""Transport-neutral request and response values, so handlers stay free of socket plumbing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    base_url: str
    client_ip: str

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body as an url-encoded form (first value of each field wins)."""
        return parse_query(self.body.decode("utf-8", "replace"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def parse_query(text: str) -> dict[str, str]:
    """First value of each query field, blanks kept (Microsoft ignores repeats)."""
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None, *, content_type: str = ""
) -> Response:
    """Serialize compactly, as Microsoft's services do."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    merged = {"Content-Type": content_type or "application/json; charset=utf-8"}
    merged.update(headers or {})
    return Response(status, body, merged)
