"""Relay-style forward paging with keyset cursors over the primary key, optionally ordered by
a datetime column first; the cursor then carries the row's value of that column too, so the
next page starts where this one ended even if that row has changed since."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from leadflow.api.ids import MAX_PK
from leadflow.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "cursor:"

ModelT = TypeVar("ModelT", bound=Model)
RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    """`rows` are models or, on the hot path, value dicts."""

    rows: list[RowT]
    has_next_page: bool
    has_previous_page: bool
    cursors: list[str]  # one per row


def encode_cursor(pk: int, sort_value: datetime | None = None) -> str:
    text = f"{_CURSOR_PREFIX}{pk}"
    if sort_value is not None:
        text += f"@{sort_value.isoformat()}"
    return base64.b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> int:
    return _decode(cursor)[0]


def _decode(cursor: str) -> tuple[int, datetime | None]:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        raw_pk, _, raw_value = text.removeprefix(_CURSOR_PREFIX).partition("@")
        pk = int(raw_pk)
        if not 0 < pk <= MAX_PK:
            raise ValueError(pk)
        value = datetime.fromisoformat(raw_value) if raw_value else None
        if value is not None and value.tzinfo is None:
            raise ValueError(raw_value)
        # Compared in UTC, as stored; a value beyond the years 1 to 9999 there (9999-12-31
        # with a negative offset) is no cursor this API gave out.
        return pk, value.astimezone(UTC) if value is not None else None
    except (ValueError, OverflowError):
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
) -> Page[Any]:
    """One page (one query). With `columns`, rows are plain value dicts instead of models.
    With `sort_column` (a datetime column, never NULL in `rows`), ascending by it, ties by id."""
    size = check_page_size(first)
    if sort_column is not None:
        order: tuple[str, ...] = (sort_column, "id")
    else:
        order = ("-id",) if newest_first else ("id",)
    if after is not None:
        rows = _after(rows, after, newest_first, sort_column)
    ordered = rows.order_by(*order).limit(size + 1)
    if not size:
        fetched: list[Any] = []
    elif columns is not None:
        fetched = await ordered.values(*columns)
    else:
        fetched = await ordered
    shown = list(fetched[:size])
    return Page(
        rows=shown,
        has_next_page=len(fetched) > size,
        has_previous_page=after is not None,
        cursors=[_cursor_of(row, sort_column) for row in shown],
    )


def _after(
    rows: QuerySet[ModelT], cursor: str, newest_first: bool, sort_column: str | None
) -> QuerySet[ModelT]:
    last_pk, value = _decode(cursor)
    if sort_column is None:
        return rows.filter(id__lt=last_pk) if newest_first else rows.filter(id__gt=last_pk)
    if value is None:
        raise DomainError(ErrorCode.INVALID, f"{cursor!r} is not a cursor of this list.", ["after"])
    later: dict[str, Any] = {f"{sort_column}__gt": value}
    same_value_later_id: dict[str, Any] = {sort_column: value, "id__gt": last_pk}
    return rows.filter(Q(**later) | Q(**same_value_later_id))


def _cursor_of(row: Any, sort_column: str | None) -> str:
    """Pages hold models or, on the hot path, plain value rows."""

    def value_of(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    return encode_cursor(value_of("id"), value_of(sort_column) if sort_column else None)
