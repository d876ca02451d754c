"""Shared by the loaders: rows of one query handed back per key, in the order of the keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

RowT = TypeVar("RowT")


def group_by(rows: list[RowT], keys: Sequence[int], *, key: str) -> list[list[RowT]]:
    """`rows` grouped by their attribute `key`, one list per entry of `keys` (empty if none)."""
    grouped: dict[int, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(wanted, []) for wanted in keys]
