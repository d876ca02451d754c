"""Lead counters without locks (migration 0021, issue 16): on PostgreSQL the counters' triggers
only insert rows of deltas, so writers never wait for each other on a counter row: the two
deadlocks reviewer A proved with in-place counter rows (intake with automatic distribution vs.
distributeLeads; distributeLeads of more than 1,000 leads vs. assignLeads of two creators'
leads) do not happen. The fold (`lead_lists.fold_counts`) leaves one row per key and keeps every
count exact, also while writers are in the middle of their transactions and for readers during
the fold."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow.db import sql
from leadflow.db.enums import DistributionStrategy, Outcome
from leadflow.db.models import Lead
from leadflow.services import accounts, bulk_intake, campaigns, distribution, lead_lists, leads
from leadflow.services.lead_lists import LeadCounts, LeadFilter
from tests.helpers import Actors
from tests.services.test_lead_counts import assert_exact, fresh_key_cache, people

# BackgroundWork configures the privacy settings: reset around each test.
__all__ = ["fresh_key_cache"]

_ROWS = "SELECT campaign_id, assignee_id, created_by_id FROM lead_counts"


async def rows_per_key() -> Counter:
    rows = await connections.get("default").execute_query_dict(_ROWS)
    return Counter((row["campaign_id"], row["assignee_id"], row["created_by_id"]) for row in rows)


def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time")


# --- The deadlocks of in-place counter rows -------------------------------------------------


async def test_intake_with_automatic_distribution_and_distribute_leads_do_not_deadlock(
    actors: Actors, backend: str, monkeypatch: pytest.MonkeyPatch
):
    """The intake inserts its leads (counter key (campaign, nobody, creator)), then distributes
    them (the campaign's distribution row); distributeLeads holds the distribution row, then
    assigns (the same counter key). With a counter row updated in place, each waited for the
    other's lock."""
    postgres_only(backend)
    manager, clerk = actors.manager.user, actors.clerk_a.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    [old] = await leads.create_leads(manager, campaign.id, people("Alt", 1))
    # Created two days ago: 0006's report rollups ((campaign, day) rows, updated in place) are
    # not shared with today's intake; the counters are what this test is about.
    await connections.get("default").execute_query(
        "UPDATE leads SET created_at = created_at - interval '2 days' WHERE id = $1", [old.id]
    )
    await distribution.set_campaign_distribution(
        manager, campaign.id, [clerk.id], DistributionStrategy.LEAST_LOADED, True
    )
    inserted = asyncio.Event()
    original = bulk_intake.distribute_new_leads

    async def paused(campaign, lead_ids):  # type: ignore[no-untyped-def]
        inserted.set()  # the intake's leads are inserted, its transaction open
        await asyncio.sleep(0.5)  # meanwhile distributeLeads takes the distribution row
        await original(campaign, lead_ids)

    monkeypatch.setattr(bulk_intake, "distribute_new_leads", paused)

    async def intake() -> None:
        await leads.create_leads(manager, campaign.id, people("Neu", 1))

    async def distribute() -> None:
        await inserted.wait()
        await distribution.distribute(
            manager, distribution.DistributionRequest(clerk_ids=[clerk.id], lead_ids=[old.id])
        )

    results = await asyncio.gather(intake(), distribute(), return_exceptions=True)
    assert [repr(r) for r in results if isinstance(r, BaseException)] == []
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(0, 2, 0)


async def test_distribute_leads_by_filter_and_assign_leads_do_not_deadlock(
    actors: Actors, backend: str, monkeypatch: pytest.MonkeyPatch
):
    """distributeLeads of more than 1,000 leads updates them 1,000 per statement in one
    transaction (the partner's leads first, then the manager's); assignLeads of one lead of
    each creator takes their counter keys in the other order."""
    postgres_only(backend)
    admin, manager, partner = actors.admin.user, actors.manager.user, actors.partner.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    await accounts.link_partner(admin, partner, [campaign.id])
    await leads.create_leads(partner, campaign.id, people("P", 1000))  # the first statement's
    await leads.create_leads(manager, campaign.id, people("M", 5))  # the second's
    db = connections.get("default")
    await db.execute_query("UPDATE leads SET created_at = created_at - interval '1 day'")
    [x] = await leads.create_leads(manager, campaign.id, people("X", 1))
    [y] = await leads.create_leads(partner, campaign.id, people("Y", 1))
    cutoff: datetime = (await db.execute_query_dict("SELECT now() - interval '1 hour' AS t"))[0][
        "t"
    ]
    first_batch = asyncio.Event()
    original = sql._run
    batches = []

    async def slow_run(statement, text):  # type: ignore[no-untyped-def]
        rows = await original(statement, text)
        if text.startswith("WITH given"):  # write_assignments' UPDATE
            batches.append(len(rows))
            if len(batches) == 1:
                first_batch.set()
                await asyncio.sleep(0.5)
        return rows

    monkeypatch.setattr(sql, "_run", slow_run)

    async def by_filter() -> None:
        await distribution.distribute(
            manager,
            distribution.DistributionRequest(
                clerk_ids=[actors.clerk_a.user.id],
                lead_filter=LeadFilter(campaign_id=campaign.id, created_before=cutoff),
            ),
        )

    async def manual() -> None:
        await first_batch.wait()
        await leads.assign_leads(manager, [x.id, y.id], actors.clerk_b.user.id)

    results = await asyncio.gather(by_filter(), manual(), return_exceptions=True)
    assert [repr(r) for r in results if isinstance(r, BaseException)] == []
    # The case at hand: distributeLeads' two statements (partner's leads first) and
    # assignLeads' one, which ran while distributeLeads was between its two.
    assert sorted(batches) == [2, 5, 1000]
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(0, 1007, 0)


async def test_writers_of_one_key_do_not_wait_for_each_other(actors: Actors, backend: str):
    """Two open transactions giving NEW leads of one campaign and creator to one clerk in
    plain UPDATEs (the same two counter keys): the second completes while the first is still
    open."""
    postgres_only(backend)
    manager, clerk = actors.manager.user, actors.clerk_a.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    ids = [lead.id for lead in await leads.create_leads(manager, campaign.id, people("A", 6))]
    # The second writer's leads created two days ago: 0006's report rollups (a row per
    # campaign and day, updated in place) are not shared; the counter keys are.
    await Lead.filter(id__in=ids[3:]).update(created_at=datetime(2026, 1, 2, tzinfo=UTC))
    first_open, second_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with in_transaction():
            await Lead.filter(id__in=ids[:3]).update(assignee_id=clerk.id)
            first_open.set()
            # Commits only once the second has committed (with a counter row locked by this
            # transaction the second would wait here for ever, and the test time out).
            await asyncio.wait_for(second_done.wait(), 30)

    async def second() -> None:
        await first_open.wait()
        await Lead.filter(id__in=ids[3:5]).update(assignee_id=clerk.id)
        second_done.set()

    await asyncio.gather(first(), second())
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(1, 5, 0)


# --- The fold -------------------------------------------------------------------------------


async def test_the_fold_leaves_one_row_per_key_and_the_counts_unchanged(actors: Actors):
    manager, clerk = actors.manager.user, actors.clerk_a.user
    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Webinar")
    ids = [lead.id for lead in await leads.create_leads(manager, fair.id, people("A", 6))]
    for lead_id in ids[:4]:  # a statement each: rows of deltas on PostgreSQL
        await leads.assign_leads(manager, [lead_id], clerk.id)
    await leads.close_lead(clerk, ids[0], Outcome.SUCCESSFUL)
    await leads.create_leads(manager, web.id, people("W", 2))
    # Every lead of one key moved away: the key's sums are all zero.
    await leads.reopen_lead(manager, ids[0])
    for lead_id in ids[:4]:
        await leads.reassign_lead(manager, lead_id, actors.clerk_b.user.id)
    before = await lead_lists.lead_counts(manager)
    per_clerk = await lead_lists.count_leads(manager, LeadFilter(assignee_id=clerk.id))
    await assert_exact()

    folded = await lead_lists.fold_counts()

    assert folded is not None and folded.removed > 0
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == before == LeadCounts(4, 4, 0)
    assert await lead_lists.count_leads(manager, LeadFilter(assignee_id=clerk.id)) == per_clerk
    assert per_clerk == 0
    keys = await rows_per_key()
    assert set(keys.values()) == {1}
    # Clerk A's key (every lead moved on to clerk B) keeps no row.
    assert keys == Counter(
        {
            (fair.id, 0, manager.id): 1,
            (fair.id, actors.clerk_b.user.id, manager.id): 1,
            (web.id, 0, manager.id): 1,
        }
    )
    # Nothing left to fold.
    assert await lead_lists.fold_counts() == sql.CountsFold(0, 0)
    await leads.create_leads(manager, web.id, people("V", 1))
    await assert_exact()


async def test_the_fold_round_is_a_job(actors: Actors):
    from leadflow.jobs import COUNTS_FOLD_TASK_NAME, BackgroundWork
    from leadflow.settings import Settings

    work = BackgroundWork(Settings())
    [job] = [job for job in work._jobs if job.name == COUNTS_FOLD_TASK_NAME]
    assert job.interval_seconds == lead_lists.FOLD_SECONDS
    manager = actors.manager.user
    fair = await campaigns.create_campaign(manager, "Messe")
    await leads.create_leads(manager, fair.id, people("A", 2))
    await leads.create_leads(manager, fair.id, people("B", 2))
    await job.round()
    assert set((await rows_per_key()).values()) == {1}
    await assert_exact()
    off = BackgroundWork(Settings(prune_interval_seconds=0))
    assert COUNTS_FOLD_TASK_NAME not in [job.name for job in off._jobs]


async def test_the_fold_while_writers_are_open_keeps_counts_exact(actors: Actors, backend: str):
    """Writers with open transactions (rows of deltas the fold's snapshot does not see) and a
    reader while the fold's own transaction is open: nobody waits, every count stays exact."""
    postgres_only(backend)
    manager, clerk = actors.manager.user, actors.clerk_a.user
    fair = await campaigns.create_campaign(manager, "Messe")
    ids = [lead.id for lead in await leads.create_leads(manager, fair.id, people("A", 20))]
    for lead_id in ids[:5]:
        await leads.assign_leads(manager, [lead_id], clerk.id)
    writing, folded, read = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with in_transaction():
            await leads.assign_leads(manager, ids[5:10], clerk.id)
            await leads.create_leads(manager, fair.id, people("B", 3))
            writing.set()
            await asyncio.wait_for(folded.wait(), 30)  # commits after the fold's statement

    async def fold() -> None:
        await writing.wait()
        async with in_transaction():
            result = await sql.fold_lead_counts()
            assert result.removed >= 5
            folded.set()
            await asyncio.wait_for(read.wait(), 30)  # the fold commits after the reader read

    async def reader() -> None:
        await folded.wait()
        # The fold is not committed yet, the writer perhaps: the committed counts.
        assert await lead_lists.count_leads(manager, LeadFilter(assignee_id=clerk.id)) in (5, 10)
        read.set()

    await asyncio.gather(writer(), fold(), reader())
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(13, 10, 0)
    # The writer's rows, committed after the fold's snapshot, fold in the next round.
    assert max((await rows_per_key()).values()) > 1
    await lead_lists.fold_counts()
    assert set((await rows_per_key()).values()) == {1}
    await assert_exact()


async def test_many_writers_and_folds_at_once_keep_the_counts_exact(actors: Actors, backend: str):
    postgres_only(backend)
    manager = actors.manager.user
    clerks = [actors.clerk_a.user, actors.clerk_b.user]
    fair = await campaigns.create_campaign(manager, "Messe")
    ids = [lead.id for lead in await leads.create_leads(manager, fair.id, people("R", 60))]
    done = asyncio.Event()

    async def work(n: int, clerk) -> None:  # type: ignore[no-untyped-def]
        for lead_id in ids[n::4]:
            await leads.assign_leads(manager, [lead_id], clerk.id)
        await leads.create_leads(manager, fair.id, people(f"N{n}", 2))

    async def folds() -> None:
        # Plain folds, not the job's round: two at once, as without the advisory lock.
        while not done.is_set():
            await asyncio.gather(sql.fold_lead_counts(), sql.fold_lead_counts())
            await asyncio.sleep(0)

    async def writers() -> None:
        await asyncio.gather(*(work(n, clerks[n % 2]) for n in range(4)))
        done.set()

    await asyncio.gather(folds(), writers())
    await assert_exact()
    assert await lead_lists.lead_counts(manager) == LeadCounts(8, 60, 0)
    await lead_lists.fold_counts()
    await assert_exact()
