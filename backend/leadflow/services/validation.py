"""Cleaning of plain input values, shared by every service so rules read the same everywhere."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from leadflow.errors import DomainError, ErrorCode

# Pragmatic address check: one @, no spaces, a dot in the domain. RFC 5322 allows more, but
# nothing a sales clerk could actually write to.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_MONEY = Decimal("999999999999.99")
MIN_PASSWORD_LENGTH = 8


def clean_text(
    value: str | None, field: Sequence[str], *, max_length: int, required: bool = False
) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{_label(field)} must not be empty.", field)
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.TOO_LONG,
            f"{_label(field)} is too long ({len(text)} characters, at most {max_length}).",
            field,
        )
    require_storable(text, field)
    return text


def is_unicode_text(text: str) -> bool:
    """False for text holding a lone UTF-16 surrogate: JSON can spell one ("\\ud800"), but no
    database, password hash or UTF-8 response can encode it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_character(text: str) -> str | None:
    """What in `text` no text column of either database can hold, or None. This is the one
    rule for every text input: PostgreSQL refuses NUL in text and JSON (asyncpg fails the
    statement, so an unchecked value was a server error), and a lone UTF-16 surrogate has no
    UTF-8 at all."""
    if "\x00" in text:
        return "a NUL character"
    if not is_unicode_text(text):
        return "an invalid character (a lone surrogate)"
    return None


def is_storable_text(text: str) -> bool:
    return unstorable_character(text) is None


def require_storable(text: str, field: Sequence[str]) -> None:
    problem = unstorable_character(text)
    if problem is not None:
        raise DomainError(ErrorCode.INVALID, f"{_label(field)} contains {problem}.", field)


def storable_text(text: str) -> str:
    """Raw input made storable as a lookup key or a record of what was read: NUL and lone
    surrogates are kept as their escapes (\\x00, \\ud800)."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def clean_email(value: str | None, field: Sequence[str], *, max_length: int) -> str | None:
    email = clean_text(value, field, max_length=max_length)
    if not email:
        return None
    if not EMAIL_PATTERN.match(email):
        raise DomainError(ErrorCode.INVALID, f"{email!r} is not a valid email address.", field)
    if len(email.lower()) > max_length:
        # Emails are compared lower-cased, and lower-casing can lengthen ("İ" becomes 2 chars).
        raise DomainError(
            ErrorCode.TOO_LONG, f"This email address is too long (at most {max_length}).", field
        )
    return email


def require_valid_password(password: str, field: Sequence[str] = ("password",)) -> None:
    """The password rule, for every way a password is set (new users, password changes)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            ErrorCode.INVALID,
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            list(field),
        )
    require_storable(password, list(field))


def clean_money(value: Decimal | None, field: Sequence[str]) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError(ErrorCode.INVALID, "Not a valid amount.", field) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise DomainError(
            ErrorCode.INVALID, f"The amount must be between 0 and {MAX_MONEY}.", field
        )
    return amount


def unique_ids(ids: Sequence[int]) -> list[int]:
    """Keep the caller's order, drop repeats: selecting a lead twice is not an error."""
    return list(dict.fromkeys(ids))


def _label(field: Sequence[str]) -> str:
    name = field[-1] if field else "value"
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()


def phone_key(phone: str) -> str:
    """The digits of a phone number, with a leading "+" kept: "+49 (30) 123-45" and
    "+4930 12345" are the same number. Used to recognise a contact that has no email."""
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if digits and phone.lstrip().startswith("+") else digits
