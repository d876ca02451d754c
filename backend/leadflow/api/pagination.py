"""Relay-style forward paging with keyset cursors over the primary key, optionally ordered by
a datetime column first; the cursor then carries the row's value of that column too, so the
next page starts where this one ended even if that row has changed since.

Lists with a choice of order (`fetch_ordered_page`, see `services.keyset`) carry the order's
name, the row's sort values and its id in the cursor: a cursor of another order is refused."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from leadflow.api.ids import MAX_PK
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import keyset
from leadflow.services.keyset import Ordering, SortKey, SortKind, SortValue
from leadflow.services.moments import utc_moment
from leadflow.services.validation import is_storable_text

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "cursor:"
_ORDERED_CURSOR_PREFIX = "keyset:"
# Longer than any text a sort key holds (names are at most a few hundred characters).
_MAX_CURSOR_TEXT = 1000

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


# --- Lists with a choice of order -------------------------------------------------------------


async def fetch_ordered_page(
    rows: QuerySet[ModelT],
    ordering: Ordering,
    first: int | None,
    after: str | None,
    *,
    columns: tuple[str, ...],
) -> Page[dict[str, Any]]:
    """One page of `rows` in `ordering`, as value rows of `columns` (one query, its joins
    included). The sort values are selected too, for the cursors."""
    size = check_page_size(first)
    if after is not None:
        values, last_pk = decode_ordered_cursor(after, ordering)
        rows = keyset.after(rows, ordering, values, last_pk)
    fetched = await keyset.page_rows(rows, ordering, size + 1, columns) if size else []
    shown = fetched[:size]
    return Page(
        rows=shown,
        has_next_page=len(fetched) > size,
        has_previous_page=after is not None,
        cursors=[
            encode_ordered_cursor(ordering, keyset.values_of(row, ordering), row["id"])
            for row in shown
        ],
    )


def encode_ordered_cursor(ordering: Ordering, values: tuple[SortValue, ...], pk: int) -> str:
    encoded = [_encoded_value(value) for value in values]
    text = _ORDERED_CURSOR_PREFIX + json.dumps([ordering.name, pk, *encoded])
    return base64.b64encode(text.encode()).decode()


def _encoded_value(value: SortValue) -> str | None:
    """A sort value as the cursor's JSON text (dates and datetimes in ISO form)."""
    if value is None:
        return None
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return str(value)


def decode_ordered_cursor(cursor: str, ordering: Ordering) -> tuple[tuple[SortValue, ...], int]:
    """The sort values and the id a cursor of `ordering` carries."""
    invalid = DomainError(ErrorCode.INVALID, f"{cursor!r} is not a valid cursor.", ["after"])
    try:
        if len(cursor) > 8 * _MAX_CURSOR_TEXT:
            raise ValueError("too long")
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_ORDERED_CURSOR_PREFIX):
            raise ValueError(text)
        decoded = json.loads(text.removeprefix(_ORDERED_CURSOR_PREFIX))
    except (ValueError, UnicodeError, RecursionError):
        raise invalid from None
    if not isinstance(decoded, list) or len(decoded) < 2:
        raise invalid
    name, pk, *raw_values = decoded
    if name != ordering.name:
        raise DomainError(
            ErrorCode.INVALID,
            f"This cursor belongs to the order {str(name)[:40]!r}, not {ordering.name!r}: "
            "start again from the first page.",
            ["after"],
        )
    # bool is an int to Python, not to us.
    if type(pk) is not int or not 0 < pk <= MAX_PK or len(raw_values) != len(ordering.keys):
        raise invalid
    try:
        values = tuple(
            _sort_value(key, raw) for key, raw in zip(ordering.keys, raw_values, strict=True)
        )
    except (ValueError, OverflowError, TypeError, InvalidOperation):
        raise invalid from None
    return values, pk


def _sort_value(key: SortKey, raw: object) -> SortValue:
    """A cursor's value of `key`, checked as strictly as a value this API gave out."""
    if raw is None:
        if not key.is_blank(None):
            raise ValueError("null")
        return None
    if not isinstance(raw, str) or len(raw) > _MAX_CURSOR_TEXT or not is_storable_text(raw):
        raise ValueError("text")
    if key.kind is SortKind.TEXT:
        return raw
    if key.kind is SortKind.DATE:
        return date.fromisoformat(raw)
    if key.kind is SortKind.DECIMAL:
        amount = Decimal(raw)
        if not amount.is_finite():
            raise ValueError(raw)
        return amount
    if key.kind is SortKind.RANK:
        if not raw.isdigit() or len(raw) > 3:
            raise ValueError(raw)
        return int(raw)
    try:
        # Compared in UTC, as stored; naive or beyond UTC's years 1 to 9999: no cursor of ours.
        return utc_moment(datetime.fromisoformat(raw), ["after"])
    except DomainError:
        raise ValueError(raw) from None
