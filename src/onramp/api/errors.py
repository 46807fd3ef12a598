"""Every failure as CONTRACT.md §4's error body: ``{"detail", "code", "errors"?}``.

Domain errors map one to one; ninja's own parse and validation errors become 400
``malformed_request`` (not JSON, wrong types, unknown fields, absurd lengths) or, for a missing
field or a value outside a listed choice or range, 422 ``invalid_input`` — never a 500.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from onramp.api.responses import Validation
from onramp.api.schemas import CONNECTION_METHODS
from onramp.api.serializers import job_json, validation_json
from onramp.core.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidState,
    MicrosoftUnavailable,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from onramp.health.services import JobRunning

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

STATUS_OF = {
    NotFound: 404,
    Forbidden: 403,
    InvalidState: 409,
    InvalidInput: 422,
    ValidationFailed: 422,
    RateLimited: 429,
    MicrosoftUnavailable: 503,
}
CODE_OF_STATUS = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_state",
    422: "invalid_input",
    429: "rate_limited",
    503: "microsoft_unavailable",
}
NOT_AUTHENTICATED = "Send a valid API token: Authorization: Bearer <token>."
MALFORMED = "The request is malformed."
# A missing field, or a value outside a listed choice or range, breaks a rule (422);
# every other schema error means the request itself is malformed (400).
RULE_ERRORS = frozenset(
    {
        "missing",
        "literal_error",
        "enum",
        "union_tag_invalid",
        "union_tag_not_found",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
    }
)
# Discriminated unions put the tag into an error's location; the field path leaves it out.
UNION_FIELDS = frozenset({"connection"})


class MalformedBody(ValueError):
    """Raised by the parser; its message is the detail of the 400 answer."""


class MalformedRequest(Exception):
    """A parameter the schema cannot check (e.g. a cursor that was not ours): 400."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(MALFORMED)
        self.errors = errors


def error_body(detail: str, code: str, errors: dict[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return body


def error_response(status: int, body: dict, headers: dict[str, str] | None = None) -> HttpResponse:
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 500)
    body = error_body(exc.detail, exc.code, getattr(exc, "errors", None))
    headers = {}
    if isinstance(exc, ValidationFailed | MicrosoftUnavailable):
        # Shaped by the response schema, as a 200's Validation is: the stored JSON carries more.
        validation = Validation.model_validate(validation_json(exc.validation.as_dict()))
        body["validation"] = validation.model_dump()
        if exc.validation.retry_after is not None:
            headers["Retry-After"] = str(exc.validation.retry_after)
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, JobRunning):
        body["job"] = job_json(exc.job)
    return error_response(status, body, headers)


def not_authenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    body = error_body(NOT_AUTHENTICATED, "not_authenticated")
    return error_response(401, body, {"WWW-Authenticate": 'Bearer realm="api"'})


def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own errors: the body could not be parsed (400), throttling (429)."""
    status = exc.status_code
    if isinstance(exc.__cause__, MalformedBody):
        detail = str(exc.__cause__)
    elif status == 400:
        detail = "The request body is not valid JSON."
    else:
        detail = str(exc)
    headers = {}
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    return error_response(status, error_body(detail, CODE_OF_STATUS.get(status, "error")), headers)


def _field_path(location: tuple) -> str:
    parts = [str(p) for p in location[2:]] if location[:1] == ("body",) else location[1:]
    kept: list[str] = []
    for part in parts:
        if kept and kept[-1] in UNION_FIELDS and part in CONNECTION_METHODS:
            continue
        kept.append(str(part))
    return ".".join(kept)


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("missing", "union_tag_not_found"):
        return "This field is required."
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind == "union_tag_invalid":
        return f"Use one of: {ctx.get('expected_tags', '')}."
    if kind == "literal_error":
        return f"Use one of: {ctx.get('expected', '')}."
    if kind in ("string_too_long", "too_long"):
        return f"Use at most {ctx.get('max_length')} characters."
    if kind.startswith(("int_", "bool_", "string_", "float_", "datetime_", "date_", "uuid_")):
        return error["msg"] + "."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "Send a JSON object."
    return error["msg"].rstrip(".") + "."


def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    malformed = False
    whole_body = None
    for error in exc.errors:
        path = _field_path(tuple(error.get("loc", ())))
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            tag = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
            path = f"{path}.{tag}" if path else tag
        if not path:
            whole_body = "Send the request body as a JSON object."
            continue
        malformed = malformed or error["type"] not in RULE_ERRORS
        messages = errors.setdefault(path, [])
        if (message := _message(error)) not in messages:
            messages.append(message)
    if whole_body:
        return error_response(400, error_body(whole_body, "malformed_request"))
    if malformed:
        return error_response(400, error_body(MALFORMED, "malformed_request", errors))
    return error_response(422, error_body("Some fields are not valid.", "invalid_input", errors))


def malformed(request: HttpRequest, exc: MalformedRequest) -> HttpResponse:
    return error_response(400, error_body(MALFORMED, "malformed_request", exc.errors))


def not_found(request: HttpRequest, exc: Exception | None = None) -> HttpResponse:
    return error_response(404, error_body("Not found.", "not_found"))


def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Django refuses the body (too large, too many fields): still the contract's 400."""
    body = error_body("The request is too large or malformed.", "malformed_request")
    return error_response(400, body)


def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error", exc_info=exc)
    return error_response(
        500, error_body("An unexpected error occurred; it has been logged.", "server_error")
    )


HANDLERS: dict[type[Exception], Any] = {
    DomainError: domain_error,
    AuthenticationError: not_authenticated,
    HttpError: http_error,
    NinjaValidationError: validation_error,
    MalformedRequest: malformed,
    Http404: not_found,
    SuspiciousOperation: too_large,
    Exception: unexpected,
}


def install(api: NinjaAPI) -> None:
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, handler)
