"""Migration 0023's lead-side search text and the locks of the writers around it (PostgreSQL):
a contact's correction and an assignment of its leads, the migration and an erasure in flight
on another instance. Each of these deadlocked before its lock order was fixed (review)."""

from __future__ import annotations

import asyncio
import importlib
from types import SimpleNamespace

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow.db.models import Lead
from leadflow.services import campaigns, leads
from leadflow.services.contact_updates import ContactCorrection, update_contact
from leadflow.services.leads import LeadIntake
from tests.helpers import Actors

M0023 = importlib.import_module("leadflow.db.migrations.0023_lead_search_text")


def _dsn(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://", 1)


async def test_a_correction_and_an_assignment_of_the_contacts_leads_do_not_deadlock(
    actors: Actors, backend: str, database_url: str
) -> None:
    """Assignment locks its leads in id order; the correction's trigger must too. Three NEW
    leads of one contact lie on disk as L3, L1, L2 (L1 and L2 updated since: a non-HOT update
    moves a row version); a third transaction holds L2 for a moment (a feedback in progress),
    so the assignment holds L1 and waits while the correction starts."""
    if backend != "postgres":
        pytest.skip("PostgreSQL only (SQLite has no lead-side search text and one writer)")
    manager = actors.manager.user
    person = LeadIntake(first_name="Olga", last_name="Ordnung", email="olga@ordnung.example")
    ids = []
    for number in range(3):
        campaign = await campaigns.create_campaign(manager, f"Kampagne {number}")
        [lead] = await leads.create_leads(manager, campaign.id, [person])
        ids.append(lead.id)
    l1, l2, l3 = ids
    contact_id = (await Lead.get(id=l1)).contact_id
    client = connections.get("default")
    for lead_id in (l1, l2):
        await client.execute_query(
            "UPDATE leads SET created_at = created_at + interval '1 microsecond' WHERE id = $1",
            [lead_id],
        )
    on_disk = await client.execute_query_dict(
        "SELECT id FROM leads WHERE contact_id = $1 ORDER BY ctid", [contact_id]
    )
    assert [row["id"] for row in on_disk] == [l3, l1, l2]

    holder = await asyncpg.connect(_dsn(database_url))
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT 1 FROM leads WHERE id = $1 FOR UPDATE", l2)
        assigning = asyncio.ensure_future(
            leads.assign_leads(manager, [l1, l2, l3], actors.clerk_a.user.id)
        )
        await asyncio.sleep(0.5)
        assert not assigning.done()  # holds L1, waits for L2
        correction = ContactCorrection(given=frozenset({"last_name"}), last_name="Neumann")
        correcting = asyncio.ensure_future(update_contact(manager, contact_id, correction))
        await asyncio.sleep(0.3)
        await holder.execute("COMMIT")
        results = await asyncio.gather(assigning, correcting, return_exceptions=True)
        texts = await holder.fetch(
            "SELECT search_text FROM leads WHERE contact_id = $1", contact_id
        )
    finally:
        await holder.close()
    failed = [
        (name, repr(result))
        for name, result in zip(("assignLeads", "updateContact"), results, strict=True)
        if isinstance(result, BaseException)
    ]
    assert not failed, failed
    assert {row["search_text"].split("\n")[1] for row in texts} == {"Neumann"}


async def test_applying_0023_waits_for_an_erasure_in_flight_without_deadlock(
    actors: Actors, backend: str, database_url: str
) -> None:
    """A rolling deploy: another instance's erasure has blanked the contact and is about to
    blank its leads' texts when the migration starts: the migration must wait for it (it locks
    contacts first, as the app writes them), not take `leads` and deadlock."""
    if backend != "postgres":
        pytest.skip("PostgreSQL only (the migration does nothing on SQLite)")
    manager = actors.manager.user
    campaign = await campaigns.create_campaign(manager, "Deploy")
    anna = LeadIntake(first_name="Anna", last_name="Müller", email="anna@example.com")
    [lead] = await leads.create_leads(manager, campaign.id, [anna])
    async with in_transaction() as connection:
        await M0023.drop_search_text(None, SimpleNamespace(client=connection))
    other = await asyncpg.connect(_dsn(database_url))
    try:
        await other.execute("BEGIN")
        await other.execute(
            "UPDATE contacts SET first_name = '', erased_at = now() WHERE id = $1", lead.contact_id
        )

        async def migrate() -> None:
            async with in_transaction() as connection:
                await M0023.add_search_text(None, SimpleNamespace(client=connection))

        migrating = asyncio.ensure_future(migrate())
        await asyncio.sleep(0.3)
        assert not migrating.done()  # waits for the erasure's contact
        erased = await asyncio.gather(
            other.execute(
                "UPDATE leads SET close_note = '' WHERE contact_id = $1", lead.contact_id
            ),
            return_exceptions=True,
        )
        await other.execute("ROLLBACK" if isinstance(erased[0], BaseException) else "COMMIT")
        [migrated] = await asyncio.gather(migrating, return_exceptions=True)
    finally:
        await other.close()
    failed = [
        (name, repr(result))
        for name, result in (("migration", migrated), ("erasure", erased[0]))
        if isinstance(result, BaseException)
    ]
    assert not failed, failed
    [row] = await connections.get("default").execute_query_dict(
        "SELECT search_text FROM leads WHERE id = $1", [lead.id]
    )
    assert row["search_text"].split("\n")[:2] == ["", "Müller"]
