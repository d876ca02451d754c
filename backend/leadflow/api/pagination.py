"""Relay-style forward paging with keyset cursors over the primary key, optionally ordered by
another column first (the cursor stays the row's id; the page after it starts after that
row's current value of the column)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from leadflow.api.ids import MAX_PK
from leadflow.services.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "cursor:"

ModelT = TypeVar("ModelT", bound=Model)


@dataclass(frozen=True, slots=True)
class Page(Generic[ModelT]):
    rows: list[ModelT]
    has_next_page: bool
    has_previous_page: bool


def encode_cursor(pk: int) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        pk = int(text.removeprefix(_CURSOR_PREFIX))
        if not 0 < pk <= MAX_PK:
            raise ValueError(pk)
        return pk
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID, f"{cursor!r} is not a valid cursor.", ["after"]
        ) from None


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise DomainError(
            ErrorCode.INVALID,
            f"'first' must be between 0 and {MAX_PAGE_SIZE}, got {first}.",
            ["first"],
        )
    return first


async def fetch_page(
    rows: QuerySet[ModelT],
    first: int | None,
    after: str | None,
    *,
    newest_first: bool = True,
    columns: tuple[str, ...] | None = None,
    sort_column: str | None = None,
) -> Page:
    """One page (one query; one more to find where `after` stands when sorting by
    `sort_column`, ascending, ties by id). With `columns`, rows are plain value dicts."""
    size = check_page_size(first)
    if sort_column is not None:
        order: tuple[str, ...] = (sort_column, "id")
    else:
        order = ("-id",) if newest_first else ("id",)
    if after is not None:
        rows = await _after(rows, decode_cursor(after), newest_first, sort_column)
    ordered = rows.order_by(*order).limit(size + 1)
    if not size:
        fetched: list = []
    elif columns is not None:
        fetched = await ordered.values(*columns)
    else:
        fetched = await ordered
    return Page(
        rows=list(fetched[:size]),
        has_next_page=len(fetched) > size,
        has_previous_page=after is not None,
    )


async def _after(
    rows: QuerySet[ModelT], last_pk: int, newest_first: bool, sort_column: str | None
) -> QuerySet[ModelT]:
    if sort_column is None:
        return rows.filter(id__lt=last_pk) if newest_first else rows.filter(id__gt=last_pk)
    anchor = await rows.model.filter(id=last_pk).values_list(sort_column, flat=True)
    if not anchor or anchor[0] is None:
        # The row is gone or has no value: continue by id alone.
        return rows.filter(id__gt=last_pk)
    value = anchor[0]
    return rows.filter(
        Q(**{f"{sort_column}__gt": value}) | Q(**{sort_column: value, "id__gt": last_pk})
    )
