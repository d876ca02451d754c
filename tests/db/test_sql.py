"""Contract of `leadflow.db.sql` per database: each function gives the same answer on SQLite
and PostgreSQL (medians as percentile_cont computes them, buckets of UTC days and Monday
weeks, the first row of each group, ids for bulk inserts), with querysets and values as
parameters. And that no code outside db/ writes SQL of its own."""

from __future__ import annotations

import asyncio
import re
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest_asyncio
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from leadflow.api.rows import LEAD_COLUMNS
from leadflow.db import sql
from leadflow.db.enums import ImportIssueKind, Outcome, Role
from leadflow.db.lifecycle import database
from leadflow.db.models import Campaign, Contact, ImportIssue, Lead, LeadImport, User
from leadflow.services import keyset
from leadflow.services.lead_lists import LEAD_ORDERINGS, LeadOrder

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday
ASSIGNMENT = sql.Duration("assignment", "created_at", "first_assigned_at")


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    async with database(database_url):
        yield


async def lead(campaign: Campaign, created_at: datetime, **columns: object) -> Lead:
    contact = await Contact.create(last_name="Berg")
    created = await Lead.create(campaign=campaign, contact=contact)
    # Set afterwards: the model stamps created_at itself on insert.
    await Lead.filter(id=created.id).update(created_at=created_at, **columns)
    return await Lead.get(id=created.id)


def per_lead(campaign_ids: list[int]):
    return Lead.filter(campaign_id__in=campaign_ids).values(
        sample_key="id",
        group_key="campaign_id",
        created_at="created_at",
        first_assigned_at="first_assigned_at",
    )


async def test_medians_take_the_middle_or_the_mean_of_the_middle_two(db: None) -> None:
    odd, even, unanswered = [await Campaign.create(name=name) for name in ("Odd", "Even", "None")]
    for minutes in (10, 30, 20):
        await lead(odd, START, first_assigned_at=START + timedelta(minutes=minutes))
    for seconds in (1.5, 4, 2, 100):
        await lead(even, START, first_assigned_at=START + timedelta(seconds=seconds))
    await lead(even, START)  # not assigned: no duration, left out
    await lead(unanswered, START)

    medians = await sql.medians(per_lead([odd.id, even.id, unanswered.id]), [ASSIGNMENT])

    assert medians == {(odd.id, "assignment"): 1200.0, (even.id, "assignment"): 3.0}


async def test_medians_are_rounded_to_milliseconds(db: None) -> None:
    campaign = await Campaign.create(name="Fine")
    await lead(campaign, START, first_assigned_at=START + timedelta(microseconds=1_234_567))

    assert await sql.medians(per_lead([campaign.id]), [ASSIGNMENT]) == {
        (campaign.id, "assignment"): 1.235
    }


async def test_a_sampled_median_counts_only_ids_that_are_multiples(db: None) -> None:
    campaign = await Campaign.create(name="Sampled")
    leads = [
        await lead(campaign, START, first_assigned_at=START + timedelta(seconds=number))
        for number in range(1, 8)
    ]
    seconds = [
        (row.first_assigned_at - row.created_at).total_seconds() for row in leads if row.id % 3 == 0
    ]

    medians = await sql.medians(per_lead([campaign.id]), [ASSIGNMENT], sample_every=3)

    assert seconds and medians == {(campaign.id, "assignment"): statistics.median(seconds)}


async def test_first_of_each_group_by_its_order_then_id(db: None) -> None:
    first, second, empty = [await Campaign.create(name=name) for name in ("A", "B", "C")]
    early = START - timedelta(days=2)
    later = await lead(first, START, waiting_since=START)
    tied_low = await lead(first, START, waiting_since=early)
    await lead(first, START, waiting_since=early)  # same moment, higher id
    only = await lead(second, START, waiting_since=START)
    per_row = Lead.filter(waiting_since__isnull=False).values(
        "id", "waiting_since", group_key="campaign_id"
    )

    found = await sql.first_of_each(per_row, [first.id, second.id, empty.id], ["waiting_since"])

    assert found == {first.id: tied_low.id, second.id: only.id}
    assert later.id not in found.values()
    assert await sql.first_of_each(per_row, [], ["waiting_since"]) == {}


async def test_counts_by_bucket_in_utc_days_and_monday_weeks(db: None) -> None:
    campaign = await Campaign.create(name="Series")
    berlin = timezone(timedelta(hours=1))
    # 00:30 in Berlin on Monday is 23:30 UTC on Sunday: the week before.
    await lead(campaign, datetime(2024, 3, 11, 0, 30, tzinfo=berlin))
    await lead(campaign, START)
    await lead(
        campaign,
        START,
        closed_at=datetime(2024, 3, 10, 12, 0, tzinfo=UTC),  # a Sunday
        outcome=Outcome.SUCCESSFUL,
    )
    await lead(campaign, START, closed_at=START + timedelta(days=1), outcome=Outcome.UNSUCCESSFUL)
    leads = Lead.filter(campaign_id=campaign.id)

    async def counts(weekly: bool) -> dict[date, tuple[int, int, int]]:
        found = await sql.counts_by_bucket(
            leads.values("created_at"),
            leads.filter(closed_at__isnull=False).values("closed_at", "outcome"),
            weekly=weekly,
            successful=Outcome.SUCCESSFUL.value,
            unsuccessful=Outcome.UNSUCCESSFUL.value,
        )
        return {bucket: (c.created, c.successful, c.unsuccessful) for bucket, c in found.items()}

    assert await counts(weekly=False) == {
        date(2024, 3, 4): (3, 0, 0),
        date(2024, 3, 5): (0, 0, 1),
        date(2024, 3, 10): (1, 1, 0),
    }
    assert await counts(weekly=True) == {date(2024, 3, 4): (4, 1, 1)}


async def test_next_ids_follow_the_stored_ones_and_insert(db: None) -> None:
    campaign = await Campaign.create(name="Bulk")
    async with in_transaction():
        ids = await sql.next_ids(Campaign, 3)
        assert len(set(ids)) == 3 and min(ids) > campaign.id
        await Campaign.bulk_create([Campaign(id=i, name=f"Bulk {i}") for i in ids])
    assert await sql.next_ids(Campaign, 0) == []
    assert sorted(await Campaign.all().values_list("id", flat=True)) == [campaign.id, *ids]


async def test_nulls_last_natively_says_where_the_database_puts_null(db: None) -> None:
    campaign = await Campaign.create(name="Nulls")
    waiting = await lead(campaign, START, waiting_since=START)
    blank = await lead(campaign, START)
    leads = Lead.filter(campaign_id=campaign.id)

    for descending in (False, True):
        term = "-waiting_since" if descending else "waiting_since"
        natural = await leads.order_by(term).values_list("id", flat=True)
        null_last = natural == [waiting.id, blank.id]
        assert null_last == sql.nulls_last_natively(descending), descending


async def test_blank_rank_puts_the_blank_rows_last_in_either_direction(db: None) -> None:
    campaign = await Campaign.create(name="Ranked")
    early = await lead(campaign, START, waiting_since=START)
    blank = await lead(campaign, START)
    late = await lead(campaign, START, waiting_since=START + timedelta(days=1))
    ranked = Lead.filter(campaign_id=campaign.id).annotate(
        rank=sql.blank_rank(Q(waiting_since__isnull=True))
    )

    ascending = await ranked.order_by("rank", "waiting_since").values_list("id", flat=True)
    descending = await ranked.order_by("rank", "-waiting_since").values_list("id", flat=True)

    assert ascending == [early.id, late.id, blank.id]
    assert descending == [late.id, early.id, blank.id]


async def test_place_of_first_match_numbers_the_conditions_in_order(db: None) -> None:
    campaign = await Campaign.create(name="Placed")
    waiting = await lead(campaign, START, waiting_since=START)
    idle = await lead(campaign, START)
    placed = Lead.filter(campaign_id=campaign.id).annotate(
        place=sql.place_of_first_match(
            [Q(waiting_since__isnull=False), Q(waiting_since__isnull=False)]
        )
    )
    assert await placed.order_by("place").values_list("id", "place") == [
        (waiting.id, 0),
        (idle.id, 2),  # no condition met: one past the last
    ]


# Raw statements, dialect branches and raw expressions: db/ only. The web layer's health check
# (`SELECT 1` in web/static.py) is the one exception: it asks the connection, not the data.
RAW_SQL = re.compile(r"capabilities\.dialect|execute_query|execute_script|execute_pypika|RawSQL")
PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "leadflow"


async def test_json_text_is_searched_by_its_ascii_parts(db: None) -> None:
    """PostgreSQL's jsonb text keeps "ü", SQLite's stored JSON escapes it: an ASCII part of a
    value is found on both, case-insensitively; the escaped character is not searched for."""
    campaign = await Campaign.create(name="Messe")
    lead_import = await LeadImport.create(campaign=campaign, file_name="a.csv", file_digest="d")
    kept = await ImportIssue.create(
        lead_import=lead_import,
        kind=ImportIssueKind.REJECTED,
        row_number=2,
        message="",
        values=["MÜLLER", "Erna"],
    )
    await ImportIssue.create(
        lead_import=lead_import,
        kind=ImportIssueKind.REJECTED,
        row_number=3,
        message="",
        values=["Berg", "Otto"],
    )

    def mentioning(needle: str) -> Any:
        return ImportIssue.annotate(values_text=sql.json_text("values")).filter(
            values_text__icontains=needle
        )

    assert await mentioning("ller").values_list("id", flat=True) == [kept.id]
    assert await mentioning("erna").values_list("id", flat=True) == [kept.id]
    assert await mentioning("zzz").count() == 0


def test_no_sql_of_its_own_outside_db() -> None:
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "db"
        and path.relative_to(PACKAGE) != Path("web/static.py")
        and RAW_SQL.search(path.read_text())
    )
    assert offenders == []


async def test_try_job_lock_lets_one_transaction_at_a_time_run_a_job(db: None) -> None:
    key = 4_242_001
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> bool:
        async with in_transaction():
            taken = await sql.try_job_lock(key)
            holding.set()
            await release.wait()
        return taken

    held = asyncio.create_task(holder())
    await holding.wait()
    if sql.is_postgres():
        # Another session while the first transaction holds the lock: refused, not waiting.
        async with in_transaction():
            assert await sql.try_job_lock(key) is False
            assert await sql.try_job_lock(key + 1) is True
    release.set()
    assert await held is True
    # Released with the transaction's end.
    async with in_transaction():
        assert await sql.try_job_lock(key) is True


# --- A page's columns joined to the query that picks it (the lists' pages) ------------------


async def _varied_leads() -> None:
    """Leads whose every order has ties and blanks: equal creation times, empty companies, no
    clerk, nothing scheduled, two campaigns and two clerks."""
    campaigns = [
        await Campaign.create(name="Zeta", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)),
        await Campaign.create(name="Alpha"),
    ]
    clerks = [
        await User.create(email=f"{name.lower()}@example.com", name=name, role=Role.CLERK)
        for name in ("Ben", "Anna")
    ]
    for n in range(23):
        contact = await Contact.create(
            first_name=("Eva", "", "Ida")[n % 3],
            last_name=("Berg", "Adler", "Berg", "Cole")[n % 4],
            company=("", "Acme", "Bolt", "")[n % 4],
            email=f"person{n}@example.com" if n % 5 else None,
        )
        created = await Lead.create(campaign=campaigns[n % 2], contact=contact)
        columns: dict[str, Any] = {"created_at": START + timedelta(hours=n // 3)}
        if n % 3:
            columns |= {
                "assignee_id": clerks[n % 2].id,
                "assigned_at": START + timedelta(days=1, hours=n % 4),
                "waiting_since": START + timedelta(days=2, hours=n % 5),
            }
        if n % 4 == 1:
            columns["next_due_at"] = START + timedelta(days=3, minutes=n % 2)
        if n % 7 == 6:
            columns |= {"closed_at": START + timedelta(days=4), "outcome": Outcome.SUCCESSFUL}
        await Lead.filter(id=created.id).update(**columns)


async def test_joined_rows_are_the_rows_values_reads_in_every_order(db: None) -> None:
    """A page read by `keyset.joined_page_rows` (its ids picked, then its columns joined by
    `sql.joined_rows`) holds the rows, values and order of the one Tortoise query it replaces
    on SQLite (`values()` of the ordered page), first pages and pages after a row alike."""
    await _varied_leads()
    for order, ordering in LEAD_ORDERINGS.items():
        selected = (*LEAD_COLUMNS, *(p for p in ordering.value_paths if p not in LEAD_COLUMNS))
        for limit in (5, 50):
            for after_row in (None, 3):
                rows = Lead.filter(campaign_id__gte=1)
                if after_row is not None:
                    first = await keyset.joined_page_rows(rows, ordering, 10, LEAD_COLUMNS)
                    last = first[after_row]
                    values = keyset.values_of(last, ordering)
                    rows = keyset.after(rows, ordering, values, last["id"])
                expected = await keyset.ordered(rows, ordering).limit(limit).values(*selected)
                found = await keyset.joined_page_rows(rows, ordering, limit, LEAD_COLUMNS)
                assert found == expected, (order, limit, after_row)
                # `==` holds 0 == False and a date's text against nothing: the types must agree.
                assert [[type(v) for v in row.values()] for row in found] == [
                    [type(v) for v in row.values()] for row in expected
                ], (order, limit, after_row)
                assert found and found[0].keys() == expected[0].keys()


async def test_a_pages_joined_statement_is_built_once_per_order(db: None) -> None:
    """The text around the page query is built once per model, columns and order, whatever
    the page's filter, size or cursor: Tortoise builds only the small query that picks it."""
    await _varied_leads()
    ordering = LEAD_ORDERINGS[LeadOrder.COMPANY]
    sql.joined_text.cache_clear()
    first = await keyset.joined_page_rows(Lead.all(), ordering, 5, LEAD_COLUMNS)
    last = first[-1]
    await keyset.joined_page_rows(
        keyset.after(Lead.filter(outcome=None), ordering, keyset.values_of(last, ordering), 9),
        ordering,
        20,
        LEAD_COLUMNS,
    )
    await keyset.joined_page_rows(Lead.filter(campaign_id=1), ordering, 3, LEAD_COLUMNS)
    assert sql.joined_text.cache_info().misses == 1
    await keyset.joined_page_rows(Lead.all(), LEAD_ORDERINGS[LeadOrder.NEWEST], 5, LEAD_COLUMNS)
    assert sql.joined_text.cache_info().misses == 2
