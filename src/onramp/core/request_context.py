"""Per-request facts the audit trail records (request id, client address), without threading
the request object through every service function."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestInfo:
    request_id: str = ""
    client_ip: str | None = None


_current: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar(
    "onramp_request", default=RequestInfo()
)


def current_request() -> RequestInfo:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client address, trusting exactly ONRAMP_TRUSTED_PROXIES hops of X-Forwarded-For."""
    hops = settings.TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR") or None
    if not hops:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    chain = [*forwarded, remote] if remote else forwarded
    return chain[-(hops + 1)] if len(chain) > hops else (chain[0] if chain else None)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        info = RequestInfo(uuid.uuid4().hex, client_ip(request))
        request.request_id = info.request_id  # type: ignore[attr-defined]
        request.client_ip = info.client_ip  # type: ignore[attr-defined]
        token = _current.set(info)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-Id"] = info.request_id
        return response
