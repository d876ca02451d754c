"""Opaque global IDs ("Lead:42", base64-encoded), checked against the type the caller expects.

Below every layer: the API reads and writes them, and the services put the same IDs into what
leaves the system (webhook payloads, e-mail links) without importing the API.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from leadflow.errors import DomainError, ErrorCode

NODE_TYPES = frozenset(
    {
        "Lead",
        "Campaign",
        "Contact",
        "Opportunity",
        "User",
        "ApiToken",
        "LeadImport",
        "Activity",
        "Notification",
        "Webhook",
        "WebhookDelivery",
    }
)
# Primary keys are IntFields: 32-bit on PostgreSQL, where a larger value fails the query.
MAX_PK = 2**31 - 1


def may_be_key(number: int) -> bool:
    """Whether a row could have `number` as its key: a larger number (from the command line,
    say) would fail the query (OverflowError on SQLite) instead of being found missing."""
    return 0 < number <= MAX_PK


def encode_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def parse_global_id(raw: str, field: list[str]) -> tuple[str, int]:
    """Split a global ID into type name and primary key; any garbage is a user error."""
    try:
        decoded = base64.b64decode(raw.encode(), validate=True).decode()
        type_name, _, pk_text = decoded.partition(":")
        pk = int(pk_text)
    except (binascii.Error, UnicodeError, ValueError):
        raise DomainError(ErrorCode.INVALID, f"{raw!r} is not a valid ID.", field) from None
    # Only the canonical spelling is an ID: no padding tricks, no leading zeros.
    if type_name not in NODE_TYPES or not may_be_key(pk) or encode_id(type_name, pk) != raw:
        raise DomainError(ErrorCode.INVALID, f"{raw!r} is not a valid ID.", field)
    return type_name, pk


def decode_id(raw: str, expected_type: str, field: list[str]) -> int:
    type_name, pk = parse_global_id(raw, field)
    if type_name != expected_type:
        raise DomainError(
            ErrorCode.INVALID,
            f"Expected {_article(expected_type)} ID, got {_article(type_name)} ID.",
            field,
        )
    return pk


def decode_optional_id(raw: str | None, expected_type: str, field: list[str]) -> int | None:
    return None if raw is None else decode_id(raw, expected_type, field)


def decode_ids(raw_ids: Sequence[str], expected_type: str, field: str) -> list[int]:
    """A list of IDs; a bad one is named by its index, e.g. ["leadIds", "3"]."""
    return [decode_id(raw, expected_type, [field, str(index)]) for index, raw in enumerate(raw_ids)]


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "AEIOU" else f"a {type_name}"
