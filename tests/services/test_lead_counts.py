"""Lead counts from maintained counters (migration 0021, issue 16): the triggers keep
`lead_counts` equal to the leads after every kind of write, on SQLite and PostgreSQL, also with
concurrent writers (PostgreSQL); `leadCounts` and the leads' totalCount read the counters for
the common filters (no statement over `leads`) and agree with counting the leads for every
viewer and filter; what the counters cannot answer is counted over the leads."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import CloseReason, DistributionStrategy, DueState, LeadStatus, Outcome
from leadflow.db.models import Lead
from leadflow.errors import AccessDenied, DomainError
from leadflow.services import (
    accounts,
    campaigns,
    distribution,
    imports,
    lead_lists,
    leads,
    users,
)
from leadflow.services.lead_lists import LeadCounts, LeadFilter, TaskFilter
from leadflow.services.leads import LeadIntake
from leadflow.services.privacy import config, erasure, suppression
from leadflow.settings import Settings
from tests.helpers import Actors, QueryCounter, data_of, gql

# A statement that reads the leads table (the counters' table is `lead_counts`).
_OVER_LEADS = re.compile(r'\bleads\b"?(?!_)', re.IGNORECASE)


@pytest.fixture(autouse=True)
def fresh_key_cache():
    """Erasure reads the suppression key: each test starts without a cached one."""
    config.configure(Settings())
    suppression.forget_cached_key()
    yield
    config.configure(Settings())
    suppression.forget_cached_key()


async def stored_counts() -> Counter:
    """The counter table as stored: (campaign, assignee, creator, status) -> leads, summed
    over the key's rows (PostgreSQL: a row of deltas per writing statement until folded),
    zeros left out (a negative figure stays in and fails the comparison)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT campaign_id, assignee_id, created_by_id, new, active, done FROM lead_counts"
    )
    counts: Counter = Counter()
    for row in rows:
        for status in ("new", "active", "done"):
            key = (row["campaign_id"], row["assignee_id"], row["created_by_id"], status)
            counts[key] += row[status]
    return Counter({key: count for key, count in counts.items() if count})


async def expected_counts() -> Counter:
    """The same, computed in Python from every lead (NULL stored as 0)."""
    counts: Counter = Counter()
    for lead in await Lead.all():
        status = lead.status.value.lower()
        counts[(lead.campaign_id, lead.assignee_id or 0, lead.created_by_id or 0, status)] += 1
    return counts


async def assert_exact() -> None:
    assert await stored_counts() == await expected_counts()


def people(prefix: str, count: int) -> list[LeadIntake]:
    return [
        LeadIntake(last_name=f"{prefix} {n}", email=f"{prefix.lower()}{n}@x.example")
        for n in range(count)
    ]


# --- The triggers keep the counters exact ---------------------------------------------------


async def test_the_counters_equal_the_leads_after_every_kind_of_write(actors: Actors, tmp_path):
    admin, manager = actors.admin.user, actors.manager.user
    clerk_a, clerk_b, partner = actors.clerk_a.user, actors.clerk_b.user, actors.partner.user
    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Webinar")
    await assert_exact()  # no leads, no counters

    created = [lead.id for lead in await leads.create_leads(manager, fair.id, people("A", 12))]
    await assert_exact()
    await accounts.link_partner_campaigns(admin, partner.id, [web.id])
    submitted = [lead.id for lead in await leads.create_leads(partner, web.id, people("P", 4))]
    await assert_exact()
    path = tmp_path / "import.csv"
    path.write_text(
        "Nachname;E-Mail\n" + "".join(f"I{n};i{n}@x.example\n" for n in range(5)), "utf-8"
    )
    await imports.import_file(OPERATOR, web.id, imports.ImportFile(Path(path)))
    await assert_exact()

    await leads.assign_leads(manager, created[:8], clerk_a.id)  # a bulk assignment
    await leads.assign_leads(manager, submitted[:2], clerk_b.id)
    await assert_exact()
    await leads.reassign_lead(manager, created[0], clerk_b.id)
    await assert_exact()
    await leads.close_lead(clerk_a, created[1], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk_b, created[0], Outcome.UNSUCCESSFUL, CloseReason.OTHER)
    await assert_exact()
    await leads.reopen_lead(manager, created[1])
    await leads.reopen_lead(manager, created[0])
    await assert_exact()
    await distribution.distribute(
        manager,
        distribution.DistributionRequest(
            clerk_ids=[clerk_a.id, clerk_b.id],
            strategy=DistributionStrategy.ROUND_ROBIN,
            lead_ids=created[8:],
        ),
    )
    await assert_exact()
    lead = await Lead.get(id=created[2])
    await erasure.erase_contact(admin, lead.contact_id, "Widerspruch")
    await assert_exact()

    # What only an operator's SQL does: move, reassign, close, delete.
    await Lead.filter(id__in=created[3:5]).update(campaign_id=web.id)
    await Lead.filter(id=created[5]).update(assignee_id=None)
    await Lead.filter(id=submitted[2]).update(closed_at=datetime(2026, 1, 2, tzinfo=UTC))
    await Lead.filter(id=submitted[3]).update(created_by_id=None)
    await assert_exact()
    await Lead.filter(id__in=created[6:8]).delete()
    await assert_exact()
    assert set(await stored_counts()) != set()


async def test_a_count_read_in_the_writing_transaction_sees_its_writes(actors: Actors):
    manager, clerk = actors.manager.user, actors.clerk_a.user
    fair = await campaigns.create_campaign(manager, "Messe")
    ids = [lead.id for lead in await leads.create_leads(manager, fair.id, people("T", 12))]
    own = LeadFilter(assignee_id=clerk.id)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await leads.assign_leads(manager, ids[:10], clerk.id)
            assert await lead_lists.lead_counts(manager) == LeadCounts(2, 10, 0)
            assert await lead_lists.count_leads(manager, own) == 10
            assert await lead_lists.count_leads(clerk, LeadFilter(status=LeadStatus.ACTIVE)) == 10
            raise RuntimeError("roll back")
    # Rolled back with the assignment.
    assert await lead_lists.lead_counts(manager) == LeadCounts(12, 0, 0)
    await leads.assign_leads(manager, ids[:10], clerk.id)
    assert await lead_lists.lead_counts(manager) == LeadCounts(2, 10, 0)


async def test_open_lead_counts_come_from_the_counters_and_equal_the_leads(actors: Actors):
    """The clerks' load (User.openLeadCount, distribution's capacity): ACTIVE per assignee,
    read from the counters, equal to counting the leads after assignments, closes and
    reassignments, inside the writing transaction too."""
    manager = actors.manager.user
    clerk_a, clerk_b = actors.clerk_a.user.id, actors.clerk_b.user.id
    ids = [manager.id, clerk_a, clerk_b]

    async def assert_equal_to_the_leads() -> None:
        with QueryCounter() as counter:
            counts = await users.open_lead_counts(ids)
        assert [s for s in counter.statements if _OVER_LEADS.search(s)] == []
        assert counter.count == 1
        over_leads = await users.active_leads_per_assignee(Lead.all())
        assert counts == {user_id: over_leads.get(user_id, 0) for user_id in ids}

    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Webinar")
    created = [lead.id for lead in await leads.create_leads(manager, fair.id, people("O", 10))]
    created += [lead.id for lead in await leads.create_leads(manager, web.id, people("W", 4))]
    await assert_equal_to_the_leads()
    await leads.assign_leads(manager, created[:8], clerk_a)
    await leads.assign_leads(manager, created[8:12], clerk_b)
    await assert_equal_to_the_leads()
    assert await users.open_lead_counts(ids) == {manager.id: 0, clerk_a: 8, clerk_b: 4}
    await leads.close_lead(actors.clerk_a.user, created[0], Outcome.SUCCESSFUL)
    await leads.close_lead(actors.clerk_b.user, created[8], Outcome.UNSUCCESSFUL, CloseReason.OTHER)
    await leads.reassign_lead(manager, created[1], clerk_b)
    await leads.reassign_lead(manager, created[9], clerk_a)
    await assert_equal_to_the_leads()
    assert await users.open_lead_counts(ids) == {manager.id: 0, clerk_a: 7, clerk_b: 3}
    await leads.reopen_lead(manager, created[0])
    await Lead.filter(id=created[2]).update(assignee_id=None)  # an operator's SQL
    await assert_equal_to_the_leads()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await leads.assign_leads(manager, created[12:], clerk_b)
            await assert_equal_to_the_leads()
            raise RuntimeError("roll back")
    await assert_equal_to_the_leads()
    assert await users.open_lead_counts([]) == {}


async def test_concurrent_writers_lose_no_update(actors: Actors, backend: str):
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time")
    manager = actors.manager.user
    clerks = [actors.clerk_a.user, actors.clerk_b.user]
    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Webinar")
    ids = [lead.id for lead in await leads.create_leads(manager, fair.id, people("R", 40))]
    ids += [lead.id for lead in await leads.create_leads(manager, web.id, people("S", 40))]

    # First: one transaction holds the counter rows of clerk A's NEW->ACTIVE change while a
    # second assigns to the same clerk in the same campaign; it waits, then adds on top.
    holding = asyncio.Event()

    async def first() -> None:
        async with in_transaction():
            await leads.assign_leads(manager, ids[:5], clerks[0].id)
            holding.set()
            await asyncio.sleep(0.3)

    async def second() -> None:
        await holding.wait()
        await leads.assign_leads(manager, ids[5:10], clerks[0].id)

    await asyncio.gather(first(), second())
    await assert_exact()
    assert await lead_lists.count_leads(manager, LeadFilter(assignee_id=clerks[0].id)) == 10

    # Then many writers at once: batches over both campaigns in opposite orders, assigning
    # and closing in parallel (deadlocks would raise here).
    rest = ids[10:]
    batches = [rest[n::6] for n in range(6)]
    batches = [batch if n % 2 else list(reversed(batch)) for n, batch in enumerate(batches)]

    async def work(batch: list[int], clerk) -> None:
        await leads.assign_leads(manager, batch, clerk.id)
        for lead_id in batch[:3]:
            await leads.close_lead(clerk, lead_id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)

    async def closes() -> None:
        for lead_id in ids[:4]:
            await leads.close_lead(clerks[0], lead_id, Outcome.SUCCESSFUL)

    await asyncio.gather(closes(), *(work(batch, clerks[n % 2]) for n, batch in enumerate(batches)))
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(0, 80 - 4 - 18, 4 + 18)


# --- Counting reads the counters ------------------------------------------------------------


async def counted_by_query(actor, lead_filter: LeadFilter) -> tuple[int, LeadCounts]:
    """totalCount and the tabs' counts as the leads themselves give them."""
    total = await lead_lists.filtered_leads(actor, lead_filter).count()
    tabs = [
        await lead_lists.filtered_leads(
            actor, LeadFilter(**{**_fields(lead_filter), "status": status})
        ).count()
        for status in LeadStatus
    ]
    return total, LeadCounts(*tabs)


def _fields(lead_filter: LeadFilter) -> dict:
    return {name: getattr(lead_filter, name) for name in LeadFilter.__slots__}


async def counts_world(actors: Actors) -> tuple[int, int]:
    """Two campaigns with NEW, ACTIVE (two clerks) and DONE leads, some submitted by the
    partner."""
    admin, manager = actors.admin.user, actors.manager.user
    clerk_a, clerk_b, partner = actors.clerk_a.user, actors.clerk_b.user, actors.partner.user
    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Webinar")
    await accounts.link_partner_campaigns(admin, partner.id, [fair.id, web.id])
    mine = [lead.id for lead in await leads.create_leads(manager, fair.id, people("M", 9))]
    mine += [lead.id for lead in await leads.create_leads(manager, web.id, people("W", 5))]
    theirs = [lead.id for lead in await leads.create_leads(partner, fair.id, people("P", 6))]
    await leads.assign_leads(manager, mine[:4] + theirs[:3], clerk_a.id)
    await leads.assign_leads(manager, mine[9:12], clerk_b.id)
    await leads.close_lead(clerk_a, mine[0], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk_a, theirs[0], Outcome.UNSUCCESSFUL, CloseReason.OTHER)
    await leads.close_lead(clerk_b, mine[9], Outcome.SUCCESSFUL)
    return fair.id, web.id


async def test_counts_come_from_the_counters_and_equal_the_leads(actors: Actors):
    fair, web = await counts_world(actors)
    clerk_a, clerk_b = actors.clerk_a.user.id, actors.clerk_b.user.id
    filters = [LeadFilter(campaign_id=campaign) for campaign in (None, fair, web)]
    filters += [LeadFilter(assignee_id=clerk_a), LeadFilter(campaign_id=fair, assignee_id=clerk_a)]
    filters += [LeadFilter(campaign_id=web, assignee_id=clerk_a), LeadFilter(search="  ")]
    cases = [(actors.manager.user, f) for f in [*filters, LeadFilter(assignee_id=clerk_b)]]
    cases += [(actors.clerk_a.user, f) for f in filters]
    cases += [(actors.partner.user, f) for f in filters[:3]]
    for actor, lead_filter in cases:
        total, tabs = await counted_by_query(actor, lead_filter)
        with QueryCounter() as counter:
            assert await lead_lists.lead_counts(actor, lead_filter) == tabs, lead_filter
            assert await lead_lists.count_leads(actor, lead_filter) == total
            for status in LeadStatus:
                by_status = LeadFilter(**{**_fields(lead_filter), "status": status})
                counted = await lead_lists.count_leads(actor, by_status)
                assert counted == getattr(tabs, status.value.lower())
        over_leads = [s for s in counter.statements if _OVER_LEADS.search(s)]
        assert over_leads == [], (actor.role, lead_filter)
        assert counter.count <= 5  # one statement each, or none (nothing to count)
    assert (await lead_lists.lead_counts(actors.partner.user)).done == 1


async def test_filters_the_counters_cannot_answer_are_counted_over_the_leads(actors: Actors):
    fair, _ = await counts_world(actors)
    manager, clerk = actors.manager.user, actors.clerk_a.user
    for lead_filter in (
        LeadFilter(search="M 1"),
        LeadFilter(outcome=Outcome.SUCCESSFUL),
        LeadFilter(close_reason=CloseReason.OTHER, campaign_id=fair),
        LeadFilter(created_after=datetime(2000, 1, 1, tzinfo=UTC)),
        LeadFilter(created_before=datetime(2000, 1, 1, tzinfo=UTC)),
    ):
        for actor in (manager, clerk):
            total, tabs = await counted_by_query(actor, lead_filter)
            with QueryCounter() as counter:
                assert await lead_lists.count_leads(actor, lead_filter) == total
                assert await lead_lists.lead_counts(actor, lead_filter) == tabs
            assert any(_OVER_LEADS.search(s) for s in counter.statements)


async def test_the_counters_refuse_what_the_list_refuses(actors: Actors):
    await counts_world(actors)
    clerk_b = actors.clerk_b.user.id
    for actor in (actors.clerk_a.user, actors.partner.user):
        with pytest.raises(AccessDenied):
            await lead_lists.count_leads(actor, LeadFilter(assignee_id=clerk_b))
        with pytest.raises(AccessDenied):
            await lead_lists.lead_counts(actor, LeadFilter(assignee_id=clerk_b))
    with pytest.raises(DomainError):
        await lead_lists.count_leads(
            actors.manager.user,
            LeadFilter(
                created_after=datetime(2001, 1, 1, tzinfo=UTC),
                created_before=datetime(2000, 1, 1, tzinfo=UTC),
            ),
        )
    with pytest.raises(DomainError):
        await lead_lists.count_leads(actors.manager.user, LeadFilter(search="x" * 201))


async def test_total_count_and_lead_counts_over_http_count_no_leads(client, actors: Actors):
    """The API's totalCount and leadCounts use the counters: no COUNT statement is sent."""
    await counts_world(actors)
    campaign_page = data_of(
        await gql(
            client,
            "query{ campaigns(first: 10){ edges { node { id name } } } }",
            actor=actors.manager,
        )
    )
    fair = next(
        edge["node"]["id"]
        for edge in campaign_page["campaigns"]["edges"]
        if edge["node"]["name"] == "Messe"
    )
    query = (
        "query($filter: LeadFilter){ leads(first: 0, filter: $filter){ totalCount } "
        "leadCounts(filter: $filter){ new active done } }"
    )
    for actor, lead_filter, total, tabs in (
        (actors.manager, {"status": "ACTIVE"}, 7, {"new": 10, "active": 7, "done": 3}),
        (actors.manager, {"campaignId": fair}, 15, {"new": 8, "active": 5, "done": 2}),
        (actors.clerk_a, {"status": "ACTIVE"}, 5, {"new": 0, "active": 5, "done": 2}),
        (actors.partner, {}, 6, {"new": 3, "active": 2, "done": 1}),
    ):
        with QueryCounter() as counter:
            body = data_of(await gql(client, query, {"filter": lead_filter}, actor=actor))
        assert (body["leads"]["totalCount"], body["leadCounts"]) == (total, tabs), lead_filter
        assert [s for s in counter.statements if "COUNT(" in s.upper()] == []


async def test_the_task_lists_count_comes_from_the_counters(actors: Actors):
    fair, web = await counts_world(actors)
    for actor in (actors.clerk_a.user, actors.clerk_b.user, actors.manager.user):
        for task_filter in (
            TaskFilter(),
            TaskFilter(campaign_id=fair),
            TaskFilter(campaign_id=web),
            TaskFilter(search=" "),
        ):
            expected = await lead_lists.my_tasks(actor, task_filter).count()
            with QueryCounter() as counter:
                assert await lead_lists.count_tasks(actor, task_filter) == expected
            assert [s for s in counter.statements if _OVER_LEADS.search(s)] == []
        for task_filter in (TaskFilter(due=DueState.NONE), TaskFilter(search="M")):
            expected = await lead_lists.my_tasks(actor, task_filter).count()
            assert await lead_lists.count_tasks(actor, task_filter) == expected
    assert await lead_lists.count_tasks(actors.clerk_a.user) == 5
    with pytest.raises(AccessDenied):
        await lead_lists.count_tasks(actors.partner.user)
