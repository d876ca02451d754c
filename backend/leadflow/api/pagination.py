"""Relay-style forward paging with keyset cursors over the primary key."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

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
) -> Page:
    """One page (one query). With `columns`, rows are plain value dicts instead of models."""
    size = check_page_size(first)
    if after is not None:
        last_pk = decode_cursor(after)
        rows = rows.filter(id__lt=last_pk) if newest_first else rows.filter(id__gt=last_pk)
    ordered = rows.order_by("-id" if newest_first else "id").limit(size + 1)
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
