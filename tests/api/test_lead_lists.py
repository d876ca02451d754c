"""leads(filter, orderBy) over HTTP: every order walked page by page equals the same leads
sorted in Python by the rule the order names (ties, blanks last), on SQLite and PostgreSQL;
the new filters (outcome, close reason, creation period, due state) and totalCount with them;
cursors that belong to their order; one SQL statement per page."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow.api.ids import encode_id
from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import Lead
from leadflow.services import campaigns, leads
from leadflow.services.due import Today
from leadflow.services.leads import LeadIntake
from tests.helpers import (
    Actor,
    Actors,
    QueryCounter,
    data_of,
    error_codes,
    gql,
    mutate_ok,
    pk,
    walk_pages,
)

LEADS = """
query($filter: LeadFilter, $orderBy: LeadOrder, $first: Int, $after: String) {
  leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id } }
  }
}"""

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLOSED = (4, 5, 9)  # positions of build_world's closed leads

# (last name, first name, company): ties in every text key, empty first names and companies.
PEOPLE = [
    ("Meyer", "Anna", "Acme"),
    ("Meyer", "", "Acme"),
    ("Meyer", "Anna", ""),
    ("Adams", "Ben", "Bolt"),
    ("Zimmer", "Carl", ""),
    ("Becker", "", "Acme"),
    ("Becker", "Dora", "Zeta"),
    ("Otto", "Emil", "Bolt"),
    ("Klein", "Fritz", ""),
    ("Adams", "Ben", "Bolt"),
    ("Nagel", "Gina", "Acme"),
    ("Fuchs", "", ""),
    ("Wolf", "Hans", "Zeta"),
    ("Meyer", "Ida", "Acme"),
]


@dataclass
class World:
    ids: list[int]  # in creation order
    campaign_ids: list[int]


@dataclass(frozen=True)
class Row:
    """What the orders sort by, read back from the database."""

    id: int
    created_at: datetime
    waiting_since: datetime | None
    next_due_at: datetime | None
    last_name: str
    first_name: str
    company: str
    campaign: str
    assignee: str | None


async def build_world(actors: Actors) -> World:
    """14 leads in three campaigns: NEW ones, clerk A's and clerk B's, closed both ways; then
    creation times, waits and due times rewritten with ties and blanks."""
    manager = actors.manager.user
    made_campaigns = [
        await campaigns.create_campaign(manager, name) for name in ("Gamma", "Alpha", "Beta")
    ]
    ids: list[int] = []
    for index, (last, first, company) in enumerate(PEOPLE):
        campaign = made_campaigns[index % 3]
        intake = LeadIntake(
            last_name=last, first_name=first, company=company, phone=f"030 100{index}"
        )
        ids += [lead.id for lead in await leads.create_leads(manager, campaign.id, [intake])]
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    await leads.assign_leads(manager, ids[0:6], clerk_a.id)
    await leads.assign_leads(manager, ids[6:10], clerk_b.id)  # ids[10:] stay NEW
    await leads.close_lead(clerk_a, ids[4], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk_a, ids[5], Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED)
    await leads.close_lead(clerk_b, ids[9], Outcome.UNSUCCESSFUL, CloseReason.WRONG_CONTACT_DATA)
    for position, lead_id in enumerate(ids):
        # Creation: pairs share a moment (ties broken by id).
        created = BASE + timedelta(hours=position // 2)
        # Waits: ties among the open ones; the NEW and the closed ones have none.
        is_active = position < 10 and position not in CLOSED
        waiting = BASE + timedelta(days=3, hours=(position * 5) % 3) if is_active else None
        # Due: some open leads of each clerk, with a tie; the rest nothing scheduled.
        due = {0: 2, 1: -30, 2: 2, 6: 50, 7: -1, 11: 5}.get(position)
        await Lead.filter(id=lead_id).update(
            created_at=created,
            waiting_since=waiting,
            next_due_at=BASE + timedelta(days=30, hours=due) if due is not None else None,
        )
    return World(ids=ids, campaign_ids=[campaign.id for campaign in made_campaigns])


async def stored_rows(ids: list[int]) -> list[Row]:
    values = await Lead.filter(id__in=ids).values(
        "id",
        "created_at",
        "waiting_since",
        "next_due_at",
        "contact__last_name",
        "contact__first_name",
        "contact__company",
        "campaign__name",
        "assignee__name",
    )
    return [
        Row(
            id=row["id"],
            created_at=row["created_at"],
            waiting_since=row["waiting_since"],
            next_due_at=row["next_due_at"],
            last_name=row["contact__last_name"],
            first_name=row["contact__first_name"],
            company=row["contact__company"],
            campaign=row["campaign__name"],
            assignee=row["assignee__name"],
        )
        for row in values
    ]


NEVER = datetime.min.replace(tzinfo=UTC)


def blank_last(value: Any, blank: bool) -> tuple[int, Any]:
    return (1, "") if blank else (0, value)


# Each order as the rule it names, written independently of the implementation.
EXPECTED: dict[str, Callable[[list[Row]], list[Row]]] = {
    "NEWEST": lambda rows: sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True),
    "OLDEST": lambda rows: sorted(rows, key=lambda r: (r.created_at, r.id)),
    "LAST_NAME": lambda rows: sorted(
        rows, key=lambda r: (r.last_name, blank_last(r.first_name, r.first_name == ""), r.id)
    ),
    "COMPANY": lambda rows: sorted(
        rows, key=lambda r: (blank_last(r.company, r.company == ""), r.last_name, r.id)
    ),
    "CAMPAIGN": lambda rows: sorted(rows, key=lambda r: (r.campaign, r.id)),
    "ASSIGNEE": lambda rows: sorted(
        rows, key=lambda r: (blank_last(r.assignee, r.assignee is None), r.id)
    ),
    "WAITING_LONGEST": lambda rows: sorted(
        rows, key=lambda r: (blank_last(r.waiting_since, r.waiting_since is None), r.id)
    ),
    "NEXT_DUE": lambda rows: sorted(
        rows,
        key=lambda r: (
            blank_last(r.next_due_at, r.next_due_at is None),
            blank_last(r.waiting_since, r.waiting_since is None),
            r.id,
        ),
    ),
}


async def page(client, actor: Actor, **variables: Any) -> dict[str, Any]:
    return data_of(await gql(client, LEADS, variables, actor=actor))["leads"]


async def walk(client, actor: Actor, order: str | None, size: int, **variables: Any) -> list[int]:
    """Every page of the list, `size` at a time; the pages' paging state checked."""

    async def fetch(**page_variables: Any) -> dict[str, Any]:
        return await page(client, actor, **page_variables)

    return await walk_pages(fetch, order, size, **variables)


@pytest.mark.parametrize("order", list(EXPECTED))
async def test_every_order_walked_page_by_page_is_the_rule_it_names(client, actors, order):
    world = await build_world(actors)
    expected = [row.id for row in EXPECTED[order](await stored_rows(world.ids))]
    for size in (1, 3, 5, 100):
        assert await walk(client, actors.manager, order, size) == expected, (order, size)


async def test_the_default_order_is_newest_and_orders_hold_for_campaign_lists_too(client, actors):
    world = await build_world(actors)
    rows = await stored_rows(world.ids)
    assert await walk(client, actors.manager, None, 4) == [r.id for r in EXPECTED["NEWEST"](rows)]

    campaign_id = encode_id("Campaign", world.campaign_ids[1])
    query = """query($id: ID!, $after: String) { campaign(id: $id) {
      leads(orderBy: LAST_NAME, first: 2, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { id } } } } }"""
    ids: list[int] = []
    after = None
    while True:
        body = await gql(client, query, {"id": campaign_id, "after": after}, actor=actors.manager)
        found = data_of(body)["campaign"]["leads"]
        ids += [pk(edge["node"]["id"]) for edge in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    in_campaign = [r for r in rows if r.campaign == "Alpha"]
    assert ids == [r.id for r in EXPECTED["LAST_NAME"](in_campaign)]


async def test_a_clerk_walks_only_their_own_leads_in_every_order(client, actors):
    world = await build_world(actors)
    rows = await stored_rows(world.ids)
    own = [row for row in rows if row.assignee == actors.clerk_b.user.name]
    assert len(own) == 4
    for order, sort in EXPECTED.items():
        assert await walk(client, actors.clerk_b, order, 3) == [r.id for r in sort(own)], order


async def test_filters_and_orders_combine_and_the_total_counts_the_filter(client, actors):
    world = await build_world(actors)
    rows = {row.id: row for row in await stored_rows(world.ids)}
    unsuccessful = [world.ids[5], world.ids[9]]

    found = await page(client, actors.manager, filter={"outcome": "UNSUCCESSFUL"}, first=1)
    assert found["totalCount"] == 2 and found["pageInfo"]["hasNextPage"]
    by_reason = await walk(
        client, actors.manager, "LAST_NAME", 1, filter={"closeReason": "WRONG_CONTACT_DATA"}
    )
    assert by_reason == [world.ids[9]]
    successful = await page(client, actors.manager, filter={"outcome": "SUCCESSFUL"})
    assert [pk(edge["node"]["id"]) for edge in successful["edges"]] == [world.ids[4]]
    assert sorted(
        await walk(client, actors.manager, "COMPANY", 1, filter={"outcome": "UNSUCCESSFUL"})
    ) == sorted(unsuccessful)

    # Creation: from included, before excluded (pairs of leads share a creation moment).
    period = {
        "createdAfter": (BASE + timedelta(hours=1)).isoformat(),
        "createdBefore": (BASE + timedelta(hours=3)).isoformat(),
    }
    in_period = sorted(world.ids[2:6], key=lambda lead_id: (rows[lead_id].created_at, lead_id))
    assert await walk(client, actors.manager, "OLDEST", 3, filter=period) == in_period
    counted = await page(client, actors.manager, filter=period, first=0)
    assert counted["totalCount"] == 4 and counted["edges"] == []
    # A moment without an offset is UTC.
    naive = {"createdAfter": (BASE + timedelta(hours=6)).replace(tzinfo=None).isoformat()}
    assert await walk(client, actors.manager, "OLDEST", 10, filter=naive) == world.ids[12:]

    # Everything at once, still one list in order.
    combined = {"status": "DONE", "campaignId": encode_id("Campaign", world.campaign_ids[2])}
    expected = [lead_id for lead_id in (world.ids[5],) if rows[lead_id].campaign == "Beta"]
    assert await walk(client, actors.manager, "ASSIGNEE", 2, filter=combined) == expected


async def test_the_due_filter_lists_open_leads_by_the_viewers_today(client, actors):
    world = await build_world(actors)
    today = Today.in_zone()
    moments = {
        world.ids[0]: today.starts - timedelta(minutes=1),  # overdue
        world.ids[1]: today.starts,  # today, from its first moment
        world.ids[6]: today.ends - timedelta(microseconds=1),  # still today
        world.ids[7]: today.ends,  # upcoming
        world.ids[11]: today.starts - timedelta(days=3),  # a NEW lead, overdue
        world.ids[4]: today.starts,  # DONE: never in a due list, even with a stale time
    }
    await Lead.filter(id__in=world.ids).update(next_due_at=None)
    for lead_id, moment in moments.items():
        await Lead.filter(id=lead_id).update(next_due_at=moment)
    open_ids = {lead_id for lead_id in world.ids if lead_id not in (world.ids[4], world.ids[5])}
    open_ids.discard(world.ids[9])

    async def due(state: str) -> set[int]:
        return set(await walk(client, actors.manager, "NEXT_DUE", 2, filter={"due": state}))

    assert await due("OVERDUE") == {world.ids[0], world.ids[11]}
    assert await due("TODAY") == {world.ids[1], world.ids[6]}
    assert await due("UPCOMING") == {world.ids[7]}
    assert await due("NONE") == open_ids - {world.ids[i] for i in (0, 1, 6, 7, 11)}
    # A clerk's own due leads only.
    clerk_today = await walk(client, actors.clerk_a, None, 5, filter={"due": "TODAY"})
    assert clerk_today == [world.ids[1]]
    counts = data_of(
        await gql(
            client,
            "query($f: LeadFilter) { leadCounts(filter: $f) { new active done } }",
            {"f": {"due": "OVERDUE"}},
            actor=actors.manager,
        )
    )["leadCounts"]
    assert counts == {"new": 1, "active": 1, "done": 0}


async def test_bad_filters_are_bad_input(client, actors):
    await build_world(actors)
    for bad_filter, words in (
        (
            {"createdAfter": "2026-11-03T00:00:00Z", "createdBefore": "2026-11-02T00:00:00Z"},
            "'createdAfter' must not be later than 'createdBefore'",
        ),
        ({"createdAfter": "0001-01-01T00:00:00+01:00"}, "must lie between"),
    ):
        body = await gql(client, LEADS, {"filter": bad_filter}, actor=actors.manager)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert words in body["errors"][0]["message"], body
    for bad_filter in ({"outcome": "MAYBE"}, {"due": "SOMEDAY"}, {"closeReason": "BORED"}):
        body = await gql(client, LEADS, {"filter": bad_filter}, actor=actors.manager)
        assert body.get("errors") and body.get("data") is None, body
    # The same bounds are an empty period, not a mistake.
    same = {"createdAfter": BASE.isoformat(), "createdBefore": BASE.isoformat()}
    assert (await page(client, actors.manager, filter=same))["totalCount"] == 0


async def test_a_time_zone_header_that_names_no_zone_is_a_400_naming_the_header(client, actors):
    """The web layer reads the header once for every route (GraphQL here, the export too)."""
    response = await client.post(
        "/graphql",
        json={"query": LEADS, "variables": {"filter": {"due": "TODAY"}}},
        headers={"Authorization": f"Bearer {actors.manager.token}", "Time-Zone": "Nowhere/City"},
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["message"].startswith("Time-Zone header: "), error
    assert "Nowhere/City" in error["message"], error


def cursor_of(*parts: Any) -> str:
    return base64.b64encode(("keyset:" + json.dumps(list(parts))).encode()).decode()


async def test_cursors_belong_to_their_order_and_bad_ones_are_bad_input(client, actors):
    world = await build_world(actors)
    newest = await page(client, actors.manager, orderBy="NEWEST", first=2)
    cursor = newest["pageInfo"]["endCursor"]

    body = await gql(client, LEADS, {"orderBy": "LAST_NAME", "after": cursor}, actor=actors.manager)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "belongs to the order 'NEWEST', not 'LAST_NAME'" in body["errors"][0]["message"]
    tasks = data_of(
        await gql(client, "{ myTasks(first: 1) { pageInfo { endCursor } } }", actor=actors.clerk_a)
    )["myTasks"]["pageInfo"]["endCursor"]
    body = await gql(client, LEADS, {"orderBy": "NEXT_DUE", "after": tasks}, actor=actors.manager)
    assert error_codes(body) == ["BAD_USER_INPUT"]

    lead = world.ids[3]
    moment = "2026-11-02T09:00:00+00:00"
    for order, bad in (
        (None, "garbage"),
        (None, base64.b64encode(b"cursor:5").decode()),  # a cursor of the lists without orders
        (None, cursor_of("NEWEST", lead)),  # too few values
        (None, cursor_of("NEWEST", lead, moment, moment)),  # too many
        (None, cursor_of("NEWEST", lead, None)),  # creation is never blank
        (None, cursor_of("NEWEST", True, moment)),
        (None, cursor_of("NEWEST", 0, moment)),
        (None, cursor_of("NEWEST", 2**40, moment)),
        (None, cursor_of("NEWEST", str(lead), moment)),
        (None, cursor_of("NEWEST", lead, "2026-11-02T09:00:00")),  # no offset
        (None, cursor_of("NEWEST", lead, "9999-12-31T23:59:59-14:00")),  # beyond UTC's years
        (None, cursor_of("NEWEST", lead, 1700000000)),
        (None, cursor_of(["NEWEST"], lead, moment)),
        (None, base64.b64encode(b"keyset:{}").decode()),
        (None, base64.b64encode(b"keyset:" + b"[" * 5000).decode()),
        ("LAST_NAME", cursor_of("LAST_NAME", lead, "Meyer", 5)),
        ("LAST_NAME", cursor_of("LAST_NAME", lead, "Mey\x00er", "Anna")),  # no database holds NUL
        ("LAST_NAME", cursor_of("LAST_NAME", lead, "\ud800", "Anna")),  # nor a lone surrogate
        ("LAST_NAME", cursor_of("LAST_NAME", lead, "M" * 5000, "Anna")),
    ):
        body = await gql(client, LEADS, {"orderBy": order, "after": bad}, actor=actors.manager)
        assert error_codes(body) == ["BAD_USER_INPUT"], (bad, body)
        assert "cursor" in body["errors"][0]["message"], body

    # A cursor carrying a blank value where the key may be blank is a cursor like any other.
    blank_due = cursor_of("NEXT_DUE", lead, None, None)
    found = await page(client, actors.manager, orderBy="NEXT_DUE", after=blank_due, first=100)
    assert all(pk(edge["node"]["id"]) > lead for edge in found["edges"])


def cursor_values(cursor: str) -> list[Any]:
    return json.loads(base64.b64decode(cursor).decode().removeprefix("keyset:"))


async def test_a_closed_lead_waits_for_nobody_in_the_lists_orders(client, actors):
    """closeLead ends the wait: a DONE lead sorts with the blanks in WAITING_LONGEST and
    NEXT_DUE (by id), and its cursor carries no wait the API would hide; a reopen starts a
    new one."""
    world = await build_world(actors)
    closing = world.ids[0]  # clerk A's, waiting since build_world's BASE + 3 days
    assert (await Lead.get(id=closing)).waiting_since is not None
    await Lead.filter(id=closing).update(next_due_at=None)
    await leads.close_lead(actors.clerk_a.user, closing, Outcome.SUCCESSFUL)
    assert (await Lead.get(id=closing)).waiting_since is None

    waiting = {row.id for row in await stored_rows(world.ids) if row.waiting_since is not None}
    for order in ("WAITING_LONGEST", "NEXT_DUE"):
        found = await page(client, actors.manager, orderBy=order, first=100)
        in_order = [pk(edge["node"]["id"]) for edge in found["edges"]]
        position = in_order.index(closing)
        assert waiting.isdisjoint(in_order[position:]), order  # after every wait
        (edge,) = [edge for edge in found["edges"] if pk(edge["node"]["id"]) == closing]
        assert cursor_values(edge["cursor"])[2:] == [None] * (
            len(cursor_values(edge["cursor"])) - 2
        )

    reopened = await leads.reopen_lead(actors.manager.user, closing)
    assert reopened.waiting_since is not None and reopened.waiting_since == reopened.assigned_at


async def test_a_page_continues_after_its_cursor_when_the_list_changes(client, actors):
    """Keyset, not offset: a lead that sorts before the cursor (new, or renamed) neither shows
    up on the next page nor pushes a lead of the next page back onto it."""
    world = await build_world(actors)
    expected = [r.id for r in EXPECTED["LAST_NAME"](await stored_rows(world.ids))]
    first = await page(client, actors.manager, orderBy="LAST_NAME", first=5)
    assert [pk(edge["node"]["id"]) for edge in first["edges"]] == expected[:5]

    manager = actors.manager.user
    [early] = await leads.create_leads(
        manager, world.campaign_ids[0], [LeadIntake(last_name="Aaron", phone="030 999")]
    )
    rest = await walk_from(client, actors.manager, "LAST_NAME", first["pageInfo"]["endCursor"])
    assert rest == expected[5:]
    assert early.id not in rest


async def walk_from(client, actor: Actor, order: str, after: str) -> list[int]:
    ids: list[int] = []
    while True:
        found = await page(client, actor, orderBy=order, first=2, after=after)
        ids += [pk(edge["node"]["id"]) for edge in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            return ids
        after = found["pageInfo"]["endCursor"]


PAGE_WITH_JOINS = """
query($orderBy: LeadOrder, $first: Int, $after: String) {
  leads(orderBy: $orderBy, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status contact { lastName company } campaign { name }
                          assignee { name } waitingSince } }
  }
}"""


@pytest.mark.parametrize("order", list(EXPECTED))
async def test_a_page_is_one_statement_in_every_order(client, actors, order):
    """The sort joins (contact, campaign, assignee) are the joins the page reads anyway: a
    page, first or later, is one SELECT over the leads whatever its size."""
    await build_world(actors)
    start = await page(client, actors.manager, orderBy=order, first=2)
    after = start["pageInfo"]["endCursor"]
    counts = {}
    for size in (2, 9):
        with QueryCounter() as counter:
            body = await gql(
                client,
                PAGE_WITH_JOINS,
                {"orderBy": order, "first": size, "after": after},
                actor=actors.manager,
            )
        assert len(data_of(body)["leads"]["edges"]) == size
        lists = [s for s in counter.statements if 'FROM "leads"' in s]
        assert len(lists) == 1, counter.statements
        counts[size] = counter.count
    assert counts[2] == counts[9], counts


async def test_partners_sort_and_filter_only_by_what_they_may_read(client, actors):
    """A partner reads a lead's creation, campaign and assignee, not the contact's name or
    company, the wait or the next step: ordering by those would show them (through the order
    and through the sort values in the cursor), so those orders and the due filter are
    FORBIDDEN; the others work as for anyone."""
    world = await build_world(actors)
    campaign = encode_id("Campaign", world.campaign_ids[0])
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
    )
    rows = [{"lastName": f"Partnerlead{i}", "email": f"p{i}@partner.example"} for i in range(4)]
    await mutate_ok(
        client,
        actors.partner,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id }",
    )
    expected = sorted(
        await Lead.filter(created_by_id=actors.partner.user.id).values_list("id", flat=True)
    )
    for order in ("NEWEST", "OLDEST", "CAMPAIGN", "ASSIGNEE"):
        walked = await walk(client, actors.partner, order, 3)
        assert sorted(walked) == expected, order
    for order in ("LAST_NAME", "COMPANY", "WAITING_LONGEST", "NEXT_DUE"):
        body = await gql(client, LEADS, {"orderBy": order}, actor=actors.partner)
        assert error_codes(body) == ["FORBIDDEN"], (order, body)
    for query, variables in (
        (LEADS, {"filter": {"due": "NONE"}}),
        ("query($f: LeadFilter) { leadCounts(filter: $f) { new } }", {"f": {"due": "NONE"}}),
    ):
        body = await gql(client, query, variables, actor=actors.partner)
        assert error_codes(body) == ["FORBIDDEN"], body
    # Filters a partner may read still narrow the list.
    found = await page(client, actors.partner, filter={"status": "NEW", "search": "p2@partner"})
    assert found["totalCount"] == 1
