"""The REST API (CONTRACT.md §4), mounted at /api/v1/.

ninja answers an unknown method with a plain-text 405 and its root with Django's HTML 404;
every URL below /api/v1/ answers with the contract's JSON error body instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path

from onramp.api.errors import error_body, error_response, not_found


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if isinstance(response, HttpResponseNotAllowed):
            body = error_body(f"{request.method} is not allowed here.", "method_not_allowed")
            allowed = response["Allow"]
            response = error_response(405, body, {"Allow": allowed})
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def api_urls() -> tuple[list, str, str]:
    from onramp.api.app import api

    patterns, _, namespace = api.urls
    wrapped = [
        URLPattern(p.pattern, _json_errors(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return [*wrapped, re_path(r"^.*$", _json_errors(not_found))], "api", namespace
