"""Domain errors raised by service functions; the API and the pages translate them.

Each maps to one row of CONTRACT.md's error table, so every caller reports a failure the same way.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar


class Reported(Protocol):
    """A validation outcome as core sees it (m365's ``ValidationResult``, which core, at the
    bottom, may not import): the message to show; callers read the rest of the result."""

    @property
    def message(self) -> str: ...


R = TypeVar("R", bound=Reported)


class DomainError(Exception):
    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class InvalidState(DomainError):
    code = "invalid_state"


class InvalidInput(DomainError):
    """Field values break a rule; ``errors`` maps each field to its messages."""

    code = "invalid_input"

    def __init__(self, errors: dict[str, list[str]], detail: str = "") -> None:
        super().__init__(detail or "Some fields are not valid.")
        self.errors = errors


class ValidationFailed(DomainError, Generic[R]):
    """Microsoft answered and the credentials fail a check."""

    code = "validation_failed"

    def __init__(self, validation: R) -> None:
        super().__init__(validation.message)
        self.validation = validation


class MicrosoftUnavailable(DomainError, Generic[R]):
    """Microsoft throttled or could not be reached: nothing was changed."""

    code = "microsoft_unavailable"

    def __init__(self, validation: R) -> None:
        super().__init__(validation.message)
        self.validation = validation


class RateLimited(DomainError):
    """Too many attempts, or one is still running: try again after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
