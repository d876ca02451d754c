"""Keyset ordering of a list: its sort keys, how blank values sort (always last), and the
condition "after this row" that the next page starts from.

A list order is a tuple of sort keys, then the row id in the direction of the last key, so
every row has exactly one place. Values a key may lack (NULL, or "" for text that is never
NULL) sort after every present value in both directions, on SQLite and PostgreSQL alike:
their own placement of NULL differs (SQLite puts NULL first when ascending, PostgreSQL last),
so a blank key gets a leading rank (CASE WHEN blank THEN 1 ELSE 0 END) unless the database
already puts NULL last in that direction. Leaving the rank out there lets PostgreSQL read a
clerk's open leads in the order of a plain index (migration 0012); SQLite's indexes for the
task list hold the rank expressions as spelled here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from leadflow.db import sql

ModelT = TypeVar("ModelT", bound=Model)

SortValue = datetime | date | Decimal | int | str | None


class Blank(StrEnum):
    """Which value of a key means "none" (and sorts last)."""

    NONE = "NONE"  # the key always has a value
    NULL = "NULL"  # NULL: a nullable column, or a column of an outer-joined row
    EMPTY = "EMPTY"  # "": text columns that default to the empty string


class SortKind(StrEnum):
    DATETIME = "DATETIME"
    TEXT = "TEXT"
    DATE = "DATE"
    DECIMAL = "DECIMAL"  # an amount; SQLite keeps it as text, so the path names a numeric cast
    RANK = "RANK"  # a small integer a list computes (e.g. a stage's place in the pipeline)


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key: `path` is a Tortoise field path (`contact__last_name` joins the contact)
    and the name of the value the page's rows carry for the cursor."""

    path: str
    kind: SortKind
    descending: bool = False
    blank: Blank = Blank.NONE

    def is_blank(self, value: SortValue) -> bool:
        if self.blank is Blank.NULL:
            return value is None
        if self.blank is Blank.EMPTY:
            return value == ""
        return False

    def blank_condition(self) -> Q:
        if self.blank is Blank.NULL:
            return _condition(f"{self.path}__isnull", True)
        return _condition(self.path, "")

    def needs_rank(self) -> bool:
        if self.blank is Blank.NONE:
            return False
        if self.blank is Blank.EMPTY:
            return True
        return not sql.nulls_last_natively(self.descending)


@dataclass(frozen=True, slots=True)
class Ordering:
    """A list order: its name (carried in cursors, so a cursor of another order is refused)
    and its keys; the id breaks ties, in the direction of the last key."""

    name: str
    keys: tuple[SortKey, ...]

    @property
    def id_descending(self) -> bool:
        return self.keys[-1].descending if self.keys else False

    @property
    def value_paths(self) -> tuple[str, ...]:
        return tuple(key.path for key in self.keys)


def ordered(rows: QuerySet[ModelT], ordering: Ordering) -> QuerySet[ModelT]:
    """`rows` sorted by `ordering`: blank values last on either database."""
    for position, key in enumerate(ordering.keys):
        if "__" in key.path and key.blank is not Blank.NULL:
            # A key that always has a value, on a joined row (the lead's contact, campaign):
            # saying so (true of every row) makes Tortoise's LEFT OUTER JOIN an inner join to
            # PostgreSQL, which may then walk that table's index in the list's order and join
            # the leads to it (migration 0020's contacts_by_last_name); it cannot reorder an
            # outer join, and does not learn from the foreign key that every lead has one.
            rows = rows.filter(_condition(f"{key.path}__isnull", False))
        if key.needs_rank():
            rows = rows.annotate(**{_rank_name(position): sql.blank_rank(key.blank_condition())})
    return rows.order_by(*order_terms(ordering))


def order_terms(ordering: Ordering) -> tuple[str, ...]:
    """The `order_by` terms of `ordered` (a leading `-`: descending): each key's blank rank
    where it needs one, the key, then the id."""
    terms: list[str] = []
    for position, key in enumerate(ordering.keys):
        if key.needs_rank():
            terms.append(_rank_name(position))
        terms.append(f"-{key.path}" if key.descending else key.path)
    terms.append("-id" if ordering.id_descending else "id")
    return tuple(terms)


def _rank_name(position: int) -> str:
    return f"_blank_rank_{position}"


async def page_rows(
    rows: QuerySet[ModelT], ordering: Ordering, limit: int, columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The first `limit` rows of `rows` in `ordering` as value rows of `columns` (field names
    and `relation__field`, as for `values()`), with the sort values (for the cursors), in one
    statement.

    SQLite: Tortoise builds only the small query that picks the page (its ids and sort
    values); the columns are joined to it by a select built once per model, columns and order
    (`sql.joined_rows`): building a select of dozens of joined columns cost Tortoise more
    than running it (a third of the page query's CPU). SQLite's plans for the page only gain
    from the narrower query (a clerk's tasks by due date come from a covering index in order).
    PostgreSQL: the one query as Tortoise builds it. There the narrow page query invites
    index-only scans that read and sort a whole list instead of walking an index in the
    list's order (the busiest clerk's overdue tasks by waiting time: 6,359 rows read for the
    second page, tests/db/test_query_plans.py), and the page is within its goals already."""
    if sql.is_postgres():
        from_page = tuple(path for path in ordering.value_paths if path not in columns)
        return await ordered(rows, ordering).limit(limit).values(*columns, *from_page)
    return await joined_page_rows(rows, ordering, limit, columns)


async def joined_page_rows(
    rows: QuerySet[ModelT], ordering: Ordering, limit: int, columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """`page_rows` as SQLite reads them: the page picked by its ids and sort values, its
    columns joined to them (`sql.joined_rows`). The same rows on either database."""
    from_page = tuple(path for path in ordering.value_paths if path not in columns)
    terms = order_terms(ordering)
    picked = tuple(dict.fromkeys(("id", *(term.removeprefix("-") for term in terms))))
    page = ordered(rows, ordering).limit(limit).values(*picked)
    return await sql.joined_rows(page, terms, columns, from_page)


def after(
    rows: QuerySet[ModelT], ordering: Ordering, values: tuple[SortValue, ...], last_id: int
) -> QuerySet[ModelT]:
    """The rows that come after the row (`values` of its keys, `last_id`) in `ordering`:
    a later value of the first key, or the same value and a later one of the next key, and so
    on, the id last. Written as OR of ANDs, which both databases turn into index ranges."""
    alternatives: list[Q] = []
    same_so_far: list[Q] = []
    for key, value in zip(ordering.keys, values, strict=True):
        later = _later_than(key, value)
        if later is not None:
            alternatives.append(Q(*same_so_far, later) if same_so_far else later)
        same = key.blank_condition() if key.is_blank(value) else _condition(key.path, value)
        same_so_far.append(same)
    id_later = Q(id__lt=last_id) if ordering.id_descending else Q(id__gt=last_id)
    alternatives.append(Q(*same_so_far, id_later) if same_so_far else id_later)
    return rows.filter(Q(*alternatives, join_type=Q.OR))


def _later_than(key: SortKey, value: SortValue) -> Q | None:
    """Rows whose value of `key` sorts after `value`; None when none can (blank is last)."""
    if key.is_blank(value):
        return None
    comparison = "lt" if key.descending else "gt"
    later = _condition(f"{key.path}__{comparison}", value)
    if key.blank is Blank.NONE:
        return later
    # Blank values come after every present one; a descending "" would already be "less".
    return later | key.blank_condition()


def _condition(lookup: str, value: object) -> Q:
    """`Q(lookup=value)` for a lookup built at run time."""
    arguments: dict[str, Any] = {lookup: value}
    return Q(**arguments)


def values_of(row: dict[str, Any], ordering: Ordering) -> tuple[SortValue, ...]:
    """The sort values of a fetched value row (for its cursor)."""
    return tuple(row[path] for path in ordering.value_paths)
