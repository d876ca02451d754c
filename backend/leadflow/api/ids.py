"""The API's global IDs: `leadflow.global_ids` (below the layers, shared with the services),
with `encode_id` typed as strawberry's `ID` for the schema."""

from __future__ import annotations

import strawberry

from leadflow import global_ids
from leadflow.global_ids import (
    MAX_PK,
    NODE_TYPES,
    decode_id,
    decode_ids,
    decode_optional_id,
    parse_global_id,
)

__all__ = [
    "MAX_PK",
    "NODE_TYPES",
    "decode_id",
    "decode_ids",
    "decode_optional_id",
    "encode_id",
    "parse_global_id",
]


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(global_ids.encode_id(type_name, pk))
