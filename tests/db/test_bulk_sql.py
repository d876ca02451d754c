"""The contract of db.sql's bulk writes on both databases: `insert_rows` stores what
Tortoise's own `bulk_create` stores (enums, JSON, datetimes in UTC, decimals, defaults and
database defaults), in one statement; `write_assignments` changes only leads still NEW, every
column at once, and of two concurrent assignments of a lead only one (PostgreSQL);
`latest_of_each` ranks each group on its own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.db import sql
from leadflow.db.enums import ImportIssueKind, LeadEventKind, Outcome
from leadflow.db.models import (
    Campaign,
    Contact,
    ImportIssue,
    Lead,
    LeadEvent,
    LeadImport,
    Opportunity,
    OutboxEvent,
)
from leadflow.services.distribution import NewAssignment
from tests.helpers import Actors, QueryCounter

PAYLOAD = {"leadId": 1, "name": "Jürgen Müßig", "nested": {"list": [1, "ä"]}}


async def stored_text(table: str, column: str, row_id: int) -> str:
    """A column as the database holds it, as text (SQLite: the JSON Tortoise wrote)."""
    rows = await connections.get("default").execute_query_dict(
        f'SELECT CAST("{column}" AS TEXT) AS value FROM "{table}" WHERE id = {int(row_id)}'
    )
    return str(rows[0]["value"])


async def test_insert_rows_stores_what_bulk_create_stores(actors: Actors):
    at = clock.now()
    ids = await sql.next_ids(OutboxEvent, 2)
    await OutboxEvent.bulk_create(
        [OutboxEvent(id=ids[0], topic="t", user_ids=[3, 1], payload=PAYLOAD, created_at=at)]
    )
    with QueryCounter() as counter:
        await sql.insert_rows(
            OutboxEvent,
            [
                {
                    "id": ids[1],
                    "topic": "t",
                    "user_ids": [3, 1],
                    "payload": PAYLOAD,
                    "created_at": at,
                }
            ],
        )
    assert counter.count == 1
    by_orm, ours = await OutboxEvent.get(id=ids[0]), await OutboxEvent.get(id=ids[1])
    assert (ours.payload, ours.user_ids, ours.created_at) == (PAYLOAD, [3, 1], at)
    assert ours.lead_id is None and ours.opportunity_id is None  # defaults
    # The same text where the database keeps text (SQLite's JSON is searched as text).
    for column in ("payload", "user_ids", "created_at"):
        assert await stored_text("outbox_events", column, ours.id) == await stored_text(
            "outbox_events", column, by_orm.id
        )
    assert by_orm.payload == ours.payload


async def test_insert_rows_takes_instances_and_numbers_rows_without_ids(actors: Actors):
    campaign = await Campaign.create(name="Bulk")
    contact_ids = await sql.next_ids(Contact, 1500)
    contacts = [
        Contact(
            id=i, last_name=f"Müller {i}", email=f"m{i}@example.com", email_key=f"m{i}@example.com"
        )
        for i in contact_ids
    ]
    with QueryCounter() as counter:
        await sql.insert_rows(Contact, contacts)
    assert counter.count == 2  # 1,000 rows per statement
    assert await Contact.filter(id__in=contact_ids).count() == 1500
    assert (await Contact.get(id=contact_ids[-1])).opted_out is False  # a default

    lead_ids = await sql.next_ids(Lead, 2)
    now = clock.now()
    await sql.insert_rows(
        Lead,
        [
            {"id": lead_id, "contact_id": contact_id, "campaign_id": campaign.id, "created_at": now}
            for lead_id, contact_id in zip(lead_ids, contact_ids, strict=False)
        ],
    )
    manager = actors.manager.user
    await sql.insert_rows(
        LeadEvent,
        [
            {"lead_id": lead_ids[0], "kind": LeadEventKind.CLOSED, "outcome": Outcome.SUCCESSFUL,
             "actor_id": manager.id, "at": now},
            {"lead_id": lead_ids[1], "kind": LeadEventKind.CREATED, "at": now},
        ],
    )  # fmt: skip
    events = await LeadEvent.filter(lead_id__in=lead_ids).order_by("id")
    assert [(e.kind, e.outcome, e.actor_id, e.note) for e in events] == [
        (LeadEventKind.CLOSED, Outcome.SUCCESSFUL, manager.id, ""),
        (LeadEventKind.CREATED, None, None, ""),
    ]
    assert events[0].id < events[1].id  # numbered by the database
    lead = await Lead.get(id=lead_ids[0])
    assert (lead.created_at, lead.close_note, lead.assignee_id) == (now, "", None)


async def test_insert_rows_refuses_an_unknown_column(actors: Actors):
    try:
        await sql.insert_rows(OutboxEvent, [{"topic": "t", "colour": "red"}])
    except ValueError as error:
        assert "colour" in str(error)
    else:
        raise AssertionError("an unknown column must be refused")
    assert await OutboxEvent.filter(topic="t").count() == 0


async def test_insert_rows_keeps_decimals(actors: Actors):
    campaign = await Campaign.create(name="Money")
    [contact_id] = await sql.next_ids(Contact, 1)
    await sql.insert_rows(Contact, [{"id": contact_id, "last_name": "Geld", "email_key": None}])
    clerk = actors.clerk_a.user
    await sql.insert_rows(
        Opportunity,
        [
            {
                "title": "Deal",
                "contact_id": contact_id,
                "owner_id": clerk.id,
                "expected_value": Decimal("1234.50"),
                "created_at": clock.now(),
            }
        ],
    )
    stored = await Opportunity.get(title="Deal")
    assert stored.expected_value == Decimal("1234.50")
    assert campaign.id


async def new_leads(count: int) -> list[int]:
    campaign = await Campaign.create(name=f"Assign {count}")
    contact_ids = await sql.next_ids(Contact, count)
    await sql.insert_rows(Contact, [{"id": i, "last_name": f"P{i}"} for i in contact_ids])
    lead_ids = await sql.next_ids(Lead, count)
    await sql.insert_rows(
        Lead,
        [
            {"id": lead_id, "contact_id": contact_id, "campaign_id": campaign.id}
            for lead_id, contact_id in zip(lead_ids, contact_ids, strict=True)
        ],
    )
    return lead_ids


async def test_write_assignments_changes_only_new_leads_in_one_statement(actors: Actors):
    a, b = actors.clerk_a.user, actors.clerk_b.user
    ids = await new_leads(4)
    earlier = clock.now() - timedelta(days=2)
    await Lead.filter(id=ids[1]).update(first_assigned_at=earlier)
    await Lead.filter(id=ids[3]).update(assignee_id=b.id, assigned_at=earlier)  # taken
    closed = (await new_leads(1))[0]
    await Lead.filter(id=closed).update(closed_at=earlier)  # DONE without an assignee
    at = clock.now()
    given = [
        NewAssignment(ids[0], a.id, "eins"),
        NewAssignment(ids[1], b.id, "zwei"),
        NewAssignment(ids[2], a.id, "drei"),
        NewAssignment(ids[3], a.id, "vier"),
        NewAssignment(closed, a.id, "fünf"),
    ]
    with QueryCounter() as counter:
        changed = await sql.write_assignments(given, at)
    assert counter.count == 1
    leads = {lead.id: lead for lead in await Lead.filter(id__in=ids)}
    assert sorted(row["id"] for row in changed) == ids[:3]
    assert all(row["campaign_id"] == leads[ids[0]].campaign_id for row in changed)
    assert {row["id"]: row["contact_id"] for row in changed} == {
        i: leads[i].contact_id for i in ids[:3]
    }
    for assignment in given[:3]:
        lead = leads[assignment.lead_id]
        assert (lead.assignee_id, lead.assignment_reason) == (
            assignment.clerk_id,
            assignment.reason,
        )
        assert lead.assigned_at == lead.waiting_since == at
    assert leads[ids[0]].first_assigned_at == at
    assert leads[ids[1]].first_assigned_at == earlier  # the first assignment's time stays
    untouched = leads[ids[3]]
    assert (untouched.assignee_id, untouched.assigned_at, untouched.assignment_reason) == (
        b.id,
        earlier,
        None,
    )
    assert (await Lead.get(id=closed)).assignee_id is None


async def test_of_two_concurrent_assignments_of_a_lead_one_wins(actors: Actors):
    """Without the callers' FOR UPDATE: the second UPDATE waits for the first's row lock and
    then re-checks "still NEW" on the row as the first left it (a subquery over `leads` would
    be read in the second statement's snapshot, and both would claim the lead)."""
    if not sql.is_postgres():
        pytest.skip("SQLite runs one writing transaction at a time")
    a, b = actors.clerk_a.user, actors.clerk_b.user
    [lead_id] = await new_leads(1)
    first_wrote = asyncio.Event()
    changed: dict[str, int] = {}

    async def assign(name: str, clerk_id: int) -> None:
        if name == "second":
            await first_wrote.wait()
        async with in_transaction():
            rows = await sql.write_assignments(
                [NewAssignment(lead_id, clerk_id, name)], clock.now()
            )
            changed[name] = len(rows)
            if name == "first":
                first_wrote.set()
                await asyncio.sleep(0.5)  # the second's UPDATE waits for this row lock

    await asyncio.gather(assign("first", a.id), assign("second", b.id))
    assert changed == {"first": 1, "second": 0}
    lead = await Lead.get(id=lead_id)
    assert (lead.assignee_id, lead.assignment_reason) == (a.id, "first")


async def test_recorded_assignments_write_history_and_events_with_the_leads(actors: Actors):
    """PostgreSQL's one statement of an assignment: each lead gets its history row and its
    outbox event, in the order given."""
    if not sql.is_postgres():
        pytest.skip("PostgreSQL only (SQLite writes them with separate statements)")
    a, b, manager = actors.clerk_a.user, actors.clerk_b.user, actors.manager.user
    ids = await new_leads(3)
    at = clock.now()
    given = [
        NewAssignment(ids[2], b.id, "zwei"),
        NewAssignment(ids[1], a.id, "vergeben"),
        NewAssignment(ids[0], a.id, "eins"),
    ]
    with QueryCounter() as counter:
        async with in_transaction():
            recorded = await sql.write_recorded_assignments(
                given, at, actor_id=manager.id, history_kind="ASSIGNED", topic="lead.assigned"
            )
    assert counter.count == 1
    assert sorted(row["id"] for row in recorded.changed) == ids
    history = await LeadEvent.filter(lead_id__in=ids).order_by("id")
    assert [(e.lead_id, e.kind, e.actor_id, e.assignee_id, e.note, e.at) for e in history] == [
        (assignment.lead_id, LeadEventKind.ASSIGNED, manager.id, assignment.clerk_id, "", at)
        for assignment in given
    ]
    events = await OutboxEvent.filter(lead_id__in=ids).order_by("id")
    campaign_id = (await Lead.get(id=ids[0])).campaign_id
    assert [(e.topic, e.lead_id, e.campaign_id, e.user_ids, e.payload) for e in events] == [
        (
            "lead.assigned",
            assignment.lead_id,
            campaign_id,
            [assignment.clerk_id],
            {
                "leadId": assignment.lead_id,
                "campaignId": campaign_id,
                "assigneeId": assignment.clerk_id,
            },
        )
        for assignment in given
    ]
    assert recorded.last_event_id == events[-1].id


async def _outbox_sequence() -> int:
    rows = await connections.get("default").execute_query_dict(
        "SELECT last_value FROM outbox_events_id_seq"
    )
    return int(rows[0]["last_value"])


async def test_a_refused_recorded_assignment_records_nothing_and_takes_no_event_ids(
    actors: Actors,
):
    """A batch with a lead no longer NEW changes only the NEW ones (the caller rolls them back)
    and writes no history and no event: a refusal must not take outbox ids, which the live hub
    and the webhook fan-out would wait for as gaps (live/cursor.py)."""
    if not sql.is_postgres():
        pytest.skip("PostgreSQL only")
    a, b, manager = actors.clerk_a.user, actors.clerk_b.user, actors.manager.user
    ids = await new_leads(3)
    await Lead.filter(id=ids[1]).update(assignee_id=b.id, assigned_at=clock.now())  # taken
    before = await _outbox_sequence()
    async with in_transaction():
        recorded = await sql.write_recorded_assignments(
            [NewAssignment(lead_id, a.id, "x") for lead_id in ids],
            clock.now(),
            actor_id=manager.id,
            history_kind="ASSIGNED",
            topic="lead.assigned",
        )
    assert sorted(row["id"] for row in recorded.changed) == [ids[0], ids[2]]
    assert recorded.last_event_id is None
    assert await LeadEvent.filter(lead_id__in=ids).count() == 0
    assert await OutboxEvent.filter(lead_id__in=ids).count() == 0
    assert await _outbox_sequence() == before


async def test_of_two_concurrent_recorded_assignments_one_wins(actors: Actors):
    """The statement's "still NEW" condition on a row another transaction holds: the second
    waits for the first's row lock, then does not change the lead the first took, and records
    nothing (its batch is refused). The id-order lock itself is not proven here: with the
    second starting after the first wrote, the condition alone gives the same outcome."""
    if not sql.is_postgres():
        pytest.skip("PostgreSQL only")
    a, b = actors.clerk_a.user, actors.clerk_b.user
    ids = await new_leads(3)
    first_wrote = asyncio.Event()
    changed: dict[str, int] = {}

    async def assign(name: str, clerk_id: int, lead_ids: list[int]) -> None:
        if name == "second":
            await first_wrote.wait()
        async with in_transaction():
            recorded = await sql.write_recorded_assignments(
                [NewAssignment(lead_id, clerk_id, name) for lead_id in lead_ids],
                clock.now(),
                actor_id=None,
                history_kind="ASSIGNED",
                topic="lead.assigned",
            )
            changed[name] = len(recorded.changed)
            if name == "first":
                first_wrote.set()
                await asyncio.sleep(0.5)  # the second's lock waits for these rows

    # Overlapping on ids[1], given in opposite orders: the locks are taken in id order.
    await asyncio.gather(
        assign("first", a.id, [ids[1], ids[0]]), assign("second", b.id, [ids[2], ids[1]])
    )
    assert changed == {"first": 2, "second": 1}
    assert (await Lead.get(id=ids[1])).assignee_id == a.id
    recorded_for = await LeadEvent.filter(lead_id=ids[1]).values_list("assignee_id", flat=True)
    assert recorded_for == [a.id]
    assert await OutboxEvent.filter(lead_id=ids[1]).count() == 1
    assert await LeadEvent.filter(lead_id=ids[2]).count() == 0
    assert await OutboxEvent.filter(lead_id=ids[2]).count() == 0


async def test_datetimes_are_stored_in_utc_as_tortoise_stores_them(actors: Actors):
    """SQLite keeps datetimes as text and compares the text: another offset than UTC's would
    sort wrongly."""
    berlin = datetime(2026, 7, 1, 12, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    india = datetime(2026, 7, 1, 12, 30, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    for at in (berlin, india):
        ids = await sql.next_ids(OutboxEvent, 2)
        await OutboxEvent.bulk_create([OutboxEvent(id=ids[0], topic="t", created_at=at)])
        await sql.insert_rows(OutboxEvent, [{"id": ids[1], "topic": "t", "created_at": at}])
        by_orm, ours = await OutboxEvent.get(id=ids[0]), await OutboxEvent.get(id=ids[1])
        assert by_orm.created_at == ours.created_at == at
        assert await stored_text("outbox_events", "created_at", ids[1]) == await stored_text(
            "outbox_events", "created_at", ids[0]
        )
    [lead_id] = await new_leads(1)
    await sql.write_assignments([NewAssignment(lead_id, actors.clerk_a.user.id, "r")], berlin)
    [created] = await sql.next_ids(OutboxEvent, 1)
    await OutboxEvent.create(id=created, topic="t", created_at=berlin)  # Tortoise's UTC text
    assert await stored_text("leads", "assigned_at", lead_id) == await stored_text(
        "outbox_events", "created_at", created
    )
    assert (await Lead.get(id=lead_id)).assigned_at == berlin


async def test_a_field_with_only_a_database_default_gets_it(actors: Actors):
    """ImportIssue.code has a db_default and no default: a row that leaves it out stores the
    database's default, as Tortoise's create does (the statement names every column, so the
    database's DEFAULT itself never applies)."""
    campaign = await Campaign.create(name="Defaults")
    lead_import = await LeadImport.create(campaign=campaign, file_name="f.csv", file_digest="x")
    await ImportIssue.create(
        lead_import=lead_import, kind=ImportIssueKind.REJECTED, row_number=1, message="m"
    )
    issue = {"kind": ImportIssueKind.REJECTED, "message": "m", "lead_import_id": lead_import.id}
    await sql.insert_rows(ImportIssue, [{**issue, "row_number": 2}])
    await sql.insert_rows(
        ImportIssue,
        [ImportIssue(lead_import_id=lead_import.id, kind=ImportIssueKind.REJECTED, row_number=3,
                     message="m")],
    )  # fmt: skip
    codes = await (
        ImportIssue.filter(lead_import_id=lead_import.id)
        .order_by("row_number")
        .values_list("code", flat=True)
    )
    assert codes[0] is not None
    assert list(codes) == [codes[0]] * 3


async def test_latest_of_each_ranks_each_group_alone(actors: Actors):
    first, second, empty = [await Campaign.create(name=f"G{n}") for n in range(3)]
    ids = await new_leads(6)
    await Lead.filter(id__in=ids[:5]).update(campaign_id=first.id)
    await Lead.filter(id=ids[5]).update(campaign_id=second.id)
    per_lead = Lead.filter(id__in=ids, campaign_id__in=[first.id, second.id, empty.id]).values(
        "id", group_key="campaign_id"
    )
    with QueryCounter() as counter:
        found = await sql.latest_of_each(per_lead, 3)
    assert counter.count == 1
    assert sorted(found) == [*ids[2:5], ids[5]]
