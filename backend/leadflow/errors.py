"""The one error hierarchy of the domain, with stable codes the API passes on to users."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    INVALID_STATE = "INVALID_STATE"
    CONFLICT = "CONFLICT"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    DUPLICATE = "DUPLICATE"
    # The person objected to being contacted (consent): no new call or e-mail without override.
    OPTED_OUT = "OPTED_OUT"
    # The person's data was erased and they asked not to be stored again (suppression list).
    SUPPRESSED = "SUPPRESSED"


class DomainError(Exception):
    """Something a user can get wrong; nothing has been changed when it is raised.

    `field` is the path to the offending input, e.g. ("leads", "3", "email").
    """

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field: tuple[str, ...] | None = tuple(field) if field is not None else None


class DomainErrors(DomainError):
    """Several user errors found at once (bulk input), reported together."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = list(errors)


class AccessDenied(Exception):
    """The actor may not see or do this. Not a user error: the API answers FORBIDDEN."""

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)
        self.message = message
