"""Shared by the loaders: rows of one query handed back per key, in the order of the keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

RowT = TypeVar("RowT")
ModelT = TypeVar("ModelT", bound=Model)


def group_by(rows: list[RowT], keys: Sequence[int], *, key: str) -> list[list[RowT]]:
    """`rows` grouped by their attribute `key`, one list per entry of `keys` (empty if none)."""
    grouped: dict[int, list[RowT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(wanted, []) for wanted in keys]


async def children_of(
    model: type[ModelT], key: str, parent_ids: Sequence[int], *relations: str
) -> list[list[ModelT]]:
    """The rows of `model` whose `key` is one of `parent_ids`, with `relations` joined, oldest
    first, one list per parent: a lead's feedback and history, an opportunity's history."""
    rows = (
        await model.filter(**{f"{key}__in": list(parent_ids)})
        .select_related(*relations)
        .order_by("id")
    )
    return group_by(rows, parent_ids, key=key)
