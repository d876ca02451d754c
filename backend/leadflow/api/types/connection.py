"""Relay connections: a page of nodes with cursors, paging state and the total count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from leadflow.api.pagination import Page

NodeT = TypeVar("NodeT")

# How a connection counts its items for totalCount: a query's `count`, or a service's counting
# function (the leads: from maintained counters when the filter allows).
CountAll = Callable[[], Awaitable[int]]


@strawberry.type(description="Paging state of a connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page[Any]) -> PageInfo:
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


@strawberry.type(description="An item of a list page, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list: `first` items (at most 100) after a cursor.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    # Called only when a query asks for totalCount.
    count_all: strawberry.Private[CountAll]

    @strawberry.field(description="Number of items matching, over all pages.")
    async def total_count(self) -> int:
        return await self.count_all()

    @classmethod
    def from_page(
        cls,
        page: Page[Any],
        to_node: Callable[[Any], NodeT],
        matching: QuerySet[Any] | CountAll,
    ) -> Connection[NodeT]:
        """A connection of `page`'s rows (models or value rows) turned into nodes; `matching`
        counts every page's items for totalCount: the query of every page (counted with
        COUNT), or a function that counts them."""
        return cls(
            edges=[
                Edge(cursor=cursor, node=to_node(row))
                for row, cursor in zip(page.rows, page.cursors, strict=True)
            ],
            page_info=PageInfo.from_page(page),
            count_all=matching.count if isinstance(matching, QuerySet) else matching,
        )
