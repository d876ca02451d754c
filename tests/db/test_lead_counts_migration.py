"""Migration 0021 fills the lead counters from the leads a database already holds (SQLite: a
database migrated up to 0020, rows written in SQL), then keeps them by its triggers; taken
back (its remove step), it leaves no table or trigger behind."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate as run_migrations

from leadflow.db.config import tortoise_config
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Lead

counts_migration = import_module("leadflow.db.migrations.0021_lead_counts")
_COUNTERS = "SELECT campaign_id, assignee_id, created_by_id, new, active, done FROM lead_counts"


async def _counters() -> set[tuple[int, ...]]:
    rows = await connections.get("default").execute_query_dict(_COUNTERS)
    return {tuple(row.values()) for row in rows if row["new"] or row["active"] or row["done"]}


async def _objects(kind: str) -> set[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = ? AND name LIKE 'lead_counts%'", [kind]
    )
    return {row["name"] for row in rows}


async def test_migration_0021_counts_the_leads_stored_before(tmp_path: Path) -> None:
    EXECUTOR_CACHE.clear()  # statements cached for another test's database
    url = f"sqlite://{tmp_path / 'before.db'}"
    await run_migrations(config=tortoise_config(url), target="models.0020_list_indexes")
    await Tortoise.close_connections()
    moment = datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat()
    async with database(url):
        connection = connections.get("default")
        for user_id, role in ((1, "CLERK"), (2, "MANAGER")):
            await connection.execute_query(
                "INSERT INTO users (id, email, name, role, active, email_notifications,"
                " created_at) VALUES (?, ?, 'U', ?, 1, 0, ?)",
                [user_id, f"u{user_id}@x.example", role, moment],
            )
        for campaign_id in (1, 2):
            await connection.execute_query(
                "INSERT INTO campaigns (id, name, description, created_at) VALUES (?, ?, '', ?)",
                [campaign_id, f"C{campaign_id}", moment],
            )
        await connection.execute_query(
            "INSERT INTO contacts (id, first_name, last_name, salutation, company, phone,"
            " phone_key, street, postal_code, city, country, created_at)"
            " VALUES (1, '', 'X', '', '', '', '', '', '', '', '', ?)",
            [moment],
        )
        # (campaign, assignee, creator, closed): NEW, ACTIVE, DONE, one without a creator.
        for campaign_id, assignee_id, creator_id, closed in (
            (1, None, 2, None),
            (1, None, 2, None),
            (1, 1, 2, None),
            (1, 1, 2, moment),
            (2, None, None, None),
            (2, 1, 2, moment),
        ):
            await connection.execute_query(
                "INSERT INTO leads (campaign_id, contact_id, assignee_id, created_by_id,"
                " closed_at, created_at, close_note) VALUES (?, 1, ?, ?, ?, ?, '')",
                [campaign_id, assignee_id, creator_id, closed, moment],
            )

    await migrate(url)

    async with database(url):
        assert await _counters() == {
            (1, 0, 2, 2, 0, 0),
            (1, 1, 2, 0, 1, 1),
            (2, 0, 0, 1, 0, 0),
            (2, 1, 2, 0, 0, 1),
        }
        # The triggers keep them from here on.
        await Lead.filter(campaign_id=2, assignee_id=None).update(assignee_id=1)
        assert (2, 1, 0, 0, 1, 0) in await _counters()
        connection = connections.get("default")
        assert await _objects("trigger") == {
            "lead_counts_insert",
            "lead_counts_update",
            "lead_counts_delete",
        }
        # Taken back (its own step: later migrations stay where they are).
        await counts_migration.remove_counts(None, SimpleNamespace(client=connection))
        assert await _objects("trigger") == set()
        assert await _objects("table") == set()
    EXECUTOR_CACHE.clear()
