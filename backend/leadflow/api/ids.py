"""Opaque global IDs ("Lead:42", base64-encoded), checked against the type the caller expects."""

from __future__ import annotations

import base64
import binascii

from leadflow.services.errors import DomainError, ErrorCode

NODE_TYPES = frozenset({"Lead", "Campaign", "Contact", "Opportunity", "User"})


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
    if type_name not in NODE_TYPES or pk <= 0 or pk > 2**63 - 1:
        raise DomainError(ErrorCode.INVALID, f"{raw!r} is not a valid ID.", field)
    return type_name, pk


def decode_id(raw: str, expected_type: str, field: list[str]) -> int:
    type_name, pk = parse_global_id(raw, field)
    if type_name != expected_type:
        raise DomainError(
            ErrorCode.INVALID, f"Expected a {expected_type} ID, got a {type_name} ID.", field
        )
    return pk


def decode_optional_id(raw: str | None, expected_type: str, field: list[str]) -> int | None:
    return None if raw is None else decode_id(raw, expected_type, field)
