"""Domain errors raised by service functions; the API and the pages translate them.

Each maps to one row of CONTRACT.md's error table, so every caller reports a failure the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onramp.m365.results import ValidationResult


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


class ValidationFailed(DomainError):
    """Microsoft answered and the credentials fail a check."""

    code = "validation_failed"

    def __init__(self, validation: ValidationResult) -> None:
        super().__init__(validation.message)
        self.validation = validation


class MicrosoftUnavailable(DomainError):
    """Microsoft throttled or could not be reached: nothing was changed."""

    code = "microsoft_unavailable"

    def __init__(self, validation: ValidationResult) -> None:
        super().__init__(validation.message)
        self.validation = validation
