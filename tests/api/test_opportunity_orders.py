"""opportunities(orderBy) over HTTP: every order walked page by page equals the same
opportunities sorted in Python by the rule the order names (ties, blanks last), on SQLite and
PostgreSQL; cursors belong to their order; one SQL statement per page."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from leadflow.db.enums import OpportunityStage
from leadflow.db.models import Contact, Opportunity
from tests.helpers import Actor, Actors, QueryCounter, data_of, error_codes, gql, walk_pages

OPPORTUNITIES = """
query($filter: OpportunityFilter, $orderBy: OpportunityOrder, $first: Int, $after: String) {
  opportunities(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id title expectedValue expectedCloseDate stage owner { name } } }
  }
}"""

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
S = OpportunityStage

# (title, owner: "a"/"b", stage, expected value, expected close in days or None): ties in every
# key, blank values and amounts whose text sorts otherwise than their numbers ("9" > "100").
DEALS: list[tuple[str, str, OpportunityStage, str | None, int | None]] = [
    ("Kopierer", "a", S.OPEN, "9.00", 5),
    ("Anlage", "b", S.WON, "100.00", None),
    ("Kopierer", "b", S.QUALIFIED, None, 5),
    ("Zubehör", "a", S.LOST, "100.00", -3),
    ("Beratung", "a", S.NEGOTIATION, "1500.50", 40),
    ("Anlage", "a", S.PROPOSAL, None, None),
    ("Wartung", "b", S.OPEN, "25.00", 12),
    ("Drucker", "b", S.PROPOSAL, "9.00", -3),
    ("Service", "a", S.QUALIFIED, "99999999999.99", 0),
    ("Miete", "b", S.NEGOTIATION, "0.00", 12),
]


@dataclass(frozen=True)
class Row:
    """What the orders sort by, read back from the database."""

    id: int
    created_at: datetime
    title: str
    owner: str
    stage: OpportunityStage
    value: Decimal | None
    close: date | None


async def build_world(actors: Actors) -> list[int]:
    """The DEALS as stored opportunities (plain rows: the orders, not their creation, are under
    test), created in pairs that share a creation moment."""
    owners = {"a": actors.clerk_a.user, "b": actors.clerk_b.user}
    ids: list[int] = []
    for position, (title, owner, stage, value, close) in enumerate(DEALS):
        contact = await Contact.create(last_name=f"Kunde {position}")
        opportunity = await Opportunity.create(
            title=title,
            contact=contact,
            owner=owners[owner],
            stage=stage,
            expected_value=Decimal(value) if value is not None else None,
            expected_close_date=date(2026, 12, 1) + timedelta(days=close)
            if close is not None
            else None,
            closed_at=BASE if stage in (S.WON, S.LOST) else None,
        )
        await Opportunity.filter(id=opportunity.id).update(
            created_at=BASE + timedelta(hours=position // 2)
        )
        ids.append(opportunity.id)
    return ids


async def stored_rows(ids: list[int]) -> list[Row]:
    values = await Opportunity.filter(id__in=ids).values(
        "id",
        "created_at",
        "title",
        "owner__name",
        "stage",
        "expected_value",
        "expected_close_date",
    )
    return [
        Row(
            id=row["id"],
            created_at=row["created_at"],
            title=row["title"],
            owner=row["owner__name"],
            stage=OpportunityStage(row["stage"]),
            value=Decimal(row["expected_value"]) if row["expected_value"] is not None else None,
            close=row["expected_close_date"],
        )
        for row in values
    ]


def blank_last(value: Any, blank: bool) -> tuple[int, Any]:
    return (1, 0) if blank else (0, value)


STAGE_PLACE = {stage: place for place, stage in enumerate(OpportunityStage)}

# Each order as the rule it names, written independently of the implementation.
EXPECTED: dict[str, Callable[[list[Row]], list[Row]]] = {
    "NEWEST": lambda rows: sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True),
    "OLDEST": lambda rows: sorted(rows, key=lambda r: (r.created_at, r.id)),
    "TITLE": lambda rows: sorted(rows, key=lambda r: (r.title, r.id)),
    "OWNER": lambda rows: sorted(rows, key=lambda r: (r.owner, r.id)),
    "STAGE": lambda rows: sorted(rows, key=lambda r: (STAGE_PLACE[r.stage], r.id)),
    # Highest first, the id descending with it; no value last.
    "VALUE": lambda rows: sorted(
        rows, key=lambda r: (blank_last(-(r.value or 0), r.value is None), -r.id)
    ),
    "EXPECTED_CLOSE": lambda rows: sorted(
        rows, key=lambda r: (blank_last(r.close, r.close is None), r.id)
    ),
}


async def page(client, actor: Actor, **variables: Any) -> dict[str, Any]:
    return data_of(await gql(client, OPPORTUNITIES, variables, actor=actor))["opportunities"]


async def walk(client, actor: Actor, order: str | None, size: int, **variables: Any) -> list[int]:
    """Every page of the list, `size` at a time; the pages' paging state checked."""

    async def fetch(**page_variables: Any) -> dict[str, Any]:
        return await page(client, actor, **page_variables)

    return await walk_pages(fetch, order, size, **variables)


def test_the_world_has_ties_and_blanks_in_every_key():
    for column in range(5):
        values = [deal[column] for deal in DEALS]
        assert len(set(values)) < len(values), column
    assert any(deal[3] is None for deal in DEALS) and any(deal[4] is None for deal in DEALS)


@pytest.mark.parametrize("order", list(EXPECTED))
async def test_every_order_walked_page_by_page_is_the_rule_it_names(client, actors, order):
    ids = await build_world(actors)
    expected = [row.id for row in EXPECTED[order](await stored_rows(ids))]
    for size in (1, 3, 100):
        assert await walk(client, actors.manager, order, size) == expected, (order, size)


async def test_the_default_is_newest_and_a_clerk_walks_only_their_own(client, actors):
    ids = await build_world(actors)
    rows = await stored_rows(ids)
    assert await walk(client, actors.manager, None, 4) == [r.id for r in EXPECTED["NEWEST"](rows)]
    own = [row for row in rows if row.owner == actors.clerk_b.user.name]
    for order, sort in EXPECTED.items():
        assert await walk(client, actors.clerk_b, order, 2) == [r.id for r in sort(own)], order
    # Filters and orders combine.
    qualified = [row for row in rows if row.stage is S.QUALIFIED]
    found = await walk(client, actors.manager, "VALUE", 1, filter={"stage": "QUALIFIED"})
    assert found == [r.id for r in EXPECTED["VALUE"](qualified)]


async def test_the_values_the_list_shows_are_the_stored_ones(client, actors):
    await build_world(actors)
    found = await page(client, actors.manager, orderBy="VALUE", first=3)
    shown = [(edge["node"]["title"], edge["node"]["expectedValue"]) for edge in found["edges"]]
    assert shown == [("Service", "99999999999.99"), ("Beratung", "1500.50"), ("Zubehör", "100.00")]
    assert found["totalCount"] == len(DEALS)


def cursor_of(*parts: Any) -> str:
    return base64.b64encode(("keyset:" + json.dumps(list(parts))).encode()).decode()


async def test_cursors_belong_to_their_order_and_bad_ones_are_bad_input(client, actors):
    ids = await build_world(actors)
    first = await page(client, actors.manager, orderBy="VALUE", first=2)
    cursor = first["pageInfo"]["endCursor"]
    for other in ("NEWEST", "TITLE", "EXPECTED_CLOSE"):
        body = await gql(
            client, OPPORTUNITIES, {"orderBy": other, "after": cursor}, actor=actors.manager
        )
        assert error_codes(body) == ["BAD_USER_INPUT"], (other, body)
        assert "start again from the first page" in body["errors"][0]["message"], body
    # A lead list's cursor is no cursor of this list, though both have an order named NEWEST.
    leads = data_of(
        await gql(
            client,
            "{ leads(first: 1) { pageInfo { endCursor } } }",
            actor=actors.manager,
        )
    )["leads"]["pageInfo"]["endCursor"]
    if leads is not None:
        body = await gql(client, OPPORTUNITIES, {"after": leads}, actor=actors.manager)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    newest_lead = cursor_of("NEWEST", ids[0], BASE.isoformat())
    body = await gql(client, OPPORTUNITIES, {"after": newest_lead}, actor=actors.manager)
    assert error_codes(body) == ["BAD_USER_INPUT"], body

    opportunity = ids[0]
    for order, bad in (
        ("VALUE", cursor_of("OPPORTUNITIES_VALUE", opportunity, "NaN")),
        ("VALUE", cursor_of("OPPORTUNITIES_VALUE", opportunity, "zehn")),
        ("VALUE", cursor_of("OPPORTUNITIES_VALUE", opportunity, 10)),
        ("STAGE", cursor_of("OPPORTUNITIES_STAGE", opportunity, "-1")),
        ("STAGE", cursor_of("OPPORTUNITIES_STAGE", opportunity, None)),  # a stage is never blank
        ("EXPECTED_CLOSE", cursor_of("OPPORTUNITIES_EXPECTED_CLOSE", opportunity, "2026-13-01")),
        ("TITLE", cursor_of("OPPORTUNITIES_TITLE", opportunity)),  # too few values
    ):
        body = await gql(
            client, OPPORTUNITIES, {"orderBy": order, "after": bad}, actor=actors.manager
        )
        assert error_codes(body) == ["BAD_USER_INPUT"], (order, bad, body)
    # A blank value where the key may be blank is a cursor like any other.
    blank_value = cursor_of("OPPORTUNITIES_VALUE", opportunity, None)
    body = await gql(
        client, OPPORTUNITIES, {"orderBy": "VALUE", "after": blank_value}, actor=actors.manager
    )
    assert "errors" not in body, body


@pytest.mark.parametrize("order", list(EXPECTED))
async def test_a_page_is_one_statement_in_every_order(client, actors, order):
    """The owner join the OWNER order sorts by is the one the page reads anyway, and STAGE and
    VALUE compute their keys in the same SELECT."""
    await build_world(actors)
    start = await page(client, actors.manager, orderBy=order, first=2)
    after = start["pageInfo"]["endCursor"]
    counts = {}
    for size in (2, 5):
        with QueryCounter() as counter:
            body = await gql(
                client,
                OPPORTUNITIES,
                {"orderBy": order, "first": size, "after": after},
                actor=actors.manager,
            )
        assert len(data_of(body)["opportunities"]["edges"]) == size
        lists = [s for s in counter.statements if 'FROM "opportunities"' in s]
        assert len(lists) == 2, counter.statements  # the page and its totalCount
        counts[size] = counter.count
    assert counts[2] == counts[5], counts
